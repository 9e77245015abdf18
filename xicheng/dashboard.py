"""What the domain apps show on the kernel's pages, registered from each app's `dashboard.py`.

- `workbench`: sections of *my work* (我的工作台). Each panel's `context(request)` returns the
  template context, or None when there is nothing for this user; it must cost a fixed number of
  queries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest


@dataclass(frozen=True)
class Panel:
    key: str
    template: str
    context: Callable[[HttpRequest], dict[str, Any] | None]
    order: int = 100


class PanelRegistry:
    def __init__(self) -> None:
        self._panels: dict[str, Panel] = {}

    def register(self, panel: Panel) -> Panel:
        self._panels[panel.key] = panel
        return panel

    def __iter__(self) -> Any:
        return iter(sorted(self._panels.values(), key=lambda p: (p.order, p.key)))


workbench = PanelRegistry()
