"""Reminders: who is told what and when (pure table), and how the recompute stores them."""

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from eligibility import reminders
from eligibility.models import Notification, NotificationKind, NotificationStatus
from eligibility.nightly import pending_chunk_ids, recompute_chunk, recompute_run_in_process, recompute_start
from eligibility.reminders import ReminderDraft, reminder_text, reminders_due, reminders_replace
from eligibility.rules import (
    Category,
    Claims,
    EmployeeKind,
    EmployeeSpan,
    History,
    Person,
    ResidentPayment,
    ResidentYears,
)
from eligibility.rules.dates import first_day, month_index
from eligibility.rules.status import CoverageScheme, Grant
from eligibility.selectors import PersonFacts
from eligibility.services import decision_record, eligibility_evaluate, eligibility_recompute
from eligibility.snapshots import PolicyIndex, snapshot_values
from enrollment.models import Region
from payments.models import LedgerEntry, PolicyProfile
from payments.policy_years import PROFILE_FILES
from payments.services import PaymentRequest, payment_record
from tests.factories import PersonFactory

D = dt.date
K = NotificationKind
DATA = Path(__file__).resolve().parents[2] / "eligibility" / "data"


def unsaved_policy_index() -> PolicyIndex:
    """The profiles files as the regions of region_profiles.json have them, without a database."""
    profiles = {
        name: profile
        for path in PROFILE_FILES
        for name, profile in json.loads(path.read_text("utf-8"))["profiles"].items()
    }
    table = json.loads((DATA / "region_profiles.json").read_text("utf-8"))["regions"]
    rows = []
    for code, years in table.items():
        region = Region(code=code)
        for year, scopes in years.items():
            for scope, name in scopes.items():
                rows.append(
                    PolicyProfile(
                        pk=990_000 + len(rows),  # the built-profile cache is keyed by pk
                        region=region,
                        scope=scope,
                        coverage_year=int(year),
                        effective_from=D(int(year) - 1, 1, 1),
                        name=name,
                        params=profiles[name]["params"],
                    )
                )
    return PolicyIndex(rows)


POLICIES = unsaved_policy_index()
# The last coverage year the data files give Nanchang: the year after it has no profile yet.
LAST_YEAR = max(
    int(year) for year in json.loads((DATA / "region_profiles.json").read_text("utf-8"))["regions"]["360100"]
)


def recorded_facts(
    *, region: str = "360100", resident: tuple[int, ...] = (), employee=None, grants: tuple[Grant, ...] = ()
) -> PersonFacts:
    """Facts as the selector builds them for periods recorded without a decision, plus `grants`."""
    entries: list = []
    recorded: list[Grant] = []
    if resident:
        entries.append(ResidentYears(years=resident))
        recorded += [
            Grant(
                scheme=CoverageScheme.RESIDENT,
                scheme_detail="resident",
                paid_on=D(year - 1, 12, 31),
                months=((month_index(year, 1), month_index(year, 12)),),
                benefits_from=D(year, 1, 1),
                benefit_end=D(year, 12, 31),
                reasons=("RECORDED",),
            )
            for year in resident
            if not any(g.months[0][0] == month_index(year, 1) for g in grants)
        ]
    if employee:
        first, last = month_index(*employee[0]), month_index(*employee[1])
        entries.append(EmployeeSpan(kind=EmployeeKind.FLEXIBLE, first=first, last=last))
        recorded.append(
            Grant(
                scheme=CoverageScheme.EMPLOYEE,
                scheme_detail="employee_flexible",
                paid_on=first_day(first),
                months=((first, last),),
                benefits_from=first_day(first),
                reasons=("RECORDED",),
            )
        )
    return PersonFacts(
        person_id=1,
        region_code=region,
        person=Person(birth_date=D(1980, 5, 1), category=Category.ORDINARY),
        history=History(entries=tuple(entries)),
        claims=Claims(),
        grants=(*recorded, *grants),
    )


def due(facts: PersonFacts, as_of: dt.date) -> set[tuple]:
    status, _ = snapshot_values(facts=facts, as_of=as_of, policies=POLICIES)
    drafts = reminders_due(facts=facts, status=status, as_of=as_of, policies=POLICIES)
    return {(d.kind, d.subject_on, d.send_on, d.expires_on) for d in drafts}


