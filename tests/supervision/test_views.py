"""督办's pages through the HTTP client: a case's page and its steps, opening a case from a red
item, the lists, *my work*, the notification centre and its unread count, the dashboard's section."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import Places, count_queries
from tests.factories import TaskFactory
from tests.supervision.conftest import People, fresh
from xicheng.models import Task
from xicheng.supervision import services as s
from xicheng.supervision.models import Case, CaseStep, Notification

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def open_case(people: People, task: Task, **overrides: Any) -> Case:
    fields: dict[str, Any] = {
        "kind": "xicheng.task",
        "object_id": task.pk,
        "title": "老旧小区改造进度滞后",
        "instruction": "请限期完成。",
        "owner": fresh(people.li),
        "due_on": TODAY + timedelta(days=10),
        "acting_user": fresh(people.zhao),
    } | overrides
    return s.case_open(**fields)


def make_case(owner: Any, issuer: Any, area: Any, task: Task, **fields: Any) -> Case:
    """A case written straight to the table (many of them, for the query counts)."""
    values: dict[str, Any] = {
        "kind": "xicheng.task",
        "object_id": task.pk,
        "area": area,
        "title": "督办事项",
        "instruction": "限期整改。",
        "issuer": issuer,
        "owner": owner,
        "leader": issuer,
        "due_on": TODAY + timedelta(days=5),
        "ack_due_at": timezone.now(),
    } | fields
    return Case.objects.create(**values)


STEP_PATHS = {"decide": "extension/decide", "send_back": "send-back"}


def case_url(case: Case, step: str = "") -> str:
    return f"/supervision/cases/{case.pk}/" + (f"{STEP_PATHS.get(step, step)}/" if step else "")


# The case page and its steps ------------------------------------------------------------------


def test_the_case_page_shows_the_record_the_ladder_and_the_history(client: Client, people: People, task: Task) -> None:
    case = open_case(people, task)
    client.force_login(people.li)
    response = client.get(case_url(case))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="/tasks/{task.pk}/"' in page  # the record supervised
    assert "请限期完成。" in page and people.zhou.cadre.name in page and people.shu.cadre.name in page
    assert 'data-step="opened"' in page
    assert f'action="/supervision/cases/{case.pk}/acknowledge/"' in page  # hers to acknowledge
    assert "/accept/" not in page  # the issuer's forms are not hers


def test_the_issuer_sees_only_his_own_forms(client: Client, people: People, task: Task) -> None:
    case = open_case(people, task)
    client.force_login(people.zhao)
    page = client.get(case_url(case)).content.decode()
    assert "/acknowledge/" not in page and "/accept/" not in page  # nothing waits on him yet


def test_a_case_goes_its_whole_way_through_the_pages(client: Client, people: People, task: Task) -> None:
    case = open_case(people, task)
    owner, issuer = Client(), Client()
    owner.force_login(people.li)
    issuer.force_login(people.zhao)

    def version() -> int:
        case.refresh_from_db()
        return case.version

    assert owner.post(case_url(case, "acknowledge"), {"version": version()}).status_code == 302
    assert owner.post(case_url(case, "reply"), {"text": "已完成三栋楼的外立面"}).status_code == 302
    later = (case.due_on + timedelta(days=7)).isoformat()
    assert (
        owner.post(case_url(case, "extension"), {"version": version(), "due_on": later, "reason": "雨季"}).status_code
        == 302
    )
    page = issuer.get(case_url(case)).content.decode()
    assert f'action="{case_url(case, "decide")}"' in page
    assert issuer.post(case_url(case, "decide"), {"version": version(), "approve": "yes"}).status_code == 302
    assert owner.post(case_url(case, "report"), {"version": version(), "text": "全部完工"}).status_code == 302
    assert issuer.post(case_url(case, "send_back"), {"version": version(), "text": "缺照片"}).status_code == 302
    assert owner.post(case_url(case, "report"), {"version": version(), "text": "已补照片"}).status_code == 302
    assert issuer.post(case_url(case, "accept"), {"version": version()}).status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED and case.due_on.isoformat() == later
    kinds = list(case.steps.values_list("kind", flat=True))
    assert kinds == [
        "opened",
        "acknowledged",
        "replied",
        "extension_requested",
        "extension_approved",
        "reported",
        "sent_back",
        "reported",
        "accepted",
    ]


def test_a_reply_carries_its_attachment(
    client: Client, people: People, task: Task, settings: Any, tmp_path: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    case = open_case(people, task)
    s.case_acknowledge(case=case, version=case.version, acting_user=fresh(people.li))
    client.force_login(people.li)
    photo = SimpleUploadedFile("现场.jpg", b"\xff\xd8\xff\xe0 photo", content_type="image/jpeg")
    assert client.post(case_url(case, "reply"), {"text": "现场照片", "attachment": photo}).status_code == 302
    step = CaseStep.objects.get(kind="replied")
    assert step.attachment.name.endswith(".jpg")
    assert step.attachment.url in client.get(case_url(case)).content.decode()


def test_a_cadre_of_another_area_can_neither_see_nor_act_on_a_case(client: Client, people: People, task: Task) -> None:
    case = open_case(people, task)
    client.force_login(people.wang)
    assert client.get(case_url(case)).status_code == 404
    assert client.post(case_url(case, "acknowledge"), {"version": case.version}).status_code == 404
    assert case.title not in client.get("/supervision/?mine=").content.decode()
    case.refresh_from_db()
    assert case.status == Case.Status.OPENED


def test_the_wrong_actor_is_told_why_and_nothing_is_written(client: Client, people: People, task: Task) -> None:
    case = open_case(people, task)
    client.force_login(people.zhao)  # the issuer, not the owner
    response = client.post(case_url(case, "acknowledge"), {"version": case.version})
    assert response.status_code == 400
    assert "只有" in response.content.decode() or "Only the owner" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Case.Status.OPENED


def test_a_stale_form_shows_the_conflict_and_overwrites_nothing(client: Client, people: People, task: Task) -> None:
    case = open_case(people, task)
    read = case.version
    case = s.case_acknowledge(case=case, version=case.version, acting_user=fresh(people.li))  # meanwhile, elsewhere
    client.force_login(people.li)
    later = (case.due_on + timedelta(days=3)).isoformat()
    response = client.post(case_url(case, "extension"), {"version": read, "due_on": later, "reason": "材料未到"})
    assert response.status_code == 400
    action = next(a for a in response.context["actions"] if a["key"] == "extension")
    errors = " ".join(action["form"].non_field_errors())
    assert str(case.version) in errors and str(read) in errors  # "now at version 2; you read version 1"
    assert action["form"].data["version"] == str(case.version)  # sent again, it would be taken
    assert errors in html.unescape(response.content.decode())
    case.refresh_from_db()
    assert case.extension_requested_to is None


def test_a_form_with_nothing_typed_says_what_is_missing(client: Client, people: People, task: Task) -> None:
    case = open_case(people, task)
    s.case_acknowledge(case=case, version=case.version, acting_user=fresh(people.li))
    client.force_login(people.li)
    response = client.post(case_url(case, "report"), {"version": case.version + 1, "text": "  "})
    assert response.status_code == 400
    action = next(a for a in response.context["actions"] if a["key"] == "report")
    assert "text" in action["form"].errors


# Opening a case from a red item ---------------------------------------------------------------


def test_a_leader_opens_a_case_from_an_overdue_task_on_the_dashboard(
    client: Client, people: People, places: Places
) -> None:
    overdue: Any = TaskFactory(
        area=places.sifang,
        lead_leader=people.zhao,
        responsible=people.li,
        title="背街小巷整治",
        due_on=TODAY - timedelta(days=3),
    )
    client.force_login(people.zhao)
    dashboard = client.get("/dashboard/").content.decode()
    link = f"/supervision/cases/new/?kind=xicheng.task&amp;id={overdue.pk}"
    assert link in dashboard
    form = client.get(link.replace("&amp;", "&"))
    assert form.status_code == 200
    assert form.context["form"]["owner"].value() == people.li.pk  # the task's responsible cadre
    due = (TODAY + timedelta(days=5)).isoformat()
    response = client.post(
        "/supervision/cases/new/",
        {
            "kind": "xicheng.task",
            "id": overdue.pk,
            "title": "背街小巷整治",
            "instruction": "本周内完成",
            "owner": people.li.pk,
            "due_on": due,
            "level": "key",
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == case_url(case)
    assert (case.owner, case.issuer, case.level, case.object_id) == (people.li, people.zhao, "key", overdue.pk)
    assert Notification.objects.filter(recipient=people.li, case=case).exists()


def test_the_task_page_offers_a_leader_to_open_a_case(client: Client, people: People, task: Task) -> None:
    client.force_login(people.zhao)
    assert f"kind=xicheng.task&amp;id={task.pk}" in client.get(f"/tasks/{task.pk}/").content.decode()
    client.force_login(people.li)
    assert "/supervision/cases/new/" not in client.get(f"/tasks/{task.pk}/").content.decode()


def test_only_a_leader_opens_a_case_and_never_due_in_the_past(client: Client, people: People, task: Task) -> None:
    url = f"/supervision/cases/new/?kind=xicheng.task&id={task.pk}"
    client.force_login(people.li)
    assert client.get(url).status_code == 403
    client.force_login(people.zhao)
    data = {"kind": "xicheng.task", "id": task.pk, "title": "t", "instruction": "i", "owner": people.li.pk}
    response = client.post(url, {**data, "due_on": (TODAY - timedelta(days=1)).isoformat(), "level": "general"})
    assert response.status_code == 400 and "due_on" in response.context["form"].errors
    assert not Case.objects.exists()
    # The owner is a cadre of the record's area or above: 王 of 飞凤 is not offered for 四方's task.
    response = client.post(url, {**data, "owner": people.wang.pk, "due_on": TODAY.isoformat(), "level": "general"})
    assert response.status_code == 400 and "owner" in response.context["form"].errors
    assert client.get("/supervision/cases/new/?kind=nothing&id=1").status_code == 400
    assert client.get(f"/supervision/cases/new/?kind=xicheng.task&id={task.pk + 999}").status_code == 404


# My work ---------------------------------------------------------------------------------------


def test_my_work_shows_the_cases_to_acknowledge_first_and_takes_the_acknowledgement_and_a_reply(
    client: Client, people: People, task: Task
) -> None:
    case = open_case(people, task)
    client.force_login(people.li)
    page = client.get("/my/").content.decode()
    assert page.index(f'id="case-{case.pk}"') < page.index('id="my-tasks"')
    response = client.post(case_url(case, "acknowledge"), {"version": case.version, "next": "/my/"})
    assert response.status_code == 302 and response["Location"] == "/my/"
    page = client.get("/my/").content.decode()
    assert f'action="/supervision/cases/{case.pk}/reply/"' in page
    response = client.post(case_url(case, "reply"), {"text": "已进场施工", "next": "/my/"})
    assert response.status_code == 302
    assert CaseStep.objects.filter(case=case, kind="replied", text="已进场施工").exists()


def test_a_next_address_elsewhere_is_not_followed(client: Client, people: People, task: Task) -> None:
    case = open_case(people, task)
    client.force_login(people.li)
    response = client.post(case_url(case, "acknowledge"), {"version": case.version, "next": "https://evil.example/"})
    assert response["Location"] == case_url(case)


# Notifications ----------------------------------------------------------------------------------


def test_a_new_case_shows_in_the_unread_count_and_the_notification_centre(
    client: Client, people: People, task: Task
) -> None:
    case = open_case(people, task)
    client.force_login(people.li)
    page = client.get("/my/").content.decode()
    assert 'class="unread-count" data-unread="1"' in page
    listing = client.get("/notifications/").content.decode()
    assert case.title in listing and case_url(case) in listing
    notification = Notification.objects.get(recipient=people.li)
    response = client.post(f"/notifications/{notification.pk}/read/")
    assert response.status_code == 302 and response["Location"] == case_url(case)
    assert "unread-count" not in client.get("/my/").content.decode()


def test_all_notifications_are_marked_read_at_once_and_only_ones_own(
    client: Client, people: People, task: Task
) -> None:
    open_case(people, task)
    open_case(people, task, owner=fresh(people.zhou))
    client.force_login(people.li)
    assert client.post("/notifications/read-all/").status_code == 302
    assert not Notification.objects.filter(recipient=people.li, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=people.zhou, read_at__isnull=True).exists()
    others = Notification.objects.get(recipient=people.zhou)
    assert client.post(f"/notifications/{others.pk}/read/").status_code == 404


def test_the_unread_count_costs_one_query_and_none_signed_out(client: Client, people: People, task: Task) -> None:
    open_case(people, task)
    with CaptureQueriesContext(connection) as signed_out:
        client.get("/accounts/login/")
    assert not [q for q in signed_out.captured_queries if "supervision_notification" in q["sql"]]
    client.force_login(people.li)
    with CaptureQueriesContext(connection) as signed_in:
        client.get("/tasks/")
    assert len([q for q in signed_in.captured_queries if "supervision_notification" in q["sql"]]) == 1


# Lists -------------------------------------------------------------------------------------------


def test_a_leader_lands_on_what_waits_for_his_decision(client: Client, people: People, task: Task) -> None:
    waiting = open_case(people, task, title="待验收事项")
    li = fresh(people.li)
    waiting = s.case_acknowledge(case=waiting, version=waiting.version, acting_user=li)
    s.case_report_done(case=waiting, text="完成", version=waiting.version, acting_user=li)
    open_case(people, task, title="刚开的事项")
    client.force_login(people.zhao)
    page = client.get("/supervision/").content.decode()
    assert "待验收事项" in page and "刚开的事项" not in page
    page = client.get("/supervision/?mine=issued").content.decode()
    assert "待验收事项" in page and "刚开的事项" in page


def test_the_case_list_filters_by_status_level_light_and_overdue(
    client: Client, people: People, task: Task, places: Places
) -> None:
    late = make_case(people.li, people.zhao, places.sifang, task, title="逾期事项", due_on=TODAY - timedelta(days=2))
    make_case(people.li, people.zhao, places.sifang, task, title="重点事项", level="key")
    escalated = make_case(people.li, people.zhao, places.sifang, task, title="升级事项", escalation=1)
    client.force_login(people.li)

    def titles(query: str) -> set[str]:
        response = client.get(f"/supervision/?{query}")
        assert response.status_code == 200
        return {case.title for case in response.context["page"]}

    assert titles("mine=owned") == {"逾期事项", "重点事项", "升级事项"}
    assert titles("overdue=true") == {late.title}
    assert titles("level=key") == {"重点事项"}
    assert titles("light=escalated") == {escalated.title}
    assert titles("light=overdue") == {late.title}
    assert titles("status=closed") == set()


def test_lists_cost_the_same_for_few_and_many_cases(client: Client, people: People, task: Task, places: Places) -> None:
    def add(n: int) -> None:
        for i in range(n):
            case = make_case(
                people.li, people.zhao, places.sifang, task, title=f"事项{i}", due_on=TODAY + timedelta(days=4 - i % 9)
            )
            Notification.objects.create(recipient=people.li, kind="case_opened", case=case, title=case.title)

    add(2)
    client.force_login(people.li)
    urls = ["/supervision/?mine=", "/supervision/?mine=owned&overdue=false", "/notifications/", "/my/"]
    for url in urls:
        assert client.get(url).status_code == 200
    small = [count_queries(lambda url=url: client.get(url)) for url in urls]
    add(40)
    large = [count_queries(lambda url=url: client.get(url)) for url in urls]
    assert small == large, dict(zip(urls, zip(small, large, strict=True), strict=True))


# The dashboard ------------------------------------------------------------------------------------


def test_the_dashboard_shows_cases_by_level_the_escalated_and_the_on_time_ranking(
    client: Client, people: People, task: Task, places: Places
) -> None:
    make_case(
        people.li, people.zhao, places.sifang, task, title="升级的事项", escalation=2, due_on=TODAY - timedelta(days=5)
    )
    done = make_case(people.wang, people.zhao, places.feifeng, task, title="按时办结", level="key", due_on=TODAY)
    done.status, done.reported_at = Case.Status.CLOSED, timezone.now() - timedelta(days=1)
    done.save(update_fields=["status", "reported_at"])
    client.force_login(people.zhao)
    response = client.get("/dashboard/")
    tables = {
        t.key: t
        for section, data in response.context["ov"].sections
        if section.key == "supervision"
        for t in data.tables
    }
    general, key, special, total = (row[1:] for row in tables["cases_by_level"].rows)
    assert (general, key, special, total) == ([1, 1, 1], [0, 0, 0], [0, 0, 0], [1, 1, 1])
    assert [row[0] for row in tables["cases_escalated"].rows] == ["升级的事项"]
    ranking = {row[0]: row[-1] for row in tables["cases_on_time"].rows}
    assert ranking == {people.wang.cadre.name: 100.0, people.li.cadre.name: 0.0}
    assert 'id="section-supervision"' in response.content.decode()


def test_a_case_opened_is_on_the_dashboard_at_once(
    client: Client, people: People, task: Task, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.DASHBOARD_CACHE_SECONDS = 600
    client.force_login(people.zhao)
    client.get("/dashboard/")  # cached
    with django_capture_on_commit_callbacks(execute=True):
        open_case(people, task)
    response = client.get("/dashboard/")
    tables = {
        t.key: t
        for section, data in response.context["ov"].sections
        if section.key == "supervision"
        for t in data.tables
    }
    assert tables["cases_by_level"].rows[-1][1] == 1  # the total of open cases


def test_a_past_day_has_no_supervision_section(people: People, task: Task) -> None:
    from xicheng.figures import Figures
    from xicheng.periods import Period
    from xicheng.supervision.dashboard import build

    open_case(people, task)
    past = TODAY - timedelta(days=40)
    assert build(fresh(people.zhao), Period(past, TODAY), past, Figures(past)) is None
    assert build(fresh(people.zhao), Period(past, TODAY), TODAY, Figures(TODAY)) is not None


def test_a_red_target_and_an_overdue_task_each_offer_a_leader_their_case() -> None:
    from django.urls import reverse

    from xicheng.dashboard import Alert
    from xicheng.roles import Role
    from xicheng.supervision.templatetags.supervision import supervise_url

    def alert(kind: str, url: str) -> Alert:
        return Alert(kind=kind, kind_label=kind, title="t", area="a", due=None, url=url)

    leader = {"user_roles": frozenset({Role.LEADER})}
    target = alert("target_red", reverse("dashboard_areas", args=[5]))
    task = alert("task_overdue", reverse("task_detail", args=[7]))
    assert supervise_url(leader, target) == "/supervision/cases/new/?kind=xicheng.target&id=5"
    assert supervise_url(leader, task) == "/supervision/cases/new/?kind=xicheng.task&id=7"
    assert supervise_url({"user_roles": frozenset({Role.CADRE})}, task) == ""
    # A village's missing zero report names no record a case can be opened on.
    assert supervise_url(leader, alert("zero_report_missing", "/governance/zero-reports/missing/")) == ""


def test_the_red_light_items_escape_what_they_show_and_offer_cases_to_leaders_only() -> None:
    from datetime import date

    from django.urls import reverse

    from xicheng.dashboard import Alert
    from xicheng.roles import Role
    from xicheng.supervision.templatetags.supervision import alert_items

    task = Alert(
        kind="task_overdue",
        kind_label="<i>Overdue</i>",
        title='<script>alert("x")</script>',
        area="四方 & 飞凤",
        due=date(2026, 7, 3),
        url=reverse("task_detail", args=[7]),
        severity=2,
    )
    html = alert_items({"user_roles": frozenset({Role.LEADER})}, [task])
    assert html.startswith('<li class="alert severity-2" data-kind="task_overdue">')
    assert "<script>" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "&lt;i&gt;Overdue&lt;/i&gt;" in html and "四方 &amp; 飞凤 · 2026-07-03" in html
    assert 'href="/supervision/cases/new/?kind=xicheng.task&amp;id=7" data-supervise="task_overdue"' in html
    assert "data-supervise" not in alert_items({"user_roles": frozenset({Role.CADRE})}, [task])
    assert alert_items({"user_roles": frozenset({Role.LEADER})}, []) == ""


def test_a_domain_declares_which_red_items_name_its_supervisable_records(monkeypatch: pytest.MonkeyPatch) -> None:
    from xicheng import plugins
    from xicheng.dashboard import Alert
    from xicheng.roles import Role
    from xicheng.supervision.templatetags.supervision import supervise_url

    hazard = plugins.Supervisable("governance.hazard", "governance.Hazard", "Hazard", alerts=("hazard_overdue",))
    monkeypatch.setattr(plugins, "supervisable_kinds", lambda: {hazard.kind: hazard})
    item = Alert(
        kind="hazard_overdue", kind_label="", title="t", area="a", due=None, url="/governance/hazards/?id=3#hazard-3"
    )
    context = {"user_roles": frozenset({Role.LEADER})}
    assert supervise_url(context, item) == "/supervision/cases/new/?kind=governance.hazard&id=3"


def test_the_big_screen_lists_the_escalated_cases_first(
    client: Client, people: People, task: Task, places: Places
) -> None:
    make_case(people.li, people.zhao, places.sifang, task, title="升级到书记的事项", escalation=3)
    client.force_login(people.zhao)
    page = client.get("/dashboard/screen/").content.decode()
    assert 'data-kind="case_escalated"' in page and "升级到书记的事项" in page
