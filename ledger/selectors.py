"""Reads from the ledger. Each returns a QuerySet for the caller to narrow, page or count, except
`open_items_figures`, which returns the dashboard's sums."""

import datetime
from collections.abc import Collection, Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Abs, Coalesce

from company import models as company_models
from ledger import models
from ledger.money import ZERO

_MONEY = DecimalField(max_digits=18, decimal_places=2)


def vouchers_of_company(*, company: company_models.Company) -> QuerySet[models.Voucher]:
    """Return the company's vouchers, newest first."""
    return models.Voucher.objects.filter(company=company).select_related("series")


def journal_lines_of_vouchers(
    *, voucher_ids: Collection[int], account_id: int | None = None
) -> QuerySet[models.JournalLine]:
    """Return the lines of these vouchers (on one account if `account_id` is given) in voucher order."""
    lines = models.JournalLine.objects.filter(voucher_id__in=voucher_ids)
    if account_id is not None:
        lines = lines.filter(account_id=account_id)
    return lines.order_by("voucher_id", "id")


def journal_lines_of_batch(
    *, batch: models.Batch, account_id: int | None = None
) -> QuerySet[models.JournalLine]:
    """Return the lines of a batch's vouchers (on one account if `account_id` is given) in voucher order."""
    lines = models.JournalLine.objects.filter(voucher__batch=batch)
    if account_id is not None:
        lines = lines.filter(account_id=account_id)
    return lines.order_by("voucher_id", "id")


def journal_lines_used(
    *, journal_line_ids: Iterable[int]
) -> QuerySet[models.Reconciliation, tuple[int, Decimal]]:
    """Return (journal line id, amount used) pairs: how much of each line earlier reconciliations have used.

    A reconciliation uses its amount, and the amount of the credit item it made from an overpayment, both
    counted unsigned. Lines nothing has used yet are left out.
    """
    return (
        models.Reconciliation.objects.filter(journal_line_id__in=list(journal_line_ids))
        .values("journal_line_id")
        .annotate(
            used=Sum(
                Abs("amount") + Coalesce(Abs("overpayment_item__amount"), Value(ZERO), output_field=_MONEY),
                output_field=_MONEY,
            )
        )
        .values_list("journal_line_id", "used")
        .order_by()
    )


def vouchers_unbalanced(*, company: company_models.Company) -> QuerySet[models.Voucher]:
    """Return the company's vouchers whose lines do not sum to zero (there should be none)."""
    return (
        models.Voucher.objects.filter(company=company)
        .annotate(total=Coalesce(Sum("lines__amount"), Value(ZERO), output_field=_MONEY))
        .exclude(total=0)
    )


def open_items_open(
    *, company: company_models.Company, kind: models.OpenItemKind | None = None
) -> QuerySet[models.OpenItem]:
    """Return the company's items with something left to pay, oldest due first."""
    items = models.OpenItem.objects.filter(company=company).exclude(status=models.OpenItemStatus.SETTLED)
    if kind is not None:
        items = items.filter(kind=kind)
    return items.order_by("due_date", "id")


def open_items_search(
    *, company: company_models.Company, kind: str = "", status: str = "unsettled", q: str = ""
) -> QuerySet[models.OpenItem]:
    """Return the company's items of `kind` and `status` that match `q`, oldest due first.

    A blank or unknown `kind` means any kind. `status` is "unsettled" (not settled), an `OpenItemStatus`
    value, or anything else for all statuses. `q` matches part of the invoice number or a party's name, or
    the start of the KID; blank matches every item.
    """
    if status == "unsettled":
        items = open_items_open(company=company)
    else:
        items = models.OpenItem.objects.filter(company=company)
        if status in models.OpenItemStatus.values:
            items = items.filter(status=status)
    if kind in models.OpenItemKind.values:
        items = items.filter(kind=kind)
    q = q.strip()
    if q:
        items = items.filter(
            Q(invoice_no__icontains=q)
            | Q(kid__startswith=q)
            | Q(customer__name__icontains=q)
            | Q(supplier__name__icontains=q)
        )
    return items.select_related("customer", "supplier").order_by("due_date", "id")


def open_items_figures(
    *, company: company_models.Company, today: datetime.date
) -> dict[str, dict[str, int | Decimal]]:
    """Return, per kind, the count and remaining total of the company's open items and of those overdue.

    Keys are `<kind>_open` and `<kind>_overdue` (such as `customer_overdue`), each {"count": …, "total": …};
    an item is overdue when its due date is before `today`.
    """
    figures: dict[str, dict[str, int | Decimal]] = {}
    for kind in models.OpenItemKind:
        open_items = open_items_open(company=company, kind=kind)
        figures[f"{kind.value}_open"] = _count_and_total(open_items)
        figures[f"{kind.value}_overdue"] = _count_and_total(open_items.filter(due_date__lt=today))
    return figures


def _count_and_total(items: QuerySet[models.OpenItem]) -> dict[str, int | Decimal]:
    return items.aggregate(
        count=Count("id"), total=Coalesce(Sum("remaining_amount"), Value(ZERO), output_field=_MONEY)
    )


def open_items_inconsistent(*, company: company_models.Company) -> QuerySet[models.OpenItem]:
    """Return items whose remainder is not their amount less their reconciliations (there should be none)."""
    reconciled = (
        models.Reconciliation.objects.filter(open_item=OuterRef("pk"))
        .values("open_item")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return (
        models.OpenItem.objects.filter(company=company)
        .annotate(
            reconciled=Coalesce(Subquery(reconciled, output_field=_MONEY), Value(ZERO), output_field=_MONEY)
        )
        .filter(~Q(remaining_amount=F("amount") - F("reconciled")))
    )


def reconciliations_of_item(*, open_item: models.OpenItem) -> QuerySet[models.Reconciliation]:
    """Return the reconciliations of an open item, oldest first."""
    return models.Reconciliation.objects.filter(open_item=open_item).order_by("created_at", "id")


def suppliers_bank_account_changed_since(
    *, company: company_models.Company, since: datetime.datetime
) -> QuerySet[models.Supplier]:
    """Return the company's suppliers whose bank account changed at or after `since` (from their history)."""
    return models.Supplier.objects.filter(
        company=company,
        pk__in=supplier_bank_account_changes(company=company).filter(history_date__gte=since).values("id"),
    )


def supplier_bank_account_changes(*, company: company_models.Company) -> QuerySet[Any]:
    """Return the history rows of the company's suppliers that changed the bank account, newest first.

    Each row carries `history_user` (who), `history_date` (when), `previous_bank_account` (old) and
    `bank_account` (new).
    """
    history = models.Supplier.history.model
    previous = (
        history.objects.filter(id=OuterRef("id"), history_date__lt=OuterRef("history_date"))
        .order_by("-history_date", "-history_id")
        .values("bank_account")[:1]
    )
    return (
        history.objects.filter(company=company, history_type="~")
        .annotate(previous_bank_account=Subquery(previous))
        .exclude(previous_bank_account=F("bank_account"))
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )
