"""Every API endpoint shows a user only the rows of its own companies."""

import io
import json

import pytest
from django.core.exceptions import SuspiciousOperation
from django.core.management import call_command
from rest_framework.test import APIClient

from autopay_erp import views
from tests.autopay_erp import builders
from tests.company.factories import BankPartnerFactory, CompanyFactory, MembershipFactory, UserFactory
from tests.ledger.factories import AccountFactory, CustomerFactory, CustomerItemFactory, SupplierFactory

pytestmark = pytest.mark.django_db


def _rows(company):
    """One row of every endpoint's model for `company`, by endpoint."""
    recon = builders.reconciliation(company)
    return {
        "companies": company,
        "bank-partners": BankPartnerFactory.create(company=company),
        "accounts": AccountFactory.create(company=company),
        "suppliers": SupplierFactory.create(company=company),
        "customers": CustomerFactory.create(company=company),
        "open-items": CustomerItemFactory.create(company=company),
        "vouchers": recon.journal_line.voucher,
        "reconciliations": recon,
    }


ENDPOINTS = [
    "companies",
    "bank-partners",
    "accounts",
    "suppliers",
    "customers",
    "open-items",
    "vouchers",
    "reconciliations",
]


@pytest.fixture
def api():
    user = UserFactory.create()
    own = MembershipFactory.create(user=user).company
    client = APIClient()
    client.force_authenticate(user)
    return client, _rows(own), _rows(CompanyFactory.create())


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_list_shows_own_company_rows(api, endpoint):
    client, own, _ = api
    ids = {row["id"] for row in client.get(f"/api/{endpoint}/").json()["results"]}
    assert own[endpoint].pk in ids


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_list_hides_another_companys_rows(api, endpoint):
    client, _, other = api
    ids = {row["id"] for row in client.get(f"/api/{endpoint}/").json()["results"]}
    assert other[endpoint].pk not in ids


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_detail_of_own_company_row_is_found(api, endpoint):
    client, own, _ = api
    assert client.get(f"/api/{endpoint}/{own[endpoint].pk}/").status_code == 200


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_detail_of_another_companys_row_is_not_found(api, endpoint):
    client, _, other = api
    assert client.get(f"/api/{endpoint}/{other[endpoint].pk}/").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        *(f"/api/{endpoint}/999999999/" for endpoint in ENDPOINTS),
        "/api/payments/999999999/",
        "/api/payments/999999999/events/",
        "/api/sync/00000000-0000-0000-0000-000000000000/",
        "/api/sync/a%00b/",
        "/api/sync/not-an-id/",
        "/api/payment-upload-runs/999999999/",
        "/api/no-such-endpoint/",
    ],
)
@pytest.mark.parametrize(("language", "detail"), [("nb", "Ikke funnet."), ("en", "Not found.")])
def test_a_row_not_found_is_told_in_the_users_language_without_naming_the_model(api, path, language, detail):
    # Not Django's "No Payment matches the given query.": English whatever the language, and the model's name.
    client, _, _ = api
    response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
    assert (response.status_code, response.json()) == (404, {"detail": detail})


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(("language", "detail"), [("nb", "Forespørselen er for stor."), ("en", "too large")])
def test_a_body_too_large_is_a_413_in_the_apis_shape(api, settings, debug, language, detail):
    settings.DEBUG = debug
    client, _, _ = api
    body = b'{"company": 1, "note": "' + b"a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + b'"}'
    response = client.post(
        "/api/payment-proposals/", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 413
    assert detail in response.json()["detail"]


@pytest.mark.parametrize(
    ("endpoint", "payload"),
    [
        ("accounts", {"number": "3999", "name": "Sales", "kind": "income"}),
        ("suppliers", {"number": 29999, "name": "Elsewhere AS"}),
        ("customers", {"number": 19999, "name": "Elsewhere AS"}),
        ("bank-partners", {"name": "DNB", "bank_account": "12345678903", "gl_account_no": "1920"}),
    ],
)
def test_creating_a_row_for_another_company_is_refused(api, endpoint, payload):
    client, _, other = api
    response = client.post(f"/api/{endpoint}/", {**payload, "company": other["companies"].pk}, format="json")
    assert response.status_code == 400


def test_creating_an_open_item_for_another_companys_customer_is_refused(api):
    client, own, other = api
    payload = {
        "company": own["companies"].pk,
        "kind": "customer",
        "customer": other["customers"].pk,
        "amount": "100.00",
    }
    assert client.post("/api/open-items/", payload, format="json").status_code == 400


def test_filtering_by_another_companys_customer_is_refused_as_unknown(api):
    client, _, other = api
    response = client.get("/api/open-items/", {"customer": other["customers"].pk})
    assert response.status_code == 400


def test_updating_another_companys_customer_is_not_found(api):
    client, _, other = api
    response = client.patch(f"/api/customers/{other['customers'].pk}/", {"name": "Mine now"}, format="json")
    assert response.status_code == 404


def test_superuser_sees_every_companys_vouchers(api):
    _, own, other = api
    client = APIClient()
    client.force_authenticate(UserFactory.create(is_superuser=True, is_staff=True))
    ids = {row["id"] for row in client.get("/api/vouchers/").json()["results"]}
    assert {own["vouchers"].pk, other["vouchers"].pk} <= ids


def test_anonymous_request_is_refused():
    assert APIClient().get("/api/open-items/").status_code == 401


def test_token_from_drf_create_token_authenticates():
    user = MembershipFactory.create().user
    CustomerItemFactory.create(company=user.memberships.get().company)
    out = io.StringIO()
    call_command("drf_create_token", user.username, stdout=out)
    token = out.getvalue().split()[2]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/open-items/").json()["count"] == 1


def test_token_endpoint_issues_a_token_for_username_and_password():
    user = UserFactory.create(username="integrator")
    response = APIClient().post(
        "/api/token/", {"username": user.username, "password": "correct horse battery staple"}, format="json"
    )
    assert response.json()["token"]


def test_openapi_schema_is_served():
    client = APIClient()
    client.force_authenticate(UserFactory.create())
    response = client.get("/api/schema/")
    assert b"/api/open-items/" in response.content


def test_openapi_schema_validates_without_warnings():
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=io.StringIO())


