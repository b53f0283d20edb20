"""The API's answer to an exception: DRF's, but a 404 says only "not found", in the user's language.

Django's `get_object_or_404` raises `Http404("No Payment matches the given query.")`, which DRF would hand
on as the detail: English under any language, and naming the model looked in.
"""

from typing import Any

from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, with every `Http404` answered as DRF's own translated `NotFound`."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    return exception_handler(exc, context)
