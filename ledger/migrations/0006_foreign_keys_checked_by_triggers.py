"""The remaining foreign keys of the bulk tables are checked by set-based triggers.

Vouchers (company, series, batch), journal lines (voucher, account, customer, supplier) and reconciliations
(open item, journal line, credit item) lose their foreign-key constraints; the relations, their indexes and
Django's PROTECT stay. `Voucher.reverses` keeps its foreign key. Both sides of each relation are guarded:

* insert side: one set-based query per statement (transition tables). A new trigger on vouchers refuses a
  company, series or batch that does not exist, or a series or batch of another company; the line and the
  reconciliation triggers of migration 0005 now also refuse an account, customer, supplier or credit item that
  does not exist. Before checking, each trigger locks the rows its statement refers to that can still be
  deleted (`FOR KEY SHARE`, as a foreign key does), so a concurrent delete waits for the insert, or the insert
  sees the delete. Vouchers and lines need no lock: they can never be deleted or changed.
* referenced side: on each referenced table, row triggers refuse DELETE of a row that any of these columns
  refers to, and UPDATE of its id; a statement trigger refuses a TRUNCATE that leaves a reference dangling.

PostgreSQL only: on SQLite the services' checks and Django's PROTECT are all there is.
"""

import importlib

import django.db.models.deletion
from django.db import migrations, models

# (referenced table, [(referencing table, column), ...]): every column below has no foreign-key constraint.
REFERENCES = [
    (
        "company_company",
        [
            ("ledger_voucher", "company_id"),
            ("ledger_journalline", "company_id"),
            ("ledger_reconciliation", "company_id"),
        ],
    ),
    ("ledger_voucherseries", [("ledger_voucher", "series_id")]),
    ("ledger_batch", [("ledger_voucher", "batch_id")]),
    ("ledger_voucher", [("ledger_journalline", "voucher_id")]),
    ("ledger_account", [("ledger_journalline", "account_id")]),
    ("ledger_customer", [("ledger_journalline", "customer_id")]),
    ("ledger_supplier", [("ledger_journalline", "supplier_id")]),
    (
        "ledger_openitem",
        [("ledger_reconciliation", "open_item_id"), ("ledger_reconciliation", "overpayment_item_id")],
    ),
    ("ledger_journalline", [("ledger_reconciliation", "journal_line_id")]),
]

