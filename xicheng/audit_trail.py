"""Reads for the auditor's page (/audit/): account and security events, and the history of every
tracked record, searched by person, record, action and dates, each change shown field by field as
before → after.

A page costs a fixed number of queries whatever its length: the page itself, the previous version
of each record on it (one query), the many-to-many values of both (one per such field), and the
objects its foreign keys point at (one per foreign key, with what their names need joined in).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.models import registered_models

from xicheng.models import AuditEvent
from xicheng.personal import EncryptedCharField, masked, personal_kind
from xicheng.roles import role_label

# Fields that move with every change and say nothing of it (the optimistic-locking counter).
BOOKKEEPING_FIELDS = ("version",)

HISTORY_TYPES = [("+", gettext_lazy("Created")), ("~", gettext_lazy("Changed")), ("-", gettext_lazy("Deleted"))]


def history_models() -> dict[str, type[models.Model]]:
    """The tracked models of the kernel and the domain apps, by "app_label.model_name"."""
    from xicheng import plugins

    labels = plugins.app_labels()
    return {
        f"{model._meta.app_label}.{model._meta.model_name}": model
        for model in registered_models.values()
        if model._meta.app_label in labels and hasattr(model, "history") and not model._meta.auto_created
    }


class AuditSearchForm(forms.Form):
    model = forms.ChoiceField(label=gettext_lazy("Records of"), required=False)
    user = forms.CharField(
        label=gettext_lazy("Person"), required=False, help_text=gettext_lazy("Name, or the exact login name.")
    )
    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False)
    object = forms.IntegerField(label=gettext_lazy("Record number"), required=False, min_value=1)
    start = forms.DateField(
        label=gettext_lazy("From day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(label=gettext_lazy("To day"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tracked = sorted(
            ((key, str(model._meta.verbose_name)) for key, model in history_models().items()), key=lambda c: c[1]
        )
        model_field: Any = self.fields["model"]
        model_field.choices = [("", _("Accounts and security events")), *tracked]
        chosen = self.data.get("model", "") if self.is_bound else ""
        actions = HISTORY_TYPES if chosen else AuditEvent.Action.choices
        action_field: Any = self.fields["action"]
        action_field.choices = [("", _("All")), *actions]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end comes before the start."))
        return data


def person_name(user: Any) -> str:
    """A person as colleagues know them: the cadre's name, else the login name."""
    if user is None:
        return ""
    try:
        return str(user.cadre.name)
    except ObjectDoesNotExist:
        return str(user.get_username())


def _person_q(prefixes: list[str], text: str) -> Q:
    q = Q()
    for prefix in prefixes:
        q |= Q(**{f"{prefix}__cadre__name__icontains": text}) | Q(**{f"{prefix}__username": text})
    return q


def _dates_q(field_name: str, data: dict[str, Any]) -> Q:
    q = Q()
    if data.get("start"):
        q &= Q(**{f"{field_name}__date__gte": data["start"]})
    if data.get("end"):
        q &= Q(**{f"{field_name}__date__lte": data["end"]})
    return q


# Showing a value --------------------------------------------------------------------------------


def show_value(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "Y-m-d H:i")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, list | tuple | set):
        return "、".join(show_value(v) for v in value) or "—"
    if isinstance(value, User):
        return person_name(value)
    return str(value)


@dataclass
class Change:
    label: str
    before: str
    after: str


# Account and security events --------------------------------------------------------------------

EVENT_FIELD_LABELS = {
    "roles": gettext_lazy("Roles"),
    "permissions": gettext_lazy("permissions"),
    "records": gettext_lazy("records older than the retention period"),
}


def _event_changes(event: AuditEvent) -> list[Change]:
    result = []
    for name, pair in sorted((event.changes or {}).items()):
        before, after = ([*pair, None, None])[:2] if isinstance(pair, list) else (None, pair)
        if name == "roles":
            before = [role_label(r) for r in before or []]
            after = [role_label(r) for r in after or []]
        label: Any = EVENT_FIELD_LABELS.get(name)
        if label is None:
            try:
                label = getattr(User._meta.get_field(name), "verbose_name", name)
            except Exception:  # a name the user model does not know: show it as recorded
                label = name
        result.append(Change(str(label), show_value(before), show_value(after)))
    return result


