"""The scenario files run clean through the management command, as CI and reviewers run them."""

from pathlib import Path

import pytest
from django.core.management import call_command

SCENARIO_DIR = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.mark.parametrize(("name", "count"), [("public.json", 32), ("reviewed.json", 147)])
def test_scenario_file_passes_through_evaluate_scenarios(name, count, capsys):
    with pytest.raises(SystemExit) as exit_info:
        call_command("evaluate_scenarios", str(SCENARIO_DIR / name))
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    assert out.strip().splitlines()[-1] == f"{count} passed, 0 failed"
