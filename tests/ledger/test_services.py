import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import translation

from ledger import errors, models, selectors, services
from tests.ledger.conftest import DAY, NOW, Book, book_create
from tests.ledger.factories import BatchFactory, CustomerFactory, CustomerItemFactory, SupplierItemFactory

# These flows are also walked on SQLite, the database of `make run` (tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def _items(book: Book, *amounts: str) -> list[models.OpenItem]:
    return [
        CustomerItemFactory.create(
            company=book.company, customer=book.customer, amount=Decimal(a), remaining_amount=Decimal(a)
        )
        for a in amounts
    ]


# --- posting ---


def test_balanced_voucher_is_posted_with_its_lines(book):
    voucher = book.payment_post(Decimal("250.00"))

    assert sorted(voucher.lines.values_list("amount", flat=True)) == [Decimal("-250.00"), Decimal("250.00")]


def test_vouchers_take_consecutive_numbers_from_their_series(book):
    numbers = [book.payment_post(Decimal("1.00")).number for _ in range(3)]

    assert numbers == [1, 2, 3]


def test_unbalanced_voucher_is_refused(book):
    lines = [
        services.LineSpec(account_id=book.bank.pk, amount=Decimal("100.00")),
        services.LineSpec(account_id=book.sales.pk, amount=Decimal("-99.99")),
    ]

    with pytest.raises(errors.UnbalancedVoucher, match=r"sum to 0\.01"):
        services.voucher_post(company=book.company, series=book.series, date=DAY, lines=lines, now=NOW)


def test_refused_voucher_writes_nothing(book):
    lines = [
        services.LineSpec(account_id=book.bank.pk, amount=Decimal("100.00")),
        services.LineSpec(account_id=book.sales.pk, amount=Decimal("-99.99")),
    ]
    with pytest.raises(errors.UnbalancedVoucher):
        services.voucher_post(company=book.company, series=book.series, date=DAY, lines=lines, now=NOW)

    assert (models.Voucher.objects.count(), models.JournalLine.objects.count()) == (0, 0)


def test_refused_voucher_leaves_no_gap_in_the_numbers(book):
    book.payment_post(Decimal("1.00"))
    with pytest.raises(errors.UnbalancedVoucher):
        services.voucher_post(
            company=book.company,
            series=book.series,
            date=DAY,
            lines=[services.LineSpec(account_id=book.bank.pk, amount=Decimal("1.00"))] * 2,
            now=NOW,
        )

    assert book.payment_post(Decimal("1.00")).number == 2


def test_voucher_with_one_line_is_refused(book):
    with pytest.raises(errors.UnbalancedVoucher, match="at least two lines"):
        services.voucher_post(
            company=book.company,
            series=book.series,
            date=DAY,
            lines=[services.LineSpec(account_id=book.bank.pk, amount=Decimal("1.00"))],
            now=NOW,
        )


def test_float_amount_is_refused(book):
    lines = [
        services.LineSpec(account_id=book.bank.pk, amount=0.1),  # type: ignore[arg-type]
        services.LineSpec(account_id=book.sales.pk, amount=-0.1),  # type: ignore[arg-type]
    ]

    with pytest.raises(errors.UnbalancedVoucher, match="must be a Decimal"):
        services.voucher_post(company=book.company, series=book.series, date=DAY, lines=lines, now=NOW)


def test_voucher_mixing_currencies_is_refused(book):
    lines = [
        services.LineSpec(account_id=book.bank.pk, amount=Decimal("10.00"), currency="EUR"),
        services.LineSpec(account_id=book.sales.pk, amount=Decimal("-10.00")),
    ]

    with pytest.raises(errors.UnbalancedVoucher, match="mixes currencies"):
        services.voucher_post(company=book.company, series=book.series, date=DAY, lines=lines, now=NOW)


def test_fraction_of_ore_is_refused(book):
    with pytest.raises(errors.UnbalancedVoucher, match="fractions of øre"):
        book.payment_post(Decimal("1.005"))


