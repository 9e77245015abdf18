"""Pages of a big register without counting it: the list pages and the API cut rows with
`EstimatedPaginator`, which counts exactly up to `settings.EXACT_COUNT_LIMIT` rows (a count that
stops there, so it reads at most that many) and past it takes PostgreSQL's planner estimate of the
filtered query, in the same one query as the count. The page then says "约 55,000 条" instead of reading 55,000 rows to say 55,213.

Pages stay navigable: a page of an estimated list reads one row more than it shows, so "next" is
offered exactly when there is a next row, whatever the estimate says. SQLite always counts exactly.
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.paginator import EmptyPage, Page, Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.translation import gettext as _


def exact_count_limit() -> int:
    return int(settings.EXACT_COUNT_LIMIT)


def bounded_count(rows: QuerySet[Any], limit: int) -> tuple[int, bool]:
    """On PostgreSQL, in one query: the exact count when it is at most `limit` (counting stops
    past it), else the planner's estimate of the filtered query (the function
    `xicheng_count_estimate`, created by xicheng migration 0009); and whether it is the estimate."""
    connection = connections[rows.db]
    # Counted on the ids alone: the joins the page shows add nothing to the count.
    rows = rows.order_by().select_related(None).values("pk")
    inner, inner_params = rows[: limit + 1].query.sql_with_params()
    whole, whole_params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        # The query whose plan is read, as text with its parameters quoted by the driver.
        query = cursor.cursor.mogrify(whole, whole_params)
        if isinstance(query, bytes):
            query = query.decode()
        cursor.execute(
            "SELECT CASE WHEN n > %s THEN xicheng_count_estimate(%s) ELSE n END, n > %s"
            f" FROM (SELECT COUNT(*) AS n FROM ({inner}) AS page) AS counted",
            (limit, query, limit, *inner_params),
        )
        count, estimated = cursor.fetchone()
    return int(count), bool(estimated)


def rounded(count: int) -> int:
    """An estimate to two significant figures (55,213 → 55,000): no more precise than it is."""
    if count < 100:
        return count
    step = 10 ** (int(math.log10(count)) - 1)
    return int(round(count / step) * step)


class EstimatedPage(Page):
    paginator: EstimatedPaginator

    def has_next(self) -> bool:
        more = getattr(self, "more", None)
        return super().has_next() if more is None else bool(more)

    def pages_about(self) -> int:
        """How many pages an estimated list has, about: never fewer than this one and the next."""
        return max(self.paginator.num_pages, self.number + (1 if self.has_next() else 0))

    def near(self) -> list[int]:
        """The numbers of the pages around this one (two each side), for links to them."""
        last = self.number + 2 if self.has_next() else self.number
        if not self.paginator.estimated:
            last = min(last, self.paginator.num_pages)
        return list(range(max(1, self.number - 2), last + 1))


class EstimatedPaginator(Paginator):
    """A Paginator whose `count` is exact up to `EXACT_COUNT_LIMIT` rows and estimated past it
    (`estimated` says which); on SQLite it is always exact."""

    estimated = False

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if not isinstance(rows, QuerySet) or connections[rows.db].vendor != "postgresql":
            return int(super().count)
        limit = exact_count_limit()
        # Counting stops past the limit: a big list costs `limit` rows, not all of them.
        count, self.estimated = bounded_count(rows, limit)
        if not self.estimated:
            return count
        # The planner may guess fewer rows than were just counted past the limit: then all the
        # page knows is "more than the limit", and says so rather than a wrong "about".
        self.more_than_limit = rounded(count) <= limit
        return max(rounded(count), limit + 1)

    more_than_limit = False

    def shown_count(self) -> str:
        """The count as the page says it: "55,213", "约 55,000 条" for an estimate, or "超过
        10,000 条" when the estimate fell short of the rows counted."""
        if not self.estimated:
            return str(self.count)
        if self.more_than_limit:
            return _("more than %(count)s rows") % {"count": f"{exact_count_limit():,}"}
        return _("about %(count)s rows") % {"count": f"{self.count:,}"}

    def validate_number(self, number: Any) -> int:
        count = self.count  # first: it decides whether the count is estimated
        if not self.estimated or not count:
            return int(super().validate_number(number))
        # The estimate may fall short of the rows: any page is asked for, and an empty one is
        # shown empty, with its way back.
        try:
            number = int(number)
        except (TypeError, ValueError):
            return int(super().validate_number(number))
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def page(self, number: Any) -> EstimatedPage:
        number = self.validate_number(number)
        if not self.estimated:
            page = super().page(number)  # Django's arithmetic; _get_page reads the rows
            assert isinstance(page, EstimatedPage)
            return page
        bottom = (number - 1) * self.per_page
        rows = self.rows(bottom, bottom + self.per_page + 1)
        page = EstimatedPage(rows[: self.per_page], number, self)
        page.more = len(rows) > self.per_page  # type: ignore[attr-defined]
        return page

    def rows(self, bottom: int, top: int) -> list[Any]:
        """The rows from `bottom` to `top` in the list's order, in two queries: first their ids,
        reading only what the order and the filter need (the scope's subqueries, the ordering's
        index), then those rows with every join the page shows. One query would join the houses,
        areas and users of every row in scope before sorting them, to keep fifty."""
        rows = self.object_list
        if not isinstance(rows, QuerySet) or rows.query.is_sliced or rows.query.combinator or rows.query.distinct:
            return list(rows[bottom:top])
        ids = list(rows.values_list("pk", flat=True)[bottom:top])
        if not ids:
            return []
        found = {row.pk: row for row in rows.order_by().filter(pk__in=ids)}
        return [found[pk] for pk in ids if pk in found]

    def get_page(self, number: Any) -> EstimatedPage:
        page = super().get_page(number)
        assert isinstance(page, EstimatedPage)
        return page

    def _get_page(self, object_list: Any, number: int, paginator: Paginator) -> EstimatedPage:
        # Django hands over the page's slice of the list unread: read it as `rows` does.
        if isinstance(object_list, QuerySet) and object_list.query.is_sliced and object_list.query.high_mark:
            object_list = self.rows(object_list.query.low_mark, object_list.query.high_mark)
        return EstimatedPage(object_list, number, paginator)
