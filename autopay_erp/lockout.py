"""The answer to a login refused because the username or the address is locked out (django-axes calls it).

The API (`/api/…`) gets the documented JSON error with status 429 and a Retry-After header; a page (the ERP's
login, the admin's login) gets a page saying so, also with status 429.
"""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_minutes() -> int:
    return max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))


def lockout_detail() -> str:
    return _(
        "Too many failed logins. Logins for this user or from this address are refused for %(minutes)d "
        "minutes, even with the right password."
    ) % {"minutes": lockout_minutes()}


def lockout_json_body() -> dict[str, str]:
    return {"error": "locked_out", "detail": lockout_detail()}


def retry_after_header() -> dict[str, str]:
    return {"Retry-After": str(int(settings.AXES_COOLOFF_TIME.total_seconds()))}


def lockout_json() -> JsonResponse:
    return JsonResponse(lockout_json_body(), status=429, headers=retry_after_header())


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    if request.path.startswith("/api/"):
        return lockout_json()
    response = render(
        request,
        "registration/locked_out.html",
        {"minutes": lockout_minutes(), "detail": lockout_detail()},
        status=429,
    )
    response["Retry-After"] = retry_after_header()["Retry-After"]
    return response