FLEX_JAN_JUN_2025 = {"employee": ((2025, 1), (2025, 6))}
GAP_BY_OCTOBER = (K.GAP_DEADLINE, D(2025, 10, 31), D(2025, 10, 1), D(2025, 10, 31))
# JX-2026: centralized period 2025-10-15 to 2026-02-28, late payment until 2026-12-31.
OPENS_2026 = (K.COLLECTION_OPENS, D(2025, 10, 15), D(2025, 10, 15), D(2026, 2, 12))
CLOSES_2026 = (K.COLLECTION_CLOSES, D(2026, 2, 28), D(2026, 2, 13), D(2026, 2, 28))
LATE_2026 = (K.LATE_WINDOW_CLOSES, D(2026, 12, 31), D(2026, 12, 16), D(2026, 12, 31))
LATE_RESIDENT_2025 = Grant(
    scheme=CoverageScheme.RESIDENT,
    scheme_detail="resident",
    paid_on=D(2025, 3, 1),
    months=((month_index(2025, 1), month_index(2025, 12)),),
    benefits_from=D(2025, 6, 1),
    benefit_end=D(2025, 12, 31),
    waiting_start=D(2025, 3, 1),
    waiting_end=D(2025, 5, 31),
)
LONG_GAP_FLEXIBLE = Grant(
    scheme=CoverageScheme.EMPLOYEE,
    scheme_detail="employee_flexible",
    paid_on=D(2025, 8, 5),
    months=((month_index(2025, 8), month_index(2025, 12)),),
    benefits_from=D(2025, 11, 1),
    waiting_start=D(2025, 8, 5),
    waiting_end=D(2025, 10, 31),
)


@pytest.mark.parametrize(
    ("facts", "as_of", "expected"),
    [
        # 4.2/4.5: paid to June; a payment in October meets a gap of 3 (Jul-Sep), in November of 4.
        pytest.param(FLEX_JAN_JUN_2025, D(2025, 8, 10), {GAP_BY_OCTOBER}, id="gap: pay by 31 Oct, sent 30 days before"),
        pytest.param(FLEX_JAN_JUN_2025, D(2025, 10, 31), {GAP_BY_OCTOBER}, id="gap: the deadline day itself"),
        pytest.param(FLEX_JAN_JUN_2025, D(2025, 11, 1), set(), id="gap: deadline passed, nothing to keep"),
        pytest.param(FLEX_JAN_JUN_2025, D(2025, 6, 15), set(), id="gap: still covered this month"),
        # EMP-7 (S2-FLEX-2025, window 2025-01-01..03-31): the window or the grace, whichever ends first.
        pytest.param(
            {"region": "130700", "employee": ((2024, 1), (2024, 11))},
            D(2025, 1, 10),
            {(K.BACKPAY_WINDOW_CLOSES, D(2025, 3, 31), D(2025, 3, 16), D(2025, 3, 31))},
            id="back-payment window closes 31 Mar",
        ),
        pytest.param(
            {"region": "130700", "employee": ((2024, 1), (2024, 10))},
            D(2025, 1, 10),
            {(K.BACKPAY_WINDOW_CLOSES, D(2025, 2, 28), D(2025, 2, 13), D(2025, 2, 28))},
            id="back-payment window: the grace ends first",
        ),
        pytest.param(
            {"region": "130700", "employee": ((2025, 1), (2025, 3))},
            D(2025, 5, 1),
            set(),
            id="back-payment window over: no honest deadline to give",
        ),
        # RES-3/RES-4: a resident of 2025 who has not paid 2026, scheduled months ahead.
        pytest.param(
            {"resident": (2025,)}, D(2025, 6, 1), {OPENS_2026, CLOSES_2026, LATE_2026}, id="resident: next year ahead"
        ),
        pytest.param({"resident": (2025,)}, D(2026, 2, 20), {CLOSES_2026, LATE_2026}, id="resident: period closing"),
        pytest.param({"resident": (2025,)}, D(2026, 3, 10), {LATE_2026}, id="resident: only the late window left"),
        pytest.param({"resident": (2025, 2026)}, D(2025, 11, 1), set(), id="resident: next year paid"),
        pytest.param({"resident": (2023,)}, D(2025, 6, 1), set(), id="resident: not insured the year before"),
        pytest.param(
            {"resident": (LAST_YEAR,)}, D(LAST_YEAR, 6, 1), set(), id="resident: next year's profile not loaded"
        ),
        pytest.param(
            {"resident": (2025,), "employee": ((2026, 1), (2026, 12))},
            D(2025, 11, 1),
            set(),
            id="resident: covered by employee insurance next year",
        ),
        pytest.param(
            {"region": "520100", "resident": (2024,)},
            D(2025, 1, 10),
            {
                (K.COLLECTION_OPENS, D(2024, 9, 23), D(2024, 9, 23), D(2025, 2, 12)),
                (K.COLLECTION_CLOSES, D(2025, 2, 28), D(2025, 2, 13), D(2025, 2, 28)),
                (K.LATE_WINDOW_CLOSES, D(2025, 12, 31), D(2025, 12, 16), D(2025, 12, 31)),
            },
            id="resident: period already open (Guizhou)",
        ),
        # DATE-4: late payment 2025-03-01, waiting to 31 May; 2025 paid, so 2026 is announced too.
        pytest.param(
            {"resident": (2024, 2025), "grants": (LATE_RESIDENT_2025,)},
            D(2025, 4, 1),
            {(K.WAITING_ENDS, D(2025, 5, 31), D(2025, 5, 24), D(2025, 5, 31)), OPENS_2026, CLOSES_2026, LATE_2026},
            id="waiting ends 31 May, sent a week before",
        ),
        pytest.param(
            {"resident": (2024, 2025), "grants": (LATE_RESIDENT_2025,)},
            D(2025, 6, 1),
            {OPENS_2026, CLOSES_2026, LATE_2026},
            id="waiting over",
        ),
        # DATE-6 / EMP-6: employee waiting after a long gap.
        pytest.param(
            {"employee": ((2024, 1), (2024, 12)), "grants": (LONG_GAP_FLEXIBLE,)},
            D(2025, 9, 1),
            {(K.WAITING_ENDS, D(2025, 10, 31), D(2025, 10, 24), D(2025, 10, 31))},
            id="employee waiting ends 31 Oct",
        ),
    ],
)
def test_who_is_reminded_of_what_and_when(facts, as_of, expected):
    assert due(recorded_facts(**facts), as_of) == expected


