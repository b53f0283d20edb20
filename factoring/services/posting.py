"""Posting interpreted payments: one voucher per definition, value date and currency of a chunk, through the
ledger's bulk services, then the reconciliations of the items they pay, then the payments' own rows.

A voucher debits the definition's GL bank account with the day's total as the bank shows it (one line) and
credits, per payment, the receivables control account with its customer (or the suspense account when no
customer was found). A difference within the definition's write-off tolerance goes to the payment-differences
account and the item is closed. Reversals mirror the payment they undo (docs/incoming.md).
"""

import concurrent.futures
import dataclasses
import datetime
import uuid
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _
from psycopg import adapt
from psycopg._copy_base import format_row_text  # the C formatter `Copy.write_row` calls

from company import models as company_models
from factoring import errors, models
from factoring.parsers import ParsedPayment
from factoring.services import interpretation
from factoring.services.interpretation import Interpretation, ItemRow
from ledger import errors as ledger_errors
from ledger import models as ledger_models
from ledger import services as ledger_services
from ledger.money import ZERO

_COPY_BLOCK = 1 << 20
# One value of each type a payment's row holds, to make the COPY formatter's dumpers before it is handed on.
_PRIMING_ROW = (
    1,
    None,
    "text",
    models.Source.FILE,
    uuid.UUID(int=0),
    datetime.date(2000, 1, 1),
    datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC),
    Decimal("0.00"),
    True,
)
_PAYMENT_COLUMNS = (
    "company_id",
    "source",
    "file_import_id",
    "line_no",
    "autopay_message_id",
    "definition_id",
    "credited_account",
    "archive_reference",
    "booking_date",
    "value_date",
    "amount",
    "is_reversal",
    "currency",
    "kid",
    "message",
    "payer_account",
    "payer_name",
    "bank_transaction_type",
    "result",
    "rule",
    "customer_id",
    "open_item_id",
    "voucher_id",
    "journal_line_id",
    "credited_amount",
    "difference_amount",
    "reverses_id",
    "allocation",
    "allocated_at",
    "created_at",
)


@dataclasses.dataclass(frozen=True, slots=True)
class Accounts:
    """The company's control accounts a posting needs."""

    receivables_id: int
    suspense_id: int
    differences_id: int | None


def payments_take(
    *,
    company: company_models.Company,
    definitions: dict[str, models.FactoringCompany],
    payments: Sequence[ParsedPayment],
    accounts: Sequence[str],
    ledger_accounts: Accounts,
    batch: ledger_models.Batch,
    file_import: models.IncomingImport | None,
    message_ids: Sequence[uuid.UUID] | None,
    now: datetime.datetime,
) -> None:
    """Interpret and post a chunk of new payments (`payments_post`), in runs of payments and of reversals.

    Reversals are looked for among the payments already recorded, so each run of reversals is posted after the
    payments before it in the chunk of a file or page of AutoPay's feed, and before those after it: a reversal
    finds the payment it reverses in the same chunk, and never one that comes after it.

    :raises ledger_errors.LedgerError: as `payments_post`.
    """
    groups: list[list[int]] = []
    for index, payment in enumerate(payments):
        if groups and payments[groups[-1][0]].is_reversal == payment.is_reversal:
            groups[-1].append(index)
        else:
            groups.append([index])
    for group in groups:
        some = [payments[i] for i in group]
        keys = [accounts[i] for i in group]
        interpretations, items = interpretation.payments_interpret(
            company=company, definitions=definitions, payments=some, accounts=keys
        )
        payments_post(
            company=company,
            definitions=definitions,
            payments=some,
            accounts=keys,
            interpretations=interpretations,
            items=items,
            ledger_accounts=ledger_accounts,
            batch=batch,
            file_import=file_import,
            message_ids=None if message_ids is None else [message_ids[i] for i in group],
            now=now,
        )


def accounts_of(*, company: company_models.Company) -> Accounts:
    """Return the company's receivables, suspense and (if any) payment-differences accounts.

    :raises errors.FileRefused: the company has no receivables control or no suspense account.
    """
    roles = dict(
        ledger_models.Account.objects.filter(
            company=company,
            is_active=True,
            role__in=[
                ledger_models.AccountRole.AR_CONTROL,
                ledger_models.AccountRole.SUSPENSE,
                ledger_models.AccountRole.PAYMENT_DIFFERENCES,
            ],
        ).values_list("role", "id")
    )
    for role, label in (
        (ledger_models.AccountRole.AR_CONTROL, _("accounts receivable control")),
        (ledger_models.AccountRole.SUSPENSE, _("suspense")),
    ):
        if role not in roles:
            raise errors.FileRefused(
                _("%(company)s has no active %(role)s account; incoming payments cannot be posted.")
                % {"company": company, "role": label}
            )
    return Accounts(
        receivables_id=roles[ledger_models.AccountRole.AR_CONTROL],
        suspense_id=roles[ledger_models.AccountRole.SUSPENSE],
        differences_id=roles.get(ledger_models.AccountRole.PAYMENT_DIFFERENCES),
    )


