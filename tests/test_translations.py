"""The Chinese catalogue is complete and the compiled .mo matches the .po (Chinese is the default)."""

from pathlib import Path

import polib
import pytest
from django.utils import translation

CATALOGUE = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
ENTRIES = [entry for entry in polib.pofile(str(CATALOGUE)) if not entry.obsolete]


def _chinese(entry: polib.POEntry) -> str:
    """The Chinese text; a plural entry has one form in Chinese (nplurals=1)."""
    return entry.msgstr_plural.get(0, "") if entry.msgid_plural else entry.msgstr


def test_every_message_has_a_chinese_text():
    untranslated = [entry.msgid for entry in ENTRIES if not _chinese(entry) or "fuzzy" in entry.flags]
    assert untranslated == []


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda entry: entry.msgid[:40])
def test_compiled_catalogue_gives_the_chinese_text(entry):
    with translation.override("zh-hans"):
        if entry.msgid_plural:
            for count in (1, 2):
                assert translation.ngettext(entry.msgid, entry.msgid_plural, count) == _chinese(entry)
        elif entry.msgctxt:
            assert translation.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr
        else:
            assert translation.gettext(entry.msgid) == entry.msgstr


ROOT = CATALOGUE.parents[3]
SOURCE_DIRS = ["config", "enrollment", "payments", "eligibility"]
TRANSLATION_FUNCTIONS = {"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy"}


def _python_messages() -> set[str]:
    import ast

    found: set[str] = set()
    for folder in SOURCE_DIRS:
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts or "rules" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in TRANSLATION_FUNCTIONS
                    and node.args
                    and isinstance(node.args[-1 if node.func.id.startswith("p") else 0], ast.Constant)
                ):
                    found.add(node.args[-1 if node.func.id.startswith("p") else 0].value)
    return found


def _template_messages() -> set[str]:
    import re

    found: set[str] = set()
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text("utf-8")
        found.update(re.findall(r'{%\s*translate\s+"([^"]+)"', text))
        for block in re.findall(r"{%\s*blocktranslate trimmed\s*%}(.*?){%\s*endblocktranslate\s*%}", text, re.S):
            found.add(" ".join(block.split()))
    return found


def test_every_message_in_the_code_and_templates_is_in_the_catalogue():
    catalogued = {entry.msgid for entry in ENTRIES}
    missing = sorted((_python_messages() | _template_messages()) - catalogued)
    assert missing == [], "run `make messages` and give these a Chinese text in locale/zh/*.json"
