"""An applied message's company is checked by one trigger per statement, not a per-row foreign key.

A bank day's poll writes one applied-message row per message by COPY (four per paid line); the foreign key ran
one deferred check per row at commit. One query per statement now checks (after a `FOR KEY SHARE` lock) that
the company exists, and a guard on the companies refuses deleting one a message names, as for the ledger's bulk
tables (ledger migration 0006). PostgreSQL only.
"""

import django.db.models.deletion
from django.db import migrations, models

CHECK_SQL = r"""
CREATE FUNCTION autopay_erp_appliedmessage_check_company() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    PERFORM 1 FROM company_company AS c
     WHERE c.id IN (SELECT company_id FROM new_messages) FOR KEY SHARE OF c;
    SELECT m.company_id INTO bad
      FROM (SELECT DISTINCT company_id FROM new_messages) AS m
      LEFT JOIN company_company AS c ON c.id = m.company_id
     WHERE c.id IS NULL
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'autopay_erp: applied messages of company %: the company does not exist', bad.company_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER autopay_erp_appliedmessage_company_insert
    AFTER INSERT ON autopay_erp_appliedmessage REFERENCING NEW TABLE AS new_messages
    FOR EACH STATEMENT EXECUTE FUNCTION autopay_erp_appliedmessage_check_company();
CREATE TRIGGER autopay_erp_appliedmessage_company_update
    AFTER UPDATE ON autopay_erp_appliedmessage REFERENCING NEW TABLE AS new_messages
    FOR EACH STATEMENT EXECUTE FUNCTION autopay_erp_appliedmessage_check_company();

CREATE TRIGGER company_company_referenced_am_company_delete BEFORE DELETE ON company_company
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_orphaning('autopay_erp_appliedmessage', 'company_id');
CREATE TRIGGER company_company_referenced_am_company_id BEFORE UPDATE OF id ON company_company
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION ledger_refuse_orphaning('autopay_erp_appliedmessage', 'company_id');
CREATE TRIGGER company_company_referenced_am_company_truncate AFTER TRUNCATE ON company_company
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_truncate_orphaning('autopay_erp_appliedmessage', 'company_id');
"""

CHECK_REVERSE_SQL = r"""
DROP TRIGGER IF EXISTS company_company_referenced_am_company_truncate ON company_company;
DROP TRIGGER IF EXISTS company_company_referenced_am_company_id ON company_company;
DROP TRIGGER IF EXISTS company_company_referenced_am_company_delete ON company_company;
DROP TRIGGER IF EXISTS autopay_erp_appliedmessage_company_update ON autopay_erp_appliedmessage;
DROP TRIGGER IF EXISTS autopay_erp_appliedmessage_company_insert ON autopay_erp_appliedmessage;
DROP FUNCTION IF EXISTS autopay_erp_appliedmessage_check_company();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CHECK_SQL, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CHECK_REVERSE_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("autopay_erp", "0001_poll"),
        ("company", "0002_audit_event"),
        ("ledger", "0011_openitem_payment_block_db_defaults"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
        migrations.AlterField(
            model_name="appliedmessage",
            name="company",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="company.company",
            ),
        ),
    ]
