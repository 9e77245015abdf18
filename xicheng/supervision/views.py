"""The pages of 督办: a case and the steps its owner and issuer take on it, opening one from a red
item, the lists (我的督办, a cadre's cases), the notification centre. Thin: each reads through the
user's scope, validates a form and calls one service; the rules are the services'."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from xicheng.forms import save_form, submit_form
from xicheng.params import ParamError
from xicheng.registers import list_context, page_of, query_without_page
from xicheng.roles import Role, roles_of
from xicheng.scope import area_of, can_change
from xicheng.supervision import forms as f
from xicheng.supervision import services
from xicheng.supervision.channels import CHANNELS
from xicheng.supervision.filters import CaseFilter
from xicheng.supervision.kinds import record_for, supervisable_kinds
from xicheng.supervision.models import Case, Channel, Notification, notification_kinds
from xicheng.supervision.notifications import (
    OUTBOUND,
    notification_mark_read,
    notification_preferences_save,
    notifications_mark_all_read,
    preferences_of,
)
from xicheng.supervision.selectors import cases_for, kind_label, record_of
from xicheng.views import bad_params_page

if TYPE_CHECKING:
    from xicheng.roles import AnyUser, AuthenticatedHttpRequest


def may_open_cases(user: AnyUser) -> bool:
    """A leader who holds the right to open cases (the service says the same)."""
    return Role.LEADER in roles_of(user) and user.has_perm("supervision.add_case")


# The steps, each a form and its service -------------------------------------------------------


@dataclass(frozen=True)
class StepAction:
    key: str
    form: type[forms.Form]
    service: Callable[..., Any]
    title: Any  # the form's heading on the case page
    button: Any
    done: Any  # the message after it was taken

    @property
    def url_name(self) -> str:
        return f"supervision:case_{self.key}"


def _decide(*, case: Case, approve: bool, version: int, acting_user: Any, text: str = "") -> Any:
    return services.case_decide_extension(
        case=case, approve=approve, version=version, acting_user=acting_user, text=text
    )


def _step(key: str, form: type[forms.Form], service: Callable[..., Any], **words: Any) -> StepAction:
    return StepAction(key=key, form=form, service=service, **words)


STEPS: dict[str, StepAction] = {
    step.key: step
    for step in (
        _step(
            "acknowledge",
            f.AcknowledgeForm,
            services.case_acknowledge,
            title=gettext_lazy("Acknowledge"),
            button=gettext_lazy("Acknowledge"),
            done=gettext_lazy("Acknowledged."),
        ),
        _step(
            "reply",
            f.ReplyForm,
            services.case_reply,
            title=gettext_lazy("Report progress"),
            button=gettext_lazy("Send"),
            done=gettext_lazy("Your progress report was sent."),
        ),
        _step(
            "report",
            f.ReportDoneForm,
            services.case_report_done,
            title=gettext_lazy("Report done"),
            button=gettext_lazy("Report done"),
            done=gettext_lazy("Reported done."),
        ),
        _step(
            "extension",
            f.ExtensionRequestForm,
            services.case_request_extension,
            title=gettext_lazy("Ask for more time"),
            button=gettext_lazy("Ask for more time"),
            done=gettext_lazy("The extension was asked for."),
        ),
        _step(
            "decide",
            f.DecideExtensionForm,
            _decide,
            title=gettext_lazy("Extension asked for"),
            button=gettext_lazy("Approve"),
            done=gettext_lazy("The extension was decided."),
        ),
        _step(
            "accept",
            f.AcceptForm,
            services.case_accept,
            title=gettext_lazy("Accept the work"),
            button=gettext_lazy("Accept"),
            done=gettext_lazy("Accepted: the case is closed."),
        ),
        _step(
            "send_back",
            f.SendBackForm,
            services.case_send_back,
            title=gettext_lazy("Send back to be redone"),
            button=gettext_lazy("Send back"),
            done=gettext_lazy("Sent back."),
        ),
    )
}


def _forms_for(case: Case, user: AnyUser, bound: dict[str, forms.Form] | None = None) -> dict[str, forms.Form]:
    """The step forms this user may take on the case now, by step: the owner's while it is hers to
    move, the issuer's while something waits on him. A form that was just refused comes back bound."""
    bound = bound or {}
    keys: list[str] = []
    status = case.status
    if user.pk == case.owner_id:
        if status == Case.Status.OPENED:
            keys.append("acknowledge")
        elif status == Case.Status.ACKNOWLEDGED:
            keys += ["reply", "report"]
            if case.extension_requested_to is None:
                keys.append("extension")
    if user.pk == case.issuer_id:
        if case.extension_requested_to is not None and status != Case.Status.CLOSED:
            keys.append("decide")
        if status == Case.Status.REPORTED:
            keys += ["accept", "send_back"]
    # A refused form is shown even when the case has moved on, with its message.
    keys += [key for key in bound if key not in keys]
    initial = {"version": case.version}
    return {key: bound.get(key) or STEPS[key].form(initial=initial) for key in keys}


