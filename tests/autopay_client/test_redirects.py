"""The client never follows a redirect: an HTTPS redirect in front of AutoPay is an error that names it."""

import httpx
import pytest

from autopay_client import client as autopay_client
from autopay_client import errors
from tests.autopay_client.fake_autopay import KEY, ORG_NO, FakeAutoPay

BASE_URL = "http://autopay.test/autopay"


def _redirect(request: httpx.Request) -> httpx.Response:
    return httpx.Response(301, headers={"Location": f"https://autopay.test{request.url.path}"})


def _client(server: FakeAutoPay, key: bytes | None) -> autopay_client.AutoPayClient:
    return autopay_client.AutoPayClient(
        BASE_URL, ORG_NO, key, timeout=2, max_retries=3, transport=server.transport(), sleep=lambda _: None
    )


def test_an_activation_answered_by_a_redirect_names_where_it_points():
    server = FakeAutoPay(_redirect)
    with pytest.raises(errors.AutoPayError) as raised:
        _client(server, None).activate("K7P2-QX9M")
    assert (raised.value.code, raised.value.status) == ("redirected", 301)
    assert "https://autopay.test/autopay/api/v1/activations" in str(raised.value)


def test_a_signed_call_answered_by_a_redirect_is_sent_once_and_not_followed():
    server = FakeAutoPay(_redirect, _redirect)
    with pytest.raises(errors.AutoPayError) as raised:
        _client(server, KEY).messages(after=0)
    assert raised.value.code == "redirected"
    assert [str(request.url) for request in server.requests] == [
        "http://autopay.test/autopay/api/v1/messages?after=0&limit=100"
    ]
