import dataclasses
import datetime
import uuid
from decimal import Decimal

import pytest

from autopay_client import errors, messages, statuses

MESSAGE_ID = "5b0f6f3e-2a4e-4f39-9d53-2f0d7c1f5a10"


def line_status(**payload_overrides):
    payload = {
        "payment_reference": "AP-000123",
        "payment_id": "1001",
        "end_to_end_id": "L1",
        "autopay_status": "paid",
        "erp_status": 5,
        "amount_paid": "1250.00",
        "currency": "NOK",
        "value_date": "2026-11-23",
        "bank_reference": "BR1",
        "reason": "",
    } | payload_overrides
    return {
        "id": MESSAGE_ID,
        "seq": 42,
        "type": "line_status",
        "created_at": "2026-11-23T08:00:00+00:00",
        "payload": payload,
    }


def incoming(**payload_overrides):
    payload = {
        "amount": "1250.00",
        "currency": "NOK",
        "date": "2026-11-23",
        "kid": "0044555258",
        "message": "",
        "payer_account": "86011117947",
        "payer_name": "Kunde AS",
        "credited_account": "15030000002",
        "archive_reference": "AR1",
    } | payload_overrides
    return {
        "id": MESSAGE_ID,
        "seq": 43,
        "type": "incoming_payment",
        "created_at": "2026-11-23T08:00:00Z",
        "payload": payload,
    }


def approval_token():
    return {
        "id": MESSAGE_ID,
        "seq": 44,
        "type": "approval_token",
        "created_at": "2026-11-23T08:00:00+00:00",
        "payload": {
            "token": "tok-1",
            "invoice_no": "INV-7",
            "supplier_account": "20010",
            "amount": "990.50",
            "currency": "NOK",
            "approved_by": "anne",
            "approved_at": "2026-11-22T15:00:00+00:00",
        },
    }


def parse_as[T](kind: type[T], data: object) -> T:
    message = messages.parse_message(data)
    assert isinstance(message, kind)
    return message


def test_paid_line_status_parses_to_a_typed_message():
    message = messages.parse_message(line_status())
    assert message == messages.LineStatusMessage(
        id=uuid.UUID(MESSAGE_ID),
        seq=42,
        created_at=datetime.datetime(2026, 11, 23, 8, tzinfo=datetime.UTC),
        payment_reference="AP-000123",
        payment_id="1001",
        end_to_end_id="L1",
        autopay_status=statuses.AutoPayStatus.PAID,
        erp_status=statuses.ErpLineStatus.SETTLED,
        amount_paid=Decimal("1250.00"),
        currency="NOK",
        value_date=datetime.date(2026, 11, 23),
        bank_reference="BR1",
        reason="",
    )


def test_unpaid_line_status_has_no_amount_date_or_bank_reference():
    message = parse_as(
        messages.LineStatusMessage,
        line_status(
            autopay_status="sent_to_bank",
            erp_status=3,
            amount_paid=None,
            value_date=None,
            bank_reference=None,
        ),
    )
    assert (message.amount_paid, message.value_date, message.bank_reference) == (None, None, None)


def test_incoming_payment_parses_amount_as_decimal_and_date():
    message = parse_as(messages.IncomingPaymentMessage, incoming())
    assert (message.amount, message.date, message.kid) == (
        Decimal("1250.00"),
        datetime.date(2026, 11, 23),
        "0044555258",
    )


def test_incoming_payment_without_kid_keeps_the_payers_message():
    message = parse_as(messages.IncomingPaymentMessage, incoming(kid=None, message="Faktura 12"))
    assert (message.kid, message.message) == (None, "Faktura 12")


def test_approval_token_parses():
    message = parse_as(messages.ApprovalTokenMessage, approval_token())
    assert (message.token, message.amount, message.approved_at.year) == ("tok-1", Decimal("990.50"), 2026)


def test_messages_are_frozen():
    message = messages.parse_message(incoming())
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(message, "amount", Decimal("1"))


def test_amount_sent_as_a_json_number_is_refused():
    with pytest.raises(errors.MalformedResponse, match="amount"):
        messages.parse_message(incoming(amount=1250.0))


def test_amount_with_three_decimals_is_refused():
    with pytest.raises(errors.MalformedResponse, match="amount"):
        messages.parse_message(incoming(amount="12.345"))


