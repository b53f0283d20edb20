"""The user's two-factor enrolment page and the company administrators' audit log page."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from company import audit, twofactor


class ConfirmDeviceForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=12,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_enrol(request: HttpRequest) -> HttpResponse:
    """Show the QR code of a new TOTP device, and confirm it with a code from the app."""
    device = twofactor.confirmed_device(request.user)
    if device is not None:
        return render(request, "company/two_factor.html", {"device": device, "enrolled": True})
    pending = twofactor.totp_device_enrol_start(user=request.user)
    form = ConfirmDeviceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            confirmed = twofactor.totp_device_confirm(
                user=request.user,
                code=form.cleaned_data["code"],
                ip=audit.client_ip(request),
                now=timezone.now(),
            )
        except twofactor.TwoFactorError as exc:
            form.add_error("code", str(exc.message))
        else:
            otp_login(request, confirmed)
            messages.success(request, _("Two-factor authentication is on for your account."))
            return redirect("two-factor")
    context = {
        "form": form,
        "enrolled": False,
        "qr_svg": twofactor.provisioning_qr_svg(pending),
        "secret": twofactor.device_secret_base32(pending),
    }
    response = render(request, "company/two_factor.html", context)
    # The page shows a secret: never kept by a browser or a proxy.
    response["Cache-Control"] = "no-store"
    return response


@login_required
def audit_log(request: HttpRequest, company_id: int) -> HttpResponse:
    """The company's audit log, for its administrators (a member of another role gets 404)."""
    company = get_object_or_404(audit.companies_whose_audit_user_may_read(request.user), pk=company_id)
    page = Paginator(audit.audit_events_for_company(company=company), 50).get_page(request.GET.get("page"))
    return render(request, "company/audit_log.html", {"company": company, "page": page})
