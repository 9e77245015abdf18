"""The list page every register shares (xicheng/registers.py, templates/register_list.html)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory

from governance.models import RentalHouse
from tests.conftest import Cast, Places
from tests.factories import TaskFactory
from xicheng.filters import TaskFilter
from xicheng.models import Task
from xicheng.registers import render_list

pytestmark = pytest.mark.django_db


def test_every_app_cuts_its_lists_at_the_page_size_setting(
    client: Client, cast: Cast, places: Places, settings: Any
) -> None:
    settings.PAGE_SIZE = 2
    RentalHouse.objects.bulk_create(
        [RentalHouse(area=places.sifang_grid, address=f"四方路{i}号", landlord="张") for i in range(5)]
    )
    for _ in range(5):
        TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li)
    client.force_login(cast.li)
    for url in ("/governance/houses/", "/tasks/"):
        response = client.get(url)
        assert len(response.context["page"].object_list) == 2, url
        assert "第 1 页，共 3 页" in response.content.decode(), url


def test_the_page_links_keep_the_filters(client: Client, cast: Cast, places: Places, settings: Any) -> None:
    settings.PAGE_SIZE = 1
    for _ in range(2):
        TaskFactory(area=places.sifang, lead_leader=cast.zhao, responsible=cast.li, status=Task.Status.BLOCKED)
    client.force_login(cast.zhao)
    page = client.get("/tasks/?status=blocked&page=1").content.decode()
    assert 'href="?status=blocked&amp;page=2"' in page


def test_a_register_with_an_export_links_it_with_the_lists_filters(cast: Cast, places: Places) -> None:
    request = RequestFactory().get("/tasks/", {"status": "done", "page": "2"})
    request.user = cast.zhao
    filterset = TaskFilter(request.GET, queryset=Task.objects.visible_to(cast.zhao))
    page = render_list(request, filterset, "xicheng/task_list.html", export_url="/tasks/export/").content.decode()
    assert 'href="/tasks/export/?status=done"' in page


def test_a_register_without_an_export_shows_no_export_link(client: Client, cast: Cast) -> None:
    client.force_login(cast.zhao)
    assert 'class="export"' not in client.get("/tasks/").content.decode()
