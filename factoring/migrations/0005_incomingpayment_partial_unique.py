"""Incoming payments: the message id's and the reversal's uniqueness on the rows that have one.

A file payment has no AutoPay message id and nearly none reverses another, yet the full unique indexes on both
columns (and the index on the customer, whom an unmatched payment lacks) held an entry for every row. The partial
ones keep the same rule (NULLs never collided) with no entry for the rows without a value. The new constraints
are made before the old ones go, in the same transaction.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("company", "0002_audit_event"),
        ("factoring", "0004_incomingpayment_indexes"),
        ("ledger", "0011_openitem_payment_block_db_defaults"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="incomingpayment",
            index=models.Index(
                condition=models.Q(("customer__isnull", False)),
                fields=["customer"],
                name="incomingpayment_customer",
            ),
        ),
        migrations.AddConstraint(
            model_name="incomingpayment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("autopay_message_id__isnull", False)),
                fields=("autopay_message_id",),
                name="incomingpayment_unique_message",
            ),
        ),
        migrations.AddConstraint(
            model_name="incomingpayment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("reverses__isnull", False)),
                fields=("reverses",),
                name="incomingpayment_unique_reversal",
            ),
        ),
        migrations.AlterField(
            model_name="incomingpayment",
            name="autopay_message_id",
            field=models.UUIDField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="incomingpayment",
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
            model_name="incomingpayment",
            name="reverses",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reversed_by",
                to="factoring.incomingpayment",
            ),
        ),
    ]
