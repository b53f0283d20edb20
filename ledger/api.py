"""REST API for the ledger: chart of accounts, parties, open items, vouchers and reconciliations.

Everything is scoped to the user's companies (company.api). Vouchers and reconciliations are read-only: only
the posting and matching services write them. Amounts are Decimal strings.
"""

from typing import Any

import django_filters
import django_filters.rest_framework
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from company import api as company_api
from company import audit as company_audit
from company import tenancy
from ledger import errors, models, money, rules, services, supplier_audit

KID_HELP = "Norwegian KID (customer reference): digits, the last a MOD10 or MOD11 check digit ('-' for 10)."


class AccountSerializer(company_api.CompanyOwnedSerializer):
    class Meta:
        model = models.Account
        fields = ["id", "company", "number", "name", "kind", "role", "is_active"]


class SupplierSerializer(company_api.CompanyOwnedSerializer):
    class Meta:
        model = models.Supplier
        fields = ["id", "company", "number", "name", "org_no", "bank_account"]


class CustomerSerializer(company_api.CompanyOwnedSerializer):
    class Meta:
        model = models.Customer
        fields = ["id", "company", "number", "name", "org_no", "bank_account"]


class OpenItemSerializer(company_api.CompanyOwnedSerializer):
    """An open item. A new one starts open with its whole amount remaining; only reconciliation reduces it."""

    kid = serializers.RegexField(
        r"^[0-9]*-?$", max_length=25, required=False, allow_blank=True, help_text=KID_HELP
    )

    class Meta:
        model = models.OpenItem
        fields = [
            "id",
            "company",
            "kind",
            "customer",
            "supplier",
            "invoice_no",
            "kid",
            "currency",
            "amount",
            "remaining_amount",
            "status",
            "invoice_date",
            "due_date",
            "payment_blocked",
            "payment_block_reason",
            "created_at",
        ]
        # The payment block changes only through `POST /api/open-items/<id>/payment-block/` (its service).
        read_only_fields = [
            "remaining_amount",
            "status",
            "payment_blocked",
            "payment_block_reason",
            "created_at",
        ]

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if self.instance is not None:
            # What reconciliations are measured against never changes after the item exists.
            for name in ("kind", "customer", "supplier", "amount", "currency"):
                fields[name].read_only = True
        return fields

    def validate_currency(self, value: str) -> str:
        try:
            return money.currency_normalised(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        dates = rules.open_item_dates_problem(
            invoice_date=attrs.get("invoice_date", getattr(self.instance, "invoice_date", None)),
            due_date=attrs.get("due_date", getattr(self.instance, "due_date", None)),
        )
        if dates:
            raise serializers.ValidationError({"due_date": dates})
        if self.instance is None:
            kind = attrs.get("kind")
            party, other = (
                ("customer", "supplier") if kind == models.OpenItemKind.CUSTOMER else ("supplier", "customer")
            )
            if attrs.get(party) is None or attrs.get(other) is not None:
                raise serializers.ValidationError({party: rules.open_item_party_problem(kind=party)})
            if attrs.get("amount") == 0:
                raise serializers.ValidationError({"amount": gettext("An open item cannot be zero.")})
        return attrs

    def create(self, validated_data: dict[str, Any]) -> models.OpenItem:
        try:
            return services.open_item_create(
                company=validated_data["company"],
                kind=validated_data["kind"],
                customer=validated_data.get("customer"),
                supplier=validated_data.get("supplier"),
                invoice_no=validated_data.get("invoice_no", ""),
                kid=validated_data.get("kid", ""),
                currency=validated_data.get("currency", money.DEFAULT_CURRENCY),
                amount=validated_data["amount"],
                invoice_date=validated_data.get("invoice_date"),
                due_date=validated_data.get("due_date"),
            )
        except errors.LedgerError as exc:
            # In the API's shape of a refusal not tied to one field.
            raise serializers.ValidationError({"non_field_errors": [str(exc)]}) from exc


class JournalLineSerializer(serializers.ModelSerializer):
    account: serializers.SlugRelatedField[models.Account] = serializers.SlugRelatedField(
        slug_field="number", read_only=True, help_text="Account number."
    )
    amount = serializers.DecimalField(
        max_digits=18, decimal_places=2, read_only=True, help_text="Signed: debit positive, credit negative."
    )

    class Meta:
        model = models.JournalLine
        fields = ["id", "account", "amount", "currency", "description", "customer", "supplier"]
        read_only_fields = fields


class VoucherSerializer(serializers.ModelSerializer):
    series: serializers.SlugRelatedField[models.VoucherSeries] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    lines = JournalLineSerializer(many=True, read_only=True)

    class Meta:
        model = models.Voucher
        fields = [
            "id",
            "company",
            "series",
            "number",
            "date",
            "description",
            "batch",
            "posted_at",
            "reverses",
            "lines",
        ]
        read_only_fields = fields


class ReconciliationSerializer(serializers.ModelSerializer):
    voucher: serializers.PrimaryKeyRelatedField[models.Voucher] = serializers.PrimaryKeyRelatedField(
        source="journal_line.voucher", read_only=True
    )

    class Meta:
        model = models.Reconciliation
        fields = [
            "id",
            "company",
            "open_item",
            "journal_line",
            "voucher",
            "amount",
            "overpayment_item",
            "created_at",
        ]
        read_only_fields = fields


def _companies(request: HttpRequest | None) -> Any:
    return tenancy.companies_for_user(getattr(request, "user", None))


def _customers(request: HttpRequest | None) -> Any:
    return tenancy.scope_to_user(models.Customer.objects.all(), getattr(request, "user", None))


def _suppliers(request: HttpRequest | None) -> Any:
    return tenancy.scope_to_user(models.Supplier.objects.all(), getattr(request, "user", None))


class OpenItemFilter(django_filters.rest_framework.FilterSet):
    company = django_filters.ModelChoiceFilter(queryset=_companies)
    customer = django_filters.ModelChoiceFilter(queryset=_customers)
    supplier = django_filters.ModelChoiceFilter(queryset=_suppliers)
    kind = django_filters.ChoiceFilter(choices=models.OpenItemKind.choices)
    status = django_filters.ChoiceFilter(choices=models.OpenItemStatus.choices)
    kid = django_filters.CharFilter()
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")

    class Meta:
        model = models.OpenItem
        fields = ["company", "kind", "status", "customer", "supplier", "kid", "due_before"]


class CompanyFilter(django_filters.rest_framework.FilterSet):
    company = django_filters.ModelChoiceFilter(queryset=_companies)


class AccountFilter(CompanyFilter):
    class Meta:
        model = models.Account
        fields = ["company", "number", "kind", "role", "is_active"]


class SupplierFilter(CompanyFilter):
    class Meta:
        model = models.Supplier
        fields = ["company", "number", "org_no"]


class CustomerFilter(CompanyFilter):
    class Meta:
        model = models.Customer
        fields = ["company", "number", "org_no"]


class VoucherFilter(CompanyFilter):
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = models.Voucher
        fields = ["company", "batch", "date_from", "date_to"]


class VoucherSeriesFilter(CompanyFilter):
    class Meta:
        model = models.VoucherSeries
        fields = ["company", "code"]


class ReconciliationFilter(CompanyFilter):
    class Meta:
        model = models.Reconciliation
        fields = ["company", "open_item"]


class WritableViewSet(
    company_api.CompanyScopedViewSetMixin,
    company_api.IntegrityConflictMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """List, read, create and update; no delete (ledger rows are referenced by postings)."""


class AccountViewSet(WritableViewSet):
    """The chart of accounts of the user's companies."""

    queryset = models.Account.objects.select_related("company")
    serializer_class = AccountSerializer
    filterset_class = AccountFilter
    ordering_fields = ["number", "name"]


class SupplierViewSet(WritableViewSet):
    """Suppliers of the user's companies."""

    queryset = models.Supplier.objects.all()
    serializer_class = SupplierSerializer
    filterset_class = SupplierFilter
    ordering_fields = ["number", "name"]

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        with transaction.atomic():
            super().perform_create(serializer)
            supplier_audit.supplier_bank_account_audit(
                supplier=serializer.instance,  # type: ignore[arg-type]
                previous=None,
                user=self.request.user,
                ip=company_audit.client_ip(self.request),
                now=timezone.now(),
            )

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        previous = serializer.instance.bank_account if serializer.instance is not None else None
        with transaction.atomic():
            super().perform_update(serializer)
            supplier_audit.supplier_bank_account_audit(
                supplier=serializer.instance,  # type: ignore[arg-type]
                previous=previous,
                user=self.request.user,
                ip=company_audit.client_ip(self.request),
                now=timezone.now(),
            )


class CustomerViewSet(WritableViewSet):
    """Customers of the user's companies."""

    queryset = models.Customer.objects.all()
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    ordering_fields = ["number", "name"]


class PaymentBlockSerializer(serializers.Serializer):
    payment_blocked = serializers.BooleanField()
    payment_block_reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class OpenItemViewSet(WritableViewSet):
    """Open customer and supplier items; filter by kind, status, customer, supplier and kid."""

    queryset = models.OpenItem.objects.all()
    serializer_class = OpenItemSerializer
    filterset_class = OpenItemFilter
    ordering_fields = ["due_date", "amount", "remaining_amount", "created_at"]

    @extend_schema(
        request=PaymentBlockSerializer,
        responses={200: OpenItemSerializer, 400: OpenApiResponse(description="A block without a reason.")},
        summary="Block a supplier item from payment proposals with a reason, or lift the block",
    )
    @action(detail=True, methods=["post"], url_path="payment-block")
    def payment_block(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        item = self.get_object()
        given = PaymentBlockSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            item = services.open_item_payment_block_set(
                open_item=item,
                blocked=given.validated_data["payment_blocked"],
                reason=given.validated_data["payment_block_reason"],
            )
        except errors.LedgerError as exc:
            raise serializers.ValidationError({"payment_block_reason": [str(exc)]}) from exc
        return Response(OpenItemSerializer(item, context=self.get_serializer_context()).data)


class VoucherViewSet(company_api.CompanyScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Posted vouchers with their lines (amount signed: debit positive, credit negative)."""

    queryset = models.Voucher.objects.select_related("series").prefetch_related("lines__account")
    serializer_class = VoucherSerializer
    filterset_class = VoucherFilter
    ordering_fields = ["date", "number", "posted_at"]


class VoucherSeriesSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.VoucherSeries
        fields = ["id", "company", "code", "name", "next_number"]
        read_only_fields = fields


class VoucherSeriesViewSet(company_api.CompanyScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The companies' voucher series (a KID definition names the one its postings go in)."""

    queryset = models.VoucherSeries.objects.all()
    serializer_class = VoucherSeriesSerializer
    filterset_class = VoucherSeriesFilter
    ordering_fields = ["code", "name"]


class ReconciliationViewSet(company_api.CompanyScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Reconciliations: which journal line paid how much of which open item."""

    queryset = models.Reconciliation.objects.select_related("journal_line")
    serializer_class = ReconciliationSerializer
    filterset_class = ReconciliationFilter
    ordering_fields = ["created_at"]