def test_account_of_another_company_is_refused(book, other_book):
    lines = [
        services.LineSpec(account_id=other_book.bank.pk, amount=Decimal("5.00")),
        services.LineSpec(account_id=book.sales.pk, amount=Decimal("-5.00")),
    ]

    with pytest.raises(errors.LedgerError, match="No active account"):
        services.voucher_post(company=book.company, series=book.series, date=DAY, lines=lines, now=NOW)


def test_series_of_another_company_is_refused(book, other_book):
    with pytest.raises(errors.LedgerError, match="series"):
        services.voucher_post(
            company=book.company,
            series=other_book.series,
            date=DAY,
            lines=book.payment_lines(Decimal("1")),
            now=NOW,
        )


def test_batch_of_another_company_is_refused(book, other_book):
    with pytest.raises(errors.LedgerError, match="Batch"):
        services.voucher_post(
            company=book.company,
            series=book.series,
            date=DAY,
            lines=book.payment_lines(Decimal("1")),
            batch=BatchFactory.create(company=other_book.company),
            now=NOW,
        )


def test_posting_into_a_locked_period_is_refused(book):
    services.period_lock_set(company=book.company, locked_through=DAY)

    locked = r"låst til og med 20\.11\.2026"
    with translation.override("nb"), pytest.raises(errors.PeriodLocked, match=locked):
        book.payment_post(Decimal("10.00"), date=DAY)


def test_posting_the_day_after_the_locked_period_is_accepted(book):
    services.period_lock_set(company=book.company, locked_through=DAY)

    assert book.payment_post(Decimal("10.00"), date=DAY + datetime.timedelta(days=1)).pk


def test_period_lock_set_moves_the_existing_lock(book):
    services.period_lock_set(company=book.company, locked_through=DAY)
    services.period_lock_set(company=book.company, locked_through=DAY + datetime.timedelta(days=30))

    assert list(models.PeriodLock.objects.values_list("locked_through", flat=True)) == [
        datetime.date(2026, 12, 20)
    ]


def test_batch_create_records_its_source_and_time(book):
    batch = services.batch_create(
        company=book.company, description="Settlement", source="settlement", now=NOW
    )

    assert (batch.source, batch.created_at) == ("settlement", NOW)


# --- bulk posting ---


def _payment_specs(book: Book, amounts: list[str]) -> list[services.VoucherSpec]:
    return [services.VoucherSpec(date=DAY, lines=book.payment_lines(Decimal(a))) for a in amounts]


def test_bulk_posting_returns_the_ids_in_order_with_consecutive_numbers(book):
    ids = services.vouchers_post_bulk(
        company=book.company,
        series=book.series,
        batch=None,
        vouchers=_payment_specs(book, ["1.00", "2.00", "3.00"]),
        now=NOW,
    )

    assert [models.Voucher.objects.get(pk=pk).number for pk in ids] == [1, 2, 3]


def test_bulk_posting_writes_every_line(book):
    ids = services.vouchers_post_bulk(
        company=book.company,
        series=book.series,
        batch=None,
        vouchers=_payment_specs(book, ["1.00", "2.50"]),
        now=NOW,
    )

    assert list(
        selectors.journal_lines_of_vouchers(voucher_ids=ids, account_id=book.bank.pk).values_list(
            "amount", flat=True
        )
    ) == [Decimal("1.00"), Decimal("2.50")]


def test_bulk_posting_with_one_unbalanced_voucher_writes_nothing(book):
    specs = _payment_specs(book, ["1.00", "2.00"])
    specs.append(
        services.VoucherSpec(
            date=DAY,
            lines=[
                services.LineSpec(account_id=book.bank.pk, amount=Decimal("1.00")),
                services.LineSpec(account_id=book.sales.pk, amount=Decimal("-2.00")),
            ],
        )
    )
    with pytest.raises(errors.UnbalancedVoucher, match="Voucher 3"):
        services.vouchers_post_bulk(
            company=book.company, series=book.series, batch=None, vouchers=specs, now=NOW
        )

    assert models.Voucher.objects.count() == 0


