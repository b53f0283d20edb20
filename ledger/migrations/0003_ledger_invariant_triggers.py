"""PostgreSQL triggers that enforce the ledger's invariants in the database (see docs/ledger.md).

SQLite (the embedded database for `make run`) gets none of these: the services enforce the same rules in Python.
"""

from django.db import migrations

# Kept on its own: migration 0005 restores this version of the function when it is reversed.
BALANCE_FUNCTION_SQL = r"""
CREATE OR REPLACE FUNCTION ledger_journalline_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad_voucher bigint;
    bad_sum numeric;
BEGIN
    SELECT l.voucher_id, SUM(l.amount) INTO bad_voucher, bad_sum
      FROM (SELECT DISTINCT voucher_id FROM new_lines) AS touched
      JOIN ledger_journalline AS l ON l.voucher_id = touched.voucher_id
     GROUP BY l.voucher_id
    HAVING SUM(l.amount) <> 0
     LIMIT 1;
    IF bad_voucher IS NOT NULL THEN
        RAISE EXCEPTION 'ledger: voucher % does not balance (lines sum to %)', bad_voucher, bad_sum
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT n.voucher_id INTO bad_voucher
      FROM new_lines AS n JOIN ledger_voucher AS v ON v.id = n.voucher_id
     WHERE v.company_id <> n.company_id
     LIMIT 1;
    IF bad_voucher IS NOT NULL THEN
        RAISE EXCEPTION 'ledger: a line of voucher % belongs to another company', bad_voucher
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;
"""

FORWARD_SQL = (
    BALANCE_FUNCTION_SQL
    + r"""
CREATE TRIGGER ledger_journalline_balanced
    AFTER INSERT ON ledger_journalline
    REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_journalline_check_balanced();

CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger: % % is posted and cannot be changed (%); reverse the voucher instead',
        TG_TABLE_NAME, OLD.id, TG_OP
        USING ERRCODE = 'check_violation';
END;
$$;

CREATE TRIGGER ledger_journalline_immutable
    BEFORE UPDATE OR DELETE ON ledger_journalline
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

CREATE TRIGGER ledger_voucher_immutable
    BEFORE UPDATE OR DELETE ON ledger_voucher
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

CREATE FUNCTION ledger_voucher_check_period_open() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT v.id, v.date, p.locked_through INTO bad
      FROM new_vouchers AS v JOIN ledger_periodlock AS p ON p.company_id = v.company_id
     WHERE v.date <= p.locked_through
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger: voucher % is dated %, in a period locked through %', bad.id, bad.date,
            bad.locked_through
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER ledger_voucher_period_open
    AFTER INSERT ON ledger_voucher
    REFERENCING NEW TABLE AS new_vouchers
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_voucher_check_period_open();
"""
)

REVERSE_SQL = r"""
DROP TRIGGER IF EXISTS ledger_voucher_period_open ON ledger_voucher;
DROP FUNCTION IF EXISTS ledger_voucher_check_period_open();
DROP TRIGGER IF EXISTS ledger_voucher_immutable ON ledger_voucher;
DROP TRIGGER IF EXISTS ledger_journalline_immutable ON ledger_journalline;
DROP FUNCTION IF EXISTS ledger_refuse_change();
DROP TRIGGER IF EXISTS ledger_journalline_balanced ON ledger_journalline;
DROP FUNCTION IF EXISTS ledger_journalline_check_balanced();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD_SQL, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0002_reconciliation_overpayment_item"),
    ]

    operations = [migrations.RunPython(forward, backward)]