CHECKS_SQL = r"""
CREATE FUNCTION ledger_voucher_check_parents() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    -- Lock what the vouchers refer to, as a foreign key does: a concurrent delete waits for this
    -- transaction, and a delete that came first is seen by the check below.
    PERFORM 1 FROM company_company AS c
     WHERE c.id IN (SELECT company_id FROM new_vouchers) FOR KEY SHARE OF c;
    PERFORM 1 FROM ledger_voucherseries AS s
     WHERE s.id IN (SELECT series_id FROM new_vouchers) FOR KEY SHARE OF s;
    PERFORM 1 FROM ledger_batch AS b
     WHERE b.id IN (SELECT batch_id FROM new_vouchers) FOR KEY SHARE OF b;
    SELECT v.id,
           CASE
             WHEN c.id IS NULL THEN 'its company does not exist'
             WHEN s.id IS NULL THEN 'its series does not exist'
             WHEN s.company_id <> v.company_id THEN 'its series belongs to another company'
             WHEN v.batch_id IS NOT NULL AND b.id IS NULL THEN 'its batch does not exist'
             WHEN b.company_id <> v.company_id THEN 'its batch belongs to another company'
           END AS problem
      INTO bad
      FROM new_vouchers AS v
      LEFT JOIN company_company AS c ON c.id = v.company_id
      LEFT JOIN ledger_voucherseries AS s ON s.id = v.series_id
      LEFT JOIN ledger_batch AS b ON b.id = v.batch_id
     WHERE c.id IS NULL
        OR s.id IS NULL
        OR s.company_id <> v.company_id
        OR (v.batch_id IS NOT NULL AND b.id IS NULL)
        OR b.company_id <> v.company_id
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger: voucher %: %', bad.id, bad.problem
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER ledger_voucher_parents
    AFTER INSERT ON ledger_voucher
    REFERENCING NEW TABLE AS new_vouchers
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_voucher_check_parents();

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
    -- Lock the accounts and parties, as a foreign key does (vouchers can never be deleted: no lock).
    PERFORM 1 FROM ledger_account AS a
     WHERE a.id IN (SELECT account_id FROM new_lines) FOR KEY SHARE OF a;
    PERFORM 1 FROM ledger_customer AS c
     WHERE c.id IN (SELECT customer_id FROM new_lines) FOR KEY SHARE OF c;
    PERFORM 1 FROM ledger_supplier AS s
     WHERE s.id IN (SELECT supplier_id FROM new_lines) FOR KEY SHARE OF s;
    -- One pass: the voucher, the account and the party must exist, and the line, its account and its party
    -- must all be of the voucher's company (whose existence the voucher's trigger checked).
    SELECT n.voucher_id,
           CASE
             WHEN v.id IS NULL THEN 'is written before its voucher'
             WHEN n.company_id <> v.company_id THEN 'belongs to another company'
             WHEN a.id IS NULL THEN 'has an account that does not exist'
             WHEN n.customer_id IS NOT NULL AND c.id IS NULL THEN 'has a customer that does not exist'
             WHEN n.supplier_id IS NOT NULL AND s.id IS NULL THEN 'has a supplier that does not exist'
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
        OR a.id IS NULL
        OR (n.customer_id IS NOT NULL AND c.id IS NULL)
        OR (n.supplier_id IS NOT NULL AND s.id IS NULL)
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

CREATE OR REPLACE FUNCTION ledger_reconciliation_check_company() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    -- Lock the items and credit items, as a foreign key does (lines can never be deleted: no lock).
    PERFORM 1 FROM ledger_openitem AS o
     WHERE o.id IN (SELECT open_item_id FROM new_reconciliations) FOR KEY SHARE OF o;
    PERFORM 1 FROM ledger_openitem AS o
     WHERE o.id IN (SELECT overpayment_item_id FROM new_reconciliations) FOR KEY SHARE OF o;
    SELECT r.id, r.open_item_id, r.journal_line_id,
           CASE
             WHEN o.id IS NULL THEN 'its open item does not exist'
             WHEN l.id IS NULL THEN 'its journal line does not exist'
             WHEN r.overpayment_item_id IS NOT NULL AND c.id IS NULL THEN 'its credit item does not exist'
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
        OR (r.overpayment_item_id IS NOT NULL AND c.id IS NULL)
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

-- Arguments: pairs of (table, column) that refer to the row. Refuses deleting the row, or changing its id,
-- while any of them refers to it. Row-level: such deletes are rare, and each check is one index probe.
CREATE FUNCTION ledger_refuse_orphaning() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    i integer := 0;
    used boolean;
BEGIN
    WHILE i < TG_NARGS LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %I = $1)', TG_ARGV[i], TG_ARGV[i + 1])
            INTO used USING OLD.id;
        IF used THEN
            RAISE EXCEPTION 'ledger: % % is referred to by %.% and cannot be %', TG_TABLE_NAME, OLD.id,
                TG_ARGV[i], TG_ARGV[i + 1],
                CASE TG_OP WHEN 'DELETE' THEN 'deleted' ELSE 'given another id' END
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        i := i + 2;
    END LOOP;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;

-- Arguments as above. After a TRUNCATE the table is empty: any reference left is dangling.
CREATE FUNCTION ledger_refuse_truncate_orphaning() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    i integer := 0;
    used boolean;
BEGIN
    WHILE i < TG_NARGS LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %I IS NOT NULL)', TG_ARGV[i], TG_ARGV[i + 1])
            INTO used;
        IF used THEN
            RAISE EXCEPTION 'ledger: % is referred to by %.% and cannot be truncated alone', TG_TABLE_NAME,
                TG_ARGV[i], TG_ARGV[i + 1]
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        i := i + 2;
    END LOOP;
    RETURN NULL;
END;
$$;
"""

