"""Reads of payments. Each returns a QuerySet for the caller to narrow, page or count."""

import datetime
from collections.abc import Collection
from typing import Any

from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from company import models as company_models
from company import tenancy
from ledger import models as ledger_models
from payments import models


def payments_for_user(*, user: Any) -> QuerySet[models.Payment]:
    """Return the payments of the user's companies."""
    return tenancy.scope_to_user(models.Payment.objects.select_related("company", "bank_partner"), user)


def payment_lines_for_user(*, user: Any) -> QuerySet[models.PaymentLine]:
    """Return the payment lines of the user's companies."""
    return tenancy.scope_to_user(
        models.PaymentLine.objects.select_related("payment", "supplier", "open_item"), user
    )


def payment_flags_for_user(*, user: Any) -> QuerySet[models.PaymentLineFlag]:
    """Return the flags on payment lines of the user's companies."""
    return tenancy.scope_to_user(models.PaymentLineFlag.objects.select_related("line__payment"), user)


def payments_of_company(*, company: company_models.Company) -> QuerySet[models.Payment]:
    """Return the company's payments, newest number first, each annotated with `line_count` and
    `has_open_flags`.

    Both by subquery, not by a join of the lines: a join would repeat each payment once per line, so that
    totals over these payments (`payment_totals_by_status`) would count every payment's total as many times.
    """
    open_flags = models.PaymentLineFlag.objects.filter(
        line__payment=OuterRef("pk"), overridden_at__isnull=True
    )
    line_count = (
        models.PaymentLine.objects.filter(payment=OuterRef("pk"))
        .order_by()
        .values("payment")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        models.Payment.objects.filter(company=company)
        .select_related("bank_partner")
        .annotate(line_count=Coalesce(Subquery(line_count), 0), has_open_flags=Exists(open_flags))
        .order_by("-number")
    )


def payment_totals_by_status(*, payments: QuerySet[models.Payment]) -> QuerySet[Any]:
    """Return per status of the payments their count and total (rows of `status`, `count`, `sum_total`)."""
    return (
        payments.order_by()
        .values("status")
        .annotate(count=Count("pk", distinct=True), sum_total=Sum("total"))
        .order_by("status")
    )


def payment_open_flags(*, payment: models.Payment) -> QuerySet[models.PaymentLineFlag]:
    """Return the flags on the payment's lines that no approver has overridden yet."""
    return models.PaymentLineFlag.objects.filter(
        line__payment=payment, overridden_at__isnull=True
    ).select_related("line__supplier")


def payment_events(*, payment: models.Payment) -> QuerySet[models.PaymentEvent]:
    """Return the payment's history, oldest first."""
    return (
        models.PaymentEvent.objects.filter(payment=payment)
        .select_related("actor", "line")
        .order_by("at", "id")
    )


def proposal_candidates(
    *,
    company: company_models.Company,
    due_date_to: datetime.date,
    due_date_from: datetime.date | None = None,
    suppliers: Collection[ledger_models.Supplier] = (),
    currency: str = "",
) -> QuerySet[ledger_models.OpenItem]:
    """Return the company's unsettled supplier items due in the range, oldest due first."""
    items = ledger_models.OpenItem.objects.filter(
        company=company, kind=ledger_models.OpenItemKind.SUPPLIER, due_date__lte=due_date_to
    ).exclude(status=ledger_models.OpenItemStatus.SETTLED)
    if due_date_from is not None:
        items = items.filter(due_date__gte=due_date_from)
    if suppliers:
        items = items.filter(supplier__in=[supplier.pk for supplier in suppliers])
    if currency:
        items = items.filter(currency=currency)
    return items.select_related("supplier").order_by("due_date", "supplier__number", "pk")


def items_held_by_lines(*, items: QuerySet[ledger_models.OpenItem]) -> QuerySet[models.PaymentLine]:
    """Return the lines that hold one of the items (a line that is neither rejected, cancelled nor posted)."""
    return models.PaymentLine.objects.filter(
        open_item__in=items.values("pk"), phase__in=models.LINE_PHASES_HOLDING_ITEM
    )


def upload_runs_for_user(*, user: Any) -> QuerySet[models.UploadRun]:
    """Return the upload runs the user started (every run for a superuser)."""
    runs = models.UploadRun.objects.all()
    if getattr(user, "is_superuser", False):
        return runs
    if not getattr(user, "is_authenticated", False):
        return runs.none()
    return runs.filter(created_by=user)
