"""The incoming-payments benchmark: an OCR Giro file of N payments imported through the real code path.

`manage.py bench incoming --size N --json PATH` on PostgreSQL (docs/benchmarks.md). A fresh company gets N
open customer invoices with KIDs; the file pays them (5 % unknown KIDs, 5 % partial, 2 % over, the rest in
full) and is imported with `incoming_file_import` (parse, interpret, post, reconcile, commit). The raw limit,
timed in the same run, is COPY of the same rows (vouchers, journal lines, reconciliations, incoming payments)
into the same tables, rolled back. Setup streams (COPY from generators), so peak RSS is the import's own.
"""

import array
import datetime
import resource
import tempfile
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from stdnum import luhn

from autopay_client import norwegian
from company import models as company_models
from factoring import models, services
from factoring.parsers.ocr_writer import OcrPayment, ocr_giro_write
from ledger import bench as bulk_bench
from ledger import bulk
from ledger import models as ledger_models
from ledger.bench import _org_no

_CUSTOMERS = 1_000


class _Rollback(Exception):
    pass


def _bank_account(company_id: int) -> str:
    """A valid account number of this run's own: a payment's identity is global, and runs must not meet."""
    for last in range(10):
        body = f"8601{company_id % 100_000:05d}{last}"
        check = norwegian.mod11_check_digit(body)
        if check is not None:
            return body + check
    raise RuntimeError("No account number for the benchmark company.")


def _kids(size: int) -> bytes:
    """The KIDs of the open items, 10 characters each, in one bytes object (flat in memory)."""
    return "".join(_kid(n) for n in range(size)).encode("ascii")


def _kid(n: int) -> str:
    body = f"{n + 1:09d}"
    return body + luhn.calc_check_digit(body)


def _amount(n: int) -> Decimal:
    return Decimal(10_000 + (n * 7_919) % 990_000).scaleb(-2)


def _paid(n: int) -> tuple[str, Decimal]:
    """The KID and amount of payment n: 5 % unknown KIDs, 5 % partial, 2 % over, the rest in full."""
    slot = n % 100
    if slot < 5:
        return _kid(n + 50_000_000), _amount(n)
    if slot < 10:
        return _kid(n), _amount(n) - Decimal("50.00")
    if slot < 12:
        return _kid(n), _amount(n) + Decimal("25.00")
    return _kid(n), _amount(n)


