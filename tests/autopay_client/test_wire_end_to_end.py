"""The client against the simulator, end to end over HTTP (live_server serves both this project's ERP and its
simulated AutoPay under /autopay/)."""

import dataclasses
import datetime
import json
from decimal import Decimal

import httpx
import pytest

from autopay_client import client as autopay_client
from autopay_client import errors, messages, pain001, signing, statuses
from tests.autopay_client import live_sim
from tests.company import factories

pytestmark = pytest.mark.django_db(transaction=True)

CREATED_AT = datetime.datetime(2026, 11, 22, 9, 0, tzinfo=datetime.UTC)


@dataclasses.dataclass
class Connection:
    base_url: str
    org_no: str
    account: str
    key: bytes

    def client(self, *, max_retries: int = 0) -> autopay_client.AutoPayClient:
        return autopay_client.AutoPayClient(
            self.base_url, self.org_no, self.key, timeout=10, max_retries=max_retries
        )


@pytest.fixture
def autopay_url(live_server) -> str:
    return f"{live_server.url}/autopay"


@pytest.fixture
def registered(autopay_url):
    """A company known to the simulator but not yet activated: (org no, debtor account, activation code)."""
    partner = factories.BankPartnerFactory.build()
    org_no = factories.CompanyFactory.build().org_no
    code = live_sim.sim_company_register(org_no=org_no, name="Wire AS", account=partner.bank_account)
    return org_no, partner.bank_account, code


@pytest.fixture
def connection(autopay_url, registered) -> Connection:
    org_no, account, code = registered
    with autopay_client.AutoPayClient(autopay_url, org_no, None) as client:
        activation = client.activate(code)
    return Connection(base_url=autopay_url, org_no=org_no, account=account, key=activation.signing_key)


def payment(
    connection: Connection, *, payment_id: str = "1001", amount: str = "1250.00"
) -> pain001.PaymentDocument:
    return pain001.PaymentDocument(
        org_no=connection.org_no,
        payment_id=payment_id,
        debtor_account=connection.account,
        execution_date=datetime.date(2026, 11, 23),
        created_at=CREATED_AT,
        lines=[
            pain001.PaymentLine("L1", Decimal(amount), "Leverandør AS", "86011117947", kid="0044555258"),
            pain001.PaymentLine("L2", Decimal("99.90"), "Annen AS", "86011117947", message="Faktura 12"),
        ],
    )


def signed_request(
    connection: Connection, method: str, path: str, content: bytes = b"", **kwargs
) -> httpx.Request:
    request = httpx.Request(method, f"{connection.base_url}/api/v1{path}", content=content)
    signing.sign_request(
        request,
        key_id=connection.org_no,
        key=kwargs.get("key", connection.key),
        **{k: v for k, v in kwargs.items() if k != "key"},
    )
    return request


def altered(signed: httpx.Request, *, url: str | None = None, content: bytes = b"") -> httpx.Request:
    """Copy a signed request's signature headers onto another URL or body."""
    headers = {
        name: value for name, value in signed.headers.items() if name not in {"content-length", "host"}
    }
    return httpx.Request(signed.method, url or signed.url, headers=headers, content=content)


def send(request: httpx.Request) -> httpx.Response:
    with httpx.Client(timeout=10) as http:
        return http.send(request)


# Activation


def test_activation_returns_a_32_byte_key_for_the_org_no(autopay_url, registered):
    org_no, _, code = registered
    with autopay_client.AutoPayClient(autopay_url, org_no, None) as client:
        activation = client.activate(code)
    assert (activation.key_id, len(activation.signing_key)) == (org_no, 32)


def test_second_activation_with_the_same_code_is_refused_as_used(autopay_url, registered):
    org_no, _, code = registered
    with autopay_client.AutoPayClient(autopay_url, org_no, None) as client:
        client.activate(code)
        with pytest.raises(errors.ActivationRefused) as raised:
            client.activate(code)
    assert raised.value.code == "activation_code_used"


def test_unknown_activation_code_is_refused_as_invalid(autopay_url, registered):
    org_no, _, _ = registered
    with (
        autopay_client.AutoPayClient(autopay_url, org_no, None) as client,
        pytest.raises(errors.ActivationRefused) as raised,
    ):
        client.activate("NOPE-NOPE-NOPE")
    assert raised.value.code == "activation_invalid"


# Payments


def test_upload_returns_a_reference_for_a_new_payment(connection):
    with connection.client() as client:
        receipt = client.upload_payment(pain001.build_pain001(payment(connection)))
    assert (receipt.created, receipt.payment_id, [line.end_to_end_id for line in receipt.lines]) == (
        True,
        "1001",
        ["L1", "L2"],
    )


def test_repeated_upload_creates_nothing_and_returns_the_same_reference(connection):
    document = pain001.build_pain001(payment(connection))
    with connection.client() as client:
        first = client.upload_payment(document)
        again = client.upload_payment(document)
    assert (again.created, again.reference, len(again.lines)) == (False, first.reference, 2)


def test_same_payment_id_with_another_document_is_a_conflict(connection):
    with connection.client() as client:
        client.upload_payment(pain001.build_pain001(payment(connection)))
        with pytest.raises(errors.Conflict):
            client.upload_payment(pain001.build_pain001(payment(connection, amount="1300.00")))


