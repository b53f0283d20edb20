from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

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


class PaymentLineInline(admin.TabularInline):
    model = models.PaymentLine
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in models.PaymentLine._meta.fields]


@admin.register(models.Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["reference", "payment_id", "company", "requested_date", "status"]
    list_filter = ["status"]
    search_fields = ["reference", "payment_id", "company__org_no"]
    exclude = ["document"]
    readonly_fields = ["company", "agreement", "reference", "payment_id", "message_id", "document_sha256"]
    inlines = [PaymentLineInline]


@admin.register(models.Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["company", "seq", "type", "created_at"]
    list_filter = ["type"]


admin.site.register(models.ClosedAccount)
admin.site.register(models.PaymentEvent)
