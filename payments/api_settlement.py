"""Settlement through the API: `POST /api/payment-lines/create-batch/` and the two work lists.

- `GET /api/payment-lines/awaiting-batch/`: settled lines (5) waiting for an accounting batch.
- `GET /api/payment-lines/settlement-missing/`: lines not settled two bank days after their payment date.
Both take an optional `company` filter and are scoped to the user's companies.
"""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from company import tenancy
from payments import models, settlement_selectors
from payments.services import settlement


class CreateBatchRequestSerializer(serializers.Serializer):
    lines = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=100_000
    )


class CreateBatchResultSerializer(serializers.Serializer):
    batch = serializers.IntegerField()
    lines_posted = serializers.IntegerField()


class WaitingLineSerializer(serializers.ModelSerializer):
    payment_number = serializers.IntegerField(source="payment.number")
    payment_date = serializers.DateField(source="payment.payment_date")

    class Meta:
        model = models.PaymentLine
        fields = [
            "id",
            "company",
            "payment",
            "payment_number",
            "payment_date",
            "open_item",
            "supplier",
            "amount",
            "amount_paid",
            "status",
            "value_date",
            "bank_reference",
            "autopay_status",
            "reason",
        ]


ERROR_SCHEMA = inline_serializer(
    "CreateBatchError", fields={"error": serializers.CharField(), "detail": serializers.CharField()}
)
COMPANY_FILTER = OpenApiParameter("company", OpenApiTypes.INT, description="Only this company's lines.")


def _companies(request: Request) -> QuerySet[Any]:
    """The user's companies, or the one `company` names: one not among them (or not an id) is refused as the
    other lists' `company` filter refuses it, with a 400 and Django's own words."""
    companies = tenancy.companies_for_user(request.user)
    wanted = request.query_params.get("company", "")
    if wanted:
        try:
            chosen = forms.ModelChoiceField(queryset=companies).clean(wanted)
        except ValidationError as exc:
            raise serializers.ValidationError({"company": exc.messages}) from exc
        return companies.filter(pk=chosen.pk)
    return companies


class PaymentLinesCreateBatchView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=CreateBatchRequestSerializer,
        responses={201: CreateBatchResultSerializer, 409: ERROR_SCHEMA},
        summary="Create an accounting batch for settled lines (one balanced voucher per line, reconciled)",
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = CreateBatchRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        ids = sorted(set(given.validated_data["lines"]))
        visible = tenancy.scope_to_user(models.PaymentLine.objects.filter(pk__in=ids), request.user)
        companies = set(visible.values_list("company_id", flat=True))
        found = set(visible.values_list("id", flat=True))
        if found != set(ids):
            missing = ", ".join(str(i) for i in ids if i not in found)
            detail = _("No such lines: %(lines)s.") % {"lines": missing}
            return Response({"error": "not_found", "detail": detail}, status=400)
        if len(companies) != 1:
            return Response(
                {"error": "several_companies", "detail": _("Lines of one company at a time.")}, status=400
            )
        company = get_object_or_404(tenancy.companies_for_user(request.user), pk=companies.pop())
        try:
            batch = settlement.payment_lines_batch_create(
                company=company,
                lines=ids,
                user=request.user if request.user.is_authenticated else None,
                now=timezone.now(),
            )
        except settlement.SettlementError as exc:
            return Response({"error": "not_postable", "detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response({"batch": batch.pk, "lines_posted": len(ids)}, status=status.HTTP_201_CREATED)


@extend_schema(parameters=[COMPANY_FILTER], summary="Settled lines waiting for an accounting batch")
class PaymentLinesAwaitingBatchView(generics.ListAPIView[models.PaymentLine]):
    serializer_class = WaitingLineSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[models.PaymentLine]:
        return settlement_selectors.payment_lines_awaiting_batch(companies=_companies(self.request))


@extend_schema(
    parameters=[COMPANY_FILTER], summary="Lines not settled two Norwegian bank days after their payment date"
)
class PaymentLinesSettlementMissingView(generics.ListAPIView[models.PaymentLine]):
    serializer_class = WaitingLineSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[models.PaymentLine]:
        return settlement_selectors.payment_lines_settlement_missing(
            companies=_companies(self.request), today=timezone.localdate()
        )
