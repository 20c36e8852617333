"""The Russian and Ukrainian catalogues hold every marked string, translated, placeholders kept."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from shared.i18n import LOCALE_DIR, translate

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def catalogue(locale: str):
    with open(LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=locale)


@pytest.mark.parametrize("locale", ["ru", "uk"])
def test_every_message_is_translated_with_its_placeholders(locale):
    problems = []
    for message in catalogue(locale):
        if not message.id:
            continue
        if not message.string or message.fuzzy:
            problems.append(f"untranslated: {message.id!r}")
        elif set(PLACEHOLDER.findall(message.id)) != set(PLACEHOLDER.findall(message.string)):
            problems.append(f"placeholders differ: {message.id!r} -> {message.string!r}")
    assert problems == []


def test_the_catalogues_hold_every_string_marked_in_the_code(tmp_path):
    template = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run(
        [str(pybabel), "extract", "-F", "babel.cfg", "-k", "t", "-o", str(template), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with open(template, "rb") as f:
        marked = {m.id for m in read_po(f) if m.id}
    for locale in ("ru", "uk"):
        held = {m.id for m in catalogue(locale) if m.id}
        assert marked - held == set(), f"run `make translations` and translate ({locale})"


def test_texts_are_rendered_in_the_readers_language_with_english_as_the_fallback():
    assert translate("ru", "Call {subject}", subject="Globex") == "Позвонить: Globex"
    assert translate("uk", "Call {subject}", subject="Globex") == "Зателефонувати: Globex"
    assert translate("de", "Call {subject}", subject="Globex") == "Call Globex"
    assert translate(None, "a text nobody marked") == "a text nobody marked"
