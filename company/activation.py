"""AutoPay activation of a company: ask AutoPay for the signing key with a one-time code, store it encrypted.

The interfaces (admin action, web page, REST endpoint, `manage.py autopay_activate`) each call
`company_autopay_activate` and show its `ActivationError` as it is: the message is written for the person who
typed the code.
"""

import datetime
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils.translation import gettext

from autopay_client import client as autopay_client
from autopay_client import errors as autopay_errors
from company import audit, models, services, twofactor

logger = logging.getLogger(__name__)

ClientFactory = Callable[[str], autopay_client.AutoPayClient]


class ActivationError(Exception):
    """AutoPay was not activated; nothing was stored. `code` names the reason, `retryable` whether trying the
    same code again later may work."""

    def __init__(self, message: str, *, code: str, retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.retryable = retryable


def default_client_factory(org_no: str) -> autopay_client.AutoPayClient:
    """Return a client for a company that has no key yet, at settings.AUTOPAY_BASE_URL."""
    return autopay_client.AutoPayClient(
        settings.AUTOPAY_BASE_URL, org_no, None, timeout=settings.AUTOPAY_TIMEOUT_SECONDS, max_retries=2
    )


def user_may_activate_autopay(*, user: Any, company: models.Company) -> bool:
    """Tell whether the user may activate AutoPay for the company: a superuser or its administrator."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return models.Membership.objects.filter(
        user=user, company=company, role=models.Role.ADMINISTRATOR
    ).exists()


def _translate(exc: autopay_errors.AutoPayError, *, org_no: str) -> ActivationError:
    if isinstance(exc, autopay_errors.ActivationRefused) and exc.code == "activation_code_used":
        return ActivationError(
            gettext("This activation code has already been used. Ask AutoPay for a new one."),
            code="activation_code_used",
        )
    if isinstance(exc, autopay_errors.ActivationRefused):
        return ActivationError(
            gettext(
                "AutoPay does not know this activation code for org no %(org_no)s. "
                "Check the code and try again."
            )
            % {"org_no": org_no},
            code="activation_invalid",
        )
    if isinstance(exc, autopay_errors.TransportError):
        return ActivationError(
            gettext("AutoPay could not be reached. Nothing was activated; try again in a moment."),
            code="autopay_unreachable",
            retryable=True,
        )
    if isinstance(exc, autopay_errors.ResponseSignatureError | autopay_errors.MalformedResponse):
        return ActivationError(
            gettext(
                "AutoPay's answer could not be trusted (bad signature or content), so no key was stored. "
                "The code may be spent: ask AutoPay for a new one."
            ),
            code="activation_response_untrusted",
        )
    return ActivationError(
        gettext("AutoPay refused the activation: %(reason)s.") % {"reason": exc.detail or exc.code},
        code=exc.code or "activation_failed",
        retryable=exc.retryable,
    )


def company_autopay_activate(
    *,
    company: models.Company,
    activation_code: str,
    now: datetime.datetime,
    client_factory: ClientFactory = default_client_factory,
    user: Any = None,
    otp: str | None = None,
    ip: str = "",
    server_operator: bool = False,
) -> models.Company:
    """Activate AutoPay for the company with the one-time code AutoPay issued, and store the signing key it
    returns, encrypted, with the key id and `now` as the activation time; record it in the audit log as
    done by `user` from `ip`.

    When the company requires two-factor, `otp` must be a fresh code of the user's device (checked, and spent,
    before AutoPay is asked). `server_operator` (the management command run without a user) skips it: whoever
    runs commands on the server already holds its encryption keys; the audit row says so.

    A company already activated gets the new key in place of the old one.

    :raises ActivationError: when the code is empty, AutoPay refuses it or cannot be reached, its answer
        cannot be trusted, or the key cannot be stored; nothing is stored then.
    :raises company.twofactor.TwoFactorError: (CodeRequired, CodeInvalid, DeviceMissing) when the company
        requires two-factor and no valid fresh code was given; AutoPay is not asked then.
    """
    code = activation_code.strip()
    if not code:
        raise ActivationError(
            gettext("Enter the activation code AutoPay gave you."), code="activation_code_missing"
        )
    if not server_operator:
        twofactor.otp_fresh_verify(user=user, company=company, code=otp, ip=ip)
    try:
        with client_factory(company.org_no) as client:
            activation = client.activate(code)
    except autopay_errors.AutoPayError as exc:
        logger.warning("AutoPay activation for %s failed: %s", company.org_no, exc.code or type(exc).__name__)
        raise _translate(exc, org_no=company.org_no) from exc
    try:
        with transaction.atomic():
            company = services.company_signing_key_set(
                company=company, signing_key=activation.signing_key, key_id=activation.key_id, now=now
            )
            audit.audit_event_record(
                event=models.AuditEventKind.AUTOPAY_ACTIVATED,
                user=user,
                company=company,
                ip=ip,
                details={
                    "key_id": activation.key_id,
                    "with_two_factor": bool(company.two_factor_required) and not server_operator,
                    "by": "server operator" if server_operator else "user",
                },
                now=now,
            )
    except ImproperlyConfigured as exc:
        logger.error("AutoPay signing key for %s could not be stored: %s", company.org_no, type(exc).__name__)
        raise ActivationError(
            gettext(
                "AutoPay issued a key, but it could not be stored (no encryption key is configured). "
                "The code is spent: ask AutoPay for a new one once the server is configured."
            ),
            code="key_not_stored",
        ) from exc
    logger.info("AutoPay activated for %s (key id %s)", company.org_no, activation.key_id)
    return company
