"""The ledger benchmark: N customer payments posted and reconciled through the bulk services, and raw COPY.

Run it with `manage.py bench ledger --size N --json PATH` on PostgreSQL (docs/benchmarks.md). Each run makes
its own fresh companies, so runs never disturb each other or other data.
"""

import dataclasses
import datetime
import os
import resource
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from stdnum.no import orgnr

from company import models as company_models
from ledger import bulk, models, selectors, services

_CUSTOMERS = 1_000
_SETUP_BATCH = 10_000


@dataclasses.dataclass(frozen=True)
class _Book:
    company: company_models.Company
    bank: models.Account
    receivables: models.Account
    series: models.VoucherSeries
    items: list[tuple[int, int, Decimal]]  # (open item id, customer id, amount)


class _Rollback(Exception):
    pass


def ledger_bench(*, size: int, now: datetime.datetime) -> dict[str, Any]:
    """Measure posting and reconciling `size` payments, and the raw COPY limit for the same rows.

    The limit is measured for a second fresh company, in a transaction that is rolled back (so that its
    open items stay consistent). Its deferred foreign-key checks are forced before the rollback, so it pays
    for them as the measured path does at commit; it does not pay for the commit's WAL flush.
    """
    if connection.vendor != "postgresql":
        raise RuntimeError(
            "The ledger benchmark measures PostgreSQL COPY; run it with a PostgreSQL DATABASE_URL."
        )
    date = now.date()
    book = _book_create(size=size, now=now, label="payments")
    vouchers = [
        services.VoucherSpec(
            date=date,
            lines=(
                services.LineSpec(account_id=book.bank.pk, amount=amount),
                services.LineSpec(account_id=book.receivables.pk, amount=-amount, customer_id=customer_id),
            ),
        )
        for _, customer_id, amount in book.items
    ]

    started = time.perf_counter()
    with transaction.atomic():
        batch = services.batch_create(
            company=book.company, description="Benchmark payments", source="bench", now=now
        )
        voucher_ids = services.vouchers_post_bulk(
            company=book.company, series=book.series, batch=batch, vouchers=vouchers, now=now
        )
        posted = time.perf_counter()
        line_of_voucher = dict(
            selectors.journal_lines_of_batch(batch=batch, account_id=book.receivables.pk)
            .order_by()
            .values_list("voucher_id", "id")
        )
        reconciliations = [
            services.ReconciliationSpec(
                open_item_id=item_id, journal_line_id=line_of_voucher[voucher_id], amount=amount
            )
            for voucher_id, (item_id, _, amount) in zip(voucher_ids, book.items, strict=True)
        ]
        services.reconciliations_create_bulk(company=book.company, items=reconciliations, now=now)
        reconciled = time.perf_counter()
    seconds = time.perf_counter() - started

    limit_book = _book_create(size=size, now=now, label="limit")
    limit_seconds = _copy_limit(book=limit_book, date=date, now=now)
    return {
        "scenario": "ledger",
        "size": size,
        "seconds": round(seconds, 3),
        "per_second": round(size / seconds, 1),
        "limit_seconds": round(limit_seconds, 3),
        "ratio_to_limit": round(seconds / limit_seconds, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "post_seconds": round(posted - started, 3),
        "reconcile_seconds": round(reconciled - posted, 3),
        "commit_seconds": round(started + seconds - reconciled, 3),
    }


def _copy_limit(*, book: _Book, date: datetime.date, now: datetime.datetime) -> float:
    """Time COPY of the same vouchers, lines and reconciliations (ids reserved first), then roll back."""
    size = len(book.items)
    started = time.perf_counter()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            voucher_ids = bulk.ids_reserve(table="ledger_voucher", count=size)
            line_ids = bulk.ids_reserve(table="ledger_journalline", count=2 * size)
            with cursor.copy(
                "COPY ledger_voucher (id, company_id, series_id, number, date, description, posted_at) "
                "FROM STDIN"
            ) as copy:
                for number, voucher_id in enumerate(voucher_ids, start=1):
                    copy.write_row((voucher_id, book.company.pk, book.series.pk, number, date, "", now))
            with cursor.copy(
                "COPY ledger_journalline (id, voucher_id, company_id, account_id, amount, currency, "
                "description, customer_id) FROM STDIN"
            ) as copy:
                for index, (voucher_id, (_, customer_id, amount)) in enumerate(
                    zip(voucher_ids, book.items, strict=True)
                ):
                    copy.write_row(
                        (
                            line_ids[2 * index],
                            voucher_id,
                            book.company.pk,
                            book.bank.pk,
                            amount,
                            "NOK",
                            "",
                            None,
                        )
                    )
                    copy.write_row(
                        (
                            line_ids[2 * index + 1],
                            voucher_id,
                            book.company.pk,
                            book.receivables.pk,
                            -amount,
                            "NOK",
                            "",
                            customer_id,
                        )
                    )
            with cursor.copy(
                "COPY ledger_reconciliation (company_id, open_item_id, journal_line_id, amount, created_at) "
                "FROM STDIN"
            ) as copy:
                for index, (item_id, _, amount) in enumerate(book.items):
                    copy.write_row((book.company.pk, item_id, line_ids[2 * index + 1], amount, now))
            # Foreign keys are deferred to commit; check them now so that the limit pays for them as well.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            elapsed = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return elapsed


def _book_create(*, size: int, now: datetime.datetime, label: str) -> _Book:
    """Make a fresh company with a bank and a receivables account, customers and `size` open invoices."""
    with transaction.atomic():
        company = company_models.Company.objects.create(
            name=f"Benchmark {label} {now:%Y%m%d%H%M%S}", org_no=_org_no()
        )
        bank = models.Account.objects.create(
            company=company,
            number="1920",
            name="Bank",
            kind=models.AccountKind.ASSET,
            role=models.AccountRole.BANK,
        )
        receivables = models.Account.objects.create(
            company=company,
            number="1500",
            name="Customer receivables",
            kind=models.AccountKind.ASSET,
            role=models.AccountRole.AR_CONTROL,
        )
        series = models.VoucherSeries.objects.create(company=company, code="P", name="Payments")
        customers = models.Customer.objects.bulk_create(
            [
                models.Customer(company=company, number=10_000 + n, name=f"Customer {n} AS")
                for n in range(min(size, _CUSTOMERS))
            ]
        )
        items = models.OpenItem.objects.bulk_create(
            [
                models.OpenItem(
                    company=company,
                    kind=models.OpenItemKind.CUSTOMER,
                    customer=customers[n % len(customers)],
                    invoice_no=str(n + 1),
                    amount=_amount(n),
                    remaining_amount=_amount(n),
                    invoice_date=now.date(),
                    due_date=now.date(),
                    status=models.OpenItemStatus.OPEN,
                )
                for n in range(size)
            ],
            batch_size=_SETUP_BATCH,
        )
    return _Book(
        company=company,
        bank=bank,
        receivables=receivables,
        series=series,
        items=[(item.pk, item.customer_id, item.amount) for item in items if item.customer_id is not None],
    )


def _amount(n: int) -> Decimal:
    return Decimal(10_000 + (n * 7_919) % 990_000).scaleb(-2)


def _org_no() -> str:
    taken = set(
        company_models.Company.objects.filter(org_no__startswith="8").values_list("org_no", flat=True)
    )
    for base in range(80_000_000, 90_000_000):
        for check in "0123456789":
            candidate = f"{base}{check}"
            if orgnr.is_valid(candidate) and candidate not in taken:
                return candidate
    raise RuntimeError("No free organisation number for a benchmark company.")


def cpu_by_group() -> dict[str, float]:
    """CPU seconds used so far by this process, the simulator's gunicorn, and PostgreSQL (Linux /proc).

    Where a benchmark's time goes on a machine whose cores the three share; empty where there is no /proc.
    """
    groups = {"self": 0.0, "simulator": 0.0, "database": 0.0}
    tick = os.sysconf("SC_CLK_TCK")
    own = os.getpid()
    try:
        pids = [entry for entry in os.listdir("/proc") if entry.isdigit()]
    except OSError:
        return {}
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        seconds = (int(fields[11]) + int(fields[12])) / tick
        if int(pid) == own:
            groups["self"] += seconds
        elif b"gunicorn" in cmdline and b"autopay_erp.wsgi" in cmdline:
            groups["simulator"] += seconds
        elif name.startswith("postgres") or cmdline.startswith(b"postgres"):
            groups["database"] += seconds
    return groups


def cpu_since(before: dict[str, float]) -> dict[str, float]:
    """The CPU seconds per group used since `before` (`cpu_by_group`), as fields `cpu_<group>_seconds`."""
    now = cpu_by_group()
    return {f"cpu_{name}_seconds": round(after - before.get(name, 0.0), 2) for name, after in now.items()}
