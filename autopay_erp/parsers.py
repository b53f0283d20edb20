"""The API's JSON parser: every malformed body is a 400 ParseError, never a server error.

Set as DRF's default parser (settings REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]); a view that lists its own
parser classes lists this one (tests/autopay_erp/test_no_server_error.py checks every view of the URL
configuration).
"""

from collections.abc import Mapping
from typing import IO, Any

from django.utils.translation import gettext
from rest_framework import exceptions, parsers

from autopay_client import strictjson


class StrictJSONParser(parsers.JSONParser):
    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        try:
            return strictjson.loads(stream.read())
        except strictjson.InvalidJSON as exc:
            # DRF's own words, which its catalogues translate.
            raise exceptions.ParseError(gettext("JSON parse error - %(detail)s") % {"detail": exc}) from None