def _action_list(action_forms: dict[str, forms.Form]) -> list[dict[str, Any]]:
    """The step forms in the page's order, each with its heading, button and address."""
    return [{"key": key, "form": action_forms[key], "step": step} for key, step in STEPS.items() if key in action_forms]


def _case_page(
    request: AuthenticatedHttpRequest, case: Case, *, bound: dict[str, forms.Form] | None = None, status: int = 200
) -> HttpResponse:
    record, url = record_of(case, request.user)
    steps = case.steps.select_related("actor__cadre", "to_user__cadre")
    action_forms = _forms_for(case, request.user, bound) if can_change(request.user, case) else {}
    context = {
        "case": case,
        "record": record,
        "record_url": url,
        "kind_label": kind_label(case.kind),
        "steps": steps,
        "actions": _action_list(action_forms),
        "today": timezone.localdate(),
        "ladder": [(rung, Case.Rung(rung).label, holder) for rung, holder in case.escalation_chain],
    }
    return render(request, "supervision/case_detail.html", context, status=status)


def case_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(cases_for(request.user), pk=pk)
    return _case_page(request, case)


def _next_url(request: AuthenticatedHttpRequest, default: str) -> str:
    asked = request.POST.get("next", "")
    if asked and url_has_allowed_host_and_scheme(asked, allowed_hosts={request.get_host()}):
        return asked
    return default


def _step_view(key: str) -> Callable[..., HttpResponse]:
    step = STEPS[key]

    def view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
        case = get_object_or_404(cases_for(request.user), pk=pk)
        form = step.form(request.POST, request.FILES)

        def service(**data: Any) -> Any:
            if not data.get("attachment"):
                data.pop("attachment", None)
            return step.service(case=case, acting_user=request.user, **data)

        if submit_form(request, case, form, service) is not None:
            messages.success(request, str(step.done))
            return redirect(_next_url(request, reverse("supervision:case_detail", args=[case.pk])))
        # Refused: the case as it stands now, the form with what was typed and why it was refused.
        case = get_object_or_404(cases_for(request.user), pk=pk)
        return _case_page(request, case, bound={key: form}, status=400)

    view.__name__ = view.__qualname__ = f"case_{key}"
    return require_POST(view)


case_acknowledge = _step_view("acknowledge")
case_reply = _step_view("reply")
case_request_extension = _step_view("extension")
case_report_done = _step_view("report")
case_decide_extension = _step_view("decide")
case_send_back = _step_view("send_back")
case_accept = _step_view("accept")


# Opening a case -------------------------------------------------------------------------------


