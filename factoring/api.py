"""REST API of the incoming payments: KID definitions, file imports, payments and their allocation.

Everything is scoped to the user's companies (company.tenancy); another company's row answers 404. Writes go
through `factoring.services`; a refusal answers 400 with {"detail": …} (or per-field messages).
"""

from typing import Any

import django_filters
import django_filters.rest_framework
from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from company import api as company_api
from company import tenancy
from factoring import errors, models, selectors, services, tasks
from ledger import errors as ledger_errors
from ledger import models as ledger_models

_DEFINITION_FIELDS = [
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


class FactoringCompanySerializer(company_api.CompanyOwnedSerializer):
    """A KID definition; `gl_account` is the GL bank account debited ("OCR bankkontonr.")."""

    class Meta:
        model = models.FactoringCompany
        fields = ["id", "company", *_DEFINITION_FIELDS]
        validators: list[Any] = []  # the service checks uniqueness, with clearer messages

    def create(self, validated_data: dict[str, Any]) -> models.FactoringCompany:
        company = validated_data.pop("company")
        try:
            return services.factoring_company_create(company=company, **validated_data)
        except errors.DefinitionInvalid as exc:
            raise ValidationError({field: [problem] for field, problem in exc.problems.items()}) from exc

    def update(
        self, instance: models.FactoringCompany, validated_data: dict[str, Any]
    ) -> models.FactoringCompany:
        validated_data.pop("company", None)
        try:
            return services.factoring_company_update(definition=instance, **validated_data)
        except errors.DefinitionInvalid as exc:
            raise ValidationError({field: [problem] for field, problem in exc.problems.items()}) from exc


def _companies(request: HttpRequest | None) -> Any:
    return tenancy.companies_for_user(getattr(request, "user", None))


class CompanyFilter(django_filters.rest_framework.FilterSet):
    company = django_filters.ModelChoiceFilter(queryset=_companies)


class IncomingImportFilter(CompanyFilter):
    class Meta:
        model = models.IncomingImport
        fields = ["company"]


class FactoringCompanyFilter(CompanyFilter):
    bank_account = django_filters.CharFilter(
        method="filter_bank_account",
        help_text="The account as on incoming payments, as BBAN or IBAN, with or without spaces and dots.",
    )

    class Meta:
        model = models.FactoringCompany
        fields = ["company", "bank_account"]

    def filter_bank_account(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(bank_account=services.account_key(value))


class FactoringCompanyViewSet(company_api.CompanyScopedViewSetMixin, viewsets.ModelViewSet):
    """KID definitions (the Factoring company table) of the user's companies."""

    queryset = models.FactoringCompany.objects.select_related("company")
    serializer_class = FactoringCompanySerializer
    filterset_class = FactoringCompanyFilter
    ordering_fields = ["number"]

    def perform_destroy(self, instance: models.FactoringCompany) -> None:
        try:
            services.factoring_company_delete(definition=instance)
        except errors.DefinitionInvalid as exc:
            raise ValidationError({field: [problem] for field, problem in exc.problems.items()}) from exc


class IncomingImportSerializer(serializers.ModelSerializer):
    status_url = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField()

    class Meta:
        model = models.IncomingImport
        fields = [
            "id",
            "company",
            "filename",
            "format",
            "version",
            "file_reference",
            "status",
            "error",
            "created_at",
            "finished_at",
            "file_payment_count",
            "file_total_amount",
            "payments_read",
            "imported_count",
            "skipped_count",
            "skipped_amount",
            "status_url",
            "progress",
            "summary",
        ]
        read_only_fields = fields

    def get_status_url(self, obj: models.IncomingImport) -> str:
        return reverse("api-incoming-file-detail", args=[obj.pk])

    def get_progress(self, obj: models.IncomingImport) -> dict[str, Any] | None:
        return services.import_progress(import_id=obj.pk)

    def get_summary(self, obj: models.IncomingImport) -> dict[str, Any] | None:
        if obj.status != models.ImportStatus.DONE:
            return None
        summary = selectors.import_summary(file_import=obj)
        summary["skipped"] = [
            {
                "line_no": s.line_no,
                "archive_reference": s.archive_reference,
                "amount": str(s.amount),
                "earlier_payment": s.earlier_id,
                "earlier_import": s.earlier.file_import_id,
                "earlier_source": s.earlier.source,
            }
            for s in obj.skipped.select_related("earlier")[:1000]
        ]
        jsonable: dict[str, Any] = _jsonable(summary)
        return jsonable


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if hasattr(value, "as_tuple"):
        return str(value)
    return value


class IncomingFileUploadSerializer(serializers.Serializer):
    file = serializers.FileField()

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        request = self.context.get("request")
        fields["company"] = serializers.PrimaryKeyRelatedField(
            queryset=tenancy.companies_for_user(getattr(request, "user", None))
        )
        return fields


class IncomingFileViewSet(company_api.CompanyScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Bank files (OCR Giro, camt.054): POST one (multipart: company, file) to import it in the background."""

    queryset = models.IncomingImport.objects.all()
    serializer_class = IncomingImportSerializer
    filterset_class = IncomingImportFilter
    parser_classes = [MultiPartParser, FormParser]
    ordering_fields = ["created_at"]

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "IncomingFileUpload",
                fields={
                    "company": serializers.IntegerField(help_text="One of the user's companies."),
                    "file": serializers.FileField(help_text="A Nets OCR Giro or ISO 20022 camt.054 file."),
                },
            )
        },
        responses={
            202: inline_serializer(
                "IncomingFileQueued",
                fields={
                    "id": serializers.IntegerField(),
                    "status": serializers.CharField(help_text="queued"),
                    "status_url": serializers.CharField(help_text="GET it for the progress and the summary."),
                },
            )
        },
        summary="Upload a bank file; it is imported in the background",
    )
    def create(self, request: Request) -> Response:
        upload = IncomingFileUploadSerializer(data=request.data, context={"request": request})
        upload.is_valid(raise_exception=True)
        file_import = import_queue(
            company=upload.validated_data["company"], upload=upload.validated_data["file"], user=request.user
        )
        return Response(
            {
                "id": file_import.pk,
                "status": file_import.status,
                "status_url": reverse("api-incoming-file-detail", args=[file_import.pk]),
            },
            status=status.HTTP_202_ACCEPTED,
        )


def import_queue(*, company: Any, upload: Any, user: Any) -> models.IncomingImport:
    """Queue an uploaded file's import and start its task once the queue row is committed (API and page)."""
    try:
        file_import = services.incoming_file_queue(
            company=company, stream=upload, filename=upload.name or "upload", user=user, now=timezone.now()
        )
    except errors.IncomingError as exc:
        raise ValidationError({"detail": str(exc)}) from exc
    transaction.on_commit(lambda: tasks.incoming_file_import_run.delay(import_id=file_import.pk))
    return file_import


class IncomingPaymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.IncomingPayment
        fields = [
            "id",
            "company",
            "source",
            "file_import",
            "line_no",
            "autopay_message_id",
            "credited_account",
            "archive_reference",
            "booking_date",
            "value_date",
            "amount",
            "is_reversal",
            "currency",
            "kid",
            "message",
            "payer_account",
            "payer_name",
            "result",
            "rule",
            "customer",
            "open_item",
            "voucher",
            "difference_amount",
            "reverses",
            "allocation",
            "allocated_at",
        ]
        read_only_fields = fields


def _customers(request: HttpRequest | None) -> Any:
    return tenancy.scope_to_user(ledger_models.Customer.objects.all(), getattr(request, "user", None))


def _imports(request: HttpRequest | None) -> Any:
    return tenancy.scope_to_user(models.IncomingImport.objects.all(), getattr(request, "user", None))


class IncomingPaymentFilter(CompanyFilter):
    result = django_filters.ChoiceFilter(choices=models.Result.choices)
    # Scoped to the user's companies (company.filters): another company's import is a 400, as its customer is.
    file_import = django_filters.ModelChoiceFilter(queryset=_imports)
    date_from = django_filters.DateFilter(field_name="value_date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="value_date", lookup_expr="lte")
    customer = django_filters.ModelChoiceFilter(queryset=_customers)
    allocation = django_filters.ChoiceFilter(choices=models.AllocationState.choices)

    class Meta:
        model = models.IncomingPayment
        fields = ["company", "result", "file_import", "date_from", "date_to", "customer", "allocation"]


class AllocationLineSerializer(serializers.Serializer):
    open_item = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=0)


class AllocateSerializer(serializers.Serializer):
    customer = serializers.IntegerField(required=False, allow_null=True)
    allocations = AllocationLineSerializer(many=True, required=False)
    date = serializers.DateField(required=False)


class IncomingPaymentViewSet(company_api.CompanyScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Incoming payments from files and AutoPay; allocate an unmatched or on-account one by hand."""

    queryset = models.IncomingPayment.objects.all()
    serializer_class = IncomingPaymentSerializer
    filterset_class = IncomingPaymentFilter
    ordering_fields = ["value_date", "amount", "id"]

    @extend_schema(
        request=AllocateSerializer,
        responses={200: IncomingPaymentSerializer},
        summary="Allocate an unmatched or on-account payment to invoices and/or a customer",
    )
    @action(detail=True, methods=["post"])
    def allocate(self, request: Request, pk: str | None = None) -> Response:
        payment = self.get_object()
        data = AllocateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        customer = None
        if values.get("customer") is not None:
            customer = ledger_models.Customer.objects.filter(
                company=payment.company, pk=values["customer"]
            ).first()
            if customer is None:
                raise ValidationError({"customer": gettext("No such customer in the payment's company.")})
        pairs = []
        for line in values.get("allocations", []):
            item = ledger_models.OpenItem.objects.filter(
                company=payment.company, pk=line["open_item"]
            ).first()
            if item is None:
                problem = gettext("No open item %(item)s in the payment's company.") % {
                    "item": line["open_item"]
                }
                raise ValidationError({"allocations": [problem]})
            pairs.append((item, line["amount"]))
        try:
            allocated = services.incoming_payment_allocate(
                payment=payment,
                customer=customer,
                allocations=pairs,
                date=values.get("date") or timezone.localdate(),
                user=request.user,
                now=timezone.now(),
            )
        except (errors.IncomingError, ledger_errors.LedgerError) as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return Response(IncomingPaymentSerializer(allocated).data)


def get_scoped_import(request: HttpRequest, import_id: int) -> models.IncomingImport:
    return get_object_or_404(
        tenancy.scope_to_user(models.IncomingImport.objects.all(), request.user), pk=import_id
    )
