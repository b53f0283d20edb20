"""Incoming payments' relations are checked by one set-based trigger per statement, not per-row foreign keys.

An import writes its payments with COPY, 20 000 rows a statement; with foreign keys on company, definition,
file import and customer, the commit ran four deferred checks per row (about 3 s per 100 000 payments). As the
ledger's bulk tables (ledger migration 0006), both sides of each relation are now guarded:

* insert and update side: one query per statement (transition tables) that locks the rows referred to which
  can still be deleted (`FOR KEY SHARE`, as a foreign key does) and refuses a company, definition, file import,
  customer, open item, voucher or journal line that does not exist or belongs to another company. The open
  item, voucher and journal line had no check at all before.
* referenced side: row triggers refuse DELETE of a referenced row and UPDATE of its id, a statement trigger a
  TRUNCATE that leaves a reference dangling (the ledger's generic guard functions).

`reverses` keeps its foreign key (NULL on all but reversals, which costs nothing). PostgreSQL only: on SQLite
the services' checks and Django's PROTECT are all there is.
"""

import django.db.models.deletion
from django.db import migrations, models

# (referenced table, [(referencing table, column), ...]): every column below has no foreign-key constraint.
REFERENCES = [
    ("company_company", [("factoring_incomingpayment", "company_id")]),
    ("factoring_factoringcompany", [("factoring_incomingpayment", "definition_id")]),
    ("factoring_incomingimport", [("factoring_incomingpayment", "file_import_id")]),
    ("ledger_customer", [("factoring_incomingpayment", "customer_id")]),
    ("ledger_openitem", [("factoring_incomingpayment", "open_item_id")]),
    ("ledger_voucher", [("factoring_incomingpayment", "voucher_id")]),
    ("ledger_journalline", [("factoring_incomingpayment", "journal_line_id")]),
    ("ledger_account", [("factoring_factoringcompany", "gl_account_id")]),
    ("ledger_voucherseries", [("factoring_factoringcompany", "voucher_series_id")]),
]

CHECK_SQL = r"""
CREATE FUNCTION factoring_incomingpayment_check_parents() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    -- Lock what the payments refer to that can still be deleted, as a foreign key does.
    PERFORM 1 FROM company_company AS c
     WHERE c.id IN (SELECT company_id FROM new_payments) FOR KEY SHARE OF c;
    PERFORM 1 FROM factoring_factoringcompany AS d
     WHERE d.id IN (SELECT definition_id FROM new_payments) FOR KEY SHARE OF d;
    PERFORM 1 FROM factoring_incomingimport AS f
     WHERE f.id IN (SELECT file_import_id FROM new_payments) FOR KEY SHARE OF f;
    PERFORM 1 FROM ledger_customer AS cu
     WHERE cu.id IN (SELECT customer_id FROM new_payments) FOR KEY SHARE OF cu;
    PERFORM 1 FROM ledger_openitem AS o
     WHERE o.id IN (SELECT open_item_id FROM new_payments) FOR KEY SHARE OF o;
    -- The relations with few distinct values in a statement (company, definition, import, voucher,
    -- customer) are checked once per distinct combination, the open item and the line once per row.
    SELECT p.company_id AS id,
           CASE
             WHEN c.id IS NULL THEN 'its company does not exist'
             WHEN d.id IS NULL THEN 'its KID definition does not exist'
             WHEN d.company_id <> p.company_id THEN 'its KID definition belongs to another company'
             WHEN p.file_import_id IS NOT NULL AND f.id IS NULL THEN 'its import does not exist'
             WHEN f.company_id <> p.company_id THEN 'its import belongs to another company'
             WHEN p.customer_id IS NOT NULL AND cu.id IS NULL THEN 'its customer does not exist'
             WHEN cu.company_id <> p.company_id THEN 'its customer belongs to another company'
             WHEN p.voucher_id IS NOT NULL AND v.id IS NULL THEN 'its voucher does not exist'
             WHEN v.company_id <> p.company_id THEN 'its voucher belongs to another company'
           END AS problem
      INTO bad
      FROM (SELECT DISTINCT company_id, definition_id, file_import_id, customer_id, voucher_id
              FROM new_payments) AS p
      LEFT JOIN company_company AS c ON c.id = p.company_id
      LEFT JOIN factoring_factoringcompany AS d ON d.id = p.definition_id
      LEFT JOIN factoring_incomingimport AS f ON f.id = p.file_import_id
      LEFT JOIN ledger_customer AS cu ON cu.id = p.customer_id
      LEFT JOIN ledger_voucher AS v ON v.id = p.voucher_id
     WHERE c.id IS NULL
        OR d.id IS NULL OR d.company_id <> p.company_id
        OR (p.file_import_id IS NOT NULL AND f.id IS NULL) OR f.company_id <> p.company_id
        OR (p.customer_id IS NOT NULL AND cu.id IS NULL) OR cu.company_id <> p.company_id
        OR (p.voucher_id IS NOT NULL AND v.id IS NULL) OR v.company_id <> p.company_id
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'factoring: incoming payments of company %: %', bad.id, bad.problem
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    SELECT p.id,
           CASE
             WHEN p.open_item_id IS NOT NULL AND o.id IS NULL THEN 'its open item does not exist'
             WHEN o.company_id <> p.company_id THEN 'its open item belongs to another company'
             WHEN p.journal_line_id IS NOT NULL AND l.id IS NULL THEN 'its journal line does not exist'
             WHEN l.company_id <> p.company_id THEN 'its journal line belongs to another company'
           END AS problem
      INTO bad
      FROM new_payments AS p
      LEFT JOIN ledger_openitem AS o ON o.id = p.open_item_id
      LEFT JOIN ledger_journalline AS l ON l.id = p.journal_line_id
     WHERE (p.open_item_id IS NOT NULL AND o.id IS NULL) OR o.company_id <> p.company_id
        OR (p.journal_line_id IS NOT NULL AND l.id IS NULL) OR l.company_id <> p.company_id
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'factoring: incoming payment %: %', bad.id, bad.problem
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER factoring_incomingpayment_parents_insert
    AFTER INSERT ON factoring_incomingpayment REFERENCING NEW TABLE AS new_payments
    FOR EACH STATEMENT EXECUTE FUNCTION factoring_incomingpayment_check_parents();
CREATE TRIGGER factoring_incomingpayment_parents_update
    AFTER UPDATE ON factoring_incomingpayment REFERENCING NEW TABLE AS new_payments
    FOR EACH STATEMENT EXECUTE FUNCTION factoring_incomingpayment_check_parents();

CREATE FUNCTION factoring_factoringcompany_check_parents() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    PERFORM 1 FROM ledger_account AS a
     WHERE a.id IN (SELECT gl_account_id FROM new_definitions) FOR KEY SHARE OF a;
    PERFORM 1 FROM ledger_voucherseries AS s
     WHERE s.id IN (SELECT voucher_series_id FROM new_definitions) FOR KEY SHARE OF s;
    SELECT d.id,
           CASE
             WHEN a.id IS NULL THEN 'its GL account does not exist'
             WHEN a.company_id <> d.company_id THEN 'its GL account belongs to another company'
             WHEN s.id IS NULL THEN 'its voucher series does not exist'
             WHEN s.company_id <> d.company_id THEN 'its voucher series belongs to another company'
           END AS problem
      INTO bad
      FROM new_definitions AS d
      LEFT JOIN ledger_account AS a ON a.id = d.gl_account_id
      LEFT JOIN ledger_voucherseries AS s ON s.id = d.voucher_series_id
     WHERE a.id IS NULL OR a.company_id <> d.company_id OR s.id IS NULL OR s.company_id <> d.company_id
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'factoring: KID definition %: %', bad.id, bad.problem
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER factoring_factoringcompany_parents_insert
    AFTER INSERT ON factoring_factoringcompany REFERENCING NEW TABLE AS new_definitions
    FOR EACH STATEMENT EXECUTE FUNCTION factoring_factoringcompany_check_parents();
CREATE TRIGGER factoring_factoringcompany_parents_update
    AFTER UPDATE ON factoring_factoringcompany REFERENCING NEW TABLE AS new_definitions
    FOR EACH STATEMENT EXECUTE FUNCTION factoring_factoringcompany_check_parents();
"""

