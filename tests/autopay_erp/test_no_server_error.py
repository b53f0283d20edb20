"""No request body gives a server error, at any endpoint of the URL configuration.

The endpoints come from the resolver (tests/urlwalk.py), so a new one is covered the day it is added. Each is
asked, as an ordinary member of a company with data (its own rows in the URL), to write every body that
`json.loads` lets fail other than with a ValueError or lets through to fail later. The simulator's API answers
in the wire's JSON shape (docs/autopay-wire.md), never an HTML page.
"""

import pytest
from django.test import Client
from rest_framework import parsers

from autopay_erp import parsers as project_parsers
from tests import urlwalk
from tests.autopay_erp import worlds

pytestmark = pytest.mark.django_db

HOSTILE_BODIES = {
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
    "deep object": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "nesting past the limit": b"[" * 40 + b"]" * 40,
    "invalid UTF-8": b'{"name": "\xff\xfe"}',
    "lone surrogate": b'{"name": "\\ud800", "username": "\\udfff", "password": "x", "org_no": "\\ud800",'
    b' "activation_code": "\\ud800"}',
    "surrogate in a key": b'{"\\ud800": 1}',
    "NUL character": b'{"name": "a\\u0000b", "username": "\\u0000", "password": "\\u0000",'
    b' "org_no": "\\u0000", "activation_code": "\\u0000"}',
    "NaN": b'{"amount": NaN, "number": NaN}',
    "Infinity": b'{"amount": Infinity, "number": -Infinity}',
    "float overflow": b'{"amount": 1e999, "number": 1e999}',
    "huge integer": b'{"number": 1' + b"0" * 5000 + b', "amount": 1' + b"0" * 5000 + b"}",
    "big integer": b'{"number": 99999999999999999999999, "company": 99999999999999999999, "pk": 1e300}',
    "top-level list": b"[1, 2, 3]",
    "top-level string": b'"text"',
    "top-level null": b"null",
    "top-level number": b"42",
    "empty": b"",
    "truncated": b'{"name": ',
    "wrong types": b'{"org_no": ["x"], "activation_code": {"a": 1}, "name": {"x": 1}, "company": [1],'
    b' "amount": true, "username": 1, "password": null}',
}


def _own_values(endpoint: urlwalk.Endpoint, world: worlds.World) -> dict[str, str]:
    values = {}
    for name in endpoint.params:
        if name in endpoint.alternatives:
            values[name] = endpoint.alternatives[name][0]
        elif endpoint.model is not None and world.ids(endpoint.model):
            values[name] = str(min(world.ids(endpoint.model)))
        elif "company" in name:
            values[name] = str(world.company.pk)
        else:
            values[name] = str(min(world.ids()))
    return values


# The admin is form-posted HTML, behind the same middleware; its bodies are not JSON.
ENDPOINTS = [e for e in urlwalk.endpoints() if not e.route.startswith("/admin/")]


@pytest.fixture
def member():
    world = worlds.company_with_data()
    client = Client()
    client.force_login(world.user)
    return client, world


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_no_body_gives_a_server_error(member, endpoint):
    client, world = member
    url = endpoint.path(_own_values(endpoint, world))
    errors = []
    for what, body in HOSTILE_BODIES.items():
        for method in ("post", "put", "patch"):
            response = getattr(client, method)(url, body, content_type="application/json")
            if response.status_code >= 500:
                errors.append(f"{method.upper()} {url} with {what}: {response.status_code}")
    assert errors == []


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.is_drf], ids=str)
def test_every_api_view_parses_json_with_the_project_parser(endpoint):
    view = endpoint.view_class
    initkwargs = getattr(endpoint.callback, "initkwargs", {})
    classes = initkwargs.get("parser_classes", view.parser_classes)
    json_parsers = [p for p in classes if issubclass(p, parsers.JSONParser)]
    assert all(issubclass(p, project_parsers.StrictJSONParser) for p in json_parsers)


