"""Payment events' relations are checked by one trigger per statement, not per-row foreign keys.

The poll writes a page's events with COPY (three per paid line); with foreign keys on payment, line, company
and actor, the commit ran three deferred checks per event (about a fifth of a poll). As for the ledger's bulk
tables (ledger migration 0006) and incoming payments (factoring 0003), one query per statement now checks, after
`FOR KEY SHARE` locks, that the payment, line and actor exist and that the payment and line are the event's
company's, and guards on the referenced tables refuse deleting (or changing the id of) a row an event names.
Django keeps the relations: deleting a payment still deletes its events first (CASCADE), removing a line still
clears their line (SET_NULL). PostgreSQL only.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

REFERENCES = [
    ("company_company", "company_id"),
    ("payments_payment", "payment_id"),
    ("payments_paymentline", "line_id"),
    ("auth_user", "actor_id"),
]

CHECK_SQL = r"""
CREATE FUNCTION payments_paymentevent_check_parents() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER payments_paymentevent_parents_insert
    AFTER INSERT ON payments_paymentevent REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION payments_paymentevent_check_parents();
CREATE TRIGGER payments_paymentevent_parents_update
    AFTER UPDATE ON payments_paymentevent REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION payments_paymentevent_check_parents();
"""

CHECK_REVERSE_SQL = r"""
DROP TRIGGER IF EXISTS payments_paymentevent_parents_update ON payments_paymentevent;
DROP TRIGGER IF EXISTS payments_paymentevent_parents_insert ON payments_paymentevent;
DROP FUNCTION IF EXISTS payments_paymentevent_check_parents();
"""


def _name(table: str, column: str) -> str:
    return f"{table}_referenced_pe_{column.removesuffix('_id')}"


def _guards_sql() -> str:
    statements = []
    for table, column in REFERENCES:
        args = f"'payments_paymentevent', '{column}'"
        name = _name(table, column)
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
    return "\n".join(
        f"DROP TRIGGER IF EXISTS {_name(table, column)}_{suffix} ON {table};"
        for table, column in REFERENCES
        for suffix in ("delete", "id", "truncate")
    )


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
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("company", "0002_audit_event"),
        ("ledger", "0011_openitem_payment_block_db_defaults"),
        ("payments", "0003_fewer_indexes"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
        migrations.AlterField(
            model_name="paymentevent",
            name="payment",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="events",
                to="payments.payment",
            ),
        ),
        migrations.AlterField(
            model_name="paymentevent",
            name="line",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="events",
                to="payments.paymentline",
            ),
        ),
        migrations.AlterField(
            model_name="paymentevent",
            name="company",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="company.company",
            ),
        ),
        migrations.AlterField(
            model_name="paymentevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
