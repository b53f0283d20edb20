"""The duplicate-payment guard: its flags, their override by an approver, and the upload they stop."""

import datetime
from decimal import Decimal

import pytest

from ledger import selectors as ledger_selectors
from payments import errors, models
from payments.services import guard, proposal, upload
from tests.payments import factories
from tests.payments.factories import NOW

pytestmark = pytest.mark.django_db

LATER = datetime.date(2027, 6, 1)


def propose(company, bank_partner):
    return proposal.payment_proposal_create(
        company=company,
        bank_partner=bank_partner,
        due_date_to=datetime.date(2026, 12, 31),
        actor=None,
        now=NOW,
    )


def kinds(payment):
    return list(models.PaymentLineFlag.objects.filter(line__payment=payment).values_list("kind", flat=True))


def test_same_supplier_amount_and_kid_as_a_recent_line_is_flagged_duplicate(company, bank_partner):
    earlier = factories.PaymentLineFactory.create(
        payment__company=company,
        open_item__kid="0044555258",
        open_item__due_date=LATER,
        status=models.LineStatus.TRANSFERRED,
    )
    factories.PayableItemFactory.create(
        company=company, supplier=earlier.supplier, kid="0044555258", amount=earlier.amount
    )
    assert kinds(propose(company, bank_partner).payments[0]) == [models.FlagKind.DUPLICATE]


def test_same_supplier_amount_and_invoice_number_is_flagged_duplicate(company, bank_partner):
    # The earlier line paid another supplier's item numbered 77; it is moved onto this supplier, as when two
    # supplier cards of one creditor are merged.
    earlier = factories.PaymentLineFactory.create(
        payment__company=company, open_item__kid="", open_item__invoice_no="77", open_item__due_date=LATER
    )
    supplier = factories.PayableSupplierFactory.create(company=company)
    factories.PayableItemFactory.create(
        company=company, supplier=supplier, kid="", invoice_no="77", amount=earlier.amount
    )
    models.PaymentLine.objects.filter(pk=earlier.pk).update(supplier=supplier)
    assert kinds(propose(company, bank_partner).payments[0]) == [models.FlagKind.DUPLICATE]


def test_line_like_one_rejected_is_not_flagged(company, bank_partner):
    earlier = factories.PaymentLineFactory.create(
        payment__company=company,
        open_item__kid="0044555258",
        open_item__due_date=LATER,
        status=models.LineStatus.REJECTED,
    )
    factories.PayableItemFactory.create(
        company=company, supplier=earlier.supplier, kid="0044555258", amount=earlier.amount
    )
    assert kinds(propose(company, bank_partner).payments[0]) == []


def test_line_like_one_older_than_90_days_is_not_flagged(company, bank_partner):
    earlier = factories.PaymentLineFactory.create(
        payment__company=company,
        payment__created_at=NOW - datetime.timedelta(days=91),
        open_item__kid="0044555258",
        open_item__due_date=LATER,
        status=models.LineStatus.TRANSFERRED,
    )
    factories.PayableItemFactory.create(
        company=company, supplier=earlier.supplier, kid="0044555258", amount=earlier.amount
    )
    assert kinds(propose(company, bank_partner).payments[0]) == []


def test_supplier_whose_account_changed_in_the_last_14_days_is_flagged(company, bank_partner):
    item = factories.PayableItemFactory.create(company=company)
    factories.bank_account_change(item.supplier, at=NOW - datetime.timedelta(days=3))
    assert kinds(propose(company, bank_partner).payments[0]) == [models.FlagKind.BANK_ACCOUNT_CHANGED]


def test_supplier_whose_account_changed_long_ago_is_not_flagged(company, bank_partner):
    item = factories.PayableItemFactory.create(company=company)
    factories.bank_account_change(item.supplier, at=NOW - datetime.timedelta(days=20))
    assert kinds(propose(company, bank_partner).payments[0]) == []


def test_bank_account_history_keeps_who_when_old_and_new(company, accountant):
    supplier = factories.PayableSupplierFactory.create(company=company)
    old = supplier.bank_account
    factories.bank_account_change(supplier, at=NOW, by=accountant)
    change = ledger_selectors.supplier_bank_account_changes(company=company).get()
    assert (change.history_user, change.history_date, change.previous_bank_account, change.bank_account) == (
        accountant,
        NOW,
        old,
        supplier.bank_account,
    )


def test_renaming_a_supplier_is_no_bank_account_change(company):
    supplier = factories.PayableSupplierFactory.create(company=company)
    supplier.name = "Renamed AS"
    supplier.save()
    assert not ledger_selectors.suppliers_bank_account_changed_since(company=company, since=NOW).exists()


@pytest.fixture
def flagged(company, bank_partner):
    item = factories.PayableItemFactory.create(company=company)
    factories.bank_account_change(item.supplier, at=NOW - datetime.timedelta(days=1))
    return propose(company, bank_partner).payments[0]


def test_flagged_payment_upload_is_refused_with_the_reason(flagged, accountant):
    with pytest.raises(errors.PaymentFlagged, match="bank account changed"):
        upload.payment_upload(payment=flagged, actor=accountant, now=NOW)


def test_flag_override_by_an_approver_writes_an_event_with_the_reason(flagged, approver):
    flag = models.PaymentLineFlag.objects.get(line__payment=flagged)
    guard.payment_line_flag_override(flag=flag, actor=approver, reason="Confirmed by phone", now=NOW)
    event = flagged.events.get(kind=models.PaymentEventKind.FLAG_OVERRIDDEN)
    assert (event.actor, event.details["reason"]) == (approver, "Confirmed by phone")


def test_flag_override_by_an_accountant_is_refused(flagged, accountant):
    flag = models.PaymentLineFlag.objects.get(line__payment=flagged)
    with pytest.raises(errors.NotApprover):
        guard.payment_line_flag_override(flag=flag, actor=accountant, reason="Looks fine", now=NOW)


def test_flag_override_without_a_reason_is_refused(flagged, approver):
    flag = models.PaymentLineFlag.objects.get(line__payment=flagged)
    with pytest.raises(errors.InvalidEdit):
        guard.payment_line_flag_override(flag=flag, actor=approver, reason="  ", now=NOW)


def test_flag_overridden_twice_is_refused(flagged, approver):
    flag = models.PaymentLineFlag.objects.get(line__payment=flagged)
    guard.payment_line_flag_override(flag=flag, actor=approver, reason="Confirmed", now=NOW)
    with pytest.raises(errors.FlagNotOpen):
        guard.payment_line_flag_override(flag=flag, actor=approver, reason="Again", now=NOW)


__all__ = ["Decimal"]
