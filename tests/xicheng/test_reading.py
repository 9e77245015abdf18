"""Pages that read well: figures with units and grouped thousands, whole counts whole, the gap in
百分点, dates as 2026-06-30, periods in calendar order, people by name in filters."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.utils import translation

from tests.conftest import Cast, Places
from tests.factories import TaskFactory
from xicheng.natural import natural_key
from xicheng.templatetags.figures import figure, figure_like, percent, points
from xicheng.views import _period_choices


def test_a_figure_groups_its_thousands_and_carries_its_unit() -> None:
    assert figure(16502, "户") == "16,502 户"
    assert figure(2.5, "亿元") == "2.5 亿元"
    assert figure(1000.0) == "1,000"
    assert figure(None, "户") == "—"


def test_a_pace_of_whole_counts_reads_whole() -> None:
    assert figure_like(264.35, 500) == "264"
    assert figure_like(1781.52, 2200.0) == "1,782"
    assert figure_like(1.25, 2.5) == "1.25"


def test_the_gap_is_in_percentage_points_and_signed() -> None:
    with translation.override("zh-hans"):
        assert points(-2.6) == "-2.6 百分点"
        assert points(3.21) == "+3.2 百分点"
    assert percent(63.456) == "63.5%"


def test_the_periods_are_offered_in_calendar_order() -> None:
    queries = [query for query, _ in _period_choices(date(2026, 11, 29))]
    assert queries.index("period=h1&year=2025") < queries.index("period=h2&year=2025")
    assert queries.index("period=h2&year=2025") < queries.index("period=year&year=2026")
    assert queries.index("period=year&year=2026") < queries.index("period=h1&year=2026")
    months = [int(q.split("&")[0][len("period=m") :]) for q in queries if q.startswith("period=m")]
    assert months == list(range(1, 12))
    assert queries.index("period=m2&year=2026") < queries.index("period=m10&year=2026")


def test_house_numbers_sort_naturally() -> None:
    assert sorted(["10区19号", "10区1号", "9区3号"], key=natural_key) == ["9区3号", "10区1号", "10区19号"]


def test_the_task_filters_name_people_and_read_all_yes_no(client: Client, cast: Cast, places: Places) -> None:
    TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li)
    client.force_login(cast.zhao)
    page = client.get("/tasks/").content.decode()
    form = page[page.index('name="lead_leader"') : page.index("</select>", page.index('name="lead_leader"'))]
    assert cast.zhao.cadre.name in form and ">zhao<" not in form and ">admin<" not in form
    overdue = page[page.index('name="overdue"') : page.index("</select>", page.index('name="overdue"'))]
    assert ">全部<" in overdue and ">未知<" not in overdue


@pytest.mark.parametrize("path", ["/favicon.ico"])
def test_the_browsers_icon_is_found(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 301


def test_a_date_field_is_filled_in_the_form_a_date_picker_reads(client: Client, cast: Cast) -> None:
    from django import forms

    with translation.override("zh-hans"):
        field = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
        assert 'value="2026-06-30"' in field.widget.render("on", date(2026, 6, 30))