@dataclass
class EventRow:
    event: AuditEvent
    actor: str
    concerning: str
    changes: list[Change]
    subject: str = ""


# What an event concerns, as recorded ("admin export governance.rentalhouse", "welfare.elder:19",
# "api migrant 12", "dashboard 2026-07-01..2026-12-31 as of 2026-11-29", "account yang"), read
# back in the users' words: the register's name, the record's name, the person's name.
_DASHBOARD = re.compile(r"^dashboard (\d{4}-\d\d-\d\d)\.\.(\d{4}-\d\d-\d\d) as of (\d{4}-\d\d-\d\d)$")
_ADMIN_JOB = re.compile(r"^admin (?:export|import) (\w+\.\w+)$")
_PERSON = re.compile(r"^(account|token for) (\S+)$")
_ROLE = re.compile(r"^role (\S+)$")
_DUPLICATES = re.compile(r"^([a-z ]+?) duplicates page (\d+)$")
_RECORD = re.compile(r"^(?:(api|admin) )?([\w.]+(?: [a-z]+)*?)(?::| )(\d+|list|search)(?: ([a-z ]+))?$", re.IGNORECASE)


@cache
def _registers() -> dict[str, type[models.Model]]:
    """The kernel's and the domain apps' models, by label ("governance.migrant") and by their
    English names, singular and plural ("migrant", "rental houses"), as subjects were written."""
    from django.utils import translation

    from xicheng import plugins

    labels = plugins.app_labels()
    found: dict[str, type[models.Model]] = {}
    with translation.override("en"):
        for model in apps.get_models():
            if model._meta.app_label in labels and not model.__name__.startswith("Historical"):
                found[model._meta.label_lower] = model
                found[str(model._meta.verbose_name).lower()] = model
                found[str(model._meta.verbose_name_plural).lower()] = model
    return found


def _subject_record(subject: str, registers: dict[str, type[models.Model]]) -> tuple[Any, str, str, str] | None:
    """(model, pk or "list"/"search", how: "api"/"admin"/"", what else) of a record's subject."""
    match = _RECORD.match(subject)
    if match is None:
        return None
    how, name, ref, rest = match.groups()
    model = registers.get(name.lower())
    return None if model is None else (model, ref, (how or "").lower(), (rest or "").lower())


def readable_subjects(events: list[AuditEvent]) -> list[str]:
    """Each event's subject in words; the records and people it names are read in one query per
    register named on the page (none for a page of sign-ins)."""
    registers = _registers()
    parsed = [_subject_record(event.subject, registers) for event in events]
    wanted: dict[Any, set[int]] = {}
    for found in parsed:
        if found is not None and found[1].isdigit():
            wanted.setdefault(found[0], set()).add(int(found[1]))
    names = {model: _objects_by_pk(model, pks) for model, pks in wanted.items()}
    usernames = {
        m.group(2)
        for e in events
        if (m := _PERSON.match(e.subject)) and not (e.target_user and e.target_user.get_username() == m.group(2))
    }
    people = {u.get_username(): u for u in User.objects.filter(username__in=usernames).select_related("cadre")}
    return [_subject_text(e, found, names, people, registers) for e, found in zip(events, parsed, strict=True)]


def _subject_text(
    event: AuditEvent,
    found: tuple[Any, str, str, str] | None,
    names: dict[Any, dict[Any, Any]],
    people: dict[str, Any],
    registers: dict[str, type[models.Model]],
) -> str:
    subject = event.subject
    if event.target_user is not None and subject == event.target_user.get_username():
        return ""  # a sign-in's subject is the login name: the person is shown already
    if match := _DASHBOARD.match(subject):
        return _("Dashboard %(start)s to %(end)s, as of %(as_of)s") % dict(
            zip(("start", "end", "as_of"), match.groups(), strict=True)
        )
    if (match := _ADMIN_JOB.match(subject)) and match.group(1) in registers:
        return _("%(register)s, in the admin") % {"register": registers[match.group(1)]._meta.verbose_name_plural}
    if match := _PERSON.match(subject):
        who = event.target_user if event.target_user and event.target_user.get_username() == match.group(2) else None
        person = person_name(who or people.get(match.group(2))) or match.group(2)
        if match.group(1) == "account":
            return _("Account of %(person)s") % {"person": person}
        return _("API token of %(person)s") % {"person": person}
    if match := _ROLE.match(subject):
        return _("Role %(role)s") % {"role": role_label(match.group(1))}
    if (match := _DUPLICATES.match(subject)) and match.group(1) in registers:
        register = registers[match.group(1)]._meta.verbose_name_plural
        return _("Duplicates among %(register)s, page %(page)s") % {"register": register, "page": match.group(2)}
    if found is None:
        return subject
    model, ref, how, rest = found
    meta = model._meta
    if ref == "list":
        text = _("List of %(register)s") % {"register": meta.verbose_name_plural}
    elif ref == "search":
        text = _("Search of %(register)s") % {"register": meta.verbose_name_plural}
    else:
        fallback = _("#%(pk)s (deleted)") % {"pk": ref}
        text = f"{meta.verbose_name} {_name(names.get(model, {}).get(int(ref)), fallback)}"
    if rest and rest in registers:
        text += " · " + str(registers[rest]._meta.verbose_name_plural)
    if how == "api":
        text += _(" (API)")
    elif how == "admin":
        text += _(" (admin)")
    return text


