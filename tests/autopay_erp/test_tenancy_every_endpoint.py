"""A user of company B gets nothing of company A, at every endpoint of the URL configuration.

The endpoints are not listed here: they are read from the resolver (tests/urlwalk.py), so an endpoint added
tomorrow is checked the day it is added. Company A's rows all carry a marker word
(tests/autopay_erp/worlds.py); B's user, an ordinary member who is also staff with the company apps'
permissions, must never see the marker
or A's org no, in a list, a detail, a form's choices, the browsable API, OPTIONS metadata or an admin picker.
Every id of A's rows, put into a URL or a filter, must give exactly the answer a non-existent id gives.

`test_an_unscoped_endpoint_is_caught` proves the check bites: a view that forgets the scoping, registered only
in this module's URL configuration, is reported.
"""

import re
from typing import Any

import django_filters
import pytest
from django.db.models import Model
from django.test import Client
from django.urls import path
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers, viewsets

from autopay_erp import urls as project_urls
from ledger import models as ledger_models
from tests import urlwalk
from tests.autopay_erp import worlds

pytestmark = pytest.mark.django_db

NON_EXISTENT = 2_000_000_000
WRITE_BODY = b"{}"
# Per-render randomness that must not count as a difference between two answers.
_NOISE = [
    re.compile(rb'value="[A-Za-z0-9]{32,64}"'),  # CSRF tokens
    re.compile(rb"csrftoken=[A-Za-z0-9]+"),
    re.compile(rb'"csrfToken": "[A-Za-z0-9]+"'),
]


def _normalised(body: bytes, value: str) -> bytes:
    for noise in _NOISE:
        body = noise.sub(b"<noise>", body)
    # The id as a number of its own: not digits of a colour ("#B44", "#666" in the browsable API's CSS), of a
    # word or of a decimal.
    return re.sub(rb"(?<![0-9A-Za-z#.])" + value.encode() + rb"(?![0-9A-Za-z]|\.[0-9])", b"<id>", body)


def _answer(response, *values: str) -> tuple[int, bytes, bytes]:
    """The answer with each of `values` told as <id>: the two answers compared have both ids replaced, so that
    an id that is also a number of the page's text ("1 Proposal" in a help text) counts alike in both."""
    location, content = response.get("Location", "").encode(), response.content
    for value in values:
        location, content = _normalised(location, value), _normalised(content, value)
    return response.status_code, location, content


def _values(endpoint: urlwalk.Endpoint, param: str, value: str) -> dict[str, str]:
    values = {}
    for name in endpoint.params:
        if name == param:
            values[name] = value
        elif name in endpoint.alternatives:
            values[name] = endpoint.alternatives[name][0]
        else:
            values[name] = str(NON_EXISTENT)
    return values


def _requests(client: Client, url: str) -> dict[str, object]:
    """Answer every way of asking: read, read as HTML (the browsable API), OPTIONS, and each write."""
    return {
        "GET": client.get(url),
        "GET html": client.get(url, HTTP_ACCEPT="text/html"),
        "OPTIONS": client.options(url),
        "POST": client.post(url, WRITE_BODY, content_type="application/json"),
        "PATCH": client.patch(url, WRITE_BODY, content_type="application/json"),
        "DELETE": client.delete(url),
    }


def _shows_a(response, world: worlds.World) -> bool:
    body = response.content.lower()
    return worlds.MARKER.lower().encode() in body or world.company.org_no.encode() in body


def _listed_ids(response) -> set[int]:
    if not response.get("Content-Type", "").startswith("application/json"):
        return set()
    try:
        data = response.json()
    except ValueError:
        return set()
    results = data.get("results") if isinstance(data, dict) else data
    if not isinstance(results, list):
        return set()
    return {row["id"] for row in results if isinstance(row, dict) and isinstance(row.get("id"), int)}


