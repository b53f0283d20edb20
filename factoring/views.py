"""The accountant's incoming-payments pages: upload a file and follow its import, the work list, and the
Factoring company table. Each makes one service or selector call for the company chosen in the session."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError

from company import context_processors
from factoring import api, errors, models, selectors, services
from ledger import errors as ledger_errors
from ledger import models as ledger_models


@login_required
def incoming_upload(request: HttpRequest) -> HttpResponse:
    """Upload a bank file (the import runs on the "imports" worker) and list the company's imports."""
    company = context_processors.chosen_company(request)
    context: dict[str, Any] = {}
    if company is not None:
        if request.method == "POST":
            upload = request.FILES.get("file")
            if upload is None:
                messages.error(request, _("Choose a file to upload."))
            else:
                try:
                    file_import = api.import_queue(company=company, upload=upload, user=request.user)
                except ValidationError as exc:
                    detail = exc.detail.get("detail") if isinstance(exc.detail, dict) else exc.detail
                    messages.error(request, str(detail))
                else:
                    return redirect("incoming-import", import_id=file_import.pk)
        context["imports"] = selectors.imports_of(company=company)[:20]
    return render(request, "factoring/upload.html", context)


def _import_of(request: HttpRequest, import_id: int) -> models.IncomingImport:
    company = context_processors.chosen_company(request)
    if company is None:
        raise Http404
    file_import = selectors.imports_of(company=company).filter(pk=import_id).first()
    if file_import is None:
        raise Http404
    return file_import


@login_required
def incoming_import(request: HttpRequest, import_id: int) -> HttpResponse:
    """Show an import: its progress while it runs (htmx polls the panel), its summary when done."""
    file_import = _import_of(request, import_id)
    context = _import_context(file_import)
    template = "factoring/_import_panel.html" if getattr(request, "htmx", False) else "factoring/import.html"
    return render(request, template, context)


def _import_context(file_import: models.IncomingImport) -> dict[str, Any]:
    progress = services.import_progress(import_id=file_import.pk) or {}
    percent = 0
    if progress.get("size"):
        percent = min(100, 100 * int(progress.get("bytes_read", 0)) // max(int(progress["size"]), 1))
    context: dict[str, Any] = {"file_import": file_import, "progress": progress, "percent": percent}
    if file_import.status == models.ImportStatus.DONE:
        context["summary"] = selectors.import_summary(file_import=file_import)
        context["skipped"] = file_import.skipped.select_related("earlier")[:200]
    return context


WORK_LIST_PER_PAGE = 50


@login_required
def work_list(request: HttpRequest) -> HttpResponse:
    """List the unmatched and on-account payments still to allocate."""
    company = context_processors.chosen_company(request)
    context: dict[str, Any] = {}
    if company is not None:
        # All of them, a page at a time, with their count (the pager): none is out of reach.
        page = Paginator(selectors.work_list(company=company).select_related("customer"), WORK_LIST_PER_PAGE)
        context["page"] = page.get_page(request.GET.get("page"))
        context["payments"] = context["page"].object_list
        context["customers"] = ledger_models.Customer.objects.filter(company=company).order_by("number")
    return render(request, "factoring/work_list.html", context)


@login_required
@require_POST
def payment_allocate(request: HttpRequest, payment_id: int) -> HttpResponse:
    """Allocate a payment from the work list: to invoice numbers (amounts optional) and/or a customer."""
    company = context_processors.chosen_company(request)
    if company is None:
        raise Http404
    payment = selectors.work_list(company=company).filter(pk=payment_id).first()
    if payment is None:
        if models.IncomingPayment.objects.filter(company=company, pk=payment_id).exists():
            # Allocated (or reversed) meanwhile, from another page or by another user: told, not a 404 page.
            messages.error(
                request,
                _("Payment %(id)s is no longer on the work list: it was allocated meanwhile.")
                % {"id": payment_id},
            )
            return redirect("incoming-work-list")
        raise Http404
    customer = None
    wanted = request.POST.get("customer", "")
    if wanted.isascii() and wanted.isdigit():
        customer = ledger_models.Customer.objects.filter(company=company, pk=int(wanted)).first()
    pairs: list[tuple[ledger_models.OpenItem, Decimal]] = []
    left = payment.amount
    try:
        for invoice in request.POST.get("invoices", "").replace(",", " ").split():
            query = ledger_models.OpenItem.objects.filter(
                company=company, kind=ledger_models.OpenItemKind.CUSTOMER, invoice_no=invoice
            ).exclude(status=ledger_models.OpenItemStatus.SETTLED)
            if customer is not None:
                query = query.filter(customer=customer)
            item = query.first()
            if item is None:
                raise errors.AllocationError(_("No open invoice %(no)s.") % {"no": invoice})
            amount = min(left, item.remaining_amount)
            if amount > 0:
                pairs.append((item, amount))
                left -= amount
        amount_text = request.POST.get("amount", "").strip().replace(",", ".")
        if amount_text and len(pairs) == 1:
            pairs = [(pairs[0][0], Decimal(amount_text))]
        services.incoming_payment_allocate(
            payment=payment,
            customer=customer,
            allocations=pairs,
            date=timezone.localdate(),
            user=request.user,
            now=timezone.now(),
        )
    except (errors.IncomingError, ledger_errors.LedgerError, InvalidOperation) as exc:
        messages.error(request, str(exc) or _("Not an amount."))
    else:
        messages.success(request, _("Payment %(id)s allocated.") % {"id": payment.pk})
    return redirect("incoming-work-list")


@login_required
def factoring_companies(request: HttpRequest) -> HttpResponse:
    """The Factoring company table (KID definitions) of the company, with a form to add one."""
    company = context_processors.chosen_company(request)
    context: dict[str, Any] = {}
    if company is not None:
        if request.method == "POST":
            values: dict[str, Any] = {key: request.POST.get(key, "") for key in api._DEFINITION_FIELDS}
            try:
                values["gl_account"] = ledger_models.Account.objects.filter(
                    company=company, pk=values["gl_account"] or 0
                ).first()
                values["voucher_series"] = ledger_models.VoucherSeries.objects.filter(
                    company=company, pk=values["voucher_series"] or 0
                ).first()
                for key in (
                    "number",
                    "processing",
                    "payment_processing",
                    "kid_customer_digits",
                    "kid_reference_digits",
                ):
                    values[key] = int(values[key] or 0)
                values["write_off_tolerance"] = Decimal(
                    values["write_off_tolerance"].replace(",", ".") or "0"
                )
                services.factoring_company_create(company=company, **values)
            except errors.DefinitionInvalid as exc:
                context["problems"] = exc.problems
            except (ValueError, InvalidOperation):
                context["problems"] = {"number": _("Numbers and amounts must be numbers.")}
            else:
                messages.success(request, _("KID definition added."))
                return redirect("factoring-companies")
        context["definitions"] = selectors.factoring_companies_of(company=company)
        context["accounts"] = ledger_models.Account.objects.filter(
            company=company, role=ledger_models.AccountRole.BANK
        )
        context["series"] = ledger_models.VoucherSeries.objects.filter(company=company)
    return render(request, "factoring/factoring_companies.html", context)
