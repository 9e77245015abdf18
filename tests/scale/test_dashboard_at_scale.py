"""Ten times the demo data: the dashboard costs the same queries (run once, on PostgreSQL, in CI).

Seeding ten subdistricts takes minutes, so this test carries the `scale` marker: `make test`
leaves it out and `.ci/run` runs it once, on PostgreSQL."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.conftest import count_queries
from xicheng.demo import seed

pytestmark = [pytest.mark.django_db, pytest.mark.scale]

TODAY = date(2026, 11, 26)
H2_AS_OF_TODAY = "period=h2&year=2026&as_of=2026-11-26"


def test_the_overview_costs_the_same_queries_with_ten_times_the_demo_data() -> None:
    seed(today=TODAY, scale=1, out=io.StringIO())
    leader = Client()
    leader.force_login(User.objects.get(username="zhao"))
    urls = [f"/dashboard/?{H2_AS_OF_TODAY}", f"/api/v1/dashboard/?{H2_AS_OF_TODAY}"]
    once = [count_queries(lambda url=url: leader.get(url)) for url in urls]
    # Nine more subdistricts like Xicheng, each with all of its records: ten times the demo data.
    seed(today=TODAY, scale=10, out=io.StringIO())
    assert [count_queries(lambda url=url: leader.get(url)) for url in urls] == once
