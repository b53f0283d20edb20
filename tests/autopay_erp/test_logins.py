"""Login lock-out (by username and by address) on the UI login, the admin login and POST /api/token/; the
audit rows of logins; API throttling; sessions ending after inactivity."""

import datetime

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from company import models
from tests.company import factories

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _lockout_limits(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)


@pytest.fixture
def kari():
    return factories.UserFactory.create(username="kari")


def ui_login(client, username, password, ip="198.51.100.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def fail_three_times(client, username="kari", ip="198.51.100.1"):
    for _ in range(3):
        ui_login(client, username, "wrong password", ip=ip)


def test_right_password_logs_in(client, kari):
    response = ui_login(client, "kari", PASSWORD)
    assert (response.status_code, response.url) == (302, reverse("dashboard"))


def test_after_the_failure_limit_the_right_password_is_refused_with_429(client, kari):
    fail_three_times(client)
    response = ui_login(client, "kari", PASSWORD)
    assert (response.status_code, "_auth_user_id" in client.session) == (429, False)


def test_the_lockout_page_says_so(client, kari):
    fail_three_times(client)
    response = ui_login(client, "kari", PASSWORD)
    assert "Too many failed logins" in response.content.decode()


@pytest.mark.parametrize(
    ("language", "expected"),
    [("nb", "For mange mislykkede innlogginger"), ("en", "Too many failed logins")],
)
def test_the_lockout_page_speaks_the_browsers_language(client, kari, language, expected):
    fail_three_times(client)
    response = client.post(
        reverse("login"),
        {"username": "kari", "password": PASSWORD},
        REMOTE_ADDR="198.51.100.1",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert (response.status_code, expected in response.content.decode()) == (429, True)


def test_the_username_is_locked_from_another_address_too(client, kari):
    fail_three_times(client, ip="198.51.100.1")
    assert ui_login(client, "kari", PASSWORD, ip="203.0.113.9").status_code == 429


def test_an_address_trying_many_usernames_is_locked_for_every_username(client, kari):
    for name in ("ola", "per", "liv"):
        ui_login(client, name, "guess", ip="198.51.100.66")
    assert ui_login(client, "kari", PASSWORD, ip="198.51.100.66").status_code == 429


def test_the_lockout_ends_after_the_cool_off(client, kari):
    fail_three_times(client)
    with time_machine.travel(datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(minutes=16)):
        response = ui_login(client, "kari", PASSWORD)
    assert response.status_code == 302


def test_admin_login_is_locked_out_too(client):
    factories.UserFactory.create(username="boss", is_staff=True, is_superuser=True)
    url = reverse("admin:login")
    for _ in range(3):
        client.post(url, {"username": "boss", "password": "nope"}, REMOTE_ADDR="198.51.100.2")
    response = client.post(url, {"username": "boss", "password": PASSWORD}, REMOTE_ADDR="198.51.100.2")
    assert response.status_code == 429


def test_token_endpoint_after_failures_refuses_the_right_password_with_the_json_error(kari):
    api = APIClient(REMOTE_ADDR="198.51.100.3")
    for _ in range(3):
        api.post(reverse("api-token"), {"username": "kari", "password": "nope"}, format="json")
    response = api.post(reverse("api-token"), {"username": "kari", "password": PASSWORD}, format="json")
    assert (response.status_code, response.json()["error"]) == (429, "locked_out")


def test_token_endpoint_gives_a_token_for_the_right_password(kari):
    response = APIClient().post(
        reverse("api-token"), {"username": "kari", "password": PASSWORD}, format="json"
    )
    assert (response.status_code, len(response.json()["token"])) == (200, 40)


def test_the_lockout_is_documented_in_the_schema(client):
    schema = client.get(reverse("schema"), HTTP_ACCEPT="application/json").json()
    assert "429" in schema["paths"]["/api/token/"]["post"]["responses"]


# The audit rows of logins


def test_a_login_is_audited_with_the_address(client, kari):
    ui_login(client, "kari", PASSWORD, ip="198.51.100.4")
    event = models.AuditEvent.objects.filter(event=models.AuditEventKind.LOGIN, user_id=kari.pk).get()
    assert event.ip == "198.51.100.4"


def test_a_failed_login_is_audited_without_the_password(client, kari):
    ui_login(client, "kari", "my-wrong-secret", ip="198.51.100.5")
    event = models.AuditEvent.objects.filter(event=models.AuditEventKind.LOGIN_FAILED, username="kari").get()
    assert "my-wrong-secret" not in str(event.details)


def test_a_lockout_is_audited(client, kari):
    fail_three_times(client, ip="198.51.100.6")
    assert models.AuditEvent.objects.filter(event=models.AuditEventKind.LOCKED_OUT, username="kari").exists()


def test_a_token_login_is_audited(kari):
    APIClient().post(reverse("api-token"), {"username": "kari", "password": PASSWORD}, format="json")
    assert models.AuditEvent.objects.filter(event=models.AuditEventKind.LOGIN, user_id=kari.pk).exists()


# API throttling


def test_anonymous_api_requests_beyond_the_rate_get_429(settings):
    settings.API_THROTTLE_RATES = {"anon": "3/minute", "user": "1000/minute"}
    cache.clear()
    api = APIClient(REMOTE_ADDR="198.51.100.7")
    # The API docs page is open to anonymous users; an endpoint needing a login answers 401 before throttling.
    statuses = [api.get(reverse("api-docs")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_a_user_beyond_the_user_rate_gets_429(settings, kari):
    settings.API_THROTTLE_RATES = {"anon": "1000/minute", "user": "2/minute"}
    cache.clear()
    api = APIClient()
    api.force_authenticate(kari)
    statuses = [api.get(reverse("company-list")).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


# Sessions


def test_a_session_ends_after_the_idle_time(client, kari, settings):
    client.force_login(kari)
    later = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(
        seconds=settings.SESSION_COOKIE_AGE + 60
    )
    with time_machine.travel(later):
        response = client.get(reverse("dashboard"))
    assert response.status_code == 302


def test_each_request_renews_the_session(client, kari, settings):
    client.force_login(kari)
    start = datetime.datetime.now(tz=datetime.UTC)
    half = datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE * 2 // 3)
    with time_machine.travel(start + half):
        client.get(reverse("dashboard"))
    with time_machine.travel(start + 2 * half):
        response = client.get(reverse("dashboard"))
    assert response.status_code == 200


def test_the_lockout_message_is_translated_to_norwegian():
    from django.utils import translation

    from autopay_erp import lockout

    with translation.override("nb"):
        assert lockout.lockout_detail().startswith("For mange mislykkede innlogginger")
