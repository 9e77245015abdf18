"""Role × route: every route of the site (the URL resolver) and of the API (its OpenAPI schema),
every member of the cast, a record in 四方社区 and one in 飞凤社区 where the route names one, read
(GET) and write (POST / PATCH where the route takes it).

Each route has a policy — who may do what there — written once below, by kind of route rather
than by status code. A route nobody wrote a policy for fails the test, so a new page or endpoint
cannot arrive without someone deciding who may use it.

What a role meets on a route:

    OK      it gets the page or does the thing (or is told what is wrong with the empty form)
    DENIED  403: not this role's business (三权分立: the auditor, the system admin, the API client)
    HIDDEN  404: the record is outside the areas the user serves
    LOGIN   not signed in: sent to log in (the API answers 401)

The database is set up once for the module; every request runs in a savepoint rolled back after
it, so a write by one role does not change what the next meets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone
from rest_framework.test import APIClient

from tests.conftest import CAST, Cast, Places, login
from xicheng.models import AuditEvent

OK, DENIED, HIDDEN, LOGIN = "OK", "DENIED", "HIDDEN", "LOGIN"
SIFANG, FEIFENG = "四方", "飞凤"

# Policies: what each member of the cast meets. A pair is (record in 四方社区, record in 飞凤社区):
# 李 serves 四方, 王 serves 飞凤, 赵 leads the whole subdistrict.


def _policy(**given: Any) -> dict[str, Any]:
    base = dict.fromkeys(CAST, DENIED)
    base["anonymous"] = LOGIN
    base.update(given)
    return base


OPEN = dict.fromkeys(CAST, OK)
HOME = _policy(li=OK, wang=OK, zhao=OK, admin=OK, sysadmin=OK, auditor=OK, api=OK)
OWN_ACCOUNT = _policy(nobody=OK, li=OK, wang=OK, zhao=OK, admin=OK, sysadmin=OK, auditor=OK, api=OK)
# Reading the domain: leaders, cadres, the data admin and API clients; never the system admin or
# the auditor.
READ = _policy(li=OK, wang=OK, zhao=OK, admin=OK, api=OK)
READ_IN_AREA = {**READ, "li": (OK, HIDDEN), "wang": (HIDDEN, OK)}
# Writing the domain: cadres in their own areas, leaders, the data admin; API clients only read.
WRITE = _policy(li=OK, wang=OK, zhao=OK, admin=OK)
WRITE_IN_AREA = {**WRITE, "li": (OK, HIDDEN), "wang": (HIDDEN, OK)}
# Leaders only: opening a supervision case.
LEADER_ONLY = _policy(zhao=OK)
# A notification is its recipient's alone (李's in 四方, 王's in 飞凤): anyone else who reads the
# domain finds none.
OWN_NOTIFICATION = {**READ, "li": (OK, HIDDEN), "wang": (HIDDEN, OK), "zhao": HIDDEN, "admin": HIDDEN, "api": HIDDEN}
# Leaders and the data admin only (the dashboard's drill-down and workbook are for everyone who
# reads, but a cadre's dashboard is scoped like every page).
AUDIT_ONLY = _policy(auditor=OK)
# The admin: the data admin's part, the system admin's part, the admin's own pages for both.
DATA_ADMIN = _policy(admin=OK)
ACCOUNTS_ADMIN = _policy(sysadmin=OK)
ADMIN_SITE = _policy(admin=OK, sysadmin=OK)
# A record's bare address in the admin only redirects to its change page, which decides.
ADMIN_REDIRECT = ADMIN_SITE
# Pages no role of the cast opens: the superuser's alone (axes' counters, the raw audit events),
# or nobody's (deleting a record).
NO_ONE = _policy()
# Signing out sends everyone to the login page.
SIGN_OUT = dict.fromkeys(CAST, LOGIN)

# The HTML side, by URL name: {method: policy}.
WEB: dict[str, dict[str, dict[str, Any]]] = {
    "favicon": {"GET": OPEN},
    "healthz": {"GET": OPEN},
    "login": {"GET": OPEN},
    "logout": {"POST": SIGN_OUT},
    "set_language": {"POST": OPEN},
    "home": {"GET": HOME},
    "my_work": {"GET": READ},
    "my_updates": {"GET": READ},
    # A reading is the owner's: with nothing sent, whoever may add readings meets the form's errors.
    "manual_reading_add": {"POST": WRITE},
    "task_list": {"GET": READ},
    "task_detail": {"GET": READ_IN_AREA},
    "task_add_update": {"POST": WRITE_IN_AREA},
    "target_list": {"GET": READ},
    # The area filter's suggestions, for those who read the registers: each gets only their own
    # subtree (tests/xicheng/test_lists_at_depth.py).
    "area_search": {"GET": READ},
    "audit_trail": {"GET": AUDIT_ONLY},
    # One's own account: password, second factor, tokens — everyone signed in, role or not.
    "account": {"GET": OWN_ACCOUNT},
    "password_change": {"GET": OWN_ACCOUNT, "POST": OWN_ACCOUNT},
    "otp_setup": {"GET": OWN_ACCOUNT, "POST": OWN_ACCOUNT},
    "otp_verify": {"GET": OWN_ACCOUNT, "POST": OWN_ACCOUNT},
    "otp_recovery_codes": {"POST": OWN_ACCOUNT},
    # An administrator is told to keep it (tests/xicheng/test_accounts.py); the page answers all.
    "otp_remove": {"POST": OWN_ACCOUNT},
    "token_list": {"GET": OWN_ACCOUNT},
    # Only one's own tokens are touched: anyone else is told there is no such token of theirs.
    "token_revoke": {"POST": OWN_ACCOUNT},
    # Lock-outs are the system admin's to lift.
    "lockout_list": {"GET": ACCOUNTS_ADMIN},
    "lockout_unlock": {"POST": ACCOUNTS_ADMIN},
    "reading_list": {"GET": READ},
    "dashboard": {"GET": READ},
    "dashboard_screen": {"GET": READ},
    "dashboard_export": {"GET": READ},
    "dashboard_areas": {"GET": READ_IN_AREA},
    "api-root": {"GET": READ},
    "schema": {"GET": READ},
    "api_docs": {"GET": READ},
    "projects:project_list": {"GET": READ},
    "projects:project_detail": {"GET": READ_IN_AREA},
    "projects:household_list": {"GET": READ},
    "projects:household_next_step": {"POST": WRITE_IN_AREA},
    "projects:household_undo_step": {"POST": WRITE_IN_AREA},
    "projects:issue_list": {"GET": READ},
    "projects:milestone_list": {"GET": READ},
    # New records are filed by those who write, under their own areas (the form offers only those).
    "projects:issue_new": {"GET": WRITE, "POST": WRITE},
    "projects:issue_status": {"POST": WRITE_IN_AREA},
    "projects:milestone_complete": {"GET": WRITE_IN_AREA, "POST": WRITE_IN_AREA},
    "projects:lead_list": {"GET": READ},
    "projects:lead_new": {"GET": WRITE, "POST": WRITE},
    "projects:lead_next_step": {"POST": WRITE_IN_AREA},
    "projects:lead_undo_step": {"POST": WRITE_IN_AREA},
    "governance:home": {"GET": READ},
    "governance:house_list": {"GET": READ},
    "governance:house_new": {"GET": WRITE, "POST": WRITE},
    # The inspection's way in (address search) is for those who may inspect.
    "governance:inspection_start": {"GET": WRITE},
    "governance:house_detail": {"GET": READ_IN_AREA},
    # The form answers only those who may inspect: the API client reads houses but gets no form.
    "governance:inspection_new": {"GET": {**WRITE_IN_AREA}, "POST": WRITE_IN_AREA},
    "governance:inspection_list": {"GET": READ},
    "governance:migrant_list": {"GET": READ},
    "governance:migrant_duplicates": {"GET": READ},
    "governance:hazard_list": {"GET": READ},
    "governance:hazard_rectify": {"POST": WRITE_IN_AREA},
    # An undo is refused to anyone but the one who just made the change (the form says so).
    "governance:hazard_undo_rectify": {"POST": WRITE_IN_AREA},
    "governance:dispute_list": {"GET": READ},
    "governance:dispute_new": {"GET": WRITE, "POST": WRITE},
    "governance:dispute_move": {"POST": WRITE_IN_AREA},
    "governance:dispute_undo_step": {"POST": WRITE_IN_AREA},
    "governance:zero_report_list": {"GET": READ},
    "governance:zero_report_missing": {"GET": READ},
    # Today's report for 四方社区 (see _post_data): only the village's own cadre files it.
    "governance:zero_report_submit": {"POST": _policy(li=OK)},
    "welfare:center_list": {"GET": READ},
    "welfare:sheet_today": {"GET": READ_IN_AREA},
    "welfare:sheet": {"GET": READ_IN_AREA, "POST": WRITE_IN_AREA},
    "welfare:elder_list": {"GET": READ},
    "welfare:elder_enrol": {"GET": WRITE, "POST": WRITE},
    "welfare:elder_detail": {"GET": READ_IN_AREA},
    "welfare:elder_leave": {"POST": WRITE_IN_AREA},
    "welfare:delivery_list": {"GET": READ},
    "welfare:receipt_list": {"GET": READ},
    "welfare:served_village_list": {"GET": READ},
    "welfare:safety_check_list": {"GET": READ},
    "welfare:safety_check_resolve": {"POST": WRITE_IN_AREA},
    # 督办: the lists and a case's page are read like a register; a case is opened by a leader only
    # (赵, opening it without naming a record, meets the page that says so).
    "supervision:case_list": {"GET": READ},
    "supervision:case_detail": {"GET": READ_IN_AREA},
    "supervision:case_new": {"GET": LEADER_ONLY, "POST": LEADER_ONLY},
    # Each step is a change of the case: whoever may change it meets the form (or the service's
    # refusal: only the owner acknowledges, only the issuer accepts); the rest of 四方 is hidden from 王.
    **{
        f"supervision:case_{step}": {"POST": WRITE_IN_AREA}
        for step in ("acknowledge", "reply", "extension", "report", "decide", "send_back", "accept")
    },
    # One's own notifications: someone else's do not exist.
    "notifications:list": {"GET": READ},
    "notifications:read": {"POST": OWN_NOTIFICATION},
    "notifications:read_all": {"POST": READ},
    # One's own notification preferences (the page names no one else's): whoever reads the domain.
    "notifications:preferences": {"GET": READ, "POST": READ},
    # The toy register (tests/toyregister), installed for the tests only: the same rules as the real ones.
    "toyregister:lamp_list": {"GET": READ},
    "toyregister:lamp_next_step": {"POST": WRITE_IN_AREA},
    "toyregister:lamp_undo_step": {"POST": WRITE_IN_AREA},
}

# The API, by the schema's paths: {method: policy}.
API: dict[str, dict[str, dict[str, Any]]] = {
    "/api/v1/dashboard/": {"GET": READ},
    # One's own tokens, listed and revoked; the API client's token is nobody else's to see.
    # (The API answers only users with a role.)
    "/api/v1/tokens/": {"GET": {**OWN_ACCOUNT, "nobody": DENIED}},
    "/api/v1/tokens/{token_key}/": {
        "DELETE": {**dict.fromkeys(CAST, HIDDEN), "anonymous": LOGIN, "nobody": DENIED, "api": OK}
    },
    "/api/v1/areas/": {"GET": READ},
    "/api/v1/areas/{id}/": {"GET": READ},  # the place tree is no one's secret
    "/api/v1/work-lines/": {"GET": READ},
    "/api/v1/work-lines/{id}/": {"GET": READ},
    "/api/v1/indicators/": {"GET": READ},
    "/api/v1/indicators/{id}/": {"GET": READ},
    "/api/v1/targets/": {"GET": READ},
    "/api/v1/targets/{id}/": {"GET": READ_IN_AREA},
    "/api/v1/manual-readings/": {"GET": READ},
    "/api/v1/manual-readings/{id}/": {"GET": READ_IN_AREA},
    "/api/v1/tasks/": {"GET": READ, "POST": WRITE},
    "/api/v1/tasks/{id}/": {"GET": READ_IN_AREA, "PATCH": WRITE_IN_AREA},
    "/api/v1/tasks/{id}/updates/": {"GET": READ_IN_AREA, "POST": WRITE_IN_AREA},
    # 督办: cases with their steps; each step an action for whoever may change the case (the
    # service refuses the wrong actor with a 400); API clients read only.
    "/api/v1/cases/": {"GET": READ},
    "/api/v1/cases/{id}/": {"GET": READ_IN_AREA},
    **{
        f"/api/v1/cases/{{id}}/{step}/": {"POST": WRITE_IN_AREA}
        for step in (
            "acknowledge",
            "reply",
            "request-extension",
            "report-done",
            "decide-extension",
            "send-back",
            "accept",
        )
    },
    # One's own notifications.
    "/api/v1/notifications/": {"GET": READ},
    "/api/v1/notifications/read-all/": {"POST": READ},
    "/api/v1/notifications/{id}/": {"GET": OWN_NOTIFICATION},
    "/api/v1/notifications/{id}/read/": {"POST": OWN_NOTIFICATION},
    "/api/v1/projects/": {"GET": READ},
    "/api/v1/projects/{id}/": {"GET": READ_IN_AREA},
    "/api/v1/milestones/": {"GET": READ},
    "/api/v1/milestones/{id}/": {"GET": READ_IN_AREA},
    "/api/v1/milestones/{id}/complete/": {"POST": WRITE_IN_AREA},
    "/api/v1/squads/": {"GET": READ},
    "/api/v1/squads/{id}/": {"GET": READ_IN_AREA},
    "/api/v1/households/": {"GET": READ},
    "/api/v1/households/{id}/": {"GET": READ_IN_AREA},
    "/api/v1/households/{id}/advance/": {"POST": WRITE_IN_AREA},
    "/api/v1/households/{id}/revert/": {"POST": WRITE_IN_AREA},
    "/api/v1/project-issues/": {"GET": READ},
    "/api/v1/project-issues/{id}/": {"GET": READ_IN_AREA},
    "/api/v1/project-issues/{id}/status/": {"POST": WRITE_IN_AREA},
    "/api/v1/investment-leads/": {"GET": READ},
    "/api/v1/investment-leads/{id}/": {"GET": READ_IN_AREA},
    "/api/v1/investment-leads/{id}/advance/": {"POST": WRITE_IN_AREA},
    "/api/v1/investment-leads/{id}/revert/": {"POST": WRITE_IN_AREA},
    "/api/v1/rental-houses/": {"GET": READ, "POST": WRITE},
    "/api/v1/rental-houses/{id}/": {"GET": READ_IN_AREA, "PATCH": WRITE_IN_AREA},
    "/api/v1/inspections/": {"GET": READ, "POST": WRITE},
    "/api/v1/inspections/{id}/": {"GET": READ_IN_AREA},
    "/api/v1/migrants/": {"GET": READ, "POST": WRITE},
    "/api/v1/migrants/search/": {"POST": READ},  # an exact-number search is a read
    "/api/v1/migrants/{id}/": {"GET": READ_IN_AREA},
    "/api/v1/migrants/{id}/leave/": {"POST": WRITE_IN_AREA},
    "/api/v1/hazards/": {"GET": READ, "POST": WRITE},
    "/api/v1/hazards/{id}/": {"GET": READ_IN_AREA},
    "/api/v1/hazards/{id}/rectify/": {"POST": WRITE_IN_AREA},
    "/api/v1/disputes/": {"GET": READ, "POST": WRITE},
    "/api/v1/disputes/{id}/": {"GET": READ_IN_AREA},
    "/api/v1/disputes/{id}/move/": {"POST": WRITE_IN_AREA},
    "/api/v1/disputes/{id}/revert/": {"POST": WRITE_IN_AREA},
    "/api/v1/zero-reports/": {"GET": READ, "POST": WRITE},
    "/api/v1/zero-reports/{id}/": {"GET": READ_IN_AREA},
    "/api/v1/care-centres/": {"GET": READ},
    "/api/v1/care-centres/{id}/": {"GET": READ_IN_AREA},
    "/api/v1/served-villages/": {"GET": READ},
    "/api/v1/served-villages/{id}/": {"GET": READ_IN_AREA},
    "/api/v1/elders/": {"GET": READ, "POST": WRITE},
    "/api/v1/elders/{id}/": {"GET": READ_IN_AREA},
    "/api/v1/elders/{id}/leave/": {"POST": WRITE_IN_AREA},
    "/api/v1/meal-deliveries/": {"GET": READ, "POST": WRITE},
    "/api/v1/meal-deliveries/{id}/": {"GET": READ_IN_AREA},
    "/api/v1/meal-receipts/": {"GET": READ},
    "/api/v1/meal-receipts/{id}/": {"GET": READ_IN_AREA},
    "/api/v1/safety-checks/": {"GET": READ},
    "/api/v1/safety-checks/{id}/": {"GET": READ_IN_AREA},
    "/api/v1/safety-checks/{id}/resolve/": {"POST": WRITE_IN_AREA},
    # Webhooks for REST clients and their delivery log: the system admin's, like the robots and
    # tokens (a webhook lies in no area: the role decides).
    "/api/v1/webhooks/": {"GET": ACCOUNTS_ADMIN, "POST": ACCOUNTS_ADMIN},
    "/api/v1/webhooks/{id}/": {"GET": ACCOUNTS_ADMIN, "PATCH": ACCOUNTS_ADMIN, "DELETE": ACCOUNTS_ADMIN},
    "/api/v1/webhook-deliveries/": {"GET": ACCOUNTS_ADMIN},
    "/api/v1/webhook-deliveries/{id}/": {"GET": ACCOUNTS_ADMIN},
    "/api/v1/lamp-repairs/": {"GET": READ},
    "/api/v1/lamp-repairs/{id}/": {"GET": READ_IN_AREA},
    "/api/v1/lamp-repairs/{id}/advance/": {"POST": WRITE_IN_AREA},
    "/api/v1/lamp-repairs/{id}/revert/": {"POST": WRITE_IN_AREA},
}

# The admin, by page of a model admin: {page: {method: policy}}, one set per kind of model.
DATA_PAGES = {
    "changelist": {"GET": DATA_ADMIN},
    "add": {"GET": DATA_ADMIN, "POST": DATA_ADMIN},
    "change": {"GET": DATA_ADMIN, "POST": DATA_ADMIN},
    "object": {"GET": ADMIN_REDIRECT},
    "history": {"GET": DATA_ADMIN},
    # History is read, never replayed: a record changes only through its form or its services.
    "revert": {"GET": DATA_ADMIN, "POST": NO_ONE},
    # Nothing is hard-deleted from the UI: deleting archives.
    "delete": {"GET": NO_ONE, "POST": NO_ONE},
    "import": {"GET": DATA_ADMIN, "POST": DATA_ADMIN},
    "import_template": {"GET": DATA_ADMIN},  # the empty sheet to fill in
    "process_import": {"POST": DATA_ADMIN},
    "export": {"GET": DATA_ADMIN, "POST": DATA_ADMIN},
    "tree_move": {"POST": DATA_ADMIN},
    "tree_children": {"GET": DATA_ADMIN},
    "tree_jsi18n": {"GET": {**ADMIN_SITE, "anonymous": OK}},  # the tree widget's words, no data
}
# Records written only by the services (a day's deliveries, a safety check) or that come with an
# account (the person behind it): the data admin keeps them but does not add them here.
DATA_PAGES_NO_ADD = {**DATA_PAGES, "add": {"GET": NO_ONE, "POST": NO_ONE}}
ACCOUNT_PAGES = {
    "changelist": {"GET": ACCOUNTS_ADMIN},
    "add": {"GET": ACCOUNTS_ADMIN, "POST": ACCOUNTS_ADMIN},
    "change": {"GET": ACCOUNTS_ADMIN, "POST": ACCOUNTS_ADMIN},
    "object": {"GET": ADMIN_REDIRECT},
    "history": {"GET": ACCOUNTS_ADMIN},
    "password": {"GET": ACCOUNTS_ADMIN, "POST": ACCOUNTS_ADMIN},
    # Accounts are switched off, never deleted: the audit trail names them.
    "delete": {"GET": NO_ONE, "POST": NO_ONE},
}
# Roles are read, never edited: their permissions come from code (sync_roles).
ROLE_PAGES = {
    "changelist": {"GET": ACCOUNTS_ADMIN},
    "add": {"GET": NO_ONE, "POST": NO_ONE},
    "change": {"GET": ACCOUNTS_ADMIN, "POST": NO_ONE},
    "object": {"GET": ADMIN_REDIRECT},
    "history": {"GET": ACCOUNTS_ADMIN},
    "delete": {"GET": NO_ONE, "POST": NO_ONE},
}
# API tokens: the system admin lists and revokes them (an admin action); they are issued by command.
TOKEN_PAGES = {
    "changelist": {"GET": ACCOUNTS_ADMIN},
    "add": {"GET": NO_ONE, "POST": NO_ONE},
    "change": {"GET": ACCOUNTS_ADMIN, "POST": NO_ONE},
    "object": {"GET": ADMIN_REDIRECT},
    "history": {"GET": ACCOUNTS_ADMIN},
    # Revoking is an audited action on the list, not Django's delete page.
    "delete": {"GET": NO_ONE, "POST": NO_ONE},
}
# The audit trail's raw tables and axes' bookkeeping: read-only, and for the superuser alone (the
# auditor reads them at /audit/).
SUPERUSER_PAGES = {
    "changelist": {"GET": NO_ONE},
    "add": {"GET": NO_ONE, "POST": NO_ONE},
    "change": {"GET": NO_ONE, "POST": NO_ONE},
    "object": {"GET": ADMIN_REDIRECT},
    "history": {"GET": NO_ONE},
    "delete": {"GET": NO_ONE, "POST": NO_ONE},
}
ADMIN_MODELS: dict[str, dict[str, dict[str, dict[str, Any]]]] = {
    "auth.user": ACCOUNT_PAGES,
    "auth.group": ROLE_PAGES,
    "knox.authtoken": TOKEN_PAGES,
    "axes.accessattempt": SUPERUSER_PAGES,
    "axes.accesslog": SUPERUSER_PAGES,
    "axes.accessfailurelog": SUPERUSER_PAGES,
    "xicheng.auditevent": SUPERUSER_PAGES,
    # Each user's imports and exports: the job's page and file are its owner's alone (the world's
    # job is the data admin's).
    "xicheng.importexportjob": {
        **DATA_PAGES_NO_ADD,
        # Another admin's job does not exist for him (the history page sends him back to the index).
        "change": {"GET": {**DATA_ADMIN, "sysadmin": HIDDEN}, "POST": {**DATA_ADMIN, "sysadmin": HIDDEN}},
        "history": {"GET": {**DATA_ADMIN, "sysadmin": OK}},
        "download": {"GET": {**DATA_ADMIN, "sysadmin": HIDDEN}},
    },
    "xicheng.cadre": DATA_PAGES_NO_ADD,
    "welfare.mealdelivery": DATA_PAGES_NO_ADD,
    "welfare.safetycheck": DATA_PAGES_NO_ADD,
    # Supervision cases are read here: every step goes through the services.
    "supervision.case": {
        "changelist": {"GET": DATA_ADMIN},
        "add": {"GET": NO_ONE, "POST": NO_ONE},
        "change": {"GET": DATA_ADMIN, "POST": NO_ONE},
        "object": {"GET": ADMIN_REDIRECT},
        "history": {"GET": DATA_ADMIN},
        "revert": {"GET": DATA_ADMIN, "POST": NO_ONE},
        "delete": {"GET": NO_ONE, "POST": NO_ONE},
    },
    # The chat robots notifications go out through, and the log of what went out: the system
    # admin's (how notifications travel, not what they say).
    "supervision.robotgroup": {
        "changelist": {"GET": ACCOUNTS_ADMIN},
        "add": {"GET": ACCOUNTS_ADMIN, "POST": ACCOUNTS_ADMIN},
        "change": {"GET": ACCOUNTS_ADMIN, "POST": ACCOUNTS_ADMIN},
        "object": {"GET": ADMIN_REDIRECT},
        "history": {"GET": ACCOUNTS_ADMIN},
        "revert": {"GET": ACCOUNTS_ADMIN, "POST": NO_ONE},
        "delete": {"GET": NO_ONE, "POST": NO_ONE},
    },
    "supervision.delivery": {
        "changelist": {"GET": ACCOUNTS_ADMIN},
        "add": {"GET": NO_ONE, "POST": NO_ONE},
        "change": {"GET": ACCOUNTS_ADMIN, "POST": NO_ONE},
        "object": {"GET": ADMIN_REDIRECT},
        "history": {"GET": ACCOUNTS_ADMIN},
        "delete": {"GET": NO_ONE, "POST": NO_ONE},
    },
    # Webhooks and their delivery log: the system admin's, like the robots (deleting archives, through the API).
    "webhooks.webhook": {
        "changelist": {"GET": ACCOUNTS_ADMIN},
        "add": {"GET": ACCOUNTS_ADMIN, "POST": ACCOUNTS_ADMIN},
        "change": {"GET": ACCOUNTS_ADMIN, "POST": ACCOUNTS_ADMIN},
        "object": {"GET": ADMIN_REDIRECT},
        "history": {"GET": ACCOUNTS_ADMIN},
        "revert": {"GET": ACCOUNTS_ADMIN, "POST": NO_ONE},
        "delete": {"GET": NO_ONE, "POST": NO_ONE},
    },
    "webhooks.webhookdelivery": {
        "changelist": {"GET": ACCOUNTS_ADMIN},
        "add": {"GET": NO_ONE, "POST": NO_ONE},
        "change": {"GET": ACCOUNTS_ADMIN, "POST": NO_ONE},
        "object": {"GET": ADMIN_REDIRECT},
        "history": {"GET": ACCOUNTS_ADMIN},
        "delete": {"GET": NO_ONE, "POST": NO_ONE},
    },
}
DATA_APPS = ("xicheng", "projects", "governance", "welfare", "toyregister")

# The admin's own pages, by URL name.
ADMIN_SITE_PAGES: dict[str, dict[str, dict[str, Any]]] = {
    "admin:index": {"GET": ADMIN_SITE},
    # The admin signs in through the site's own login page (second factor included).
    "admin:login": {"GET": {**ADMIN_SITE, "anonymous": LOGIN, "admin": LOGIN, "sysadmin": LOGIN}},
    "admin:logout": {"POST": _policy(anonymous=OK, admin=LOGIN, sysadmin=LOGIN)},  # signed out: to the login
    # Sends everyone to /accounts/password/, which asks the anonymous to sign in.
    "admin:password_change": {"GET": {**ADMIN_SITE, "anonymous": OK}},
    "admin:password_change_done": {"GET": ADMIN_SITE},
    "admin:jsi18n": {"GET": ADMIN_SITE},
    "admin:autocomplete": {"GET": DATA_ADMIN},  # asked for a task's area
    "admin:view_on_site": {"GET": {**ADMIN_SITE, "admin": HIDDEN, "sysadmin": HIDDEN}},  # tasks have no page
    "admin:catch_all": {"GET": {**ADMIN_SITE, "admin": HIDDEN, "sysadmin": HIDDEN}},
    # The admin answers 404 for an app in which the user holds no right.
    "admin:app_list:auth": {"GET": {**ACCOUNTS_ADMIN, "admin": HIDDEN}},
    "admin:app_list:knox": {"GET": {**ACCOUNTS_ADMIN, "admin": HIDDEN}},
    "admin:app_list:axes": {"GET": {**NO_ONE, "admin": HIDDEN, "sysadmin": HIDDEN}},
    **{f"admin:app_list:{app}": {"GET": {**DATA_ADMIN, "sysadmin": HIDDEN}} for app in DATA_APPS},
    # Cases for the data admin, robots and deliveries for the system admin.
    "admin:app_list:supervision": {"GET": ADMIN_SITE},
    "admin:app_list:webhooks": {"GET": {**ACCOUNTS_ADMIN, "admin": HIDDEN}},
}


# Walking the routes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    key: str  # the name the policy tables use
    template: str  # the path with its parameters, e.g. /tasks/<int:pk>/
    kind: str  # web, api, admin-model, admin-site
    model_label: str = ""  # the model whose record fills the path's id
    page: str = ""  # for a model admin: changelist, add, change, …


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str, Any]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}:{p.namespace}".strip(":") if p.namespace else namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}".strip(":") if p.name else ""
            yield prefix + str(p.pattern), name, p


ADMIN_MODEL_PAGE = [
    (r"$", "changelist"),
    (r"add/$", "add"),
    (r"<path:object_id>/history/$", "history"),
    (r"<path:object_id>/delete/$", "delete"),
    (r"<path:object_id>/change/$", "change"),
    (r"<path:object_id>/$", "object"),
    (r"\(\[\^/\]\+\)/history/\(\[\^/\]\+\)/\$", "revert"),
    (r"import/$", "import"),
    (r"import/template\.xlsx$", "import_template"),
    (r"process_import/$", "process_import"),
    (r"export/$", "export"),
    (r"<id>/password/$", "password"),
    (r"move/$", "tree_move"),
    (r"children/<str:parent_id>/$", "tree_children"),
    (r"jsi18n/$", "tree_jsi18n"),
    (r"<int:pk>/download/$", "download"),
]


def _routes() -> list[Route]:
    registered = {f"{m._meta.app_label}/{m._meta.model_name}/": m for m in admin.site._registry}
    routes: list[Route] = []
    for template, name, pattern in _walk(get_resolver().url_patterns):
        path = "/" + re.sub(r"(^|/)\^", r"\1", template)
        if "format" in template or path.startswith("/static/"):
            continue  # the API's .json suffixes answer like the routes they suffix
        if path.startswith("/api/v1/") and hasattr(pattern.callback, "cls") and name != "api-root":
            continue  # viewset routes come from the schema, with their methods
        if name.startswith("admin:") or path.startswith("/admin/"):
            rest = path[len("/admin/") :]
            model = next((m for prefix, m in registered.items() if rest.startswith(prefix)), None)
            if model is not None:
                suffix = rest[len(f"{model._meta.app_label}/{model._meta.model_name}/") :]
                page = next((pg for regex, pg in ADMIN_MODEL_PAGE if re.fullmatch(regex, suffix)), "?" + suffix)
                label = model._meta.label_lower
                routes.append(Route(f"admin {label} {page}", path, "admin-model", label, page))
            elif name == "admin:app_list":
                for app in sorted({m._meta.app_label for m in admin.site._registry}):
                    routes.append(Route(f"admin:app_list:{app}", f"/admin/{app}/", "admin-site"))
            else:
                routes.append(Route(name or "admin:catch_all", path, "admin-site"))
            continue
        routes.append(Route(name, path, "web", _web_model(name)))
    routes += [Route(path, path, "api", _api_model(path)) for path in _schema_paths()]
    return routes


def _schema_paths() -> dict[str, list[str]]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        path: [m.upper() for m in ops if m in ("get", "post", "put", "patch", "delete")]
        for path, ops in schema["paths"].items()
    }


# The record each web route's id names.
WEB_MODELS = {
    "task_detail": "xicheng.task",
    "task_add_update": "xicheng.task",
    "dashboard_areas": "xicheng.target",
    "projects:project_detail": "projects.project",
    "projects:household_next_step": "projects.household",
    "projects:household_undo_step": "projects.household",
    "projects:issue_status": "projects.projectissue",
    "projects:milestone_complete": "projects.milestone",
    "projects:lead_next_step": "projects.investmentlead",
    "projects:lead_undo_step": "projects.investmentlead",
    "governance:house_detail": "governance.rentalhouse",
    "governance:inspection_new": "governance.rentalhouse",
    "governance:hazard_rectify": "governance.hazard",
    "governance:hazard_undo_rectify": "governance.hazard",
    "governance:dispute_move": "governance.dispute",
    "governance:dispute_undo_step": "governance.dispute",
    "welfare:sheet_today": "welfare.carecenter",
    "welfare:sheet": "welfare.carecenter",
    "welfare:elder_detail": "welfare.elder",
    "welfare:elder_leave": "welfare.elder",
    "welfare:safety_check_resolve": "welfare.safetycheck",
    "toyregister:lamp_next_step": "toyregister.lamprepair",
    "toyregister:lamp_undo_step": "toyregister.lamprepair",
    "supervision:case_detail": "supervision.case",
    "supervision:case_acknowledge": "supervision.case",
    "supervision:case_reply": "supervision.case",
    "supervision:case_extension": "supervision.case",
    "supervision:case_report": "supervision.case",
    "supervision:case_decide": "supervision.case",
    "supervision:case_send_back": "supervision.case",
    "supervision:case_accept": "supervision.case",
    "notifications:read": "supervision.notification",
}


def _web_model(name: str) -> str:
    return WEB_MODELS.get(name, "")


def _api_model(path: str) -> str:
    if "{id}" not in path:
        return ""
    match = resolve(path.replace("{id}", "1"))
    model: type[models.Model] = match.func.cls.queryset.model  # type: ignore[attr-defined]
    return model._meta.label_lower


ROUTES = _routes()
API_METHODS = _schema_paths()


def _cases() -> list[Any]:
    cases = []
    for route in ROUTES:
        for method in sorted(_methods(route)):
            cases.append(pytest.param(route, method, id=f"{method} {route.key}"))
    return cases


def _policies(route: Route) -> dict[str, dict[str, Any]] | None:
    if route.kind == "web":
        return WEB.get(route.key)
    if route.kind == "api":
        return API.get(route.key)
    if route.kind == "admin-site":
        return ADMIN_SITE_PAGES.get(route.key)
    label = route.model_label
    pages = ADMIN_MODELS.get(label) or (DATA_PAGES if label.split(".")[0] in DATA_APPS else None)
    return pages.get(route.page) if pages is not None else None


def _methods(route: Route) -> set[str]:
    policies = _policies(route)
    return set(policies) if policies else {"?"}


def test_every_route_has_a_policy() -> None:
    missing = [f"{r.kind} {r.key} {r.template}" for r in ROUTES if not _policies(r)]
    assert not missing, "routes nobody decided who may use (add a row):\n" + "\n".join(missing)
    # The API's methods are the schema's: a policy for a method the route lacks is stale.
    stale = [
        f"{path} {method}"
        for path, methods in API.items()
        for method in methods
        if method not in API_METHODS.get(path, [])
    ]
    assert not stale, f"policies for API operations that do not exist: {stale}"
    missing_ops = [f"{p} {m}" for p, ms in API_METHODS.items() for m in ms if m not in API.get(p, {})]
    assert not missing_ops, f"API operations without a policy: {missing_ops}"


def test_no_api_route_touches_accounts_or_roles() -> None:
    for route in ROUTES:
        if route.kind == "api" and route.model_label:
            assert route.model_label.split(".")[0] not in ("auth", "knox", "axes"), route


# The world: one record of every kind in each of 四方社区 and 飞凤社区 --------------------------


class World:
    def __init__(self, places: Places, cast: Cast) -> None:
        from tests.factories import IndicatorFactory, ManualReadingFactory, TargetFactory, TaskFactory
        from tests.governance.factories import (
            DisputeFactory,
            HazardFactory,
            InspectionFactory,
            MigrantFactory,
            RentalHouseFactory,
            ZeroReportFactory,
        )
        from tests.projects.factories import (
            HouseholdFactory,
            InvestmentLeadFactory,
            MilestoneFactory,
            ProjectFactory,
            ProjectIssueFactory,
            SquadFactory,
        )
        from tests.toyregister.models import LampRepair
        from tests.welfare.factories import (
            CareCenterFactory,
            ElderFactory,
            MealDeliveryFactory,
            SafetyCheckFactory,
            ServedVillageFactory,
        )
        from welfare.models import MealReceipt
        from xicheng.models import Cadre
        from xicheng.supervision.models import Case, Delivery, Notification, RobotGroup

        self.cast = cast
        self.records: dict[str, tuple[models.Model, models.Model]] = {}
        indicator = IndicatorFactory()
        for key, village, grid, cadre, head in (
            (SIFANG, places.sifang, places.sifang_grid, cast.li, cast.li),
            (FEIFENG, places.feifeng, places.feifeng_grid, cast.wang, cast.wang),
        ):
            task = TaskFactory(area=village, lead_leader=cast.zhao, responsible=cadre)
            target = TargetFactory(indicator=indicator, area=village)
            reading = ManualReadingFactory(indicator=indicator, area=village, entered_by=cadre)
            project = ProjectFactory(area=grid, lead_leader=cast.zhao)
            milestone = MilestoneFactory(project=project)
            squad = SquadFactory(project=project, leader=cast.zhao, head=head, members=[cadre])
            household = HouseholdFactory(project=project, squad=squad, area=grid, evaluated=True)
            issue = ProjectIssueFactory(project=project, owner=cadre)
            lead = InvestmentLeadFactory(area=grid, owner=cadre)
            house = RentalHouseFactory(area=grid)
            inspection = InspectionFactory(house=house, inspector=cadre)
            migrant = MigrantFactory(house=house)
            hazard = HazardFactory(area=grid, house=house)
            dispute = DisputeFactory(area=grid)
            zero = ZeroReportFactory(village=village)
            center = CareCenterFactory(area=grid)
            served = ServedVillageFactory(center=center, village=village)
            elder = ElderFactory(village=village, lives_alone=True)
            delivery = MealDeliveryFactory(center=center, village=village)
            receipt = MealReceipt.objects.create(delivery=delivery, elder=elder)
            check = SafetyCheckFactory(elder=elder)
            lamp = LampRepair.objects.create(
                area=grid, address="路灯1号", reporter="张三", reported_on=date(2026, 3, 1)
            )
            for record in (task, target, reading, project, milestone, squad, household, issue, lead, house):
                self._add(key, record)
            for record in (inspection, migrant, hazard, dispute, zero, center, served, elder, delivery, receipt):
                self._add(key, record)
            self._add(key, check)
            self._add(key, lamp)
            case = Case.objects.create(
                kind="xicheng.task",
                object_id=task.pk,
                area=village,
                title="督办事项",
                instruction="限期整改。",
                issuer=cast.zhao,
                owner=cadre,
                leader=cast.zhao,
                due_on=date(2026, 3, 31),
                ack_due_at=timezone.now(),
            )
            self._add(key, case)
            self._add(
                key, Notification.objects.create(recipient=cadre, kind="case_opened", case=case, title="督办事项")
            )
            self._add(key, village)
            self._add(key, Cadre.objects.get(user=cadre))
            self._add(key, cadre)
        self._add(SIFANG, task.work_line)
        self._add(SIFANG, indicator)
        self._add(SIFANG, Group.objects.get(name="cadre"))
        # The superuser's tables need a row for their pages to open.
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog
        from knox.models import AuthToken

        now = timezone.now()
        # Someone outside the cast: the cast's own sign-ins clear their counters.
        AccessAttempt.objects.create(
            username="stranger", ip_address="10.0.0.1", attempt_time=now, failures_since_start=1
        )
        AccessLog.objects.create(username="li", ip_address="10.0.0.1", attempt_time=now)
        AccessFailureLog.objects.create(username="li", ip_address="10.0.0.1", attempt_time=now)
        self.token_key = AuthToken.objects.create(user=cast.api)[0].token_key
        AuditEvent.objects.create(action=AuditEvent.Action.EXPORT, subject="dashboard")
        from django.core.files.base import ContentFile

        from xicheng.jobs import ImportExportJob

        job = ImportExportJob.objects.create(
            kind=ImportExportJob.Kind.EXPORT,
            status=ImportExportJob.Status.DONE,
            user=cast.admin,
            model="governance.migrant",
            file_format="csv",
        )
        job.file.save("migrants.csv", ContentFile(b"id\n1\n"))
        RobotGroup.objects.create(name="督办群", kind="dingtalk", webhook_url="https://example.cn/robot?access_token=t")
        notification = Notification.objects.create(recipient=cast.li, kind="case_opened", title="督办事项")
        Delivery.objects.create(notification=notification, channel="email")
        from xicheng.webhooks.models import Webhook, WebhookDelivery

        hook = Webhook.objects.create(
            name="数据平台", url="https://example.cn/hooks", secret="s" * 16, events=["case.closed"]
        )
        WebhookDelivery.objects.create(
            webhook=hook, event="case.closed", event_id="6f1c7a2e-3b5d-4c8e-9a0b-1d2e3f405162", payload={}
        )

    def _add(self, key: str, record: models.Model) -> None:
        label = record._meta.label_lower
        pair = list(self.records.get(label, (record, record)))
        pair[0 if key == SIFANG else 1] = record
        self.records[label] = (pair[0], pair[1])

    def record(self, label: str, where: str) -> models.Model:
        if label not in self.records:
            model = next(m for m in admin.site._registry if m._meta.label_lower == label)
            first = model._base_manager.order_by("pk").first()
            assert first is not None, f"the world has no {label}: add one"
            return first
        return self.records[label][0 if where == SIFANG else 1]


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[tuple[World, dict[str, APIClient]]]:
    from tests.conftest import Cast, Places

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            places = Places()
            cast = Cast(places)
            built = World(places, cast)
            clients = {}
            for role in CAST:
                client = APIClient()
                user = cast[role]
                if user is not None:
                    login(client, user)
                clients[role] = client
            yield built, clients
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# Asking -----------------------------------------------------------------------------------------


def _fill(route: Route, world: World, where: str) -> str:
    path = route.template
    path = path.replace("<str:token_key>", world.token_key).replace("{token_key}", world.token_key)
    if route.kind == "api":
        return path.replace("{id}", str(world.record(route.model_label, where).pk)) if route.model_label else path
    if route.kind == "admin-site":
        if route.key == "admin:view_on_site":
            task = world.record("xicheng.task", where)
            return f"/admin/r/{ContentType.objects.get_for_model(task).pk}/{task.pk}/"
        if route.key == "admin:catch_all":
            return "/admin/no-such-page/"
        if route.key == "admin:autocomplete":
            return "/admin/autocomplete/?app_label=xicheng&model_name=task&field_name=area"
        return path.replace("$", "")
    record = world.record(route.model_label, where) if route.model_label else None
    if route.page == "revert" and record is not None:
        history_id = record.history.order_by("history_id").first().history_id  # type: ignore[attr-defined]
        return f"/admin/{record._meta.app_label}/{record._meta.model_name}/{record.pk}/history/{history_id}/"
    if route.page == "tree_children" and record is not None:
        return path.replace("<str:parent_id>", str(record.pk)).replace("$", "")
    pk = str(record.pk) if record is not None else ""
    path = re.sub(r"<(?:\w+:)?(?:pk|object_id|id)>", pk, path)
    path = path.replace("<str:day>", date(2026, 3, 2).isoformat())
    return path.replace("$", "")


def _post_data(route: Route, world: World) -> dict[str, Any]:
    """What a write sends: nothing, so that an allowed role meets the form's errors — but for the
    routes that look at the form before the role."""
    if route.key == "governance:zero_report_submit":
        return {"village": world.record("xicheng.area", SIFANG).pk, "incidents": "0"}
    return {}


def _outcome(response: Any) -> str:
    status = response.status_code
    location = response.headers.get("Location", "")
    if status == 401 or (status in (301, 302) and ("/accounts/login/" in location or "/admin/login/" in location)):
        return LOGIN
    if status == 403:
        return DENIED
    if status == 404:
        return HIDDEN
    if status == 405:
        return "NOT ALLOWED"
    return OK


def _expected(policy: dict[str, Any], role: str, where: str) -> str:
    value = policy[role]
    if isinstance(value, tuple):
        return value[0] if where == SIFANG else value[1]
    return str(value)


def _places_for(route: Route) -> list[str]:
    has_id = route.model_label and route.kind != "admin-model" and route.page not in ("changelist", "add")
    return [SIFANG, FEIFENG] if has_id else [SIFANG]


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "method"), _cases())
def test_role_matrix(world: tuple[World, dict[str, APIClient]], route: Route, method: str) -> None:
    the_world, clients = world
    policies = _policies(route)
    assert policies, f"no policy for {route.kind} {route.key}: add a row"
    policy = policies[method]
    assert set(policy) == set(CAST), f"{route.key} {method}: the policy must name every role"
    wrong = {}
    for where in _places_for(route):
        url = _fill(route, the_world, where)
        for role in CAST:
            client = clients[role]
            # A sign-out or a language switch changes the client's cookies: keep the signed-in ones.
            cookies = client.cookies
            client.cookies = type(cookies)(cookies.output(header="", sep=";"))
            with transaction.atomic():
                if method == "GET":
                    response = client.get(url)
                else:
                    fmt = "json" if route.kind == "api" else "multipart"
                    response = getattr(client, method.lower())(url, _post_data(route, the_world), format=fmt)
                got = _outcome(response)
                transaction.set_rollback(True)
            client.cookies = cookies
            expected = _expected(policy, role, where)
            if got != expected:
                wrong[(role, where)] = (expected, got, response.status_code)
    assert not wrong, f"{method} {url}: (role, record in) → (expected, got, status): {wrong}"
