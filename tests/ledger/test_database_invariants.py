"""Raw SQL that goes around the services is refused by PostgreSQL (migration 0003, model constraints)."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from ledger import services
from tests.ledger.conftest import DAY, NOW, Book
from tests.ledger.factories import CustomerItemFactory

pytestmark = pytest.mark.django_db


def _execute(sql: str, params: list[int]) -> None:
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
