"""Races between a reversal and a reconciliation, and between two bulk reconciliations of one line.

Each test commits its set-up (transactional_db). One session holds its transaction open in the test's thread;
the other runs in a second thread on its own connection and must wait for the first's lock (seen in
pg_stat_activity, so a slow thread is not taken for a waiting one), then be refused.
"""

import threading
import time
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from ledger import errors, models, services
from tests.ledger.conftest import DAY, NOW, Book, book_create
from tests.ledger.factories import CustomerItemFactory

pytestmark = pytest.mark.django_db(transaction=True)

WAIT_SECONDS = 10.0


def _item(book: Book) -> models.OpenItem:
    return CustomerItemFactory.create(
        company=book.company,
        customer=book.customer,
        amount=Decimal("100.00"),
        remaining_amount=Decimal("100.00"),
    )


def _in_thread(work: Callable[[], object]) -> tuple[threading.Thread, dict[str, object]]:
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["result"] = work()
        except Exception as exc:
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _waits_for_lock(thread: threading.Thread) -> bool:
    """Tell whether another session of this database waits for a lock before `thread` ends."""
    deadline = time.monotonic() + WAIT_SECONDS
    while thread.is_alive() and time.monotonic() < deadline:
        with connection.cursor() as cursor:
            # pg_stat_activity is read once per transaction unless the snapshot is cleared.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.02)
    return False


def _bulk(book: Book, item: models.OpenItem, line: models.JournalLine) -> Callable[[], int]:
    spec = services.ReconciliationSpec(
        open_item_id=item.pk, journal_line_id=line.pk, amount=Decimal("100.00")
    )
    return lambda: services.reconciliations_create_bulk(company=book.company, items=[spec], now=NOW)


def _single(item: models.OpenItem, line: models.JournalLine) -> Callable[[], models.Reconciliation]:
    return lambda: services.reconciliation_create(
        open_item=item, journal_line=line, amount=Decimal("100.00"), now=NOW
    )


def _while_open(first: Callable[[], object], second: Callable[[], object]) -> tuple[bool, dict[str, object]]:
    """Run `first` in an open transaction, start `second` beside it, commit; tell whether `second` waited."""
    with transaction.atomic():
        first()
        thread, outcome = _in_thread(second)
        waited = _waits_for_lock(thread)
    thread.join(30)
    return waited, outcome


def test_a_reconciliation_waits_for_a_reversal_of_its_voucher_and_is_then_refused():
    book = book_create()
    item = _item(book)
    voucher = book.payment_post(Decimal("100.00"))
    line = book.receivables_line(voucher)

    waited, outcome = _while_open(
        lambda: services.voucher_reverse(voucher=voucher, date=DAY, now=NOW), _single(item, line)
    )

    assert waited, outcome
    assert isinstance(outcome.get("error"), errors.ReconciliationError)


def test_a_reversal_waits_for_a_reconciliation_of_its_voucher_and_is_then_refused():
    book = book_create()
    item = _item(book)
    voucher = book.payment_post(Decimal("100.00"))
    line = book.receivables_line(voucher)

    waited, outcome = _while_open(
        _single(item, line), lambda: services.voucher_reverse(voucher=voucher, date=DAY, now=NOW)
    )

    assert waited, outcome
    assert isinstance(outcome.get("error"), errors.ReconciliationError)


def test_a_bulk_reconciliation_waits_for_a_reversal_of_its_voucher_and_is_then_refused():
    book = book_create()
    item = _item(book)
    voucher = book.payment_post(Decimal("100.00"))
    line = book.receivables_line(voucher)

    waited, outcome = _while_open(
        lambda: services.voucher_reverse(voucher=voucher, date=DAY, now=NOW), _bulk(book, item, line)
    )

    assert waited, outcome
    assert isinstance(outcome.get("error"), errors.ReconciliationError)


def test_a_reversal_waits_for_a_bulk_reconciliation_of_its_voucher_and_is_then_refused():
    book = book_create()
    item = _item(book)
    voucher = book.payment_post(Decimal("100.00"))
    line = book.receivables_line(voucher)

    waited, outcome = _while_open(
        _bulk(book, item, line), lambda: services.voucher_reverse(voucher=voucher, date=DAY, now=NOW)
    )

    assert waited, outcome
    assert isinstance(outcome.get("error"), errors.ReconciliationError)