CHECKS_REVERSE_SQL = r"""
DROP FUNCTION IF EXISTS ledger_refuse_truncate_orphaning();
DROP FUNCTION IF EXISTS ledger_refuse_orphaning();
DROP TRIGGER IF EXISTS ledger_voucher_parents ON ledger_voucher;
DROP FUNCTION IF EXISTS ledger_voucher_check_parents();
"""


def _short(table: str) -> str:
    return table.removeprefix("ledger_").removeprefix("company_")


def _guards_sql() -> str:
    """Create the guard triggers of every referenced table (named to fire after `…_immutable`)."""
    statements = []
    for table, referrers in REFERENCES:
        name = f"ledger_{_short(table)}_referenced"
        args = ", ".join(f"'{t}', '{c}'" for t, c in referrers)
        statements += [
            f"CREATE TRIGGER {name}_delete BEFORE DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION ledger_refuse_orphaning({args});",
            f"CREATE TRIGGER {name}_id BEFORE UPDATE OF id ON {table} "
            f"FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) "
            f"EXECUTE FUNCTION ledger_refuse_orphaning({args});",
            f"CREATE TRIGGER {name}_truncate AFTER TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_truncate_orphaning({args});",
        ]
    return "\n".join(statements)


def _guards_reverse_sql() -> str:
    statements = []
    for table, _ in REFERENCES:
        name = f"ledger_{_short(table)}_referenced"
        for suffix in ("delete", "id", "truncate"):
            statements.append(f"DROP TRIGGER IF EXISTS {name}_{suffix} ON {table};")
    return "\n".join(statements)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CHECKS_SQL, params=None)
        schema_editor.execute(_guards_sql(), params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_guards_reverse_sql(), params=None)
        schema_editor.execute(CHECKS_REVERSE_SQL, params=None)
        # Back to the checks of migration 0005 exactly: undo them, then apply them again.
        previous = importlib.import_module("ledger.migrations.0005_company_copies_checked_by_triggers")
        schema_editor.execute(previous.LINE_CHECK_REVERSE_SQL, params=None)
        schema_editor.execute(previous.LINE_CHECK_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("company", "0001_initial"),
        ("ledger", "0005_company_copies_checked_by_triggers"),
    ]

    # The triggers come first, so that no moment is without a check; on the way back, the foreign keys come
    # back (and validate every row) before the triggers go.
    operations = [
        migrations.RunPython(forward, backward),
        migrations.AlterField(
            model_name="journalline",
            name="account",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="journal_lines",
                to="ledger.account",
            ),
        ),
        migrations.AlterField(
            model_name="journalline",
            name="customer",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="ledger.customer",
            ),
        ),
        migrations.AlterField(
            model_name="journalline",
            name="supplier",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="ledger.supplier",
            ),
        ),
        migrations.AlterField(
            model_name="journalline",
            name="voucher",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="lines",
                to="ledger.voucher",
            ),
        ),
        migrations.AlterField(
            model_name="reconciliation",
            name="journal_line",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reconciliations",
                to="ledger.journalline",
            ),
        ),
        migrations.AlterField(
            model_name="reconciliation",
            name="open_item",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reconciliations",
                to="ledger.openitem",
            ),
        ),
        migrations.AlterField(
            model_name="reconciliation",
            name="overpayment_item",
            field=models.OneToOneField(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="overpayment_of",
                to="ledger.openitem",
            ),
        ),
        migrations.AlterField(
            model_name="voucher",
            name="batch",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="vouchers",
                to="ledger.batch",
            ),
        ),
        migrations.AlterField(
            model_name="voucher",
            name="company",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="vouchers",
                to="company.company",
            ),
        ),
        migrations.AlterField(
            model_name="voucher",
            name="series",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="vouchers",
                to="ledger.voucherseries",
            ),
        ),
    ]
