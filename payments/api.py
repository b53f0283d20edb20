"""REST API of payments: proposals, payments, their lines and flags, upload and the payment history.

Views are thin: each validates its input with a serializer, makes one service or selector call, and answers
a refusal as `{"error": <code>, "detail": <message>}` with the status the service's error names (400 bad
input, 403 not an approver, 409 not a proposal or flagged, 502 AutoPay failed). Everything is scoped to the
user's companies: another company's payment is a 404, as one that does not exist.
"""

from typing import Any

import django_filters
import django_filters.rest_framework
from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from company import audit as company_audit
from company import models as company_models
from company import tenancy
from ledger import models as ledger_models
from payments import errors, models, selectors
from payments.services import authorise, editing, guard, proposal, upload

ERROR = inline_serializer(
    "PaymentError", fields={"error": serializers.CharField(), "detail": serializers.CharField()}
)


def _error(exc: errors.PaymentError) -> Response:
    return Response({"error": exc.code, "detail": exc.message}, status=exc.http_status)


def _companies(request: HttpRequest | None) -> Any:
    return tenancy.companies_for_user(getattr(request, "user", None))


def _bank_partners(request: HttpRequest | None) -> Any:
    return tenancy.scope_to_user(company_models.BankPartner.objects.all(), getattr(request, "user", None))


# Serializers


class FlagSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.PaymentLineFlag
        fields = [
            "id",
            "line",
            "kind",
            "detail",
            "other_line",
            "overridden_at",
            "overridden_by",
            "override_reason",
        ]
        read_only_fields = fields


class LineSerializer(serializers.ModelSerializer):
    flags = FlagSerializer(many=True, read_only=True)
    status = serializers.IntegerField(
        read_only=True,
        help_text="Line status: 1 Proposal, 2 Transferred, "
        "3 Acknowledged, 4 Cancelled, 5 Settled, 6 Posted, 7 Rejected.",
    )

    class Meta:
        model = models.PaymentLine
        fields = [
            "id",
            "payment",
            "open_item",
            "supplier",
            "amount",
            "amount_paid",
            "currency",
            "status",
            "kid",
            "message",
            "creditor_account",
            "end_to_end_id",
            "value_date",
            "bank_reference",
            "reason",
            "flags",
        ]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    lines = LineSerializer(many=True, read_only=True)
    status = serializers.IntegerField(
        read_only=True,
        help_text="Payment status: 1 Proposal, 2 Transferred, 3 Transferred with rejections, 10 Rejected.",
    )

    class Meta:
        model = models.Payment
        fields = [
            "id",
            "number",
            "company",
            "bank_partner",
            "status",
            "payment_date",
            "currency",
            "total",
            "autopay_reference",
            "lines",
        ]
        read_only_fields = fields


class PaymentDateSerializer(serializers.Serializer):
    payment_date = serializers.DateField(
        help_text="The new payment date; not in the past. Only while status 1."
    )


class EventSerializer(serializers.ModelSerializer):
    actor: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = models.PaymentEvent
        fields = ["id", "payment", "line", "kind", "at", "actor", "details"]
        read_only_fields = fields


class ProposalRequestSerializer(serializers.Serializer):
    company = serializers.PrimaryKeyRelatedField(queryset=company_models.Company.objects.none())
    bank_partner = serializers.PrimaryKeyRelatedField(queryset=company_models.BankPartner.objects.none())
    due_date_to = serializers.DateField()
    due_date_from = serializers.DateField(required=False, allow_null=True)
    suppliers = serializers.PrimaryKeyRelatedField(
        queryset=ledger_models.Supplier.objects.none(), many=True, required=False
    )
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False, allow_blank=True)
    payment_date = serializers.DateField(required=False, allow_null=True)
    preview = serializers.BooleanField(
        required=False, default=False, help_text="Show what would be made; make nothing."
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        user = getattr(self.context.get("request"), "user", None)
        fields["company"].queryset = tenancy.companies_for_user(user)  # type: ignore[attr-defined]
        fields["bank_partner"].queryset = tenancy.scope_to_user(  # type: ignore[attr-defined]
            company_models.BankPartner.objects.all(), user
        )
        fields["suppliers"].child_relation.queryset = tenancy.scope_to_user(  # type: ignore[attr-defined]
            ledger_models.Supplier.objects.all(), user
        )
        return fields


class LeftOutSerializer(serializers.Serializer):
    open_item = serializers.IntegerField(source="open_item.pk")
    reason = serializers.CharField()
    reason_code = serializers.CharField(
        source="code", help_text="on_payment, payment_blocked, credit_note or no_valid_bank_account."
    )


class PlannedLineSerializer(serializers.Serializer):
    open_item = serializers.IntegerField(source="pk")
    supplier = serializers.IntegerField(source="supplier_id")
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, source="remaining_amount")
    kid = serializers.CharField()
    creditor_account = serializers.CharField(source="supplier.bank_account")


