from __future__ import annotations

from typing import cast

from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _

# The API schema's names for this app's choice sets, which share their field names ("status",
# "level", "light", "kind") with the kernel's and the domains'.
ENUM_NAMES = {
    "CaseStatusEnum": "xicheng.supervision.models.Case.Status",
    "CaseLevelEnum": "xicheng.supervision.models.Case.Level",
    "CaseRungEnum": "xicheng.supervision.models.Case.Rung",
    "CaseLightEnum": "xicheng.supervision.models.Light",
    "CaseStepKindEnum": "xicheng.supervision.models.CaseStep.Kind",
    # A case's kinds, every kind of reminder, the digest: a function (the kinds of reminder are declared).
    "NotificationKindEnum": "xicheng.supervision.models.notification_kinds",
}


class SupervisionConfig(AppConfig):
    name = "xicheng.supervision"
    label = "supervision"
    verbose_name = _("Supervision")

    def ready(self) -> None:
        # 督办 on the leaders' dashboard: a section of the kernel's registry (xicheng.dashboard).
        from xicheng.supervision import dashboard

        dashboard.connect()
        # The schema generator reads its settings on first use, long after this.
        cast(dict[str, str], settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).update(ENUM_NAMES)
