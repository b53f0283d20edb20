"""Posting settled payment lines: one ledger batch, one balanced voucher per line, reconciled with its item.

Each voucher debits the accounts-payable control account with the supplier and credits the bank partner's GL
account, for the amount actually paid, on the value date; its payables line is reconciled against the open
supplier item (a line paid below its amount leaves the rest of the item open). The lines go to 6 Posted with
their voucher. Everything goes through the ledger's bulk services, in the caller's transaction.
"""

import dataclasses
import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from company import models as company_models
from ledger import errors as ledger_errors
from ledger import models as ledger_models
from ledger import services as ledger_services
from ledger import sqlarrays
from payments import models
from payments.services import errors
from payments.services import events as events_service

# The voucher series settlements are posted in; made for a company the first time it is needed.
SETTLEMENT_SERIES_CODE = "UTB"
SETTLEMENT_SERIES_NAME = _("Outgoing payments (AutoPay)")


class SettlementError(Exception):
    """A create-accounting-batch request that cannot be carried out; nothing was posted."""


@dataclasses.dataclass(frozen=True)
class SettlementResult:
    """The batch posted (None when nothing was), and the lines left in 5 Settled with the reason."""

    batch: ledger_models.Batch | None
    problems: list[tuple[int, str]]


@dataclasses.dataclass(frozen=True)
class _Line:
    id: int
    payment_id: int
    payment_number: int
    end_to_end_id: str
    supplier_id: int
    open_item_id: int
    # None: the item is not the company's (or not there).
    item_remaining: Decimal | None
    amount_paid: Decimal | None
    value_date: datetime.date | None
    gl_account_no: str
    currency: str


def settled_lines_post(
    *,
    company: company_models.Company,
    line_ids: Sequence[int],
    now: datetime.datetime,
    user_id: int | None = None,
) -> SettlementResult:
    """Post the settled lines (status 5) given; return the batch and the lines not posted, with the reason.

    A line that cannot be posted (no amount paid, more than the item's remainder, no payables or bank account,
    a locked period) stays in 5 Settled for the accountant's "create accounting batch"; the rest are posted in
    one batch and go to 6 Posted.

    :raises errors.LinesChangedMeanwhile: a line was posted by another transaction meanwhile.
    :raises django.db.DatabaseError: when the database refuses the writes.
    """
    with transaction.atomic():
        lines = _lines_load(company=company, line_ids=line_ids, status=models.LineStatus.SETTLED)
        posting = _lines_post(company=company, lines=lines, now=now, user_id=user_id)
        if posting.vouchers:
            posted = [line for line in lines if line.id in posting.vouchers]
            _lines_posted(lines=posted, voucher_ids=[posting.vouchers[line.id] for line in posted], now=now)
            events_service.events_write(company_id=company.pk, at=now, actor_id=user_id, rows=posting.events)
        return SettlementResult(batch=posting.batch, problems=posting.problems)


@dataclasses.dataclass(frozen=True)
class Settling:
    """A line reaching 5 Settled in the caller's transaction, with what AutoPay reported it paid.

    The caller has read the line already (its payment, supplier, item and bank partner's account), so that
    posting it needs no second read of the lines: only the items' remainders are read here.
    """

    id: int
    amount_paid: Decimal | None
    value_date: datetime.date | None
    payment_id: int
    payment_number: int
    end_to_end_id: str
    supplier_id: int
    open_item_id: int
    gl_account_no: str
    currency: str


@dataclasses.dataclass(frozen=True)
class Posting:
    """What `settling_lines_post` posted: the batch, each posted line's voucher, the problems, the events."""

    batch: ledger_models.Batch | None
    vouchers: dict[int, int]
    problems: list[tuple[int, str]]
    events: list[events_service.EventRow]


