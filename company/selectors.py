"""Reads of the company app. Writes live in company.services."""

from django.db.models import QuerySet
from django.views.decorators.debug import sensitive_variables

from company import crypto, models


class CompanyNotActivated(Exception):
    """The company has no AutoPay signing key stored."""


@sensitive_variables()
def company_signing_key(*, company: models.Company) -> bytes:
    """Return the company's AutoPay signing key, decrypted.

    The key must never be logged, displayed or returned from an interface: it is for signing only.

    :raises CompanyNotActivated: when AutoPay is not activated for the company.
    :raises company.crypto.DecryptionError: when no configured key decrypts the stored value.
    """
    if not company.is_autopay_activated():
        raise CompanyNotActivated(f"AutoPay is not activated for {company}: no signing key is stored.")
    return crypto.decrypt(company.ap_sig_key_ciphertext)


def companies_autopay_activated() -> QuerySet[models.Company]:
    """Return the companies that hold an AutoPay signing key."""
    return models.Company.objects.filter(autopay_activated_at__isnull=False).exclude(ap_sig_key_ciphertext="")
