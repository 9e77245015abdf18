"""The README works from a fresh clone: every file it links is in the repository (as is every file
docs/ links), and every command it gives runs from the project folder (`.venv/bin/python
manage.py …` or `make`). Its site paths and logins are tried on the demo data in
tests/demo/test_readme.py, which shares the demo package's one seed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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
