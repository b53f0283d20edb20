"""Reads about settlement: lines waiting for an accounting batch, and lines whose settlement is missing."""

import datetime

from django.db.models import QuerySet

from company import models as company_models
from payments import bankdays, models

# A line not settled this many bank days after its payment date is listed as "settlement missing".
SETTLEMENT_MISSING_AFTER_BANK_DAYS = 2


def payment_lines_awaiting_batch(
    *, companies: QuerySet[company_models.Company]
) -> QuerySet[models.PaymentLine]:
    """Return the settled lines (5) waiting for the accountant's "create accounting batch"."""
    return (
        models.PaymentLine.objects.filter(
            company__in=companies, phase=models.LinePhase.SETTLED, status=models.LineStatus.SETTLED
        )
        .select_related("payment", "supplier", "company")
        .order_by("value_date", "id")
    )


def payment_lines_settlement_missing(
    *, companies: QuerySet[company_models.Company], today: datetime.date
) -> QuerySet[models.PaymentLine]:
    """Return the transferred lines not settled two Norwegian bank days after their payment date."""
    latest = bankdays.latest_date_overdue(today=today, bank_days=SETTLEMENT_MISSING_AFTER_BANK_DAYS)
    return (
        models.PaymentLine.objects.filter(
            company__in=companies,
            phase=models.LinePhase.AT_AUTOPAY,
            payment__payment_date__lte=latest,
        )
        .select_related("payment", "supplier", "company")
        .order_by("payment__payment_date", "id")
    )
