from __future__ import annotations

from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class XichengConfig(AppConfig):
    name = "xicheng"
    verbose_name = _("Kernel")

    def ready(self) -> None:
        from django.contrib.auth.models import Group

        # history connects the IP recorder, audit its receivers; security starts each session's
        # clocks at sign-in.
        from xicheng import audit, facts, history, natural, overview_cache, plugins, security  # noqa: F401
        from xicheng.roles import group_label, sync_roles

        # Domain apps hand the kernel their metrics and dashboard parts through their DomainConfig.
        plugins.install()
        # A cached overview is forgotten when a write changes its figures (xicheng.overview_cache).
        overview_cache.connect()
        # The registered metrics are kept as daily facts with every save and delete (xicheng.facts).
        facts.connect()
        # post_migrate is sent once per app; the roles and the audit triggers cover every app, so
        # they are set once, with the kernel's (a flush had set them some thirty times over).
        post_migrate.connect(sync_roles, sender=self, dispatch_uid="xicheng.sync_roles")
        # An upgraded database, or a newly registered metric, has its facts counted by migrate.
        post_migrate.connect(facts.rebuild_missing, dispatch_uid="xicheng.facts_rebuild_missing")
        # SQLite learns natural_key() on every connection; PostgreSQL spells it in SQL (xicheng.natural).
        connection_created.connect(natural.register_sqlite_function, dispatch_uid="xicheng.natural_key")
        post_migrate.connect(
            audit.install_audit_triggers_after_migrate, sender=self, dispatch_uid="xicheng.audit_triggers"
        )
        # Every group is a role: wherever one is shown (the admin's titles and lists) it reads as
        # people say it, 审计员, not auditor.
        Group.__str__ = group_label  # type: ignore[method-assign]  # on purpose, see above
