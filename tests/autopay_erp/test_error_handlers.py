"""What Django answers before or beyond any view, through the project's URL configuration (handler400,
handler500): JSON under /api/, the HTML page elsewhere."""

import pytest
from django.http import HttpRequest, HttpResponse
from django.urls import path

from autopay_erp import urls as project_urls
from tests.company.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def _boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a view that fails")


urlpatterns = [
    path("api/boom/", _boom),
    path("boom/", _boom),
    *project_urls.urlpatterns,
]
handler400 = project_urls.handler400
handler404 = project_urls.handler404
handler500 = project_urls.handler500


@pytest.fixture
def client_answering(client, settings):
    settings.DEBUG = False
    client.raise_request_exception = False
    client.force_login(MembershipFactory.create().user)
    return client


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(("path", "json"), [("/api/boom/", True), ("/boom/", False)])
def test_a_server_error_is_json_under_the_api_and_the_page_elsewhere(client_answering, path, json):
    response = client_answering.get(path)
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json") is json
    if json:
        assert set(response.json()) == {"detail"}


def test_a_form_with_more_fields_than_django_reads_is_a_json_400_under_the_api(client_answering, settings):
    body = "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    response = client_answering.post(
        "/api/payment-proposals/", body, content_type="application/x-www-form-urlencoded"
    )
    assert (response.status_code, response["Content-Type"], set(response.json())) == (
        400,
        "application/json",
        {"detail"},
    )
