"""The web page and the admin action where a company administrator activates AutoPay with the code AutoPay
issued."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers as admin_helpers
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from company import activation, audit, models, tenancy, twofactor


class ActivationForm(forms.Form):
    activation_code = forms.CharField(
        label=_("Activation code"),
        max_length=100,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "K7P2-QX9M-…"}),
        help_text=_("The one-time code AutoPay gave you for this company."),
    )
    otp = forms.CharField(
        label=_("Two-factor code"),
        max_length=12,
        required=False,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text=_("A fresh code from your authenticator app, when the company requires two-factor."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def company_activate_autopay(request: HttpRequest, company_id: int) -> HttpResponse:
    company = get_object_or_404(tenancy.companies_for_user(request.user), pk=company_id)
    if not activation.user_may_activate_autopay(user=request.user, company=company):
        raise PermissionDenied(gettext("Only an administrator of the company may activate AutoPay."))
    form = ActivationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            activation.company_autopay_activate(
                company=company,
                activation_code=form.cleaned_data["activation_code"],
                now=timezone.now(),
                user=request.user,
                otp=form.cleaned_data.get("otp"),
                ip=audit.client_ip(request),
            )
        except twofactor.TwoFactorError as exc:
            form.add_error("otp", str(exc.message))
        except activation.ActivationError as exc:
            form.add_error("activation_code", exc.message)
        else:
            messages.success(request, gettext("AutoPay is activated for %(name)s.") % {"name": company.name})
            return redirect("company-activate-autopay", company_id=company.pk)
    return render(request, "company/activate.html", {"company": company, "form": form})


@admin.action(description=_("Activate AutoPay"), permissions=["change"])
def admin_activate_autopay(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[models.Company]
) -> HttpResponse | None:
    """Admin action on Company: ask for the activation code on an intermediate page, then activate."""
    if queryset.count() != 1:
        modeladmin.message_user(
            request, gettext("Select exactly one company to activate."), level=messages.ERROR
        )
        return None
    company = queryset.get()
    if not activation.user_may_activate_autopay(user=request.user, company=company):
        modeladmin.message_user(
            request,
            gettext("Only an administrator of the company may activate AutoPay."),
            level=messages.ERROR,
        )
        return None
    form = ActivationForm(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        try:
            activation.company_autopay_activate(
                company=company,
                activation_code=form.cleaned_data["activation_code"],
                now=timezone.now(),
                user=request.user,
                otp=form.cleaned_data.get("otp"),
                ip=audit.client_ip(request),
            )
        except twofactor.TwoFactorError as exc:
            form.add_error("otp", str(exc.message))
        except activation.ActivationError as exc:
            form.add_error("activation_code", exc.message)
        else:
            modeladmin.message_user(
                request,
                gettext("AutoPay is activated for %(name)s.") % {"name": company},
                level=messages.SUCCESS,
            )
            return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": gettext("Activate AutoPay"),
        "opts": modeladmin.model._meta,
        "company": company,
        "form": form,
        "action_checkbox_name": admin_helpers.ACTION_CHECKBOX_NAME,
        "action_name": request.POST.get("action", "admin_activate_autopay"),
    }
    return TemplateResponse(request, "admin/company/company/activate_autopay.html", context)
