"""The catalogues stay complete: every message of the code is in every catalogue, translated,
not fuzzy, not obsolete, with its placeholders intact, and valid for msgfmt."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils.translation import to_locale

pytestmark = [pytest.mark.unit]

REPO_ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
# %(name)s, %s, %d and {{ name }} style placeholders must survive translation unchanged.
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\{\s*\w+\s*\}\}|\{\w+\}")


def _catalogue(language: str) -> polib.POFile:
    return polib.pofile(
        str(REPO_ROOT / "locale" / to_locale(language) / "LC_MESSAGES" / "django.po")
    )


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_is_fully_translated(language):
    catalogue = _catalogue(language)

    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []
    assert [e.msgid for e in catalogue.obsolete_entries()] == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_keeps_every_placeholder(language):
    broken = []
    for entry in _catalogue(language).translated_entries():
        if entry.msgid_plural:
            # A language with one plural form may drop the number from the singular.
            wanted = set(_placeholders(entry.msgid)) | set(_placeholders(entry.msgid_plural))
            translations = list(entry.msgstr_plural.values())
            if any(not set(_placeholders(t)) <= wanted for t in translations) or not any(
                set(_placeholders(t)) == set(_placeholders(entry.msgid_plural))
                for t in translations
            ):
                broken.append(entry.msgid)
        elif _placeholders(entry.msgid) != _placeholders(entry.msgstr):
            broken.append(entry.msgid)

    assert broken == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_passes_msgfmt_check(language, tmp_path):
    po = REPO_ROOT / "locale" / to_locale(language) / "LC_MESSAGES" / "django.po"

    result = subprocess.run(
        ["msgfmt", "--check", "--output-file", str(tmp_path / "django.mo"), str(po)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr


def test_catalogues_hold_every_message_of_the_code(tmp_path):
    """Extract again from a copy of the code: nothing may be missing from the catalogues."""
    for name in ("manage.py", "portal", "memberships", "templates"):
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)
    (tmp_path / "locale").mkdir()

    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "es", "--no-location"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "true", "VAR_DIR": str(tmp_path / "var")},
        check=True,
        capture_output=True,
    )

    extracted = {
        (e.msgctxt, e.msgid)
        for e in polib.pofile(str(tmp_path / "locale" / "es" / "LC_MESSAGES" / "django.po"))
    }
    for language in LANGUAGES:
        held = {(e.msgctxt, e.msgid) for e in _catalogue(language) if not e.obsolete}
        assert sorted(extracted - held, key=str) == [], language
