"""The simulator's API, talked to over HTTP with requests signed here as the wire document says."""

import base64
import concurrent.futures
import datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from django.utils import timezone

from autopay_sim import models, services
from tests.autopay_sim import factories
from tests.autopay_sim.conftest import SignedClient
from tests.autopay_sim.documents import DocLine, pain001

pytestmark = pytest.mark.django_db(transaction=True)


def _document(company, agreement, payment_id: str = "PAY-1", **line_changes) -> bytes:
    line: dict[str, Any] = {
        "end_to_end_id": "LINE-1",
        "amount": Decimal("1250.00"),
        "creditor_account": factories.account_no(7, prefix="8601"),
        "kid": factories.kid(4455525),
    }
    line.update(line_changes)
    return pain001(
        org_no=company.org_no,
        payment_id=payment_id,
        debtor_account=agreement.debtor_account,
        lines=[DocLine(**line)],
    )


# Activation -----------------------------------------------------------------------------------------------


@pytest.fixture
def new_company(transactional_db):
    account = factories.account_no(42, prefix="1504")
    return services.company_register(
        org_no=factories.org_no(90500), name="Ny AS", debtor_account=account, now=timezone.now()
    )


def test_activation_returns_a_key_that_signs_its_own_response(api_url, new_company):
    registration = new_company
    response = httpx.post(
        f"{api_url}/activations",
        json={"org_no": registration.company.org_no, "activation_code": registration.activation_code},
    )
    key = base64.b64decode(response.json()["signing_key"])
    client = SignedClient(base_url=api_url, key_id=registration.company.org_no, key=key)
    assert (response.status_code, len(key), client.response_is_signed(response)) == (201, 32, True)


def test_activation_code_works_only_once(api_url, new_company):
    body = {"org_no": new_company.company.org_no, "activation_code": new_company.activation_code}
    httpx.post(f"{api_url}/activations", json=body)
    second = httpx.post(f"{api_url}/activations", json=body)
    assert (second.status_code, second.json()["error"]) == (400, "activation_code_used")


def test_activation_code_of_another_org_no_is_invalid(api_url, new_company):
    body = {"org_no": factories.org_no(90600), "activation_code": new_company.activation_code}
    response = httpx.post(f"{api_url}/activations", json=body)
    assert (response.status_code, response.json()["error"]) == (400, "activation_invalid")


def test_signing_key_is_stored_encrypted(api_url, new_company):
    body = {"org_no": new_company.company.org_no, "activation_code": new_company.activation_code}
    key = base64.b64decode(httpx.post(f"{api_url}/activations", json=body).json()["signing_key"])
    stored = models.SimCompany.objects.get(pk=new_company.company.pk).signing_key_ciphertext
    assert base64.b64encode(key).decode() not in stored


# Refusals -------------------------------------------------------------------------------------------------


def _resend(request: httpx.Request, body: bytes, **header_changes: str) -> httpx.Request:
    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
    headers.update(header_changes)
    return httpx.Request(request.method, request.url, content=body, headers=headers)


def _tamper_body(client, body):
    request = client.build("POST", "/payments", body=body)
    return _resend(request, body.replace(b"1250.00", b"9250.00"))


def _tamper_signature(client, body):
    request = client.build("POST", "/payments", body=body)
    return _resend(request, body, signature="sig1=:" + base64.b64encode(b"\0" * 32).decode() + ":")


def _unsigned(client, body):
    return httpx.Request(
        "POST", client.base_url + "/payments", content=body, headers={"Content-Type": "text/xml"}
    )


def _stale(client, body):
    return client.build(
        "POST", "/payments", body=body, created=timezone.now() - datetime.timedelta(seconds=301)
    )


def _future(client, body):
    return client.build(
        "POST", "/payments", body=body, created=timezone.now() + datetime.timedelta(seconds=330)
    )


def _other_key(client, body):
    client.key = b"k" * 32
    return client.build("POST", "/payments", body=body)


def _unknown_org(client, body):
    client.key_id = factories.org_no(90777)
    return client.build("POST", "/payments", body=body)


def _no_digest_coverage(client, body):
    request = client.build("POST", "/payments")  # signed without a body: no digest covered
    return _resend(request, body)


