"""Recompute statuses in bulk: the nightly run, a manual full run, or selected persons.

A run selects persons (incremental: marked ones, those whose status may change by itself on or
before the run date, and those without a status; full: everyone), cuts them into primary-key
ranges and processes each range as one chunk in one transaction: a fixed number of queries to
load the facts, the pure rules in memory, bulk writes of the statuses that changed. A chunk that
is done is never done twice; one that died is simply run again. Chunks run in-process or as Celery
tasks on any number of workers; the last chunk to finish closes the run.
"""

import datetime
import gc
import logging
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from eligibility.models import (
    ChunkStatus,
    RecomputeChunk,
    RecomputeRequest,
    RecomputeRun,
    RunMode,
    RunStatus,
)
from eligibility.reminders import ReminderDraft, reminders_due, reminders_replace
from eligibility.selectors import bigint_array, facts_for_persons
from eligibility.snapshots import PolicyIndex, SnapshotValues, snapshot_values, snapshots_write, stored_for_persons
from enrollment.models import Person
from payments.models import PolicyProfile, PolicyStatus

logger = logging.getLogger(__name__)

# 10,000 persons per chunk: on 1,000,000 persons with 2 workers, 7,700 persons/s against 7,000 with
# 2,000 (fewer round trips and task hand-overs), for a worker peak of 135 MiB instead of 103 MiB.
DEFAULT_CHUNK_SIZE = 10_000
# A run that made no progress for this long is taken as dead: a new start takes it over.
STALE_AFTER = datetime.timedelta(minutes=30)
# Marks set shortly before a chunk started may belong to transactions that committed after its
# facts were read; they are kept for the next run (recomputing twice is harmless).
MARK_SAFETY = datetime.timedelta(minutes=5)


class RunRefused(Exception):
    """A run cannot start now; the message says why (another one is in progress)."""


def persons_to_recompute(*, as_of: datetime.date, full: bool) -> QuerySet[Person]:
    if full:
        return Person.objects.all()
    marked = RecomputeRequest.objects.filter(person_id=OuterRef("pk"))
    return Person.objects.filter(
        Exists(marked) | Q(eligibility__isnull=True) | Q(eligibility__next_change_on__lte=as_of)
    )


