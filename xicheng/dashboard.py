"""What the domain apps show on the kernel's pages, declared in each app's `dashboard.py`.

The kernel imports no domain app; it fills these registries when Django starts from what each app's
DomainConfig names (xicheng.plugins):

- `workbench`: sections of *my work* (我的工作台). A panel's `context(request)` returns the template
  context, or None when there is nothing for this user.
- `sections`: parts of the leaders' dashboard (领导驾驶舱). A section's
  `build(user, period, as_of, figures)` returns `SectionData`: tables of plain numbers (the page,
  the API and the xlsx workbook all read the same tables) and whatever else its template needs.
  `figures` (xicheng.figures.Figures) holds the metric values the overview has computed already
  (the targets'): a section asks it for a metric's values rather than querying them again, and
  limits what it asks to the user's dashboard scope (`xicheng.scope.dashboard_paths`).
- `alerts`: sources of the red-light list. Each returns the items that need a leader now.
- `nav`: links in the top bar.
- `screen_panels`: panels of the big screen (大屏) beside the red-light list. A panel's
  `context(overview)` reads what the overview holds already (a section's `extra`), never the
  database, and returns its template's context, or None when it has nothing to show.

Every callable here must cost a fixed number of queries whatever the data size, and must start
from the user's scope (`Model.objects.visible_to(user)`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe

if TYPE_CHECKING:
    from xicheng.figures import Figures
    from xicheng.periods import Period
    from xicheng.roles import AuthenticatedHttpRequest


@dataclass(frozen=True)
class Panel:
    key: str
    template: str
    context: Callable[[AuthenticatedHttpRequest], dict[str, Any] | None]  # "my work" is behind login
    order: int = 100


@dataclass
class Table:
    """A table of figures: numbers stay numbers so the workbook can sum them.

    `links` gives each row's drill-down URL (or None); `lights` each row's light (done, green,
    yellow, red or None), shown as a dot on the page and a cell colour in the workbook.

    `fold` (a ranking): the page shows the first and the last `fold` rows and folds the rest
    under a <details> the leader can open; the API and the workbook keep every row, in order."""

    key: str
    title: Any
    columns: list[Any]
    rows: list[list[Any]] = field(default_factory=list)
    links: list[str | None] = field(default_factory=list)
    lights: list[str | None] = field(default_factory=list)
    fold: int = 0

    def add(self, row: list[Any], *, link: str | None = None, light: str | None = None) -> None:
        """Append a row with its drill-down URL and its light."""
        self.rows.append(row)
        self.links.append(link)
        self.lights.append(light)

    def sort(self, key: Callable[[list[Any]], Any]) -> None:
        """Order the rows by `key` of each row; their links and lights move with them."""
        order = sorted(range(len(self.rows)), key=lambda i: key(self.rows[i]))
        self.rows = [self.rows[i] for i in order]
        self.links = [self.links[i] for i in order] if self.links else []
        self.lights = [self.lights[i] for i in order] if self.lights else []

    def rows_html(self, start: int, stop: int) -> list[SafeString]:
        """Rows `start` to `stop` as the page shows them: numbers right-aligned and localized, the
        first cell a link to the drill-down, the last with the row's light. Built here, not in a
        template: a city's rankings are a thousand rows of nine cells, which the template engine
        took a third of a second to render; a value met twice is localized once."""
        shown: dict[tuple[type, Any], str] = {}
        html = []
        for i in range(start, stop):
            row, link, light = self.rows[i], self._meta(self.links, i), self._meta(self.lights, i)
            cells = []
            for j, value in enumerate(row):
                key = (type(value), value)
                text = shown.get(key)
                if text is None:
                    text = shown[key] = str(conditional_escape(localize(value)))
                if j == 0 and link:
                    text = f'<a href="{escape(link)}">{text}</a>'
                if j == len(row) - 1 and light:
                    text = f'{text} <span class="light light-{escape(light)}" data-light="{escape(light)}"></span>'
                cells.append(f'<td class="num">{text}</td>' if isinstance(value, int | float) else f"<td>{text}</td>")
            html.append(mark_safe(f"<tr>{''.join(cells)}</tr>"))  # every value is escaped above
        return html

    @staticmethod
    def _meta(values: list[str | None], i: int) -> str | None:
        return values[i] if i < len(values) else None

    @property
    def folded(self) -> bool:
        """Whether the page folds rows: only when at least two would be hidden."""
        return self.fold > 0 and len(self.rows) > 2 * self.fold + 1

    @property
    def head(self) -> list[SafeString]:
        """The rows the page shows first: the top of a folded ranking, else every row."""
        return self.rows_html(0, self.fold if self.folded else len(self.rows))

    @property
    def middle(self) -> list[SafeString]:
        """The rows a folded ranking hides until opened."""
        return self.rows_html(self.fold, len(self.rows) - self.fold) if self.folded else []

    @property
    def tail(self) -> list[SafeString]:
        """The bottom of a folded ranking."""
        return self.rows_html(len(self.rows) - self.fold, len(self.rows)) if self.folded else []


@dataclass
class SectionData:
    tables: list[Table]
    extra: dict[str, Any] = field(default_factory=dict)  # anything else the template wants


@dataclass(frozen=True)
class Section:
    key: str
    title: Any
    build: Callable[[Any, Period, date, Figures], SectionData | None]
    template: str = "xicheng/_dashboard_section.html"
    order: int = 100
    # The apps ("projects") or models ("projects.household") whose rows it reads, the metrics'
    # facts included; None: any. Cached on its own, it is counted again only after a write to one
    # of them (xicheng.overview_cache.Parts).
    reads: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Alert:
    """One line of the red-light list: something that needs a leader's attention now."""

    kind: str  # e.g. "hazard_overdue"
    kind_label: Any  # a lazy translation, e.g. "Overdue hazard"
    title: str
    area: str
    due: date | None  # the deadline that passed, or the day it happened; urgency counts from it
    url: str
    severity: int = 1  # 1 needs attention, 2 is urgent; 3 is kept for red targets, which lead the list
    # The record the item is about, when its link names another (a stage's link is its project's
    # page): a leader opens a supervision case on it. Otherwise the link's `pk` or `?id=` names it.
    record_id: int | None = None


@dataclass(frozen=True)
class AlertSource:
    key: str
    collect: Callable[[Any, date], list[Alert]]
    reads: tuple[str, ...] | None = None  # as a Section's


@dataclass(frozen=True)
class ScreenPanel:
    key: str
    template: str
    context: Callable[[Any], dict[str, Any] | None]  # (overview) → context; no query
    order: int = 100


@dataclass(frozen=True)
class NavLink:
    label: Any
    url_name: str
    roles: frozenset[str]  # shown to users holding any of these roles
    order: int = 100


T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self) -> None:
        self._items: dict[str, T] = {}

    def register(self, item: T) -> T:
        # A NavLink is known by its url name, every other part by its key.
        self._items[item.key if hasattr(item, "key") else item.url_name] = item  # type: ignore[attr-defined]
        return item

    def __iter__(self) -> Any:
        return iter(sorted(self._items.values(), key=lambda i: (getattr(i, "order", 100), str(getattr(i, "key", "")))))

    def __len__(self) -> int:
        return len(self._items)


workbench: Registry[Panel] = Registry()
sections: Registry[Section] = Registry()
alerts: Registry[AlertSource] = Registry()
nav: Registry[NavLink] = Registry()
screen_panels: Registry[ScreenPanel] = Registry()