def test_bulk_posting_into_a_locked_period_writes_nothing(book):
    services.period_lock_set(company=book.company, locked_through=DAY)
    with pytest.raises(errors.PeriodLocked):
        services.vouchers_post_bulk(
            company=book.company,
            series=book.series,
            batch=None,
            vouchers=_payment_specs(book, ["1.00"]),
            now=NOW,
        )

    assert models.Voucher.objects.count() == 0


def test_bulk_posting_keeps_the_batch(book):
    batch = BatchFactory.create(company=book.company)
    ids = services.vouchers_post_bulk(
        company=book.company,
        series=book.series,
        batch=batch,
        vouchers=_payment_specs(book, ["1.00"]),
        now=NOW,
    )

    assert models.Voucher.objects.get(pk=ids[0]).batch == batch


_AWKWARD_TEXT = "tab\there, new\nline, return\r, back\\slash, \\N, \\.\n\\."


def test_bulk_posting_keeps_tabs_newlines_and_backslashes_of_descriptions(book):
    line = services.LineSpec(account_id=book.bank.pk, amount=Decimal("1.00"), description=_AWKWARD_TEXT)
    other = services.LineSpec(account_id=book.sales.pk, amount=Decimal("-1.00"))
    ids = services.vouchers_post_bulk(
        company=book.company,
        series=book.series,
        batch=None,
        vouchers=[services.VoucherSpec(date=DAY, lines=[line, other], description=_AWKWARD_TEXT)],
        now=NOW,
    )

    voucher = models.Voucher.objects.get(pk=ids[0])
    assert (voucher.description, voucher.lines.get(account=book.bank).description) == (
        _AWKWARD_TEXT,
        _AWKWARD_TEXT,
    )


@pytest.mark.postgresql_only  # SQLite locks the whole table: concurrent writers fail (also on `make run`)
@pytest.mark.django_db(transaction=True)
def test_concurrent_postings_take_numbers_without_gaps_or_repeats():
    book = book_create()
    failures: list[BaseException] = []

    def post_many() -> None:
        try:
            for _ in range(5):
                book.payment_post(Decimal("1.00"))
                services.vouchers_post_bulk(
                    company=book.company,
                    series=book.series,
                    batch=None,
                    vouchers=_payment_specs(book, ["1.00", "1.00"]),
                    now=NOW,
                )
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post_many) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not failures
    assert sorted(models.Voucher.objects.values_list("number", flat=True)) == list(range(1, 46))


# --- reversal ---


def test_reversal_mirrors_every_line(book):
    original = book.payment_post(Decimal("75.00"))

    reversal = services.voucher_reverse(voucher=original, date=DAY, now=NOW)

    assert sorted((line.account_id, line.amount) for line in reversal.lines.all()) == sorted(
        (line.account_id, -line.amount) for line in original.lines.all()
    )


def test_reversal_points_at_the_voucher_it_reverses(book):
    original = book.payment_post(Decimal("75.00"))

    reversal = services.voucher_reverse(voucher=original, date=DAY, now=NOW)

    assert (reversal.reverses, reversal.number, reversal.description) == (original, 2, "Reversal of B-1")


def test_second_reversal_is_refused(book):
    original = book.payment_post(Decimal("75.00"))
    services.voucher_reverse(voucher=original, date=DAY, now=NOW)

    with pytest.raises(errors.VoucherImmutable, match="already reversed by B-2"):
        services.voucher_reverse(voucher=original, date=DAY, now=NOW)


def test_reversal_of_a_reversal_is_refused(book):
    reversal = services.voucher_reverse(voucher=book.payment_post(Decimal("75.00")), date=DAY, now=NOW)

    with pytest.raises(errors.VoucherImmutable, match="itself a reversal"):
        services.voucher_reverse(voucher=reversal, date=DAY, now=NOW)