class PlannedPaymentSerializer(serializers.Serializer):
    payment_date = serializers.DateField()
    currency = serializers.CharField()
    total = serializers.DecimalField(max_digits=18, decimal_places=2)
    lines = PlannedLineSerializer(many=True, source="items")


class ProposalResultSerializer(serializers.Serializer):
    payments = PaymentSerializer(many=True)
    left_out = LeftOutSerializer(many=True)


class ProposalPreviewSerializer(serializers.Serializer):
    payments = PlannedPaymentSerializer(many=True)
    left_out = LeftOutSerializer(many=True)


OTP_HELP = "A fresh two-factor code, where the company requires two-factor authentication."


class UploadRequestSerializer(serializers.Serializer):
    otp = serializers.CharField(required=False, allow_blank=True, max_length=16, help_text=OTP_HELP)


class UploadSelectionSerializer(serializers.Serializer):
    payments = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=10_000
    )
    otp = serializers.CharField(required=False, allow_blank=True, max_length=16, help_text=OTP_HELP)


class RefusedSerializer(serializers.Serializer):
    payment = serializers.IntegerField()
    number = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()


class UploadResultSerializer(serializers.Serializer):
    uploaded = serializers.ListField(child=serializers.IntegerField(), help_text="Payment numbers uploaded.")
    refused = RefusedSerializer(many=True)
    task_id = serializers.CharField(
        required=False, help_text="Set when the selection uploads in the background."
    )
    upload_run = serializers.IntegerField(
        required=False, help_text="The run to follow at /api/payment-upload-runs/<id>/."
    )


class UploadRunSerializer(serializers.ModelSerializer):
    total = serializers.IntegerField()
    done = serializers.IntegerField()

    class Meta:
        model = models.UploadRun
        fields = [
            "id",
            "status",
            "task_id",
            "total",
            "done",
            "uploaded",
            "refused",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields


class ReduceSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=0)


class OverrideSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, trim_whitespace=True)
    otp = serializers.CharField(required=False, allow_blank=True, max_length=16, help_text=OTP_HELP)


# Filters


class PaymentFilter(django_filters.rest_framework.FilterSet):
    company = django_filters.ModelChoiceFilter(queryset=_companies)
    bank_partner = django_filters.ModelChoiceFilter(queryset=_bank_partners)
    status = django_filters.TypedChoiceFilter(choices=models.PaymentStatus.choices, coerce=int)
    payment_date_after = django_filters.DateFilter(field_name="payment_date", lookup_expr="gte")
    payment_date_before = django_filters.DateFilter(field_name="payment_date", lookup_expr="lte")

    class Meta:
        model = models.Payment
        fields = ["company", "bank_partner", "status", "payment_date_after", "payment_date_before"]


class PaymentLineFilter(django_filters.rest_framework.FilterSet):
    company = django_filters.ModelChoiceFilter(queryset=_companies)
    status = django_filters.TypedChoiceFilter(
        choices=models.LineStatus.choices, coerce=int, method="_status_filter"
    )

    class Meta:
        model = models.PaymentLine
        fields = ["company", "status", "payment"]

    def _status_filter(
        self, queryset: QuerySet[models.PaymentLine], name: str, value: int
    ) -> QuerySet[models.PaymentLine]:
        # With its phase, so that the (company, phase) index finds them.
        return queryset.filter(status=value, phase=models.LINE_PHASE_OF_STATUS[models.LineStatus(value)])


# Views


