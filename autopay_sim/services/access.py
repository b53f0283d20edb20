"""Who may do what: roles in a company and TOTP devices."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from autopay_sim import models
from autopay_sim.services import errors


def require_role(*, user: AbstractBaseUser, company: models.SimCompany, role: models.SimRole) -> None:
    """:raises RoleMissing: the user does not have `role` in `company`."""
    if not models.SimMembership.objects.filter(user_id=user.pk, company=company, role=role).exists():
        raise errors.RoleMissing(
            format_lazy(
                _("{user} is not an {role} of {company}"), user=user, role=_(role.label), company=company
            )
        )


def totp_device_verify(*, user: AbstractBaseUser, code: str) -> TOTPDevice | None:
    """Return the user's confirmed TOTP device that accepts this one-time code, or None.

    A device that accepts a code records it, so that the same code is not accepted twice.
    """
    code = code.strip()
    if not code:
        return None
    with transaction.atomic():
        return next(
            (
                device
                for device in TOTPDevice.objects.devices_for_user(user, confirmed=True)
                if device.verify_token(code)
            ),
            None,
        )
