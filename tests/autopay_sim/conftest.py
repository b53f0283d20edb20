"""A signing HTTP client for the simulator's API, written from docs/autopay-wire.md alone."""

import dataclasses
import datetime
import secrets
from collections.abc import Callable

import httpx
import pytest
from http_message_signatures import HTTPMessageSigner, HTTPMessageVerifier, MappingKeyResolver, algorithms

from tests.autopay_sim import factories


@dataclasses.dataclass
class SignedClient:
    base_url: str
    key_id: str
    key: bytes

    def build(
        self,
        method: str,
        path: str,
        *,
        body: bytes = b"",
        content_type: str = "application/xml",
        created: datetime.datetime | None = None,
        nonce: str | None = None,
    ) -> httpx.Request:
        headers = {"Content-Type": content_type} if body else {}
        request = httpx.Request(method, self.base_url + path, content=body, headers=headers)
        signer = HTTPMessageSigner(
            signature_algorithm=algorithms.HMAC_SHA256,
            key_resolver=MappingKeyResolver(public_keys={}, private_keys={self.key_id: self.key}),
        )
        signer.sign(
            request,
            key_id=self.key_id,
            created=created or datetime.datetime.now(datetime.UTC),
            nonce=nonce or secrets.token_urlsafe(16),
            label="sig1",
            covered_component_ids=("@method", "@target-uri"),
            body=body if body else None,
        )
        return request

    def send(self, request: httpx.Request) -> httpx.Response:
        with httpx.Client(timeout=10) as client:
            return client.send(request)

    def get(self, path: str) -> httpx.Response:
        return self.send(self.build("GET", path))

    def post(self, path: str, body: bytes = b"", **kwargs: object) -> httpx.Response:
        return self.send(self.build("POST", path, body=body, **kwargs))  # type: ignore[arg-type]

    def response_is_signed(self, response: httpx.Response) -> bool:
        verifier = HTTPMessageVerifier(
            signature_algorithm=algorithms.HMAC_SHA256,
            key_resolver=MappingKeyResolver(public_keys={self.key_id: self.key}, private_keys={}),
        )
        results = verifier.verify(
            response, require_components=("@status", "content-digest"), body=response.content
        )
        return len(results) == 1 and results[0].parameters["keyid"] == self.key_id


@pytest.fixture
def api_url(live_server) -> str:
    return live_server.url + "/autopay/api/v1"


@pytest.fixture
def sim_company(transactional_db):
    return factories.SimCompanyFactory.create()


@pytest.fixture
def agreement(sim_company):
    return factories.BankAgreementFactory.create(company=sim_company)


@pytest.fixture
def client_for(api_url) -> Callable[..., SignedClient]:
    def make(company, key: bytes = factories.SIGNING_KEY) -> SignedClient:
        return SignedClient(base_url=api_url, key_id=company.org_no, key=key)

    return make


@pytest.fixture
def signed(client_for, sim_company) -> SignedClient:
    return client_for(sim_company)