@pytest.mark.parametrize(
    ("make_request", "code"),
    [
        (_unsigned, "signature_missing"),
        (_no_digest_coverage, "signature_missing"),
        (_unknown_org, "unknown_key"),
        (_stale, "signature_expired"),
        (_future, "signature_expired"),
        (_tamper_body, "digest_mismatch"),
        (_tamper_signature, "signature_invalid"),
        (_other_key, "signature_invalid"),
    ],
)
def test_refused_upload_gets_401_with_its_code_and_stores_nothing(
    signed, sim_company, agreement, make_request, code
):
    response = signed.send(make_request(signed, _document(sim_company, agreement)))
    assert (response.status_code, response.json()["error"], models.Payment.objects.count()) == (401, code, 0)


def test_replayed_nonce_is_refused_and_changes_nothing(signed, sim_company, agreement):
    request = signed.build("POST", "/payments", body=_document(sim_company, agreement))
    signed.send(request)
    services.payment_cancel(payment_id=models.Payment.objects.get().pk, actor="test", now=timezone.now())
    replay = signed.send(request)
    assert (replay.status_code, replay.json()["error"], models.Payment.objects.get().status) == (
        401,
        "nonce_replayed",
        models.AutoPayStatus.CANCELLED,
    )


def test_refusal_after_the_key_is_known_is_signed(signed, sim_company, agreement):
    response = signed.send(_stale(signed, _document(sim_company, agreement)))
    assert signed.response_is_signed(response)


def test_unsigned_refusal_for_an_unknown_key_carries_no_signature(signed, sim_company, agreement):
    response = signed.send(_unknown_org(signed, _document(sim_company, agreement)))
    assert "signature" not in response.headers


# Upload ---------------------------------------------------------------------------------------------------


def test_upload_creates_a_new_payment_with_a_reference(signed, sim_company, agreement):
    response = signed.post("/payments", _document(sim_company, agreement))
    payment = models.Payment.objects.get()
    assert (response.status_code, response.json()) == (
        201,
        {
            "reference": payment.reference,
            "payment_id": "PAY-1",
            "status": "new",
            "lines": [{"end_to_end_id": "LINE-1", "status": "new", "amount": "1250.00"}],
        },
    )


def test_upload_response_is_signed_over_status_and_digest(signed, sim_company, agreement):
    response = signed.post("/payments", _document(sim_company, agreement))
    assert signed.response_is_signed(response)


def test_repeated_upload_returns_the_same_reference_and_creates_nothing(signed, sim_company, agreement):
    document = _document(sim_company, agreement)
    first = signed.post("/payments", document)
    again = signed.post("/payments", document)
    assert (again.status_code, again.json()["reference"], models.PaymentLine.objects.count()) == (
        200,
        first.json()["reference"],
        1,
    )


def test_same_payment_id_with_another_document_is_a_conflict(signed, sim_company, agreement):
    signed.post("/payments", _document(sim_company, agreement))
    response = signed.post("/payments", _document(sim_company, agreement, amount=Decimal("99.00")))
    assert (response.status_code, response.json()["error"]) == (409, "conflict")


def test_concurrent_repeats_of_one_upload_create_one_payment(signed, sim_company, agreement):
    document = _document(sim_company, agreement)
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        statuses = sorted(pool.map(lambda _: signed.post("/payments", document).status_code, range(6)))
    assert (statuses, models.Payment.objects.count()) == ([200, 200, 200, 200, 200, 201], 1)


def test_document_that_breaks_the_xsd_is_refused_with_its_errors(signed, sim_company, agreement):
    document = _document(sim_company, agreement).replace(b"<PmtMtd>TRF</PmtMtd>", b"<PmtMtd>XXX</PmtMtd>")
    response = signed.post("/payments", document)
    body = response.json()
    assert (response.status_code, body["error"], any("PmtMtd" in e for e in body["errors"])) == (
        400,
        "invalid_document",
        True,
    )


def test_document_with_an_external_entity_is_not_resolved(signed, sim_company, agreement):
    document = _document(sim_company, agreement).replace(
        b'<?xml version="1.0" encoding="UTF-8"?>',
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    )
    response = signed.post("/payments", document.replace(b"Debitor AS", b"&x;"))
    assert (response.status_code, response.json()["errors"]) == (400, ["a DOCTYPE is not allowed"])


