"""Edits of a proposal: remove a line, reduce, change the date, delete; never after upload starts."""

import datetime
from decimal import Decimal

import pytest

from payments import errors, models
from payments.services import editing, proposal
from tests.payments import factories
from tests.payments.factories import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def payment(company, bank_partner):
    factories.PayableItemFactory.create(company=company, amount=Decimal("1000.00"))
    factories.PayableItemFactory.create(company=company, amount=Decimal("500.00"))
    return proposal.payment_proposal_create(
        company=company,
        bank_partner=bank_partner,
        due_date_to=datetime.date(2026, 12, 31),
        actor=None,
        now=NOW,
    ).payments[0]


def first_line(payment):
    return payment.lines.order_by("pk").first()


def test_removing_a_line_lowers_the_total(payment, accountant):
    editing.payment_line_remove(line=first_line(payment), actor=accountant, now=NOW)
    payment.refresh_from_db()
    assert (payment.lines.count(), payment.total) == (1, Decimal("500.00"))


def test_removing_a_line_writes_an_event_with_its_actor(payment, accountant):
    editing.payment_line_remove(line=first_line(payment), actor=accountant, now=NOW)
    event = payment.events.get(kind=models.PaymentEventKind.LINE_REMOVED)
    assert (event.actor, event.details["amount"]) == (accountant, "1000.00")


def test_removing_the_last_line_is_refused(payment, accountant):
    editing.payment_line_remove(line=first_line(payment), actor=accountant, now=NOW)
    with pytest.raises(errors.InvalidEdit, match="last line"):
        editing.payment_line_remove(line=first_line(payment), actor=accountant, now=NOW)


def test_reducing_a_line_sets_its_amount_and_the_total(payment, accountant):
    editing.payment_line_reduce(line=first_line(payment), amount=Decimal("400.00"), actor=accountant, now=NOW)
    payment.refresh_from_db()
    assert (first_line(payment).amount, payment.total) == (Decimal("400.00"), Decimal("900.00"))


def test_amount_above_the_item_remainder_is_refused(payment, accountant):
    with pytest.raises(errors.InvalidEdit, match="above"):
        editing.payment_line_reduce(
            line=first_line(payment), amount=Decimal("1000.01"), actor=accountant, now=NOW
        )


def test_zero_amount_is_refused(payment, accountant):
    with pytest.raises(errors.InvalidEdit):
        editing.payment_line_reduce(line=first_line(payment), amount=Decimal("0"), actor=accountant, now=NOW)


def test_payment_date_moves(payment, accountant):
    editing.payment_date_change(
        payment=payment, payment_date=datetime.date(2026, 12, 10), actor=accountant, now=NOW
    )
    payment.refresh_from_db()
    assert payment.payment_date == datetime.date(2026, 12, 10)


def test_payment_date_in_the_past_is_refused(payment, accountant):
    with pytest.raises(errors.InvalidEdit, match="past"):
        editing.payment_date_change(
            payment=payment, payment_date=datetime.date(2026, 11, 21), actor=accountant, now=NOW
        )


def test_deleting_a_proposal_frees_its_items(payment, accountant, company, bank_partner):
    editing.payment_delete(payment=payment, actor=accountant, now=NOW)
    again = proposal.payment_proposal_create(
        company=company,
        bank_partner=bank_partner,
        due_date_to=datetime.date(2026, 12, 31),
        actor=None,
        now=NOW,
    )
    assert (again.payments[0].lines.count(), again.left_out) == (2, ())


def test_transferred_payment_cannot_be_edited(payment, accountant):
    models.Payment.objects.filter(pk=payment.pk).update(
        status=models.PaymentStatus.TRANSFERRED, transferred_at=NOW
    )
    with pytest.raises(errors.PaymentNotProposal):
        editing.payment_line_reduce(
            line=first_line(payment), amount=Decimal("1.00"), actor=accountant, now=NOW
        )


def test_payment_whose_document_is_stored_cannot_be_edited(payment, accountant):
    models.Payment.objects.filter(pk=payment.pk).update(upload_started_at=NOW, document="<x/>")
    with pytest.raises(errors.PaymentNotProposal):
        editing.payment_delete(payment=payment, actor=accountant, now=NOW)
