"""Open items updated in place (HOT): no index holds `status` or `remaining_amount`; room left in each page.

PostgreSQL updates a row in place (a heap-only tuple, no new index entries) only when no indexed column, and
no column of a partial index's condition, changes, and when the new version fits in the same page.
Settling an item changes only `remaining_amount` and `status`, so the (company, kind, status) index becomes
(company, kind, due_date), which serves the same lookups (a company's open items of one kind, oldest due
first), and the table gets a fillfactor of 50 (measured against 80 in docs/benchmarks.md). The party foreign
keys, each NULL on the other kind's items (and on most journal lines), are indexed only where set.
"""

import django.db.models.deletion
from django.db import migrations, models

FILLFACTOR_SQL = "ALTER TABLE ledger_openitem SET (fillfactor = 50)"
FILLFACTOR_REVERSE_SQL = "ALTER TABLE ledger_openitem RESET (fillfactor)"


def fillfactor_set(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FILLFACTOR_SQL, params=None)


def fillfactor_reset(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FILLFACTOR_REVERSE_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("company", "0001_initial"),
        ("ledger", "0003_ledger_invariant_triggers"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="openitem",
            name="openitem_company_kind_status",
        ),
        migrations.AddIndex(
            model_name="openitem",
            index=models.Index(fields=["company", "kind", "due_date"], name="openitem_company_kind_due"),
        ),
        migrations.AlterField(
            model_name="journalline",
            name="customer",
            field=models.ForeignKey(
                blank=True,
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
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="ledger.supplier",
            ),
        ),
        migrations.AlterField(
            model_name="openitem",
            name="customer",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="items",
                to="ledger.customer",
            ),
        ),
        migrations.AlterField(
            model_name="openitem",
            name="supplier",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="items",
                to="ledger.supplier",
            ),
        ),
        migrations.AddIndex(
            model_name="journalline",
            index=models.Index(
                condition=models.Q(("customer__isnull", False)),
                fields=["customer"],
                name="journalline_customer",
            ),
        ),
        migrations.AddIndex(
            model_name="journalline",
            index=models.Index(
                condition=models.Q(("supplier__isnull", False)),
                fields=["supplier"],
                name="journalline_supplier",
            ),
        ),
        migrations.AddIndex(
            model_name="openitem",
            index=models.Index(
                condition=models.Q(("customer__isnull", False)), fields=["customer"], name="openitem_customer"
            ),
        ),
        migrations.AddIndex(
            model_name="openitem",
            index=models.Index(
                condition=models.Q(("supplier__isnull", False)), fields=["supplier"], name="openitem_supplier"
            ),
        ),
        migrations.RunPython(fillfactor_set, fillfactor_reset),
    ]
