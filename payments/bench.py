"""The settlement benchmark: N paid lines polled from the simulator, applied, posted and reconciled.

`manage.py bench settlement --size N --json PATH` on PostgreSQL (docs/benchmarks.md). Setup, timed and
reported phase by phase: N open supplier items and their payments in a fresh company (as a proposal makes
them), the company registered and activated at the simulator, the payments uploaded as pain.001 through the
signed client, approved and paid in one bank day by the simulator's own commands. Timed: the poll of every
message through the real signed client against the running simulator (served by gunicorn on a free port this
benchmark starts, or at AUTOPAY_BASE_URL when set, which must share this database), applying the statuses,
posting and reconciling, commit included. The raw limit: COPY of the same rows (vouchers, journal lines,
reconciliations, applied-message ids) and one set-based UPDATE of the lines, in a transaction rolled back.

The poll itself lives in the top layer; the command hands it in (`company_poll`), so this module imports
nothing above payments. The simulator is reached over HTTP and through its management commands, by name.
"""

import contextlib
import dataclasses
import datetime
import os
import resource
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import override_settings
from django.utils import timezone
from stdnum.no import orgnr

from autopay_client import pain001
from company import activation, validators
from company import autopay as company_autopay
from company import models as company_models
from ledger import bench as bulk_bench
from ledger import bulk
from ledger import models as ledger_models
from payments import models

_SUPPLIERS = 1_000
_LINES_PER_PAYMENT = 1_000
_BATCH = 10_000


class _Rollback(Exception):
    pass


@dataclasses.dataclass
class _World:
    company: company_models.Company
    partner: company_models.BankPartner
    payments: list[models.Payment]