@dataclasses.dataclass(slots=True)
class _Posting:
    result: str
    account_id: int
    customer_id: int | None
    credited: Decimal  # signed line amount on receivables/suspense: negative for a payment (a credit)
    difference: Decimal  # signed line amount on payment differences (0: none)
    reconcile: Decimal  # amount reconciled against the item (0: none)
    open_item_id: int | None
    reverses_id: int | None = None


def payments_post(
    *,
    company: company_models.Company,
    definitions: dict[str, models.FactoringCompany],
    payments: Sequence[ParsedPayment],
    accounts: Sequence[str],
    interpretations: Sequence[Interpretation],
    items: dict[int, ItemRow],
    ledger_accounts: Accounts,
    batch: ledger_models.Batch,
    file_import: models.IncomingImport | None,
    message_ids: Sequence[uuid.UUID] | None,
    now: datetime.datetime,
) -> dict[str, int]:
    """Post a chunk of new payments and record them; return how many of each result.

    Runs inside the caller's transaction.

    :raises ledger_errors.LedgerError: the ledger refuses a voucher (a locked period, an inactive account).
    """
    postings: list[_Posting] = []
    reversed_now: set[int] = set()
    for payment, key, found in zip(payments, accounts, interpretations, strict=True):
        definition = definitions[key]
        if payment.is_reversal:
            postings.append(_reversal(company, payment, key, ledger_accounts, reversed_now, now))
        else:
            postings.append(_payment(payment, definition, found, items, ledger_accounts))

    # The vouchers: one per definition, value date and currency.
    groups: dict[tuple[str, datetime.date, str], list[int]] = defaultdict(list)
    for index, (payment, key) in enumerate(zip(payments, accounts, strict=True)):
        groups[(key, payment.value_date, payment.currency)].append(index)
    main_line: list[int | None] = [None] * len(payments)
    voucher_of: list[int | None] = [None] * len(payments)
    by_series: dict[int, list[tuple[ledger_services.VoucherSpec, list[tuple[int, str]]]]] = defaultdict(list)
    for (key, date, currency), indexes in groups.items():
        definition = definitions[key]
        total = sum(
            (-payments[i].amount if payments[i].is_reversal else payments[i].amount for i in indexes), ZERO
        )
        lines: list[ledger_services.LineSpec] = []
        roles: list[tuple[int, str]] = []
        if total:
            lines.append(
                ledger_services.LineSpec(account_id=definition.gl_account_id, amount=total, currency=currency)
            )
            roles.append((-1, "bank"))
        for i in indexes:
            posting = postings[i]
            text = (payments[i].kid or payments[i].archive_reference)[:200]
            lines.append(
                ledger_services.LineSpec(
                    account_id=posting.account_id,
                    amount=posting.credited,
                    customer_id=posting.customer_id
                    if posting.account_id == ledger_accounts.receivables_id
                    else None,
                    currency=currency,
                    description=text,
                )
            )
            roles.append((i, "main"))
            if posting.difference:
                assert ledger_accounts.differences_id is not None
                lines.append(
                    ledger_services.LineSpec(
                        account_id=ledger_accounts.differences_id,
                        amount=posting.difference,
                        currency=currency,
                        description=text,
                    )
                )
                roles.append((i, "diff"))
        spec = ledger_services.VoucherSpec(
            date=date, lines=tuple(lines), description=_("Incoming payments %(date)s") % {"date": date}
        )
        by_series[definition.voucher_series_id].append((spec, roles))
    for series_id, specs in by_series.items():
        series = ledger_models.VoucherSeries.objects.get(pk=series_id)
        posted = ledger_services.vouchers_post_bulk_lines(
            company=company, series=series, batch=batch, vouchers=[spec for spec, _ in specs], now=now
        )
        for voucher, (_spec, roles) in zip(posted, specs, strict=True):
            for (index, role), line_id in zip(roles, voucher.line_ids, strict=True):
                if role == "main":
                    main_line[index] = line_id
                    voucher_of[index] = voucher.id

    reconciliations = [
        ledger_services.ReconciliationSpec(
            open_item_id=posting.open_item_id, journal_line_id=line_id, amount=posting.reconcile
        )
        for posting, line_id in zip(postings, main_line, strict=True)
        if posting.reconcile and posting.open_item_id is not None and line_id is not None
    ]

    def rows_build() -> tuple[dict[str, int], list[tuple[Any, ...]]]:
        counts: dict[str, int] = defaultdict(int)
        rows: list[tuple[Any, ...]] = []
        for index, (payment, key, found, posting) in enumerate(
            zip(payments, accounts, interpretations, postings, strict=True)
        ):
            counts[posting.result] += 1
            to_allocate = posting.result in (models.Result.UNMATCHED, models.Result.ON_ACCOUNT)
            rows.append(
                (
                    company.pk,
                    models.Source.FILE if file_import is not None else models.Source.AUTOPAY,
                    file_import.pk if file_import is not None else None,
                    payment.line_no if file_import is not None else None,
                    message_ids[index] if message_ids is not None else None,
                    definitions[key].pk,
                    key,
                    payment.archive_reference,
                    payment.booking_date,
                    payment.value_date,
                    payment.amount,
                    payment.is_reversal,
                    payment.currency,
                    payment.kid,
                    payment.message[:500],
                    payment.payer_account[:34],
                    payment.payer_name[:140],
                    payment.bank_transaction_type[:35],
                    posting.result,
                    found.rule if posting.reverses_id is None else models.Rule.REVERSAL,
                    posting.customer_id,
                    posting.open_item_id,
                    voucher_of[index],
                    main_line[index],
                    -posting.credited,
                    posting.difference,
                    posting.reverses_id,
                    models.AllocationState.OPEN if to_allocate else models.AllocationState.DONE,
                    None if to_allocate else now,
                    now,
                )
            )
        return dict(counts), rows

    if connection.vendor != "postgresql":
        ledger_services.reconciliations_create_bulk(company=company, items=reconciliations, now=now)
        counts, rows = rows_build()
        _rows_insert(rows)
        return counts
    # The payments' rows are built and formatted for COPY by a thread of their own while PostgreSQL
    # reconciles (this thread waits for it with the GIL released); they need nothing the reconciling changes.
    # The formatter's dumpers are made here first, on this thread: making one may read the connection's
    # settings, which the other thread must not do while this one talks to the server.
    transformer = adapt.Transformer(connection.connection)
    format_row_text(_PRIMING_ROW, transformer, bytearray())

    def rows_format() -> tuple[dict[str, int], bytearray]:
        counts, rows = rows_build()
        data = bytearray()
        for row in rows:
            format_row_text(row, transformer, data)
        return counts, data

    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="payment-rows") as pool:
        formatted = pool.submit(rows_format)
        try:
            ledger_services.reconciliations_create_bulk(company=company, items=reconciliations, now=now)
        except BaseException:
            concurrent.futures.wait([formatted])  # the reconciling's error is the one to raise
            raise
        counts, data = formatted.result()
    _rows_copy(data)
    return counts


