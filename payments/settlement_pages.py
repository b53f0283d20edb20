"""Pages of settlement: lines waiting for "create accounting batch", and lines whose settlement is missing."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from company import context_processors, tenancy
from company import models as company_models
from payments import settlement_selectors
from payments.services import settlement


def _chosen(
    request: HttpRequest,
) -> tuple[company_models.Company | None, QuerySet[company_models.Company] | None]:
    company = context_processors.chosen_company(request)
    if company is None:
        return None, None
    return company, tenancy.companies_for_user(request.user).filter(pk=company.pk)


@login_required
def lines_awaiting_batch(request: HttpRequest) -> HttpResponse:
    _company, companies = _chosen(request)
    page = None
    if companies is not None:
        lines = settlement_selectors.payment_lines_awaiting_batch(companies=companies)
        page = Paginator(lines, 200).get_page(request.GET.get("page"))
    return render(request, "payments/awaiting_batch.html", {"page": page})


@login_required
@require_POST
def lines_batch_create(request: HttpRequest) -> HttpResponse:
    company, _companies = _chosen(request)
    ids = [int(value) for value in request.POST.getlist("lines") if (value.isascii() and value.isdigit())]
    if company is None or not ids:
        messages.error(request, _("Choose at least one settled line."))
        return HttpResponseRedirect(reverse("payment-lines-awaiting-batch"))
    try:
        batch = settlement.payment_lines_batch_create(
            company=company,
            lines=ids,
            user=request.user if request.user.is_authenticated else None,
            now=timezone.now(),
        )
    except settlement.SettlementError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Accounting batch %(batch)s posted for %(count)d lines.")
            % {"batch": batch.pk, "count": len(ids)},
        )
    return HttpResponseRedirect(reverse("payment-lines-awaiting-batch"))


@login_required
def lines_settlement_missing(request: HttpRequest) -> HttpResponse:
    _company, companies = _chosen(request)
    page = None
    if companies is not None:
        lines = settlement_selectors.payment_lines_settlement_missing(
            companies=companies, today=timezone.localdate()
        )
        page = Paginator(lines, 200).get_page(request.GET.get("page"))
    return render(request, "payments/settlement_missing.html", {"page": page})
