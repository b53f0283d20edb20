"""AutoPay's incoming payments delivered twice, and an import killed half-way by SIGKILL (a real process)."""

import datetime
import io
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection, connections, transaction

from autopay_client import messages as autopay_messages
from factoring import errors, models, services
from factoring.parsers.ocr_writer import OcrPayment
from ledger import models as ledger_models
from ledger import selectors as ledger_selectors
from tests.factoring.books import BANK_ACCOUNT, NOW, Book, book_create, ocr


def _message(book: Book, amount: str, kid: str | None, ref: str) -> autopay_messages.IncomingPaymentMessage:
    return autopay_messages.IncomingPaymentMessage(
        id=uuid.uuid4(),
        seq=1,
        created_at=NOW,
        amount=Decimal(amount),
        currency="NOK",
        date=datetime.date(2026, 11, 18),
        kid=kid,
        message="",
        payer_account="",
        payer_name="Kari Nordmann",
        credited_account=BANK_ACCOUNT,
        archive_reference=ref,
    )


@pytest.mark.django_db
def test_an_autopay_payment_delivered_twice_is_posted_once(book: Book):
    item = book.item(0, 1001, "300.00")
    message = _message(book, "300.00", item.kid, "AP1")
    services.incoming_payment_messages_apply(company=book.company, messages=[message], now=NOW)
    services.incoming_payment_messages_apply(company=book.company, messages=[message], now=NOW)
    assert (models.IncomingPayment.objects.count(), ledger_models.Voucher.objects.count()) == (1, 1)


@pytest.mark.django_db
def test_an_autopay_payment_settles_the_item_its_kid_names(book: Book):
    item = book.item(0, 1001, "300.00")
    services.incoming_payment_messages_apply(
        company=book.company, messages=[_message(book, "300.00", item.kid, "AP1")], now=NOW
    )
    item.refresh_from_db()
    assert item.status == ledger_models.OpenItemStatus.SETTLED


@pytest.mark.django_db
def test_a_payment_to_an_account_without_a_definition_is_an_anomaly_and_changes_nothing(book: Book):
    message = dataclass_replace(_message(book, "10.00", None, "AP2"), credited_account="12345678903")
    anomalies = services.incoming_payment_messages_apply(company=book.company, messages=[message], now=NOW)
    assert (anomalies[0][0], models.IncomingPayment.objects.count()) == (message.id, 0)


@pytest.mark.django_db
def test_a_file_payment_autopay_delivered_before_is_skipped_naming_autopay(book: Book):
    message = _message(book, "10.00", None, "000000077")
    services.incoming_payment_messages_apply(company=book.company, messages=[message], now=NOW)
    data = ocr([OcrPayment(amount=Decimal("10.00"), archive_reference="000000077", date=message.date)])
    file_import = book.import_file(data)
    assert list(file_import.skipped.values_list("earlier__source", flat=True)) == ["autopay"]


@pytest.mark.django_db
def test_a_payment_the_ledger_refuses_holds_up_none_of_the_others_of_its_page(book: Book):
    from ledger import services as ledger_services

    ledger_services.period_lock_set(company=book.company, locked_through=datetime.date(2026, 11, 1))
    good = book.item(0, 1001, "300.00")
    locked = dataclass_replace(_message(book, "50.00", None, "AP9"), date=datetime.date(2026, 10, 30))
    anomalies = services.incoming_payment_messages_apply(
        company=book.company, messages=[_message(book, "300.00", good.kid, "AP8"), locked], now=NOW
    )
    good.refresh_from_db()
    assert ([message_id for message_id, _ in anomalies], good.status) == (
        [locked.id],
        ledger_models.OpenItemStatus.SETTLED,
    )


def dataclass_replace(obj, **changes):
    import dataclasses

    return dataclasses.replace(obj, **changes)


