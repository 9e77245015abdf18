"""History on every tracked model: who, when, from where, and what changed (django-simple-history)."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from functools import cache
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class WhereFrom(models.Model):
    """Adds the client's IP address to a historical record."""

    history_ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        abstract = True


def audited_history(**kwargs: Any) -> HistoricalRecords:
    """The HistoricalRecords every tracked model uses, so that all of them record the same facts."""
    return HistoricalRecords(bases=[WhereFrom], **kwargs)


UNDO_WINDOW = timedelta(minutes=10)


def require_own_recent_change(row: models.Model, user: Any, *, window: timedelta = UNDO_WINDOW) -> None:
    """An undo (a mis-tap put right) is for the person who made the row's last change, within the
    window (10 minutes): anyone else, or later, corrects the row the ordinary way, which the
    history shows as a correction. Refused with a ValidationError that says which."""
    last = cast(Any, row).history.order_by("-history_date", "-history_id").first()
    if last is None or last.history_user_id is None or last.history_user_id != getattr(user, "pk", None):
        raise ValidationError(_("Only the person who made this change may undo it."), code="undo_not_yours")
    if last.history_date < timezone.now() - window:
        raise ValidationError(
            _("This change was made more than %(minutes)s minutes ago and can no longer be undone.")
            % {"minutes": int(window.total_seconds() // 60)},
            code="undo_too_late",
        )


def current_request() -> Any:
    """The request being served on this thread (simple-history's middleware keeps it), or None in a
    management command or the shell."""
    return getattr(HistoricalRecords.context, "request", None)


def bulk_history_attrs() -> dict[str, Any]:
    """What a bulk write's history rows record beyond who (simple-history's bulk helpers send no
    signal, so `_record_ip` never sees them): where the request came from."""
    request = current_request()
    return {"history_ip_address": client_ip(request)} if request is not None else {}


@cache
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _ip(value: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address((value or "").strip())
    except ValueError:
        return None


def client_ip(request: Any) -> str | None:
    """The address a request came from, as far as this server can know it.

    REMOTE_ADDR is the peer that opened the connection. Only when that peer is a proxy named in
    TRUSTED_PROXIES (or when TRUSTED_PROXY_COUNT proxies stand in front of every app server) is
    X-Forwarded-For read, from the right: each trusted proxy appends the address it saw, so the
    entries on the left are whatever the client chose to send and prove nothing. A header that
    is not a list of addresses is ignored, never trusted and never an error."""
    remote = _ip(request.META.get("REMOTE_ADDR"))
    if remote is None:
        return None
    trusted = tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ())
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not forwarded or not (trusted or count):
        return str(remote)
    hops = [_ip(hop) for hop in forwarded.split(",")]
    if any(hop is None for hop in hops):
        return str(remote)
    if count:
        # Each of the `count` proxies appended one address; the first of those is the client's.
        return str(hops[-count]) if len(hops) >= count else str(remote)
    networks = _networks(trusted)
    address = remote
    # Walk back through the proxies we trust; the first address that is not one is the client.
    while any(address in network for network in networks) and hops:
        address = cast("ipaddress.IPv4Address | ipaddress.IPv6Address", hops.pop())  # no hop is None (above)
    return str(address)


@receiver(pre_create_historical_record)
def _record_ip(sender: Any, history_instance: Any, **kwargs: Any) -> None:
    request = current_request()
    if request is not None and hasattr(history_instance, "history_ip_address"):
        history_instance.history_ip_address = client_ip(request)
