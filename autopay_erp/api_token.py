"""`POST /api/token/`: trade a username and password for an API token, with the login lock-out of the UI.

While the username or the address is locked out (see docs/security.md) every try is answered with 429 and
`{"error": "locked_out", "detail": …}`, even with the right password. A successful login is audited.
"""

from typing import Any

from django.contrib.auth import signals as auth_signals
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from autopay_erp import lockout

LOCKED_OUT_SCHEMA = inline_serializer(
    "LoginLockedOut", fields={"error": serializers.CharField(), "detail": serializers.CharField()}
)


class ObtainTokenView(ObtainAuthToken):
    # DRF's token view lists its own parsers; it gets the project's, as every other view.
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES  # type: ignore[assignment]

    @extend_schema(
        request=AuthTokenSerializer,
        responses={
            200: inline_serializer("ApiToken", fields={"token": serializers.CharField()}),
            400: inline_serializer(
                "AuthTokenRefused",
                fields={
                    name: serializers.ListField(child=serializers.CharField(), required=False)
                    for name in ("non_field_errors", "username", "password")
                },
            ),
            429: LOCKED_OUT_SCHEMA,
        },
        summary="Obtain an API token (logins are locked out after repeated failures)",
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            if getattr(request, "axes_locked_out", False) or getattr(
                request._request, "axes_locked_out", False
            ):
                return Response(lockout.lockout_json_body(), status=429, headers=lockout.retry_after_header())
            return Response(serializer.errors, status=400)
        user = serializer.validated_data["user"]
        token, _created = Token.objects.get_or_create(user=user)
        auth_signals.user_logged_in.send(sender=user.__class__, request=request._request, user=user)
        return Response({"token": token.key})


obtain_token = ObtainTokenView.as_view()