def incoming_bench(*, size: int, now: datetime.datetime) -> dict[str, Any]:
    """Measure importing an OCR Giro file of `size` payments, and the raw COPY limit for the same rows."""
    if connection.vendor != "postgresql":
        raise RuntimeError(
            "The incoming benchmark measures PostgreSQL COPY; run it with a PostgreSQL DATABASE_URL."
        )
    company, item_ids = _company_create(size=size, now=now)
    account = _bank_account(company.pk)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.ocr"
        with path.open("wb") as stream:
            ocr_giro_write(
                stream,
                account=account,
                date=now.date(),
                payments=(
                    OcrPayment(amount=amount, kid=kid, archive_reference=f"{n + 1:09d}")
                    for n, (kid, amount) in ((n, _paid(n)) for n in range(size))
                ),
            )
        file_bytes = path.stat().st_size
        cpu_before = bulk_bench.cpu_by_group()
        started = time.perf_counter()
        with path.open("rb") as stream:
            file_import = services.incoming_file_import(
                company=company, stream=stream, filename=path.name, user=None, now=now
            )
        seconds = time.perf_counter() - started
        cpu = bulk_bench.cpu_since(cpu_before)
    kids = _kids(size)
    limit_seconds = _copy_limit(company=company, item_ids=item_ids, kids=kids, size=size, now=now)
    results = dict(
        models.IncomingPayment.objects.filter(file_import=file_import)
        .values_list("result")
        .annotate(n=__import__("django.db.models", fromlist=["Count"]).Count("id"))
        .values_list("result", "n")
    )
    return {
        "scenario": "incoming",
        "size": size,
        "seconds": round(seconds, 3),
        "per_second": round(size / seconds, 1),
        "limit_seconds": round(limit_seconds, 3),
        "ratio_to_limit": round(seconds / limit_seconds, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "file_mb": round(file_bytes / 2**20, 1),
        "results": results,
        **cpu,
    }


def _company_create(*, size: int, now: datetime.datetime) -> tuple[company_models.Company, array.array]:
    with transaction.atomic():
        company = company_models.Company.objects.create(
            name=f"Benchmark incoming {now:%Y%m%d%H%M%S}", org_no=_org_no()
        )
        bank = ledger_models.Account.objects.create(
            company=company, number="1920", name="Bank", kind="asset", role=ledger_models.AccountRole.BANK
        )
        for number, name, kind, role in (
            ("1500", "Customer receivables", "asset", ledger_models.AccountRole.AR_CONTROL),
            ("2990", "Suspense", "liability", ledger_models.AccountRole.SUSPENSE),
            ("7790", "Payment differences", "expense", ledger_models.AccountRole.PAYMENT_DIFFERENCES),
        ):
            ledger_models.Account.objects.create(
                company=company, number=number, name=name, kind=kind, role=role
            )
        series = ledger_models.VoucherSeries.objects.create(company=company, code="I", name="Incoming")
        services.factoring_company_create(
            company=company,
            number=1,
            factoring_id="0;0",
            bank_account=_bank_account(company.pk),
            gl_account=bank,
            voucher_series=series,
            write_off_tolerance=Decimal("1.00"),
        )
        customers = [
            c.pk
            for c in ledger_models.Customer.objects.bulk_create(
                [
                    ledger_models.Customer(company=company, number=10_000 + n, name=f"Customer {n} AS")
                    for n in range(_CUSTOMERS)
                ]
            )
        ]
        item_ids = array.array("q", bulk.ids_reserve(table="ledger_openitem", count=size))
        date = now.date()
        with connection.cursor() as cursor:
            with cursor.copy(
                "COPY ledger_openitem (id, company_id, kind, customer_id, invoice_no, kid, currency, amount, "
                "remaining_amount, invoice_date, due_date, status, created_at) FROM STDIN"
            ) as copy:
                for n in range(size):
                    amount = _amount(n)
                    copy.write_row(
                        (
                            item_ids[n],
                            company.pk,
                            "customer",
                            customers[n % _CUSTOMERS],
                            str(n + 1),
                            _kid(n),
                            "NOK",
                            amount,
                            amount,
                            date,
                            date,
                            "open",
                            now,
                        )
                    )
            cursor.execute("ANALYZE ledger_openitem")
    return company, item_ids


def _copy_limit(
    *, company: company_models.Company, item_ids: array.array, kids: bytes, size: int, now: datetime.datetime
) -> float:
    """Time COPY of one voucher, its N + 1 lines, the reconciliations and the payments, then roll back."""
    definition = models.FactoringCompany.objects.get(company=company)
    receivables = ledger_models.Account.objects.get(
        company=company, role=ledger_models.AccountRole.AR_CONTROL
    )
    date = now.date()
    started = time.perf_counter()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            (voucher_id,) = bulk.ids_reserve(table="ledger_voucher", count=1)
            line_ids = array.array("q", bulk.ids_reserve(table="ledger_journalline", count=size + 1))
            with cursor.copy(
                "COPY ledger_voucher (id, company_id, series_id, number, date, description, posted_at) "
                "FROM STDIN"
            ) as copy:
                copy.write_row(
                    (voucher_id, company.pk, definition.voucher_series_id, 1_000_000, date, "", now)
                )
            total = sum((_paid_fast(n, kids)[1] for n in range(size)), Decimal(0))
            with cursor.copy(
                "COPY ledger_journalline (id, voucher_id, company_id, account_id, amount, currency, "
                "description, "
                "customer_id) FROM STDIN"
            ) as copy:
                copy.write_row(
                    (line_ids[0], voucher_id, company.pk, definition.gl_account_id, total, "NOK", "", None)
                )
                for n in range(size):
                    kid, amount = _paid_fast(n, kids)
                    copy.write_row(
                        (line_ids[n + 1], voucher_id, company.pk, receivables.pk, -amount, "NOK", kid, None)
                    )
            with cursor.copy(
                "COPY ledger_reconciliation (company_id, open_item_id, journal_line_id, amount, created_at) "
                "FROM STDIN"
            ) as copy:
                for n in _known(size):
                    copy.write_row(
                        (
                            company.pk,
                            item_ids[n],
                            line_ids[n + 1],
                            min(_paid_fast(n, kids)[1], _amount(n)),
                            now,
                        )
                    )
            with cursor.copy(
                "COPY factoring_incomingpayment (company_id, source, autopay_message_id, definition_id, "
                "credited_account, archive_reference, booking_date, value_date, amount, is_reversal, "
                "currency, kid, "
                "message, payer_account, payer_name, bank_transaction_type, result, rule, voucher_id, "
                "journal_line_id, credited_amount, difference_amount, allocation, created_at) FROM STDIN"
            ) as copy:
                for n in range(size):
                    kid, amount = _paid_fast(n, kids)
                    copy.write_row(
                        (
                            company.pk,
                            "autopay",
                            _uuid(n),
                            definition.pk,
                            definition.bank_account,
                            f"L{n + 1:09d}",
                            date,
                            date,
                            amount,
                            False,
                            "NOK",
                            kid,
                            "",
                            "",
                            "",
                            "10",
                            "matched",
                            "kid_item",
                            voucher_id,
                            line_ids[n + 1],
                            amount,
                            0,
                            "done",
                            now,
                        )
                    )
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            elapsed = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return elapsed


def _paid_fast(n: int, kids: bytes) -> tuple[str, Decimal]:
    """As `_paid`, with the KIDs sliced from `kids` (the limit must not pay for computing check digits)."""
    slot = n % 100
    amount = _amount(n)
    kid = kids[10 * n : 10 * n + 10].decode("ascii")
    if slot < 5:
        return "9" + kid[1:], amount
    if slot < 10:
        return kid, amount - Decimal("50.00")
    if slot < 12:
        return kid, amount + Decimal("25.00")
    return kid, amount


def _known(size: int) -> Iterator[int]:
    return (n for n in range(size) if n % 100 >= 5)


def _uuid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"
