"""Applied messages: the message id is the primary key, instead of a surrogate id beside a unique message id.

A bank day records one row per message (four per paid line); each row paid for an identity value from a
sequence and an entry in the surrogate key's index as well as in the message id's unique index. Now the
message id, unique already, is the key: one index and one sequence call fewer per message. On PostgreSQL the
unique constraint the key makes redundant is dropped and the key takes the table's usual name
(`autopay_erp_appliedmessage_pkey`, which the poll recognises when a message was applied meanwhile).
"""

from django.db import migrations, models

FORWARD_SQL = """
ALTER TABLE autopay_erp_appliedmessage DROP CONSTRAINT IF EXISTS autopay_erp_appliedmessage_message_id_key;
DO $$
DECLARE
    name text;
BEGIN
    SELECT conname INTO name FROM pg_constraint
     WHERE conrelid = 'autopay_erp_appliedmessage'::regclass AND contype = 'p';
    IF name <> 'autopay_erp_appliedmessage_pkey' THEN
        EXECUTE format('ALTER TABLE autopay_erp_appliedmessage RENAME CONSTRAINT %I TO '
                       'autopay_erp_appliedmessage_pkey', name);
    END IF;
END;
$$;
"""

# On the way back Django makes the unique constraint again under a name of its own: it takes its old name.
BACKWARD_SQL = """
DO $$
DECLARE
    name text;
BEGIN
    SELECT conname INTO name FROM pg_constraint
     WHERE conrelid = 'autopay_erp_appliedmessage'::regclass AND contype = 'u';
    IF name <> 'autopay_erp_appliedmessage_message_id_key' THEN
        EXECUTE format('ALTER TABLE autopay_erp_appliedmessage RENAME CONSTRAINT %I TO '
                       'autopay_erp_appliedmessage_message_id_key', name);
    END IF;
END;
$$;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD_SQL, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD_SQL, params=None)


def nothing(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("autopay_erp", "0002_appliedmessage_company_checked_by_trigger")]

    # The first step does its work on the way back only, after Django has made the unique constraint again.
    operations = [
        migrations.RunPython(nothing, backward),
        migrations.RemoveField(model_name="appliedmessage", name="id"),
        migrations.AlterField(
            model_name="appliedmessage",
            name="message_id",
            field=models.UUIDField(primary_key=True, serialize=False),
        ),
        migrations.RunPython(forward, migrations.RunPython.noop),
    ]
