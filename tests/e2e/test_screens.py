"""Pages that read well, on the demo data: the big screen fills a 1920×1080 wall with readable
colours and nothing to scroll; a cadre's pages fit a 360 px phone with tap targets of 44 px."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from django.contrib.auth.models import User

from tests.e2e.conftest import PASSWORD, login, screenshot
from xicheng.demo import seed

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TODAY = date(2026, 11, 26)

# Every element with text of its own: its colour against the first opaque background found walking
# up from it, as WCAG 2 computes contrast.
CONTRAST = """() => {
  const rgb = s => { const m = s.match(/[\\d.]+/g).map(Number); return {r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1}; };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
                     return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const ground = el => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor); if (c.a > 0) return c; }
                         return {r: 255, g: 255, b: 255, a: 1}; };
  const worst = [];
  for (const el of document.body.querySelectorAll('*')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length || getComputedStyle(el).visibility === 'hidden') continue;
    const a = lum(rgb(getComputedStyle(el).color)), b = lum(ground(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) worst.push(`${el.tagName}.${el.className} "${el.textContent.trim().slice(0, 20)}" ${ratio.toFixed(2)}`);
  }
  return worst;
}"""

# Every visible link, button, field and disclosure smaller than a finger: links, buttons and the
# labels of radios and checkboxes under 44×44 px, fields under 44 px high.
SMALL_TARGETS = """() => {
  const small = [];
  for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, summary')) {
    // A radio or a checkbox is tapped through its label, the target a finger meets.
    const target = el.matches('[type=radio], [type=checkbox]') && el.closest('label') ? el.closest('label') : el;
    const r = target.getBoundingClientRect();
    if (!r.width || !r.height || getComputedStyle(el).visibility === 'hidden') continue;
    const field = el.matches('input, select') && target === el;
    if (r.height < 44 || (!field && r.width < 44))
      small.push(`${el.tagName} "${(el.textContent || el.name || '').trim().slice(0, 20)}" ${Math.round(r.width)}×${Math.round(r.height)}`);
  }
  return small;
}"""


@pytest.fixture
def demo(live_server: Any) -> None:
    seed(today=TODAY, scale=1, out=io.StringIO())
    for username in ("li", "zhao"):
        user = User.objects.get(username=username)
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])


def test_the_big_screen_fills_the_wall_without_scrolling_and_every_text_reads(
    desktop: Any, live_server: Any, demo: None
) -> None:
    login(desktop, live_server, "zhao")
    # The demo's day, and today: the 督办 panel of escalated cases shows only today (cases keep no past).
    for query, escalated in ((f"?period=h2&year=2026&as_of={TODAY}", 0), ("", 2)):
        desktop.goto(f"{live_server.url}/dashboard/screen/{query}")
        size = desktop.evaluate(
            "() => ({w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight,"
            " iw: innerWidth, ih: innerHeight})"
        )
        assert size["w"] <= size["iw"] and size["h"] <= size["ih"], size
        assert desktop.locator(".tile").count() == 4
        assert desktop.locator(".wall-target").count() > 0
        assert desktop.locator('.wall-case[data-kind="case_escalated"]').count() == escalated
        overflowing = desktop.evaluate(
            "() => [...document.querySelectorAll('.tile, .wall-targets, .wall-panel, .wall-alerts, .wall-alert:not([hidden])')]"
            ".filter(el => el.getBoundingClientRect().bottom > innerHeight + 1 || el.getBoundingClientRect().right > innerWidth + 1)"
            ".map(el => el.className)"
        )
        assert overflowing == []
        assert desktop.evaluate(CONTRAST) == []
        screenshot(desktop, "big-screen" if escalated else "big-screen-as-of")


CADRE_PAGES = [
    "/my/",
    "/my/updates/",
    "/tasks/",
    "/tasks/{task}/",
    "/projects/households/",
    "/projects/issues/",
    "/projects/issues/new/",
    "/projects/milestones/",
    "/projects/leads/",
    "/projects/leads/new/",
    "/governance/",
    "/governance/houses/",
    "/governance/houses/new/",
    "/governance/inspect/",
    "/governance/houses/{house}/",
    "/governance/houses/{house}/inspect/",
    "/governance/inspections/",
    "/governance/migrants/",
    "/governance/hazards/",
    "/governance/disputes/",
    "/governance/disputes/new/",
    "/governance/zero-reports/",
    "/welfare/centres/",
    "/welfare/centres/{centre}/sheet/",
    "/welfare/elders/",
    "/welfare/elders/{elder}/",
    "/welfare/elders/new/",
    "/welfare/deliveries/",
    "/welfare/meals/",
    "/welfare/served-villages/",
    "/welfare/safety-checks/",
    "/supervision/",
    "/supervision/cases/{case}/",
    "/notifications/",
    "/notifications/preferences/",
]


def test_a_cadres_pages_fit_a_phone_with_tap_targets_a_finger_can_hit(
    browser: Any, live_server: Any, demo: None
) -> None:
    from governance.models import RentalHouse
    from welfare.models import CareCenter, Elder
    from xicheng.models import Task
    from xicheng.supervision.models import Case

    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    page = context.new_page()
    login(page, live_server, "li")
    li = User.objects.get(username="li")
    task = Task.objects.filter(responsible=li).first()
    centre = CareCenter.objects.visible_to(li).first()
    house = RentalHouse.objects.visible_to(li).first()
    elder = Elder.objects.visible_to(li).first()
    case = Case.objects.filter(owner=li).first()
    assert task and centre and house and elder and case
    problems = {}
    for path in CADRE_PAGES:
        url = path.format(task=task.pk, centre=centre.pk, house=house.pk, elder=elder.pk, case=case.pk)
        response = page.goto(f"{live_server.url}{url}")
        assert response.status == 200, url
        wide = page.evaluate("document.documentElement.scrollWidth")
        small = page.evaluate(SMALL_TARGETS)
        if wide > 360 or small:
            problems[url] = {"width": wide, "small": small[:8]}
    screenshot(page, "cadre-phone-last")
    context.close()
    assert problems == {}
