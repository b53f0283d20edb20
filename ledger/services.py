"""Writes to the ledger: batches, postings, reversals, reconciliations and period locks.

Every function here runs in one transaction: it writes everything or nothing. PostgreSQL enforces the same
invariants with constraints and triggers (docs/ledger.md); the checks here come first so that the caller gets
a clear `ledger.errors` exception rather than a database error.
"""

import dataclasses
import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, NoReturn

from django.db import IntegrityError, connection, transaction
from django.db.models import F, ProtectedError, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import formats
from django.utils.translation import gettext

from company import models as company_models
from ledger import bulk, errors, models, rules, selectors, specs, sqlarrays
from ledger.money import ZERO, round_money

LineSpec = specs.LineSpec
VoucherSpec = specs.VoucherSpec
ReconciliationSpec = specs.ReconciliationSpec

_DB_MESSAGES: list[tuple[str, type[errors.LedgerError]]] = [
    ("does not balance", errors.UnbalancedVoucher),
    ("in a period locked", errors.PeriodLocked),
    ("cannot be changed", errors.VoucherImmutable),
    ("openitem_remaining_within_amount", errors.ReconciliationError),
]


def batch_create(
    *, company: company_models.Company, description: str, source: str, now: datetime.datetime
) -> models.Batch:
    """Open a journal batch for the vouchers one posting run writes."""
    with transaction.atomic():
        return models.Batch.objects.create(
            company=company, description=description, source=source, created_at=now
        )


def open_item_create(
    *,
    company: company_models.Company,
    kind: str,
    customer: models.Customer | None = None,
    supplier: models.Supplier | None = None,
    invoice_no: str,
    kid: str,
    currency: str,
    amount: Decimal,
    invoice_date: datetime.date | None,
    due_date: datetime.date | None,
) -> models.OpenItem:
    """Record an invoice or credit item of `company`: it starts open, with its whole amount remaining.

    A customer item names a customer and no supplier, a supplier item the other way round.

    :raises errors.LedgerError: a zero or fractional-øre amount, a party that does not fit `kind`, a party
        of another company, a currency that is not an upper-case ISO 4217 code, a due date before the invoice
        date (ledger.rules.open_item_problem).
    """
    _money_check(amount, what="open item amount", error=errors.LedgerError)
    problem = rules.open_item_problem(
        company_id=company.pk,
        kind=kind,
        customer=customer,
        supplier=supplier,
        kid=kid,
        amount=amount,
        currency=currency,
        invoice_date=invoice_date,
        due_date=due_date,
    )
    if problem:
        raise errors.LedgerError(problem)
    with transaction.atomic():
        return models.OpenItem.objects.create(
            company=company,
            kind=kind,
            customer=customer,
            supplier=supplier,
            invoice_no=invoice_no,
            kid=kid,
            currency=currency,
            amount=amount,
            remaining_amount=amount,
            status=models.OpenItemStatus.OPEN,
            invoice_date=invoice_date,
            due_date=due_date,
        )


def open_item_payment_block_set(
    *, open_item: models.OpenItem, blocked: bool, reason: str = ""
) -> models.OpenItem:
    """Block a supplier item from payment proposals with a reason, or lift the block (the reason is cleared).

    :raises errors.LedgerError: a block without a reason, or a block on a customer item.
    """
    reason = reason.strip()
    if blocked and not reason:
        raise errors.LedgerError(gettext("A payment block needs a reason."))
    if blocked and open_item.kind != models.OpenItemKind.SUPPLIER:
        raise errors.LedgerError(gettext("Only a supplier item can be blocked for payment."))
    with transaction.atomic():
        item = models.OpenItem.objects.select_for_update(of=("self",)).get(pk=open_item.pk)
        item.payment_blocked = blocked
        item.payment_block_reason = reason if blocked else ""
        item.save(update_fields=["payment_blocked", "payment_block_reason"])
        return item


def period_lock_set(*, company: company_models.Company, locked_through: datetime.date) -> models.PeriodLock:
    """Refuse from now on postings for `company` dated on or before `locked_through`."""
    with transaction.atomic():
        lock, _ = models.PeriodLock.objects.update_or_create(
            company=company, defaults={"locked_through": locked_through}
        )
        return lock


