"""Raw SQL that goes around the services is refused by PostgreSQL (migrations 0003 to 0006, constraints)."""

import datetime
from decimal import Decimal

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction

from ledger import models, services
from tests import db_guards
from tests.company.factories import CompanyFactory
from tests.ledger.conftest import DAY, NOW, Book
from tests.ledger.factories import (
    AccountFactory,
    BatchFactory,
    CustomerFactory,
    CustomerItemFactory,
    SupplierFactory,
    VoucherSeriesFactory,
)

pytestmark = pytest.mark.django_db


def _execute(sql: str, params: list[int | datetime.date | None]) -> None:
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

    amounts = sorted(
        models.JournalLine.objects.filter(voucher_id=voucher_id).values_list("amount", flat=True)
    )
    assert amounts == [Decimal("-100.00"), Decimal("100.00")]


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


# --- the foreign keys of the bulk tables, checked by the triggers of migration 0006 ---

MISSING_ID = 999_999_999


def _voucher_row_insert(company_id: int, series_id: int, batch_id: int | None = None) -> None:
    _execute(
        "INSERT INTO ledger_voucher (company_id, series_id, batch_id, number, date, description, posted_at) "
        "VALUES (%s, %s, %s, 1, %s, '', %s)",
        [company_id, series_id, batch_id, DAY, NOW],
    )


def test_a_voucher_whose_company_does_not_exist_is_refused(book):
    with pytest.raises(DatabaseError, match="its company does not exist"):
        _voucher_row_insert(MISSING_ID, book.series.pk)


def test_a_voucher_whose_series_does_not_exist_is_refused(book):
    with pytest.raises(DatabaseError, match="its series does not exist"):
        _voucher_row_insert(book.company.pk, MISSING_ID)


def test_a_voucher_whose_batch_does_not_exist_is_refused(book):
    with pytest.raises(DatabaseError, match="its batch does not exist"):
        _voucher_row_insert(book.company.pk, book.series.pk, MISSING_ID)


def test_a_voucher_in_a_series_of_another_company_is_refused(book, other_book):
    with pytest.raises(DatabaseError, match="its series belongs to another company"):
        _voucher_row_insert(book.company.pk, other_book.series.pk)


def test_a_voucher_in_a_batch_of_another_company_is_refused(book, other_book):
    other_batch = BatchFactory.create(company=other_book.company)

    with pytest.raises(DatabaseError, match="its batch belongs to another company"):
        _voucher_row_insert(book.company.pk, book.series.pk, other_batch.pk)


def test_a_voucher_with_its_company_series_and_batch_is_accepted(book):
    batch = BatchFactory.create(company=book.company)

    _voucher_row_insert(book.company.pk, book.series.pk, batch.pk)

    assert models.Voucher.objects.filter(batch=batch).count() == 1


def test_a_line_whose_account_does_not_exist_is_refused(book):
    voucher_id = _voucher_insert(book, 1)

    with pytest.raises(DatabaseError, match="has an account that does not exist"):
        _balanced_lines_insert(voucher_id, book.company.pk, MISSING_ID)


def _party_lines_insert(book: Book, voucher_id: int, party_column: str, party_id: int) -> None:
    """Insert a balanced pair of lines, the second naming a party in `party_column`."""
    _execute(
        "INSERT INTO ledger_journalline "
        f"(voucher_id, company_id, account_id, amount, currency, description, {party_column}) "
        "VALUES (%s, %s, %s, 1.00, 'NOK', '', NULL), (%s, %s, %s, -1.00, 'NOK', '', %s)",
        [
            *(voucher_id, book.company.pk, book.bank.pk),
            *(voucher_id, book.company.pk, book.receivables.pk, party_id),
        ],
    )


def test_a_line_whose_customer_does_not_exist_is_refused(book):
    voucher_id = _voucher_insert(book, 1)

    with pytest.raises(DatabaseError, match="has a customer that does not exist"):
        _party_lines_insert(book, voucher_id, "customer_id", MISSING_ID)


