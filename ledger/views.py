"""The accountant's ledger pages: open items and vouchers of the company chosen in the session."""

import unicodedata
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from company import context_processors, tenancy
from ledger import errors, models, selectors, services

ITEMS_PER_PAGE = 25
VOUCHERS_PER_PAGE = 20


@login_required
def open_item_list(request: HttpRequest) -> HttpResponse:
    """List the current company's open items by kind, status and a search; htmx reloads only the table."""
    company = context_processors.chosen_company(request)
    context: dict[str, Any] = {
        "kinds": models.OpenItemKind.choices,
        "statuses": [("unsettled", _("Not settled")), *models.OpenItemStatus.choices, ("all", _("All"))],
    }
    if company is not None:
        filters = {
            "kind": request.GET.get("kind", ""),
            "status": request.GET.get("status", "unsettled"),
            # A control character (a NUL byte, which the database refuses to compare) is in no item: read as
            # a space, as a tab is; a no-break space stays what it is.
            "q": "".join(
                " " if unicodedata.category(ch) == "Cc" else ch for ch in request.GET.get("q", "")
            ).strip(),
        }
        items = selectors.open_items_search(company=company, **filters)
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


@login_required
@require_POST
def open_item_payment_block(request: HttpRequest, item_id: int) -> HttpResponse:
    """Block a supplier item from payment proposals with a reason, or lift the block."""
    item = get_object_or_404(tenancy.scope_to_user(models.OpenItem.objects.all(), request.user), pk=item_id)
    blocked = request.POST.get("blocked") == "1"
    try:
        services.open_item_payment_block_set(
            open_item=item, blocked=blocked, reason=request.POST.get("reason", "")
        )
    except errors.LedgerError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Payment blocked.") if blocked else _("Payment block lifted."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("open-items")
    return HttpResponseRedirect(target)
