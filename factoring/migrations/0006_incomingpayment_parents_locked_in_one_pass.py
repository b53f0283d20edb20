"""Incoming payments: the parents' locks of the relations trigger taken from one pass over the statement's rows.

The trigger of migration 0003 read the statement's rows (the transition table, 20 000 rows of an import's
chunk) five times, once per kind of parent it locks, each through a hash of rows it took for wide enough to
spill to disk. Now one aggregate collects the ids of the companies, definitions, imports and customers
(distinct) and of the open items, and each lock probes its table with them. The checks are those of 0003.
"""

from django.db import migrations

FORWARD_SQL = r"""
CREATE OR REPLACE FUNCTION factoring_incomingpayment_check_parents() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
    companies bigint[];
    definitions bigint[];
    imports bigint[];
    customers bigint[];
    items bigint[];
BEGIN
    -- Lock what the payments refer to that can still be deleted, as a foreign key does. One pass over the
    -- statement's rows collects the ids (each lock then probes its table by primary key).
    SELECT array_agg(DISTINCT company_id), array_agg(DISTINCT definition_id),
           array_agg(DISTINCT file_import_id) FILTER (WHERE file_import_id IS NOT NULL),
           array_agg(DISTINCT customer_id) FILTER (WHERE customer_id IS NOT NULL),
           array_agg(open_item_id) FILTER (WHERE open_item_id IS NOT NULL)
      INTO companies, definitions, imports, customers, items
      FROM new_payments;
    PERFORM 1 FROM company_company AS c WHERE c.id = ANY(companies) FOR KEY SHARE OF c;
    PERFORM 1 FROM factoring_factoringcompany AS d WHERE d.id = ANY(definitions) FOR KEY SHARE OF d;
    IF imports IS NOT NULL THEN
        PERFORM 1 FROM factoring_incomingimport AS f WHERE f.id = ANY(imports) FOR KEY SHARE OF f;
    END IF;
    IF customers IS NOT NULL THEN
        PERFORM 1 FROM ledger_customer AS cu WHERE cu.id = ANY(customers) FOR KEY SHARE OF cu;
    END IF;
    IF items IS NOT NULL THEN
        -- Thousands of items: probed one by one by primary key (as `= ANY` a large run may be planned as a
        -- scan of the whole table).
        PERFORM 1 FROM ledger_openitem AS o WHERE o.id IN (SELECT unnest(items)) FOR KEY SHARE OF o;
    END IF;
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
"""

BACKWARD_SQL = r"""
CREATE OR REPLACE FUNCTION factoring_incomingpayment_check_parents() RETURNS trigger LANGUAGE plpgsql AS $$
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
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD_SQL, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [("factoring", "0005_incomingpayment_partial_unique")]

    operations = [migrations.RunPython(forward, backward)]
