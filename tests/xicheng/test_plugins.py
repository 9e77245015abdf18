"""The one plug-in protocol: the kernel learns about the domains through their DomainConfig only."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from xicheng import dashboard, metrics, plugins
from xicheng.demo import INDICATORS, DemoIndicator

KERNEL = Path(__file__).resolve().parents[2] / "xicheng"


def test_the_kernel_finds_the_domains_in_installed_order() -> None:
    # The toy register (tests/toyregister) is installed for the tests only, after the real ones.
    assert plugins.labels() == ["projects", "governance", "welfare", "toyregister"]


def test_every_declaration_resolves_to_what_the_kernel_expects() -> None:
    kinds = {
        "metrics": metrics.Metric,
        "panels": dashboard.Panel,
        "sections": dashboard.Section,
        "alerts": dashboard.AlertSource,
        "nav": dashboard.NavLink,
        "demo_indicators": DemoIndicator,
        "reminders": plugins.Reminder,
    }
    for domain in plugins.domains():
        for name, kind in kinds.items():
            assert all(isinstance(item, kind) for item in domain.declared(name)), (domain.label, name)
        assert domain.declared("metrics"), domain.label
        assert all(apps.get_model(domain.label, model) for model in domain.field_models)


def test_the_registries_hold_what_the_domains_declare() -> None:
    declared = {metric.key for domain in plugins.domains() for metric in domain.declared("metrics")}
    assert {metric.key for metric in metrics.registry} == declared
    assert [link.url_name for link in dashboard.nav] == [
        "projects:project_list",
        "governance:home",
        "welfare:center_list",
        "welfare:safety_check_list",
        "toyregister:lamp_list",
    ]


def test_the_domains_declare_what_a_case_can_be_opened_on_each_in_an_area_and_from_its_red_items() -> None:
    from django.utils.module_loading import import_string

    from xicheng.scope import ScopedQuerySet

    kinds = plugins.supervisable_kinds()
    assert set(kinds) == {
        "projects.household",
        "projects.milestone",
        "projects.issue",
        "governance.hazard",
        "governance.dispute",
        "welfare.safety_check",
    }
    for kind in kinds.values():
        rows = kind.model_class()._default_manager.get_queryset()
        # A case lies in its record's area, read by the model's scope rule.
        assert isinstance(rows, ScopedQuerySet) and rows.scope_rule.area, kind.kind
        assert kind.alerts, kind.kind
        if kind.head:
            assert callable(import_string(kind.head)), kind.kind
    assert kinds["projects.household"].head == "projects.supervision.household_head"


def test_a_supervisable_kind_names_its_model() -> None:
    kind = plugins.Supervisable("xicheng.task", "xicheng.Task", "Task")
    assert kind.model_class() is apps.get_model("xicheng", "Task")


def test_a_supervisable_kind_declared_twice_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    kind = plugins.Supervisable("xicheng.task", "xicheng.Task", "Task")
    monkeypatch.setattr(apps.get_app_config("governance"), "supervisable", [kind])
    monkeypatch.setattr(apps.get_app_config("welfare"), "supervisable", [kind])
    with pytest.raises(ValueError, match="declared twice"):
        plugins.install()


@override_settings(DOMAIN_APPS=["xicheng"])
def test_a_domain_app_without_a_domain_config_is_refused() -> None:
    with pytest.raises(ImproperlyConfigured, match="DomainConfig"):
        plugins.install()


def test_the_kernel_names_no_domain_metric() -> None:
    sources = "\n".join(
        path.read_text()
        for path in KERNEL.rglob("*.py")
        if "migrations" not in path.parts and path.name != "settings.py"
    )
    assert not [metric.key for metric in metrics.registry if metric.key in sources]
    assert all(indicator.metric == "" for indicator in INDICATORS)