def events_page(data: dict[str, Any], page_number: Any) -> Page[Any]:
    events = AuditEvent.objects.select_related("user__cadre", "target_user__cadre").order_by("-at", "-pk")
    if data.get("user"):
        events = events.filter(_person_q(["user", "target_user"], data["user"]))
    if data.get("action"):
        events = events.filter(action=data["action"])
    events = events.filter(_dates_q("at", data))
    page: Page[Any] = Paginator(events, settings.PAGE_SIZE).get_page(page_number)
    events_on_page = list(page.object_list)
    page.object_list = [
        EventRow(event, person_name(event.user), person_name(event.target_user), _event_changes(event), subject)
        for event, subject in zip(events_on_page, readable_subjects(events_on_page), strict=True)
    ]
    return page


# Record history -------------------------------------------------------------------------------


def _is_forward_fk(f: Any) -> bool:
    return bool(f.is_relation and (f.many_to_one or f.one_to_one) and f.concrete)


def _name_paths(model: type[models.Model], depth: int = 2, prefix: str = "") -> list[str]:
    """The relations a model's name (`__str__`) may follow, to be joined in with the object: its
    foreign keys and theirs, and the person (cadre) behind every user."""
    paths: list[str] = []
    for f in model._meta.concrete_fields:
        if not _is_forward_fk(f):
            continue
        path = prefix + f.name
        paths.append(path)
        if f.related_model is User:
            paths.append(path + "__cadre")
        elif depth > 1:
            paths += _name_paths(_related(f), depth - 1, path + "__")
    return paths


def _related(f: Any) -> type[models.Model]:
    model: type[models.Model] = f.related_model
    return model


def _objects_by_pk(model: type[models.Model], pks: set[Any]) -> dict[Any, Any]:
    if not pks:
        return {}
    paths = ["cadre"] if model is User else _name_paths(model)
    return {obj.pk: obj for obj in model._base_manager.filter(pk__in=pks).select_related(*paths)}


def _name(obj: Any, fallback: str) -> str:
    if obj is None:
        return fallback
    if isinstance(obj, User):
        return person_name(obj)
    try:
        text = str(obj)
    except ObjectDoesNotExist:  # it points at something since deleted
        return fallback
    # A record named by a person's name (an elder, a migrant) is named masked here, as everywhere
    # the personal-data right is not asked for.
    for f in obj._meta.concrete_fields:
        value = getattr(obj, f.attname, None)
        if isinstance(value, str) and value and value in text and personal_kind(type(obj), f.name) is not None:
            text = text.replace(value, masked(obj, f.name))
    return text


@dataclass
class HistoryRow:
    record: Any
    subject: str
    actor: str
    changes: list[Change] = field(default_factory=list)


def _m2m_values(history_model: Any, records: list[Any]) -> dict[tuple[int, str], list[str]]:
    """The many-to-many values each history record kept, by (history_id, field), named."""
    result: dict[tuple[int, str], list[str]] = {}
    ids = [r.history_id for r in records]
    for m2m in history_model._history_m2m_fields:
        through = m2m.remote_field.through
        m2m_history = apps.get_model(history_model._meta.app_label, f"Historical{through._meta.object_name}")
        target = m2m.m2m_reverse_field_name()
        rows = list(m2m_history.objects.filter(history_id__in=ids).values_list("history_id", f"{target}_id"))
        names = _objects_by_pk(m2m.related_model, {pk for _h, pk in rows})
        for history_id, pk in rows:
            result.setdefault((history_id, m2m.name), []).append(_name(names.get(pk), f"#{pk}"))
    return {key: sorted(values) for key, values in result.items()}


