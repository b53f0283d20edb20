"""The simulator's web UI under /autopay/: outgoing payments, approval with TOTP, cancel, amend, the bank."""

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from autopay_sim import models, selectors, services

LOGIN_URL = "autopay_sim:login"


class LoginForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("Username"), max_length=150)
    password = forms.CharField(label=gettext_lazy("Password"), widget=forms.PasswordInput)
    otp_code = forms.CharField(label=gettext_lazy("One-time code (optional)"), required=False, max_length=8)


def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request, username=form.cleaned_data["username"], password=form.cleaned_data["password"]
        )
        if user is None:
            form.add_error(None, _("Wrong username or password."))
        else:
            code = form.cleaned_data["otp_code"].strip()
            device = services.totp_device_verify(user=user, code=code) if code else None
            if code and device is None:
                form.add_error("otp_code", _("The one-time code is not valid."))
            else:
                login(request, user)
                if device is not None:
                    otp_login(request, device)
                return redirect(_next_url(request))
    return render(request, "autopay_sim/login.html", {"form": form})


def _next_url(request: HttpRequest) -> str:
    """Return the `next` page of this site to go to after login, else the home page."""
    target = request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("autopay_sim:home")


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


class ApproveForm(forms.Form):
    otp_code = forms.CharField(required=False, max_length=8)


class DateForm(forms.Form):
    requested_date = forms.DateField(input_formats=["%Y-%m-%d"])


class BankDayForm(forms.Form):
    day = forms.DateField(
        label=gettext_lazy("Bank day"),
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": gettext_lazy("Enter the bank day as a valid date.")},
    )


class AmountField(forms.DecimalField):
    """A decimal amount that may be written with a decimal comma and spaces between thousands."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = value.replace(",", ".").replace(" ", "").replace("\xa0", "")
        return super().to_python(value)


class AmountForm(forms.Form):
    amount = AmountField(max_digits=18, decimal_places=2, min_value=Decimal("0.01"))


def _amount(amount: Decimal) -> str:
    """Return the amount as the page shows amounts: two decimals, grouped, in the language's separators."""
    return formats.number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)


def _form_errors(form: forms.Form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def _payment_action(
    request: HttpRequest, reference: str, act: Callable[[models.Payment], str], form: forms.Form | None = None
) -> HttpResponse:
    """Run one service call on a payment the user may see, and go back to its page with the outcome.

    `form` (already bound) is checked first; `act` calls the service and returns the success message.
    """
    payment = _visible_payment(request, reference)
    if form is not None and not form.is_valid():
        messages.error(request, _form_errors(form))
        return _back(reference)
    try:
        done = act(payment)
    except services.SimError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return _back(reference)


def _user(request: HttpRequest) -> AbstractBaseUser:
    assert isinstance(request.user, AbstractBaseUser)  # login_required: not anonymous
    return request.user


@require_POST
@login_required(login_url=LOGIN_URL)
def payment_approve(request: HttpRequest, reference: str) -> HttpResponse:
    form = ApproveForm(request.POST)
    is_verified = getattr(request.user, "is_verified", None)

    def act(payment: models.Payment) -> str:
        payment = services.payment_approve(
            payment_id=payment.pk,
            user=_user(request),
            now=timezone.now(),
            otp_code=form.cleaned_data["otp_code"],
            session_verified=bool(is_verified and is_verified()),
        )
        return _("{reference} is {status}.").format(
            reference=payment.reference, status=_(payment.get_status_display())
        )

    return _payment_action(request, reference, act, form)


@require_POST
@login_required(login_url=LOGIN_URL)
def payment_cancel(request: HttpRequest, reference: str) -> HttpResponse:
    def act(payment: models.Payment) -> str:
        user = _user(request)
        payment = services.payment_cancel(
            payment_id=payment.pk,
            actor=user.get_username(),
            user=user,
            now=timezone.now(),
            reason=models.REASON_CANCELLED_IN_AUTOPAY,
        )
        return _("{reference} is cancelled.").format(reference=payment.reference)

    return _payment_action(request, reference, act)


@require_POST
@login_required(login_url=LOGIN_URL)
def payment_date(request: HttpRequest, reference: str) -> HttpResponse:
    form = DateForm(request.POST)

    def act(payment: models.Payment) -> str:
        new_date: datetime.date = form.cleaned_data["requested_date"]
        services.payment_date_change(
            payment_id=payment.pk, requested_date=new_date, user=_user(request), now=timezone.now()
        )
        return _("The date is now {date}.").format(date=formats.date_format(new_date, "SHORT_DATE_FORMAT"))

    return _payment_action(request, reference, act, form)


@require_POST
@login_required(login_url=LOGIN_URL)
def line_amount(request: HttpRequest, reference: str, line_id: int) -> HttpResponse:
    form = AmountForm(request.POST)

    def act(payment: models.Payment) -> str:
        line = get_object_or_404(payment.lines, pk=line_id)
        amount: Decimal = form.cleaned_data["amount"]
        services.payment_line_amount_reduce(
            line_id=line.pk, amount=amount, user=_user(request), now=timezone.now()
        )
        return _("{line} is now {amount}.").format(line=line.end_to_end_id, amount=_amount(amount))

    return _payment_action(request, reference, act, form)


@require_POST
@login_required(login_url=LOGIN_URL)
def bank_run_day(request: HttpRequest) -> HttpResponse:
    if not selectors.user_is_administrator(user=request.user):
        raise PermissionDenied("only an AutoPay Administrator runs the bank")
    # The day the bank runs (today unless chosen): it pays the approved payments due on or before it, so a
    # payment dated ahead can be paid without waiting for its day.
    form = BankDayForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("autopay_sim:home")
    day = form.cleaned_data["day"] or timezone.localdate()
    result = services.bank_day_run(day=day, now=timezone.now())
    messages.success(
        request,
        _(
            "Bank day {day}: payments {payments}, lines paid {paid}, rejected {rejected}, "
            "cancelled in bank {cancelled}."
        ).format(
            day=formats.date_format(day, "SHORT_DATE_FORMAT"),
            payments=result.payments,
            paid=result.paid,
            rejected=result.rejected,
            cancelled=result.cancelled,
        ),
    )
    return redirect("autopay_sim:home")


class InvoiceApprovalForm(forms.Form):
    company = forms.ModelChoiceField(label=gettext_lazy("Company"), queryset=models.SimCompany.objects.none())
    invoice_no = forms.CharField(label=gettext_lazy("Invoice no."), max_length=40)
    supplier_account = forms.CharField(label=gettext_lazy("Supplier account"), max_length=34)
    amount = AmountField(
        label=gettext_lazy("Amount"), max_digits=18, decimal_places=2, min_value=Decimal("0.01")
    )
    currency = forms.CharField(label=gettext_lazy("Currency"), max_length=3, initial="NOK")
    otp_code = forms.CharField(label=gettext_lazy("One-time code"), max_length=8)


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
                user=_user(request),
                invoice_no=data["invoice_no"],
                supplier_account=data["supplier_account"],
                amount=data["amount"],
                currency=data["currency"],
                otp_code=data["otp_code"],
                now=timezone.now(),
            )
        except services.SimError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("Invoice {invoice_no} is approved for payment.").format(invoice_no=data["invoice_no"]),
            )
            return redirect("autopay_sim:invoice-approval")
    return render(request, "autopay_sim/invoice_approval.html", {"form": form})
