"""The day sheet reads the day in its path by the kernel's rules: a day that does not exist is a
400 page saying so in Chinese, with the way to today's sheet."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import Cast, login
from tests.welfare.factories import World

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("day", "says"),
    [
        ("2026-02-30", "日历上没有 2026-02-30 这一天"),
        ("0001-01-01", "须在 2000-01-01 至 2100-12-31 之间"),
        ("yesterday", "YYYY-MM-DD"),
    ],
)
def test_a_sheet_for_a_day_that_cannot_be_read_says_why(
    client: Client, cast: Cast, world: World, day: str, says: str
) -> None:
    client.force_login(cast.li)
    response = client.get(f"/welfare/centres/{world.center.pk}/sheet/{day}/")
    assert response.status_code == 400
    page = response.content.decode()
    assert says in page
    assert f'href="/welfare/centres/{world.center.pk}/sheet/"' in page


def test_a_sheet_the_user_may_not_open_stays_refused_whatever_the_day(client: Client, cast: Cast, world: World) -> None:
    # The auditor opens no domain page: refused before the day is even read.
    login(client, cast.auditor)
    assert client.get(f"/welfare/centres/{world.center.pk}/sheet/2026-02-30/").status_code == 403