def case_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A leader opens a case on a record (`?kind=…&id=…`), from its red item or its page."""
    if not may_open_cases(request.user):
        raise PermissionDenied
    source = request.POST if request.method == "POST" else request.GET
    kind, raw_id = source.get("kind", ""), source.get("id", "")
    declared = supervisable_kinds().get(kind)
    errors: dict[str, list[str]] = {}
    if declared is None:
        errors["kind"] = [_("Choose a kind of record cases can be opened on.")]
    if not raw_id.isdigit():
        errors["id"] = [_("Give the record's number.")]
    if errors:
        return bad_params_page(request, ParamError(errors), retry_url=reverse("dashboard"))
    assert declared is not None
    record = record_for(declared, int(raw_id), request.user)
    if record is None:
        raise Http404(_("There is no such record among those you can see."))
    area = area_of(record)
    if area is None:
        message = _("This record lies in no area, so no one can be chased about it.")
        return bad_params_page(request, ParamError({"id": [message]}), retry_url=reverse("dashboard"))
    initial: dict[str, Any] = {"title": str(record)[:200]}
    responsible = getattr(record, "responsible", None)
    if responsible is not None:
        initial["owner"] = responsible.pk
    form = f.CaseOpenForm(request.POST if request.method == "POST" else None, area=area, initial=initial)
    if request.method == "POST":
        case = save_form(
            form, lambda **data: services.case_open(kind=kind, object_id=int(raw_id), acting_user=request.user, **data)
        )
        if case is not None:
            messages.success(request, _("The case was opened and its owner told."))
            return redirect("supervision:case_detail", pk=case.pk)
    return render(
        request,
        "supervision/case_new.html",
        {"form": form, "record": record, "kind": kind, "object_id": raw_id, "kind_label": declared.label},
        status=400 if form.is_bound else 200,
    )


# The lists ------------------------------------------------------------------------------------


def case_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """我的督办 and a cadre's cases: every case the user may see, filtered. A leader lands on what
    waits for his decision, a cadre on her own open cases."""
    query = request.GET.copy()
    if not query:
        query["mine"] = "waiting" if may_open_cases(request.user) else "open"
    filterset = CaseFilter(query, queryset=cases_for(request.user), request=request)
    context = list_context(request, filterset)
    query.pop("page", None)
    context["query"] = query.urlencode()
    context["today"] = timezone.localdate()
    # A leader's views are what he issued and what waits on him; a cadre's, what is hers.
    shown = ("waiting", "issued", "open") if may_open_cases(request.user) else ("owned", "open")
    context["tabs"] = [(key, label) for key, label in CaseFilter.MINE_CHOICES if key in shown]
    context["mine"] = query.get("mine", "")
    return render(request, "supervision/case_list.html", context)


# Notifications --------------------------------------------------------------------------------


def notification_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's own notifications, newest first, each linking to its case."""
    rows = Notification.objects.filter(recipient=request.user)
    context = {"page": page_of(request, rows), "query": query_without_page(request)}
    return render(request, "supervision/notification_list.html", context)


@require_POST
def notification_read(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(Notification.objects.filter(recipient=request.user), pk=pk)
    notification_mark_read(notification=notification, acting_user=request.user)
    if notification.case_id:
        default = reverse("supervision:case_detail", args=[notification.case_id])
    elif notification.link.startswith("/"):
        default = notification.link
    else:
        default = reverse("notifications:list")
    return redirect(_next_url(request, default))


@require_POST
def notifications_read_all(request: AuthenticatedHttpRequest) -> HttpResponse:
    count = notifications_mark_all_read(acting_user=request.user)
    if count:
        messages.success(request, _("All notifications were marked read."))
    return redirect(_next_url(request, reverse("notifications:list")))


UNREACHABLE: dict[str, Any] = {
    Channel.DINGTALK: gettext_lazy("you are in no DingTalk group the system administrator keeps"),
    Channel.WECOM: gettext_lazy("you are in no WeCom group the system administrator keeps"),
    Channel.EMAIL: gettext_lazy("your account has no e-mail address"),
    Channel.SMS: gettext_lazy("no SMS gateway is set up, or your phone number is missing"),
}


def notification_preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    """One's own choice, kind by kind: whether to be told (a case given to one always is) and over
    which channels beside the in-app centre. Saved all at once, or not at all."""
    form = f.PreferencesForm(
        request.POST if request.method == "POST" else None,
        current=preferences_of(request.user),
        labels=dict(notification_kinds()),
    )
    if request.method == "POST":
        saved = save_form(form, lambda **data: notification_preferences_save(user=request.user, choices=form.choices()))
        if saved is not None:
            messages.success(request, _("Your notification preferences were saved."))
            return redirect("notifications:preferences")
    # The channels that cannot reach the user now, and why: said under the table.
    unreachable = [
        (Channel(key).label, UNREACHABLE[key]) for key in OUTBOUND if not CHANNELS[key].reaches(request.user)
    ]
    context = {"form": form, "channels": [Channel(key).label for key in OUTBOUND], "unreachable": unreachable}
    return render(request, "supervision/notification_preferences.html", context, status=400 if form.errors else 200)