def settling_lines_post(
    *, company: company_models.Company, lines: Sequence[Settling], now: datetime.datetime
) -> Posting:
    """Post lines the caller is moving to 5 Settled in its transaction and has not written yet.

    The caller writes each line in `vouchers` as 6 Posted with its voucher (and the rest as 5 Settled) and
    writes the events, so that a line settled and posted in one page is written once. A line that cannot be
    posted is in `problems`, as for `settled_lines_post`.

    :raises django.db.DatabaseError: when the database refuses the writes.
    """
    remaining = _items_remaining(company=company, item_ids=[line.open_item_id for line in lines])
    loaded = [
        _Line(
            id=line.id,
            payment_id=line.payment_id,
            payment_number=line.payment_number,
            end_to_end_id=line.end_to_end_id,
            supplier_id=line.supplier_id,
            open_item_id=line.open_item_id,
            item_remaining=remaining.get(line.open_item_id),
            amount_paid=line.amount_paid,
            value_date=line.value_date,
            gl_account_no=line.gl_account_no,
            currency=line.currency,
        )
        for line in sorted(lines, key=lambda line: line.id)
    ]
    return _lines_post(company=company, lines=loaded, now=now, user_id=None)


def _items_remaining(*, company: company_models.Company, item_ids: Sequence[int]) -> dict[int, Decimal]:
    """Return the remainder of each of the company's open items given, by id."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # By primary key alone, the company checked here: with the company in the condition, PostgreSQL
            # may also scan the company's index of all its items (a bitmap AND) for every page.
            cursor.execute(
                "SELECT id, remaining_amount, company_id FROM ledger_openitem WHERE id = ANY(%s::bigint[])",
                [sqlarrays.ints(item_ids)],
            )
            return {row[0]: row[1] for row in cursor.fetchall() if row[2] == company.pk}
    return dict(
        ledger_models.OpenItem.objects.filter(company=company, pk__in=list(item_ids)).values_list(
            "id", "remaining_amount"
        )
    )


def _lines_post(
    *, company: company_models.Company, lines: Sequence[_Line], now: datetime.datetime, user_id: int | None
) -> Posting:
    """Post what can be posted of the lines in one batch (in a savepoint); the lines are not written here."""
    problems: list[tuple[int, str]] = []
    if not lines:
        return Posting(batch=None, vouchers={}, problems=problems, events=[])
    payables = (
        ledger_models.Account.objects.filter(company=company, role=ledger_models.AccountRole.AP_CONTROL)
        .values_list("id", flat=True)
        .first()
    )
    bank_accounts = dict(
        ledger_models.Account.objects.filter(
            company=company, number__in={line.gl_account_no for line in lines}, is_active=True
        ).values_list("number", "id")
    )
    postable: list[_Line] = []
    for line in lines:
        problem = _line_problem(line=line, payables=payables, bank_accounts=bank_accounts)
        if problem:
            problems.append((line.id, problem))
        else:
            postable.append(line)
    if not postable or payables is None:
        return Posting(batch=None, vouchers={}, problems=problems, events=[])
    try:
        with transaction.atomic():
            batch, voucher_ids = _post(
                company=company,
                lines=postable,
                payables=payables,
                bank_accounts=bank_accounts,
                now=now,
            )
    except ledger_errors.LedgerError as exc:
        problems.extend(
            (
                line.id,
                gettext("%(line)s: cannot post the settlement: %(reason)s")
                % {
                    "line": line.end_to_end_id,
                    "reason": exc,
                },
            )
            for line in postable
        )
        return Posting(batch=None, vouchers={}, problems=problems, events=[])
    events: list[events_service.EventRow] = [
        (
            line.payment_id,
            line.id,
            models.PaymentEventKind.POSTED,
            # Integers and an amount: JSON text with nothing to escape.
            events_service.EncodedJson(
                f'{{"from":5,"to":6,"voucher":{voucher_id:d},"batch":{batch.pk:d},"amount":"{line.amount_paid}"}}'
            ),
        )
        for line, voucher_id in zip(postable, voucher_ids, strict=True)
    ]
    vouchers = {line.id: voucher_id for line, voucher_id in zip(postable, voucher_ids, strict=True)}
    return Posting(batch=batch, vouchers=vouchers, problems=problems, events=events)


def _lines_load(*, company: company_models.Company, line_ids: Sequence[int], status: int) -> list[_Line]:
    """Return the company's lines given that are in `status`.

    Not locked: the lines' write moves only lines still in the status read and checks it moved them all.
    """
    rows: Iterable[Sequence[Any]]
    if connection.vendor == "postgresql":
        # One array parameter rather than a placeholder per id, and no ORM on the way back.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT l.id, l.payment_id, p.number, l.end_to_end_id, l.supplier_id, l.open_item_id, "
                "o.remaining_amount, l.amount_paid, l.value_date, b.gl_account_no, l.currency "
                "FROM payments_paymentline l JOIN payments_payment p ON p.id = l.payment_id "
                "JOIN company_bankpartner b ON b.id = p.bank_partner_id "
                "JOIN ledger_openitem o ON o.id = l.open_item_id "
                "WHERE l.company_id = %s AND l.id = ANY(%s::bigint[]) AND l.status = %s ORDER BY l.id",
                [company.pk, sqlarrays.ints(line_ids), status],
            )
            rows = cursor.fetchall()
    else:
        rows = (
            models.PaymentLine.objects.filter(company=company, pk__in=list(line_ids), status=status)
            .order_by("id")
            .values_list(
                "id",
                "payment_id",
                "payment__number",
                "end_to_end_id",
                "supplier_id",
                "open_item_id",
                "open_item__remaining_amount",
                "amount_paid",
                "value_date",
                "payment__bank_partner__gl_account_no",
                "currency",
            )
        )
    return [_Line(*row) for row in rows]


def _line_problem(*, line: _Line, payables: int | None, bank_accounts: dict[str, int]) -> str:
    """Why the line cannot be posted, in the language active (a user's on a page, the installation's in a
    worker, where it becomes the line's anomaly); empty when it can."""
    problem = ""
    if payables is None:
        problem = gettext("the company has no accounts-payable control account to post the settlement to")
    elif line.gl_account_no not in bank_accounts:
        problem = gettext("the bank partner's GL account %(account)s is not an active account") % {
            "account": line.gl_account_no or "-"
        }
    elif line.amount_paid is None or line.amount_paid <= 0:
        problem = gettext("AutoPay reported no amount paid: nothing to post")
    elif line.value_date is None:
        problem = gettext("AutoPay reported no value date")
    elif line.item_remaining is None:
        problem = gettext("its open item %(item)s is not one of the company's") % {"item": line.open_item_id}
    elif line.amount_paid > line.item_remaining:
        problem = gettext("paid %(paid)s, more than the item's remainder %(remaining)s") % {
            "paid": _amount(line.amount_paid),
            "remaining": _amount(line.item_remaining),
        }
    return f"{line.end_to_end_id}: {problem}" if problem else ""


def _amount(value: Decimal) -> str:
    return formats.number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)


