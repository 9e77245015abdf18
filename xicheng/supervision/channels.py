"""The channels a notification goes out over, behind one interface.

    channel = CHANNELS["dingtalk"]
    channel.reaches(user)       # may this channel reach the user at all (a group, an address)?
    channel.send(notification)  # deliver it, or raise DeliveryError saying why not

`InApp` is the notification row itself (written in the request's transaction); the others are
sent by the worker (xicheng/supervision/tasks.py), each apart, so one failing never holds back the
others. Robots post to the first active group of their kind the recipient is a member of."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from xicheng.supervision.models import Channel as ChannelKey
from xicheng.supervision.models import Notification, RobotGroup

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

# A WeCom text message holds at most 2048 bytes; DingTalk's is larger, but a message is short.
MESSAGE_BYTES = 2000


class DeliveryError(Exception):
    """The channel did not take the message; the text says why (kept in the delivery log)."""


class Channel:
    key: str = ""

    def reaches(self, user: User) -> bool:
        raise NotImplementedError

    def send(self, notification: Notification) -> None:
        raise NotImplementedError


def message_text(notification: Notification) -> str:
    """The message as a chat group reads it: to whom, the title, the text, cut to fit."""
    name = _person(notification.recipient)
    text = f"【督办】{name}：{notification.title}\n{notification.body}".strip()
    encoded = text.encode()
    if len(encoded) > MESSAGE_BYTES:
        text = encoded[:MESSAGE_BYTES].decode(errors="ignore") + "…"
    return text


def _person(user: User) -> str:
    try:
        return str(user.cadre.name)
    except ObjectDoesNotExist:
        return user.get_username()


class InApp(Channel):
    """The in-app centre: the notification row is the message."""

    key = ChannelKey.IN_APP

    def reaches(self, user: User) -> bool:
        return True

    def send(self, notification: Notification) -> None:
        return None


def post_json(url: str, payload: dict[str, Any]) -> dict[str, Any]:
    """POST a JSON body and read a JSON answer; any failure is a DeliveryError that names it (the
    address is never in it: it carries the robot's credential)."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        # An address the system admin set, http or https only (RobotGroup.webhook_url's validator).
        with urllib.request.urlopen(request, timeout=settings.SUPERVISION_ROBOT_TIMEOUT_SECONDS) as response:
            body = response.read()
    except urllib.error.HTTPError as error:
        raise DeliveryError(f"HTTP {error.code} {error.reason}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DeliveryError(f"not reached: {reason}") from None
    try:
        answer = json.loads(body or b"{}")
    except ValueError:
        raise DeliveryError("the robot did not answer in JSON") from None
    return answer if isinstance(answer, dict) else {}


def _check_errcode(answer: dict[str, Any]) -> None:
    # Both robots answer 200 with {"errcode": 0, "errmsg": "ok"}, and a refusal with another code.
    if answer.get("errcode", 0) != 0:
        raise DeliveryError(f"refused: errcode {answer.get('errcode')} {answer.get('errmsg', '')}".strip())


def _group(user: User, kind: str) -> RobotGroup | None:
    return RobotGroup.objects.filter(kind=kind, active=True, members=user).order_by("pk").first()


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签: HMAC-SHA256 of "timestamp\\nsecret" keyed with the secret, Base64, then
    URL-encoded (UTF-8). The timestamp is in milliseconds and must be within an hour of DingTalk's."""
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def dingtalk_url(webhook_url: str, secret: str, timestamp_ms: int | None = None) -> str:
    """The robot's address with &timestamp=…&sign=… appended when the robot has a secret."""
    if not secret:
        return webhook_url
    timestamp_ms = timestamp_ms if timestamp_ms is not None else round(time.time() * 1000)
    joiner = "&" if "?" in webhook_url else "?"
    return f"{webhook_url}{joiner}timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"


class DingTalkRobot(Channel):
    key = ChannelKey.DINGTALK

    def reaches(self, user: User) -> bool:
        return _group(user, self.key) is not None

    def send(self, notification: Notification) -> None:
        group = _group(notification.recipient, self.key)
        if group is None:
            raise DeliveryError("the recipient is in no active DingTalk group")
        payload = {"msgtype": "text", "text": {"content": message_text(notification)}}
        _check_errcode(post_json(dingtalk_url(group.webhook_url, group.secret), payload))


class WeComRobot(Channel):
    """WeCom group robots are reached by the key in their address and sign nothing."""

    key = ChannelKey.WECOM

    def reaches(self, user: User) -> bool:
        return _group(user, self.key) is not None

    def send(self, notification: Notification) -> None:
        group = _group(notification.recipient, self.key)
        if group is None:
            raise DeliveryError("the recipient is in no active WeCom group")
        payload = {"msgtype": "text", "text": {"content": message_text(notification)}}
        _check_errcode(post_json(group.webhook_url, payload))


class Email(Channel):
    key = ChannelKey.EMAIL

    def reaches(self, user: User) -> bool:
        return bool(user.email)

    def send(self, notification: Notification) -> None:
        try:
            send_mail(
                f"【督办】{notification.title}",
                notification.body,
                settings.DEFAULT_FROM_EMAIL,
                [notification.recipient.email],
            )
        except OSError as error:  # smtplib's errors are OSErrors
            raise DeliveryError(f"mail not sent: {error}") from None


class SmsGateway:
    """What an SMS provider's adapter offers (SUPERVISION_SMS_GATEWAY names its class)."""

    def send(self, phone: str, text: str) -> None:
        raise NotImplementedError


def sms_gateway() -> SmsGateway | None:
    path = settings.SUPERVISION_SMS_GATEWAY
    if not path:
        return None
    try:
        gateway: SmsGateway = import_string(path)()
    except ImportError as error:
        raise ImproperlyConfigured(f"SUPERVISION_SMS_GATEWAY names nothing importable: {path}") from error
    return gateway


def _phone(user: User) -> str:
    try:
        return str(user.cadre.phone or "")
    except ObjectDoesNotExist:
        return ""


class Sms(Channel):
    """SMS through the configured gateway; with none configured (the default) it reaches no one."""

    key = ChannelKey.SMS

    def reaches(self, user: User) -> bool:
        return bool(settings.SUPERVISION_SMS_GATEWAY) and bool(_phone(user))

    def send(self, notification: Notification) -> None:
        gateway = sms_gateway()
        if gateway is None:
            raise DeliveryError("no SMS gateway is configured")
        try:
            gateway.send(_phone(notification.recipient), message_text(notification))
        except DeliveryError:
            raise
        except Exception as error:
            raise DeliveryError(f"SMS not sent: {type(error).__name__}") from None


CHANNELS: dict[str, Channel] = {
    channel.key: channel for channel in (InApp(), DingTalkRobot(), WeComRobot(), Email(), Sms())
}
