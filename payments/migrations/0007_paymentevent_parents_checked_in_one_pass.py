"""Payment events: the relations trigger reads the statement's rows once for its locks, and checks the parents
with few distinct values once per combination.

The trigger of migration 0004 read a page's events (the transition table, with their JSON details) four
times to lock company, payments, lines and actors, each through a hash of rows it took for wide enough to
spill to disk, and then joined company, payment, line and user for every event. Now one aggregate collects the
ids, each lock probes its table by primary key, company, payment and actor are checked once per distinct
combination and the line once per event. The checks are those of 0004.
"""

from django.db import migrations

FORWARD_SQL = r"""
CREATE OR REPLACE FUNCTION payments_paymentevent_check_parents() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
    companies bigint[];
    payments bigint[];
    lines bigint[];
    actors integer[];
BEGIN
    SELECT array_agg(DISTINCT company_id), array_agg(DISTINCT payment_id),
           array_agg(line_id) FILTER (WHERE line_id IS NOT NULL),
           array_agg(DISTINCT actor_id) FILTER (WHERE actor_id IS NOT NULL)
      INTO companies, payments, lines, actors
      FROM new_events;
    PERFORM 1 FROM company_company AS c WHERE c.id = ANY(companies) FOR KEY SHARE OF c;
    -- Thousands of payments or lines: probed one by one by primary key (as `= ANY` a large run may be
    -- planned as a scan of the whole table).
    PERFORM 1 FROM payments_payment AS p WHERE p.id IN (SELECT unnest(payments)) FOR KEY SHARE OF p;
    IF lines IS NOT NULL THEN
        PERFORM 1 FROM payments_paymentline AS l WHERE l.id IN (SELECT unnest(lines)) FOR KEY SHARE OF l;
    END IF;
    IF actors IS NOT NULL THEN
        PERFORM 1 FROM auth_user AS u WHERE u.id = ANY(actors) FOR KEY SHARE OF u;
    END IF;
    SELECT e.payment_id AS id,
           CASE
             WHEN c.id IS NULL THEN 'its company does not exist'
             WHEN p.id IS NULL THEN 'its payment does not exist'
             WHEN p.company_id <> e.company_id THEN 'its payment belongs to another company'
             WHEN e.actor_id IS NOT NULL AND u.id IS NULL THEN 'its user does not exist'
           END AS problem
      INTO bad
      FROM (SELECT DISTINCT company_id, payment_id, actor_id FROM new_events) AS e
      LEFT JOIN company_company AS c ON c.id = e.company_id
      LEFT JOIN payments_payment AS p ON p.id = e.payment_id
      LEFT JOIN auth_user AS u ON u.id = e.actor_id
     WHERE c.id IS NULL
        OR p.id IS NULL OR p.company_id <> e.company_id
        OR (e.actor_id IS NOT NULL AND u.id IS NULL)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'payments: an event of payment %: %', bad.id, bad.problem
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    SELECT e.id,
           CASE
             WHEN l.id IS NULL THEN 'its line does not exist'
             WHEN l.company_id <> e.company_id THEN 'its line belongs to another company'
           END AS problem
      INTO bad
      FROM new_events AS e
      LEFT JOIN payments_paymentline AS l ON l.id = e.line_id
     WHERE e.line_id IS NOT NULL AND (l.id IS NULL OR l.company_id <> e.company_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'payments: payment event %: %', bad.id, bad.problem
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END;
$$;
"""

BACKWARD_SQL = r"""
CREATE OR REPLACE FUNCTION payments_paymentevent_check_parents() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    PERFORM 1 FROM company_company AS c
     WHERE c.id IN (SELECT company_id FROM new_events) FOR KEY SHARE OF c;
    PERFORM 1 FROM payments_payment AS p
     WHERE p.id IN (SELECT payment_id FROM new_events) FOR KEY SHARE OF p;
    PERFORM 1 FROM payments_paymentline AS l
     WHERE l.id IN (SELECT line_id FROM new_events) FOR KEY SHARE OF l;
    PERFORM 1 FROM auth_user AS u
     WHERE u.id IN (SELECT actor_id FROM new_events) FOR KEY SHARE OF u;
    SELECT e.id,
           CASE
             WHEN c.id IS NULL THEN 'its company does not exist'
             WHEN p.id IS NULL THEN 'its payment does not exist'
             WHEN p.company_id <> e.company_id THEN 'its payment belongs to another company'
             WHEN e.line_id IS NOT NULL AND l.id IS NULL THEN 'its line does not exist'
             WHEN l.company_id <> e.company_id THEN 'its line belongs to another company'
             WHEN e.actor_id IS NOT NULL AND u.id IS NULL THEN 'its user does not exist'
           END AS problem
      INTO bad
      FROM new_events AS e
      LEFT JOIN company_company AS c ON c.id = e.company_id
      LEFT JOIN payments_payment AS p ON p.id = e.payment_id
      LEFT JOIN payments_paymentline AS l ON l.id = e.line_id
      LEFT JOIN auth_user AS u ON u.id = e.actor_id
     WHERE c.id IS NULL
        OR p.id IS NULL OR p.company_id <> e.company_id
        OR (e.line_id IS NOT NULL AND l.id IS NULL) OR l.company_id <> e.company_id
        OR (e.actor_id IS NOT NULL AND u.id IS NULL)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'payments: payment event %: %', bad.id, bad.problem
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
    dependencies = [("payments", "0006_paymentevent_actor_partial_index")]

    operations = [migrations.RunPython(forward, backward)]
