"""Raw SQL that goes around the services is refused by PostgreSQL (migration 0003, model constraints)."""

import datetime
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from ledger import services
from tests.ledger.conftest import DAY, NOW, Book
from tests.ledger.factories import CustomerItemFactory

pytestmark = pytest.mark.django_db


def _execute(sql: str, params: list[int | datetime.datetime]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def _voucher_insert(book: Book, number: int, date=DAY) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ledger_voucher (company_id, series_id, number, date, description, posted_at) "
            "VALUES (%s, %s, %s, %s, '', %s) RETURNING id",
            [book.company.pk, book.series.pk, number, date, NOW],
        )
        return cursor.fetchone()[0]


_LINE_INSERT = (
    "INSERT INTO ledger_journalline (voucher_id, company_id, account_id, amount, currency, description) "
    "VALUES "
)


def test_unbalanced_lines_are_refused(book):
    voucher_id = _voucher_insert(book, 1)

    with pytest.raises(DatabaseError, match="does not balance"):
        _execute(
            _LINE_INSERT + "(%s, %s, %s, 100.00, 'NOK', ''), (%s, %s, %s, -99.00, 'NOK', '')",
            [voucher_id, book.company.pk, book.bank.pk, voucher_id, book.company.pk, book.sales.pk],
        )


def test_balanced_lines_in_one_statement_are_accepted(book):
    voucher_id = _voucher_insert(book, 1)

    _execute(
        _LINE_INSERT + "(%s, %s, %s, 100.00, 'NOK', ''), (%s, %s, %s, -100.00, 'NOK', '')",
        [voucher_id, book.company.pk, book.bank.pk, voucher_id, book.company.pk, book.sales.pk],
    )


def test_half_of_a_voucher_written_in_its_own_statement_is_refused(book):
    voucher_id = _voucher_insert(book, 1)

    with pytest.raises(DatabaseError, match="does not balance"):
        _execute(
            _LINE_INSERT + "(%s, %s, %s, 100.00, 'NOK', '')", [voucher_id, book.company.pk, book.bank.pk]
        )


def test_a_line_added_later_to_a_posted_voucher_is_refused(book):
    voucher = book.payment_post(Decimal("10.00"))

    with pytest.raises(DatabaseError, match="does not balance"):
        _execute(_LINE_INSERT + "(%s, %s, %s, 5.00, 'NOK', '')", [voucher.pk, book.company.pk, book.bank.pk])


def test_a_line_of_another_company_is_refused(book, other_book):
    voucher_id = _voucher_insert(book, 1)

    with pytest.raises(DatabaseError, match="belongs to another company"):
        _execute(
            _LINE_INSERT + "(%s, %s, %s, 1.00, 'NOK', ''), (%s, %s, %s, -1.00, 'NOK', '')",
            [
                voucher_id,
                other_book.company.pk,
                other_book.bank.pk,
                voucher_id,
                other_book.company.pk,
                other_book.sales.pk,
            ],
        )


def test_updating_a_posted_line_is_refused(book):
    voucher = book.payment_post(Decimal("10.00"))

    with pytest.raises(DatabaseError, match="cannot be changed"):
        _execute("UPDATE ledger_journalline SET description = 'x' WHERE voucher_id = %s", [voucher.pk])


def test_deleting_a_posted_line_is_refused(book):
    voucher = book.payment_post(Decimal("10.00"))

    with pytest.raises(DatabaseError, match="cannot be changed"):
        _execute("DELETE FROM ledger_journalline WHERE voucher_id = %s", [voucher.pk])


def test_updating_a_posted_voucher_is_refused(book):
    voucher = book.payment_post(Decimal("10.00"))

    with pytest.raises(DatabaseError, match="cannot be changed"):
        _execute("UPDATE ledger_voucher SET date = date + 1 WHERE id = %s", [voucher.pk])


def test_deleting_a_posted_voucher_is_refused(book):
    voucher = book.payment_post(Decimal("10.00"))

    with pytest.raises(DatabaseError, match="cannot be changed"):
        _execute("DELETE FROM ledger_voucher WHERE id = %s", [voucher.pk])


def test_a_voucher_dated_in_a_locked_period_is_refused(book):
    services.period_lock_set(company=book.company, locked_through=DAY)

    with pytest.raises(DatabaseError, match="locked through 2026-11-20"), transaction.atomic():
        _voucher_insert(book, 1, date=DAY)


def test_an_open_item_reconciled_beyond_its_amount_is_refused(book):
    item = CustomerItemFactory.create(company=book.company, customer=book.customer, amount=Decimal("100.00"))

    with pytest.raises(DatabaseError, match="openitem_remaining_within_amount"):
        _execute(
            "UPDATE ledger_openitem SET remaining_amount = -1.00, status = 'partially_open' WHERE id = %s",
            [item.pk],
        )


def test_an_open_item_status_that_does_not_follow_the_remainder_is_refused(book):
    item = CustomerItemFactory.create(company=book.company, customer=book.customer, amount=Decimal("100.00"))

    with pytest.raises(DatabaseError, match="openitem_status_matches_remaining"):
        _execute(
            "UPDATE ledger_openitem SET remaining_amount = 40.00, status = 'open' WHERE id = %s", [item.pk]
        )


# --- company copies and company membership, checked by the set-based triggers of migration 0005 ---


