import base64
import hashlib
import http.server
import threading
import time

import httpx
import pytest

from autopay_client import client as autopay_client
from autopay_client import errors, signing, statuses
from tests.autopay_client import fake_autopay as fake
from tests.autopay_client.fake_autopay import KEY, ORG_NO, FakeAutoPay, json_response

BASE_URL = "http://autopay.test/autopay"


def make_client(
    server: FakeAutoPay, *, key: bytes | None = KEY, max_retries: int = 3
) -> autopay_client.AutoPayClient:
    return autopay_client.AutoPayClient(
        BASE_URL,
        ORG_NO,
        key,
        timeout=2,
        max_retries=max_retries,
        transport=server.transport(),
        sleep=lambda _: None,
    )


def ok_payment(request: httpx.Request) -> httpx.Response:
    return json_response(request, 201, fake.payment_body())


def ok_page(request: httpx.Request) -> httpx.Response:
    return json_response(request, 200, {"messages": [], "next_after": 0})


# Request signing


def test_upload_signature_is_the_hmac_of_the_rfc9421_signature_base():
    server = FakeAutoPay(ok_payment)
    make_client(server).upload_payment(b"<Document/>")
    request = server.requests[0]
    assert fake.signature_bytes(request) == fake.expected_hmac(request)


def test_upload_covers_method_target_uri_and_content_digest():
    server = FakeAutoPay(ok_payment)
    make_client(server).upload_payment(b"<Document/>")
    assert (
        server.requests[0]
        .headers["signature-input"]
        .startswith('sig1=("@method" "@target-uri" "content-digest");')
    )


def test_upload_content_digest_is_the_sha256_of_the_body():
    server = FakeAutoPay(ok_payment)
    make_client(server).upload_payment(b"<Document/>")
    digest = base64.b64encode(hashlib.sha256(b"<Document/>").digest()).decode()
    assert server.requests[0].headers["content-digest"] == f"sha-256=:{digest}:"


def test_request_signature_carries_keyid_alg_created_and_a_long_nonce():
    server = FakeAutoPay(ok_page)
    make_client(server).messages(after=0)
    params = server.requests[0].headers["signature-input"]
    nonce = params.split('nonce="')[1].split('"')[0]
    assert (
        f'keyid="{ORG_NO}"' in params,
        'alg="hmac-sha256"' in params,
        ";created=" in params,
        len(nonce),
    ) == (
        True,
        True,
        True,
        32,
    )


def test_get_without_body_covers_no_content_digest():
    server = FakeAutoPay(ok_page)
    make_client(server).messages(after=7, limit=3)
    assert server.requests[0].headers["signature-input"].startswith('sig1=("@method" "@target-uri");')


def test_signature_covers_the_query_of_the_target_uri():
    server = FakeAutoPay(ok_page)
    make_client(server).messages(after=7, limit=3)
    assert str(server.requests[0].url) == f"{BASE_URL}/api/v1/messages?after=7&limit=3"


def test_call_without_signing_key_raises_before_sending():
    server = FakeAutoPay(ok_page)
    with pytest.raises(errors.AuthenticationError):
        make_client(server, key=None).messages(after=0)
    assert server.requests == []


# Response verification


def test_unsigned_response_is_refused():
    server = FakeAutoPay(
        lambda request: json_response(request, 200, {"messages": [], "next_after": 0}, key=None)
    )
    with pytest.raises(errors.ResponseSignatureError):
        make_client(server).messages(after=0)


def test_response_signed_with_another_key_is_refused():
    server = FakeAutoPay(lambda request: json_response(request, 201, fake.payment_body(), key=b"x" * 32))
    with pytest.raises(errors.ResponseSignatureError):
        make_client(server).upload_payment(b"<Document/>")


def test_response_whose_body_was_changed_after_signing_is_refused():
    def tampered(request: httpx.Request) -> httpx.Response:
        signed = json_response(request, 200, fake.payment_body(status="new"))
        forged = httpx.Response(
            200, headers=signed.headers, content=signed.content.replace(b'"new"', b'"paid"'), request=request
        )
        return forged

    server = FakeAutoPay(tampered)
    with pytest.raises(errors.ResponseSignatureError):
        make_client(server).get_payment("AP-000001")


def test_response_whose_status_was_changed_after_signing_is_refused():
    def tampered(request: httpx.Request) -> httpx.Response:
        signed = json_response(request, 200, fake.payment_body())
        return httpx.Response(201, headers=signed.headers, content=signed.content, request=request)

    server = FakeAutoPay(tampered)
    with pytest.raises(errors.ResponseSignatureError):
        make_client(server).upload_payment(b"<Document/>")


