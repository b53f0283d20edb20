"""Signing payments as AutoPay Approvers, and the Approval side's "Approve and pay" token."""

import datetime
import secrets
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from autopay_sim import models
from autopay_sim.services import access, messages, transitions
from autopay_sim.services.errors import ApprovalRefused


def payment_approve(
    *,
    payment_id: int,
    user: AbstractBaseUser,
    now: datetime.datetime,
    otp_code: str = "",
    session_verified: bool = False,
) -> models.Payment:
    """Sign a payment as one approver: Approved once enough distinct approvers signed, else Pending signing.

    The agreement's two-factor level decides what is asked: a TOTP code at each approval ("approval"), or a
    session logged in with a TOTP code ("login"). A company with two-factor required only lets users with a
    confirmed TOTP device approve.

    :raises RoleMissing: not an AutoPay Approver of the company.
    :raises ApprovalRefused: already signed by this user, a missing or wrong one-time code, or a payment that
        is not awaiting approval.
    """
    with transaction.atomic():
        payment = (
            models.Payment.objects.select_for_update()
            .select_related("agreement", "company")
            .get(pk=payment_id)
        )
        if not payment.can_approve():
            raise ApprovalRefused(
                f"{payment.reference} is {payment.get_status_display()}: nothing to approve"
            )
        access.require_role(user=user, company=payment.company, role=models.SimRole.APPROVER)
        if payment.approvals.filter(user_id=user.pk).exists():
            raise ApprovalRefused(
                f"{user} has already approved {payment.reference}; another approver must sign"
            )
        has_device = TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()
        if payment.company.two_factor_required and not has_device:
            raise ApprovalRefused(
                f"{payment.company} requires two-factor authentication: {user} has no device"
            )
        level = payment.agreement.two_factor_level
        with_two_factor = False
        if level == models.TwoFactorLevel.APPROVAL:
            if access.totp_device_verify(user=user, code=otp_code) is None:
                raise ApprovalRefused("a valid one-time code is required to approve")
            with_two_factor = True
        elif level == models.TwoFactorLevel.LOGIN:
            if not session_verified:
                raise ApprovalRefused("log in with a one-time code to approve")
            with_two_factor = True
        models.Approval.objects.create(
            payment=payment, user_id=user.pk, at=now, with_two_factor=with_two_factor
        )
        models.PaymentEvent.objects.create(
            payment=payment,
            kind="approval",
            actor=user.get_username(),
            at=now,
            details="with two-factor" if with_two_factor else "",
        )
        signed = payment.approvals.count()
        if signed >= payment.agreement.approvers_required:
            return transitions.payment_transition(
                payment=payment, to=models.AutoPayStatus.APPROVED, actor=user.get_username(), now=now,
                lines_from=models.AWAITING_APPROVAL, at_field="approved_at",
                reason=f"{signed} of {payment.agreement.approvers_required} approvers",
            )  # fmt: skip
        if payment.status != models.AutoPayStatus.PENDING_SIGNING:
            return transitions.payment_transition(
                payment=payment, to=models.AutoPayStatus.PENDING_SIGNING, actor=user.get_username(), now=now,
                reason=f"{signed} of {payment.agreement.approvers_required} approvers",
            )  # fmt: skip
        return payment


def approval_token_issue(
    *,
    company_id: int,
    user: AbstractBaseUser,
    invoice_no: str,
    supplier_account: str,
    amount: Decimal,
    currency: str,
    otp_code: str,
    now: datetime.datetime,
) -> models.Message:
    """Approve and pay an invoice on the Approval side: check the TOTP code, emit an approval token.

    :raises RoleMissing: the user is not an Invoice Approver of the company.
    :raises ApprovalRefused: the company does not allow pre-approval, or the one-time code is wrong.
    """
    with transaction.atomic():
        company = models.SimCompany.objects.select_for_update().get(pk=company_id)
        if not company.allow_pre_approval:
            raise ApprovalRefused(f"{company} does not allow pre-approval")
        access.require_role(user=user, company=company, role=models.SimRole.INVOICE_APPROVER)
        if access.totp_device_verify(user=user, code=otp_code) is None:
            raise ApprovalRefused("a valid one-time code is required to approve and pay")
        payload = {
            "token": secrets.token_urlsafe(24),
            "invoice_no": invoice_no,
            "supplier_account": supplier_account,
            "amount": str(amount),
            "currency": currency,
            "approved_by": user.get_username(),
            "approved_at": now.isoformat(),
        }
        return messages.message_emit(
            company_id=company.pk, type=models.MessageType.APPROVAL_TOKEN, payload=payload, now=now
        )