@pytest.mark.parametrize(
    ("line_changes", "expected"),
    [
        ({"creditor_account": "86011117948"}, "creditor account 86011117948 is not a valid account number"),
        ({"creditor_account": "NO9386011117948"}, "creditor account NO9386011117948 is not a valid account"),
        ({"kid": "0044555259"}, "KID 0044555259 has no valid MOD10 or MOD11 check digit"),
        ({"amount": Decimal("0.00")}, "the amount must be greater than 0"),
    ],
)
def test_line_that_breaks_a_rule_is_refused(signed, sim_company, agreement, line_changes, expected):
    response = signed.post("/payments", _document(sim_company, agreement, **line_changes))
    assert (response.status_code, any(expected in e for e in response.json()["errors"])) == (400, True)


def test_iban_creditor_account_is_accepted(signed, sim_company, agreement):
    response = signed.post("/payments", _document(sim_company, agreement, creditor_account="NO9386011117947"))
    assert response.status_code == 201


def test_mod11_kid_is_accepted(signed, sim_company, agreement):
    response = signed.post("/payments", _document(sim_company, agreement, kid="12345678903"))
    assert response.status_code == 201


def test_debtor_account_without_bank_agreement_is_refused(signed, sim_company, agreement):
    other = factories.BankAgreementFactory.create()  # an agreement of another company
    document = pain001(
        org_no=sim_company.org_no,
        payment_id="PAY-2",
        debtor_account=other.debtor_account,
        lines=[
            DocLine("L1", Decimal("10.00"), factories.account_no(7, prefix="8601"), kid=None, message="x")
        ],
    )
    response = signed.post("/payments", document)
    assert any("has no bank agreement" in e for e in response.json()["errors"])


def test_initiating_party_must_be_the_signer(signed, sim_company, agreement):
    document = _document(sim_company, agreement).replace(
        sim_company.org_no.encode(), factories.org_no(90900).encode()
    )
    response = signed.post("/payments", document)
    assert any("is not the signer" in e for e in response.json()["errors"])


def test_duplicate_end_to_end_ids_are_refused(signed, sim_company, agreement):
    creditor = factories.account_no(7, prefix="8601")
    document = pain001(
        org_no=sim_company.org_no,
        payment_id="PAY-3",
        debtor_account=agreement.debtor_account,
        lines=[
            DocLine("SAME", Decimal("1.00"), creditor, message="a"),
            DocLine("SAME", Decimal("2.00"), creditor),
        ],
    )
    response = signed.post("/payments", document)
    assert any("appears more than once" in e for e in response.json()["errors"])


# Reading and cancelling -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/payments/a%00b", "/payments/%01"])
def test_a_reference_with_a_control_character_is_not_found_not_a_server_error(signed, path):
    response = signed.get(path)
    assert (response.status_code, response.json()["error"]) == (404, "not_found")


def test_payment_of_another_company_is_not_found(signed):
    other = factories.PaymentLineFactory.create().payment
    response = signed.get(f"/payments/{other.reference}")
    assert (response.status_code, response.json()["error"]) == (404, "not_found")


def test_cancel_before_the_bank_cancels_every_line(signed, sim_company, agreement):
    reference = signed.post("/payments", _document(sim_company, agreement)).json()["reference"]
    response = signed.post(f"/payments/{reference}/cancel")
    assert (response.status_code, response.json()["status"], response.json()["lines"][0]["status"]) == (
        200,
        "cancelled",
        "cancelled",
    )


def test_cancel_after_the_bank_has_the_payment_is_a_conflict(signed, sim_company, agreement):
    line = factories.PaymentLineFactory.create(
        payment__agreement=agreement, payment__status=models.AutoPayStatus.SENT_TO_BANK, status="sent_to_bank"
    )
    response = signed.post(f"/payments/{line.payment.reference}/cancel")
    assert (response.status_code, models.Payment.objects.get().status) == (
        409,
        models.AutoPayStatus.SENT_TO_BANK,
    )


# Messages -------------------------------------------------------------------------------------------------


def _three_line_payment_cancelled(signed, sim_company, agreement) -> str:
    creditor = factories.account_no(7, prefix="8601")
    document = pain001(
        org_no=sim_company.org_no,
        payment_id="PAY-M",
        debtor_account=agreement.debtor_account,
        lines=[DocLine(f"L{n}", Decimal("10.00"), creditor, kid=factories.kid(n)) for n in range(1, 4)],
    )
    reference = signed.post("/payments", document).json()["reference"]
    signed.post(f"/payments/{reference}/cancel")
    return reference


