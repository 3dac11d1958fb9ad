"""The Chinese catalogue is complete and the compiled .mo matches the .po (Chinese is the default)."""

from pathlib import Path

import polib
import pytest
from django.utils import translation

CATALOGUE = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
ENTRIES = [entry for entry in polib.pofile(str(CATALOGUE)) if not entry.obsolete]


def test_every_message_has_a_chinese_text():
    untranslated = [entry.msgid for entry in ENTRIES if not entry.msgstr or "fuzzy" in entry.flags]
    assert untranslated == []


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda entry: entry.msgid[:40])
def test_compiled_catalogue_gives_the_chinese_text(entry):
    with translation.override("zh-hans"):
        if entry.msgctxt:
            assert translation.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr
        else:
            assert translation.gettext(entry.msgid) == entry.msgstr
