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
