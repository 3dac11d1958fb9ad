"""Fill the Chinese catalogue from the tables in locale/zh/*.json and compile it (with polib).

Each table maps an English source text to its Chinese text; one file per area of the code so that
people working on different areas do not edit the same file. `make messages` first refreshes the
catalogue from the code (makemessages, needs gettext), then runs this script, which reports every
source text that has no Chinese yet and exits 1 if there is one.
"""

import json
import sys
from pathlib import Path

import polib

HERE = Path(__file__).resolve().parent


def chinese_texts() -> dict[str, str]:
    texts: dict[str, str] = {}
    for table in sorted((HERE / "zh").glob("*.json")):
        texts.update(json.loads(table.read_text("utf-8")))
    return texts


def main() -> int:
    path = HERE / "zh_Hans" / "LC_MESSAGES" / "django.po"
    catalogue = polib.pofile(str(path))
    texts = chinese_texts()
    missing = []
    for entry in catalogue:
        if entry.msgid in texts:
            if entry.msgid_plural:
                # Chinese has one plural form (nplurals=1): the table's text serves every count.
                entry.msgstr_plural = {0: texts[entry.msgid]}
            else:
                entry.msgstr = texts[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
        else:
            # msgmerge guesses ("fuzzy") from similar texts; a guess is never shipped.
            entry.msgstr = ""
            if entry.msgid_plural:
                entry.msgstr_plural = {0: ""}
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
            entry.previous_msgid = None
            missing.append(entry.msgid)
    catalogue.metadata["Language"] = "zh_Hans"
    catalogue.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    catalogue.save()
    catalogue.save_as_mofile(str(path.with_suffix(".mo")))
    for msgid in missing:
        print(f"no Chinese text for: {msgid!r}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
