"""Two-factor authentication in the ERP: TOTP devices (django-otp) and the fresh code that sensitive actions
ask for when the company requires it (`Company.two_factor_required`).

A sensitive action (activating AutoPay, uploading payments, overriding a payment flag) calls
`otp_fresh_verify` before it does anything; a code verifies once only (the device remembers the last time step
it accepted), so a code seen over someone's shoulder cannot be replayed. Failed codes slow the device down
(django-otp's throttling).
"""

import base64
import datetime
import io
from typing import Any

import qrcode
import qrcode.image.svg
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from company import audit, models

DEVICE_NAME = "ERP"


class TwoFactorError(Exception):
    """A sensitive action was refused for want of a valid fresh code. `code` names the reason."""

    code = "two_factor"
    message: Any = ""

    def __init__(self, message: Any = None) -> None:
        self.message = message or self.message
        super().__init__(str(self.message))


class CodeRequired(TwoFactorError):
    code = "otp_required"
    message = _(
        "This company requires a fresh two-factor code for this action. Enter the code from your app."
    )


class CodeInvalid(TwoFactorError):
    code = "otp_invalid"
    message = _(
        "The two-factor code is wrong, expired or already used. Wait for the next code and try again."
    )


class DeviceMissing(TwoFactorError):
    code = "otp_device_missing"
    message = _(
        "This company requires two-factor authentication, and you have no confirmed device. "
        "Enrol one under “Two-factor” first."
    )


def confirmed_device(user: Any) -> TOTPDevice | None:
    """Return the user's confirmed TOTP device, if any."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def otp_fresh_verify(*, user: Any, company: models.Company, code: str | None, ip: str = "") -> None:
    """Check the fresh two-factor code a sensitive action of the user on the company needs.

    Nothing to check when the company does not require two-factor. Otherwise the code must verify against the
    user's confirmed device, and it is spent by verifying: the same code is refused the second time. A code
    refused is recorded in the audit log (from `ip`, when the caller knows it).

    :raises CodeRequired: when the company requires it and no code was given.
    :raises DeviceMissing: when the company requires it and the user has no confirmed device.
    :raises CodeInvalid: when the code does not verify (wrong, expired, already used, or too many tries).
    """
    if not company.two_factor_required:
        return
    given = (code or "").strip().replace(" ", "")
    if confirmed_device(user) is None:
        raise DeviceMissing()
    if not given:
        raise CodeRequired()
    with transaction.atomic():
        # Locked so that two requests with the same code cannot both pass before last_t is saved.
        device = (
            TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk").first()
        )
        verified = device is not None and (given.isascii() and given.isdigit()) and device.verify_token(given)
    # Outside the transaction: a failed try must stay counted by django-otp's throttling, and audited.
    if not verified:
        audit.audit_event_record(
            event=models.AuditEventKind.TWO_FACTOR_FAILED,
            user=user,
            company=company,
            ip=ip,
            details={"device_id": device.pk if device is not None else None, "kind": "totp"},
            now=timezone.now(),
        )
        raise CodeInvalid()


def totp_device_enrol_start(*, user: Any) -> TOTPDevice:
    """Return the user's device waiting for confirmation; create one (with a new secret) if there is none."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.filter(user=user, confirmed=False, name=DEVICE_NAME).order_by("pk").first()
        )
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
        return device


def totp_device_confirm(*, user: Any, code: str, ip: str, now: datetime.datetime) -> TOTPDevice:
    """Confirm the user's waiting device with a code from the app, and record the enrolment in the audit log.

    :raises DeviceMissing: when no device waits for confirmation.
    :raises CodeInvalid: when the code does not verify.
    """
    given = (code or "").strip().replace(" ", "")
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False, name=DEVICE_NAME)
            .order_by("pk")
            .first()
        )
        if device is None:
            raise DeviceMissing(_("No device waits for confirmation. Start the enrolment again."))
        verified = (given.isascii() and given.isdigit()) and device.verify_token(given)
        if verified:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            audit.audit_event_record(
                event=models.AuditEventKind.TWO_FACTOR_ENROLLED,
                user=user,
                ip=ip,
                details={"device_id": device.pk, "kind": "totp"},
                now=now,
            )
    if not verified:
        raise CodeInvalid()
    return device


def provisioning_qr_svg(device: TOTPDevice) -> str:
    """Return the device's otpauth:// URL as an SVG QR code (markup, no script), for the enrolment page."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


def device_secret_base32(device: TOTPDevice) -> str:
    """Return the device's secret in base32, for typing into an app that cannot scan the QR code."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")