@pytest.mark.django_db
def test_reminders_due_reads_nothing_from_the_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        due(recorded_facts(resident=(2025,), employee=((2024, 1), (2024, 6))), D(2025, 6, 1))


GAP_PARAMS = {"last_month": "2025-06", "grace": 3, "deadline": "2025-10-31", "after": "2025-11-01"}
LATE_PARAMS = {"year": 2026, "start": "2025-10-15", "end": "2026-02-28", "late_end": "2026-12-31"}


def test_texts_are_chinese_by_default_with_the_dates_and_the_consequence():
    gap = Notification(kind=K.GAP_DEADLINE, params=GAP_PARAMS)
    late = Notification(kind=K.LATE_WINDOW_CLOSES, params=LATE_PARAMS)

    with translation.override("zh-hans"):
        gap_title, gap_body = reminder_text(gap)
    late_title, late_body = reminder_text(late, "zh-hans")

    assert gap_title == "请于2025年10月31日前缴费，保持连续参保"
    assert "2025年6月" in gap_body and "2025年11月1日" in gap_body and "3个月" in gap_body
    assert "连续参保年限" in gap_body and "等待期" in gap_body
    assert "2026年12月31日" in late_title
    assert "断保年度" in late_body


def test_texts_in_english():
    title, body = reminder_text(Notification(kind=K.GAP_DEADLINE, params=GAP_PARAMS), "en")
    assert title == "Pay by Oct. 31, 2025 to keep your cover continuous"
    assert "stopped after June 2025" in body and "longer than 3 months" in body


@pytest.mark.parametrize("kind", list(NotificationKind))
def test_every_kind_has_a_text_in_both_languages(kind):
    params = {**GAP_PARAMS, **LATE_PARAMS, "waiting_end": "2025-05-31", "benefits_from": "2025-06-01"}
    zh = reminder_text(Notification(kind=kind, params=params), "zh-hans")
    en = reminder_text(Notification(kind=kind, params=params), "en")
    assert all(zh) and all(en) and zh != en
    assert any("\u4e00" <= char <= "\u9fff" for char in zh[1])


