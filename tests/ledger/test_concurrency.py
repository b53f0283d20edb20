"""Races between two PostgreSQL sessions that a foreign key would settle, settled by the ledger's triggers.

Each test commits its set-up (transactional_db) and drives two raw connections by hand, so that one session
really waits on the other's locks: the wait is seen in pg_stat_activity (tests/ledger/locks.py), so a slow
thread is not taken for a waiting one.
"""

import threading
from decimal import Decimal

import psycopg
import pytest
from django.db import connection

from ledger import models
from tests.ledger import locks
from tests.ledger.conftest import NOW, book_create
from tests.ledger.factories import CustomerItemFactory

pytestmark = pytest.mark.django_db(transaction=True)

RECONCILIATION_INSERT = (
    "INSERT INTO ledger_reconciliation (company_id, open_item_id, journal_line_id, amount, created_at) "
    "VALUES (%s, %s, %s, %s, %s)"
)


def _connect() -> psycopg.Connection:
    settings = connection.settings_dict
    return psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        password=settings["PASSWORD"] or None,
    )


def _reconciled_item():
    """An open item and a posted payment line for it, committed; nothing reconciled yet."""
    book = book_create()
    item = CustomerItemFactory.create(
        company=book.company,
        customer=book.customer,
        amount=Decimal("100.00"),
        remaining_amount=Decimal("100.00"),
    )
    line = book.receivables_line(book.payment_post(Decimal("100.00")))
    return book, item, line


def _in_thread(work):
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["result"] = work()
        except psycopg.Error as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _delete_item(item_id: int):
    def work() -> int:
        with _connect() as conn:
            cur = conn.execute("DELETE FROM ledger_openitem WHERE id = %s", [item_id])
            return cur.rowcount

    return work


def test_deleting_an_item_waits_for_a_reconciliation_being_written_and_is_then_refused():
    book, item, line = _reconciled_item()
    writer = _connect()
    try:
        writer.execute(
            RECONCILIATION_INSERT,
            [book.company.pk, item.pk, line.pk, Decimal("100.00"), NOW],
        )
        deleter, outcome = _in_thread(_delete_item(item.pk))
        assert locks.waits_for_lock(deleter), "the delete should wait for the writer's lock on the item"
        writer.commit()
        deleter.join(30)
    finally:
        writer.close()
    assert isinstance(outcome.get("error"), psycopg.errors.ForeignKeyViolation)
    assert models.OpenItem.objects.filter(pk=item.pk).exists()


def test_a_reconciliation_written_while_its_item_is_being_deleted_is_refused_once_the_delete_commits():
    book, item, line = _reconciled_item()
    deleter = _connect()
    try:
        deleter.execute("DELETE FROM ledger_openitem WHERE id = %s", [item.pk])

        def write() -> int:
            with _connect() as conn:
                cur = conn.execute(
                    RECONCILIATION_INSERT,
                    [book.company.pk, item.pk, line.pk, Decimal("100.00"), NOW],
                )
                return cur.rowcount

        writer, outcome = _in_thread(write)
        assert locks.waits_for_lock(writer), (
            "the reconciliation should wait for the delete's lock on the item"
        )
        deleter.commit()
        writer.join(30)
    finally:
        deleter.close()
    assert isinstance(outcome.get("error"), psycopg.errors.CheckViolation)
    assert not models.Reconciliation.objects.filter(open_item_id=item.pk).exists()