def test_a_line_whose_supplier_does_not_exist_is_refused(book):
    voucher_id = _voucher_insert(book, 1)

    with pytest.raises(DatabaseError, match="has a supplier that does not exist"):
        _party_lines_insert(book, voucher_id, "supplier_id", MISSING_ID)


def test_a_reconciliation_whose_open_item_does_not_exist_is_refused(book):
    _, line_id = _item_and_line(book)

    with pytest.raises(DatabaseError, match="its open item does not exist"):
        _execute(_RECONCILIATION_INSERT, [book.company.pk, MISSING_ID, line_id, NOW])


def test_a_reconciliation_whose_journal_line_does_not_exist_is_refused(book):
    item_id, _ = _item_and_line(book)

    with pytest.raises(DatabaseError, match="its journal line does not exist"):
        _execute(_RECONCILIATION_INSERT, [book.company.pk, item_id, MISSING_ID, NOW])


def test_a_reconciliation_whose_credit_item_does_not_exist_is_refused(book):
    item_id, line_id = _item_and_line(book)

    with pytest.raises(DatabaseError, match="its credit item does not exist"):
        _execute(
            "INSERT INTO ledger_reconciliation "
            "(company_id, open_item_id, journal_line_id, amount, created_at, overpayment_item_id) "
            "VALUES (%s, %s, %s, 10.00, %s, %s)",
            [book.company.pk, item_id, line_id, NOW, MISSING_ID],
        )


def test_a_reconciliation_moved_to_an_open_item_that_does_not_exist_is_refused(book):
    item_id, line_id = _item_and_line(book)
    _execute(_RECONCILIATION_INSERT, [book.company.pk, item_id, line_id, NOW])

    with pytest.raises(DatabaseError, match="its open item does not exist"):
        _execute(
            "UPDATE ledger_reconciliation SET open_item_id = %s WHERE open_item_id = %s",
            [MISSING_ID, item_id],
        )


# Deleting a referenced row, or changing its id, is refused; deleting an unreferenced one is allowed.


def _delete(table: str, row_id: int) -> None:
    _execute(f"DELETE FROM {table} WHERE id = %s", [row_id])


def _exists(table: str, row_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE id = %s)", [row_id])
        return bool(cursor.fetchone()[0])


def test_deleting_a_company_with_vouchers_is_refused(book):
    book.payment_post(Decimal("10.00"))

    with pytest.raises(DatabaseError, match=r"referred to by ledger_voucher\.company_id"):
        _delete("company_company", book.company.pk)


def test_deleting_a_company_without_rows_is_allowed(db):
    company = CompanyFactory.create()

    _delete("company_company", company.pk)

    assert not _exists("company_company", company.pk)


def test_deleting_a_voucher_series_with_vouchers_is_refused(book):
    book.payment_post(Decimal("10.00"))

    with pytest.raises(DatabaseError, match=r"referred to by ledger_voucher\.series_id"):
        _delete("ledger_voucherseries", book.series.pk)


def test_deleting_an_unused_voucher_series_is_allowed(book):
    series = VoucherSeriesFactory.create(company=book.company)

    _delete("ledger_voucherseries", series.pk)

    assert not _exists("ledger_voucherseries", series.pk)


def test_deleting_a_batch_with_vouchers_is_refused(book):
    batch = BatchFactory.create(company=book.company)
    _voucher_row_insert(book.company.pk, book.series.pk, batch.pk)

    with pytest.raises(DatabaseError, match=r"referred to by ledger_voucher\.batch_id"):
        _delete("ledger_batch", batch.pk)


def test_deleting_an_empty_batch_is_allowed(book):
    batch = BatchFactory.create(company=book.company)

    _delete("ledger_batch", batch.pk)

    assert not _exists("ledger_batch", batch.pk)


def test_deleting_an_account_with_lines_is_refused(book):
    book.payment_post(Decimal("10.00"))

    with pytest.raises(DatabaseError, match=r"referred to by ledger_journalline\.account_id"):
        _delete("ledger_account", book.bank.pk)


def test_deleting_an_account_without_lines_is_allowed(book):
    account = AccountFactory.create(company=book.company, number="9999", kind=models.AccountKind.EXPENSE)

    _delete("ledger_account", account.pk)

    assert not _exists("ledger_account", account.pk)