@pytest.mark.django_db(transaction=True)
def test_an_import_killed_half_way_then_run_again_posts_every_payment_once(tmp_path):
    size = 40_000
    book = book_create(factoring_id="0;0")
    path = tmp_path / "big.txt"
    path.write_bytes(
        ocr([OcrPayment(amount=Decimal("10.00"), archive_reference=f"{n + 1:09d}") for n in range(size)])
    )
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('factoring_incomingimport', 'id'))")
        next_id = cursor.fetchone()[0] + 1
    process = subprocess.Popen(
        [sys.executable, "manage.py", "import_incoming", str(path), "--company", book.company.org_no],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        progress = services.import_progress(import_id=next_id) or {}
        if progress.get("imported", 0) >= 5000:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the import ended before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert models.IncomingPayment.objects.filter(company=book.company).count() == 0

    services.incoming_file_import(
        company=book.company, stream=path.open("rb"), filename="big.txt", user=None, now=NOW
    )
    assert (
        models.IncomingPayment.objects.filter(company=book.company).count(),
        ledger_selectors.vouchers_unbalanced(company=book.company).count(),
        sum(ledger_models.JournalLine.objects.filter(account=book.bank).values_list("amount", flat=True)),
    ) == (size, 0, Decimal("400000.00"))


@pytest.mark.django_db
def test_an_autopay_payment_with_a_mistyped_kid_goes_to_suspense_and_is_no_anomaly(
    book: Book,
):
    item = book.item(0, 1001, "300.00")
    last = int(item.kid[-1])
    mistyped = item.kid[:-1] + str((last + 1) % 10)
    message = _message(book, "300.00", mistyped, "AP9")
    anomalies = services.incoming_payment_messages_apply(company=book.company, messages=[message], now=NOW)
    payment = models.IncomingPayment.objects.get()
    item.refresh_from_db()
    # Kept as the bank sent it, naming nobody: the payment waits in suspense, the item stays open.
    assert anomalies == []
    assert (payment.kid, payment.result, payment.autopay_message_id) == (
        mistyped,
        models.Result.UNMATCHED,
        message.id,
    )
    assert item.status == ledger_models.OpenItemStatus.OPEN


@pytest.mark.django_db
def test_a_reversal_in_the_same_page_as_its_payment_undoes_it(book: Book):
    item = book.item(0, 1001, "300.00")
    paid = _message(book, "300.00", item.kid, "AP1")
    reversed_ = _message(book, "-300.00", item.kid, "AP2")
    anomalies = services.incoming_payment_messages_apply(
        company=book.company, messages=[paid, reversed_], now=NOW
    )
    item.refresh_from_db()
    reversal = models.IncomingPayment.objects.get(autopay_message_id=reversed_.id)
    assert (anomalies, item.status, reversal.result) == (
        [],
        ledger_models.OpenItemStatus.OPEN,
        models.Result.REVERSED,
    )


@pytest.mark.django_db
def test_what_cannot_be_a_kid_is_read_as_the_message_and_the_payment_applied(book: Book):
    long_kid = "1" * 40
    odd = _message(book, "10.00", long_kid, "AP5")
    good = _message(book, "20.00", None, "AP6")
    anomalies = services.incoming_payment_messages_apply(company=book.company, messages=[odd, good], now=NOW)
    payment = models.IncomingPayment.objects.get(autopay_message_id=odd.id)
    assert (anomalies, payment.kid, payment.message) == ([], "", long_kid)
    assert models.IncomingPayment.objects.count() == 2


@pytest.mark.django_db
def test_a_value_too_long_for_its_column_is_an_anomaly_and_the_rest_of_the_page_is_applied(book: Book):
    item = book.item(0, 1001, "300.00")
    odd = _message(book, "10.00", None, "R" * 60)
    good = _message(book, "300.00", item.kid, "AP8")
    anomalies = services.incoming_payment_messages_apply(company=book.company, messages=[odd, good], now=NOW)
    item.refresh_from_db()
    assert [message_id for message_id, _reason in anomalies] == [odd.id]
    assert models.IncomingPayment.objects.get().autopay_message_id == good.id
    assert item.status == ledger_models.OpenItemStatus.SETTLED


@pytest.mark.django_db
def test_a_reversal_undoes_the_payment_before_it_never_one_after_it_in_its_page(book: Book):
    first = book.item(0, 1001, "500.00")
    second = book.item(0, 1002, "500.00")

    def by_payer(amount: str, text: str, ref: str) -> autopay_messages.IncomingPaymentMessage:
        return dataclass_replace(_message(book, amount, None, ref), payer_account="12345678903", message=text)

    services.incoming_payment_messages_apply(
        company=book.company, messages=[by_payer("500.00", "Faktura 1001", "AP1")], now=NOW
    )
    # The reversal of that payment, then, in the same page, a payment of the same amount by the same payer.
    anomalies = services.incoming_payment_messages_apply(
        company=book.company,
        messages=[by_payer("-500.00", "", "AP2"), by_payer("500.00", "Faktura 1002", "AP3")],
        now=NOW,
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (anomalies, first.status, second.status) == (
        [],
        ledger_models.OpenItemStatus.OPEN,
        ledger_models.OpenItemStatus.SETTLED,
    )


@pytest.mark.django_db(transaction=True)
def test_the_same_file_imported_twice_at_once_is_taken_once_and_the_other_import_refused_not_stuck():
    # The second import starts while the first holds its payments uncommitted: the content check cannot see
    # the first yet, so the database's unique bank identity refuses the second once the first commits.
    book = book_create(factoring_id="0;0")
    data = ocr([OcrPayment(amount=Decimal("10.00"), archive_reference=f"{n + 1:09d}") for n in range(50)])
    first = services.incoming_file_queue(
        company=book.company, stream=io.BytesIO(data), filename="a.txt", user=None, now=NOW
    )
    second = models.IncomingImport.objects.create(
        company=book.company, filename="b.txt", content_hash="0" * 64, size=len(data), created_at=NOW
    )
    outcome: dict[str, object] = {}

    def run_second() -> None:
        try:
            services.incoming_file_import(
                company=book.company,
                stream=io.BytesIO(data),
                filename="b.txt",
                user=None,
                now=NOW,
                file_import=second,
            )
            outcome["second"] = "imported"
        except errors.FileRefused as exc:
            outcome["second"] = str(exc)
        except BaseException as exc:
            outcome["second"] = repr(exc)
            raise
        finally:
            connections.close_all()

    with transaction.atomic():
        services.incoming_file_import(
            company=book.company,
            stream=io.BytesIO(data),
            filename="a.txt",
            user=None,
            now=NOW,
            file_import=first,
        )
        thread = threading.Thread(target=run_second)
        thread.start()
        time.sleep(1.0)  # the second waits on the first's uncommitted rows
    thread.join(30)
    second.refresh_from_db()
    assert "Another import took some of these payments" in str(outcome.get("second"))
    assert second.status == models.ImportStatus.FAILED
    assert models.IncomingPayment.objects.filter(company=book.company).count() == 50
