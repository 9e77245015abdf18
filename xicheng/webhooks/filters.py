"""The delivery log's filters: by webhook, event and status."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from xicheng.events import Event
from xicheng.webhooks.models import Webhook, WebhookDelivery


class WebhookDeliveryFilter(django_filters.FilterSet):
    webhook = django_filters.ModelChoiceFilter(queryset=Webhook.objects.all(), label=_("Webhook"))
    event = django_filters.ChoiceFilter(choices=Event.choices, label=_("Event"))
    status = django_filters.ChoiceFilter(choices=WebhookDelivery.Status.choices, label=_("Status"))

    class Meta:
        model = WebhookDelivery
        fields = ["webhook", "event", "status"]