def test_api_docs_page_loads():
    client = APIClient()
    client.force_authenticate(UserFactory.create())
    assert client.get("/api/docs/").status_code == 200


def test_api_docs_load_swagger_ui_from_our_own_static_files():
    client = APIClient()
    client.force_authenticate(UserFactory.create())
    assert b"/static/drf_spectacular_sidecar/swagger-ui-dist/" in client.get("/api/docs/").content


def test_reconciliation_lists_its_voucher(api):
    client, own, _ = api
    data = client.get(f"/api/reconciliations/{own['reconciliations'].pk}/").json()
    assert data["voucher"] == own["reconciliations"].journal_line.voucher_id


def test_list_is_paginated(api):
    client, own, _ = api
    for _ in range(51):
        CustomerFactory.create(company=own["companies"])
    assert len(client.get("/api/customers/").json()["results"]) == 50


@pytest.mark.parametrize(
    ("handler", "status"),
    [
        (lambda request: views.bad_request(request, SuspiciousOperation("too many fields")), 400),
        (views.server_error, 500),
    ],
)
def test_an_error_before_or_beyond_any_view_is_json_under_the_api_and_html_elsewhere(rf, handler, status):
    api = handler(rf.get("/api/payments/"))
    page = handler(rf.get("/payments/"))
    assert (api.status_code, api["Content-Type"], set(json.loads(api.content))) == (
        status,
        "application/json",
        {"detail"},
    )
    assert (page.status_code, page["Content-Type"].split(";")[0]) == (status, "text/html")
