from django.core.exceptions import ValidationError
from stdnum import iban
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.no import kontonr, orgnr


def validate_org_no(value: str) -> None:
    """Accept a valid Norwegian organisation number, digits only.

    :raises ValidationError: when it is not 9 digits with a valid MOD11 check digit.
    """
    if not value.isdigit():
        raise ValidationError("Organisation number must be digits only.", code="org_no_digits")
    try:
        orgnr.validate(value)
    except StdnumValidationError as exc:
        raise ValidationError(f"Invalid organisation number: {exc}", code="org_no_invalid") from exc


def validate_bank_account(value: str) -> None:
    """Accept a Norwegian 11-digit account number with a valid MOD11 check digit, or a valid IBAN.

    :raises ValidationError: otherwise.
    """
    try:
        if value.isdigit():
            kontonr.validate(value)
        else:
            iban.validate(value)
    except StdnumValidationError as exc:
        raise ValidationError(f"Invalid bank account {value!r}: {exc}", code="bank_account_invalid") from exc


def normalize_digits(value: str) -> str:
    """Strip the spaces and dots people write in account and organisation numbers."""
    return "".join(ch for ch in value if not ch.isspace() and ch not in ".-")


def mod11_check_digit(digits: str) -> str | None:
    """Return the MOD11 check digit for `digits` (weights 2, 3, 4, 5, 6, 7 repeating from the right).

    The same rule checks Norwegian account numbers, organisation numbers and MOD11 KIDs. Return None when the
    remainder gives 10: such a number has no valid check digit (KIDs may use "-" there; we never issue one).
    python-stdnum has no KID module, and its kontonr/orgnr keep their check-digit calculation private.
    """
    total = sum(int(ch) * (2 + i % 6) for i, ch in enumerate(reversed(digits)))
    check = (11 - total % 11) % 11
    return None if check == 10 else str(check)