def test_response_signed_for_another_keyid_is_refused():
    def other_keyid(request: httpx.Request) -> httpx.Response:
        response = httpx.Response(200, json={"messages": [], "next_after": 0}, request=request)
        signing.sign_response(response, key_id="974760673", key=KEY)
        return response

    server = FakeAutoPay(other_keyid)
    with pytest.raises(errors.ResponseSignatureError):
        make_client(server).messages(after=0)


def test_response_created_more_than_300_seconds_ago_is_refused():
    def stale(request: httpx.Request) -> httpx.Response:
        response = httpx.Response(200, json={"messages": [], "next_after": 0}, request=request)
        signing.sign_response(response, key_id=ORG_NO, key=KEY, created=fake.stale_created())
        return response

    server = FakeAutoPay(stale)
    with pytest.raises(errors.ResponseSignatureError):
        make_client(server).messages(after=0)


def test_badly_signed_response_is_not_retried():
    server = FakeAutoPay(lambda request: json_response(request, 500, {"error": "internal"}, key=b"x" * 32))
    with pytest.raises(errors.ResponseSignatureError):
        make_client(server).messages(after=0)
    assert len(server.requests) == 1


def test_unsigned_401_for_unknown_key_raises_authentication_error():
    server = FakeAutoPay(
        lambda request: json_response(
            request, 401, {"error": "unknown_key", "detail": "no such key"}, key=None
        )
    )
    with pytest.raises(errors.AuthenticationError) as raised:
        make_client(server).messages(after=0)
    assert raised.value.code == "unknown_key"


def test_unsigned_401_for_invalid_signature_is_a_response_signature_error():
    server = FakeAutoPay(
        lambda request: json_response(request, 401, {"error": "signature_invalid"}, key=None)
    )
    with pytest.raises(errors.ResponseSignatureError):
        make_client(server).messages(after=0)


# Retries


def test_5xx_is_retried_until_autopay_answers():
    server = FakeAutoPay(
        lambda request: json_response(request, 503, {"error": "internal"}),
        lambda request: json_response(request, 500, {"error": "internal"}),
        ok_payment,
    )
    make_client(server).upload_payment(b"<Document/>")
    assert len(server.requests) == 3


def test_5xx_gives_up_after_max_retries_with_a_retryable_error():
    server = FakeAutoPay(lambda request: json_response(request, 500, {"error": "internal"}))
    with pytest.raises(errors.ServerError) as raised:
        make_client(server, max_retries=2).upload_payment(b"<Document/>")
    assert (len(server.requests), raised.value.retryable) == (3, True)


def test_each_retry_is_signed_with_a_fresh_nonce():
    server = FakeAutoPay(lambda request: json_response(request, 500, {"error": "internal"}), ok_payment)
    make_client(server).upload_payment(b"<Document/>")
    first, second = (request.headers["signature-input"] for request in server.requests)
    assert first.split('nonce="')[1] != second.split('nonce="')[1]


def test_time_out_is_retried():
    def times_out(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    server = FakeAutoPay(times_out, ok_page)
    make_client(server).messages(after=0)
    assert len(server.requests) == 2


def test_connection_error_gives_up_with_a_retryable_transport_error():
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    server = FakeAutoPay(refused)
    with pytest.raises(errors.TransportError) as raised:
        make_client(server, max_retries=1).messages(after=0)
    assert (len(server.requests), raised.value.retryable) == (2, True)


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (400, "invalid_json", errors.BadRequest),
        (400, "invalid_document", errors.InvalidDocument),
        (401, "signature_invalid", errors.AuthenticationError),
        (404, "not_found", errors.NotFound),
        (409, "conflict", errors.Conflict),
    ],
)
def test_4xx_is_not_retried(status, code, error):
    server = FakeAutoPay(lambda request: json_response(request, status, {"error": code, "detail": "no"}))
    with pytest.raises(error) as raised:
        make_client(server).upload_payment(b"<Document/>")
    assert (len(server.requests), raised.value.retryable) == (1, False)


def test_invalid_document_carries_every_error_autopay_found():
    server = FakeAutoPay(
        lambda request: json_response(
            request,
            400,
            {"error": "invalid_document", "detail": "bad", "errors": ["KID check digit", "amount 0"]},
        )
    )
    with pytest.raises(errors.InvalidDocument) as raised:
        make_client(server).upload_payment(b"<Document/>")
    assert raised.value.errors == ("KID check digit", "amount 0")