def test_messages_page_in_seq_order(signed, sim_company, agreement):
    _three_line_payment_cancelled(signed, sim_company, agreement)
    first = signed.get("/messages?after=0&limit=2").json()
    second = signed.get(f"/messages?after={first['next_after']}&limit=2").json()
    seqs = [m["seq"] for m in first["messages"]] + [m["seq"] for m in second["messages"]]
    assert (seqs, second["next_after"]) == ([1, 2, 3], 3)


def test_empty_page_keeps_the_cursor(signed, sim_company, agreement):
    _three_line_payment_cancelled(signed, sim_company, agreement)
    page = signed.get("/messages?after=3").json()
    assert page == {"messages": [], "next_after": 3}


def test_line_status_message_carries_the_mapped_erp_status(signed, sim_company, agreement):
    reference = _three_line_payment_cancelled(signed, sim_company, agreement)
    message = signed.get("/messages?after=0&limit=1").json()["messages"][0]
    assert (message["type"], message["payload"]) == (
        "line_status",
        {
            "payment_reference": reference,
            "payment_id": "PAY-M",
            "end_to_end_id": "L1",
            "autopay_status": "cancelled",
            "erp_status": 4,
            "amount_paid": None,
            "currency": "NOK",
            "value_date": None,
            "bank_reference": None,
            "reason": "Cancelled by the ERP",
        },
    )


def test_messages_are_only_the_companys_own(signed, client_for, sim_company, agreement):
    _three_line_payment_cancelled(signed, sim_company, agreement)
    other = factories.SimCompanyFactory.create()
    page = client_for(other).get("/messages").json()
    assert page["messages"] == []


def test_limit_out_of_range_is_refused(signed):
    response = signed.get("/messages?limit=5001")
    assert response.status_code == 400


def _incoming(company, agreement, count: int) -> None:
    services.incoming_payments_generate(
        company_id=company.pk,
        spec=services.IncomingSpec(kid_amounts=[], unknown_kids=count),
        day=datetime.date(2026, 11, 23),
        now=timezone.now(),
        seed=1,
    )


def test_a_page_may_hold_more_than_500_messages(signed, sim_company, agreement):
    _incoming(sim_company, agreement, 501)
    page = signed.get("/messages?after=0&limit=5000").json()
    assert (len(page["messages"]), page["next_after"]) == (501, 501)


def test_the_default_page_holds_100_messages(signed, sim_company, agreement):
    _incoming(sim_company, agreement, 101)
    assert len(signed.get("/messages").json()["messages"]) == 100


def test_a_payload_with_non_ascii_text_arrives_intact(signed, sim_company, agreement):
    _three_line_payment_cancelled(signed, sim_company, agreement)
    models.Message.objects.filter(company=sim_company).update(payload={"reason": 'Kansellert ø "å"'})
    message = signed.get("/messages?after=0&limit=1").json()["messages"][0]
    assert message["payload"] == {"reason": 'Kansellert ø "å"'}


def test_wrong_method_gets_a_signed_405(signed):
    response = signed.send(signed.build("DELETE", "/messages"))
    assert (response.status_code, signed.response_is_signed(response)) == (405, True)


# Review fixes ---------------------------------------------------------------------------------------------


def test_nonce_longer_than_200_characters_is_refused_as_signature_invalid(signed, sim_company, agreement):
    request = signed.build("POST", "/payments", body=_document(sim_company, agreement), nonce="n" * 201)
    response = signed.send(request)
    assert (response.status_code, response.json()["error"]) == (401, "signature_invalid")


def test_key_that_no_longer_decrypts_is_refused_as_unknown_key(signed, sim_company, agreement):
    stranger = Fernet(Fernet.generate_key()).encrypt(factories.SIGNING_KEY).decode("ascii")
    models.SimCompany.objects.filter(pk=sim_company.pk).update(signing_key_ciphertext=stranger)
    response = signed.post("/payments", _document(sim_company, agreement))
    assert (response.status_code, response.json()["error"]) == (401, "unknown_key")