class PaymentProposalView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=ProposalRequestSerializer,
        responses={
            201: ProposalResultSerializer,
            200: OpenApiResponse(
                ProposalPreviewSerializer, description="With `preview`: what would be made."
            ),
        },
        summary="Make a payment proposal from open supplier items (or preview it)",
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = ProposalRequestSerializer(data=request.data, context={"request": request})
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        preview = data.pop("preview")
        data.setdefault("suppliers", [])
        data["currency"] = data.get("currency") or ""
        now = timezone.now()
        try:
            if preview:
                plan = proposal.proposal_plan(**data, today=timezone.localdate(now))
                return Response(ProposalPreviewSerializer(plan).data)
            result = proposal.payment_proposal_create(**data, actor=request.user, now=now)
        except errors.PaymentError as exc:
            return _error(exc)
        payments = models.Payment.objects.filter(pk__in=[p.pk for p in result.payments]).prefetch_related(
            "lines__flags"
        )
        answer = {"payments": list(payments.order_by("number")), "left_out": result.left_out}
        return Response(ProposalResultSerializer(answer).data, status=status.HTTP_201_CREATED)


# A proposal's PATCH in a schema of its own: drf-spectacular would make every field of a PATCH optional, and
# the date is required (the one thing a proposal's PATCH changes). In each media type the API parses.
PAYMENT_DATE_REQUEST = {
    "type": "object",
    "properties": {
        "payment_date": {
            "type": "string",
            "format": "date",
            "description": PaymentDateSerializer().fields["payment_date"].help_text,
        }
    },
    "required": ["payment_date"],
}
PARSED_MEDIA_TYPES = ["application/json", "application/x-www-form-urlencoded", "multipart/form-data"]