def history_page(model: type[models.Model], data: dict[str, Any], page_number: Any) -> Page[Any]:
    manager: Any = model.history  # type: ignore[attr-defined]  # added by django-simple-history
    history_model = manager.model
    earlier = manager.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id")).order_by("-history_id")
    records: QuerySet[Any] = (
        manager.select_related("history_user__cadre")
        .annotate(previous_id=Subquery(earlier.values("history_id")[:1]))
        .order_by("-history_date", "-history_id")
    )
    if data.get("object"):
        records = records.filter(id=data["object"])
    if data.get("user"):
        records = records.filter(_person_q(["history_user"], data["user"]))
    if data.get("action"):
        records = records.filter(history_type=data["action"])
    records = records.filter(_dates_q("history_date", data))
    page = Paginator(records, settings.PAGE_SIZE).get_page(page_number)
    rows_on_page = list(page.object_list)
    previous = {
        p.history_id: p for p in manager.filter(history_id__in=[r.previous_id for r in rows_on_page if r.previous_id])
    }
    every = rows_on_page + list(previous.values())
    m2m = _m2m_values(history_model, every)
    m2m_names = [f.name for f in history_model._history_m2m_fields]

    # Everything the foreign keys of these versions point at, one query per foreign key.
    fks: list[Any] = [f for f in model._meta.concrete_fields if _is_forward_fk(f)]
    targets = {f.name: _objects_by_pk(f.related_model, {getattr(r, f.attname) for r in every} - {None}) for f in fks}

    def instance_of(record: Any) -> Any:
        # Built from the record's own columns (simple-history's `.instance` may query per row).
        values = {
            f.attname: getattr(record, f.attname) for f in model._meta.concrete_fields if hasattr(record, f.attname)
        }
        instance = model(**values)
        for f in fks:
            target = targets[f.name].get(getattr(record, f.attname))
            if target is not None:
                f.set_cached_value(instance, target)
        return instance

    def shown(f: Any, record: Any) -> str:
        if f.name in m2m_names:
            return show_value(m2m.get((record.history_id, f.name), []))
        if isinstance(f, EncryptedCharField):
            # Personal data stays masked here too: the auditor sees that it changed, not what to.
            return "***" if getattr(record, f.attname) else "—"
        if _is_forward_fk(f):
            pk = getattr(record, f.attname)
            return "—" if pk is None else _name(targets[f.name].get(pk), _("#%(pk)s (deleted)") % {"pk": pk})
        value = getattr(record, f.attname)
        if f.choices and value not in (None, ""):
            return str(dict(f.flatchoices).get(value, value))
        return show_value(value)

    result = []
    for record in rows_on_page:
        instance = instance_of(record)
        fallback = f"{model._meta.verbose_name} #{record.id}"
        row = HistoryRow(record=record, subject=_name(instance, fallback), actor=person_name(record.history_user))
        before = previous.get(record.previous_id)
        if before is not None and record.history_type == "~":
            delta = record.diff_against(before, excluded_fields=[*m2m_names, *BOOKKEEPING_FIELDS])
            changed: list[Any] = [model._meta.get_field(name) for name in delta.changed_fields]
            changed += [
                model._meta.get_field(name)
                for name in m2m_names
                if m2m.get((record.history_id, name), []) != m2m.get((before.history_id, name), [])
            ]
            for f in changed:
                row.changes.append(Change(str(f.verbose_name), shown(f, before), shown(f, record)))
        elif record.history_type == "~":
            # A change to a record whose earlier state was never recorded (rows loaded in bulk):
            # what it held before is unknown, so each field it holds is shown with "not recorded".
            for f in model._meta.concrete_fields:
                if f.primary_key or f.name in BOOKKEEPING_FIELDS or not hasattr(record, f.attname):
                    continue
                after = shown(f, record)
                if after != "—":
                    row.changes.append(Change(str(f.verbose_name), _("not recorded"), after))
        result.append(row)
    page.object_list = result
    return page
