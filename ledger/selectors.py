"""Reads from the ledger. Each returns a QuerySet for the caller to narrow, page or count."""

from collections.abc import Collection

from django.db.models import DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

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
