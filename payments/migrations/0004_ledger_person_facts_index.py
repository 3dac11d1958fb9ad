"""The index the bulk recompute reads the ledger through.

On PostgreSQL it is built CONCURRENTLY (outside a transaction): a city's ledger holds tens of
millions of rows, and a plain CREATE INDEX would block payments for the whole build.
"""

from django.db import migrations, models

INDEX = models.Index(
    condition=models.Q(("period__isnull", False), ("voided_at__isnull", True)),
    fields=["person", "scheme", "counts_for_continuity", "decision", "period"],
    name="ledger_person_facts",
)


def add_index(apps, schema_editor):
    model = apps.get_model("payments", "LedgerEntry")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(model, INDEX, concurrently=True)
    else:
        schema_editor.add_index(model, INDEX)


def remove_index(apps, schema_editor):
    model = apps.get_model("payments", "LedgerEntry")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(model, INDEX, concurrently=True)
    else:
        schema_editor.remove_index(model, INDEX)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("eligibility", "0001_initial"),
        ("payments", "0003_import_batches"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="ledgerentry", index=INDEX)],
            database_operations=[migrations.RunPython(add_index, remove_index)],
        ),
    ]
