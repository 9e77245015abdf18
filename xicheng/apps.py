from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class XichengConfig(AppConfig):
    name = "xicheng"
    verbose_name = _("Kernel")

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        # history connects the IP recorder; security starts each session's clocks at sign-in.
        from xicheng import history, security  # noqa: F401
        from xicheng.roles import sync_roles

        # Domain apps register their metrics and dashboard parts with the kernel.
        autodiscover_modules("metrics", "dashboard")
        post_migrate.connect(sync_roles, dispatch_uid="xicheng.sync_roles")
