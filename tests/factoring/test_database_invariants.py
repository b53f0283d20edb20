"""Relations held by triggers instead of foreign keys: incoming payments and KID definitions (factoring 0003),
payment events (payments 0004) and applied messages (autopay_erp 0002)."""

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction

from autopay_erp import models as autopay_erp_models
from factoring import models
from ledger import models as ledger_models
from payments import models as payments_models
from tests import db_guards
from tests.company.factories import CompanyFactory
from tests.factoring.books import Book, book_create, kid_for, ocr, pay
from tests.ledger.factories import CustomerFactory
from tests.payments import factories as payments_factories

pytestmark = pytest.mark.django_db


def _execute(sql: str, params: list[Any]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def _imported(book: Book) -> models.IncomingPayment:
    item = book.item(0, 1, "100.00")
    book.import_file(ocr([pay("100.00", kid_for(book.customers[0].number, 1), 1)]))
    return models.IncomingPayment.objects.get(open_item=item)


def test_a_payment_naming_a_customer_of_another_company_is_refused(book: Book):
    payment = _imported(book)
    stranger = CustomerFactory.create(company=CompanyFactory.create())

    with pytest.raises(DatabaseError, match="its customer belongs to another company"):
        _execute(
            "UPDATE factoring_incomingpayment SET customer_id = %s WHERE id = %s", [stranger.pk, payment.pk]
        )


def test_a_payment_naming_an_open_item_that_does_not_exist_is_refused(book: Book):
    payment = _imported(book)

    with pytest.raises(DatabaseError, match="its open item does not exist"):
        _execute("UPDATE factoring_incomingpayment SET open_item_id = %s WHERE id = %s", [10**12, payment.pk])


def test_a_payment_naming_a_definition_of_another_company_is_refused(book: Book):
    payment = _imported(book)
    other = book_create(account="12345678903")

    with pytest.raises(DatabaseError, match="its KID definition belongs to another company"):
        _execute(
            "UPDATE factoring_incomingpayment SET definition_id = %s WHERE id = %s",
            [other.definition.pk, payment.pk],
        )


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("factoring_factoringcompany", "definition_id"),
        ("factoring_incomingimport", "file_import_id"),
        ("ledger_customer", "customer_id"),
        ("company_company", "company_id"),
    ],
)
def test_a_row_a_payment_names_cannot_be_deleted(book: Book, table: str, column: str):
    payment = _imported(book)
    if table == "ledger_customer":
        # A customer no journal line names (the ledger's own guard would answer first).
        fresh = CustomerFactory.create(company=book.company)
        _execute(
            "UPDATE factoring_incomingpayment SET customer_id = %s WHERE id = %s", [fresh.pk, payment.pk]
        )
    referenced = models.IncomingPayment.objects.filter(pk=payment.pk).values_list(column, flat=True).get()

    with pytest.raises(DatabaseError, match="is referred to by factoring_incomingpayment"):
        _execute(f"DELETE FROM {table} WHERE id = %s", [referenced])

    assert models.IncomingPayment.objects.filter(pk=payment.pk).exists()


def test_the_gl_account_of_a_definition_cannot_be_deleted(book: Book):
    with pytest.raises(DatabaseError, match="is referred to by factoring_factoringcompany"):
        _execute("DELETE FROM ledger_account WHERE id = %s", [book.bank.pk])

    assert ledger_models.Account.objects.filter(pk=book.bank.pk).exists()


def test_every_relation_without_a_foreign_key_is_guarded_on_its_target_table():
    # A relation without a foreign-key constraint must be guarded on the referenced side against DELETE,
    # UPDATE of the id and TRUNCATE, each by a trigger naming its (table, column).
    references = db_guards.references_without_constraint(
        [
            models.FactoringCompany,
            models.IncomingImport,
            models.IncomingPayment,
            payments_models.PaymentEvent,
            autopay_erp_models.AppliedMessage,
        ]
    )
    assert len(references) >= 14
    assert db_guards.unguarded(references) == []


def _event_insert(
    payment_id: int | None, line_id: int | None, company_id: int, actor_id: int | None = None
) -> None:
    _execute(
        "INSERT INTO payments_paymentevent (payment_id, line_id, company_id, kind, at, actor_id, details) "
        "VALUES (%s, %s, %s, 'posted', now(), %s, '{}')",
        [payment_id, line_id, company_id, actor_id],
    )


def test_a_payment_event_naming_a_line_of_another_company_is_refused(db):
    line = payments_factories.PaymentLineFactory.create()
    other = payments_factories.PaymentLineFactory.create()

    with pytest.raises(DatabaseError, match="its line belongs to another company"):
        _event_insert(line.payment_id, other.pk, line.company_id)


def test_a_payment_event_naming_a_payment_of_another_company_is_refused(db):
    line = payments_factories.PaymentLineFactory.create()
    other = payments_factories.PaymentFactory.create()

    with pytest.raises(DatabaseError, match="its payment belongs to another company"):
        _event_insert(other.pk, None, line.company_id)


@pytest.mark.parametrize(
    ("what", "problem"),
    [("payment", "its payment does not exist"), ("line", "its line does not exist"), ("actor", "its user")],
)
def test_a_payment_event_naming_what_does_not_exist_is_refused(db, what, problem):
    line = payments_factories.PaymentLineFactory.create()
    ids: dict[str, int | None] = {"payment": line.payment_id, "line": line.pk, "actor": None}
    ids[what] = 10**9

    with pytest.raises(DatabaseError, match=problem):
        _event_insert(ids["payment"], ids["line"], line.company_id, ids["actor"])


def test_a_payment_event_naming_its_own_payment_line_and_user_is_written(db):
    line = payments_factories.PaymentLineFactory.create()
    user = get_user_model().objects.create(username="events-actor")

    _event_insert(line.payment_id, line.pk, line.company_id, user.pk)

    assert payments_models.PaymentEvent.objects.filter(line=line, actor=user).count() == 1