def _payment(
    payment: ParsedPayment,
    definition: models.FactoringCompany,
    found: Interpretation,
    items: dict[int, ItemRow],
    accounts: Accounts,
) -> _Posting:
    amount = payment.amount
    if found.customer_id is None:
        return _Posting(models.Result.UNMATCHED, accounts.suspense_id, None, -amount, ZERO, ZERO, None)
    item = items.get(found.open_item_id) if found.open_item_id is not None else None
    if item is None or item.remaining <= 0 or item.currency != payment.currency:
        return _Posting(
            models.Result.ON_ACCOUNT, accounts.receivables_id, found.customer_id, -amount, ZERO, ZERO, None
        )
    left = item.remaining
    difference = left - amount
    tolerance = definition.write_off_tolerance if accounts.differences_id is not None else ZERO
    if difference == 0:
        posting = _Posting(
            models.Result.MATCHED, accounts.receivables_id, item.customer_id, -amount, ZERO, amount, item.id
        )
    elif abs(difference) <= tolerance:
        # Close the item: receivables credited with what was owed, the difference written off.
        posting = _Posting(
            models.Result.MATCHED, accounts.receivables_id, item.customer_id, -left, difference, left, item.id
        )
    elif difference > 0:
        posting = _Posting(
            models.Result.PARTIAL, accounts.receivables_id, item.customer_id, -amount, ZERO, amount, item.id
        )
    else:
        posting = _Posting(
            models.Result.OVER, accounts.receivables_id, item.customer_id, -amount, ZERO, amount, item.id
        )
    item.remaining = max(ZERO, left - posting.reconcile)
    return posting


