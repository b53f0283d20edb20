"""The balance check of journal lines sums each touched voucher through its index (docs/benchmarks.md).

The trigger joined the statement's vouchers with all journal lines; for a statement of few vouchers with many
lines each (an import's day voucher of thousands of payments) the planner scanned the whole table, a cost that
grew with the ledger. The same check, through a LATERAL sum per voucher.
"""

from django.db import migrations

NEW = r"""
CREATE OR REPLACE FUNCTION ledger_journalline_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$

DECLARE
    bad_voucher bigint;
    bad_sum numeric;
    problem text;
BEGIN
    -- Each touched voucher's lines summed through the voucher index (LATERAL): a join let the planner, which
    -- cannot see how many lines a voucher in the transition table has, scan every line of the table.
    SELECT touched.voucher_id, total.amount INTO bad_voucher, bad_sum
      FROM (SELECT DISTINCT voucher_id FROM new_lines) AS touched
      CROSS JOIN LATERAL (
            SELECT SUM(l.amount) AS amount FROM ledger_journalline AS l WHERE l.voucher_id = touched.voucher_id
           ) AS total
     WHERE total.amount <> 0
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
"""

OLD = r"""
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
"""


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(NEW, params=None)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(OLD, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0008_account_role_payment_differences")]

    operations = [migrations.RunPython(forwards, backwards)]
