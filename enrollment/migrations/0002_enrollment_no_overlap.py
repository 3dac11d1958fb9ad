"""No two enrolments of one person in the same scheme may overlap in time (PostgreSQL only).

An exclusion constraint over date ranges needs btree_gist, a trusted extension that a database
owner may create. SQLite, the embedded demo database, has no such constraint; there the admin
form's overlap check (selectors.enrollment_overlapping) is the guard.
"""

from django.db import migrations

CREATE_EXTENSION = "CREATE EXTENSION IF NOT EXISTS btree_gist"
CREATE = """
ALTER TABLE enrollment_enrollment
    ADD CONSTRAINT enrollment_no_overlap_in_scheme
    EXCLUDE USING gist (
        person_id WITH =,
        scheme WITH =,
        daterange(start_date, end_date, '[]') WITH &&
    )
"""
DROP = "ALTER TABLE enrollment_enrollment DROP CONSTRAINT IF EXISTS enrollment_no_overlap_in_scheme;"


def create_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_EXTENSION)
        schema_editor.execute(CREATE)


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("enrollment", "0001_initial")]

    operations = [migrations.RunPython(create_constraint, drop_constraint)]
