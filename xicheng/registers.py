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

from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def query_without_page(request: HttpRequest) -> str:
    """The page's query string without `page`, for links to the other pages of the same list."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def page_of(request: HttpRequest, rows: QuerySet[Any]) -> Page[Any]:
    """The page `?page=` asks for (the last one past the end, the first one for nonsense)."""
    return Paginator(rows, settings.PAGE_SIZE).get_page(request.GET.get("page"))


def list_context(request: HttpRequest, filterset: Any, *, export_url: str | None = None) -> dict[str, Any]:
    """What every list template reads: `filter` (the form and its errors), `page`, `query` (for
    the pagination links) and `export_url` (the register's export of the rows filtered, or None)."""
    return {
        "filter": filterset,
        "page": page_of(request, filterset.qs),
        "query": query_without_page(request),
        "export_url": export_url,
    }


def render_list(
    request: HttpRequest, filterset: Any, template: str, *, export_url: str | None = None, **extra: Any
) -> HttpResponse:
    """The list page of a register whose rows need nothing beyond the page; `extra` joins the context."""
    return render(request, template, {**list_context(request, filterset, export_url=export_url), **extra})
