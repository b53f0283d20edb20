"""A NUL byte in a request's query string is nobody's input: refused with a 400 before any view.

PostgreSQL cannot hold or compare a NUL in text, so a filter of the admin's lists (`?status=a%00b`), which
Django hands to the database as it came, would answer a server error. The API's filters and the pages' forms
refuse one themselves, naming the parameter: they, and the simulator's signed API with its own wire shape, are
left to do so (`NUL_GUARD_EXCEPT`). This guard covers what reads the query string without a form.
"""

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse


class NulGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if (
            ("%00" in query or "\x00" in query)
            and not request.path.startswith(_exempt())
            and any("\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists())
        ):
            # Django answers it with handler400 (Bad Request).
            raise SuspiciousOperation("a NUL byte in the query string")
        return self.get_response(request)


def _exempt() -> tuple[str, ...]:
    return tuple(getattr(settings, "NUL_GUARD_EXCEPT", ()))