def test_deleting_a_customer_named_on_a_line_is_refused(book):
    book.payment_post(Decimal("10.00"))

    with pytest.raises(DatabaseError, match=r"referred to by ledger_journalline\.customer_id"):
        _delete("ledger_customer", book.customer.pk)


def test_deleting_a_customer_named_on_no_line_is_allowed(book):
    customer = CustomerFactory.create(company=book.company)

    _delete("ledger_customer", customer.pk)

    assert not _exists("ledger_customer", customer.pk)


def test_deleting_a_supplier_named_on_a_line_is_refused(book):
    voucher_id = _voucher_insert(book, 1)
    _party_lines_insert(book, voucher_id, "supplier_id", book.supplier.pk)

    with pytest.raises(DatabaseError, match=r"referred to by ledger_journalline\.supplier_id"):
        _delete("ledger_supplier", book.supplier.pk)


def test_deleting_a_supplier_named_on_no_line_is_allowed(book):
    supplier = SupplierFactory.create(company=book.company)

    _delete("ledger_supplier", supplier.pk)

    assert not _exists("ledger_supplier", supplier.pk)


def test_deleting_a_reconciled_open_item_is_refused(book):
    item_id, line_id = _item_and_line(book)
    _execute(_RECONCILIATION_INSERT, [book.company.pk, item_id, line_id, NOW])

    with pytest.raises(DatabaseError, match=r"referred to by ledger_reconciliation\.open_item_id"):
        _delete("ledger_openitem", item_id)


def test_deleting_the_credit_item_of_a_reconciliation_is_refused(book):
    item = CustomerItemFactory.create(company=book.company, customer=book.customer, amount=Decimal("10.00"))
    line = book.receivables_line(book.payment_post(Decimal("15.00")))
    reconciliation = services.reconciliation_create(
        open_item=item, journal_line=line, amount=Decimal("15.00"), now=NOW
    )

    with pytest.raises(DatabaseError, match=r"referred to by ledger_reconciliation\.overpayment_item_id"):
        _delete("ledger_openitem", models.OpenItem.objects.get(overpayment_of=reconciliation).pk)


def test_deleting_an_unreconciled_open_item_is_allowed(book):
    item = CustomerItemFactory.create(company=book.company, customer=book.customer, amount=Decimal("10.00"))

    _delete("ledger_openitem", item.pk)

    assert not _exists("ledger_openitem", item.pk)


def test_changing_the_id_of_an_account_with_lines_is_refused(book):
    book.payment_post(Decimal("10.00"))

    with pytest.raises(DatabaseError, match="cannot be given another id"):
        _execute("UPDATE ledger_account SET id = %s WHERE id = %s", [MISSING_ID, book.bank.pk])


def test_changing_the_id_of_a_company_with_vouchers_is_refused(book):
    book.payment_post(Decimal("10.00"))

    with pytest.raises(DatabaseError, match="cannot be given another id"):
        _execute("UPDATE company_company SET id = %s WHERE id = %s", [MISSING_ID, book.company.pk])


def test_changing_the_id_of_a_reconciled_open_item_is_refused(book):
    item_id, line_id = _item_and_line(book)
    _execute(_RECONCILIATION_INSERT, [book.company.pk, item_id, line_id, NOW])

    with pytest.raises(DatabaseError, match="cannot be given another id"):
        _execute("UPDATE ledger_openitem SET id = %s WHERE id = %s", [MISSING_ID, item_id])


def test_truncating_a_voucher_series_that_vouchers_refer_to_is_refused(book):
    book.payment_post(Decimal("10.00"))

    with connection.cursor() as cursor:
        # TRUNCATE refuses to run while the transaction's deferred foreign-key checks are pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    with pytest.raises(DatabaseError, match="cannot be truncated alone"):
        _execute("TRUNCATE ledger_voucherseries", [])


def test_every_foreign_key_without_a_constraint_has_guards_on_its_target_table(db):
    # A relation without a foreign-key constraint must be guarded on the referenced side against DELETE,
    # UPDATE of the id and TRUNCATE, each by a trigger naming its (table, column).
    references = db_guards.references_without_constraint(
        [models.Voucher, models.JournalLine, models.Reconciliation]
    )
    assert db_guards.unguarded(references) == []