def test_uploaded_payment_can_be_read_back_with_its_line_statuses(connection):
    with connection.client() as client:
        uploaded = client.upload_payment(pain001.build_pain001(payment(connection)))
        fetched = client.get_payment(uploaded.reference)
    assert [(line.end_to_end_id, line.amount) for line in fetched.lines] == [
        ("L1", Decimal("1250.00")),
        ("L2", Decimal("99.90")),
    ]


def test_unknown_payment_reference_is_not_found(connection):
    with connection.client() as client, pytest.raises(errors.NotFound):
        client.get_payment("AP-999999")


def test_new_payment_can_be_cancelled(connection):
    with connection.client() as client:
        uploaded = client.upload_payment(pain001.build_pain001(payment(connection)))
        cancelled = client.cancel_payment(uploaded.reference)
    assert cancelled.status == statuses.AutoPayStatus.CANCELLED


def test_schema_valid_document_with_a_bad_kid_is_refused_by_autopay(connection):
    document = pain001.build_pain001(payment(connection)).replace(b"0044555258", b"0044555259")
    pain001.validate_pain001(document)
    with connection.client() as client, pytest.raises(errors.InvalidDocument) as raised:
        client.upload_payment(document)
    assert raised.value.errors


# Messages


def pages_of(client: autopay_client.AutoPayClient, *, limit: int) -> list[messages.MessagePage]:
    pages = []
    cursor = 0
    while (page := client.messages(after=cursor, limit=limit)).messages:
        pages.append(page)
        cursor = page.next_after
    return pages


def test_messages_page_through_in_order_without_gaps(connection):
    live_sim.sim_incoming_payments(org_no=connection.org_no, count=5)
    with connection.client() as client:
        everything = client.messages(after=0, limit=500)
        paged = [message for page in pages_of(client, limit=2) for message in page.messages]
    assert [m.id for m in paged] == [m.id for m in everything.messages]


def test_messages_come_at_most_limit_per_page(connection):
    live_sim.sim_incoming_payments(org_no=connection.org_no, count=5)
    with connection.client() as client:
        sizes = [len(page.messages) for page in pages_of(client, limit=2)]
    assert (sum(sizes) >= 5, max(sizes)) == (True, 2)


def test_incoming_payments_arrive_as_typed_messages(connection):
    live_sim.sim_incoming_payments(org_no=connection.org_no, count=3)
    with connection.client() as client:
        page = client.messages(after=0, limit=500)
    incoming = [m for m in page.messages if isinstance(m, messages.IncomingPaymentMessage)]
    assert [(m.kid, m.credited_account, m.amount > 0) for m in incoming] == [
        (None, connection.account, True)
    ] * 3


def test_empty_page_returns_the_cursor_it_was_given(connection):
    with connection.client() as client:
        page = client.messages(after=10_000, limit=10)
    assert page == messages.MessagePage(messages=(), next_after=10_000)


# Requests AutoPay must refuse


def error_code(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, json.loads(response.content)["error"]


def test_request_whose_body_was_changed_after_signing_is_refused(connection):
    signed = signed_request(connection, "POST", "/payments", pain001.build_pain001(payment(connection)))
    tampered = altered(signed, content=pain001.build_pain001(payment(connection, amount="9999.00")))
    assert error_code(send(tampered)) == (401, "digest_mismatch")


def test_request_with_a_forged_signature_is_refused(connection):
    request = signed_request(connection, "GET", "/messages?after=0", key=b"f" * 32)
    assert error_code(send(request)) == (401, "signature_invalid")


def test_request_replayed_with_the_same_nonce_is_refused(connection):
    request = signed_request(connection, "GET", "/messages?after=0")
    send(request)
    assert error_code(send(request)) == (401, "nonce_replayed")


def test_request_signed_too_long_ago_is_refused(connection):
    request = signed_request(
        connection,
        "GET",
        "/messages?after=0",
        created=datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=400),
    )
    assert error_code(send(request)) == (401, "signature_expired")


def test_unsigned_request_is_refused(connection):
    request = httpx.Request("GET", f"{connection.base_url}/api/v1/messages?after=0")
    assert error_code(send(request)) == (401, "signature_missing")


def test_request_to_another_uri_than_signed_is_refused(connection):
    signed = signed_request(connection, "GET", "/messages?after=0")
    moved = altered(signed, url=f"{connection.base_url}/api/v1/messages?after=5")
    assert error_code(send(moved)) == (401, "signature_invalid")


def test_refused_upload_stores_nothing(connection):
    document = pain001.build_pain001(payment(connection))
    signed = signed_request(connection, "POST", "/payments", document)
    refused = send(
        httpx.Request(
            "POST", signed.url, headers=signed.headers, content=document.replace(b"1250.00", b"1251.00")
        )
    )
    assert error_code(refused) == (401, "digest_mismatch")
    with connection.client() as client:
        assert client.upload_payment(document).created is True


def test_refusal_of_a_tampered_request_is_itself_signed(connection):
    request = signed_request(connection, "GET", "/messages?after=0", key=b"f" * 32)
    response = send(request)
    signing.verify_response(response, key_id=connection.org_no, key=connection.key)
    assert error_code(response) == (401, "signature_invalid")


def test_request_signed_by_the_client_signer_is_accepted(connection):
    document = pain001.build_pain001(payment(connection))
    signed = signed_request(connection, "POST", "/payments", document)
    assert send(signed).status_code == 201