def _reversal(
    company: company_models.Company,
    payment: ParsedPayment,
    key: str,
    accounts: Accounts,
    reversed_now: set[int],
    now: datetime.datetime,
) -> _Posting:
    """Find the payment `payment` reverses and mirror it, reopening what it paid; else debit suspense.

    A payment allocated by hand since (out of suspense, or off account, to invoices or a customer) has its
    allocations reversed first, their invoices reopened: the money goes back where the payment put it, and
    the reversal takes it from there, so that the books are as if neither had been.
    """
    candidates = models.IncomingPayment.objects.filter(
        company=company,
        credited_account=key,
        amount=payment.amount,
        is_reversal=False,
        reversed_by__isnull=True,
        value_date__lte=payment.value_date,
    ).exclude(pk__in=reversed_now)
    if payment.kid:
        candidates = candidates.filter(kid=payment.kid)
    elif payment.payer_account:
        candidates = candidates.filter(payer_account=payment.payer_account)
    elif payment.message:
        # OCR Giro type 20 (a terminal's reversal) names no KID and no payer, only the free text.
        candidates = candidates.filter(kid="", message=payment.message[:500])
    else:
        candidates = candidates.none()
    original = candidates.order_by("-value_date", "-id").first()
    if original is not None and original.journal_line_id is not None:
        try:
            with transaction.atomic():
                _allocations_reverse(original=original, date=payment.value_date, now=now)
                for reconciliation in ledger_models.Reconciliation.objects.filter(
                    journal_line_id=original.journal_line_id
                ).order_by("-id"):
                    ledger_services.reconciliation_undo(reconciliation=reconciliation)
        except (ledger_errors.ReconciliationError, ledger_errors.VoucherImmutable):
            # What it paid cannot be reopened (a credit item used since): the reversal goes to suspense.
            original = None
    if original is None:
        return _Posting(models.Result.UNMATCHED, accounts.suspense_id, None, payment.amount, ZERO, ZERO, None)
    reversed_now.add(original.pk)
    line = ledger_models.JournalLine.objects.values_list("account_id", "customer_id").get(
        pk=original.journal_line_id or 0
    )
    return _Posting(
        models.Result.REVERSED,
        line[0],
        line[1],
        original.credited_amount,
        -original.difference_amount,
        ZERO,
        original.open_item_id,
        reverses_id=original.pk,
    )


def _allocations_reverse(
    *, original: models.IncomingPayment, date: datetime.date, now: datetime.datetime
) -> None:
    """Reverse the vouchers that allocated `original` by hand, their invoices reopened first."""
    vouchers = [
        details["voucher"]
        for details in models.IncomingPaymentEvent.objects.filter(payment=original, kind="allocated")
        .order_by("-id")
        .values_list("details", flat=True)
        if isinstance(details, dict) and details.get("voucher")
    ]
    for voucher in ledger_models.Voucher.objects.filter(pk__in=vouchers, company_id=original.company_id):
        reconciliations = ledger_models.Reconciliation.objects.filter(journal_line__voucher=voucher)
        for reconciliation in reconciliations.order_by("-id"):
            ledger_services.reconciliation_undo(reconciliation=reconciliation)
        ledger_services.voucher_reverse(
            voucher=voucher,
            date=max(date, voucher.date),
            now=now,
            description=_("Reversal of the allocation of incoming payment %(id)s") % {"id": original.pk},
        )
        models.IncomingPaymentEvent.objects.create(
            payment=original, kind="allocation_reversed", at=now, details={"voucher": voucher.pk}
        )


def _rows_copy(data: bytearray) -> None:
    """COPY the payments' rows, formatted already as COPY text (PostgreSQL)."""
    if not data:
        return
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY factoring_incomingpayment ({', '.join(_PAYMENT_COLUMNS)}) FROM STDIN") as copy,
    ):
        view = memoryview(data)
        for start in range(0, len(data), _COPY_BLOCK):
            copy.write(view[start : start + _COPY_BLOCK])


def _rows_insert(rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    models.IncomingPayment.objects.bulk_create(
        [models.IncomingPayment(**dict(zip(_PAYMENT_COLUMNS, row, strict=True))) for row in rows],
        batch_size=500,
    )
