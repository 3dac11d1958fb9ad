"""The scenario runner (FORMAT.md): parse scenario files, evaluate, compare, report.

Pure and Django-free: ``python -m eligibility.rules.scenarios FILE... [--profiles P]``. The
``evaluate_scenarios`` management command only calls ``run_files``.

Exit status: 0 when nothing failed, 1 when an expectation failed, 2 when a file or scenario is
malformed (a one-line message naming the scenario and the field; never a traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TextIO

from .codes import Category, EmployeeKind, EventKind, Frequency, Scheme
from .dates import parse_date, parse_month
from .engine import evaluate
from .errors import MalformedInput
from .facts import (
    Action,
    CiCapRequest,
    Claims,
    EmployeePayment,
    EmployeeSpan,
    Event,
    FlexibleEnrollment,
    History,
    HistoryEntry,
    MilitarySpan,
    Person,
    ResidentPayment,
    ResidentYears,
)
from .profile import Profile, ProfileBook, build_profile, enum_value
from .result import OUTPUT_KEYS, OutputValue, Result

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_MALFORMED = 2

MONEY_KEYS = frozenset({"premium_due", "ci_cap"})


@dataclass(frozen=True, slots=True)
class Scenario:
    """A parsed scenario: facts, action, profile and the optional expectations."""

    id: str
    profile: Profile
    person: Person
    history: History
    claims: Claims
    action: Action
    expect: Mapping[str, Any] | None

    def evaluate(self) -> Result:
        """Evaluate the scenario's action through the engine."""
        return evaluate(self.action, person=self.person, history=self.history, claims=self.claims, profile=self.profile)


# --- parsing --------------------------------------------------------------------------