CHECK_REVERSE_SQL = r"""
DROP TRIGGER IF EXISTS factoring_factoringcompany_parents_update ON factoring_factoringcompany;
DROP TRIGGER IF EXISTS factoring_factoringcompany_parents_insert ON factoring_factoringcompany;
DROP FUNCTION IF EXISTS factoring_factoringcompany_check_parents();
DROP TRIGGER IF EXISTS factoring_incomingpayment_parents_update ON factoring_incomingpayment;
DROP TRIGGER IF EXISTS factoring_incomingpayment_parents_insert ON factoring_incomingpayment;
DROP FUNCTION IF EXISTS factoring_incomingpayment_check_parents();
"""


def _name(table: str, column: str) -> str:
    # Named after the table, so that on vouchers and lines they fire after `…_immutable` (which refuses
    # first, without reading the payments).
    return f"{table}_referenced_f_{column.removesuffix('_id')}"


def _guards_sql() -> str:
    statements = []
    for table, referrers in REFERENCES:
        args = ", ".join(f"'{t}', '{c}'" for t, c in referrers)
        name = _name(table, referrers[0][1])
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
    for table, referrers in REFERENCES:
        name = _name(table, referrers[0][1])
        for suffix in ("delete", "id", "truncate"):
            statements.append(f"DROP TRIGGER IF EXISTS {name}_{suffix} ON {table};")
    return "\n".join(statements)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CHECK_SQL, params=None)
        schema_editor.execute(_guards_sql(), params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_guards_reverse_sql(), params=None)
        schema_editor.execute(CHECK_REVERSE_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("company", "0001_initial"),
        ("ledger", "0011_openitem_payment_block_db_defaults"),
        ("factoring", "0002_incomingpayment_account_key"),
    ]

    # The triggers come first, so that no moment is without a check; on the way back, the foreign keys come
    # back (and validate every row) before the triggers go.
    operations = [
        migrations.RunPython(forward, backward),
        migrations.AlterField(
            model_name="incomingpayment",
            name="company",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="incoming_payments",
                to="company.company",
            ),
        ),
        migrations.AlterField(
            model_name="incomingpayment",
            name="customer",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="ledger.customer",
            ),
        ),
        migrations.AlterField(
            model_name="incomingpayment",
            name="definition",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="factoring.factoringcompany",
            ),
        ),
        migrations.AlterField(
            model_name="incomingpayment",
            name="file_import",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="payments",
                to="factoring.incomingimport",
            ),
        ),
    ]
