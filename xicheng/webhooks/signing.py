"""How a webhook's post is signed, and how a receiver checks it (the README shows the same recipe
in plain Python for a client to copy).

Each post carries:

    X-Xicheng-Event:      the event, e.g. case.escalated
    X-Xicheng-Delivery:   the event's id (a UUID; the same on a retry)
    X-Xicheng-Timestamp:  when it was sent, in whole seconds since 1970 (UTC)
    X-Xicheng-Signature:  sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>", keyed with the secret>

The timestamp is inside the signature, so a post replayed later cannot be given a fresh one: a
receiver refuses a timestamp further than `tolerance` seconds from its own clock."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

EVENT = "X-Xicheng-Event"
DELIVERY = "X-Xicheng-Delivery"
TIMESTAMP = "X-Xicheng-Timestamp"
SIGNATURE = "X-Xicheng-Signature"

# Five minutes either way: enough for clocks a little apart, too little for a replay to matter.
TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Xicheng-Signature of a body sent at `timestamp`: "sha256=" and the hex HMAC-SHA256."""
    message = f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """Is this post signed with `secret` and sent within `tolerance` seconds of `now` (the clock
    by default)? `headers` in any case (a dict, Django's request.headers, http.server's)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    timestamp = lowered.get(TIMESTAMP.lower(), "")
    signature = lowered.get(SIGNATURE.lower(), "")
    if not (timestamp.isascii() and timestamp.isdigit()) or not signature:
        return False
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)
