"""The accountant's ledger pages: open items and vouchers of the company chosen in the session."""

import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, DecimalField, Prefetch, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from company import context_processors
from company import models as company_models
from ledger import models, selectors
from ledger.money import ZERO

ITEMS_PER_PAGE = 25
VOUCHERS_PER_PAGE = 20
_MONEY = DecimalField(max_digits=18, decimal_places=2)


def _figures(items: Any) -> dict[str, Any]:
    return items.aggregate(
        count=Count("id"), total=Coalesce(Sum("remaining_amount"), Value(ZERO), output_field=_MONEY)
    )


def dashboard_figures(*, company: company_models.Company, today: datetime.date) -> dict[str, Any]:
    """Return what the dashboard shows for one company: open and overdue items by kind, latest vouchers."""
    figures: dict[str, Any] = {"today": today}
    for kind in models.OpenItemKind:
        open_items = selectors.open_items_open(company=company, kind=kind)
        figures[f"{kind.value}_open"] = _figures(open_items)
        figures[f"{kind.value}_overdue"] = _figures(open_items.filter(due_date__lt=today))
    figures["latest_vouchers"] = selectors.vouchers_of_company(company=company).order_by("-posted_at", "-id")[
        :8
    ]
    figures["bank_partners"] = company.bank_partners.filter(is_active=True)
    return figures


def _open_items(company: company_models.Company, params: Any) -> tuple[Any, dict[str, str]]:
    items = models.OpenItem.objects.filter(company=company).select_related("customer", "supplier")
    filters = {
        "kind": params.get("kind", ""),
        "status": params.get("status", "unsettled"),
        "q": params.get("q", "").strip(),
    }
    if filters["kind"] in models.OpenItemKind.values:
        items = items.filter(kind=filters["kind"])
    if filters["status"] == "unsettled":
        items = items.exclude(status=models.OpenItemStatus.SETTLED)
    elif filters["status"] in models.OpenItemStatus.values:
        items = items.filter(status=filters["status"])
    if filters["q"]:
        q = filters["q"]
        items = items.filter(
            Q(invoice_no__icontains=q)
            | Q(kid__startswith=q)
            | Q(customer__name__icontains=q)
            | Q(supplier__name__icontains=q)
        )
    return items.order_by("due_date", "id"), filters


@login_required
def open_item_list(request: HttpRequest) -> HttpResponse:
    """List the current company's open items by kind, status and a search; htmx reloads only the table."""
    company = context_processors.chosen_company(request)
    context: dict[str, Any] = {
        "kinds": models.OpenItemKind.choices,
        "statuses": [("unsettled", "Not settled"), *models.OpenItemStatus.choices, ("all", "All")],
    }
    if company is not None:
        items, filters = _open_items(company, request.GET)
        page = Paginator(items, ITEMS_PER_PAGE).get_page(request.GET.get("page"))
        query = urlencode({k: v for k, v in filters.items() if v})
        context.update(page=page, filters=filters, query=query, today=timezone.localdate())
    template = (
        "ledger/_open_items_table.html" if getattr(request, "htmx", False) else "ledger/open_items.html"
    )
    return render(request, template, context)


@login_required
def voucher_list(request: HttpRequest) -> HttpResponse:
    """List the current company's vouchers, newest first, each with its lines."""
    company = context_processors.chosen_company(request)
    context: dict[str, Any] = {}
    if company is not None:
        vouchers = (
            selectors.vouchers_of_company(company=company)
            .select_related("batch")
            .prefetch_related(
                Prefetch(
                    "lines", queryset=models.JournalLine.objects.select_related("account").order_by("id")
                )
            )
            .order_by("-date", "-posted_at", "-id")
        )
        page = Paginator(vouchers, VOUCHERS_PER_PAGE).get_page(request.GET.get("page"))
        for voucher in page:
            for line in voucher.lines.all():
                # Shown in debit and credit columns, as accountants read a voucher.
                line.debit = line.amount if line.amount > 0 else None  # type: ignore[attr-defined]
                line.credit = -line.amount if line.amount < 0 else None  # type: ignore[attr-defined]
        context["page"] = page
    template = "ledger/_vouchers_table.html" if getattr(request, "htmx", False) else "ledger/vouchers.html"
    return render(request, template, context)
