"""The company copies on lines and reconciliations are checked by set-based triggers, not foreign keys.

`JournalLine.company` and `Reconciliation.company` copy the company of the voucher and of the open item.
They lose their foreign-key constraints (the relation and its index stay): the statement-level triggers below
refuse any line whose company is not its voucher's, and any reconciliation whose company is not its item's
and its journal line's, and the voucher's and the item's companies are real foreign keys. The same triggers
now also refuse a line whose account, customer or supplier belongs to another company. Rows an equality
depends on may not move to another company once used (row triggers that fire only when `company_id` is set
to a new value). PostgreSQL only: on SQLite the services' checks are all there is.
"""

import importlib

import django.db.models.deletion
from django.db import migrations, models

LINE_CHECK_SQL = r"""
CREATE OR REPLACE FUNCTION ledger_journalline_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad_voucher bigint;
    bad_sum numeric;
    problem text;
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
    -- One pass: the voucher must exist already (its company is the real foreign key the line's copy leans
    -- on), and the line, its account and its party must all be of the voucher's company.
    SELECT n.voucher_id,
           CASE
             WHEN v.id IS NULL THEN 'is written before its voucher'
             WHEN n.company_id <> v.company_id THEN 'belongs to another company'
             WHEN a.company_id <> v.company_id THEN 'has an account that belongs to another company'
             WHEN c.company_id <> v.company_id THEN 'has a customer that belongs to another company'
             WHEN s.company_id <> v.company_id THEN 'has a supplier that belongs to another company'
           END
      INTO bad_voucher, problem
      FROM new_lines AS n
      LEFT JOIN ledger_voucher AS v ON v.id = n.voucher_id
      LEFT JOIN ledger_account AS a ON a.id = n.account_id
      LEFT JOIN ledger_customer AS c ON c.id = n.customer_id
      LEFT JOIN ledger_supplier AS s ON s.id = n.supplier_id
     WHERE v.id IS NULL
        OR n.company_id <> v.company_id
        OR a.company_id <> v.company_id
        OR c.company_id <> v.company_id
        OR s.company_id <> v.company_id
     LIMIT 1;
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'ledger: a line of voucher % %', bad_voucher, problem
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION ledger_reconciliation_check_company() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT r.id, r.open_item_id, r.journal_line_id,
           CASE
             WHEN o.id IS NULL THEN 'its open item does not exist'
             WHEN l.id IS NULL THEN 'its journal line does not exist'
             WHEN o.company_id <> r.company_id THEN 'its open item belongs to another company'
             WHEN l.company_id <> r.company_id THEN 'its journal line belongs to another company'
             WHEN c.company_id <> r.company_id THEN 'its credit item belongs to another company'
           END AS problem
      INTO bad
      FROM new_reconciliations AS r
      LEFT JOIN ledger_openitem AS o ON o.id = r.open_item_id
      LEFT JOIN ledger_journalline AS l ON l.id = r.journal_line_id
      LEFT JOIN ledger_openitem AS c ON c.id = r.overpayment_item_id
     WHERE o.id IS NULL
        OR l.id IS NULL
        OR o.company_id <> r.company_id
        OR l.company_id <> r.company_id
        OR c.company_id <> r.company_id
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger: reconciliation of item % with line %: %', bad.open_item_id,
            bad.journal_line_id, bad.problem
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER ledger_reconciliation_company_insert
    AFTER INSERT ON ledger_reconciliation
    REFERENCING NEW TABLE AS new_reconciliations
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reconciliation_check_company();

CREATE TRIGGER ledger_reconciliation_company_update
    AFTER UPDATE ON ledger_reconciliation
    REFERENCING NEW TABLE AS new_reconciliations
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reconciliation_check_company();

-- Arguments: pairs of (table, column) that refer to the row; if any row refers to it, it keeps its company.
CREATE FUNCTION ledger_refuse_company_move() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    i integer := 0;
    used boolean;
BEGIN
    WHILE i < TG_NARGS LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %I = $1)', TG_ARGV[i], TG_ARGV[i + 1])
            INTO used USING OLD.id;
        IF used THEN
            RAISE EXCEPTION 'ledger: % % is used by % and cannot move to another company', TG_TABLE_NAME,
                OLD.id, TG_ARGV[i]
                USING ERRCODE = 'check_violation';
        END IF;
        i := i + 2;
    END LOOP;
    RETURN NEW;
END;
$$;

CREATE TRIGGER ledger_openitem_company_fixed
    BEFORE UPDATE OF company_id ON ledger_openitem
    FOR EACH ROW WHEN (OLD.company_id IS DISTINCT FROM NEW.company_id)
    EXECUTE FUNCTION ledger_refuse_company_move(
        'ledger_reconciliation', 'open_item_id', 'ledger_reconciliation', 'overpayment_item_id');

CREATE TRIGGER ledger_account_company_fixed
    BEFORE UPDATE OF company_id ON ledger_account
    FOR EACH ROW WHEN (OLD.company_id IS DISTINCT FROM NEW.company_id)
    EXECUTE FUNCTION ledger_refuse_company_move('ledger_journalline', 'account_id');

CREATE TRIGGER ledger_customer_company_fixed
    BEFORE UPDATE OF company_id ON ledger_customer
    FOR EACH ROW WHEN (OLD.company_id IS DISTINCT FROM NEW.company_id)
    EXECUTE FUNCTION ledger_refuse_company_move('ledger_journalline', 'customer_id');

CREATE TRIGGER ledger_supplier_company_fixed
    BEFORE UPDATE OF company_id ON ledger_supplier
    FOR EACH ROW WHEN (OLD.company_id IS DISTINCT FROM NEW.company_id)
    EXECUTE FUNCTION ledger_refuse_company_move('ledger_journalline', 'supplier_id');
"""

LINE_CHECK_REVERSE_SQL = r"""
DROP TRIGGER IF EXISTS ledger_supplier_company_fixed ON ledger_supplier;
DROP TRIGGER IF EXISTS ledger_customer_company_fixed ON ledger_customer;
DROP TRIGGER IF EXISTS ledger_account_company_fixed ON ledger_account;
DROP TRIGGER IF EXISTS ledger_openitem_company_fixed ON ledger_openitem;
DROP FUNCTION IF EXISTS ledger_refuse_company_move();
DROP TRIGGER IF EXISTS ledger_reconciliation_company_update ON ledger_reconciliation;
DROP TRIGGER IF EXISTS ledger_reconciliation_company_insert ON ledger_reconciliation;
DROP FUNCTION IF EXISTS ledger_reconciliation_check_company();

"""
LINE_CHECK_REVERSE_SQL += importlib.import_module(
    "ledger.migrations.0003_ledger_invariant_triggers"
).BALANCE_FUNCTION_SQL


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(LINE_CHECK_SQL, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(LINE_CHECK_REVERSE_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("company", "0001_initial"),
        ("ledger", "0004_open_item_hot_updates"),
    ]

    # The triggers come first, so that no moment is without a check of the company copies.
    operations = [
        migrations.RunPython(forward, backward),
        migrations.AlterField(
            model_name="journalline",
            name="company",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="journal_lines",
                to="company.company",
            ),
        ),
        migrations.AlterField(
            model_name="reconciliation",
            name="company",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reconciliations",
                to="company.company",
            ),
        ),
    ]