def chunk_ranges(*, as_of: datetime.date, full: bool, chunk_size: int) -> list[tuple[int, int]]:
    """Primary-key ranges of at most `chunk_size` selected persons each (window function, no OFFSET)."""
    selected = persons_to_recompute(as_of=as_of, full=full).values("id")
    inner_sql, params = selected.query.sql_with_params()
    sql = (
        "SELECT MIN(id), MAX(id) FROM ("
        f"SELECT sel.id AS id, (ROW_NUMBER() OVER (ORDER BY sel.id) - 1) / %s AS bucket FROM ({inner_sql}) sel"
        ") numbered GROUP BY bucket ORDER BY 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [chunk_size, *params])
        return [(first, last) for first, last in cursor.fetchall()]


def policies_changed() -> bool:
    """Whether a policy profile was published or changed since the last finished run began.

    Premiums, collection windows, waiting lengths and caps of everyone in a region may then move
    (next year's profile loaded in autumn opens the collection reminders), but no person's facts
    changed, so no one was marked: the incremental run would miss them all.
    """
    last = (
        RecomputeRun.objects.filter(status=RunStatus.FINISHED)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    # Drafts are used by nobody: only a publication (or a change to a published row) moves statuses.
    return (
        last is not None
        and PolicyProfile.history.filter(history_date__gte=last, status=PolicyStatus.PUBLISHED).exists()
    )


def recompute_start(
    *, as_of: datetime.date, full: bool = False, chunk_size: int = DEFAULT_CHUNK_SIZE, triggered_by: str
) -> RecomputeRun:
    """Create a run and its chunks, or take over a dead run of the same day and mode.

    Raises RunRefused while another run is making progress. An incremental run becomes a full one
    when the policy parameters changed since the last finished run began (`policies_changed`).
    """
    if not full and policies_changed():
        logger.info("policy profiles changed since the last run: recomputing everyone")
        full = True
    mode = RunMode.FULL if full else RunMode.INCREMENTAL
    now = timezone.now()
    try:
        with transaction.atomic():
            running = RecomputeRun.objects.select_for_update().filter(status=RunStatus.RUNNING).first()
            if running is not None:
                if running.heartbeat_at > now - STALE_AFTER:
                    raise RunRefused(
                        _(
                            "Recompute run #%(run)s (as of %(as_of)s) is in progress since %(started)s: "
                            "%(done)s of %(total)s chunks done. Wait for it to finish."
                        )
                        % {
                            "run": running.pk,
                            "as_of": running.as_of.isoformat(),
                            "started": timezone.localtime(running.started_at).strftime("%Y-%m-%d %H:%M"),
                            "done": running.chunks_done,
                            "total": running.chunks_total,
                        }
                    )
                if running.as_of == as_of and running.mode == mode:
                    running.heartbeat_at = now
                    running.save(update_fields=["heartbeat_at"])
                    logger.info("taking over recompute run %s", running.pk)
                    return running
                running.status = RunStatus.ABANDONED
                running.finished_at = now
                running.save(update_fields=["status", "finished_at"])
            ranges = chunk_ranges(as_of=as_of, full=full, chunk_size=chunk_size)
            run = RecomputeRun.objects.create(
                as_of=as_of,
                mode=mode,
                triggered_by=triggered_by,
                chunk_size=chunk_size,
                chunks_total=len(ranges),
                started_at=now,
                heartbeat_at=now,
                status=RunStatus.RUNNING if ranges else RunStatus.FINISHED,
                finished_at=None if ranges else now,
            )
            RecomputeChunk.objects.bulk_create(
                RecomputeChunk(run=run, first_person_id=first, last_person_id=last) for first, last in ranges
            )
            return run
    except IntegrityError:
        raise RunRefused(_("Another recompute run is in progress.")) from None


def recompute_mark(*, persons: QuerySet[Person]) -> None:
    """Mark the persons for the next incremental run, in one INSERT … SELECT whatever their number
    (a selection of a whole region is never read into the web process)."""
    table = RecomputeRequest._meta.db_table
    selected_sql, params = persons.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (person_id, requested_at) SELECT sel.pk, %s FROM ({selected_sql}) sel(pk)"
            " ON CONFLICT (person_id) DO UPDATE SET requested_at = EXCLUDED.requested_at",
            [timezone.now(), *params],
        )


@dataclass
class BatchResult:
    examined: int = 0
    changed: int = 0
    failures: list[dict[str, object]] = field(default_factory=list)


def recompute_persons(
    *, person_ids: list[int], as_of: datetime.date, policies: PolicyIndex | None = None
) -> BatchResult:
    """Recompute the given persons with set-based reads and writes (call inside a transaction).

    A person whose facts make the rules fail is reported and skipped; the others are done.
    """
    # The cyclic garbage collector took about a third of the Python time of a chunk, walking the
    # facts of ten thousand persons again and again; they are freed by reference counting anyway,
    # and the few cycles wait until the chunk ends.
    with collector_paused():
        return _recompute_persons(person_ids=person_ids, as_of=as_of, policies=policies)


@contextmanager
def collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _recompute_persons(*, person_ids: list[int], as_of: datetime.date, policies: PolicyIndex | None) -> BatchResult:
    started = timezone.now()
    policies = policies or PolicyIndex.load()
    facts = facts_for_persons(person_ids)
    existing = stored_for_persons(list(facts))
    result = BatchResult()
    # A status depends on the coverage only (see snapshot_values), and so do the reminders but for
    # the person they are addressed to: one computation per coverage_key.
    computed: dict[Hashable, tuple[SnapshotValues, list[ReminderDraft]]] = {}
    changed: list[tuple[int, SnapshotValues]] = []
    reminders: list[ReminderDraft] = []
    done: list[int] = []
    for person_id in person_ids:
        person_facts = facts.get(person_id)
        if person_facts is None:
            continue  # deleted since the range was cut
        result.examined += 1
        try:
            key = person_facts.coverage_key
            shared = computed.get(key) if key is not None else None
            if shared is None:
                status, values = snapshot_values(facts=person_facts, as_of=as_of, policies=policies)
                drafts = reminders_due(facts=person_facts, status=status, as_of=as_of, policies=policies)
                if key is not None:
                    computed[key] = (values, drafts)
            else:
                values, drafts = shared
                drafts = [replace(draft, person_id=person_id) for draft in drafts]
            reminders += drafts
        except Exception as error:  # noqa: BLE001 - one person's bad facts must not stop the run
            result.failures.append({"person_id": person_id, "error": f"{type(error).__name__}: {error}"})
            continue
        done.append(person_id)
        if existing.get(person_id) != values:
            changed.append((person_id, values))
    snapshots_write(changed, as_of=as_of, computed_at=started)
    reminders_replace(person_ids=done, drafts=reminders, as_of=as_of)
    requests_clear(person_ids=done, requested_before=started - MARK_SAFETY)
    result.changed = len(changed)
    return result


def requests_clear(*, person_ids: list[int], requested_before: datetime.datetime) -> None:
    """Remove the recompute marks of these persons set before the given moment."""
    if connection.vendor != "postgresql":
        RecomputeRequest.objects.filter(person_id__in=person_ids, requested_at__lte=requested_before).delete()
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {RecomputeRequest._meta.db_table} WHERE person_id = ANY(%s::bigint[]) AND requested_at <= %s",
            [bigint_array(person_ids), requested_before],
        )


