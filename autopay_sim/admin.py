from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_otp.plugins.otp_totp import admin as otp_totp_admin
from django_otp.plugins.otp_totp.models import TOTPDevice

from autopay_sim import models, services


class BankAgreementInline(admin.TabularInline):
    model = models.BankAgreement
    extra = 0


class SimMembershipInline(admin.TabularInline):
    model = models.SimMembership
    extra = 0


@admin.register(models.SimCompany)
class SimCompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "org_no", "activated_at", "allow_pre_approval", "two_factor_required"]
    search_fields = ["name", "org_no"]
    readonly_fields = ["activated_at", "last_message_seq"]
    exclude = ["signing_key_ciphertext"]
    inlines = [BankAgreementInline, SimMembershipInline]
    actions = ["issue_activation_code"]

    @admin.action(description="Issue an activation code")
    def issue_activation_code(self, request: HttpRequest, queryset: QuerySet[models.SimCompany]) -> None:
        for company in queryset:
            try:
                code = services.activation_code_issue(company_id=company.pk, now=timezone.now())
            except services.SimError as exc:
                self.message_user(request, str(exc), level=messages.WARNING)
            else:
                self.message_user(request, f"{company}: activation code {code} (shown once)")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that only services write (payments, their events, the message feed): shown, never edited here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PaymentLineInline(admin.TabularInline):
    model = models.PaymentLine
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in models.PaymentLine._meta.fields]


@admin.register(models.Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["reference", "payment_id", "company", "requested_date", "status"]
    list_filter = ["status"]
    search_fields = ["reference", "payment_id", "company__org_no"]
    exclude = ["document"]
    inlines = [PaymentLineInline]


@admin.register(models.Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["company", "seq", "type", "created_at"]
    list_filter = ["type"]


@admin.register(models.PaymentEvent)
class PaymentEventAdmin(ReadOnlyAdmin):
    list_display = ["payment", "kind", "from_status", "to_status", "actor", "at"]
    list_filter = ["kind"]


admin.site.register(models.ClosedAccount)
admin.site.register(models.StoppedAccount)


class TOTPDeviceAdmin(otp_totp_admin.TOTPDeviceAdmin):
    """django-otp's admin of TOTP devices (the simulator's approvers' too, docs/autopay-sim.md), with a device
    that does not exist a 404 on its configuration and QR pages (django-otp looks it up with `get`)."""

    def config_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        get_object_or_404(TOTPDevice, pk=pk)
        return super().config_view(request, pk)

    def qrcode_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        get_object_or_404(TOTPDevice, pk=pk)
        return super().qrcode_view(request, pk)


if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
admin.site.register(TOTPDevice, TOTPDeviceAdmin)
