"""The accountant's payment pages: proposal with preview, payments list, payment detail and its actions.

Each view makes one service or selector call and shows a refusal as a message; rows of companies the user is
not a member of are 404, as rows that do not exist.
"""

import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from company import audit as company_audit
from company import context_processors
from payments import errors, event_texts, forms, models, selectors
from payments.services import authorise, editing, guard, proposal, upload

PAYMENTS_PER_PAGE = 25


def _payment_or_404(request: HttpRequest, payment_id: int) -> models.Payment:
    return get_object_or_404(selectors.payments_for_user(user=request.user), pk=payment_id)


def _to_detail(payment_id: int) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("payment-detail", args=[payment_id]))


@login_required
def payment_list(request: HttpRequest) -> HttpResponse:
    """List the chosen company's payments with filters and the totals by status."""
    company = context_processors.chosen_company(request)
    context: dict[str, Any] = {}
    if company is not None:
        form = forms.PaymentFilterForm(request.GET or None, company=company)
        payments = selectors.payments_of_company(company=company)
        if form.is_valid():
            data = form.cleaned_data
            if data.get("status") is not None:
                payments = payments.filter(status=data["status"])
            if data.get("date_from"):
                payments = payments.filter(payment_date__gte=data["date_from"])
            if data.get("date_to"):
                payments = payments.filter(payment_date__lte=data["date_to"])
            if data.get("bank_partner"):
                payments = payments.filter(bank_partner=data["bank_partner"])
        elif form.is_bound:
            # A filter that cannot be applied lists nothing (with its errors) rather than every payment.
            payments = payments.none()
        labels = dict(models.PaymentStatus.choices)
        totals = [
            {**row, "label": labels.get(row["status"], row["status"])}
            for row in selectors.payment_totals_by_status(payments=payments)
        ]
        page = Paginator(payments, PAYMENTS_PER_PAGE).get_page(request.GET.get("page"))
        context.update(form=form, page=page, totals=totals)
    return render(request, "payments/list.html", context)


@login_required
def payment_propose(request: HttpRequest) -> HttpResponse:
    """Show the proposal form; with htmx (or `preview`) the preview, else make the proposal."""
    company = context_processors.chosen_company(request)
    if company is None:
        return render(request, "payments/propose.html", {})
    form = forms.ProposalForm(
        request.POST or None,
        company=company,
        initial={"due_date_to": timezone.localdate() + datetime.timedelta(days=14)},
    )
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        now = timezone.now()
        try:
            if "preview" in request.POST:
                context["plan"] = proposal.proposal_plan(**form.criteria(), today=timezone.localdate(now))
                template = (
                    "payments/_preview.html" if getattr(request, "htmx", False) else "payments/propose.html"
                )
                return render(request, template, context)
            result = proposal.payment_proposal_create(**form.criteria(), actor=request.user, now=now)
        except errors.PaymentError as exc:
            form.add_error(None, exc.message)
        else:
            numbers = ", ".join(str(payment.number) for payment in result.payments)
            if result.payments:
                messages.success(
                    request,
                    ngettext(
                        "Payment %(numbers)s proposed.",
                        "Payments %(numbers)s proposed.",
                        len(result.payments),
                    )
                    % {"numbers": numbers},
                )
            else:
                messages.warning(request, _("No items to pay."))
            if result.left_out:
                messages.info(
                    request,
                    ngettext("%(count)d item left out.", "%(count)d items left out.", len(result.left_out))
                    % {"count": len(result.left_out)},
                )
            return HttpResponseRedirect(reverse("payments"))
    if getattr(request, "htmx", False) and request.method == "POST":
        return render(request, "payments/_preview.html", context)
    return render(request, "payments/propose.html", context)


@login_required
def payment_detail(request: HttpRequest, payment_id: int) -> HttpResponse:
    """A payment with its lines, their flags, its history and the actions its status allows."""
    payment = _payment_or_404(request, payment_id)
    lines = (
        payment.lines.select_related("supplier", "open_item")
        .prefetch_related(
            Prefetch("flags", queryset=models.PaymentLineFlag.objects.select_related("overridden_by"))
        )
        .order_by("pk")
    )
    context = {
        "payment": payment,
        "lines": lines,
        "events": event_texts.events_shown(
            selectors.payment_events(payment=payment), company_id=payment.company_id
        ),
        "open_flags": selectors.payment_open_flags(payment=payment).exists(),
        "is_approver": guard.user_is_approver(user=request.user, company=payment.company),
        "date_form": forms.PaymentDateForm(initial={"payment_date": payment.payment_date}),
    }
    return render(request, "payments/detail.html", context)


@login_required
@require_POST
def payment_upload(request: HttpRequest, payment_id: int) -> HttpResponse:
    payment = _payment_or_404(request, payment_id)
    try:
        upload.payment_upload_check(payment=payment)
        authorise.second_factor_check(
            ip=company_audit.client_ip(request),
            user=request.user,
            companies=[payment.company],
            code=request.POST.get("otp", "").strip(),
        )
        upload.payment_upload(
            payment=payment, actor=request.user, now=timezone.now(), ip=company_audit.client_ip(request)
        )
    except errors.PaymentError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Payment %(number)s uploaded to AutoPay.") % {"number": payment.number})
    return _to_detail(payment.pk)


