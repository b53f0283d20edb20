"""Norwegian check-digit rules the ERP applies everywhere: account numbers, MOD11 and KID.

This is the lowest layer, so company, ledger and the payment documents all use these same rules.
"""

from stdnum import iban, luhn
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.no import kontonr

KID_MIN_LENGTH = 2
KID_MAX_LENGTH = 25


def mod11_check_digit(digits: str) -> str | None:
    """Return the MOD11 check digit for `digits` (weights 2, 3, 4, 5, 6, 7 repeating from the right).

    The same rule checks Norwegian account numbers, organisation numbers and MOD11 KIDs. Return None when the
    remainder gives 10: such a number has no digit for a check (a KID writes "-" there).
    python-stdnum has no KID module, and its kontonr/orgnr keep their check-digit calculation private.
    """
    total = sum(int(ch) * (2 + i % 6) for i, ch in enumerate(reversed(digits)))
    check = (11 - total % 11) % 11
    return None if check == 10 else str(check)


def kid_is_valid(kid: str) -> bool:
    """Tell whether `kid` is a Norwegian KID: 2 to 25 digits, the last a MOD10 (Luhn) or MOD11 check digit."""
    if not KID_MIN_LENGTH <= len(kid) <= KID_MAX_LENGTH:
        return False
    body, check = kid[:-1], kid[-1]
    if not body.isdigit() or not (check.isdigit() or check == "-"):
        return False
    if kid.isdigit() and luhn.is_valid(kid):
        return True
    return (mod11_check_digit(body) or "-") == check


def account_problem(account: str) -> str | None:
    """Return why `account` is neither an 11-digit MOD11 account number nor a valid IBAN, or None if it is."""
    try:
        if account.isdigit():
            kontonr.validate(account)
        else:
            iban.validate(account)
    except StdnumValidationError as exc:
        return f"invalid account {account!r}: {exc}"
    return None
