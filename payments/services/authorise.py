"""The fresh two-factor code that uploading and overriding ask for where a company requires two-factor."""

from collections.abc import Iterable
from typing import Any

from company import models as company_models
from company import twofactor
from payments import errors


def second_factor_check(
    *, user: Any, companies: Iterable[company_models.Company], code: str | None, ip: str = ""
) -> None:
    """Verify the user's fresh code once when any of the companies requires two-factor.

    A code verifies once only, so a selection across companies asks for one code, not one per company. A code
    refused is recorded in the audit log (from `ip`).

    :raises errors.SecondFactorRefused: the user has no device, gave no code, or the code does not verify.
    """
    requiring = [company for company in companies if company.two_factor_required]
    if not requiring:
        return
    try:
        twofactor.otp_fresh_verify(user=user, company=requiring[0], code=code or None, ip=ip)
    except twofactor.TwoFactorError as exc:
        raise errors.SecondFactorRefused(exc.message, code=exc.code) from exc