def voucher_post(
    *,
    company: company_models.Company,
    series: models.VoucherSeries,
    date: datetime.date,
    lines: Sequence[LineSpec],
    description: str = "",
    batch: models.Batch | None = None,
    now: datetime.datetime,
) -> models.Voucher:
    """Post one voucher with its lines under the next number of `series`.

    :raises errors.UnbalancedVoucher: fewer than two lines, a zero or fractional-øre amount, or lines that do
        not sum to exactly zero.
    :raises errors.PeriodLocked: `date` is on or before the company's locked-through date.
    :raises errors.LedgerError: the series, batch, an account or a party belongs to another company.
    """
    spec = VoucherSpec(date=date, lines=tuple(lines), description=description)
    try:
        with transaction.atomic():
            return _voucher_write(
                company=company, series=series, batch=batch, spec=spec, now=now, reverses=None
            )
    except IntegrityError as exc:
        _raise_translated(exc)


def vouchers_post_bulk(
    *,
    company: company_models.Company,
    series: models.VoucherSeries,
    batch: models.Batch | None,
    vouchers: Sequence[VoucherSpec],
    now: datetime.datetime,
) -> list[int]:
    """Post many vouchers at once (COPY on PostgreSQL) under consecutive numbers; return their ids in order.

    :raises errors.UnbalancedVoucher: as `voucher_post`, for any of the vouchers (then none is written).
    :raises errors.PeriodLocked: any voucher is dated in a locked period.
    :raises errors.LedgerError: the series, batch, an account or a party belongs to another company.
    """
    return [
        posted.id
        for posted in vouchers_post_bulk_lines(
            company=company, series=series, batch=batch, vouchers=vouchers, now=now
        )
    ]


@dataclasses.dataclass(frozen=True)
class PostedVoucher:
    """A voucher `vouchers_post_bulk_lines` posted: its id and its lines' ids, in the order of its spec."""

    id: int
    line_ids: tuple[int, ...]


def vouchers_post_bulk_lines(
    *,
    company: company_models.Company,
    series: models.VoucherSeries,
    batch: models.Batch | None,
    vouchers: Sequence[VoucherSpec],
    now: datetime.datetime,
) -> list[PostedVoucher]:
    """As `vouchers_post_bulk`, and name each voucher's lines: a caller reconciling them needs no lookup.

    :raises: as `vouchers_post_bulk`.
    """
    if not vouchers:
        return []
    try:
        with transaction.atomic():
            _vouchers_check(company=company, batch=batch, vouchers=vouchers)
            first_number = _numbers_allocate(company=company, series=series, count=len(vouchers))
            write = bulk.vouchers_copy if bulk.is_postgresql() else bulk.vouchers_insert
            ids, line_ids = write(
                company_id=company.pk,
                series_id=series.pk,
                batch_id=batch.pk if batch is not None else None,
                first_number=first_number,
                vouchers=vouchers,
                now=now,
            )
    except IntegrityError as exc:
        _raise_translated(exc)
    posted = []
    start = 0
    for voucher_id, spec in zip(ids, vouchers, strict=True):
        end = start + len(spec.lines)
        posted.append(PostedVoucher(id=voucher_id, line_ids=tuple(line_ids[start:end])))
        start = end
    return posted


def voucher_reverse(
    *, voucher: models.Voucher, date: datetime.date, now: datetime.datetime, description: str = ""
) -> models.Voucher:
    """Post the mirror of `voucher` (every line negated) in the same series, dated `date`.

    An account deactivated since the original was posted does not stop the reversal: a reversal corrects
    history, so its accounts need only still be the company's.

    :raises errors.VoucherImmutable: the voucher is already reversed, or is itself a reversal.
    :raises errors.ReconciliationError: lines of the voucher are reconciled; undo those reconciliations first.
    :raises errors.PeriodLocked: `date` is in a locked period.
    """
    try:
        with transaction.atomic():
            original = models.Voucher.objects.select_for_update().select_related("series").get(pk=voucher.pk)
            label = f"{original.series.code}-{original.number}"
            if original.reverses_id is not None:
                raise errors.VoucherImmutable(
                    f"Voucher {label} is itself a reversal; post a new voucher instead."
                )
            reversal = models.Voucher.objects.filter(reverses=original).first()
            if reversal is not None:
                raise errors.VoucherImmutable(
                    f"Voucher {label} is already reversed by {original.series.code}-{reversal.number}."
                )
            # Locked as every reconciliation locks its lines before checking: a reconciliation of one of them
            # under way is committed before the check below, and none starts before this reversal commits.
            original_lines = list(original.lines.select_for_update(no_key=True).order_by("id"))
            if models.Reconciliation.objects.filter(journal_line__voucher=original).exists():
                raise errors.ReconciliationError(
                    gettext(
                        "Voucher %(voucher)s has reconciled lines; "
                        "undo those reconciliations before reversing it."
                    )
                    % {"voucher": label}
                )
            lines = [
                LineSpec(
                    account_id=line.account_id,
                    amount=-line.amount,
                    description=line.description,
                    customer_id=line.customer_id,
                    supplier_id=line.supplier_id,
                    currency=line.currency,
                )
                for line in original_lines
            ]
            spec = VoucherSpec(date=date, lines=lines, description=description or f"Reversal of {label}")
            # A reversal corrects history: its accounts must still be the company's, but may have been
            # deactivated since the original was posted.
            return _voucher_write(
                company=original.company,
                series=original.series,
                batch=None,
                spec=spec,
                now=now,
                reverses=original,
            )
    except IntegrityError as exc:
        _raise_translated(exc)


