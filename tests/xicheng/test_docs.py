"""The documentation stays true: it links nothing outside the repository, and every test it names
as proof exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_the_documents_link_only_inside_the_repository() -> None:
    outside = []
    for doc in DOCS:
        for target in LINK.findall(doc.read_text(encoding="utf-8")):
            if target.startswith(("http://", "https://", "mailto:", "#")):
                continue
            path = (doc.parent / target.split("#")[0]).resolve()
            if not path.is_relative_to(ROOT) or not path.exists():
                outside.append(f"{doc.name}: {target}")
    assert not outside, outside


def test_every_test_named_in_the_security_controls_exists() -> None:
    text = (ROOT / "docs/security.md").read_text(encoding="utf-8")
    current: Path | None = None
    missing = []
    for path, name in re.findall(r"`(tests/[\w/.]+\.py)?(?:::(\w+))?`", text):
        if path:
            current = ROOT / path
            if not current.exists():
                missing.append(path)
                continue
        if name and current is not None and f"def {name}(" not in current.read_text(encoding="utf-8"):
            missing.append(f"{current.relative_to(ROOT)}::{name}")
    assert not missing, missing
