"""A payment line's phase: derived from its status by the database, and what its indexes name instead."""

import re

import pytest
from django.db import IntegrityError, connection, transaction

from payments import models
from tests.payments import factories

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

# The guard's refusal: PostgreSQL names the index, SQLite the column.
GUARD_REFUSAL = (
    r"paymentline_one_active_line_per_item|UNIQUE constraint failed: payments_paymentline\.open_item_id"
)


@pytest.mark.parametrize("status", list(models.LineStatus))
def test_the_database_derives_each_statuses_phase(status):
    line = factories.PaymentLineFactory.create()
    models.PaymentLine.objects.filter(pk=line.pk).update(
        status=status, voucher_id=1 if status == models.LineStatus.POSTED else None
    )
    line.refresh_from_db()
    assert line.phase == models.LINE_PHASE_OF_STATUS[status]


def test_the_phases_holding_an_item_are_those_of_the_statuses_holding_it():
    holding = {models.LINE_PHASE_OF_STATUS[s] for s in models.LINE_STATUSES_HOLDING_ITEM}
    others = {
        models.LINE_PHASE_OF_STATUS[s]
        for s in models.LineStatus
        if s not in models.LINE_STATUSES_HOLDING_ITEM
    }
    assert holding == set(models.LINE_PHASES_HOLDING_ITEM)
    assert not others & holding


@pytest.mark.parametrize("status", models.LINE_STATUSES_HOLDING_ITEM)
def test_a_line_in_any_status_holding_the_item_keeps_a_second_line_off_it(status):
    line = factories.PaymentLineFactory.create()
    models.PaymentLine.objects.filter(pk=line.pk).update(status=status)
    with (
        pytest.raises(
            IntegrityError,
            match=GUARD_REFUSAL,
        ),
        transaction.atomic(),
    ):
        factories.PaymentLineFactory.create(
            payment=line.payment, open_item=line.open_item, supplier=line.supplier
        )


@pytest.mark.parametrize(
    "status", [models.LineStatus.CANCELLED, models.LineStatus.REJECTED, models.LineStatus.POSTED]
)
def test_a_line_ended_or_posted_frees_the_item(status):
    line = factories.PaymentLineFactory.create()
    models.PaymentLine.objects.filter(pk=line.pk).update(
        status=status, voucher_id=1 if status == models.LineStatus.POSTED else None
    )
    factories.PaymentLineFactory.create(
        payment=line.payment, open_item=line.open_item, supplier=line.supplier
    )
    assert models.PaymentLine.objects.filter(open_item=line.open_item).count() == 2


@pytest.mark.postgresql_only  # PostgreSQL's heap-only updates
def test_no_index_of_payment_lines_names_their_status():
    # A status step within a phase then changes no indexed value, and can be a heap-only update.
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'payments_paymentline'")
        definitions = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT reloptions FROM pg_class WHERE relname = 'payments_paymentline' AND relkind = 'r'"
        )
        options = cursor.fetchone()[0]
    assert len(definitions) >= 8
    assert [d for d in definitions if re.search(r"\bstatus\b", d)] == []
    assert "fillfactor=50" in options
