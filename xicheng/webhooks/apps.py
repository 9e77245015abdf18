from __future__ import annotations

from typing import cast

from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _

# The API schema's names for this app's choice sets: a delivery's "status" shares its name and its
# values with others'.
ENUM_NAMES = {
    "WebhookEventEnum": "xicheng.events.Event",
    "WebhookDeliveryStatusEnum": "xicheng.webhooks.models.WebhookDelivery.Status",
}


class WebhooksConfig(AppConfig):
    name = "xicheng.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        # The schema generator reads its settings on first use, long after this.
        cast(dict[str, str], settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).update(ENUM_NAMES)
