"""The overview as an .xlsx workbook: one sheet per section, numbers as numbers, lights as colours."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from xicheng.overview import Overview, overview_as_dict
from xicheng.progress import Light
from xicheng.resources import defuse_formula

FILLS = {
    Light.DONE.value: PatternFill("solid", fgColor="BFDBFE"),
    Light.GREEN.value: PatternFill("solid", fgColor="BBF7D0"),
    Light.YELLOW.value: PatternFill("solid", fgColor="FDE68A"),
    Light.RED.value: PatternFill("solid", fgColor="FECACA"),
}
safe = defuse_formula


def _sheet(wb: Workbook, title: str, columns: list[str], rows: list[list[Any]]) -> Any:
    name = "".join("_" if ch in "[]:*?/\\" else ch for ch in title)[:28]
    taken = set(wb.sheetnames)
    unique, n = name, 2
    while unique in taken:
        unique, n = f"{name[:26]}{n}", n + 1
    ws = wb.create_sheet(title=unique)
    ws.append([safe(c) for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([safe(v) for v in row])
    for i, column in enumerate(columns, start=1):
        width = max([len(str(column))] + [len(str(r[i - 1])) for r in rows if i - 1 < len(r)]) * 2 + 2
        ws.column_dimensions[get_column_letter(i)].width = min(width, 60)
    ws.freeze_panes = "A2"
    return ws


def overview_workbook(ov: Overview) -> bytes:
    data = overview_as_dict(ov)
    wb = Workbook()
    wb.remove(wb.active)
    labels = {light.value: str(light.label) for light in Light}
    columns = [
        _("Work line"),
        _("Indicator"),
        _("Unit"),
        _("Area"),
        _("Period"),
        _("Actual"),
        _("Target"),
        _("Done %"),
        _("Expected by now"),
        _("Gap (points)"),
        _("Light"),
    ]
    rows = [
        [t["work_line"], t["indicator"], t["unit"], t["area"], t["period"], t["actual"], t["target"], t["percent"],
         t["expected"], t["gap"], labels[t["light"]]]
        for t in data["targets"]
    ]  # fmt: skip
    ws = _sheet(wb, _("Targets"), columns, rows)
    for index, target in enumerate(data["targets"], start=2):
        ws.cell(row=index, column=len(columns)).fill = FILLS[target["light"]]
    ws.append([])
    ws.append([_("Period"), data["period"]["label"], _("As of"), data["as_of"]])

    for section in data["sections"]:
        for table in section["tables"]:
            _sheet(wb, str(table["title"]), table["columns"], table["rows"])

    _sheet(
        wb,
        _("Red-light list"),
        [_("Kind"), _("What"), _("Area"), _("Due")],
        [[a["kind_label"], a["title"], a["area"], a["due"] or ""] for a in data["alerts"]],
    )
    for trend in data["trends"]:
        _sheet(
            wb,
            _("Trend") + " " + trend["indicator"],
            [_("Week ending"), _("Actual"), _("Pace")],
            [[w, a, p] for w, a, p in zip(trend["weeks"], trend["actual"], trend["pace"], strict=True)],
        )
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