# Calls


def test_first_upload_is_reported_as_created():
    server = FakeAutoPay(ok_payment)
    receipt = make_client(server).upload_payment(b"<Document/>")
    assert (receipt.reference, receipt.created, receipt.lines[0].status) == (
        "AP-000001",
        True,
        statuses.AutoPayStatus.NEW,
    )


def test_repeated_upload_is_reported_as_not_created():
    server = FakeAutoPay(lambda request: json_response(request, 200, fake.payment_body()))
    assert make_client(server).upload_payment(b"<Document/>").created is False


def test_cancel_posts_an_empty_body_to_the_payment_cancel_path():
    server = FakeAutoPay(lambda request: json_response(request, 200, fake.payment_body(status="cancelled")))
    receipt = make_client(server).cancel_payment("AP-000001")
    request = server.requests[0]
    assert (request.method, request.url.path, request.content, receipt.status) == (
        "POST",
        "/autopay/api/v1/payments/AP-000001/cancel",
        b"",
        statuses.AutoPayStatus.CANCELLED,
    )


def test_reference_with_a_slash_is_refused_before_sending():
    server = FakeAutoPay(ok_page)
    with pytest.raises(ValueError, match="reference"):
        make_client(server).get_payment("../messages")


# Activation


def test_activation_returns_the_key_after_verifying_the_response_with_it():
    server = FakeAutoPay(lambda request: json_response(request, 201, fake.activation_body()))
    activation = make_client(server, key=None).activate("K7P2-QX9M")
    assert (activation.key_id, activation.signing_key) == (ORG_NO, KEY)


def test_activation_sends_org_no_and_code_unsigned():
    server = FakeAutoPay(lambda request: json_response(request, 201, fake.activation_body()))
    make_client(server, key=None).activate("K7P2-QX9M")
    request = server.requests[0]
    assert (fake.request_json(request), "signature" in request.headers) == (
        {"org_no": ORG_NO, "activation_code": "K7P2-QX9M"},
        False,
    )


def test_activation_response_not_signed_with_the_issued_key_is_refused():
    server = FakeAutoPay(lambda request: json_response(request, 201, fake.activation_body(), key=b"x" * 32))
    with pytest.raises(errors.ResponseSignatureError):
        make_client(server, key=None).activate("K7P2-QX9M")


def test_used_activation_code_is_refused():
    server = FakeAutoPay(
        lambda request: json_response(request, 400, {"error": "activation_code_used"}, key=None)
    )
    with pytest.raises(errors.ActivationRefused) as raised:
        make_client(server, key=None).activate("K7P2-QX9M")
    assert raised.value.code == "activation_code_used"


def test_activation_is_not_repeated_after_a_time_out():
    def times_out(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    server = FakeAutoPay(times_out)
    with pytest.raises(errors.TransportError):
        make_client(server, key=None).activate("K7P2-QX9M")
    assert len(server.requests) == 1


def test_activation_is_retried_when_autopay_could_not_be_reached():
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    server = FakeAutoPay(refused, lambda request: json_response(request, 201, fake.activation_body()))
    make_client(server, key=None).activate("K7P2-QX9M")
    assert len(server.requests) == 2


def test_response_played_back_a_second_time_is_refused():
    recorded: list[httpx.Response] = []

    def replaying(request: httpx.Request) -> httpx.Response:
        if not recorded:
            recorded.append(json_response(request, 200, {"messages": [], "next_after": 0}))
        first = recorded[0]
        return httpx.Response(200, headers=first.headers, content=first.content, request=request)

    client = make_client(FakeAutoPay(replaying))
    client.messages(after=0)
    with pytest.raises(errors.ResponseSignatureError, match="nonce"):
        client.messages(after=0)


def test_slow_server_is_timed_out_and_retried_over_a_real_socket():
    calls: list[str] = []

    class Slow(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            calls.append(self.path)
            time.sleep(0.5)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = autopay_client.AutoPayClient(
            f"http://127.0.0.1:{server.server_port}/autopay",
            ORG_NO,
            KEY,
            timeout=0.1,
            max_retries=1,
            sleep=lambda _: None,
        )
        with pytest.raises(errors.TransportError) as raised:
            client.messages(after=0)
    finally:
        server.shutdown()
        server.server_close()
    assert (raised.value.code, len(calls)) == ("timeout", 2)
