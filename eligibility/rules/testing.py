"""Helpers for tests and examples: evaluate a scenario written as a FORMAT.md dict."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from .profile import ProfileBook
from .result import OutputValue, Result
from .scenarios import parse_scenario


@lru_cache(maxsize=1)
def default_book() -> ProfileBook:
    """The project's own profiles (``eligibility/data/profiles.json``)."""
    return ProfileBook.from_file()


def scenario_result(
    action: dict[str, Any],
    *,
    profile: str | dict[str, Any] = "JX-2025",
    params: dict[str, Any] | None = None,
    person: dict[str, Any] | None = None,
    history: list[dict[str, Any]] | None = None,
    claims: dict[str, Any] | None = None,
    scenario_id: str = "T",
) -> Result:
    """Evaluate one scenario given by its FORMAT.md parts."""
    raw: dict[str, Any] = {
        "id": scenario_id,
        "profile": profile,
        "person": person if person is not None else {"birth_date": "1980-01-01", "category": "ordinary"},
        "history": history or [],
        "action": action,
    }
    if params is not None:
        raw["params"] = params
    if claims is not None:
        raw["claims"] = claims
    return parse_scenario(raw, default_book()).evaluate()


def scenario_output(action: dict[str, Any], **parts: Any) -> dict[str, OutputValue]:
    """Like ``scenario_result`` but returns FORMAT.md's ``actual`` dict."""
    return scenario_result(action, **parts).to_output_dict()


def resident(year: int, paid_on: str, repair_years: int = 0) -> dict[str, Any]:
    """A ``resident_payment`` action."""
    return {"kind": "resident_payment", "year": year, "paid_on": paid_on, "repair_years": repair_years}


def employee(
    paid_on: str, cover_from: str, cover_to: str, kind: str = "flexible", frequency: str = "annual"
) -> dict[str, Any]:
    """An ``employee_payment`` action."""
    return {
        "kind": "employee_payment",
        "employee_kind": kind,
        "paid_on": paid_on,
        "cover_from": cover_from,
        "cover_to": cover_to,
        "frequency": frequency,
    }


def resident_years(*years: int, benefits_from: str | None = None) -> dict[str, Any]:
    """A resident history entry."""
    entry: dict[str, Any] = {"scheme": "resident", "years": list(years)}
    if benefits_from is not None:
        entry["benefits_from"] = benefits_from
    return entry


def employee_span(first: str, last: str, kind: str = "unit") -> dict[str, Any]:
    """An employee history entry."""
    return {"scheme": "employee", "kind": kind, "from": first, "to": last}


def military_span(first: str, last: str) -> dict[str, Any]:
    """A military history entry."""
    return {"scheme": "military", "from": first, "to": last}