def reconciliation_create(
    *, open_item: models.OpenItem, journal_line: models.JournalLine, amount: Decimal, now: datetime.datetime
) -> models.Reconciliation:
    """Reconcile `amount` (with the sign of the item's amount) of `journal_line` against `open_item`.

    An amount beyond the item's remainder is an overpayment: the item is settled and the excess becomes a new
    credit item (negative amount) for the same party, linked to the reconciliation.

    :raises errors.ReconciliationError: the item is settled, the line or item is of another company, the sign
        or side is wrong, or the line has not that much left to reconcile.
    """
    _money_check(amount, what="reconciliation amount", error=errors.ReconciliationError)
    try:
        with transaction.atomic():
            # The line first, then the item: the bulk path locks in the same order.
            line = (
                models.JournalLine.objects.select_for_update(no_key=True, of=("self",))
                .select_related("voucher")
                .get(pk=journal_line.pk)
            )
            item = models.OpenItem.objects.select_for_update().get(pk=open_item.pk)
            where = gettext("Cannot reconcile journal line %(line)s against open item %(item)s") % {
                "line": line.pk,
                "item": item.pk,
            }
            if line.company_id != item.company_id:
                raise errors.ReconciliationError(
                    f"{where}: " + gettext("they belong to different companies") + "."
                )
            problem = rules.reconciliation_problem(
                kind=item.kind,
                item_customer_id=item.customer_id,
                item_supplier_id=item.supplier_id,
                item_currency=item.currency,
                item_amount=item.amount,
                line_customer_id=line.customer_id,
                line_supplier_id=line.supplier_id,
                line_currency=line.currency,
                line_amount=line.amount,
                amount=amount,
            )
            if problem:
                raise errors.ReconciliationError(f"{where}: {problem}.")
            if item.remaining_amount == 0:
                raise errors.ReconciliationError(f"{where}: {gettext('the item is already settled')}.")
            if models.Voucher.objects.filter(reverses_id=line.voucher_id).exists():
                raise errors.ReconciliationError(f"{where}: {gettext('its voucher has been reversed')}.")
            used = dict(selectors.journal_lines_used(journal_line_ids=[line.pk])).get(line.pk, ZERO)
            if used + abs(amount) > abs(line.amount):
                raise errors.ReconciliationError(
                    f"{where}: "
                    + gettext("the line of %(amount)s has only %(left)s left to reconcile")
                    % {"amount": line.amount, "left": abs(line.amount) - used}
                    + "."
                )
            applied = amount if abs(amount) <= abs(item.remaining_amount) else item.remaining_amount
            excess = amount - applied
            credit_item = None
            if excess:
                credit_item = models.OpenItem.objects.create(
                    company_id=item.company_id,
                    kind=item.kind,
                    customer_id=item.customer_id,
                    supplier_id=item.supplier_id,
                    currency=item.currency,
                    amount=-excess,
                    remaining_amount=-excess,
                    status=models.OpenItemStatus.OPEN,
                    invoice_date=line.voucher.date,
                    due_date=line.voucher.date,
                )
            reconciliation = models.Reconciliation.objects.create(
                company_id=item.company_id,
                open_item=item,
                journal_line=line,
                amount=applied,
                created_at=now,
                overpayment_item=credit_item,
            )
            _remaining_set(item=item, remaining=item.remaining_amount - applied)
            return reconciliation
    except IntegrityError as exc:
        _raise_translated(exc)


