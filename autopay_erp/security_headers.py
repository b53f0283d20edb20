"""The Permissions-Policy header on every response, from settings.PERMISSIONS_POLICY.

A feature mapped to an empty list is switched off (`camera=()`); to a list of origins, allowed for them
(`"self"` for this site). Django sets the other security headers itself (SecurityMiddleware, CSP middleware).
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def permissions_policy_value(policy: dict[str, list[str]]) -> str:
    """Return the header value for a policy: `feature=(origin …)`, comma separated."""
    parts = []
    for feature, origins in policy.items():
        allowed = " ".join("self" if origin == "self" else f'"{origin}"' for origin in origins)
        parts.append(f"{feature}=({allowed})")
    return ", ".join(parts)


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.value = permissions_policy_value(getattr(settings, "PERMISSIONS_POLICY", {}))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.value and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = self.value
        return response
