"""The tolerant page parser: a malformed message is set apart, the page itself is still checked strictly."""

import uuid

import pytest

from autopay_client import errors, messages
from tests.autopay_client.test_messages import MESSAGE_ID, approval_token, incoming, line_status


def page_of(*entries, next_after):
    return messages.parse_message_page_tolerant({"messages": list(entries), "next_after": next_after})


def test_well_formed_messages_parse_as_the_strict_parser_parses_them():
    strict = messages.parse_message_page(
        {"messages": [line_status(), incoming(), approval_token()], "next_after": 44}
    )
    assert page_of(line_status(), incoming(), approval_token(), next_after=44).messages == strict.messages


def test_a_malformed_message_is_returned_apart_with_its_id_and_seq():
    page = page_of(line_status(amount_paid=12.5), incoming(), next_after=43)
    malformed = page.malformed[0]
    assert (len(page.messages), malformed.id, malformed.seq, malformed.type) == (
        1,
        uuid.UUID(MESSAGE_ID),
        42,
        "line_status",
    )


def test_a_malformed_message_says_what_is_wrong():
    page = page_of(line_status(amount_paid=12.5), next_after=42)
    assert "amount_paid" in page.malformed[0].reason


def test_an_entry_without_id_or_seq_is_kept_as_malformed():
    page = page_of({"type": "line_status"}, next_after=7)
    assert (page.malformed[0].id, page.malformed[0].seq, page.next_after) == (None, None, 7)


def test_a_page_out_of_order_is_still_refused():
    with pytest.raises(errors.MalformedResponse, match="seq"):
        page_of(incoming(), line_status(amount_paid=1), next_after=43)


def test_a_cursor_before_the_last_seq_is_still_refused():
    with pytest.raises(errors.MalformedResponse, match="next_after"):
        page_of(incoming(), next_after=42)