def reconciliations_create_bulk(
    *, company: company_models.Company, items: Sequence[ReconciliationSpec], now: datetime.datetime
) -> int:
    """Reconcile many journal lines against open items at once; return how many reconciliations were written.

    As `reconciliation_create`, an amount beyond an item's remainder settles it and leaves a credit item for
    the excess; only the last reconciliation of an item in `items` may go beyond (reconciliations after it
    would pay a settled item).

    :raises errors.ReconciliationError: any reconciliation does not fit (then none is written).
    """
    if not items:
        return 0
    for spec in items:
        _money_check(spec.amount, what="reconciliation amount", error=errors.ReconciliationError)
    try:
        with transaction.atomic():
            write = bulk.reconciliations_copy if bulk.is_postgresql() else bulk.reconciliations_insert
            return write(company_id=company.pk, items=items, now=now)
    except IntegrityError as exc:
        _raise_translated(exc)


def reconciliation_undo(*, reconciliation: models.Reconciliation) -> models.OpenItem:
    """Remove a reconciliation and give its amount back to the open item; return the item.

    A credit item the reconciliation made from an overpayment is removed with it, provided it is untouched.

    :raises errors.ReconciliationError: the credit item has been reconciled since, or is in use elsewhere.
    """
    try:
        with transaction.atomic():
            found = models.Reconciliation.objects.select_for_update().get(pk=reconciliation.pk)
            item = models.OpenItem.objects.select_for_update().get(pk=found.open_item_id)
            credit_item = None
            if found.overpayment_item_id is not None:
                credit_item = models.OpenItem.objects.select_for_update().get(pk=found.overpayment_item_id)
                if credit_item.remaining_amount != credit_item.amount or credit_item.reconciliations.exists():
                    raise errors.ReconciliationError(
                        gettext(
                            "Reconciliation %(reconciliation)s made credit item %(item)s, which has since "
                            "been reconciled; undo that first."
                        )
                        % {"reconciliation": found.pk, "item": credit_item.pk}
                    )
            found.delete()
            if credit_item is not None:
                credit_item.delete()
            _remaining_set(item=item, remaining=item.remaining_amount + found.amount)
            return item
    except ProtectedError as exc:
        raise errors.ReconciliationError(
            gettext("Reconciliation %(reconciliation)s cannot be undone: its credit item is in use.")
            % {"reconciliation": reconciliation.pk}
        ) from exc
    except IntegrityError as exc:
        _raise_translated(exc)


# --- internals ---------------------------------------------------------------------------------------------


def _voucher_write(
    *,
    company: company_models.Company,
    series: models.VoucherSeries,
    batch: models.Batch | None,
    spec: VoucherSpec,
    now: datetime.datetime,
    reverses: models.Voucher | None,
) -> models.Voucher:
    _vouchers_check(company=company, batch=batch, vouchers=[spec], active_accounts=reverses is None)
    number = _numbers_allocate(company=company, series=series, count=1)
    voucher = models.Voucher.objects.create(
        company=company,
        batch=batch,
        series=series,
        number=number,
        date=spec.date,
        description=spec.description,
        posted_at=now,
        reverses=reverses,
    )
    # One INSERT for all the lines: the balance trigger checks the voucher when the statement ends.
    bulk.journal_lines_insert(company_id=company.pk, voucher_ids=[voucher.pk], vouchers=[spec])
    return voucher


