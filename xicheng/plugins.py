"""How a domain app plugs into the kernel: one declaration, its AppConfig.

A domain app's AppConfig subclasses `DomainConfig` and says there, in one place, everything it
brings. The kernel imports no domain app: it walks the installed `DomainConfig`s (in INSTALLED_APPS
order) and reads their declarations.

    class GovernanceConfig(DomainConfig):
        name = "governance"
        field_models = ["rentalhouse", "inspection", ...]    # cadres and leaders add/change these
        urls = "governance.urls"                             # pages under /governance/
        api = "governance.api"                               # registers viewsets on xicheng.api.router
        metrics = "governance.metrics.METRICS"               # list[Metric]
        panels = "governance.dashboard.PANELS"               # list[Panel]: *my work*
        sections = "governance.dashboard.SECTIONS"           # list[Section]: the leaders' dashboard
        alerts = "governance.dashboard.ALERTS"               # list[AlertSource]: the red-light list
        nav = "governance.dashboard.NAV"                     # list[NavLink]: the top bar
        supervisable = [Supervisable("governance.hazard", "governance.Hazard", _("Hazard"))]
        reminders = "governance.reminders.REMINDERS"        # list[Reminder]: reminders of dates
        demo = "governance.demo.seed"                        # seed(ctx), after the kernel's demo
        demo_indicators = "governance.demo.INDICATORS"       # list[DemoIndicator]
        schedule = "welfare.tasks.SCHEDULE"                  # celery beat entries, by name
        enum_names = {"DisputeStatusEnum": "governance.models.Dispute.Status"}  # API schema names

Everything but `field_models` and `supervisable` is a dotted path, resolved after every model is
loaded (`install()` in the kernel's ready(), the URLconf, the demo), so an app's apps.py imports
none of its own modules. Leave out what the app does not bring.

apps.py imports the module (`from xicheng import plugins`), not the class: Django takes the one
AppConfig subclass it finds in apps.py, and a second one there would leave it a plain AppConfig.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@dataclass(frozen=True)
class Supervisable:
    """A kind of record a supervision case (督办) can be attached to. The case lies in the record's
    area (its model's ScopeRule), so it is seen by whoever sees the record's area."""

    kind: str  # unique across domains, e.g. "governance.hazard"
    model: str  # "app_label.ModelName"
    label: Any  # a lazy translation, e.g. _("Hazard")
    # Optional: the dotted path of a function (record) → User | None naming the head of the unit
    # that answers for the record (a household's squad head), the ladder's first rung.
    head: str = ""
    # The kinds of red-light item (`Alert.kind`) that name a record of this kind: a leader opens a
    # case from them (the record is the one the alert's link names, by `pk` or `?id=`).
    alerts: tuple[str, ...] = ()

    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)


@dataclass(frozen=True)
class Reminded:
    """One reminder to one person, as a reminder source yields it. The kernel sends it once per
    (recipient, kind, key) a day: the key names the thing (`"hazard:12"`), the kernel adds the day."""

    recipient: User
    title: str
    key: str
    body: str = ""
    link: str = ""  # the path of the thing's page, e.g. "/tasks/12/"


@dataclass(frozen=True)
class Reminder:
    """A kind of reminder of something that has a date (a task due, a hazard past its deadline).
    Each person chooses per kind whether to get it and over which channels
    (/notifications/preferences/); celery beat runs every source every quarter of an hour, and the
    source decides whether it is due (a zero report is missing only after 10:00)."""

    kind: str  # unique across the kernel and the domains, e.g. "governance.hazard_overdue"
    label: Any  # a lazy translation: the kind's name on the preferences page
    # The dotted path of a function (now: aware datetime) → Iterable[Reminded].
    source: str
    # The outbound channels of someone who has not chosen (xicheng.supervision.models.Channel values).
    channels: tuple[str, ...] = ("dingtalk", "wecom")


class DomainConfig(AppConfig):
    """The AppConfig of a domain app: what it hands the kernel. See the module docstring."""

    field_models: Sequence[str] = ()
    urls: str = ""
    api: str = ""
    metrics: str = ""
    panels: str = ""
    sections: str = ""
    alerts: str = ""
    nav: str = ""
    supervisable: Sequence[Supervisable] = ()
    reminders: str = ""
    demo: str = ""
    demo_indicators: str = ""
    schedule: str = ""
    # Choice sets that share a field name with another app's ("status") need their own name in
    # the API schema: component name → dotted path of the choices.
    enum_names: Mapping[str, str] = {}

    def declared(self, name: str) -> list[Any]:
        """The list a dotted-path declaration names; empty when the app declares none."""
        path = getattr(self, name)
        return list(import_string(path)) if path else []


# The kernel's apps: xicheng, and its sub-packages that keep models and migrations of their own
# (the 督办 engine, xicheng.supervision; webhooks for REST clients, xicheng.webhooks).
KERNEL_APPS = ("xicheng", "supervision", "webhooks")


def app_labels() -> list[str]:
    """The kernel's apps, then the domains': whose models get roles, history and the audit trail."""
    return [*KERNEL_APPS, *labels()]


def domains() -> list[DomainConfig]:
    """The installed domain apps, in INSTALLED_APPS order."""
    return [config for config in apps.get_app_configs() if isinstance(config, DomainConfig)]


def labels() -> list[str]:
    """The domain apps' labels, in INSTALLED_APPS order."""
    return [config.label for config in domains()]


def supervisable_kinds() -> dict[str, Supervisable]:
    """Every kind of record the domains declare supervisable, by kind."""
    return {kind.kind: kind for config in domains() for kind in config.supervisable}


def reminders() -> list[Reminder]:
    """Every kind of reminder the domains declare (the kernel's own are xicheng/reminders.py)."""
    return [reminder for config in domains() for reminder in config.declared("reminders")]


def beat_schedule() -> dict[str, Any]:
    """The domains' periodic tasks (celery beat entries by name), from their `schedule`."""
    entries: dict[str, Any] = {}
    for config in domains():
        if config.schedule:
            entries.update(import_string(config.schedule))
    return entries


def install() -> None:
    """Fill the kernel's registries from the domains' declarations: called once, from the kernel's
    ready(), when every model is loaded."""
    from xicheng import dashboard, metrics

    for label in settings.DOMAIN_APPS:
        if not isinstance(apps.get_app_config(label), DomainConfig):
            raise ImproperlyConfigured(f"The domain app {label!r} needs an AppConfig that subclasses DomainConfig.")
    kinds: set[str] = set()
    # The schema generator reads its settings on first use, long after this.
    enum_names = cast(dict[str, str], settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"])
    for config in domains():
        enum_names.update(config.enum_names)
        for metric in config.declared("metrics"):
            metrics.register(metric)
        for panel in config.declared("panels"):
            dashboard.workbench.register(panel)
        for section in config.declared("sections"):
            dashboard.sections.register(section)
        for source in config.declared("alerts"):
            dashboard.alerts.register(source)
        for link in config.declared("nav"):
            dashboard.nav.register(link)
        for kind in config.supervisable:
            if kind.kind in kinds:
                raise ValueError(f"Supervisable kind {kind.kind!r} is declared twice.")
            kinds.add(kind.kind)
