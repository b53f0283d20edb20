"""Admin of payments. Everything here is written by the payment services: the admin shows it, scoped to the
user's companies, and changes nothing."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from company import admin as company_admin
from payments import models, selectors


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LineInline(ReadOnlyInline):
    model = models.PaymentLine
    fields = readonly_fields = (
        "end_to_end_id",
        "supplier",
        "open_item",
        "amount",
        "amount_paid",
        "status",
        "kid",
        "message",
        "reason",
    )


class EventInline(ReadOnlyInline):
    model = models.PaymentEvent
    fields = readonly_fields = ("at", "kind", "actor", "line", "details")


@admin.register(models.Payment)
class PaymentAdmin(company_admin.ReadOnlyAdminMixin, company_admin.CompanyScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "number",
        "company",
        "bank_partner",
        "payment_date",
        "currency",
        "total",
        "status",
        "autopay_reference",
    ]
    list_filter = ["status", "currency", company_admin.COMPANY_FILTER]
    search_fields = ["=number", "autopay_reference"]
    list_select_related = ["company", "bank_partner"]
    date_hierarchy = "payment_date"
    exclude = ["document"]
    readonly_fields = ["document_sha256"]
    inlines = [LineInline, EventInline]


class LineStatusFilter(admin.SimpleListFilter):
    """A line's status, found through its phase, which the lines' (company, phase) index holds."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(str(status.value), status.label) for status in models.LineStatus]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value is None:
            return queryset
        try:
            status = models.LineStatus(int(value))
        except ValueError:
            return queryset.none()
        return queryset.filter(status=status, phase=models.LINE_PHASE_OF_STATUS[status])


@admin.register(models.PaymentLine)
class PaymentLineAdmin(
    company_admin.ReadOnlyAdminMixin, company_admin.CompanyScopedAdminMixin, admin.ModelAdmin
):
    list_display = [
        "end_to_end_id",
        "payment",
        "supplier",
        "amount",
        "amount_paid",
        "status",
        "value_date",
        "company",
    ]
    list_filter = [LineStatusFilter, company_admin.COMPANY_FILTER]
    search_fields = ["end_to_end_id", "kid", "supplier__name", "bank_reference"]
    list_select_related = ["payment__company", "supplier", "company"]


@admin.register(models.PaymentLineFlag)
class PaymentLineFlagAdmin(
    company_admin.ReadOnlyAdminMixin, company_admin.CompanyScopedAdminMixin, admin.ModelAdmin
):
    list_display = ["line", "kind", "detail", "overridden_at", "overridden_by", "override_reason", "company"]
    list_filter = ["kind", ("overridden_at", admin.EmptyFieldListFilter), company_admin.COMPANY_FILTER]
    list_select_related = ["line", "overridden_by", "company"]


@admin.register(models.PaymentEvent)
class PaymentEventAdmin(
    company_admin.ReadOnlyAdminMixin, company_admin.CompanyScopedAdminMixin, admin.ModelAdmin
):
    list_display = ["at", "payment", "kind", "actor", "line", "company"]
    list_filter = ["kind", company_admin.COMPANY_FILTER]
    list_select_related = ["payment__company", "actor", "company"]
    date_hierarchy = "at"


@admin.register(models.PaymentNumberSeries)
class PaymentNumberSeriesAdmin(
    company_admin.ReadOnlyAdminMixin, company_admin.CompanyScopedAdminMixin, admin.ModelAdmin
):
    list_display = ["company", "next_number"]


@admin.register(models.UploadRun)
class UploadRunAdmin(company_admin.ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["pk", "created_by", "created_at", "status", "finished_at", "task_id"]
    list_filter = ["status"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[models.UploadRun]:
        return selectors.upload_runs_for_user(user=request.user)
