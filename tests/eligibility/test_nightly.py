"""The bulk recompute: same answers as one by one, incremental selection, retry-safe chunks."""

import datetime as dt
import random

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from eligibility import nightly
from eligibility.models import EligibilitySnapshot, RecomputeChunk, RecomputeRequest, RecomputeRun
from eligibility.nightly import (
    RunRefused,
    pending_chunk_ids,
    recompute_chunk,
    recompute_run_in_process,
    recompute_start,
)
from eligibility.rules import ResidentPayment
from eligibility.selectors import facts_for_persons
from eligibility.services import decision_record, eligibility_evaluate, status_values
from enrollment.models import Person
from payments.models import LedgerEntry
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
D = dt.date
AS_OF = D(2026, 3, 15)


def population(region, count: int, seed: int = 7) -> list[Person]:
    """Persons with resident years, employee months with gaps, and some recorded decisions."""
    rng = random.Random(seed)
    persons = [PersonFactory(household_region=region, born=D(rng.randint(1950, 2005), 1, 15)) for _ in range(count)]
    rows = []
    for person in persons:
        kind = rng.random()
        if kind < 0.4:
            first = rng.randint(2018, 2024)
            last = rng.randint(first, 2025)
            rows += [
                LedgerEntry(person=person, region=region, scheme="resident", period=D(y, 1, 1), paid_on=D(y - 1, 11, 1))
                for y in range(first, last + 1)
            ]
        elif kind < 0.8:
            start = rng.randint(0, 30)
            stop = rng.randint(start, 40)
            rows += [
                LedgerEntry(
                    person=person,
                    region=region,
                    scheme="employee_flexible",
                    period=D(2023 + m // 12, m % 12 + 1, 1),
                    paid_on=D(2023, 1, 5),
                )
                for m in range(start, stop)
            ]
    LedgerEntry.objects.bulk_create(rows)
    for person in persons[: count // 5]:
        action = ResidentPayment(year=2026, paid_on=D(2026, rng.randint(1, 3), rng.randint(1, 28)))
        result, name = eligibility_evaluate(person_id=person.pk, action=action)
        if result.accepted:
            decision_record(person=person, action=action, result=result, profile_name=name)
    return persons


def one_by_one(persons, as_of):
    facts = facts_for_persons([p.pk for p in persons])
    return {p.pk: status_values(facts=facts[p.pk], as_of=as_of)[1] for p in persons}


def stored(persons):
    from eligibility.snapshots import stored_values

    return {s.person_id: stored_values(s) for s in EligibilitySnapshot.objects.filter(person__in=persons)}


def test_a_full_run_gives_what_the_single_person_service_gives(nanchang, policies):
    persons = population(nanchang, 120)

    run = recompute_run_in_process(recompute_start(as_of=AS_OF, full=True, chunk_size=25, triggered_by="test"))

    assert (run.status, run.chunks_total, run.chunks_done) == ("finished", 5, 5)
    assert run.persons_examined == 120 and run.persons_failed == 0
    assert stored(persons) == one_by_one(persons, AS_OF)


def test_incremental_runs_take_only_marked_and_due_persons(nanchang, policies):
    persons = population(nanchang, 40)
    recompute_run_in_process(recompute_start(as_of=AS_OF, full=True, chunk_size=100, triggered_by="test"))

    quiet = recompute_run_in_process(recompute_start(as_of=AS_OF, chunk_size=100, triggered_by="test"))
    RecomputeRequest.objects.create(person=persons[3], requested_at=timezone.now() - dt.timedelta(hours=1))
    marked = recompute_run_in_process(recompute_start(as_of=AS_OF, chunk_size=100, triggered_by="test"))
    due = EligibilitySnapshot.objects.filter(next_change_on__lte=D(2026, 4, 1)).count()
    later = recompute_run_in_process(recompute_start(as_of=D(2026, 4, 1), chunk_size=100, triggered_by="test"))

    assert quiet.persons_examined == 0 and quiet.chunks_total == 0
    assert marked.persons_examined == 1 and not RecomputeRequest.objects.exists()
    assert due > 0 and later.persons_examined == due


def test_a_policy_change_since_the_last_run_makes_the_next_incremental_run_full(nanchang, policies):
    from payments.models import PolicyProfile

    persons = population(nanchang, 12)
    recompute_run_in_process(recompute_start(as_of=AS_OF, full=True, chunk_size=100, triggered_by="test"))
    unchanged = recompute_run_in_process(recompute_start(as_of=AS_OF, chunk_size=100, triggered_by="test"))

    # when: a supervisor edits a profile (kept in its history)
    profile = PolicyProfile.objects.filter(region=nanchang).first()
    profile.name = profile.name + " (revised)"
    profile.save()
    promoted = recompute_run_in_process(recompute_start(as_of=AS_OF, chunk_size=100, triggered_by="test"))
    after = recompute_run_in_process(recompute_start(as_of=AS_OF, chunk_size=100, triggered_by="test"))

    # then
    assert unchanged.mode == "incremental" and unchanged.persons_examined == 0
    assert promoted.mode == "full" and promoted.persons_examined == len(persons)
    assert after.mode == "incremental" and after.persons_examined == 0


def test_a_chunk_run_twice_changes_nothing_the_second_time(nanchang, policies):
    population(nanchang, 30)
    run = recompute_start(as_of=AS_OF, full=True, chunk_size=30, triggered_by="test")
    chunk_id = pending_chunk_ids(run)[0]

    first = recompute_chunk(chunk_id)
    again = recompute_chunk(chunk_id)  # a redelivered task
    RecomputeChunk.objects.filter(pk=chunk_id).update(status="pending")
    forced = recompute_chunk(chunk_id)  # even redone from scratch

    assert first.persons_changed == 30
    assert again.attempts == 1
    assert forced.persons_changed == 0 and forced.attempts == 2


def test_an_interrupted_run_taken_over_ends_like_an_uninterrupted_one(nanchang, policies):
    persons = population(nanchang, 60)
    expected = one_by_one(persons, AS_OF)
    run = recompute_start(as_of=AS_OF, full=True, chunk_size=10, triggered_by="test")
    for chunk_id in pending_chunk_ids(run)[:2]:
        recompute_chunk(chunk_id)
    # The coordinator died: no progress for longer than the stale limit.
    RecomputeRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - nightly.STALE_AFTER * 2)

    again = recompute_start(as_of=AS_OF, full=True, chunk_size=10, triggered_by="test")
    finished = recompute_run_in_process(again)

    assert again.pk == run.pk
    assert (finished.status, finished.chunks_done) == ("finished", 6)
    assert stored(persons) == expected


def test_a_second_start_while_a_run_progresses_is_refused_clearly(nanchang, policies):
    population(nanchang, 10)
    run = recompute_start(as_of=AS_OF, full=True, chunk_size=5, triggered_by="test")
    with pytest.raises(RunRefused) as info:
        recompute_start(as_of=AS_OF, chunk_size=5, triggered_by="test")
    assert f"#{run.pk}" in str(info.value)


def test_a_person_whose_facts_fail_is_reported_and_the_others_are_done(nanchang, policies, monkeypatch):
    persons = population(nanchang, 12)
    broken = persons[5].pk
    # A coverage of its own: persons sharing one get a single status computation (see recompute_persons).
    LedgerEntry.objects.create(
        person=persons[5], region=nanchang, scheme="resident", period=D(2001, 1, 1), paid_on=D(2000, 12, 1)
    )
    real = nightly.snapshot_values

    def failing(*, facts, as_of, policies):
        if facts.person_id == broken:
            raise ValueError("impossible history")
        return real(facts=facts, as_of=as_of, policies=policies)

    monkeypatch.setattr(nightly, "snapshot_values", failing)
    RecomputeRequest.objects.create(person_id=broken, requested_at=timezone.now() - dt.timedelta(hours=1))
    run = recompute_run_in_process(recompute_start(as_of=AS_OF, full=True, chunk_size=50, triggered_by="test"))

    chunk = run.chunks.get()
    assert run.persons_failed == 1 and run.persons_changed == 11
    assert chunk.failures == [{"person_id": broken, "error": "ValueError: impossible history"}]
    assert RecomputeRequest.objects.filter(person_id=broken).exists()  # stays marked for the next run


def test_a_chunk_reads_and_writes_in_a_fixed_number_of_queries(nanchang, policies):
    population(nanchang, 80)

    def queries(chunk_size):
        EligibilitySnapshot.objects.all().delete()
        RecomputeRun.objects.all().delete()
        run = recompute_start(as_of=AS_OF, full=True, chunk_size=chunk_size, triggered_by="test")
        with CaptureQueriesContext(connection) as captured:
            recompute_chunk(pending_chunk_ids(run)[0])
        return len(captured)

    assert queries(10) == queries(80)


def test_the_command_runs_in_process_and_reports(nanchang, policies, capsys):
    population(nanchang, 15)
    call_command("recompute_eligibility", "--as-of", "2026-03-15", "--full", "--chunk-size", "7")
    out = capsys.readouterr().out
    assert "3/3 chunks, 15 examined" in out
    with pytest.raises(CommandError, match="not a date"):
        call_command("recompute_eligibility", "--as-of", "2026-02-30")


def test_the_garbage_collector_is_paused_during_a_batch_and_restored_even_after_an_error(monkeypatch):
    import gc

    seen = []

    def failing(**kwargs):
        seen.append(gc.isenabled())
        raise RuntimeError("database gone")

    monkeypatch.setattr(nightly, "_recompute_persons", failing)
    with pytest.raises(RuntimeError):
        nightly.recompute_persons(person_ids=[1], as_of=dt.date(2026, 3, 15), policies=None)
    assert seen == [False] and gc.isenabled()
