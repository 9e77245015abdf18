"""The list page every register shows, built one way: the rows of the user's scope through the
register's FilterSet (the same one the API filters with), cut into pages of `settings.PAGE_SIZE`,
with the query string the pagination links carry and, where the register has one, a link that
exports the rows filtered.

A view scopes its queryset, builds its FilterSet and either renders at once::

    def dispute_list(request):
        base = Dispute.objects.visible_to(request.user).select_related("area")
        return render_list(request, DisputeFilter(request.GET, queryset=base), "governance/dispute_list.html")

or takes the context, adds what its rows need from `context["page"]`, and renders it::

    context = list_context(request, ElderFilter(request.GET, queryset=base))
    context["rows"] = [...  for elder in context["page"].object_list]

The template extends `register_list.html` (heading with the count, filters, table, pages).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.paginator import Page
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import get_script_prefix, reverse
from django.utils.http import urlencode

from xicheng.pagination import EstimatedPaginator
from xicheng.personal import reveal_rows
from xicheng.scope import changeable_ids


def query_without_page(request: HttpRequest) -> str:
    """The page's query string without `page`, for links to the other pages of the same list."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def page_of(request: HttpRequest, rows: QuerySet[Any]) -> Page[Any]:
    """The page `?page=` asks for (the last one past the end, the first one for nonsense). A big
    register's count is estimated (`xicheng.pagination`)."""
    return EstimatedPaginator(rows, settings.PAGE_SIZE).get_page(request.GET.get("page"))


def list_context(
    request: HttpRequest,
    filterset: Any,
    *,
    export_url: str | None = None,
    personal: Sequence[str] = (),
    changeable: bool = False,
) -> dict[str, Any]:
    """What every list template reads: `filter` (the form and its errors), `page`, `query` (for
    the pagination links) and `export_url` (the register's export of the rows filtered, or None).

    `personal` names the personal fields the rows show: each row gets `<field>_shown`, whole for a
    user with the right (the page's read logged once) and masked for everyone else. `changeable`
    adds the set of the page's row ids the user may change (their buttons), in one query."""
    page = page_of(request, filterset.qs)
    context = {"filter": filterset, "page": page, "query": query_without_page(request), "export_url": export_url}
    if personal or changeable:
        rows = list(page.object_list)
        page.object_list = rows  # the template iterates these very rows, without a second query
        model = filterset.qs.model
        if personal:
            subject = f"{model._meta.model_name} list page {page.number}"
            reveal_rows(request, rows, personal, subject=subject)
        if changeable:
            context["changeable"] = changeable_ids(request.user, model, [row.pk for row in rows])
    return context


def render_list(
    request: HttpRequest, filterset: Any, template: str, *, export_url: str | None = None, **extra: Any
) -> HttpResponse:
    """The list page of a register whose rows need nothing beyond the page; `extra` joins the context."""
    return render(request, template, {**list_context(request, filterset, export_url=export_url), **extra})


def row_url(list_url: str, pk: int, anchor: str, **params: str) -> str:
    """A link to one row of a register: its list narrowed to the row (the FilterSet's `RowFilter`)
    and scrolled to it (`id="<anchor>-<pk>"` on the row). `params` are any the list needs besides,
    e.g. `open=""` where the list shows only open rows unless told otherwise."""
    query: dict[str, str | int] = {"id": pk, **params}
    return f"{_list_path(list_url, get_script_prefix())}?{urlencode(query)}#{anchor}-{pk}"


@lru_cache(maxsize=256)
def _list_path(list_url: str, prefix: str) -> str:
    """A list's path, reversed once per script prefix: the dashboard links a hundred rows."""
    return reverse(list_url)
