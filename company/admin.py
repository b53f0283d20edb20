"""Django admin for companies and bank partners.

Every admin of a company-owned model scopes its rows and its foreign-key choices to the user's companies
(superusers see everything). The AutoPay signing key is write-only here: it can be set, never shown.
"""

import base64
import binascii
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import models as db_models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django_otp.plugins.otp_totp import admin as otp_totp_admin
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.admin import SimpleHistoryAdmin

from company import audit, models, services, tenancy, views_activation


def scope_foreign_key_choices(
    db_field: db_models.ForeignKey, request: HttpRequest, kwargs: dict[str, Any]
) -> dict[str, Any]:
    """Limit the choices of a foreign key to the rows of the user's companies."""
    scoped = tenancy.scope_related(db_field.remote_field.model._default_manager.all(), request.user)
    if scoped is not None:
        kwargs["queryset"] = scoped
    return kwargs


# Lists only the companies that occur in the (already scoped) rows, never every company.
COMPANY_FILTER = ("company", admin.RelatedOnlyFieldListFilter)


class CompanyScopedAdminMixin:
    """Show a non-superuser only the rows of its companies, and offer only those companies in choices."""

    company_field = "company"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        return tenancy.scope_to_user(queryset, request.user, self.company_field)

    def formfield_for_foreignkey(
        self, db_field: db_models.ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        kwargs = scope_foreign_key_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def _missing(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)  # type: ignore[attr-defined]

    # django-simple-history shows the history of any id, also one outside get_queryset (a deleted row's):
    # another company's row is answered as one that does not exist.
    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        if self.get_object(request, unquote(object_id)) is None:  # type: ignore[attr-defined]
            return self._missing(request, object_id)
        return super().history_view(request, object_id, extra_context)  # type: ignore[misc]

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        if self.get_object(request, unquote(object_id)) is None:  # type: ignore[attr-defined]
            return self._missing(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)  # type: ignore[misc]


class ReadOnlyAdminMixin:
    """Posted records are written by services only: no add, change or delete from the admin."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CompanyAdminForm(forms.ModelForm):
    new_signing_key = forms.CharField(
        label=_("Set new ApSigKey"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "The AutoPay signing key, base64. Write-only: it is stored encrypted and never shown again. "
            "Leave empty to keep the current key. Normally AutoPay activation sets it."
        ),
    )

    class Meta:
        model = models.Company
        fields = ["name", "org_no", "two_factor_required"]

    @method_decorator(sensitive_variables())
    def clean_new_signing_key(self) -> bytes | None:
        value = self.cleaned_data.get("new_signing_key") or ""
        if not value:
            return None
        try:
            key = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            # Never echo what was typed.
            raise forms.ValidationError(_("Not valid base64."), code="signing_key_base64") from None
        if len(key) < 16:
            raise forms.ValidationError(
                _("The key is too short (at least 16 bytes)."), code="signing_key_short"
            )
        return key


def audit_membership(
    request: HttpRequest, membership: models.Membership, event: str, previous_role: str = ""
) -> None:
    """Record a role granted, changed or revoked in the audit log."""
    details = {"member": membership.user.get_username(), "role": membership.role}
    if previous_role:
        details["previous_role"] = previous_role
    audit.audit_event_record(
        event=event,
        user=request.user,
        company=membership.company,
        ip=audit.client_ip(request),
        details=details,
        now=timezone.now(),
    )


class MembershipAuditMixin:
    """Audit every role change made in the admin: the Membership admin and the inline of the Company admin."""

    def save_model(self, request: HttpRequest, obj: Any, form: forms.ModelForm, change: bool) -> None:
        if isinstance(obj, models.Membership):
            previous = models.Membership.objects.filter(pk=obj.pk).values_list("role", flat=True).first()
            super().save_model(request, obj, form, change)  # type: ignore[misc]
            if previous is None:
                audit_membership(request, obj, models.AuditEventKind.ROLE_GRANTED)
            elif form.has_changed():
                audit_membership(request, obj, models.AuditEventKind.ROLE_CHANGED, previous_role=previous)
            return
        super().save_model(request, obj, form, change)  # type: ignore[misc]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not models.Membership:
            super().save_formset(request, form, formset, change)  # type: ignore[misc]
            return
        before = {
            m.pk: m.role
            for m in models.Membership.objects.filter(pk__in=[f.instance.pk for f in formset.forms])
        }
        deleted = [f.instance for f in formset.deleted_forms if f.instance.pk]
        super().save_formset(request, form, formset, change)  # type: ignore[misc]
        for membership in deleted:
            audit_membership(request, membership, models.AuditEventKind.ROLE_REVOKED)
        for membership in formset.new_objects:
            audit_membership(request, membership, models.AuditEventKind.ROLE_GRANTED)
        for membership, _fields in formset.changed_objects:
            audit_membership(
                request,
                membership,
                models.AuditEventKind.ROLE_CHANGED,
                previous_role=before.get(membership.pk, ""),
            )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)  # type: ignore[misc]
        if isinstance(obj, models.Membership):
            audit_membership(request, obj, models.AuditEventKind.ROLE_REVOKED)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        if queryset.model is not models.Membership:
            super().delete_queryset(request, queryset)  # type: ignore[misc]
            return
        memberships = list(queryset.select_related("user", "company"))
        super().delete_queryset(request, queryset)  # type: ignore[misc]
        for membership in memberships:
            audit_membership(request, membership, models.AuditEventKind.ROLE_REVOKED)


class MembershipInline(admin.TabularInline):
    model = models.Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(models.Company)
class CompanyAdmin(MembershipAuditMixin, CompanyScopedAdminMixin, SimpleHistoryAdmin):
    form = CompanyAdminForm
    company_field = "pk"
    list_display = ["name", "org_no", "autopay_activated_at", "two_factor_required"]
    list_filter = ["two_factor_required", ("autopay_activated_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "org_no"]
    readonly_fields = ["autopay_status", "autopay_key_id", "autopay_activated_at", "created_at"]
    fieldsets = [
        (None, {"fields": ["name", "org_no", "two_factor_required", "created_at"]}),
        (
            "AutoPay",
            {"fields": ["autopay_status", "autopay_key_id", "autopay_activated_at", "new_signing_key"]},
        ),
    ]
    inlines = [MembershipInline]
    actions = [views_activation.admin_activate_autopay]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A new company is a new tenant: only a superuser creates one.
        return bool(request.user.is_superuser) and super().has_add_permission(request)

    @admin.display(description="AutoPay")
    def autopay_status(self, obj: models.Company) -> str:
        if obj.is_autopay_activated() and obj.autopay_activated_at is not None:
            return f"Activated at {timezone.localtime(obj.autopay_activated_at):%Y-%m-%d %H:%M}"
        return "Not activated"

    @method_decorator(sensitive_post_parameters("new_signing_key"))
    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return super().changeform_view(request, *args, **kwargs)

    @method_decorator(sensitive_variables())
    def save_model(
        self, request: HttpRequest, obj: models.Company, form: forms.ModelForm, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        new_key = form.cleaned_data.get("new_signing_key")
        if new_key:
            try:
                services.company_signing_key_set(
                    company=obj, signing_key=new_key, key_id=obj.org_no, now=timezone.now()
                )
            except ImproperlyConfigured:
                self.message_user(
                    request,
                    gettext("The signing key was not stored: no encryption key is configured."),
                    level="error",
                )
            else:
                self.message_user(request, gettext("A new AutoPay signing key was stored (encrypted)."))


@admin.register(models.BankPartner)
class BankPartnerAdmin(CompanyScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["name", "company", "ebf_system", "bank_account", "gl_account_no", "is_active"]
    list_filter = ["ebf_system", "is_active", "ebf_post_settlement", COMPANY_FILTER]
    search_fields = ["name", "bank_account", "company__name", "company__org_no"]
    list_select_related = ["company"]


@admin.register(models.Membership)
class MembershipAdmin(MembershipAuditMixin, CompanyScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["user", "company", "role"]
    list_filter = ["role", COMPANY_FILTER]
    search_fields = ["user__username", "company__name", "company__org_no"]
    list_select_related = ["user", "company"]
    autocomplete_fields = ["user"]


@admin.register(models.AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit log, read-only for everyone (the database refuses changes anyway)."""

    list_display = ["at", "event", "username", "company", "ip"]
    list_filter = ["event"]
    search_fields = ["username", "ip"]
    readonly_fields = ["at", "event", "user", "username", "company", "ip", "details"]
    date_hierarchy = "at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(
            company_id__in=audit.companies_whose_audit_user_may_read(request.user).values("pk")
        )

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_staff) and (
            request.user.is_superuser or audit.companies_whose_audit_user_may_read(request.user).exists()
        )


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class CompanyUserAdmin(auth_admin.UserAdmin):
    """Users, for staff only those of their own companies (also in the membership's user picker).

        Only a superuser grants superuser status, permissions or groups: staff cannot raise anyone above
    themselves.
    """

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return tenancy.users_for_user(request.user, super().get_queryset(request))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ["is_superuser", "groups", "user_permissions"]
        return fields


class TOTPDeviceAdmin(otp_totp_admin.TOTPDeviceAdmin):
    """django-otp's admin of TOTP devices, with a device that does not exist a 404 on its configuration and QR
    pages (django-otp looks it up with `get`, a server error)."""

    def config_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        get_object_or_404(TOTPDevice, pk=pk)
        return super().config_view(request, pk)

    def qrcode_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        get_object_or_404(TOTPDevice, pk=pk)
        return super().qrcode_view(request, pk)


if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
admin.site.register(TOTPDevice, TOTPDeviceAdmin)