# --- stored: the database ----------------------------------------------------------------------


def flexible_months(person, region, first: tuple[int, int], last: tuple[int, int]) -> None:
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            person=person,
            region=region,
            scheme="employee_flexible",
            period=first_day(month),
            paid_on=first_day(month_index(*first)),
        )
        for month in range(month_index(*first), month_index(*last) + 1)
    )


def resident_years(person, region, years) -> None:
    for year in years:
        LedgerEntry.objects.create(
            person=person, region=region, scheme="resident", period=D(year, 1, 1), paid_on=D(year - 1, 11, 1)
        )


def stored(person, *statuses) -> set[tuple]:
    rows = Notification.objects.filter(person=person)
    if statuses:
        rows = rows.filter(status__in=statuses)
    return {(n.kind, n.subject_on, n.send_on, n.status) for n in rows}


@pytest.fixture
def flexible_worker(nanchang, policies):
    """Paid flexible-worker months January to June 2025, nothing after."""
    person = PersonFactory(household_region=nanchang)
    flexible_months(person, nanchang, (2025, 1), (2025, 6))
    return person


@pytest.mark.django_db
def test_the_single_person_recompute_stores_the_reminder(flexible_worker):
    eligibility_recompute(person_id=flexible_worker.pk, as_of=D(2025, 8, 10))

    notification = Notification.objects.get(person=flexible_worker)
    assert (notification.kind, notification.subject_on, notification.send_on) == (
        K.GAP_DEADLINE,
        D(2025, 10, 31),
        D(2025, 10, 1),
    )
    assert notification.status == NotificationStatus.PENDING and notification.attempts == 0
    assert notification.params == GAP_PARAMS


@pytest.mark.django_db
def test_a_recorded_late_payment_schedules_the_end_of_its_waiting_period(nanchang, policies):
    person = PersonFactory(household_region=nanchang)
    resident_years(person, nanchang, [2024])
    action = ResidentPayment(year=2025, paid_on=D(2025, 3, 1))  # late: waiting to 31 May (RES-5, DATE-4)
    result, profile_name = eligibility_evaluate(person_id=person.pk, action=action)
    decision_record(person=person, action=action, result=result, profile_name=profile_name)

    eligibility_recompute(person_id=person.pk, as_of=D(2025, 3, 1))

    waiting = Notification.objects.get(person=person, kind=K.WAITING_ENDS)
    assert (waiting.subject_on, waiting.send_on, waiting.expires_on) == (D(2025, 5, 31), D(2025, 5, 24), D(2025, 5, 31))
    assert waiting.params == {"waiting_end": "2025-05-31", "benefits_from": "2025-06-01"}
    assert reminder_text(waiting, "zh-hans")[1].startswith("您的待遇等待期将于2025年5月31日结束，自2025年6月1日起")


@pytest.mark.django_db
def test_paying_cancels_the_pending_pay_by_reminder_at_once(
    flexible_worker, monkeypatch, django_capture_on_commit_callbacks
):
    eligibility_recompute(person_id=flexible_worker.pk, as_of=D(2025, 8, 10))
    # The payment's recompute runs after commit (in-process without a broker), as of the day it runs.
    monkeypatch.setattr("eligibility.tasks.timezone", SimpleNamespace(localdate=lambda: D(2025, 8, 20)))

    with django_capture_on_commit_callbacks(execute=True):
        payment_record(
            person=flexible_worker,
            request=PaymentRequest.employee_months(D(2025, 7, 1), D(2025, 12, 1)),
            channel="tax_wechat",
            reference="TX-PAID",
            amount=Decimal("2523.60"),
            paid_at=dt.datetime(2025, 8, 20, 10, 0, tzinfo=dt.UTC),
        )

    notification = Notification.objects.get(person=flexible_worker)
    assert notification.status == NotificationStatus.CANCELLED and notification.cancelled_at is not None