def test_reversal_of_a_reconciled_voucher_is_refused(book):
    (item,) = _items(book, "100.00")
    voucher = book.payment_post(Decimal("100.00"))
    services.reconciliation_create(
        open_item=item, journal_line=book.receivables_line(voucher), amount=Decimal("100.00"), now=NOW
    )

    with pytest.raises(errors.ReconciliationError, match="reconciled lines"):
        services.voucher_reverse(voucher=voucher, date=DAY, now=NOW)


def test_reversal_into_a_locked_period_is_refused(book):
    original = book.payment_post(Decimal("75.00"))
    services.period_lock_set(company=book.company, locked_through=DAY)

    with pytest.raises(errors.PeriodLocked):
        services.voucher_reverse(voucher=original, date=DAY, now=NOW)


def test_a_voucher_on_an_account_deactivated_since_can_be_reversed(book):
    original = book.payment_post(Decimal("75.00"))
    models.Account.objects.filter(pk=book.bank.pk).update(is_active=False)

    reversal = services.voucher_reverse(voucher=original, date=DAY, now=NOW)

    assert reversal.lines.filter(account=book.bank, amount=Decimal("-75.00")).exists()


def test_posting_to_a_deactivated_account_is_refused(book):
    models.Account.objects.filter(pk=book.bank.pk).update(is_active=False)

    with pytest.raises(errors.LedgerError, match="No active account"):
        book.payment_post(Decimal("75.00"))


# --- reconciliation ---


def _pay(
    book: Book, item: models.OpenItem, paid: str, reconciled: str | None = None
) -> models.Reconciliation:
    line = book.receivables_line(book.payment_post(Decimal(paid)))
    return services.reconciliation_create(
        open_item=item, journal_line=line, amount=Decimal(reconciled or paid), now=NOW
    )


def test_partial_payment_leaves_the_item_partially_open(book):
    (item,) = _items(book, "1000.00")
    _pay(book, item, "400.00")
    item.refresh_from_db()

    assert (item.remaining_amount, item.status) == (Decimal("600.00"), models.OpenItemStatus.PARTIALLY_OPEN)


def test_full_payment_settles_the_item(book):
    (item,) = _items(book, "1000.00")
    _pay(book, item, "1000.00")
    item.refresh_from_db()

    assert (item.remaining_amount, item.status) == (Decimal("0.00"), models.OpenItemStatus.SETTLED)


def test_overpayment_settles_the_item_with_the_remainder_only(book):
    (item,) = _items(book, "1000.00")

    reconciliation = _pay(book, item, "1200.00")

    assert reconciliation.amount == Decimal("1000.00")


def test_overpayment_leaves_a_credit_item_for_the_same_customer(book):
    (item,) = _items(book, "1000.00")

    credit = _pay(book, item, "1200.00").overpayment_item

    assert credit is not None
    assert (credit.customer_id, credit.amount, credit.remaining_amount, credit.status) == (
        book.customer.pk,
        Decimal("-200.00"),
        Decimal("-200.00"),
        models.OpenItemStatus.OPEN,
    )


def test_reconciling_a_settled_item_is_refused(book):
    (item,) = _items(book, "10.00")
    _pay(book, item, "10.00")

    with pytest.raises(errors.ReconciliationError, match="already settled"):
        _pay(book, item, "10.00")


def test_reconciling_the_bank_line_of_a_payment_is_refused(book):
    (item,) = _items(book, "10.00")
    voucher = book.payment_post(Decimal("10.00"))

    with pytest.raises(errors.ReconciliationError, match="wrong side"):
        services.reconciliation_create(
            open_item=item,
            journal_line=voucher.lines.get(account=book.bank),
            amount=Decimal("10.00"),
            now=NOW,
        )


def test_reconciling_a_negative_amount_against_an_invoice_is_refused(book):
    (item,) = _items(book, "10.00")

    with pytest.raises(errors.ReconciliationError, match="sign of the item"):
        _pay(book, item, "10.00", reconciled="-10.00")


