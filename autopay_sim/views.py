"""The simulator's web UI under /autopay/: outgoing payments, approval with TOTP, cancel, amend, the bank."""

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from autopay_sim import models, selectors, services

LOGIN_URL = "autopay_sim:login"


class LoginForm(forms.Form):
    username = forms.CharField(max_length=150)
    password = forms.CharField(widget=forms.PasswordInput)
    otp_code = forms.CharField(label="One-time code (optional)", required=False, max_length=8)


def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request, username=form.cleaned_data["username"], password=form.cleaned_data["password"]
        )
        if user is None:
            form.add_error(None, "Wrong username or password.")
        else:
            code = form.cleaned_data["otp_code"].strip()
            device = None
            if code:
                device = next(
                    (
                        d
                        for d in TOTPDevice.objects.devices_for_user(user, confirmed=True)
                        if d.verify_token(code)
                    ),
                    None,
                )
                if device is None:
                    form.add_error("otp_code", "The one-time code is not valid.")
            if not form.errors:
                login(request, user)
                if device is not None:
                    otp_login(request, device)
                return redirect(request.GET.get("next") or reverse("autopay_sim:home"))
    return render(request, "autopay_sim/login.html", {"form": form})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("autopay_sim:login")


def _visible_payment(request: HttpRequest, reference: str) -> models.Payment:
    return get_object_or_404(selectors.payments_for_user(user=request.user), reference=reference)


@login_required(login_url=LOGIN_URL)
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "autopay_sim/payment_list.html",
        {
            "payments": selectors.payments_for_user(user=request.user),
            "is_administrator": selectors.user_is_administrator(user=request.user),
            "today": timezone.localdate(),
        },
    )


@login_required(login_url=LOGIN_URL)
def payment_detail(request: HttpRequest, reference: str) -> HttpResponse:
    payment = _visible_payment(request, reference)
    context: dict[str, Any] = {
        "payment": payment,
        "lines": payment.lines.order_by("id"),
        "events": payment.events.select_related("line").order_by("at", "id"),
        "approvals": payment.approvals.select_related("user"),
        "needs_code": payment.agreement.two_factor_level == models.TwoFactorLevel.APPROVAL,
    }
    return render(request, "autopay_sim/payment_detail.html", context)


def _back(reference: str) -> HttpResponseRedirect:
    return redirect("autopay_sim:payment", reference=reference)


@require_POST
@login_required(login_url=LOGIN_URL)
def payment_approve(request: HttpRequest, reference: str) -> HttpResponse:
    payment = _visible_payment(request, reference)
    is_verified = getattr(request.user, "is_verified", None)
    try:
        payment = services.payment_approve(
            payment_id=payment.pk,
            user=request.user,  # type: ignore[arg-type]  # login_required: not anonymous
            now=timezone.now(),
            otp_code=request.POST.get("otp_code", ""),
            session_verified=bool(is_verified and is_verified()),
        )
    except services.ApprovalRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{payment.reference} is {payment.get_status_display()}.")
    return _back(reference)


@require_POST
@login_required(login_url=LOGIN_URL)
def payment_cancel(request: HttpRequest, reference: str) -> HttpResponse:
    payment = _visible_payment(request, reference)
    try:
        payment = services.payment_cancel(
            payment_id=payment.pk,
            actor=request.user.get_username(),
            now=timezone.now(),
            reason="Cancelled in AutoPay",
        )
    except services.PaymentConflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{payment.reference} is cancelled.")
    return _back(reference)


@require_POST
@login_required(login_url=LOGIN_URL)
def payment_date(request: HttpRequest, reference: str) -> HttpResponse:
    payment = _visible_payment(request, reference)
    try:
        new_date = datetime.date.fromisoformat(request.POST.get("requested_date", ""))
        services.payment_date_change(
            payment_id=payment.pk,
            requested_date=new_date,
            user=request.user,  # type: ignore[arg-type]
            now=timezone.now(),
        )
    except ValueError:
        messages.error(request, "Give the date as YYYY-MM-DD.")
    except services.AmendRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"The date is now {new_date.isoformat()}.")
    return _back(reference)


@require_POST
@login_required(login_url=LOGIN_URL)
def line_amount(request: HttpRequest, reference: str, line_id: int) -> HttpResponse:
    payment = _visible_payment(request, reference)
    line = get_object_or_404(payment.lines, pk=line_id)
    try:
        amount = Decimal(request.POST.get("amount", "").replace(",", ".").replace(" ", ""))
        services.payment_line_amount_reduce(
            line_id=line.pk,
            amount=amount,
            user=request.user,  # type: ignore[arg-type]
            now=timezone.now(),
        )
    except InvalidOperation:
        messages.error(request, "Give the amount as a number.")
    except services.AmendRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{line.end_to_end_id} is now {amount}.")
    return _back(reference)


@require_POST
@login_required(login_url=LOGIN_URL)
def bank_run_day(request: HttpRequest) -> HttpResponse:
    if not selectors.user_is_administrator(user=request.user):
        raise PermissionDenied("only an AutoPay Administrator runs the bank")
    day = timezone.localdate()
    result = services.bank_day_run(day=day, now=timezone.now())
    messages.success(
        request,
        f"Bank day {day}: {result.payments} payments, {result.paid} lines paid, {result.rejected} rejected.",
    )
    return redirect("autopay_sim:home")


class InvoiceApprovalForm(forms.Form):
    company = forms.ModelChoiceField(queryset=models.SimCompany.objects.none())
    invoice_no = forms.CharField(max_length=40)
    supplier_account = forms.CharField(max_length=34)
    amount = forms.DecimalField(max_digits=18, decimal_places=2, min_value=Decimal("0.01"))
    currency = forms.CharField(max_length=3, initial="NOK")
    otp_code = forms.CharField(label="One-time code", max_length=8)


@login_required(login_url=LOGIN_URL)
def invoice_approval(request: HttpRequest) -> HttpResponse:
    """The Approval side's "Approve and pay": an Invoice Approver signs with a TOTP code, a token is sent."""
    form = InvoiceApprovalForm(request.POST or None)
    form.fields["company"].queryset = selectors.companies_for_user(user=request.user)  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.approval_token_issue(
                company_id=data["company"].pk,
                user=request.user,  # type: ignore[arg-type]
                invoice_no=data["invoice_no"],
                supplier_account=data["supplier_account"],
                amount=data["amount"],
                currency=data["currency"],
                otp_code=data["otp_code"],
                now=timezone.now(),
            )
        except services.ApprovalRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Invoice {data['invoice_no']} is approved for payment.")
            return redirect("autopay_sim:invoice-approval")
    return render(request, "autopay_sim/invoice_approval.html", {"form": form})
