"""`POST /api/companies/<id>/activate-autopay/`: activate AutoPay for one of the user's companies.

Another company's id is answered with 404, as one that does not exist; a member who is not an administrator of
the company gets 403. The response never contains the signing key.
"""

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from company import activation, audit, tenancy, twofactor


class ActivationRequestSerializer(serializers.Serializer):
    activation_code = serializers.CharField(max_length=100, trim_whitespace=True)
    otp = serializers.CharField(
        max_length=12,
        required=False,
        allow_blank=True,
        help_text="A fresh code of your two-factor device; required when the company requires two-factor.",
    )


class ActivationResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    org_no = serializers.CharField()
    autopay_activated = serializers.BooleanField(source="is_autopay_activated")
    autopay_key_id = serializers.CharField()
    autopay_activated_at = serializers.DateTimeField()


ERROR_SCHEMA = inline_serializer(
    "ActivationError", fields={"error": serializers.CharField(), "detail": serializers.CharField()}
)


class CompanyActivateAutoPayView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=ActivationRequestSerializer,
        responses={
            200: ActivationResultSerializer,
            400: ERROR_SCHEMA,
            403: ERROR_SCHEMA,
            500: ERROR_SCHEMA,
            502: ERROR_SCHEMA,
        },
        summary="Activate AutoPay for a company with a one-time activation code",
    )
    def post(self, request: Request, company_id: int, *args: Any, **kwargs: Any) -> Response:
        company = get_object_or_404(tenancy.companies_for_user(request.user), pk=company_id)
        if not activation.user_may_activate_autopay(user=request.user, company=company):
            raise PermissionDenied(gettext("Only an administrator of the company may activate AutoPay."))
        given = ActivationRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            company = activation.company_autopay_activate(
                company=company,
                activation_code=given.validated_data["activation_code"],
                now=timezone.now(),
                user=request.user,
                otp=given.validated_data.get("otp"),
                ip=audit.client_ip(request),
            )
        except twofactor.TwoFactorError as exc:
            return Response({"error": exc.code, "detail": str(exc.message)}, status=status.HTTP_403_FORBIDDEN)
        except activation.ActivationError as exc:
            answer: int
            if exc.code == "key_not_stored":  # this server's configuration, not the request
                answer = status.HTTP_500_INTERNAL_SERVER_ERROR
            elif exc.retryable:
                answer = status.HTTP_502_BAD_GATEWAY
            else:
                answer = status.HTTP_400_BAD_REQUEST
            return Response({"error": exc.code, "detail": exc.message}, status=answer)
        return Response(ActivationResultSerializer(company).data)
