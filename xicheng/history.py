"""History on every tracked model: who, when, from where, and what changed (django-simple-history)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record


class WhereFrom(models.Model):
    """Adds the client's IP address to a historical record."""

    history_ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        abstract = True


def audited_history(**kwargs: Any) -> HistoricalRecords:
    """The HistoricalRecords every tracked model uses, so that all of them record the same facts."""
    return HistoricalRecords(bases=[WhereFrom], **kwargs)


def client_ip(request: Any) -> str | None:
    # Behind the production proxy the first X-Forwarded-For hop is the client.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


@receiver(pre_create_historical_record)
def _record_ip(sender: Any, history_instance: Any, **kwargs: Any) -> None:
    request = getattr(HistoricalRecords.context, "request", None)
    if request is not None and hasattr(history_instance, "history_ip_address"):
        history_instance.history_ip_address = client_ip(request)