@pytest.mark.django_db
def test_a_reversed_payment_brings_the_reminder_back_as_a_new_record(flexible_worker):
    eligibility_recompute(person_id=flexible_worker.pk, as_of=D(2025, 8, 10))
    flexible_months(flexible_worker, flexible_worker.household_region, (2025, 7), (2025, 12))
    eligibility_recompute(person_id=flexible_worker.pk, as_of=D(2025, 8, 11))  # paid
    LedgerEntry.objects.filter(person=flexible_worker, period__gte=D(2025, 7, 1)).update(
        voided_at=timezone.now(), void_reason="refund"
    )
    eligibility_recompute(person_id=flexible_worker.pk, as_of=D(2025, 8, 12))  # reversed

    assert stored(flexible_worker) == {
        (K.GAP_DEADLINE, D(2025, 10, 31), D(2025, 10, 1), NotificationStatus.CANCELLED),
        (K.GAP_DEADLINE, D(2025, 10, 31), D(2025, 10, 1), NotificationStatus.PENDING),
    }


def draft(person_id: int, *, send_on: dt.date | None = None, params=None) -> ReminderDraft:
    return ReminderDraft(
        person_id=person_id,
        kind=K.GAP_DEADLINE,
        subject_on=D(2025, 10, 31),
        send_on=send_on or D(2025, 10, 1),
        expires_on=D(2025, 10, 31),
        params=params if params is not None else GAP_PARAMS,
    )


@pytest.fixture(params=["unnest", "orm"])
def insert_path(request, monkeypatch):
    """PostgreSQL inserts from arrays; the ORM path (the SQLite demo) must behave the same."""
    if request.param == "orm":
        monkeypatch.setattr(reminders, "_insert_with_unnest", lambda: False)
    return request.param


@pytest.mark.django_db
def test_replacing_twice_changes_nothing(nanchang, insert_path):
    person = PersonFactory(household_region=nanchang)

    first = reminders_replace(person_ids=[person.pk], drafts=[draft(person.pk)], as_of=D(2025, 8, 10))
    before = list(Notification.objects.values())
    second = reminders_replace(person_ids=[person.pk], drafts=[draft(person.pk)], as_of=D(2025, 8, 11))

    assert (first, second) == (1, 0)
    assert list(Notification.objects.values()) == before


