"""The accountant's web pages: dashboard and company switcher. Ledger pages live in ledger.views."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views import defaults
from django.views.decorators.http import require_POST

from company import context_processors, tenancy
from ledger import selectors as ledger_selectors


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    company = context_processors.chosen_company(request)
    context: dict[str, Any] = {}
    if company is not None:
        today = timezone.localdate()
        context = {
            **ledger_selectors.open_items_figures(company=company, today=today),
            "today": today,
            "latest_vouchers": ledger_selectors.vouchers_of_company(company=company).order_by(
                "-posted_at", "-id"
            )[:8],
            "bank_partners": company.bank_partners.filter(is_active=True),
        }
    return render(request, "dashboard.html", context)


@login_required
@require_POST
def company_switch(request: HttpRequest) -> HttpResponse:
    """Remember the chosen company in the session; only one of the user's own companies is accepted."""
    company_id = request.POST.get("company", "")
    company = (
        tenancy.companies_for_user(request.user).filter(pk=company_id).first()
        if (company_id.isascii() and company_id.isdigit())
        else None
    )
    if company is None:
        return HttpResponse(gettext("Unknown company."), status=404)
    request.session[context_processors.SESSION_KEY] = company.pk
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("dashboard")
    return HttpResponseRedirect(target)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Answer a request Django refuses before any view (a body too large, too many fields) under /api/ in the
    API's JSON error shape; elsewhere with the HTML page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": gettext("Bad request.")}, status=400)
    return defaults.bad_request(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """A server error under /api/ in the API's JSON error shape; elsewhere the HTML page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": gettext("A server error occurred.")}, status=500)
    return defaults.server_error(request)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Answer an unknown URL under /api/ in the API's JSON error shape; elsewhere with the HTML page."""
    if request.path.startswith("/api/"):
        # DRF's own text, which its catalogues translate ("Ikke funnet.").
        return JsonResponse({"detail": gettext("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)