@pytest.mark.parametrize("what", list(HOSTILE_BODIES))
def test_token_endpoint_refuses_a_malformed_body_with_400(what):
    response = Client().post("/api/token/", HOSTILE_BODIES[what], content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize("what", list(HOSTILE_BODIES))
def test_simulator_activation_answers_invalid_json(what):
    response = Client().post(
        "/autopay/api/v1/activations", HOSTILE_BODIES[what], content_type="application/json"
    )
    assert (response.status_code, response.json()["error"]) == (400, "invalid_json")


def test_simulator_answers_an_unknown_api_path_with_a_json_404():
    response = Client().get("/autopay/api/v1/no-such-thing")
    assert (response.status_code, response.json()) == (
        404,
        {"error": "not_found", "detail": "no such resource"},
    )


def test_simulator_answers_a_wrong_method_on_activation_with_a_json_405():
    response = Client().get("/autopay/api/v1/activations")
    assert (response.status_code, response.json()["error"]) == (405, "method_not_allowed")


# Values no filter, page or form expects, under the names the project's lists and forms read.
HOSTILE_VALUES = {
    "NUL character": "a\x00b",
    "huge integer": "9" * 40,
    "negative": "-1",
    "words": "x' OR 1=1; --",
    "not a date": "2026-02-30",
    "invalid UTF-8": "%FF%FE",
}
QUERY_NAMES = [
    "company", "status", "kind", "page", "page_size", "ordering", "search", "q", "supplier", "customer",
    "bank_partner", "payment", "line", "open_item", "is_active", "due_before", "due_date_to", "date",
    "payment_date_after", "payment_date_before", "after", "before", "limit", "offset", "number", "kid",
    "org_no", "role", "next", "day", "import", "state", "lang",
]  # fmt: skip
# The admin's lists redirect on a parameter they do not know before reading any: theirs, asked apart.
ADMIN_QUERY_NAMES = ["q", "p", "o"]


def _query(value: str, names: list[str] = QUERY_NAMES) -> str:
    from urllib.parse import quote

    encoded = value if value.startswith("%") else quote(value, safe="")
    return "&".join(f"{name}={encoded}" for name in names)


@pytest.mark.parametrize("endpoint", urlwalk.endpoints(), ids=str)
def test_no_query_string_gives_a_server_error(member, endpoint, admin_client):
    client, world = member
    url = endpoint.path(_own_values(endpoint, world))
    errors = []
    for who, asking in (("member", client), ("superuser", admin_client)):
        for what, value in HOSTILE_VALUES.items():
            # DRF answers a `format` it does not know with a 404 before the view: asked on its own.
            queries = [_query(value), _query(value, ["format"])]
            if url.startswith("/admin/"):
                queries.append(_query(value, ADMIN_QUERY_NAMES))
            for query in queries:
                response = asking.get(f"{url}?{query}")
                if response.status_code >= 500:
                    errors.append(f"{who}: GET {url}?{query[:40]}… with {what}: {response.status_code}")
    assert errors == []


@pytest.mark.parametrize("path", ["/api/payments/", "/api/open-items/", "/api/incoming-payments/"])
def test_the_hostile_query_reaches_the_views_filters(member, path):
    # Refused by the list's own filters (400), not before the view (404) nor as if unfiltered (200).
    client, _world = member
    assert client.get(f"{path}?{_query(HOSTILE_VALUES['NUL character'])}").status_code == 400


@pytest.mark.parametrize(
    "query", ["status=a%00b", "q=a%00b", "company__id__exact=1&status=%00"], ids=["lookup", "search", "mixed"]
)
def test_a_nul_byte_in_the_admins_query_is_a_400_before_the_database(admin_client, query):
    # The admin hands a list filter's value to the database as it came: refused first (nul_guard.py).
    assert admin_client.get(f"/admin/factoring/incomingimport/?{query}").status_code == 400


def test_a_search_without_nul_still_reaches_the_admins_list(admin_client):
    query = _query(HOSTILE_VALUES["words"], ADMIN_QUERY_NAMES)
    response = admin_client.get(f"/admin/ledger/openitem/?{query}")
    assert response.status_code == 200