def _balanced_lines_insert(voucher_id: int, company_id: int, account_id: int) -> None:
    """Insert a balanced pair of lines on one account."""
    _execute(
        _LINE_INSERT + "(%s, %s, %s, 1.00, 'NOK', ''), (%s, %s, %s, -1.00, 'NOK', '')",
        [voucher_id, company_id, account_id, voucher_id, company_id, account_id],
    )


def test_a_line_whose_account_belongs_to_another_company_is_refused(book, other_book):
    voucher_id = _voucher_insert(book, 1)

    with pytest.raises(DatabaseError, match="has an account that belongs to another company"):
        _balanced_lines_insert(voucher_id, book.company.pk, other_book.bank.pk)


def test_a_line_whose_customer_belongs_to_another_company_is_refused(book, other_book):
    voucher_id = _voucher_insert(book, 1)

    with pytest.raises(DatabaseError, match="has a customer that belongs to another company"):
        _execute(
            "INSERT INTO ledger_journalline "
            "(voucher_id, company_id, account_id, amount, currency, description, customer_id) "
            "VALUES (%s, %s, %s, 1.00, 'NOK', '', NULL), (%s, %s, %s, -1.00, 'NOK', '', %s)",
            [
                *(voucher_id, book.company.pk, book.bank.pk),
                *(voucher_id, book.company.pk, book.receivables.pk, other_book.customer.pk),
            ],
        )


def test_a_line_whose_supplier_belongs_to_another_company_is_refused(book, other_book):
    voucher_id = _voucher_insert(book, 1)

    with pytest.raises(DatabaseError, match="has a supplier that belongs to another company"):
        _execute(
            "INSERT INTO ledger_journalline "
            "(voucher_id, company_id, account_id, amount, currency, description, supplier_id) "
            "VALUES (%s, %s, %s, 1.00, 'NOK', '', %s), (%s, %s, %s, -1.00, 'NOK', '', NULL)",
            [
                *(voucher_id, book.company.pk, book.payables.pk, other_book.supplier.pk),
                *(voucher_id, book.company.pk, book.bank.pk),
            ],
        )


def test_a_line_naming_a_company_that_does_not_exist_is_refused(book):
    voucher_id = _voucher_insert(book, 1)

    with pytest.raises(DatabaseError, match="belongs to another company"):
        _balanced_lines_insert(voucher_id, 999_999_999, book.bank.pk)


def test_lines_written_before_their_voucher_are_refused(book):
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) + 1000 FROM ledger_voucher")
        future_voucher_id = cursor.fetchone()[0]

    with pytest.raises(DatabaseError, match="is written before its voucher"):
        _balanced_lines_insert(future_voucher_id, book.company.pk, book.bank.pk)


_RECONCILIATION_INSERT = (
    "INSERT INTO ledger_reconciliation (company_id, open_item_id, journal_line_id, amount, created_at) "
    "VALUES (%s, %s, %s, 10.00, %s)"
)


def _item_and_line(book: Book) -> tuple[int, int]:
    item = CustomerItemFactory.create(company=book.company, customer=book.customer, amount=Decimal("10.00"))
    line = book.receivables_line(book.payment_post(Decimal("10.00")))
    return item.pk, line.pk


def test_a_reconciliation_of_another_company_than_its_item_is_refused(book, other_book):
    item_id, line_id = _item_and_line(book)

    with pytest.raises(DatabaseError, match="its open item belongs to another company"):
        _execute(_RECONCILIATION_INSERT, [other_book.company.pk, item_id, line_id, NOW])


def test_a_reconciliation_whose_line_belongs_to_another_company_is_refused(book, other_book):
    item_id, _ = _item_and_line(book)
    _, other_line_id = _item_and_line(other_book)

    with pytest.raises(DatabaseError, match="its journal line belongs to another company"):
        _execute(_RECONCILIATION_INSERT, [book.company.pk, item_id, other_line_id, NOW])


def test_a_reconciliation_moved_to_another_company_is_refused(book, other_book):
    item_id, line_id = _item_and_line(book)
    _execute(_RECONCILIATION_INSERT, [book.company.pk, item_id, line_id, NOW])

    with pytest.raises(DatabaseError, match="its open item belongs to another company"):
        _execute(
            "UPDATE ledger_reconciliation SET company_id = %s WHERE open_item_id = %s",
            [other_book.company.pk, item_id],
        )


def test_a_reconciled_open_item_cannot_move_to_another_company(book, other_book):
    item_id, line_id = _item_and_line(book)
    _execute(_RECONCILIATION_INSERT, [book.company.pk, item_id, line_id, NOW])

    with pytest.raises(DatabaseError, match="cannot move to another company"):
        _execute("UPDATE ledger_openitem SET company_id = %s WHERE id = %s", [other_book.company.pk, item_id])


def test_an_account_with_lines_cannot_move_to_another_company(book, other_book):
    book.payment_post(Decimal("10.00"))

    with pytest.raises(DatabaseError, match="cannot move to another company"):
        _execute(
            "UPDATE ledger_account SET company_id = %s WHERE id = %s", [other_book.company.pk, book.bank.pk]
        )


def test_no_index_of_open_items_holds_a_column_that_settling_changes(db):
    # Settling changes remaining_amount and status; an index on either would stop in-place (HOT) updates.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::regclass::text FROM pg_index "
            "WHERE indrelid = 'ledger_openitem'::regclass "
            "AND (pg_get_indexdef(indexrelid) ~ 'status|remaining_amount')"
        )
        offending = [row[0] for row in cursor.fetchall()]

    assert offending == []