@login_required
@require_POST
def payments_upload_selected(request: HttpRequest) -> HttpResponse:
    """Upload the payments ticked on the list; a large selection uploads in the background."""
    ids = [int(value) for value in request.POST.getlist("payments") if (value.isascii() and value.isdigit())]
    found = selectors.payments_for_user(user=request.user).in_bulk(ids)
    chosen = [found[pk] for pk in dict.fromkeys(ids) if pk in found]
    if not chosen:
        messages.warning(request, _("Choose the payments to upload."))
        return HttpResponseRedirect(reverse("payments"))
    now = timezone.now()
    try:
        authorise.second_factor_check(
            ip=company_audit.client_ip(request),
            user=request.user,
            companies={p.company_id: p.company for p in chosen}.values(),
            code=request.POST.get("otp", "").strip(),
        )
    except errors.PaymentError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(reverse("payments"))
    if len(chosen) > settings.PAYMENTS_UPLOAD_IN_BACKGROUND_OVER:
        run = upload.upload_run_start(
            payment_ids=[p.pk for p in chosen],
            actor=request.user,
            now=now,
            ip=company_audit.client_ip(request),
        )
        return HttpResponseRedirect(reverse("payment-upload-run", args=[run.pk]))
    outcome = upload.payments_upload(
        payments=chosen, actor=request.user, now=now, ip=company_audit.client_ip(request)
    )
    if outcome.uploaded:
        messages.success(
            request,
            _("Uploaded to AutoPay: payments %(numbers)s.")
            % {"numbers": ", ".join(str(p.number) for p in outcome.uploaded)},
        )
    for refusal in outcome.refused:
        messages.error(request, refusal.reason)
    return HttpResponseRedirect(reverse("payments"))


@login_required
def upload_run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    """Progress of a background upload; htmx polls it until it is done."""
    run = get_object_or_404(selectors.upload_runs_for_user(user=request.user), pk=run_id)
    template = "payments/_run.html" if getattr(request, "htmx", False) else "payments/run.html"
    return render(request, template, {"run": run})


@login_required
@require_POST
def payment_delete(request: HttpRequest, payment_id: int) -> HttpResponse:
    payment = _payment_or_404(request, payment_id)
    try:
        number = editing.payment_delete(payment=payment, actor=request.user, now=timezone.now())
    except errors.PaymentError as exc:
        messages.error(request, exc.message)
        return _to_detail(payment.pk)
    messages.success(request, _("Payment %(number)s deleted.") % {"number": number})
    return HttpResponseRedirect(reverse("payments"))


@login_required
@require_POST
def payment_date_change(request: HttpRequest, payment_id: int) -> HttpResponse:
    payment = _payment_or_404(request, payment_id)
    form = forms.PaymentDateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a valid payment date."))
        return _to_detail(payment.pk)
    try:
        editing.payment_date_change(
            payment=payment,
            payment_date=form.cleaned_data["payment_date"],
            actor=request.user,
            now=timezone.now(),
        )
    except errors.PaymentError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Payment date changed."))
    return _to_detail(payment.pk)


@login_required
@require_POST
def line_remove(request: HttpRequest, line_id: int) -> HttpResponse:
    line = get_object_or_404(selectors.payment_lines_for_user(user=request.user), pk=line_id)
    try:
        editing.payment_line_remove(line=line, actor=request.user, now=timezone.now())
    except errors.PaymentError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Line removed."))
    return _to_detail(line.payment_id)


@login_required
@require_POST
def line_reduce(request: HttpRequest, line_id: int) -> HttpResponse:
    line = get_object_or_404(selectors.payment_lines_for_user(user=request.user), pk=line_id)
    form = forms.ReduceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a valid amount."))
        return _to_detail(line.payment_id)
    try:
        editing.payment_line_reduce(
            line=line, amount=form.cleaned_data["amount"], actor=request.user, now=timezone.now()
        )
    except errors.PaymentError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Amount changed."))
    return _to_detail(line.payment_id)


@login_required
@require_POST
def flag_override(request: HttpRequest, flag_id: int) -> HttpResponse:
    flag = get_object_or_404(selectors.payment_flags_for_user(user=request.user), pk=flag_id)
    form = forms.OverrideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("An override needs a reason."))
        return _to_detail(flag.line.payment_id)
    try:
        authorise.second_factor_check(
            ip=company_audit.client_ip(request),
            user=request.user,
            companies=[flag.company],
            code=form.cleaned_data["otp"].strip(),
        )
        guard.payment_line_flag_override(
            flag=flag,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            now=timezone.now(),
            ip=company_audit.client_ip(request),
        )
    except errors.PaymentError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Flag overridden."))
    return _to_detail(flag.line.payment_id)


@login_required
def autopay_ui(request: HttpRequest) -> HttpResponse:
    """Open AutoPay's own web pages (the simulator's, on this installation)."""
    return HttpResponseRedirect(settings.AUTOPAY_BASE_URL.rstrip("/") + "/")