def _post(
    *,
    company: company_models.Company,
    lines: Sequence[_Line],
    payables: int,
    bank_accounts: dict[str, int],
    now: datetime.datetime,
) -> tuple[ledger_models.Batch, list[int]]:
    series, _created = ledger_models.VoucherSeries.objects.get_or_create(
        company=company, code=SETTLEMENT_SERIES_CODE, defaults={"name": str(SETTLEMENT_SERIES_NAME)}
    )
    # Stored texts, in the language active when posting (the installation's in a worker, a user's on a page).
    at = formats.date_format(timezone.localtime(now), "SHORT_DATETIME_FORMAT")
    batch = ledger_services.batch_create(
        company=company,
        description=gettext("AutoPay settlement %(at)s") % {"at": at},
        source="settlement",
        now=now,
    )
    template = gettext("Payment %(number)s %(reference)s")
    vouchers = []
    for line in lines:
        # Both checked by _line_problem.
        assert line.amount_paid is not None
        assert line.value_date is not None
        text = template % {"number": line.payment_number, "reference": line.end_to_end_id}
        vouchers.append(
            ledger_services.VoucherSpec(
                date=line.value_date,
                description=text,
                lines=(
                    ledger_services.LineSpec(
                        account_id=payables,
                        amount=line.amount_paid,
                        supplier_id=line.supplier_id,
                        description=text,
                        currency=line.currency,
                    ),
                    ledger_services.LineSpec(
                        account_id=bank_accounts[line.gl_account_no],
                        amount=-line.amount_paid,
                        description=text,
                        currency=line.currency,
                    ),
                ),
            )
        )
    posted = ledger_services.vouchers_post_bulk_lines(
        company=company, series=series, batch=batch, vouchers=vouchers, now=now
    )
    ledger_services.reconciliations_create_bulk(
        company=company,
        items=[
            ledger_services.ReconciliationSpec(
                open_item_id=line.open_item_id,
                # The payables line is each voucher's first.
                journal_line_id=voucher.line_ids[0],
                amount=line.amount_paid,  # type: ignore[arg-type]  # checked by _line_problem
            )
            for line, voucher in zip(lines, posted, strict=True)
        ],
        now=now,
    )
    voucher_ids = [voucher.id for voucher in posted]
    return batch, voucher_ids


