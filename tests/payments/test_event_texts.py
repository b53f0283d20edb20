"""A payment's history on its page: each event's details in the user's language and formats."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from ledger import models as ledger_models
from ledger import services as ledger_services
from payments import event_texts, models
from tests.ledger import factories as ledger_factories
from tests.payments import factories
from tests.payments.factories import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def line():
    return factories.PaymentLineFactory.create(end_to_end_id="7-3")


def summary(line, kind, details, *, language="nb", vouchers=None, with_line=True) -> str:
    event = models.PaymentEvent(
        payment=line.payment,
        line=line if with_line else None,
        company=line.company,
        kind=kind,
        at=NOW,
        details=details,
    )
    with translation.override(language):
        return event_texts.event_summary(event, vouchers=vouchers)


K = models.PaymentEventKind


@pytest.mark.parametrize(
    ("kind", "details", "with_line", "expected"),
    [
        (
            K.PROPOSED,
            {
                "lines": 12,
                "total": "247398.62",
                "due_date_to": "2027-12-31",
                "due_date_from": None,
                "left_out": 2,
                "flagged": True,
            },
            False,
            "12 linjer, 247 398,62 i alt, forfall til og med 31.12.2027, 2 poster utelatt, "
            "varslede linjer må overstyres",
        ),
        (
            K.PROPOSED,
            {"lines": 1, "total": "800.00", "due_date_to": "2027-12-31", "due_date_from": "2027-01-01"},
            False,
            "1 linje, 800,00 i alt, forfall 01.01.2027 til 31.12.2027",
        ),
        (
            K.LINE_REMOVED,
            {"removed_line": 9, "open_item": 44, "supplier": 3, "amount": "1250.00"},
            False,
            "en linje på 1 250,00 fjernet (åpen post 44)",
        ),
        (K.AMOUNT_REDUCED, {"from": "32071.33", "to": "30000.50"}, True, "7-3: 32 071,33 → 30 000,50"),
        (K.DATE_CHANGED, {"from": "2026-11-17", "to": "2026-11-20"}, False, "17.11.2026 → 20.11.2026"),
        (
            K.FLAG_OVERRIDDEN,
            {"flag": 5, "kind": "duplicate", "reason": "Two invoices"},
            True,
            "7-3: Mulig dobbeltbetaling overstyrt: Two invoices",
        ),
        (K.UPLOAD_STARTED, {"sha256": "2ddb80b3a3db0ba910d495e7"}, False, "dokument 2ddb80b3a3db…"),
        (
            K.UPLOADED,
            {"autopay_reference": "AP-000001", "autopay_status": "new", "sha256": "2ddb"},
            False,
            "AutoPay-referanse AP-000001, ny i AutoPay",
        ),
        (
            K.UPLOAD_REFUSED,
            {"error": "timeout", "reason": "AutoPay did not answer", "retryable": True},
            False,
            "AutoPay did not answer (kan prøves igjen)",
        ),
        (
            K.STATUS_CHANGED,
            {
                "from": 2,
                "to": 5,
                "statuses": [
                    {"from": 2, "to": 3, "autopay_status": "approved", "reason": ""},
                    {"from": 3, "to": 5, "autopay_status": "paid", "reason": "", "amount_paid": "800.00"},
                ],
            },
            True,
            "7-3: 2 Overført → 5 Avregnet: godkjent, betalt",
        ),
        (
            K.POSTED,
            {"from": 5, "to": 6, "voucher": 41, "batch": 3, "amount": "800.00"},
            True,
            "7-3: 800,00 bokført på bilag UTB-12 (bunt 3)",
        ),
    ],
)
def test_each_kind_of_event_is_told_in_norwegian(line, kind, details, with_line, expected):
    assert summary(line, kind, details, vouchers={41: "UTB-12"}, with_line=with_line) == expected


def test_in_english_the_same_event_is_told_in_english(line):
    details = {
        "from": 3,
        "to": 7,
        "statuses": [{"autopay_status": "rejected_in_bank", "reason": "closed account"}],
    }
    assert summary(line, K.STATUS_CHANGED, details, language="en") == (
        "7-3: 3 Acknowledged → 7 Rejected: rejected in bank (closed account)"
    )


@pytest.mark.parametrize(
    ("kind", "details", "expected"),
    [
        (K.STATUS_CHANGED, {"from": "x", "to": 5, "statuses": []}, "from: x to: 5 statuses: []"),
        (K.POSTED, {"voucher": 1}, "voucher: 1"),
        (K.PROPOSED, {"lines": "many", "total": "1"}, "lines: many total: 1"),
        (K.DATE_CHANGED, {"from": "2026-13-45", "to": "2026-11-20"}, "from: 2026-13-45 to: 2026-11-20"),
        (K.AMOUNT_REDUCED, {"from": "abc", "to": "1"}, "from: abc to: 1"),
        (K.UPLOADED, ["not", "a", "mapping"], "['not', 'a', 'mapping']"),
    ],
)
def test_details_that_are_not_as_written_are_shown_as_they_are(line, kind, details, expected):
    assert summary(line, kind, details, with_line=False) == expected


def test_a_status_event_written_before_statuses_were_listed_names_its_status(line):
    details = {"from": 3, "to": 7, "autopay_status": "rejected_in_bank", "reason": "closed account", "seq": 4}
    assert (
        summary(line, K.STATUS_CHANGED, details)
        == "7-3: 3 Kvittert → 7 Avvist: avvist i bank (closed account)"
    )


def test_a_posting_whose_details_are_not_a_mapping_is_shown_as_it_is(line):
    event = models.PaymentEvent.objects.create(
        payment=line.payment, line=line, company=line.company, kind=K.POSTED, at=NOW, details=[1, 2]
    )
    assert event_texts.events_shown([event], company_id=line.company_id) == [(event, "[1, 2]")]


def test_an_unknown_status_from_autopay_is_shown_as_it_came(line):
    details = {"from": 2, "to": 3, "statuses": [{"autopay_status": "on_hold", "reason": ""}]}
    assert summary(line, K.STATUS_CHANGED, details) == "7-3: 2 Overført → 3 Kvittert: on_hold"


def test_the_page_names_a_posted_events_voucher_by_its_series_and_number(line):
    company = line.company
    series = ledger_factories.VoucherSeriesFactory.create(company=company, code="UTB")
    bank = ledger_factories.AccountFactory.create(company=company, number="1920")
    payables = ledger_factories.AccountFactory.create(company=company, number="2400")
    voucher = ledger_services.voucher_post(
        company=company,
        series=series,
        date=datetime.date(2026, 11, 17),
        lines=[
            ledger_services.LineSpec(account_id=payables.pk, amount=Decimal("800.00")),
            ledger_services.LineSpec(account_id=bank.pk, amount=Decimal("-800.00")),
        ],
        now=NOW,
    )
    event = models.PaymentEvent.objects.create(
        payment=line.payment,
        line=line,
        company=company,
        kind=K.POSTED,
        at=NOW,
        details={"from": 5, "to": 6, "voucher": voucher.pk, "batch": 1, "amount": "800.00"},
    )
    with translation.override("nb"):
        [(shown_event, text)] = event_texts.events_shown([event], company_id=company.pk)
    assert (shown_event, text) == (event, f"7-3: 800,00 bokført på bilag UTB-{voucher.number} (bunt 1)")
    assert ledger_models.Voucher.objects.filter(company=company).count() == 1


def test_a_removed_line_names_its_supplier_and_invoice_when_the_item_is_the_companys(line):
    item = line.open_item
    other = factories.PayableItemFactory.create()  # another company's item
    events = [
        models.PaymentEvent.objects.create(
            payment=line.payment,
            company=line.company,
            kind=K.LINE_REMOVED,
            at=NOW,
            details={"removed_line": 99, "open_item": open_item.pk, "supplier": 1, "amount": "1250.00"},
        )
        for open_item in (item, other)
    ]
    with translation.override("nb"):
        shown = [text for _event, text in event_texts.events_shown(events, company_id=line.company_id)]
    assert shown == [
        f"en linje på 1 250,00 til {item.supplier.name} fjernet (faktura {item.invoice_no})",
        f"en linje på 1 250,00 fjernet (åpen post {other.pk})",
    ]
