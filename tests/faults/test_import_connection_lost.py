"""Fault: the database connection is lost in the middle of a reconciliation import.

The import's own backend is really terminated (`pg_terminate_backend` from a second connection)
while its second chunk writes. A chunk is one transaction, so what was committed before is whole
(payment, decision, ledger rows, row outcome, mark) and nothing of the interrupted chunk remains;
the batch is not marked finished. Importing the same file again records the rest, and every
payment exactly once (the references already recorded come back as duplicates).
"""

import csv
import io
import time

import psycopg
import pytest
from django.db import InterfaceError, OperationalError, connection
from django.utils import translation

from eligibility.models import BenefitDecision, EligibilitySnapshot, RecomputeRequest
from payments import imports
from payments.imports import ImportRefused, payments_import, payments_import_confirm
from payments.models import ImportBatch, ImportRow, LedgerEntry, Payment
from payments.policy_years import policy_profiles_load
from tests.factories import PersonFactory, RegionFactory

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = ["ID number", "name", "scheme", "coverage period", "amount", "channel", "transaction reference", "paid at"]
PERSONS = 9
CHUNK = 3  # three chunks of three persons; the second one loses its connection


def payment_file(persons) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for i, person in enumerate(persons):
        writer.writerow(
            [person.id_number, person.name, "resident", "2025", "400.00", "tax_wechat", f"LOST-{i}", "2024-11-10 10:00"]
        )
    return out.getvalue().encode()


def terminate(backend_pid: int) -> None:
    """Kill a PostgreSQL backend from another connection and wait until it is gone."""
    params = connection.get_connection_params()
    dsn = {key: params[key] for key in ("host", "port", "user", "dbname") if params.get(key)}
    with psycopg.connect(**dsn, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [backend_pid])
        deadline = time.monotonic() + 5
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [backend_pid]).fetchone():
            assert time.monotonic() < deadline, "the backend did not end"
            time.sleep(0.02)


@pytest.fixture
def cut_during_second_chunk(monkeypatch):
    """The import's connection is terminated just before its second chunk writes its rows (dry runs,
    which write and roll back, are left alone)."""
    write = imports._write
    calls = []

    def write_then_lose(ctx, accepted):
        if ctx.dry_run:
            return write(ctx, accepted)
        calls.append(len(accepted))
        if len(calls) == 2:
            terminate(connection.connection.info.backend_pid)
        return write(ctx, accepted)

    monkeypatch.setattr(imports, "_write", write_then_lose)
    return calls


def whole_rows(references):
    """Each recorded reference has its payment, decision, one ledger row, and its person's status was
    recomputed after the commit (in-process here) or is still marked for the next run."""
    for payment in Payment.objects.filter(reference__in=references).select_related("decision"):
        assert payment.decision is not None
        assert LedgerEntry.objects.filter(payment=payment).count() == 1
        person_id = payment.person_id
        assert (
            EligibilitySnapshot.objects.filter(person_id=person_id).exists()
            or RecomputeRequest.objects.filter(person_id=person_id).exists()
        )


def test_a_connection_lost_mid_import_leaves_whole_chunks_and_a_second_import_completes(cut_during_second_chunk):
    region = RegionFactory(code="360100")
    policy_profiles_load()
    persons = [PersonFactory(household_region=region) for _ in range(PERSONS)]
    content = payment_file(persons)
    references = [f"LOST-{i}" for i in range(PERSONS)]

    # when: the backend dies while the second chunk writes
    with pytest.raises((OperationalError, InterfaceError)):
        payments_import(content=content, file_name="daily.csv", chunk_size=CHUNK)

    # then: the first chunk is whole, nothing of the others is written, the batch did not finish
    cut = ImportBatch.objects.get()
    assert cut.finished_at is None
    assert len(cut_during_second_chunk) == 2
    accepted_first = set(cut.lines.values_list("reference", flat=True))
    assert len(accepted_first) == CHUNK
    assert set(Payment.objects.values_list("reference", flat=True)) == accepted_first
    assert LedgerEntry.objects.count() == BenefitDecision.objects.count() == CHUNK
    whole_rows(accepted_first)

    # when: the same file is imported again (the database is back)
    again = payments_import(content=content, file_name="daily.csv", chunk_size=CHUNK)

    # then: the rest is recorded, the first chunk's rows are duplicates, every payment once
    assert again.finished_at is not None
    assert (again.rows, again.accepted, again.duplicate, again.rejected) == (PERSONS, PERSONS - CHUNK, CHUNK, 0)
    assert sorted(Payment.objects.values_list("reference", flat=True)) == sorted(references)
    assert LedgerEntry.objects.count() == BenefitDecision.objects.count() == PERSONS
    duplicates = set(again.lines.filter(outcome="duplicate").values_list("reference", flat=True))
    assert duplicates == accepted_first
    whole_rows(references)


def test_a_confirmed_preview_whose_import_was_cut_says_so_and_how_to_finish(cut_during_second_chunk):
    region = RegionFactory(code="360100")
    policy_profiles_load()
    persons = [PersonFactory(household_region=region) for _ in range(PERSONS)]
    content = payment_file(persons)
    preview = payments_import(content=content, file_name="daily.csv", dry_run=True, chunk_size=CHUNK)
    imports_done = ImportBatch.objects.count()

    with pytest.raises((OperationalError, InterfaceError)):
        imports.payments_import(content=content, file_name="daily.csv", confirms=preview, chunk_size=CHUNK)
    assert ImportBatch.objects.count() == imports_done + 1

    # Defect found: confirming the preview again said "already imported", though a third of it was.
    with translation.override("en"), pytest.raises(ImportRefused) as refusal:
        payments_import_confirm(preview=preview, by=None)
    assert "did not finish" in str(refusal.value) and "upload the file again and confirm" in str(refusal.value)

    # The way out the message gives: the file uploaded again (a new preview), then confirmed.
    second_preview = payments_import(content=content, file_name="daily.csv", dry_run=True)
    done = payments_import_confirm(preview=second_preview, by=None)
    assert (done.accepted, done.duplicate) == (PERSONS - CHUNK, CHUNK)
    assert Payment.objects.count() == PERSONS == ImportRow.objects.filter(batch=done).count()
