"""The API's answer to an exception: DRF's, but a 404 says only "not found", in the user's language.

Django's `get_object_or_404` raises `Http404("No Payment matches the given query.")`, which DRF would hand
on as the detail: English under any language, and naming the model looked in. A body larger than
`DATA_UPLOAD_MAX_MEMORY_SIZE` (Django's `RequestDataTooBig`, which DRF leaves to Django's HTML 400 page) is a
413 in the API's shape.
"""

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "too_large"


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, with every `Http404` answered as DRF's own translated `NotFound`."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    return exception_handler(exc, context)
