import pytest


@pytest.fixture
def broker_unreachable(settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"


def test_healthz_answers_without_touching_the_database(client):
    # No django_db mark: a query would raise.
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


@pytest.mark.django_db
def test_readyz_is_200_when_the_database_migrations_and_broker_are_up(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "ok"


@pytest.mark.django_db
def test_readyz_is_503_naming_the_broker_when_it_cannot_be_reached(client, broker_unreachable):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == {
        "ok": False,
        "error": "OperationalError",
        "ms": response.json()["checks"]["broker"]["ms"],
    }


@pytest.mark.django_db
def test_readyz_is_answered_before_the_https_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/readyz")
    assert response.status_code == 200


def test_forwarded_proto_is_believed_from_a_trusted_proxy(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXIES = ["10.9.8.0/24"]
    response = client.get("/login/", HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="10.9.8.7")
    assert response.status_code == 200


def test_forwarded_proto_from_anyone_else_is_dropped(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXIES = ["10.9.8.0/24"]
    response = client.get("/login/", HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="192.0.2.1")
    assert response.status_code == 301
