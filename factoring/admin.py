"""Admin for the incoming-payments app, scoped to the user's companies. Payments and imports are read-only:
only the import and allocation services write them."""

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from company import admin as company_admin
from company import tenancy
from factoring import errors, models, services


class _Scoped(admin.ModelAdmin):
    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return tenancy.scope_to_user(super().get_queryset(request), request.user)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        queryset = getattr(field, "queryset", None)
        if field is not None and queryset is not None:
            scoped = tenancy.scope_related(queryset, request.user)
            if scoped is not None:
                field.queryset = scoped
        return field


class _ReadOnly(_Scoped):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class FactoringCompanyForm(ModelForm):
    class Meta:
        model = models.FactoringCompany
        fields = [
            "company",
            "number",
            "name",
            "processing",
            "factoring_id",
            "payment_processing",
            "kid_customer_digits",
            "kid_reference_digits",
            "bank_account",
            "gl_account",
            "voucher_series",
            "write_off_tolerance",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        company = cleaned.get("company") or getattr(self.instance, "company", None)
        if company is not None:
            values = {key: value for key, value in cleaned.items() if key != "company"}
            problems = services.definition_problems(company=company, values=values)
            if problems:
                raise ValidationError({key: value for key, value in problems.items() if key in self.fields})
        return cleaned


@admin.register(models.FactoringCompany)
class FactoringCompanyAdmin(_Scoped):
    form = FactoringCompanyForm
    list_display = ["number", "company", "factoring_id", "bank_account", "gl_account", "voucher_series"]
    list_filter = [company_admin.COMPANY_FILTER]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A definition stays with its company: its GL account and series are that company's.
        if obj is not None:
            return ["company", *super().get_readonly_fields(request, obj)]
        return super().get_readonly_fields(request, obj)

    def save_model(self, request: HttpRequest, obj: models.FactoringCompany, form: Any, change: bool) -> None:
        values = {key: form.cleaned_data[key] for key in form.cleaned_data if key != "company"}
        try:
            if change:
                services.factoring_company_update(definition=obj, **values)
            else:
                saved = services.factoring_company_create(company=form.cleaned_data["company"], **values)
                obj.pk = saved.pk
        except errors.DefinitionInvalid as exc:
            raise ValidationError(str(exc)) from exc


@admin.register(models.IncomingImport)
class IncomingImportAdmin(_ReadOnly):
    list_display = ["id", "company", "filename", "status", "imported_count", "skipped_count", "created_at"]
    list_filter = ["status", company_admin.COMPANY_FILTER]


@admin.register(models.IncomingPayment)
class IncomingPaymentAdmin(_ReadOnly):
    list_display = ["id", "company", "source", "value_date", "amount", "kid", "result", "rule", "allocation"]
    list_filter = ["result", "source", "allocation", company_admin.COMPANY_FILTER]
    search_fields = ["kid", "archive_reference", "message", "payer_name"]


@admin.register(models.IncomingPaymentEvent)
class IncomingPaymentEventAdmin(_ReadOnly):
    list_display = ["payment", "kind", "user", "at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return tenancy.scope_to_user(
            models.IncomingPaymentEvent.objects.all(), request.user, company_field="payment__company"
        )


@admin.register(models.SkippedPayment)
class SkippedPaymentAdmin(_ReadOnly):
    list_display = ["file_import", "line_no", "archive_reference", "amount", "earlier"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return tenancy.scope_to_user(
            models.SkippedPayment.objects.all(), request.user, company_field="file_import__company"
        )
