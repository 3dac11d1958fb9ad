"""The rules package imports nothing outside the standard library (no Django)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

RULES_DIR = Path(__file__).resolve().parents[3] / "eligibility" / "rules"


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_rules_modules_exist() -> None:
    assert len(list(RULES_DIR.glob("*.py"))) >= 10


def test_rules_import_only_the_standard_library() -> None:
    offenders = {
        f"{path.name}: {root}"
        for path in sorted(RULES_DIR.glob("*.py"))
        for root in _imported_roots(path)
        if root not in sys.stdlib_module_names and root != "__future__"
    }
    assert offenders == set()


def test_rules_never_read_the_clock() -> None:
    for path in RULES_DIR.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for forbidden in ("date.today(", "datetime.now(", "datetime.today(", "time.time(", "utcnow("):
            assert forbidden not in text, f"{path.name} calls {forbidden}"


def test_the_import_check_catches_django(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text("from django.db import models\nimport json\n", encoding="utf-8")
    assert _imported_roots(sample) == {"django", "json"}
