"""A small in-test AutoPay for the client's unit tests: an httpx.MockTransport handler that checks request
signatures the way AutoPay does and signs its responses. The real simulator is exercised over HTTP in
test_wire_end_to_end.py."""

import base64
import datetime
import hashlib
import hmac
import json
from collections.abc import Callable

import httpx
from http_message_signatures import HTTPMessageVerifier, MappingKeyResolver, algorithms

from autopay_client import signing

ORG_NO = "988077917"
KEY = bytes(range(32))

Responder = Callable[[httpx.Request], httpx.Response]


def json_response(
    request: httpx.Request, status: int, data: object, *, key: bytes | None = KEY
) -> httpx.Response:
    response = httpx.Response(status, json=data, request=request)
    if key is not None:
        signing.sign_response(response, key_id=ORG_NO, key=key)
    return response


def verify_request(request: httpx.Request, key: bytes = KEY) -> None:
    """Verify as AutoPay would, with the library alone; raise InvalidSignature when it does not verify."""
    body = request.read()
    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithms.HMAC_SHA256,
        key_resolver=MappingKeyResolver(public_keys={ORG_NO: key}, private_keys={}),
    )
    required = ["@method", "@target-uri"] + (["content-digest"] if body else [])
    verifier.verify(request, require_components=required, body=body or None)


def expected_hmac(request: httpx.Request, key: bytes = KEY) -> bytes:
    """Compute the RFC 9421 signature base of a request by hand (no library) and its HMAC-SHA256."""
    params = request.headers["signature-input"].removeprefix("sig1=")
    components = params[1 : params.index(")")].split()
    lines = []
    for component in components:
        name = component.strip('"')
        if name == "@method":
            value = request.method
        elif name == "@target-uri":
            value = str(request.url)
        else:
            value = request.headers[name]
        lines.append(f'"{name}": {value}')
    lines.append(f'"@signature-params": {params}')
    return hmac.new(key, "\n".join(lines).encode(), hashlib.sha256).digest()


def signature_bytes(message: httpx.Request | httpx.Response) -> bytes:
    return base64.b64decode(message.headers["signature"].removeprefix("sig1=:").removesuffix(":"))


def payment_body(*, reference: str = "AP-000001", status: str = "new") -> dict[str, object]:
    return {
        "reference": reference,
        "payment_id": "1001",
        "status": status,
        "lines": [{"end_to_end_id": "L1", "status": status, "amount": "1250.00"}],
    }


class FakeAutoPay:
    """Record each request, verify its signature, and answer with the next responder in line."""

    def __init__(self, *responders: Responder) -> None:
        self.responders = list(responders)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not request.url.path.endswith("/activations"):
            verify_request(request)
        responder = self.responders.pop(0) if len(self.responders) > 1 else self.responders[0]
        return responder(request)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def stale_created() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=400)


def activation_body(key: bytes = KEY) -> dict[str, str]:
    return {
        "key_id": ORG_NO,
        "signing_key": base64.b64encode(key).decode(),
        "activated_at": "2026-11-22T00:00:00+00:00",
    }


def request_json(request: httpx.Request) -> object:
    return json.loads(request.read())
