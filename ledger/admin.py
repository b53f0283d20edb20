"""Django admin for the ledger, scoped to the user's companies.

Vouchers, journal lines and reconciliations are written by the ledger's services only and are read-only here:
a posted voucher is corrected by a reversing voucher, never edited.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from company import admin as company_admin
from company import audit as company_audit
from ledger import models, money, rules, services, supplier_audit

COMPANY_FILTER = company_admin.COMPANY_FILTER


@admin.register(models.Account)
class AccountAdmin(company_admin.CompanyScopedAdminMixin, admin.ModelAdmin):
    list_display = ["number", "name", "kind", "role", "company", "is_active"]
    list_filter = ["kind", "role", "is_active", COMPANY_FILTER]
    search_fields = ["number", "name", "company__name", "company__org_no"]
    list_select_related = ["company"]


@admin.register(models.Supplier)
class SupplierAdmin(company_admin.CompanyScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["number", "name", "org_no", "bank_account", "company"]
    list_filter = [COMPANY_FILTER]
    search_fields = ["number", "name", "org_no", "bank_account"]
    list_select_related = ["company"]

    def save_model(
        self, request: HttpRequest, obj: models.Supplier, form: forms.ModelForm, change: bool
    ) -> None:
        previous = (
            models.Supplier.objects.filter(pk=obj.pk).values_list("bank_account", flat=True).first()
            if change
            else None
        )
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            supplier_audit.supplier_bank_account_audit(
                supplier=obj,
                previous=previous,
                user=request.user,
                ip=company_audit.client_ip(request),
                now=timezone.now(),
            )


@admin.register(models.Customer)
class CustomerAdmin(company_admin.CompanyScopedAdminMixin, admin.ModelAdmin):
    list_display = ["number", "name", "org_no", "company"]
    list_filter = [COMPANY_FILTER]
    search_fields = ["number", "name", "org_no"]
    list_select_related = ["company"]


class OpenItemAdminForm(forms.ModelForm):
    class Meta:
        model = models.OpenItem
        fields = [
            "company",
            "kind",
            "customer",
            "supplier",
            "invoice_no",
            "kid",
            "currency",
            "amount",
            "invoice_date",
            "due_date",
            "payment_blocked",
            "payment_block_reason",
        ]

    def clean_currency(self) -> str:
        try:
            return money.currency_normalised(self.cleaned_data.get("currency") or "")
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        dates = rules.open_item_dates_problem(
            invoice_date=cleaned.get("invoice_date"), due_date=cleaned.get("due_date")
        )
        if dates:
            raise forms.ValidationError({"due_date": dates})
        # A new item is recorded by services.open_item_create; report its rules here as form errors.
        if self.instance.pk is None and cleaned.get("company") and cleaned.get("amount") is not None:
            problem = rules.open_item_problem(
                company_id=cleaned["company"].pk,
                kind=cleaned.get("kind", ""),
                customer=cleaned.get("customer"),
                supplier=cleaned.get("supplier"),
                kid=cleaned.get("kid", ""),
                amount=cleaned["amount"],
                currency=cleaned.get("currency", ""),
                invoice_date=cleaned.get("invoice_date"),
                due_date=cleaned.get("due_date"),
            )
            if problem:
                raise forms.ValidationError(problem)
        if cleaned.get("payment_blocked") and not (cleaned.get("payment_block_reason") or "").strip():
            raise forms.ValidationError({"payment_block_reason": _("A payment block needs a reason.")})
        return cleaned


@admin.register(models.OpenItem)
class OpenItemAdmin(company_admin.CompanyScopedAdminMixin, admin.ModelAdmin):
    form = OpenItemAdminForm
    list_display = [
        "__str__",
        "kind",
        "customer",
        "supplier",
        "kid",
        "amount",
        "remaining_amount",
        "status",
        "due_date",
        "payment_blocked",
        "company",
    ]
    list_filter = ["kind", "status", "payment_blocked", "currency", "due_date", COMPANY_FILTER]
    search_fields = ["invoice_no", "kid", "customer__name", "supplier__name"]
    list_select_related = ["company", "customer", "supplier"]
    readonly_fields = ["remaining_amount", "status", "created_at"]
    date_hierarchy = "due_date"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Once an item exists, its amount is what reconciliations are measured against.
        if obj is not None:
            return [*self.readonly_fields, "company", "kind", "customer", "supplier", "amount", "currency"]
        return list(self.readonly_fields)

    def save_model(
        self, request: HttpRequest, obj: models.OpenItem, form: forms.ModelForm, change: bool
    ) -> None:
        blocked, reason = obj.payment_blocked, obj.payment_block_reason
        if change:
            # The payment block goes through its service; the rest of the row as the admin saves it.
            obj.payment_blocked, obj.payment_block_reason = models.OpenItem.objects.values_list(
                "payment_blocked", "payment_block_reason"
            ).get(pk=obj.pk)
            super().save_model(request, obj, form, change)
            if "payment_blocked" in form.changed_data or "payment_block_reason" in form.changed_data:
                item = services.open_item_payment_block_set(open_item=obj, blocked=blocked, reason=reason)
                obj.payment_blocked, obj.payment_block_reason = (
                    item.payment_blocked,
                    item.payment_block_reason,
                )
            return
        created = services.open_item_create(
            company=obj.company,
            kind=obj.kind,
            customer=obj.customer,
            supplier=obj.supplier,
            invoice_no=obj.invoice_no,
            kid=obj.kid,
            currency=obj.currency,
            amount=obj.amount,
            invoice_date=obj.invoice_date,
            due_date=obj.due_date,
        )
        if blocked:
            created = services.open_item_payment_block_set(open_item=created, blocked=True, reason=reason)
        # The admin goes on with `obj` (its messages, log entry and redirect name it).
        obj.pk = created.pk
        obj.remaining_amount, obj.status, obj.created_at = (
            created.remaining_amount,
            created.status,
            created.created_at,
        )


@admin.register(models.VoucherSeries)
class VoucherSeriesAdmin(company_admin.CompanyScopedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "next_number", "company"]
    list_filter = [COMPANY_FILTER]
    search_fields = ["code", "name"]
    list_select_related = ["company"]
    # Numbers are handed out by the posting services only: set back, the next posting would collide with a
    # posted number; set forward, the series would have a gap.
    readonly_fields = ["next_number"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A series' vouchers stay with the company the series was made for.
        if obj is not None:
            return [*self.readonly_fields, "company"]
        return list(self.readonly_fields)


@admin.register(models.Batch)
class BatchAdmin(company_admin.ReadOnlyAdminMixin, company_admin.CompanyScopedAdminMixin, admin.ModelAdmin):
    list_display = ["pk", "description", "source", "created_at", "company"]
    list_filter = ["source", COMPANY_FILTER]
    search_fields = ["description"]
    list_select_related = ["company"]


class JournalLineInline(admin.TabularInline):
    model = models.JournalLine
    extra = 0
    can_delete = False
    fields = ["account", "amount", "currency", "description", "customer", "supplier"]
    readonly_fields = ["account", "amount", "currency", "description", "customer", "supplier"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(models.Voucher)
class VoucherAdmin(company_admin.ReadOnlyAdminMixin, company_admin.CompanyScopedAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "date", "description", "batch", "posted_at", "company"]
    list_filter = ["series__code", "date", COMPANY_FILTER]
    search_fields = ["number", "description"]
    list_select_related = ["company", "series", "batch"]
    date_hierarchy = "date"
    inlines = [JournalLineInline]


@admin.register(models.JournalLine)
class JournalLineAdmin(
    company_admin.ReadOnlyAdminMixin, company_admin.CompanyScopedAdminMixin, admin.ModelAdmin
):
    list_display = ["pk", "voucher", "account", "amount", "currency", "description", "company"]
    list_filter = ["currency", COMPANY_FILTER]
    search_fields = ["description", "account__number", "account__name"]
    list_select_related = ["company", "voucher__series", "voucher__company", "account__company"]


@admin.register(models.Reconciliation)
class ReconciliationAdmin(
    company_admin.ReadOnlyAdminMixin, company_admin.CompanyScopedAdminMixin, admin.ModelAdmin
):
    list_display = ["pk", "open_item", "journal_line", "amount", "created_at", "company"]
    list_filter = [COMPANY_FILTER]
    search_fields = ["open_item__invoice_no", "open_item__kid"]
    list_select_related = ["company", "open_item", "journal_line__account__company"]


@admin.register(models.PeriodLock)
class PeriodLockAdmin(company_admin.CompanyScopedAdminMixin, admin.ModelAdmin):
    list_display = ["company", "locked_through"]
    list_filter = [COMPANY_FILTER]
    search_fields = ["company__name", "company__org_no"]
    list_select_related = ["company"]
