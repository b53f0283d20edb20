from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.no import orgnr

from autopay_client import norwegian


def validate_org_no(value: str) -> None:
    """Accept a valid Norwegian organisation number, digits only.

    :raises ValidationError: when it is not 9 digits with a valid MOD11 check digit.
    """
    if not (value.isascii() and value.isdigit()):
        raise ValidationError(_("Organisation number must be digits only."), code="org_no_digits")
    try:
        orgnr.validate(value)
    except StdnumValidationError as exc:
        raise ValidationError(
            _("Not a valid organisation number (nine digits with a MOD11 check digit)."),
            code="org_no_invalid",
        ) from exc


def validate_bank_account(value: str) -> None:
    """Accept a Norwegian 11-digit account number with a valid MOD11 check digit, or a valid IBAN.

    :raises ValidationError: otherwise.
    """
    if problem := norwegian.account_problem(value):
        raise ValidationError(problem[0].upper() + problem[1:], code="bank_account_invalid")


# Account numbers, organisation numbers and MOD11 KIDs share this rule; one definition for the ERP.
mod11_check_digit = norwegian.mod11_check_digit