def test_a_bulk_reconciliation_waits_for_another_using_the_same_line_and_is_then_refused():
    book = book_create()
    first_item, second_item = _item(book), _item(book)
    line = book.receivables_line(book.payment_post(Decimal("100.00")))

    waited, outcome = _while_open(_bulk(book, first_item, line), _bulk(book, second_item, line))

    assert waited, outcome
    assert isinstance(outcome.get("error"), errors.ReconciliationError)


def test_a_bulk_reconciliation_waits_for_a_single_one_using_the_same_line_and_is_then_refused():
    book = book_create()
    first_item, second_item = _item(book), _item(book)
    line = book.receivables_line(book.payment_post(Decimal("100.00")))

    waited, outcome = _while_open(_single(first_item, line), _bulk(book, second_item, line))

    assert waited, outcome
    assert isinstance(outcome.get("error"), errors.ReconciliationError)


def test_a_line_over_used_by_two_bulk_reconciliations_at_once_is_reconciled_only_once():
    book = book_create()
    first_item, second_item = _item(book), _item(book)
    line = book.receivables_line(book.payment_post(Decimal("100.00")))

    _while_open(_bulk(book, first_item, line), _bulk(book, second_item, line))

    assert models.Reconciliation.objects.filter(journal_line=line).count() == 1


def _bulk_posted_line(book: Book) -> models.JournalLine:
    """A receivables line written by `vouchers_post_bulk` (COPY) in a transaction of its own, committed."""
    (voucher_id,) = services.vouchers_post_bulk(
        company=book.company,
        series=book.series,
        batch=None,
        vouchers=[services.VoucherSpec(date=DAY, lines=book.payment_lines(Decimal("100.00")))],
        now=NOW,
    )
    return models.JournalLine.objects.get(voucher_id=voucher_id, account=book.receivables)


def test_lines_posted_in_bulk_and_committed_are_locked_by_the_next_transaction_that_reconciles_them():
    # The reconciliation skips locking lines its own transaction wrote; once committed they are any session's.
    book = book_create()
    first_item, second_item = _item(book), _item(book)
    line = _bulk_posted_line(book)

    waited, outcome = _while_open(_bulk(book, first_item, line), _bulk(book, second_item, line))

    assert waited, outcome
    assert isinstance(outcome.get("error"), errors.ReconciliationError)
    assert models.Reconciliation.objects.filter(journal_line=line).count() == 1


def test_lines_posted_and_reconciled_in_one_transaction_are_reconciled_once():
    book = book_create()
    item = _item(book)
    with transaction.atomic():
        line = _bulk_posted_line(book)
        _bulk(book, item, line)()
        # A second reconciliation of the same line in the same transaction sees the first.
        with pytest.raises(errors.ReconciliationError, match="would be reconciled"):
            _bulk(book, _item(book), line)()
    assert models.Reconciliation.objects.filter(journal_line=line).count() == 1


def test_lines_posted_in_a_savepoint_rolled_back_cannot_be_reconciled():
    book = book_create()
    item = _item(book)
    with transaction.atomic():
        try:
            with transaction.atomic():
                line_id = _bulk_posted_line(book).pk
                raise RuntimeError("roll the posting back")
        except RuntimeError:
            pass
        spec = services.ReconciliationSpec(
            open_item_id=item.pk, journal_line_id=line_id, amount=Decimal("100.00")
        )
        with pytest.raises(errors.ReconciliationError, match="journal line is not one of this company"):
            services.reconciliations_create_bulk(company=book.company, items=[spec], now=NOW)
    assert not models.Reconciliation.objects.exists()


def _lock_statements(work: Callable[[], object]) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        work()
    return [query["sql"] for query in queries.captured_queries if "FOR NO KEY UPDATE" in query["sql"]]


def test_the_lines_lock_is_skipped_for_lines_of_this_transaction_and_taken_for_committed_ones():
    book = book_create()
    committed = _bulk_posted_line(book)
    with transaction.atomic():
        fresh = _bulk_posted_line(book)
        assert _lock_statements(_bulk(book, _item(book), fresh)) == []
        assert len(_lock_statements(_bulk(book, _item(book), committed))) == 1