@pytest.mark.django_db
def test_a_changed_reminder_replaces_the_pending_one(nanchang, insert_path):
    person = PersonFactory(household_region=nanchang)
    reminders_replace(person_ids=[person.pk], drafts=[draft(person.pk)], as_of=D(2025, 8, 10))

    reminders_replace(person_ids=[person.pk], drafts=[draft(person.pk, send_on=D(2025, 10, 5))], as_of=D(2025, 8, 11))

    assert stored(person) == {
        (K.GAP_DEADLINE, D(2025, 10, 31), D(2025, 10, 1), NotificationStatus.CANCELLED),
        (K.GAP_DEADLINE, D(2025, 10, 31), D(2025, 10, 5), NotificationStatus.PENDING),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("terminal", [NotificationStatus.SENT, NotificationStatus.UNREACHABLE])
def test_a_sent_reminder_is_never_cancelled_nor_created_again(nanchang, insert_path, terminal):
    person = PersonFactory(household_region=nanchang)
    reminders_replace(person_ids=[person.pk], drafts=[draft(person.pk)], as_of=D(2025, 8, 10))
    Notification.objects.update(status=terminal)

    changed = reminders_replace(
        person_ids=[person.pk], drafts=[draft(person.pk, send_on=D(2025, 10, 5))], as_of=D(2025, 10, 2)
    )
    gone = reminders_replace(person_ids=[person.pk], drafts=[], as_of=D(2025, 11, 1))

    assert (changed, gone) == (0, 0)
    assert stored(person) == {(K.GAP_DEADLINE, D(2025, 10, 31), D(2025, 10, 1), terminal)}


@pytest.mark.django_db
def test_a_failed_reminder_still_to_be_retried_is_cancelled_when_no_longer_due(nanchang):
    person = PersonFactory(household_region=nanchang)
    reminders_replace(person_ids=[person.pk], drafts=[draft(person.pk)], as_of=D(2025, 8, 10))
    Notification.objects.update(status=NotificationStatus.FAILED, attempts=1, retry_at=timezone.now())

    reminders_replace(person_ids=[person.pk], drafts=[], as_of=D(2025, 10, 3))

    notification = Notification.objects.get()
    assert (notification.status, notification.retry_at) == (NotificationStatus.CANCELLED, None)


@pytest.mark.django_db
def test_other_persons_reminders_are_left_alone(nanchang):
    person, other = PersonFactory(household_region=nanchang), PersonFactory(household_region=nanchang)
    reminders_replace(person_ids=[person.pk, other.pk], drafts=[draft(person.pk), draft(other.pk)], as_of=D(2025, 8, 1))

    reminders_replace(person_ids=[person.pk], drafts=[], as_of=D(2025, 8, 2))

    assert stored(other) == {(K.GAP_DEADLINE, D(2025, 10, 31), D(2025, 10, 1), NotificationStatus.PENDING)}
    assert stored(person, NotificationStatus.PENDING) == set()


@pytest.mark.django_db
def test_replacing_takes_two_statements_for_any_number_of_persons(nanchang):
    persons = [PersonFactory(household_region=nanchang) for _ in range(12)]

    def statements(group, drafts):
        with CaptureQueriesContext(connection) as captured:
            reminders_replace(person_ids=[p.pk for p in group], drafts=drafts, as_of=D(2025, 8, 1))
        return len(captured)

    assert statements(persons[:1], []) == 2
    assert statements(persons[1:2], [draft(persons[1].pk)]) == 2
    assert statements(persons[2:], [draft(p.pk) for p in persons[2:]]) == 2


# --- the nightly run ---------------------------------------------------------------------------


@pytest.fixture
def mixed_population(nanchang, policies):
    """A lapsed flexible worker, a resident of 2025, one who already paid 2026, one never insured."""
    lapsed, resident, paid_ahead, never = (PersonFactory(household_region=nanchang) for _ in range(4))
    flexible_months(lapsed, nanchang, (2025, 1), (2025, 6))
    resident_years(resident, nanchang, [2024, 2025])
    resident_years(paid_ahead, nanchang, [2025, 2026])
    return SimpleNamespace(lapsed=lapsed, resident=resident, paid_ahead=paid_ahead, never=never)


@pytest.mark.django_db
def test_the_nightly_run_creates_the_reminders(mixed_population):
    run = recompute_run_in_process(recompute_start(as_of=D(2025, 8, 10), full=True, chunk_size=2, triggered_by="t"))

    assert run.status == "finished" and run.persons_failed == 0
    pending = NotificationStatus.PENDING
    assert stored(mixed_population.lapsed) == {(K.GAP_DEADLINE, D(2025, 10, 31), D(2025, 10, 1), pending)}
    assert stored(mixed_population.resident) == {
        (K.COLLECTION_OPENS, D(2025, 10, 15), D(2025, 10, 15), pending),
        (K.COLLECTION_CLOSES, D(2026, 2, 28), D(2026, 2, 13), pending),
        (K.LATE_WINDOW_CLOSES, D(2026, 12, 31), D(2026, 12, 16), pending),
    }
    assert stored(mixed_population.paid_ahead) == stored(mixed_population.never) == set()


@pytest.mark.django_db
def test_running_the_same_chunk_twice_creates_no_duplicates(mixed_population):
    run = recompute_start(as_of=D(2025, 8, 10), full=True, chunk_size=10, triggered_by="t")
    chunk_id = pending_chunk_ids(run)[0]
    recompute_chunk(chunk_id)
    before = list(Notification.objects.order_by("pk").values())

    from eligibility.models import RecomputeChunk

    RecomputeChunk.objects.filter(pk=chunk_id).update(status="pending")  # redone from scratch
    recompute_chunk(chunk_id)
    again = recompute_run_in_process(recompute_start(as_of=D(2025, 8, 10), full=True, chunk_size=3, triggered_by="t"))

    assert again.persons_examined == 4
    assert list(Notification.objects.order_by("pk").values()) == before
    assert len(before) == 4


@pytest.mark.django_db
def test_a_later_incremental_run_cancels_what_no_longer_applies(mixed_population):
    recompute_run_in_process(recompute_start(as_of=D(2025, 8, 10), full=True, chunk_size=10, triggered_by="t"))
    # The deadline passes unpaid: the status changes by itself on 1 November (next_change_on).
    run = recompute_run_in_process(recompute_start(as_of=D(2025, 11, 1), chunk_size=10, triggered_by="t"))

    assert run.persons_examined >= 1
    assert stored(mixed_population.lapsed) == {
        (K.GAP_DEADLINE, D(2025, 10, 31), D(2025, 10, 1), NotificationStatus.CANCELLED)
    }