def _lines_posted(*, lines: Sequence[_Line], voucher_ids: Sequence[int], now: datetime.datetime) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE payments_paymentline AS l SET status = %s, voucher_id = v.voucher_id, "
                "posted_at = %s, "
                "status_changed_at = %s FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, voucher_id) "
                "WHERE l.id = v.id AND l.status = %s",
                [
                    models.LineStatus.POSTED.value,
                    now,
                    now,
                    [line.id for line in lines],
                    list(voucher_ids),
                    models.LineStatus.SETTLED.value,
                ],
            )
            if cursor.rowcount != len(lines):
                raise errors.LinesChangedMeanwhile(
                    f"{len(lines) - cursor.rowcount} lines were posted meanwhile"
                )
        return
    models.PaymentLine.objects.bulk_update(
        [
            models.PaymentLine(
                id=line.id, status=models.LineStatus.POSTED, voucher_id=voucher_id, posted_at=now,
                status_changed_at=now,
            )
            for line, voucher_id in zip(lines, voucher_ids, strict=True)
        ],
        ["status", "voucher_id", "posted_at", "status_changed_at"],
        batch_size=500,
    )  # fmt: skip


def payment_lines_batch_create(
    *,
    company: company_models.Company,
    lines: Sequence[models.PaymentLine] | Sequence[int],
    user: AbstractBaseUser | None,
    now: datetime.datetime,
) -> ledger_models.Batch:
    """Post the settled lines an accountant chose ("create accounting batch"); return the batch.

    :raises SettlementError: a line is not the company's, not in 5 Settled, or cannot be posted (nothing is
        posted then).
    """
    ids = sorted({line if isinstance(line, int) else line.pk for line in lines})
    if not ids:
        raise SettlementError(_("Choose at least one settled line."))
    with transaction.atomic():
        found = set(
            models.PaymentLine.objects.select_for_update(no_key=True)
            .filter(company=company, pk__in=ids, status=models.LineStatus.SETTLED)
            .values_list("id", flat=True)
        )
        missing = [line_id for line_id in ids if line_id not in found]
        if missing:
            raise SettlementError(
                _("Lines %(ids)s are not settled lines of this company waiting for an accounting batch.")
                % {"ids": ", ".join(str(i) for i in missing)}
            )
        result = settled_lines_post(company=company, line_ids=ids, now=now, user_id=user.pk if user else None)
        if result.problems or result.batch is None:
            # Raising rolls back what was posted: not one of them is posted unless all are.
            raise SettlementError("; ".join(reason for _line_id, reason in result.problems))
    return result.batch
