"""The key projects' stage bars on the leaders' dashboard, written in Python: a city's 126
projects of six stages each were seven hundred list items, the slowest part of its page."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

register = template.Library()


@register.simple_tag
def stage_bars(bars: list[dict[str, Any]]) -> SafeString:
    """`<li>` per project: its link and its stages, each with its state (done, current, overdue,
    todo) as the bar's class and its planned end in the title."""
    label = escape(gettext("Stages"))
    items = []
    for bar in bars:
        stages = "".join(
            f'<li class="stage {escape(s["state"])}" title="{escape(s["name"])} · {escape(s["planned_end"])}">'
            f"{escape(s['name'])}</li>"
            for s in bar["stages"]
        )
        items.append(
            f'<li><a href="{escape(bar["url"])}">{escape(bar["project"])}</a>\n'
            f'    <ol class="stage-bar" aria-label="{label}">{stages}</ol></li>'
        )
    return mark_safe("\n".join(items))  # every value is escaped above