def test_reconciling_more_than_the_line_is_refused(book):
    first, second = _items(book, "100.00", "100.00")
    line = book.receivables_line(book.payment_post(Decimal("150.00")))
    services.reconciliation_create(open_item=first, journal_line=line, amount=Decimal("100.00"), now=NOW)

    with pytest.raises(errors.ReconciliationError, match=r"only 50\.00 left"):
        services.reconciliation_create(open_item=second, journal_line=line, amount=Decimal("60.00"), now=NOW)


def test_reconciling_a_line_of_another_customer_is_refused(book):
    item = CustomerItemFactory.create(
        company=book.company, customer=CustomerFactory.create(company=book.company)
    )
    line = book.receivables_line(book.payment_post(Decimal("1000.00")))

    with pytest.raises(errors.ReconciliationError, match="another customer"):
        services.reconciliation_create(open_item=item, journal_line=line, amount=Decimal("1000.00"), now=NOW)


def test_reconciling_a_line_of_a_reversed_voucher_is_refused(book):
    (item,) = _items(book, "10.00")
    voucher = book.payment_post(Decimal("10.00"))
    services.voucher_reverse(voucher=voucher, date=DAY, now=NOW)

    with pytest.raises(errors.ReconciliationError, match="has been reversed"):
        services.reconciliation_create(
            open_item=item, journal_line=book.receivables_line(voucher), amount=Decimal("10.00"), now=NOW
        )


def test_bulk_reconciling_a_line_of_a_reversed_voucher_is_refused(book):
    items = _items(book, "10.00")
    (spec,) = _bulk_pay(book, items, ["10.00"])
    voucher = models.JournalLine.objects.get(pk=spec.journal_line_id).voucher
    services.voucher_reverse(voucher=voucher, date=DAY, now=NOW)

    with pytest.raises(errors.ReconciliationError, match="has been reversed"):
        services.reconciliations_create_bulk(company=book.company, items=[spec], now=NOW)


def test_reconciling_a_line_of_another_company_is_refused(book, other_book):
    (item,) = _items(book, "10.00")
    line = other_book.receivables_line(other_book.payment_post(Decimal("10.00")))

    with pytest.raises(errors.ReconciliationError, match="different companies"):
        services.reconciliation_create(open_item=item, journal_line=line, amount=Decimal("10.00"), now=NOW)


def test_supplier_item_is_paid_by_a_debit_on_payables(book):
    item = SupplierItemFactory.create(company=book.company, supplier=book.supplier, amount=Decimal("300.00"))
    voucher = services.voucher_post(
        company=book.company,
        series=book.series,
        date=DAY,
        lines=[
            services.LineSpec(
                account_id=book.payables.pk, amount=Decimal("300.00"), supplier_id=book.supplier.pk
            ),
            services.LineSpec(account_id=book.bank.pk, amount=Decimal("-300.00")),
        ],
        now=NOW,
    )
    services.reconciliation_create(
        open_item=item,
        journal_line=voucher.lines.get(account=book.payables),
        amount=Decimal("300.00"),
        now=NOW,
    )
    item.refresh_from_db()

    assert item.status == models.OpenItemStatus.SETTLED


def test_undo_restores_the_remainder_and_status(book):
    (item,) = _items(book, "1000.00")
    reconciliation = _pay(book, item, "400.00")

    restored = services.reconciliation_undo(reconciliation=reconciliation)

    assert (restored.remaining_amount, restored.status) == (Decimal("1000.00"), models.OpenItemStatus.OPEN)


def test_undo_of_an_overpayment_removes_its_untouched_credit_item(book):
    (item,) = _items(book, "1000.00")
    reconciliation = _pay(book, item, "1200.00")

    services.reconciliation_undo(reconciliation=reconciliation)

    assert list(models.OpenItem.objects.values_list("pk", flat=True)) == [item.pk]