def settlement_bench(
    *, size: int, now: datetime.datetime, company_poll: Callable[..., Any]
) -> dict[str, Any]:
    """Measure polling, applying, posting and reconciling `size` paid lines, and the raw limit for them."""
    if connection.vendor != "postgresql":
        raise RuntimeError(
            "The settlement benchmark measures PostgreSQL COPY; run it with a PostgreSQL DATABASE_URL."
        )
    phases: dict[str, float] = {}
    today = timezone.localdate(now)

    started = time.perf_counter()
    world = _world_create(size=size, today=today, now=now)
    phases["proposal"] = time.perf_counter() - started

    with _simulator() as base_url, override_settings(AUTOPAY_BASE_URL=base_url, AUTOPAY_TIMEOUT_SECONDS=300):
        started = time.perf_counter()
        _activate(world=world, now=now)
        phases["activation"] = time.perf_counter() - started

        started = time.perf_counter()
        _upload(world=world, now=now)
        phases["upload"] = time.perf_counter() - started

        started = time.perf_counter()
        _approve(world=world)
        phases["approval"] = time.perf_counter() - started

        started = time.perf_counter()
        _sim("autopay_sim_bank", "--run-day", "--date", today.isoformat())
        phases["bank_day"] = time.perf_counter() - started

        cpu_before = bulk_bench.cpu_by_group()
        started = time.perf_counter()
        result = company_poll(company=world.company, clock=timezone.now)
        seconds = time.perf_counter() - started
        cpu = bulk_bench.cpu_since(cpu_before)
    if not result.ok:
        raise RuntimeError(f"The poll did not reach the end of the feed: {result.error}")
    posted = models.PaymentLine.objects.filter(
        company=world.company, phase=models.LinePhase.POSTED, status=models.LineStatus.POSTED
    ).count()
    if posted != size:
        raise RuntimeError(f"{posted} of {size} lines were posted.")

    limit_seconds = _copy_limit(world=world, size=size, messages=result.messages_seen, today=today, now=now)
    rates = {f"{name}_per_second": round(size / max(value, 1e-9), 1) for name, value in phases.items()}
    return {
        "scenario": "settlement",
        "size": size,
        "seconds": round(seconds, 3),
        "per_second": round(size / seconds, 1),
        "limit_seconds": round(limit_seconds, 3),
        "ratio_to_limit": round(seconds / limit_seconds, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "messages": result.messages_seen,
        "messages_per_second": round(result.messages_seen / seconds, 1),
        "pages": result.pages,
        "feed_wait_seconds": round(result.wait_seconds, 3),
        **{f"setup_{name}_seconds": round(value, 3) for name, value in phases.items()},
        **{f"setup_{name}": value for name, value in rates.items()},
        **cpu,
    }


def _account_no(n: int, prefix: str) -> str:
    for last in range(10):
        base = f"{prefix}{n % 100_000:05d}{last}"
        check = validators.mod11_check_digit(base)
        if check is not None:
            return base + check
    raise RuntimeError("No valid account number.")


def _org_no() -> str:
    taken = set(
        company_models.Company.objects.filter(org_no__startswith="7").values_list("org_no", flat=True)
    )
    for base in range(70_000_000, 80_000_000):
        for check in "0123456789":
            candidate = f"{base}{check}"
            if orgnr.is_valid(candidate) and candidate not in taken:
                return candidate
    raise RuntimeError("No free organisation number for a benchmark company.")


def _amount(n: int) -> Decimal:
    return Decimal(10_000 + (n * 7_919) % 990_000).scaleb(-2)


def _world_create(*, size: int, today: datetime.date, now: datetime.datetime) -> _World:
    """A fresh company with `size` open supplier items and payments of up to 1000 lines paying them."""
    with transaction.atomic():
        org_no = _org_no()
        company = company_models.Company.objects.create(
            name=f"Benchmark settlement {now:%Y%m%d%H%M%S}", org_no=org_no
        )
        partner = company_models.BankPartner.objects.create(
            company=company,
            name="DNB",
            bank_account=_account_no(int(org_no[-5:]), "1503"),
            gl_account_no="1920",
            ebf_post_settlement=True,
        )
        ledger_models.Account.objects.create(
            company=company,
            number="1920",
            name="Bank",
            kind=ledger_models.AccountKind.ASSET,
            role=ledger_models.AccountRole.BANK,
        )
        ledger_models.Account.objects.create(
            company=company,
            number="2400",
            name="Leverandørgjeld",
            kind=ledger_models.AccountKind.LIABILITY,
            role=ledger_models.AccountRole.AP_CONTROL,
        )
        suppliers = ledger_models.Supplier.objects.bulk_create(
            [
                ledger_models.Supplier(
                    company=company,
                    number=20_000 + n,
                    name=f"Supplier {n} AS",
                    bank_account=_account_no(n, "1206"),
                )
                for n in range(min(size, _SUPPLIERS))
            ]
        )
        # A payment at a time (its items, then its lines), so that memory stays flat whatever N.
        payments = []
        for number, start in enumerate(range(0, size, _LINES_PER_PAYMENT), start=1):
            span = range(start, min(size, start + _LINES_PER_PAYMENT))
            items = ledger_models.OpenItem.objects.bulk_create(
                [
                    ledger_models.OpenItem(
                        company=company,
                        kind=ledger_models.OpenItemKind.SUPPLIER,
                        supplier=suppliers[n % len(suppliers)],
                        invoice_no=str(n + 1),
                        amount=_amount(n),
                        remaining_amount=_amount(n),
                        invoice_date=today,
                        due_date=today,
                        status=ledger_models.OpenItemStatus.OPEN,
                    )
                    for n in span
                ]
            )
            payment = models.Payment.objects.create(
                company=company,
                number=number,
                bank_partner=partner,
                payment_date=today,
                total=sum((item.amount for item in items), Decimal(0)),
                created_at=now,
            )
            payments.append(payment)
            models.PaymentLine.objects.bulk_create(
                [
                    models.PaymentLine(
                        payment=payment,
                        company=company,
                        open_item=item,
                        supplier=suppliers[n % len(suppliers)],
                        amount=item.amount,
                        creditor_account=suppliers[n % len(suppliers)].bank_account,
                        message=item.invoice_no,
                        end_to_end_id=f"{payment.number}-{n - start + 1}",
                    )
                    for n, item in zip(span, items, strict=True)
                ]
            )
        models.PaymentNumberSeries.objects.create(company=company, next_number=len(payments) + 1)
    return _World(company=company, partner=partner, payments=payments)


def _activate(*, world: _World, now: datetime.datetime) -> None:
    out = _sim(
        "autopay_sim_company",
        "--org-no",
        world.company.org_no,
        "--name",
        world.company.name,
        "--account",
        world.partner.bank_account,
        "--two-factor",
        "none",
        "--two-factor-required",
        "no",
    )
    code = out.strip().removeprefix("activation_code: ")
    activation.company_autopay_activate(
        company=world.company, activation_code=code, now=now, server_operator=True
    )
    world.company.refresh_from_db()


def _upload(*, world: _World, now: datetime.datetime) -> None:
    with company_autopay.autopay_client_for(company=world.company, timeout=300) as client:
        for payment in world.payments:
            lines = payment.lines.order_by("id").values_list(
                "end_to_end_id", "amount", "creditor_account", "message"
            )
            document = pain001.build_pain001(
                pain001.PaymentDocument(
                    org_no=world.company.org_no,
                    payment_id=f"{world.company.org_no}-{payment.number}",
                    debtor_account=world.partner.bank_account,
                    execution_date=payment.payment_date,
                    created_at=now,
                    debtor_name=world.company.name,
                    lines=[
                        pain001.PaymentLine(
                            end_to_end_id=e2e,
                            amount=amount,
                            creditor_name="Supplier",
                            creditor_account=account,
                            message=message,
                        )
                        for e2e, amount, account, message in lines
                    ],
                )
            )
            receipt = client.upload_payment(document)
            models.Payment.objects.filter(pk=payment.pk).update(
                status=models.PaymentStatus.TRANSFERRED,
                autopay_reference=receipt.reference,
                transferred_at=now,
            )
    models.PaymentLine.objects.filter(company=world.company).update(status=models.LineStatus.TRANSFERRED)


def _approve(*, world: _World) -> None:
    username = f"bench-approver-{world.company.org_no}"
    get_user_model().objects.get_or_create(username=username)
    _sim("autopay_sim_member", "--org-no", world.company.org_no, "--user", username)
    _sim("autopay_sim_approve", "--org-no", world.company.org_no, "--user", username, "--all")


def _database_env() -> dict[str, str]:
    """The environment of a process of this project on this very database (the simulator's side)."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "autopay_erp.settings.local"),
    }


def _sim(command: str, *args: str) -> str:
    """Run one of the simulator's commands in its own process (its memory is not this benchmark's)."""
    done = subprocess.run(  # noqa: S603 - our own manage.py, arguments of our own
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), command, *args],
        env=_database_env(),
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{command} failed: {done.stderr.strip()[-500:]}")
    return done.stdout


@contextlib.contextmanager
def _simulator() -> Iterator[str]:
    """Yield the simulator's base URL: AUTOPAY_BASE_URL when set, else gunicorn started on a free port."""
    given = os.environ.get("AUTOPAY_BASE_URL")
    if given:
        yield given
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn, arguments of our own
        [
            gunicorn,
            "autopay_erp.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--worker-class",
            "gthread",
            "--threads",
            "2",
            "--timeout",
            "300",
            "--log-level",
            "warning",
        ],
        cwd=settings.BASE_DIR,
        env=_database_env(),
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/autopay/", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("The simulator under gunicorn did not start.") from None
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/autopay"
    finally:
        server.terminate()
        server.wait(timeout=30)


