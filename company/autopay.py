"""The one way into AutoPay for a company: a signed client built from the company's stored key.

No other module reads or decrypts the signing key (ARCHITECTURE.md, "Reaching AutoPay"): the apps ask for a
client here and never see the key.
"""

import httpx
from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from autopay_client import client as autopay_client
from company import models, selectors


@sensitive_variables("key")
def autopay_client_for(
    *,
    company: models.Company,
    max_retries: int = 3,
    timeout: float | None = None,
    transport: httpx.BaseTransport | None = None,
) -> autopay_client.AutoPayClient:
    """Return a signed AutoPay client for the company, at settings.AUTOPAY_BASE_URL.

    The caller closes it (it is a context manager).

    :raises company.selectors.CompanyNotActivated: when AutoPay is not activated for the company.
    :raises company.crypto.DecryptionError: when no configured key decrypts the stored value.
    """
    key = selectors.company_signing_key(company=company)
    return autopay_client.AutoPayClient(
        settings.AUTOPAY_BASE_URL,
        company.org_no,
        key,
        timeout=settings.AUTOPAY_TIMEOUT_SECONDS if timeout is None else timeout,
        max_retries=max_retries,
        transport=transport,
    )
