"""The README works from a fresh clone: every site path it names answers the user it is meant for
on the demo data, every file it links is in the repository (as is every file docs/ links), and
every command it gives runs from the project folder (`.venv/bin/python manage.py …` or `make`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.conftest import login
from tests.demo.conftest import seeded_demo
from xicheng.demo import DemoContext

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")

# Who opens a path: the user the README names for it; a leader (who reads everything) otherwise.
READERS = [
    ("/admin/", "admin"),
    ("/audit/", "audit"),
    ("/accounts/tokens/", "api"),
    ("/api/v1/tokens/", "api"),
    ("/api/v1/webhook", "sysadmin"),  # webhooks and their deliveries are the system admin's
    ("/welfare/", "yang"),
    ("/healthz", None),
]


def site_paths(text: str) -> list[str]:
    """The site paths the README names: in `code` spans (`/dashboard/`, `DELETE /api/v1/tokens/`)
    and after the development server's address (http://127.0.0.1:8000/…)."""
    found: list[str] = []
    prose = re.sub(r"```.*?```", "", text, flags=re.S)  # fenced blocks would pair the backticks wrongly
    for span in re.findall(r"`([^`]+)`", prose):
        found += re.findall(r"(?:^|\s)(/[^\s`]+)", span)
    found += [path or "/" for path in re.findall(r"http://127\.0\.0\.1:8000(/[^\s`\"')]*)?", text)]
    return sorted(set(found))


def reader(path: str) -> str | None:
    return next((user for prefix, user in READERS if path.startswith(prefix)), "zhao")


def test_the_readme_names_the_pages_of_every_part() -> None:
    paths = site_paths(README)
    for page in ("/dashboard/", "/projects/", "/governance/", "/welfare/centres/", "/admin/", "/audit/"):
        assert page in paths


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[DemoContext]:
    with seeded_demo(django_db_blocker) as ctx:
        yield ctx


@pytest.mark.django_db
@pytest.mark.parametrize("path", site_paths(README))
def test_every_path_in_the_readme_answers_its_user_on_the_demo(demo: DemoContext, path: str) -> None:
    client = Client()
    username = reader(path)
    if username is not None:
        login(client, User.objects.get(username=username))
    response = client.get(path, follow=True)  # `/` takes each user to their start page
    assert response.status_code == 200, (path, username, response.status_code)
    assert not response.redirect_chain or "/accounts/login/" not in response.redirect_chain[-1][0], (path, username)


def _links(text: str) -> list[str]:
    return [link for link in re.findall(r"\]\(([^)\s]+)\)", text) if not re.match(r"[a-z]+:", link)]


@pytest.mark.parametrize("document", ["README.md", *sorted(p.name for p in (ROOT / "docs").glob("*.md"))])
def test_every_link_points_at_a_file_in_the_repository(document: str) -> None:
    path = ROOT / document if document == "README.md" else ROOT / "docs" / document
    for link in _links(path.read_text(encoding="utf-8")):
        target = (path.parent / link.split("#")[0]).resolve()
        assert target.is_relative_to(ROOT), (document, link)  # nothing outside the repository
        assert target.exists(), (document, link)


def test_every_command_runs_from_the_project_folder() -> None:
    """`manage.py` only through the virtualenv's Python: a bare `python` is not the one with Django."""
    runner = ".venv/bin/python "
    for line in README.splitlines():
        for match in re.finditer(r"manage\.py", line):
            assert line[: match.start()].endswith(runner), line


def test_seed_demo_prints_every_login_the_readme_lists(demo: DemoContext) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("seed_demo", today=demo.today, allow_demo_accounts=True, stdout=out)
    printed = out.getvalue()
    table = README[README.index("| user | role | who |") :].split("\n\n")[0]
    for username in re.findall(r"`([a-z]+)`", table):
        assert re.search(rf"^\s+{username}\b", printed, re.M), username