def test_undo_of_an_overpayment_whose_credit_item_was_used_is_refused(book):
    (item,) = _items(book, "1000.00")
    reconciliation = _pay(book, item, "1200.00")
    credit = reconciliation.overpayment_item
    assert credit is not None
    refund = services.voucher_post(
        company=book.company,
        series=book.series,
        date=DAY,
        lines=[
            services.LineSpec(
                account_id=book.receivables.pk, amount=Decimal("200.00"), customer_id=book.customer.pk
            ),
            services.LineSpec(account_id=book.bank.pk, amount=Decimal("-200.00")),
        ],
        now=NOW,
    )
    services.reconciliation_create(
        open_item=credit, journal_line=book.receivables_line(refund), amount=Decimal("-200.00"), now=NOW
    )

    with pytest.raises(errors.ReconciliationError, match="undo that first"):
        services.reconciliation_undo(reconciliation=reconciliation)


# --- bulk reconciliation ---


def _bulk_pay(
    book: Book, items: list[models.OpenItem], amounts: list[str]
) -> list[services.ReconciliationSpec]:
    ids = services.vouchers_post_bulk(
        company=book.company, series=book.series, batch=None, vouchers=_payment_specs(book, amounts), now=NOW
    )
    lines = selectors.journal_lines_of_vouchers(voucher_ids=ids, account_id=book.receivables.pk)
    return [
        services.ReconciliationSpec(open_item_id=item.pk, journal_line_id=line.pk, amount=Decimal(amount))
        for item, line, amount in zip(items, lines, amounts, strict=True)
    ]


def test_bulk_reconciliation_updates_every_item(book):
    items = _items(book, "100.00", "200.00", "300.00")
    specs = _bulk_pay(book, items, ["100.00", "50.00", "300.00"])

    services.reconciliations_create_bulk(company=book.company, items=specs, now=NOW)

    assert [
        (item.remaining_amount, item.status)
        for item in models.OpenItem.objects.filter(pk__in=[i.pk for i in items]).order_by("amount")
    ] == [
        (Decimal("0.00"), models.OpenItemStatus.SETTLED),
        (Decimal("150.00"), models.OpenItemStatus.PARTIALLY_OPEN),
        (Decimal("0.00"), models.OpenItemStatus.SETTLED),
    ]


def test_bulk_reconciliation_returns_how_many_it_wrote(book):
    items = _items(book, "100.00", "200.00")
    specs = _bulk_pay(book, items, ["100.00", "50.00"])

    assert services.reconciliations_create_bulk(company=book.company, items=specs, now=NOW) == 2


def test_bulk_reconciliation_sums_two_parts_of_one_item(book):
    item, other = _items(book, "100.00", "100.00")
    specs = _bulk_pay(book, [item, other], ["30.00", "45.00"])
    specs = [specs[0], services.ReconciliationSpec(item.pk, specs[1].journal_line_id, Decimal("45.00"))]

    services.reconciliations_create_bulk(company=book.company, items=specs, now=NOW)
    item.refresh_from_db()

    assert item.remaining_amount == Decimal("25.00")


def test_bulk_overpayment_settles_the_item_and_leaves_a_credit_item_for_the_excess(book):
    items = _items(book, "100.00", "200.00")
    specs = _bulk_pay(book, items, ["100.00", "250.00"])

    services.reconciliations_create_bulk(company=book.company, items=specs, now=NOW)
    credit = models.OpenItem.objects.get(overpayment_of__open_item=items[1])

    assert (credit.amount, credit.remaining_amount, credit.customer_id, credit.status) == (
        Decimal("-50.00"),
        Decimal("-50.00"),
        items[1].customer_id,
        models.OpenItemStatus.OPEN,
    )


def test_bulk_overpayment_reconciles_only_the_remainder(book):
    items = _items(book, "200.00")
    specs = _bulk_pay(book, items, ["250.00"])

    services.reconciliations_create_bulk(company=book.company, items=specs, now=NOW)
    items[0].refresh_from_db()

    assert (models.Reconciliation.objects.get().amount, items[0].status) == (
        Decimal("200.00"),
        models.OpenItemStatus.SETTLED,
    )


