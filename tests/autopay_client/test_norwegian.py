"""Check-digit vectors from public Norwegian validators' test suites (KID, account number)."""

import pytest

from autopay_client import norwegian


@pytest.mark.parametrize("kid", ["2345676", "23456767", "0044555258", "01290865"])
def test_kid_with_a_valid_mod10_check_digit_is_valid(kid):
    assert norwegian.kid_is_valid(kid)


@pytest.mark.parametrize("kid", ["0365327", "12345678903", "036536-", "1000005-"])
def test_kid_with_a_valid_mod11_check_digit_is_valid(kid):
    assert norwegian.kid_is_valid(kid)


@pytest.mark.parametrize("kid", ["2345674", "0044555251", "1677036255"])
def test_kid_with_a_wrong_check_digit_is_invalid(kid):
    assert not norwegian.kid_is_valid(kid)


@pytest.mark.parametrize("kid", ["1", "1" * 26, "12a4", "-", "12-3"])
def test_kid_of_wrong_length_or_characters_is_invalid(kid):
    assert not norwegian.kid_is_valid(kid)


def test_mod11_check_digit_of_a_valid_account_number_is_its_last_digit():
    assert norwegian.mod11_check_digit("8601111794") == "7"


def test_mod11_check_digit_is_none_where_the_remainder_gives_ten():
    assert norwegian.mod11_check_digit("036536") is None


@pytest.mark.parametrize("account", ["86011117947", "NO9386011117947"])
def test_valid_account_has_no_problem(account):
    assert norwegian.account_problem(account) is None


@pytest.mark.parametrize("account", ["86011117948", "NO9386011117948"])
def test_account_with_a_wrong_check_digit_has_a_problem(account):
    assert "invalid account" in (norwegian.account_problem(account) or "")
