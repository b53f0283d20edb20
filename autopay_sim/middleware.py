"""Under the simulator's API prefix every answer is JSON in the wire's shape, errors included.

Django answers a URL it does not know, and an exception no view caught, with an HTML page. A client of the
wire (docs/autopay-wire.md) expects `{"error": <code>, "detail": <text>}` on every answer; this middleware
gives it that for a 404, a 405 and a 500 that no view of the API answered itself.
"""

import json
import logging
from collections.abc import Callable
from functools import cache

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

logger = logging.getLogger(__name__)

GENERIC_ERRORS = {
    404: ("not_found", "no such resource"),
    405: ("method_not_allowed", "method not allowed here"),
    500: ("internal", "internal error"),
}


@cache
def api_prefix() -> str:
    """Return the path prefix of the signed API (`/autopay/api/v1/` when mounted under `/autopay/`)."""
    return reverse("autopay_sim:api-messages").rsplit("/", 1)[0] + "/"


def _json_error(status: int) -> HttpResponse:
    code, detail = GENERIC_ERRORS[status]
    body = json.dumps({"error": code, "detail": detail}, separators=(",", ":")).encode()
    return HttpResponse(body, status=status, content_type="application/json")


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(api_prefix()):
            return response
        is_json = response.get("Content-Type", "").startswith("application/json")
        if response.status_code in GENERIC_ERRORS and not is_json:
            return _json_error(response.status_code)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith(api_prefix()):
            return None
        logger.exception("AutoPay API %s %s failed", request.method, request.path, exc_info=exception)
        return _json_error(500)