def _line_with_customer(book: Book, voucher_id: int) -> None:
    _execute(
        "INSERT INTO ledger_journalline "
        "(voucher_id, company_id, account_id, amount, currency, description, customer_id, supplier_id) "
        "VALUES (%s, %s, %s, 1.00, 'NOK', '', NULL, NULL), (%s, %s, %s, -1.00, 'NOK', '', %s, %s)",
        [
            *(voucher_id, book.company.pk, book.bank.pk),
            *(voucher_id, book.company.pk, book.receivables.pk, book.customer.pk, book.supplier.pk),
        ],
    )


def test_a_customer_named_on_a_line_stays_put_in_its_company(book, other_book):
    _line_with_customer(book, _voucher_insert(book, 1))

    with pytest.raises(DatabaseError, match="cannot move to another company"):
        _execute(
            "UPDATE ledger_customer SET company_id = %s WHERE id = %s",
            [other_book.company.pk, book.customer.pk],
        )


def test_a_supplier_named_on_a_line_stays_put_in_its_company(book, other_book):
    _line_with_customer(book, _voucher_insert(book, 1))

    with pytest.raises(DatabaseError, match="cannot move to another company"):
        _execute(
            "UPDATE ledger_supplier SET company_id = %s WHERE id = %s",
            [other_book.company.pk, book.supplier.pk],
        )


def test_a_reconciliation_whose_credit_item_belongs_to_another_company_is_refused(book, other_book):
    item_id, line_id = _item_and_line(book)
    other_item = CustomerItemFactory.create(company=other_book.company, customer=other_book.customer)

    with pytest.raises(DatabaseError, match="its credit item belongs to another company"):
        _execute(
            "INSERT INTO ledger_reconciliation "
            "(company_id, open_item_id, journal_line_id, amount, created_at, overpayment_item_id) "
            "VALUES (%s, %s, %s, 10.00, %s, %s)",
            [book.company.pk, item_id, line_id, NOW, other_item.pk],
        )


def test_two_vouchers_with_one_number_in_one_series_are_refused(book):
    _voucher_insert(book, 7)

    with pytest.raises(DatabaseError, match="voucher_unique_number"), transaction.atomic():
        _voucher_insert(book, 7)


def test_two_reversals_of_one_voucher_are_refused(book):
    reversed_id = _voucher_insert(book, 1)
    _execute(
        "INSERT INTO ledger_voucher (company_id, series_id, number, date, description, posted_at, "
        "reverses_id) VALUES (%s, %s, 2, %s, '', %s, %s)",
        [book.company.pk, book.series.pk, DAY, NOW, reversed_id],
    )

    with pytest.raises(DatabaseError, match="reverses"):
        _execute(
            "INSERT INTO ledger_voucher (company_id, series_id, number, date, description, posted_at, "
            "reverses_id) VALUES (%s, %s, 3, %s, '', %s, %s)",
            [book.company.pk, book.series.pk, DAY, NOW, reversed_id],
        )


def _lines_copy(rows: list[tuple[object, ...]]) -> None:
    copy_sql = (
        "COPY ledger_journalline (voucher_id, company_id, account_id, amount, currency, description) "
        "FROM STDIN"
    )
    with transaction.atomic(), connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
        for row in rows:
            copy.write_row(row)


def test_lines_copied_in_that_do_not_balance_are_refused(book):
    voucher_id = _voucher_insert(book, 1)
    rows: list[tuple[object, ...]] = [
        (voucher_id, book.company.pk, book.bank.pk, Decimal("100.00"), "NOK", ""),
        (voucher_id, book.company.pk, book.sales.pk, Decimal("-99.99"), "NOK", ""),
    ]

    # The raw psycopg cursor that COPY needs raises psycopg's error, not Django's wrapper of it.
    with pytest.raises(psycopg.errors.CheckViolation, match="does not balance"):
        _lines_copy(rows)
    assert not models.JournalLine.objects.filter(voucher_id=voucher_id).exists()