def _vouchers_check(
    *,
    company: company_models.Company,
    batch: models.Batch | None,
    vouchers: Sequence[VoucherSpec],
    active_accounts: bool = True,
) -> None:
    if batch is not None and batch.company_id != company.pk:
        raise errors.LedgerError(f"Batch {batch.pk} belongs to another company than {company}.")
    account_ids: set[int] = set()
    customer_ids: set[int] = set()
    supplier_ids: set[int] = set()
    for index, spec in enumerate(vouchers):
        if len(spec.lines) < 2:
            raise errors.UnbalancedVoucher(f"Voucher {index + 1} dated {spec.date} needs at least two lines.")
        total = ZERO
        currencies = {line.currency for line in spec.lines}
        if len(currencies) != 1:
            raise errors.UnbalancedVoucher(
                f"Voucher {index + 1} dated {spec.date} mixes currencies {sorted(currencies)}; "
                "one voucher balances in one currency."
            )
        for line in spec.lines:
            _money_check(line.amount, what="line amount", error=errors.UnbalancedVoucher)
            total += line.amount
            account_ids.add(line.account_id)
            if line.customer_id is not None:
                customer_ids.add(line.customer_id)
            if line.supplier_id is not None:
                supplier_ids.add(line.supplier_id)
        if total != 0:
            raise errors.UnbalancedVoucher(
                f"Voucher {index + 1} dated {spec.date} does not balance: its lines sum to {total}."
            )
    if active_accounts:
        _ids_of_company_check(
            models.Account.objects.filter(is_active=True), company, account_ids, "active account"
        )
    else:
        _ids_of_company_check(models.Account.objects.all(), company, account_ids, "account")
    _ids_of_company_check(models.Customer.objects.all(), company, customer_ids, "customer")
    _ids_of_company_check(models.Supplier.objects.all(), company, supplier_ids, "supplier")
    locked_through = _locked_through(company=company)
    if locked_through is not None:
        for spec in vouchers:
            if spec.date <= locked_through:
                raise errors.PeriodLocked(
                    gettext(
                        "%(company)s is locked through %(through)s; "
                        "a voucher dated %(date)s cannot be posted."
                    )
                    % {
                        "company": company,
                        "through": formats.date_format(locked_through, "SHORT_DATE_FORMAT"),
                        "date": formats.date_format(spec.date, "SHORT_DATE_FORMAT"),
                    }
                )


def _ids_of_company_check(
    queryset: QuerySet[Any], company: company_models.Company, ids: Iterable[int], what: str
) -> None:
    wanted = set(ids)
    if not wanted:
        return
    if connection.vendor == "postgresql" and len(wanted) > 100:
        # One array parameter instead of thousands (binding each costs more than the lookup).
        among: Any = RawSQL("SELECT unnest(%s::bigint[])", [sqlarrays.ints(wanted)])
    else:
        among = wanted
    found = set(queryset.filter(company=company, pk__in=among).order_by().values_list("pk", flat=True))
    missing = wanted - found
    if missing:
        raise errors.LedgerError(f"No {what} {sorted(missing)[:5]} in {company}.")


def _locked_through(*, company: company_models.Company) -> datetime.date | None:
    # FOR SHARE: a concurrent period_lock_set waits for this posting to commit, and this posting for it.
    sql = "SELECT locked_through FROM ledger_periodlock WHERE company_id = %s"
    if connection.vendor == "postgresql":
        sql += " FOR SHARE"
    with connection.cursor() as cursor:
        cursor.execute(sql, [company.pk])
        row = cursor.fetchone()
    return row[0] if row else None


def _numbers_allocate(*, company: company_models.Company, series: models.VoucherSeries, count: int) -> int:
    # The UPDATE locks the series row until commit, so numbers are consecutive and a rollback leaves no gap.
    updated = models.VoucherSeries.objects.filter(pk=series.pk, company=company).update(
        next_number=F("next_number") + count
    )
    if updated != 1:
        raise errors.LedgerError(f"Voucher series {series.pk} is not one of {company}'s.")
    next_number = (
        models.VoucherSeries.objects.filter(pk=series.pk).values_list("next_number", flat=True).get()
    )
    series.next_number = next_number
    return next_number - count


def _money_check(amount: Decimal, *, what: str, error: type[errors.LedgerError]) -> None:
    if not isinstance(amount, Decimal):
        raise error(f"The {what} must be a Decimal, not {type(amount).__name__}.")
    if not amount.is_finite() or amount == 0:
        raise error(f"The {what} must be a non-zero amount, not {amount}.")
    if round_money(amount) != amount:
        raise error(f"The {what} {amount} has fractions of øre.")


def _remaining_set(*, item: models.OpenItem, remaining: Decimal) -> None:
    item.remaining_amount = remaining
    item.status = rules.open_item_status(amount=item.amount, remaining=remaining)
    item.save(update_fields=["remaining_amount", "status"])


def _raise_translated(exc: IntegrityError) -> NoReturn:
    """Raise the ledger error a trigger or constraint stands for, or the database error itself."""
    message = str(exc)
    for fragment, error in _DB_MESSAGES:
        if fragment in message:
            raise error(message.splitlines()[0].removeprefix("ledger: ")) from exc
    raise exc