def _filter_models(endpoint: urlwalk.Endpoint) -> dict[str, type[Model]]:
    """The query parameters of the endpoint that name a row, with the model they name."""
    cls = endpoint.view_class
    if cls is None or getattr(cls, "queryset", None) is None:
        return {}

    view = cls()
    view.action = "list"
    view.request = None
    filterset = DjangoFilterBackend().get_filterset_class(view, cls.queryset)
    if filterset is None:
        return {}
    model = filterset._meta.model
    return {
        name: model._meta.get_field(f.field_name).related_model
        for name, f in filterset.base_filters.items()
        if isinstance(f, django_filters.ModelChoiceFilter | django_filters.ModelMultipleChoiceFilter)
    }


def leaks(endpoint: urlwalk.Endpoint, client: Client, a: worlds.World, b: worlds.World) -> list[str]:
    """Return what company A's data the endpoint lets B's user see or tell apart (empty: nothing)."""
    found: list[str] = []
    own_ids = b.ids(endpoint.model) if endpoint.model else b.ids()
    param_values: list[str | None] = [p for p in endpoint.params if p not in endpoint.alternatives] or [None]
    for param in param_values:
        urls: list[str] = []
        probes: list[tuple[str, str]] = []
        if param is None:
            urls = [endpoint.path(_values(endpoint, "", ""))]
        else:
            model = endpoint.model
            candidates = a.ids(model) if model is not None else a.ids()
            probes = [(param, str(pk)) for pk in sorted(candidates - b.ids())]
        for url in urls:
            for how, response in _requests(client, url).items():
                if _shows_a(response, a):
                    found.append(f"{how} {url} shows company A's data")
                if how == "GET" and _listed_ids(response) - own_ids:
                    found.append(f"{how} {url} lists ids {sorted(_listed_ids(response) - own_ids)} of A")
            for name, model in _filter_models(endpoint).items():
                refused = client.get(url, {name: NON_EXISTENT})
                for pk in sorted(a.ids(model) - b.ids(model)):
                    response = client.get(url, {name: pk})
                    if _answer(response, str(pk), str(NON_EXISTENT)) != _answer(
                        refused, str(NON_EXISTENT), str(pk)
                    ) or _shows_a(response, a):
                        found.append(f"GET {url}?{name}={pk} (A's) differs from a non-existent id")
        expected: dict[str, Any] = {}
        if param is not None and probes:
            absent = endpoint.path(_values(endpoint, param, str(NON_EXISTENT)))
            expected = _requests(client, absent)
        for name, value in probes:
            url = endpoint.path(_values(endpoint, name, value))
            for how, response in _requests(client, url).items():
                if _shows_a(response, a):
                    found.append(f"{how} {url} shows company A's data")
                elif _answer(response, value, str(NON_EXISTENT)) != _answer(
                    expected[how], str(NON_EXISTENT), value
                ):
                    found.append(f"{how} {url} (A's id) answers otherwise than a non-existent id")
    return found


@pytest.fixture
def worlds_ab():
    a = worlds.company_with_data(worlds.MARKER)
    b = worlds.company_with_data("Bravo")
    worlds.staff_member(b)
    client = Client()
    client.force_login(b.user)
    return client, a, b


ENDPOINTS = urlwalk.endpoints()


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_another_companys_user_gets_nothing(worlds_ab, endpoint):
    client, a, b = worlds_ab
    assert leaks(endpoint, client, a, b) == []


# A view that forgets the scoping, in a URL configuration of this module only.
class _CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = ledger_models.Customer
        fields = ["id", "name"]


class _UnscopedCustomers(viewsets.ReadOnlyModelViewSet):
    queryset = ledger_models.Customer.objects.all()
    serializer_class = _CustomerSerializer


urlpatterns = [
    path("unscoped/", _UnscopedCustomers.as_view({"get": "list"}), name="unscoped-list"),
    path("unscoped/<int:pk>/", _UnscopedCustomers.as_view({"get": "retrieve"}), name="unscoped-detail"),
    *project_urls.urlpatterns,
]


@pytest.mark.urls(__name__)
def test_an_unscoped_endpoint_is_caught(worlds_ab):
    client, a, b = worlds_ab
    unscoped = [e for e in urlwalk.endpoints(__name__) if e.route.startswith("/unscoped/")]
    assert len(unscoped) == 2
    assert all(leaks(e, client, a, b) for e in unscoped)