def _copy_limit(
    *, world: _World, size: int, messages: int, today: datetime.date, now: datetime.datetime
) -> float:
    """Time COPY of the same vouchers, lines, reconciliations and message ids, and one UPDATE of the lines."""
    company = world.company
    supplier_id = ledger_models.Supplier.objects.filter(company=company).values_list("id", flat=True)[0]
    with transaction.atomic():
        series = ledger_models.VoucherSeries.objects.create(company=company, code="LIMIT", name="Limit")
        for start in range(0, size, _BATCH):
            ledger_models.OpenItem.objects.bulk_create(
                [
                    ledger_models.OpenItem(
                        company=company,
                        kind=ledger_models.OpenItemKind.SUPPLIER,
                        supplier_id=supplier_id,
                        invoice_no=f"L{n + 1}",
                        amount=_amount(n),
                        remaining_amount=_amount(n),
                        invoice_date=today,
                        due_date=today,
                        status=ledger_models.OpenItemStatus.OPEN,
                    )
                    for n in range(start, min(size, start + _BATCH))
                ]
            )
    limit_items = list(
        ledger_models.OpenItem.objects.filter(company=company, invoice_no__startswith="L")
        .order_by("id")
        .values_list("id", "amount")
    )
    payables = ledger_models.Account.objects.get(company=company, number="2400").pk
    bank_account = ledger_models.Account.objects.get(company=company, number="1920").pk
    payment_lines = list(
        models.PaymentLine.objects.filter(company=company).order_by("id").values_list("id", flat=True)
    )
    if len(payment_lines) != size:
        raise RuntimeError(f"{len(payment_lines)} lines for {size} vouchers.")
    started = time.perf_counter()
    elapsed = 0.0
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            voucher_ids = bulk.ids_reserve(table="ledger_voucher", count=size)
            line_ids = bulk.ids_reserve(table="ledger_journalline", count=2 * size)
            with cursor.copy(
                "COPY ledger_voucher (id, company_id, series_id, number, date, description, posted_at) "
                "FROM STDIN"
            ) as copy:
                for number, voucher_id in enumerate(voucher_ids, start=1):
                    copy.write_row((voucher_id, company.pk, series.pk, number, today, "", now))
            with cursor.copy(
                "COPY ledger_journalline (id, voucher_id, company_id, account_id, amount, currency, "
                "description, "
                "supplier_id) FROM STDIN"
            ) as copy:
                for index, (voucher_id, (_item_id, amount)) in enumerate(
                    zip(voucher_ids, limit_items, strict=True)
                ):
                    copy.write_row(
                        (
                            line_ids[2 * index],
                            voucher_id,
                            company.pk,
                            payables,
                            amount,
                            "NOK",
                            "",
                            supplier_id,
                        )
                    )
                    copy.write_row(
                        (
                            line_ids[2 * index + 1],
                            voucher_id,
                            company.pk,
                            bank_account,
                            -amount,
                            "NOK",
                            "",
                            None,
                        )
                    )
            with cursor.copy(
                "COPY ledger_reconciliation (company_id, open_item_id, journal_line_id, amount, created_at) "
                "FROM STDIN"
            ) as copy:
                for index, (item_id, amount) in enumerate(limit_items):
                    copy.write_row((company.pk, item_id, line_ids[2 * index], amount, now))
            with cursor.copy(
                "COPY autopay_erp_appliedmessage (message_id, company_id, seq, type, applied_at) FROM STDIN"
            ) as copy:
                for seq in range(messages):
                    copy.write_row((uuid.uuid4(), company.pk, seq + 1, "line_status", now))
            # Each line to 6 Posted with one of the vouchers just written, as the poll writes a posted
            # line: its voucher changes an indexed value, so that this cannot be a heap-only update of the
            # lines the poll has left in 6 Posted already.
            cursor.execute(
                "UPDATE payments_paymentline AS l SET status = %s, voucher_id = v.voucher_id, "
                "posted_at = %s, status_changed_at = %s "
                "FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, voucher_id) WHERE l.id = v.id",
                [models.LineStatus.POSTED.value, now, now, payment_lines, voucher_ids],
            )
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            elapsed = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return elapsed
