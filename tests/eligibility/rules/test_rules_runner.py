"""The scenario runner (FORMAT.md): output lines, summary, exit codes, malformed messages."""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from eligibility.rules import OUTPUT_KEYS
from eligibility.rules.scenarios import main, run_files

REPO_ROOT = Path(__file__).resolve().parents[3]
PUBLIC = REPO_ROOT / "tests" / "scenarios" / "public.json"
SCENARIOS: list[dict[str, Any]] = json.loads(PUBLIC.read_text(encoding="utf-8"))


def run(tmp_path: Path, scenarios: Any, *, raw_text: str | None = None) -> tuple[int, str, str]:
    path = tmp_path / "scenarios.json"
    path.write_text(raw_text if raw_text is not None else json.dumps(scenarios), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = run_files([path], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def scenario(sid: str = "S02", **changes: Any) -> dict[str, Any]:
    raw = copy.deepcopy(next(s for s in SCENARIOS if s["id"] == sid))
    raw.update(changes)
    return raw


def test_public_file_passes_with_one_json_line_per_scenario() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert run_files([PUBLIC], out=out, err=err) == 0
    lines = out.getvalue().splitlines()
    assert lines[-1] == "32 passed, 0 failed"
    records = [json.loads(line) for line in lines[:-1]]
    assert [r["id"] for r in records] == [s["id"] for s in SCENARIOS]
    assert all(list(r) == ["id", "actual"] and list(r["actual"]) == list(OUTPUT_KEYS) for r in records)
    assert err.getvalue() == ""


def test_mismatch_exit_1(tmp_path: Path) -> None:
    bad = scenario(expect={"benefits_from": "2025-06-02", "premium_due": "400", "warnings": []})
    code, out, _ = run(tmp_path, [bad, scenario("S01")])
    assert code == 1
    assert 'MISMATCH S02: benefits_from: expected "2025-06-02", got "2025-06-01"' in out
    assert "MISMATCH S02: premium_due" not in out  # decimals compare numerically
    assert out.splitlines()[-1] == "1 passed, 1 failed"


def test_warnings_compare_as_a_set_of_expected_codes(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, [scenario("S07", expect={"warnings": ["REPAIR_LIMITED"]})])
    assert (code, out.splitlines()[-1]) == (0, "1 passed, 0 failed")
    code, out, _ = run(tmp_path, [scenario("S02", expect={"warnings": ["REPAIR_LIMITED"]})])
    assert code == 1


def test_no_expectations_exit_0(tmp_path: Path) -> None:
    raw = scenario()
    del raw["expect"]
    code, out, _ = run(tmp_path, [raw])
    assert code == 0
    assert out.splitlines()[-1] == "0 passed, 0 failed"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"profile": "XX-2025"}, "S02: profile: unknown profile 'XX-2025'"),
        (
            {"action": {"kind": "resident_payment", "year": 2025, "paid_on": "2025-02-30"}},
            "S02: action.paid_on: invalid date '2025-02-30'",
        ),
        (
            {
                "action": {
                    "kind": "employee_payment",
                    "employee_kind": "flexible",
                    "paid_on": "2025-07-01",
                    "cover_from": "2025-12",
                    "cover_to": "2025-07",
                },
                "profile": "NC-2025",
            },
            "S02: action.cover_from: cover_from is after cover_to",
        ),
        (
            {
                "person": {
                    "birth_date": "1980-05-01",
                    "category": "ordinary",
                    "events": [{"kind": "birth", "date": "1980-05-01"}],
                }
            },
            "S02: person.events[0].kind: unknown value 'birth'",
        ),
        ({"params": {"resident.fixed_waits": 3}}, "S02: params.resident.fixed_waits: unknown parameter"),
        ({"history": [{"scheme": "pension", "years": [2024]}]}, "S02: history[0].scheme: unknown value 'pension'"),
        (
            {"history": [{"scheme": "employee", "kind": "unit", "from": "2024-05", "to": "2024-02"}]},
            "S02: history[0].from: 'from' is after 'to'",
        ),
        (
            {"action": {"kind": "resident_payment", "year": 2026, "paid_on": "2025-03-01"}},
            "S02: action.year: profile 'JX-2025' is for 2025, not 2026",
        ),
        ({"expect": {"benefit_from": "2025-06-01"}}, "S02: expect.benefit_from: unknown output key"),
    ],
)
def test_malformed_scenario_exit_2_with_one_line(tmp_path: Path, changes: dict[str, Any], message: str) -> None:
    code, out, err = run(tmp_path, [scenario(**changes), scenario("S01")])
    assert code == 2
    assert err.strip().startswith("malformed: ")
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err + out
    assert out.splitlines()[-1] == "1 passed, 0 failed"  # the other scenario still ran


@pytest.mark.parametrize("text", ["{not json", '{"id": "S01"}'])
def test_malformed_file_exit_2(tmp_path: Path, text: str) -> None:
    code, _, err = run(tmp_path, None, raw_text=text)
    assert code == 2
    assert "scenarios.json" in err and "Traceback" not in err


def test_missing_file_and_unknown_profiles_file(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert run_files([tmp_path / "nope.json"], out=out, err=err) == 2
    assert run_files([PUBLIC], tmp_path / "nope.json", out=out, err=err) == 2


def test_profiles_option(tmp_path: Path) -> None:
    profiles = json.loads((REPO_ROOT / "eligibility" / "data" / "profiles.json").read_text())
    profiles["profiles"]["JX-2025"]["params"]["resident.fixed_wait"] = 4
    path = tmp_path / "profiles.json"
    path.write_text(json.dumps(profiles))
    code = main([str(PUBLIC), "--profiles", str(path)])
    assert code == 1  # S02 and others now disagree


def test_inline_profile(tmp_path: Path) -> None:
    profiles = json.loads((REPO_ROOT / "eligibility" / "data" / "profiles.json").read_text())
    code, _, _ = run(tmp_path, [scenario(profile=profiles["profiles"]["JX-2025"])])
    assert code == 0


def test_module_entry_point_runs_without_django() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    proc = subprocess.run(
        [sys.executable, "-m", "eligibility.rules.scenarios", str(PUBLIC)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "32 passed, 0 failed"


def test_management_command_is_thin_and_exits_with_the_runner_status(tmp_path: Path) -> None:
    pytest.importorskip("django")
    from django.conf import settings

    if not settings.configured:
        pytest.skip("Django settings are not configured")
    from django.core.management import call_command

    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("evaluate_scenarios", str(PUBLIC), stdout=out, stderr=err)
    assert exited.value.code == 0
    assert out.getvalue().splitlines()[-1] == "32 passed, 0 failed"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([scenario(profile="XX-2025")]))
    with pytest.raises(SystemExit) as exited:
        call_command("evaluate_scenarios", str(bad), stdout=out, stderr=err)
    assert exited.value.code == 2
    assert "S02: profile: unknown profile 'XX-2025'" in err.getvalue()
