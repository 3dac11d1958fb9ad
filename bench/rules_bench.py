"""Benchmark of the pure rules engine: evaluations per second over 100,000 generated persons.

Run from the repository root: ``python bench/rules_bench.py [--persons N] [--seed S]``.
A deterministic mix of actions (resident payments in and after the centralized period, with
breaks, repair, newborns and special groups; employee and flexible payments; flexible
enrolments; critical-illness caps) is built first, then evaluated on one core.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eligibility.rules import (  # noqa: E402
    Action,
    Category,
    CiCapRequest,
    Claims,
    EmployeeKind,
    EmployeePayment,
    EmployeeSpan,
    Event,
    EventKind,
    FlexibleEnrollment,
    Frequency,
    History,
    MilitarySpan,
    Person,
    Profile,
    ProfileBook,
    ResidentPayment,
    ResidentYears,
    evaluate,
)
from eligibility.rules.dates import month_index  # noqa: E402

Case = tuple[Action, Person, History, Claims, Profile]


def _resident_case(rng: random.Random, book: ProfileBook) -> Case:
    year = rng.choice((2025, 2026))
    profile = book.get(rng.choice(("JX-2025", "GZ-2025")) if year == 2025 else "JX-2026")
    last = year - 1 - rng.choice((0, 0, 0, 1, 2, 3, 4, 5, 6))
    first = last - rng.randint(0, 8)
    entries: list[ResidentYears | EmployeeSpan | MilitarySpan] = [ResidentYears(tuple(range(first, last + 1)))]
    if rng.random() < 0.2:
        stop = month_index(year, rng.randint(1, 5))
        entries.append(EmployeeSpan(EmployeeKind.UNIT, stop - rng.randint(6, 60), stop))
    if rng.random() < 0.05:
        entries.append(MilitarySpan(month_index(first - 3, 1), month_index(first - 1, 6)))
    events: tuple[Event, ...] = ()
    if rng.random() < 0.15:
        kind = rng.choice(list(EventKind))
        events = (Event(kind, date(year, 1, 1) + timedelta(days=rng.randint(0, 200))),)
    paid_on = date(year - 1, 11, 1) + timedelta(days=rng.randint(0, 400))
    if paid_on.year > year:
        paid_on = date(year, 12, 31)
    birth = date(rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28))
    if rng.random() < 0.1:
        birth = paid_on - timedelta(days=rng.randint(0, 500))
        entries = []
    category = (
        Category.ORDINARY if profile.name == "GZ-2025" else rng.choice((Category.ORDINARY, Category.FIXED_SUBSIDY))
    )
    action = ResidentPayment(year=year, paid_on=paid_on, repair_years=rng.choice((0, 0, 1, 2, 4)))
    return action, Person(birth, category, events), History(tuple(entries)), Claims(), profile


def _employee_case(rng: random.Random, book: ProfileBook) -> Case:
    profile = book.get(rng.choice(("NC-2025", "S2-FLEX-2025")))
    stop = month_index(2025, 1) - rng.randint(-4, 14)
    entries: tuple[EmployeeSpan | ResidentYears, ...] = (
        EmployeeSpan(EmployeeKind.UNIT, stop - rng.randint(0, 80), stop),
    )
    if rng.random() < 0.2:
        entries = (ResidentYears((2023, 2024)),)
    paid_on = date(2025, 1, 1) + timedelta(days=rng.randint(0, 300))
    paid_month = month_index(paid_on.year, paid_on.month)
    cover_from = paid_month - rng.choice((0, 0, 1, 2, 5))
    kind = rng.choice((EmployeeKind.FLEXIBLE, EmployeeKind.FLEXIBLE, EmployeeKind.UNIT))
    frequency = Frequency.MONTHLY if rng.random() < 0.05 else Frequency.ANNUAL
    action = EmployeePayment(kind, paid_on, cover_from, month_index(2025, 12), frequency)
    return action, Person(), History(entries), Claims(), profile


def _other_case(rng: random.Random, book: ProfileBook) -> Case:
    profile = book.get("JX-2026")
    first = rng.randint(2012, 2024)
    history = History((ResidentYears(tuple(range(first, 2027))),))
    if rng.random() < 0.5:
        claims = Claims(frozenset({2023, 2024, 2025}), frozenset({rng.choice((2022, 2024))}))
        return CiCapRequest(year=2026), Person(), history, claims, profile
    flex = book.get("NC-2026")
    on = date(2026, 1, 1) + timedelta(days=rng.randint(0, 380))
    return FlexibleEnrollment(year=2026, on=on), Person(), history, Claims(), flex


def generate(persons: int, seed: int, book: ProfileBook) -> list[Case]:
    """A deterministic mix: 60% resident, 30% employee, 10% CI caps and flexible enrolments."""
    rng = random.Random(seed)
    cases: list[Case] = []
    for _ in range(persons):
        roll = rng.random()
        if roll < 0.6:
            cases.append(_resident_case(rng, book))
        elif roll < 0.9:
            cases.append(_employee_case(rng, book))
        else:
            cases.append(_other_case(rng, book))
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20250301)
    args = parser.parse_args()
    book = ProfileBook.from_file()

    started = time.perf_counter()
    cases = generate(args.persons, args.seed, book)
    built = time.perf_counter() - started

    # The prebuilt facts are long-lived: move them out of the cyclic GC's way (GC stays enabled).
    gc.collect()
    gc.freeze()
    results = []
    started, cpu_started = time.perf_counter(), time.process_time()
    for action, person, history, claims, profile in cases:
        results.append(evaluate(action, person=person, history=history, claims=claims, profile=profile))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started

    outcomes: Counter[str] = Counter()
    for (action, *_), result in zip(cases, results, strict=True):
        outcomes[result.rejection_code.value if result.rejection_code else f"accepted:{action.kind.value}"] += 1

    print(f"persons generated:          {len(cases):,} (facts built in {built:.2f} s, seed {args.seed})")
    print(f"evaluations:                {len(cases):,} in {elapsed:.3f} s wall, {cpu:.3f} s CPU")
    print(f"evaluations per second:     {len(cases) / elapsed:,.0f} (wall clock)")
    print(f"evaluations per CPU second: {len(cases) / cpu:,.0f} (one core)")
    print(f"mean time per evaluation:   {elapsed / len(cases) * 1e6:.1f} µs")
    print(f"incl. building the facts:   {len(cases) / (elapsed + built):,.0f} per second")
    print("outcomes:")
    for outcome, count in sorted(outcomes.items()):
        print(f"  {outcome:<40} {count:>7,}")


if __name__ == "__main__":
    main()