def recompute_chunk(chunk_id: int, *, policies: PolicyIndex | None = None) -> RecomputeChunk:
    """Do one chunk in one transaction; a chunk already done is left as it is."""
    with transaction.atomic():
        chunk = RecomputeChunk.objects.select_for_update().select_related("run").get(pk=chunk_id)
        if chunk.status == ChunkStatus.DONE:
            return chunk
        run = chunk.run
        chunk.attempts += 1
        chunk.started_at = timezone.now()
        ids = list(
            persons_to_recompute(as_of=run.as_of, full=run.mode == RunMode.FULL)
            .filter(pk__gte=chunk.first_person_id, pk__lte=chunk.last_person_id)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        result = recompute_persons(person_ids=ids, as_of=run.as_of, policies=policies)
        chunk.status = ChunkStatus.DONE
        chunk.persons_examined = result.examined
        chunk.persons_changed = result.changed
        chunk.persons_failed = len(result.failures)
        chunk.failures = result.failures
        chunk.finished_at = timezone.now()
        chunk.save()
        RecomputeRun.objects.filter(pk=run.pk).update(
            chunks_done=F("chunks_done") + 1,
            persons_examined=F("persons_examined") + result.examined,
            persons_changed=F("persons_changed") + result.changed,
            persons_failed=F("persons_failed") + len(result.failures),
            heartbeat_at=chunk.finished_at,
        )
        # The last chunk closes the run (instead of a chord: no result backend is needed).
        RecomputeRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING, chunks_done=F("chunks_total")).update(
            status=RunStatus.FINISHED, finished_at=chunk.finished_at
        )
    if result.failures:
        logger.warning("recompute chunk %s: %s persons failed", chunk.pk, len(result.failures))
    return chunk


def pending_chunk_ids(run: RecomputeRun) -> list[int]:
    return list(run.chunks.filter(status=ChunkStatus.PENDING).order_by("first_person_id").values_list("pk", flat=True))


def recompute_run_in_process(run: RecomputeRun) -> RecomputeRun:
    """Do every pending chunk of a run here, one after the other (the embedded default)."""
    policies = PolicyIndex.load()
    for chunk_id in pending_chunk_ids(run):
        recompute_chunk(chunk_id, policies=policies)
    run.refresh_from_db()
    return run