def _object(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MalformedInput(where, f"expected an object, got {type(value).__name__}")
    return value


def _list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise MalformedInput(where, f"expected a list, got {type(value).__name__}")
    return value


def _required(obj: Mapping[str, Any], key: str, where: str) -> object:
    if key not in obj or obj[key] is None:
        raise MalformedInput(f"{where}.{key}", "missing")
    return obj[key]


def _int(value: object, where: str, *, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedInput(where, f"expected a whole number, got {value!r}")
    if minimum is not None and value < minimum:
        raise MalformedInput(where, f"must be at least {minimum}, got {value!r}")
    return value


def _year(value: object, where: str) -> int:
    year = _int(value, where)
    if not 1 <= year <= 9999:
        raise MalformedInput(where, f"invalid year {value!r}")
    return year


def parse_person(raw: object) -> Person:
    """``person``: birth_date, category, events (section 2)."""
    if raw is None:
        return Person()
    obj = _object(raw, "person")
    birth = obj.get("birth_date")
    category = obj.get("category")
    events = []
    for i, item in enumerate(_list(obj.get("events", []) or [], "person.events")):
        where = f"person.events[{i}]"
        event = _object(item, where)
        kind = enum_value(EventKind, _required(event, "kind", where), f"{where}.kind")
        events.append(Event(kind, parse_date(_required(event, "date", where), f"{where}.date")))
    return Person(
        birth_date=None if birth is None else parse_date(birth, "person.birth_date"),
        category=None if category is None else enum_value(Category, category, "person.category"),
        events=tuple(events),
    )


def parse_history_entry(raw: object, where: str) -> HistoryEntry:
    """One ``history`` entry: resident years, employee or military month range."""
    obj = _object(raw, where)
    scheme = enum_value(Scheme, _required(obj, "scheme", where), f"{where}.scheme")
    if scheme is Scheme.RESIDENT:
        years = _list(_required(obj, "years", where), f"{where}.years")
        if not years:
            raise MalformedInput(f"{where}.years", "needs at least one year")
        parsed = tuple(_year(y, f"{where}.years[{i}]") for i, y in enumerate(years))
        benefits_from = obj.get("benefits_from")
        if benefits_from is not None and len(parsed) != 1:
            raise MalformedInput(f"{where}.benefits_from", "only allowed on an entry listing exactly one year")
        return ResidentYears(
            parsed, None if benefits_from is None else parse_date(benefits_from, f"{where}.benefits_from")
        )
    first = parse_month(_required(obj, "from", where), f"{where}.from")
    last = parse_month(_required(obj, "to", where), f"{where}.to")
    if first > last:
        raise MalformedInput(f"{where}.from", "'from' is after 'to'")
    if scheme is Scheme.MILITARY:
        return MilitarySpan(first, last)
    kind = enum_value(EmployeeKind, _required(obj, "kind", where), f"{where}.kind")
    return EmployeeSpan(kind, first, last)


def parse_history(raw: object) -> History:
    """``history``: a list of entries (section 2)."""
    if raw is None:
        return History()
    items = _list(raw, "history")
    return History(tuple(parse_history_entry(item, f"history[{i}]") for i, item in enumerate(items)))


def parse_claims(raw: object) -> Claims:
    """``claims``: lists of years (section 2)."""
    if raw is None:
        return Claims()
    obj = _object(raw, "claims")
    lists = {}
    for key in ("zero_reimbursement_years", "ci_reward_used_years"):
        items = obj.get(key, [])
        if items is None:
            items = []
        if not isinstance(items, list):
            raise MalformedInput(f"claims.{key}", "expected a list of years")
        lists[key] = frozenset(_year(y, f"claims.{key}[{i}]") for i, y in enumerate(items))
    return Claims(lists["zero_reimbursement_years"], lists["ci_reward_used_years"])


def parse_action(raw: object) -> Action:
    """``action`` by kind (FORMAT.md Actions and Extensions)."""
    obj = _object(raw, "action")
    kind = _required(obj, "kind", "action")
    if kind == "resident_payment":
        repair = obj.get("repair_years", 0)
        return ResidentPayment(
            year=_year(_required(obj, "year", "action"), "action.year"),
            paid_on=parse_date(_required(obj, "paid_on", "action"), "action.paid_on"),
            repair_years=0 if repair is None else _int(repair, "action.repair_years", minimum=0),
        )
    if kind == "employee_payment":
        cover_from = parse_month(_required(obj, "cover_from", "action"), "action.cover_from")
        cover_to = parse_month(_required(obj, "cover_to", "action"), "action.cover_to")
        if cover_from > cover_to:
            raise MalformedInput("action.cover_from", "cover_from is after cover_to")
        frequency = obj.get("frequency")
        return EmployeePayment(
            employee_kind=enum_value(EmployeeKind, _required(obj, "employee_kind", "action"), "action.employee_kind"),
            paid_on=parse_date(_required(obj, "paid_on", "action"), "action.paid_on"),
            cover_from=cover_from,
            cover_to=cover_to,
            frequency=Frequency.ANNUAL if frequency is None else enum_value(Frequency, frequency, "action.frequency"),
        )
    if kind == "flexible_enrollment":
        return FlexibleEnrollment(
            year=_year(_required(obj, "year", "action"), "action.year"),
            on=parse_date(_required(obj, "on", "action"), "action.on"),
        )
    if kind == "ci_cap":
        return CiCapRequest(year=_year(_required(obj, "year", "action"), "action.year"))
    raise MalformedInput("action.kind", f"unknown action kind {kind!r}")


def parse_profile(raw: Mapping[str, Any], book: ProfileBook) -> Profile:
    """``profile`` (a name in the profiles file, or an inline entry) plus ``params`` overrides."""
    ref = _required(raw, "profile", "scenario")
    overrides = raw.get("params")
    if overrides is not None:
        overrides = _object(overrides, "params")
    if isinstance(ref, str):
        return book.get(ref, overrides)
    if isinstance(ref, Mapping):
        return build_profile(str(ref.get("title") or "inline"), ref, overrides)
    raise MalformedInput("profile", f"expected a profile name or an inline profile, got {ref!r}")


def parse_expect(raw: object) -> Mapping[str, Any] | None:
    """``expect``: any subset of the output keys."""
    if raw is None:
        return None
    obj = _object(raw, "expect")
    for key in obj:
        if key not in OUTPUT_KEYS:
            raise MalformedInput(f"expect.{key}", "unknown output key")
    if "warnings" in obj and not isinstance(obj["warnings"], list):
        raise MalformedInput("expect.warnings", "expected a list of codes")
    return obj


def scenario_id(raw: object, position: int) -> str:
    """The scenario's id, or ``#n`` (1-based position) when it has none."""
    if isinstance(raw, Mapping) and isinstance(raw.get("id"), str | int) and not isinstance(raw.get("id"), bool):
        return str(raw["id"])
    return f"#{position}"


def parse_scenario(raw: object, book: ProfileBook, position: int = 1) -> Scenario:
    """Parse one scenario; malformed input raises ``MalformedInput`` naming the scenario and field."""
    sid = scenario_id(raw, position)
    try:
        obj = _object(raw, "scenario")
        if "id" not in obj:
            raise MalformedInput("id", "missing")
        return Scenario(
            id=sid,
            profile=parse_profile(obj, book),
            person=parse_person(obj.get("person")),
            history=parse_history(obj.get("history")),
            claims=parse_claims(obj.get("claims")),
            action=parse_action(_required(obj, "action", "scenario")),
            expect=parse_expect(obj.get("expect")),
        )
    except MalformedInput as exc:
        raise exc.for_scenario(sid) from None


# --- comparison -------------------------------------------------------------------------


def _as_decimal(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _matches(key: str, expected: object, actual: OutputValue) -> bool:
    if key == "warnings":
        return isinstance(expected, list) and isinstance(actual, list) and set(expected) <= set(actual)
    if expected is None or actual is None:
        return expected is None and actual is None
    if key in MONEY_KEYS:
        want, got = _as_decimal(expected), _as_decimal(actual)
        return want is not None and got is not None and want == got
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    return expected == actual


def mismatches(expect: Mapping[str, Any], actual: Mapping[str, OutputValue]) -> list[str]:
    """FORMAT.md comparison: dates, strings and integers exactly, decimals numerically,
    warnings as a set (every expected code must be present)."""
    return [
        f"{key}: expected {json.dumps(expect[key], ensure_ascii=False)}, "
        f"got {json.dumps(actual[key], ensure_ascii=False)}"
        for key in expect
        if not _matches(key, expect[key], actual[key])
    ]


# --- running ----------------------------------------------------------------------------


def _emit(stream: TextIO, line: str) -> None:
    # One write per line (works with Django's OutputWrapper, which would add its own newline).
    stream.write(line + "\n")


@dataclass
class RunSummary:
    """Counts of one run."""

    passed: int = 0
    failed: int = 0
    malformed: int = 0

    @property
    def exit_code(self) -> int:
        """0 / 1 / 2 as FORMAT.md says (malformed wins)."""
        if self.malformed:
            return EXIT_MALFORMED
        return EXIT_FAILED if self.failed else EXIT_OK


def load_scenario_file(path: str | Path) -> list[Any]:
    """Read one scenario file (a JSON list)."""
    file = Path(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MalformedInput("file", f"cannot read {str(file)!r}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MalformedInput("file", f"{str(file)!r} is not valid JSON: {exc}") from None
    if not isinstance(data, list):
        raise MalformedInput("file", f"{str(file)!r} must hold a JSON list of scenarios")
    return data


def run_scenarios(raw_scenarios: Sequence[object], book: ProfileBook, out: TextIO, err: TextIO) -> RunSummary:
    """Evaluate scenarios, print one JSON line each plus mismatches; return the counts."""
    summary = RunSummary()
    for position, raw in enumerate(raw_scenarios, start=1):
        sid = scenario_id(raw, position)
        try:
            scenario = parse_scenario(raw, book, position)
            actual = scenario.evaluate().to_output_dict()
        except MalformedInput as exc:
            summary.malformed += 1
            _emit(err, f"malformed: {exc.for_scenario(sid)}")
            continue
        _emit(out, json.dumps({"id": scenario.id, "actual": actual}, ensure_ascii=False))
        if scenario.expect is None:
            continue
        problems = mismatches(scenario.expect, actual)
        if problems:
            summary.failed += 1
            for problem in problems:
                _emit(out, f"MISMATCH {scenario.id}: {problem}")
        else:
            summary.passed += 1
    return summary


def run_files(
    paths: Sequence[str | Path],
    profiles: str | Path | None = None,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run scenario files; print results and ``N passed, M failed``; return the exit status."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    summary = RunSummary()
    try:
        book = ProfileBook.from_file(profiles)
    except MalformedInput as exc:
        _emit(err, f"malformed: {exc}")
        return EXIT_MALFORMED
    for path in paths:
        try:
            raw_scenarios = load_scenario_file(path)
        except MalformedInput as exc:
            summary.malformed += 1
            _emit(err, f"malformed: {exc}")
            continue
        part = run_scenarios(raw_scenarios, book, out, err)
        summary.passed += part.passed
        summary.failed += part.failed
        summary.malformed += part.malformed
    _emit(out, f"{summary.passed} passed, {summary.failed} failed")
    return summary.exit_code


def build_parser(prog: str = "python -m eligibility.rules.scenarios") -> argparse.ArgumentParser:
    """Command-line arguments shared by the module and the management command."""
    parser = argparse.ArgumentParser(prog=prog, description="Evaluate rule scenarios (FORMAT.md).")
    parser.add_argument("files", nargs="+", metavar="FILE", help="scenario files (JSON lists)")
    parser.add_argument("--profiles", default=None, help="profiles file (default: the project's copy)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m eligibility.rules.scenarios``."""
    args = build_parser().parse_args(argv)
    return run_files(args.files, args.profiles)


if __name__ == "__main__":
    sys.exit(main())