@extend_schema_view(
    list=extend_schema(summary="List payments"),
    retrieve=extend_schema(summary="A payment with its lines and their flags"),
    partial_update=extend_schema(
        request={media: PAYMENT_DATE_REQUEST for media in PARSED_MEDIA_TYPES},
        responses={200: PaymentSerializer, 409: ERROR},
        summary="Change a proposal's payment date (status 1 only)",
    ),
    destroy=extend_schema(responses={204: None, 409: ERROR}, summary="Delete a proposal (status 1 only)"),
)
class PaymentViewSet(mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilter
    ordering_fields = ["number", "payment_date", "total"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> Any:
        return (
            selectors.payments_for_user(user=self.request.user)
            .prefetch_related("lines__flags")
            .order_by("company", "-number")
        )

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payment = self.get_object()
        given = PaymentDateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            editing.payment_date_change(
                payment=payment,
                payment_date=given.validated_data["payment_date"],
                actor=request.user,
                now=timezone.now(),
            )
        except errors.PaymentError as exc:
            return _error(exc)
        return Response(PaymentSerializer(self.get_queryset().get(pk=payment.pk)).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payment = self.get_object()
        try:
            editing.payment_delete(payment=payment, actor=request.user, now=timezone.now())
        except errors.PaymentError as exc:
            return _error(exc)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=UploadRequestSerializer,
        responses={200: PaymentSerializer, 403: ERROR, 409: ERROR, 502: ERROR},
        summary="Upload a proposal to AutoPay (409 when it is not in status 1 or has a flag not overridden)",
    )
    @action(detail=True, methods=["post"])
    def upload(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payment = self.get_object()
        given = UploadRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            upload.payment_upload_check(payment=payment)
            authorise.second_factor_check(
                ip=company_audit.client_ip(request),
                user=request.user,
                companies=[payment.company],
                code=given.validated_data.get("otp"),
            )
            upload.payment_upload(
                payment=payment, actor=request.user, now=timezone.now(), ip=company_audit.client_ip(request)
            )
        except errors.PaymentError as exc:
            return _error(exc)
        return Response(PaymentSerializer(self.get_queryset().get(pk=payment.pk)).data)

    @extend_schema(
        request=UploadSelectionSerializer,
        responses={
            200: UploadResultSerializer,
            202: OpenApiResponse(UploadResultSerializer, description="Uploading in the background."),
        },
        summary="Upload a selection of payments; the answer lists the numbers uploaded and those refused",
        operation_id="payments_upload_selection",
    )
    @action(detail=False, methods=["post"], url_path="upload")
    def upload_selection(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = UploadSelectionSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        wanted = list(dict.fromkeys(given.validated_data["payments"]))
        found = selectors.payments_for_user(user=request.user).in_bulk(wanted)
        unknown = [
            {"payment": pk, "number": None, "reason": gettext("No such payment.")}
            for pk in wanted
            if pk not in found
        ]
        now = timezone.now()
        try:
            authorise.second_factor_check(
                ip=company_audit.client_ip(request),
                user=request.user,
                companies={p.company_id: p.company for p in found.values()}.values(),
                code=given.validated_data.get("otp"),
            )
        except errors.PaymentError as exc:
            return _error(exc)
        if len(found) > settings.PAYMENTS_UPLOAD_IN_BACKGROUND_OVER:
            run = upload.upload_run_start(
                payment_ids=[pk for pk in wanted if pk in found],
                actor=request.user,
                now=now,
                ip=company_audit.client_ip(request),
            )
            answer = {"uploaded": [], "refused": unknown, "task_id": run.task_id, "upload_run": run.pk}
            return Response(UploadResultSerializer(answer).data, status=status.HTTP_202_ACCEPTED)
        outcome = upload.payments_upload(
            payments=[found[pk] for pk in wanted if pk in found],
            actor=request.user,
            now=now,
            ip=company_audit.client_ip(request),
        )
        answer = {
            "uploaded": [payment.number for payment in outcome.uploaded],
            "refused": [
                *({"payment": r.payment_id, "number": r.number, "reason": r.reason} for r in outcome.refused),
                *unknown,
            ],
        }
        return Response(UploadResultSerializer(answer).data)

    @extend_schema(responses={200: EventSerializer(many=True)}, summary="The payment's history, oldest first")
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def events(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payment = self.get_object()
        return Response(EventSerializer(selectors.payment_events(payment=payment), many=True).data)


@extend_schema_view(
    list=extend_schema(summary="List payment lines"),
    retrieve=extend_schema(summary="A payment line with its flags"),
    destroy=extend_schema(responses={204: None, 409: ERROR}, summary="Remove a line from a proposal"),
)
class PaymentLineViewSet(mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = LineSerializer
    filterset_class = PaymentLineFilter
    ordering_fields = ["id", "amount"]

    def get_queryset(self) -> Any:
        return (
            selectors.payment_lines_for_user(user=self.request.user).prefetch_related("flags").order_by("id")
        )

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        line = self.get_object()
        try:
            editing.payment_line_remove(line=line, actor=request.user, now=timezone.now())
        except errors.PaymentError as exc:
            return _error(exc)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=ReduceSerializer,
        responses={200: LineSerializer, 409: ERROR},
        summary="Reduce a proposal line's amount (never above the item's remaining amount)",
    )
    @action(detail=True, methods=["post"])
    def reduce(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        line = self.get_object()
        given = ReduceSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            editing.payment_line_reduce(
                line=line, amount=given.validated_data["amount"], actor=request.user, now=timezone.now()
            )
        except errors.PaymentError as exc:
            return _error(exc)
        return Response(LineSerializer(self.get_queryset().get(pk=line.pk)).data)


@extend_schema_view(
    list=extend_schema(summary="List the flags of payment lines"),
    retrieve=extend_schema(summary="A flag on a payment line"),
)
class PaymentLineFlagViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = FlagSerializer
    filterset_fields = ["line", "kind"]

    def get_queryset(self) -> Any:
        return selectors.payment_flags_for_user(user=self.request.user).order_by("id")

    @extend_schema(
        request=OverrideSerializer,
        responses={200: FlagSerializer, 403: ERROR, 409: ERROR},
        summary="Override a flag with a reason (approvers of the company only)",
    )
    @action(detail=True, methods=["post"])
    def override(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        flag = self.get_object()
        given = OverrideSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            authorise.second_factor_check(
                ip=company_audit.client_ip(request),
                user=request.user,
                companies=[flag.company],
                code=given.validated_data.get("otp"),
            )
            overridden = guard.payment_line_flag_override(
                flag=flag,
                actor=request.user,
                reason=given.validated_data["reason"],
                now=timezone.now(),
                ip=company_audit.client_ip(request),
            )
        except errors.PaymentError as exc:
            return _error(exc)
        return Response(FlagSerializer(overridden).data)


@extend_schema_view(retrieve=extend_schema(summary="Progress of a background upload"))
class UploadRunViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = UploadRunSerializer

    def get_queryset(self) -> Any:
        return selectors.upload_runs_for_user(user=self.request.user)