def test_missing_field_is_named_in_the_error():
    data = incoming()
    del data["payload"]["archive_reference"]
    with pytest.raises(errors.MalformedResponse, match=r"payload\.archive_reference: missing"):
        messages.parse_message(data)


def test_malformed_date_is_refused():
    with pytest.raises(errors.MalformedResponse, match="date"):
        messages.parse_message(incoming(date="23.11.2026"))


def test_unknown_autopay_status_is_refused():
    with pytest.raises(errors.MalformedResponse, match="autopay_status"):
        messages.parse_message(line_status(autopay_status="lost"))


def test_erp_status_that_contradicts_the_mapping_is_refused():
    with pytest.raises(errors.MalformedResponse, match="erp_status"):
        messages.parse_message(line_status(autopay_status="paid", erp_status=7))


def test_unknown_message_type_is_refused():
    data = incoming() | {"type": "greeting"}
    with pytest.raises(errors.MalformedResponse, match="unknown message type"):
        messages.parse_message(data)


def test_malformed_message_error_is_not_retryable():
    with pytest.raises(errors.MalformedResponse) as raised:
        messages.parse_message({"type": "line_status"})
    assert raised.value.retryable is False


def test_page_keeps_the_order_and_the_cursor():
    page = messages.parse_message_page(
        {"messages": [line_status(), incoming(), approval_token()], "next_after": 44}
    )
    assert ([m.seq for m in page.messages], page.next_after) == ([42, 43, 44], 44)


def test_empty_page_keeps_the_cursor_it_was_asked_for():
    assert messages.parse_message_page({"messages": [], "next_after": 9}) == messages.MessagePage((), 9)


def test_page_out_of_order_is_refused():
    with pytest.raises(errors.MalformedResponse, match="seq"):
        messages.parse_message_page({"messages": [incoming(), line_status()], "next_after": 42})


def test_page_whose_cursor_is_not_the_last_seq_is_refused():
    with pytest.raises(errors.MalformedResponse, match="next_after"):
        messages.parse_message_page({"messages": [line_status()], "next_after": 41})


def test_activation_key_is_decoded_and_not_shown_in_repr():
    activation = messages.parse_activation(
        {
            "key_id": "988077917",
            "signing_key": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
            "activated_at": "2026-11-22T00:00:00Z",
        }
    )
    assert (activation.signing_key, "signing_key" in repr(activation)) == (bytes(range(32)), False)


def test_activation_with_a_short_key_is_refused():
    with pytest.raises(errors.MalformedResponse, match="32 bytes"):
        messages.parse_activation(
            {"key_id": "988077917", "signing_key": "AAEC", "activated_at": "2026-11-22T00:00:00Z"}
        )


def _without(field):
    data = line_status()
    del data["payload"][field]
    return data


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (line_status(amount_paid=1250.0), "amount_paid"),
        (line_status(amount_paid="12.345"), "amount_paid"),
        (line_status(autopay_status="lost"), "autopay_status"),
        (line_status(erp_status=7), "erp_status"),
        (line_status(erp_status=True), "erp_status"),
        (line_status(currency="nok"), "currency"),
        (line_status(value_date="23.11.2026"), "value_date"),
        (line_status(bank_reference=1), "bank_reference"),
        (line_status(payment_reference=""), "payment_reference"),
        (line_status(reason=None), "reason"),
        (_without("end_to_end_id"), "end_to_end_id"),
        (line_status() | {"created_at": "2026-11-23T08:00:00"}, "created_at"),
        (line_status() | {"seq": "42"}, "seq"),
        (line_status() | {"id": "not-a-uuid"}, "id"),
        (line_status() | {"payload": []}, "payload"),
    ],
)
def test_a_page_refuses_a_malformed_line_status_naming_its_field(data, named):
    # A page parses well-formed line_status messages on a faster path; it must refuse what parse_message does.
    with pytest.raises(errors.MalformedResponse, match=rf"page\.messages\[0\].*{named}"):
        messages.parse_message_page({"messages": [data], "next_after": 42})


@pytest.mark.parametrize(
    "data",
    [line_status(), line_status(amount_paid=None, value_date=None, bank_reference=None, autopay_status="new",
                                erp_status=2)],
)  # fmt: skip
def test_a_page_parses_a_line_status_as_parse_message_does(data):
    page = messages.parse_message_page({"messages": [data], "next_after": 42})
    assert page.messages == (messages.parse_message(data),)
