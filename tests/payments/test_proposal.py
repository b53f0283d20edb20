"""Payment proposals: which items they pay, which they leave out and why, and their numbers."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection

from ledger import services as ledger_services
from payments import errors, models
from payments.services import proposal
from tests.company import factories as company_factories
from tests.payments import factories
from tests.payments.factories import NOW, TODAY

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def propose(company, bank_partner, **criteria):
    criteria.setdefault("due_date_to", datetime.date(2026, 12, 31))
    return proposal.payment_proposal_create(
        company=company, bank_partner=bank_partner, actor=None, now=NOW, **criteria
    )


def test_one_payment_per_payment_date_with_one_line_per_item(company, bank_partner):
    factories.PayableItemFactory.create_batch(2, company=company, due_date=datetime.date(2026, 11, 30))
    factories.PayableItemFactory.create(company=company, due_date=datetime.date(2026, 12, 5))
    result = propose(company, bank_partner)
    assert [(p.payment_date, p.lines.count()) for p in result.payments] == [
        (datetime.date(2026, 11, 30), 2),
        (datetime.date(2026, 12, 5), 1),
    ]


def test_line_pays_the_item_remainder_to_the_supplier_account_with_its_kid(company, bank_partner):
    item = factories.PayableItemFactory.create(company=company, kid="0044555258", amount=Decimal("980.50"))
    line = propose(company, bank_partner).payments[0].lines.get()
    assert (line.amount, line.creditor_account, line.kid, line.message) == (
        Decimal("980.50"),
        item.supplier.bank_account,  # type: ignore[union-attr]
        "0044555258",
        "",
    )


def test_line_without_kid_carries_the_invoice_number_as_message(company, bank_partner):
    factories.PayableItemFactory.create(company=company, kid="", invoice_no="F-2026-77")
    line = propose(company, bank_partner).payments[0].lines.get()
    assert (line.kid, line.message) == ("", "F-2026-77")


def test_payment_total_is_the_sum_of_its_lines(company, bank_partner):
    factories.PayableItemFactory.create(company=company, amount=Decimal("100.10"))
    factories.PayableItemFactory.create(company=company, amount=Decimal("200.20"))
    assert propose(company, bank_partner).payments[0].total == Decimal("300.30")


def test_overdue_item_is_paid_today_never_in_the_past(company, bank_partner):
    factories.PayableItemFactory.create(company=company, due_date=datetime.date(2026, 11, 1))
    assert propose(company, bank_partner).payments[0].payment_date == TODAY


def test_chosen_payment_date_puts_every_item_on_one_payment(company, bank_partner):
    factories.PayableItemFactory.create(company=company, due_date=datetime.date(2026, 11, 30))
    factories.PayableItemFactory.create(company=company, due_date=datetime.date(2026, 12, 5))
    result = propose(company, bank_partner, payment_date=datetime.date(2026, 11, 25))
    assert [(p.payment_date, p.lines.count()) for p in result.payments] == [(datetime.date(2026, 11, 25), 2)]


def test_payment_date_in_the_past_is_refused(company, bank_partner):
    factories.PayableItemFactory.create(company=company)
    with pytest.raises(errors.InvalidProposal, match="past"):
        propose(company, bank_partner, payment_date=datetime.date(2026, 11, 21))


def test_due_date_range_selects_the_items(company, bank_partner):
    factories.PayableItemFactory.create(company=company, due_date=datetime.date(2026, 11, 25))
    wanted = factories.PayableItemFactory.create(company=company, due_date=datetime.date(2026, 12, 3))
    factories.PayableItemFactory.create(company=company, due_date=datetime.date(2026, 12, 20))
    result = propose(
        company,
        bank_partner,
        due_date_from=datetime.date(2026, 12, 1),
        due_date_to=datetime.date(2026, 12, 10),
    )
    assert [line.open_item_id for p in result.payments for line in p.lines.all()] == [wanted.pk]


def test_supplier_filter_selects_the_items(company, bank_partner):
    wanted = factories.PayableItemFactory.create(company=company)
    factories.PayableItemFactory.create(company=company)
    result = propose(company, bank_partner, suppliers=[wanted.supplier])
    assert [line.open_item_id for line in result.payments[0].lines.all()] == [wanted.pk]


def test_bank_partner_of_another_company_is_refused(company):
    factories.PayableItemFactory.create(company=company)
    with pytest.raises(errors.InvalidProposal, match="another company"):
        propose(company, company_factories.BankPartnerFactory.create())


def left_out_codes(result):
    return [(entry.open_item.pk, entry.code) for entry in result.left_out]


def test_item_already_on_a_payment_line_is_left_out(company, bank_partner):
    item = factories.PayableItemFactory.create(company=company)
    propose(company, bank_partner)
    assert left_out_codes(propose(company, bank_partner)) == [(item.pk, "on_payment")]


def test_item_on_a_rejected_line_is_proposed_again(company, bank_partner):
    item = factories.PayableItemFactory.create(company=company)
    propose(company, bank_partner).payments[0].lines.update(status=models.LineStatus.REJECTED)
    assert [line.open_item_id for line in propose(company, bank_partner).payments[0].lines.all()] == [item.pk]


def test_payment_blocked_item_is_left_out_with_the_block_reason(company, bank_partner):
    item = factories.PayableItemFactory.create(company=company)
    ledger_services.open_item_payment_block_set(open_item=item, blocked=True, reason="Disputed delivery")
    result = propose(company, bank_partner)
    assert [(e.code, e.reason) for e in result.left_out] == [
        ("payment_blocked", "Payment blocked: Disputed delivery")
    ]


def test_credit_note_is_left_out(company, bank_partner):
    note = factories.CreditNoteFactory.create(company=company)
    assert left_out_codes(propose(company, bank_partner)) == [(note.pk, "credit_note")]


def test_item_of_a_supplier_without_a_valid_bank_account_is_left_out(company, bank_partner):
    item = factories.PayableItemFactory.create(company=company, supplier__bank_account="12345678901")
    assert left_out_codes(propose(company, bank_partner)) == [(item.pk, "no_valid_bank_account")]


def test_preview_makes_nothing(company, bank_partner):
    factories.PayableItemFactory.create(company=company)
    plan = proposal.proposal_plan(
        company=company, bank_partner=bank_partner, due_date_to=datetime.date(2026, 12, 31), today=TODAY
    )
    assert (len(plan.payments), models.Payment.objects.count()) == (1, 0)


def test_proposal_writes_a_proposed_event_per_payment(company, bank_partner):
    factories.PayableItemFactory.create(company=company)
    payment = propose(company, bank_partner).payments[0]
    assert list(payment.events.values_list("kind", flat=True)) == [models.PaymentEventKind.PROPOSED]


def test_numbers_follow_on_from_the_previous_proposal(company, bank_partner):
    factories.PayableItemFactory.create(company=company, due_date=datetime.date(2026, 11, 30))
    first = propose(company, bank_partner).payments
    factories.PayableItemFactory.create(company=company, due_date=datetime.date(2026, 12, 1))
    second = propose(company, bank_partner).payments
    assert [p.number for p in (*first, *second)] == [1, 2]


@pytest.mark.postgresql_only  # SQLite locks the whole table: concurrent writers fail (also on `make run`)
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_proposals_give_numbers_without_gaps_or_repeats(company, bank_partner):
    groups = [
        [
            factories.PayableItemFactory.create(company=company, due_date=datetime.date(2026, 11, 23 + day))
            for day in range(5)
        ]
        for _ in range(2)
    ]
    suppliers = [[item.supplier for item in group] for group in groups]
    numbers: list[int] = []
    failures: list[BaseException] = []
    barrier = threading.Barrier(2)

    def run(chosen):
        try:
            barrier.wait()
            numbers.extend(p.number for p in propose(company, bank_partner, suppliers=chosen).payments)
        except BaseException as exc:  # reported below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(chosen,)) for chosen in suppliers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (failures, sorted(numbers)) == ([], list(range(1, 11)))
