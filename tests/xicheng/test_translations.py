"""Every msgid has a Chinese translation, and every literal msgid in the code is in a catalogue."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ["xicheng", "projects", "governance", "welfare", "templates"]


def _catalogues() -> list[Path]:
    return [ROOT / "locale/zh_Hans/LC_MESSAGES/django.po", *sorted(ROOT.glob("*/locale/zh_Hans/LC_MESSAGES/django.po"))]


def _entries(po: Path) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) for each entry but the header."""
    result = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        fuzzy = "#, fuzzy" in block
        found = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        msgid = "".join(re.findall(r'"(.*)"', found.group(1))) if found else ""
        strs = re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', block, re.M)
        msgstr = "".join("".join(re.findall(r'"(.*)"', s)) for s in strs)
        if msgid:
            result.append((msgid, msgstr, fuzzy))
    return result


def test_every_msgid_has_a_chinese_translation() -> None:
    missing = []
    for po in _catalogues():
        assert po.exists(), po
        assert po.with_suffix(".mo").exists(), f"{po.with_suffix('.mo')} is not compiled"
        for msgid, msgstr, fuzzy in _entries(po):
            if not msgstr or fuzzy:
                missing.append(f"{po.relative_to(ROOT)}: {msgid}")
    assert not missing, "untranslated:\n" + "\n".join(missing)


def test_every_literal_msgid_in_the_code_is_in_a_catalogue() -> None:
    known = {msgid for po in _catalogues() for msgid, _s, _f in _entries(po)}
    # pgettext_lazy("context", "msgid"): the msgid is the second argument.
    pattern = re.compile(
        r'''(?:(?:\b_|gettext_lazy|gettext)\(|pgettext_lazy\(\s*"[^"]*",)\s*"((?:[^"\\]|\\.)+)"|{% (?:translate|trans) "((?:[^"\\]|\\.)+)"'''
    )
    found = set()
    for folder in SOURCES:
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in (".py", ".html") or "migrations" in path.parts:
                continue
            for a, b in pattern.findall(path.read_text(encoding="utf-8")):
                found.add((a or b).replace('\\"', '"'))
    absent = sorted(found - known)
    assert not absent, "not in any catalogue (run `make messages`):\n" + "\n".join(absent)