def test_bulk_reconciliation_after_the_one_that_settles_its_item_is_refused(book):
    (item,) = _items(book, "100.00")
    first, second = _bulk_pay(book, [item, item], ["120.00", "10.00"])

    with pytest.raises(errors.ReconciliationError, match="already pay"):
        services.reconciliations_create_bulk(company=book.company, items=[first, second], now=NOW)
    assert models.Reconciliation.objects.count() == 0


def test_bulk_reconciliation_of_an_item_of_another_company_is_refused(book, other_book):
    items = _items(book, "100.00")
    specs = _bulk_pay(book, items, ["100.00"])

    with pytest.raises(errors.ReconciliationError, match="not one of this company's"):
        services.reconciliations_create_bulk(company=other_book.company, items=specs, now=NOW)


def test_bulk_reconciliation_of_a_line_beyond_its_amount_is_refused(book):
    first, second = _items(book, "100.00", "100.00")
    (spec,) = _bulk_pay(book, [first], ["100.00"])
    twice = [spec, services.ReconciliationSpec(second.pk, spec.journal_line_id, Decimal("1.00"))]

    with pytest.raises(errors.ReconciliationError, match=r"would be reconciled for 101\.00"):
        services.reconciliations_create_bulk(company=book.company, items=twice, now=NOW)


def _open_item_create(book, **overrides):
    fields = {
        "company": book.company,
        "kind": models.OpenItemKind.CUSTOMER,
        "customer": book.customer,
        "invoice_no": "9001",
        "kid": "",
        "currency": "NOK",
        "amount": Decimal("250.00"),
        "invoice_date": DAY,
        "due_date": DAY,
    }
    return services.open_item_create(**(fields | overrides))


def test_a_new_open_item_starts_open_with_its_whole_amount_remaining(book):
    item = _open_item_create(book)
    assert (item.remaining_amount, item.status) == (Decimal("250.00"), models.OpenItemStatus.OPEN)


def test_an_open_item_of_zero_is_refused(book):
    with pytest.raises(errors.LedgerError, match="non-zero"):
        _open_item_create(book, amount=Decimal("0.00"))


def test_a_customer_item_with_a_supplier_is_refused(book):
    with pytest.raises(errors.LedgerError, match="needs a customer and no supplier"):
        _open_item_create(book, supplier=book.supplier)


def test_an_open_item_for_another_companys_customer_is_refused(book, other_book):
    with pytest.raises(errors.LedgerError, match="not one of"):
        _open_item_create(book, customer=other_book.customer)


def test_an_open_item_with_a_kid_of_wrong_check_digit_is_refused(book):
    with pytest.raises(errors.LedgerError, match="no valid MOD10 or MOD11 check digit"):
        _open_item_create(book, kid="2345674")


def test_an_open_item_with_a_mod11_kid_ending_in_a_dash_is_recorded(book):
    assert _open_item_create(book, kid="036536-").kid == "036536-"


def test_a_line_partly_used_by_an_overpayment_cannot_pay_more_than_is_left(book):
    first = CustomerItemFactory.create(
        company=book.company, customer=book.customer, amount=Decimal("1000.00")
    )
    second = CustomerItemFactory.create(
        company=book.company, customer=book.customer, amount=Decimal("1000.00")
    )
    line = book.receivables_line(book.payment_post(Decimal("1500.00")))
    services.reconciliation_create(open_item=first, journal_line=line, amount=Decimal("1200.00"), now=NOW)

    with pytest.raises(errors.ReconciliationError, match=r"only 300\.00 left"):
        services.reconciliation_create(open_item=second, journal_line=line, amount=Decimal("400.00"), now=NOW)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nb", "En kundepost trenger en kunde og ingen leverandør."),
        ("en", "needs a customer and no supplier"),
    ],
)
def test_why_an_item_is_refused_is_told_in_the_language_active(book, language, expected):
    with translation.override(language), pytest.raises(errors.LedgerError, match=expected):
        _open_item_create(book, supplier=book.supplier)
