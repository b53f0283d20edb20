"""REST API for companies and bank partners, and the tenancy scoping every company-owned endpoint uses.

A user sees and writes only rows of the companies it is a member of (every company for a superuser). Another
company's row is answered with 404, exactly as a row that does not exist.
"""

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model, QuerySet
from django.utils.translation import gettext
from rest_framework import exceptions, mixins, serializers, viewsets

from company import models, tenancy


class CompanyOwnedSerializer(serializers.ModelSerializer):
    """Offer only the user's companies (and their rows) as related objects, all of one company.

    The company of an existing row cannot be changed: that would move the row to another tenant.
    """

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        for field in fields.values():
            if not isinstance(field, serializers.PrimaryKeyRelatedField) or field.read_only:
                continue
            queryset: QuerySet[Any] | None = field.get_queryset()
            if queryset is None:
                continue
            scoped = tenancy.scope_related(queryset, user)
            if scoped is not None:
                field.queryset = scoped  # type: ignore[arg-type]
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        current = getattr(self.instance, "company", None)
        if current is not None and "company" in attrs and attrs["company"] != current:
            raise serializers.ValidationError({"company": gettext("A row cannot move to another company.")})
        company = attrs.get("company") or current
        for name, value in attrs.items():
            owned = name != "company" and isinstance(value, Model) and hasattr(value, "company_id")
            if owned and company is not None and value.company_id != company.pk:
                raise serializers.ValidationError({name: gettext("Belongs to another company.")})
        return attrs


class CompanyScopedViewSetMixin:
    """Narrow the view's queryset to the user's companies."""

    company_field = "company"
    request: Any

    def get_queryset(self) -> QuerySet[Any]:
        queryset = super().get_queryset()  # type: ignore[misc]
        return tenancy.scope_to_user(queryset, self.request.user, self.company_field)


class IntegrityConflictMixin:
    """Answer a write the database refuses (a constraint the serializer could not check first) with 409."""

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        try:
            with transaction.atomic():
                super().perform_create(serializer)  # type: ignore[misc]
        except IntegrityError as exc:
            raise Conflict() from exc

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        try:
            with transaction.atomic():
                super().perform_update(serializer)  # type: ignore[misc]
        except IntegrityError as exc:
            raise Conflict() from exc


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = "The database refused the change: it conflicts with an existing row."
    default_code = "conflict"


class CompanySerializer(serializers.ModelSerializer):
    autopay_activated = serializers.BooleanField(
        source="is_autopay_activated", read_only=True, help_text="Whether AutoPay holds a signing key for it."
    )

    class Meta:
        model = models.Company
        fields = ["id", "name", "org_no", "autopay_activated", "autopay_activated_at", "two_factor_required"]
        read_only_fields = fields


class CompanyViewSet(CompanyScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The companies the user is a member of. Never shows the AutoPay signing key."""

    queryset = models.Company.objects.all()
    serializer_class = CompanySerializer
    company_field = "pk"
    filterset_fields = ["org_no"]
    ordering_fields = ["name", "org_no"]


class BankPartnerSerializer(CompanyOwnedSerializer):
    class Meta:
        model = models.BankPartner
        fields = [
            "id",
            "company",
            "name",
            "ebf_system",
            "bank_account",
            "gl_account_no",
            "ebf_post_settlement",
            "ebf_download_incoming",
            "ebf_reconcile_incoming",
            "is_active",
        ]


class BankPartnerViewSet(
    CompanyScopedViewSetMixin,
    IntegrityConflictMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Bank agreements of the user's companies."""

    queryset = models.BankPartner.objects.select_related("company")
    serializer_class = BankPartnerSerializer
    filterset_fields = ["company", "ebf_system", "is_active"]
    ordering_fields = ["name", "company"]
