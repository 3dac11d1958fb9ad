"""The payment list is ordered by `-paid_at, -id` (Payment.Meta.ordering): without an index on
those columns every list page sorts the whole payments table (and a clerk's scoped page scans it
for the region's first 50 rows). PostgreSQL reads this index backwards for the newest first.

Raw SQL because the index is not (yet) declared in Payment.Meta, which belongs to the payments
model owners: moving it there means replacing this operation by an AddIndex with the same name.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("payments", "0004_ledger_person_facts_index")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS payment_paid_at_id ON payments_payment (paid_at, id)",
            reverse_sql="DROP INDEX IF EXISTS payment_paid_at_id",
        ),
    ]
