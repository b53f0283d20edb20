"""Reads of the incoming-payments app. Each returns a QuerySet, except `import_summary` (its sums)."""

import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum

from company import models as company_models
from factoring import models
from ledger.money import CENT, ZERO


def factoring_companies_of(*, company: company_models.Company) -> QuerySet[models.FactoringCompany]:
    return models.FactoringCompany.objects.filter(company=company).select_related(
        "gl_account", "voucher_series"
    )


def imports_of(*, company: company_models.Company) -> QuerySet[models.IncomingImport]:
    return models.IncomingImport.objects.filter(company=company)


def payments_filter(
    *,
    payments: QuerySet[models.IncomingPayment],
    result: str = "",
    file_import: int | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    customer: int | None = None,
    to_allocate: bool = False,
) -> QuerySet[models.IncomingPayment]:
    """Narrow payments by result, import, value date range, customer, and to those still to allocate."""
    if result:
        payments = payments.filter(result=result)
    if file_import is not None:
        payments = payments.filter(file_import_id=file_import)
    if date_from is not None:
        payments = payments.filter(value_date__gte=date_from)
    if date_to is not None:
        payments = payments.filter(value_date__lte=date_to)
    if customer is not None:
        payments = payments.filter(customer_id=customer)
    if to_allocate:
        payments = payments.filter(allocation=models.AllocationState.OPEN, reversed_by__isnull=True).exclude(
            is_reversal=True
        )
    return payments


def work_list(*, company: company_models.Company) -> QuerySet[models.IncomingPayment]:
    """Return the company's unmatched and on-account payments still to allocate, oldest first."""
    return payments_filter(
        payments=models.IncomingPayment.objects.filter(company=company), to_allocate=True
    ).order_by("value_date", "id")


def import_summary(*, file_import: models.IncomingImport) -> dict[str, Any]:
    """Return counts and totals per result of an import, the skipped payments, and the file's own totals.

    The results' totals and the skipped amount add up to the file's own total (reversals added, as OCR Giro
    counts them).
    """
    rows = {
        # Quantized: SQLite's SUM of decimals comes back with more places than the column has.
        result: (count, (total or ZERO).quantize(CENT))
        for result, count, total in models.IncomingPayment.objects.filter(file_import=file_import)
        .values("result")
        .annotate(count=Count("id"), total=Sum("amount"))
        .values_list("result", "count", "total")
        .order_by()
    }
    results: list[dict[str, Any]] = [
        {
            "result": value,
            "label": str(label),
            "count": rows.get(value, (0, ZERO))[0],
            "total": rows.get(value, (0, ZERO))[1],
        }
        for value, label in models.Result.choices
    ]
    total: Decimal = sum((row["total"] for row in results), ZERO) + file_import.skipped_amount
    return {
        "results": results,
        "skipped_count": file_import.skipped_count,
        "skipped_amount": file_import.skipped_amount,
        "total_count": sum(row["count"] for row in results) + file_import.skipped_count,
        "total_amount": total,
        "file_payment_count": file_import.file_payment_count,
        "file_total_amount": file_import.file_total_amount,
        "agrees": total == file_import.file_total_amount,
    }
