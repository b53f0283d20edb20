"""Signing payments as AutoPay Approvers, and the Approval side's "Approve and pay" token."""

import datetime
import secrets
from collections.abc import Sequence
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from autopay_sim import models
from autopay_sim.services import access, inserts, messages, transitions
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

    The rules are those of `payments_approve`, for one payment.

    :raises RoleMissing: not an AutoPay Approver of the company.
    :raises ApprovalRefused: already signed by this user, a missing or wrong one-time code, or a payment that
        is not awaiting approval.
    """
    return payments_approve(
        payment_ids=[payment_id], user=user, now=now, otp_code=otp_code, session_verified=session_verified
    )[0]


def payments_approve(
    *,
    payment_ids: Sequence[int],
    user: AbstractBaseUser,
    now: datetime.datetime,
    otp_code: str = "",
    session_verified: bool = False,
) -> list[models.Payment]:
    """Sign payments as one approver, all of them or none; return them in id order.

    Each becomes Approved once as many distinct approvers as its agreement asks have signed, else Pending
    signing. The user must be an AutoPay Approver of each payment's company and must not have signed it
    before. A company with two-factor required only lets users with a confirmed TOTP device approve. The
    agreement's two-factor level decides what else is asked:

    - `approval`: a valid TOTP code with this approval (one code signs the whole set, as one act);
    - `login`: a session logged in with a TOTP code (`session_verified`), or a valid code with this approval;
      a user without a device, in a company that does not require two-factor, approves on the password login;
    - `none`: nothing more.

    :raises RoleMissing: not an AutoPay Approver of a payment's company.
    :raises ApprovalRefused: a payment that does not exist or is not awaiting approval, one already signed by
        this user, or a missing or wrong one-time code. Nothing is signed then.
    """
    with transaction.atomic():
        payments = list(
            models.Payment.objects.select_for_update(of=("self",))
            .select_related("agreement", "company")
            .filter(pk__in=payment_ids)
            .order_by("pk")
        )
        if len(payments) != len(set(payment_ids)):
            raise ApprovalRefused(_("no such payment"))
        for payment in payments:
            if not payment.can_approve():
                raise ApprovalRefused(
                    format_lazy(
                        _("{reference} is {status}: nothing to approve"),
                        reference=payment.reference,
                        status=_(payment.get_status_display()),
                    )
                )
        companies = {payment.company_id: payment.company for payment in payments}
        for company in companies.values():
            access.require_role(user=user, company=company, role=models.SimRole.APPROVER)
        signed_before: dict[int, int] = dict(
            models.Approval.objects.filter(payment__in=payments)
            .values("payment_id")
            .annotate(count=Count("id"))
            .values_list("payment_id", "count")
        )
        mine = set(
            models.Approval.objects.filter(payment__in=payments, user_id=user.pk).values_list(
                "payment_id", flat=True
            )
        )
        for payment in payments:
            if payment.pk in mine:
                raise ApprovalRefused(
                    format_lazy(
                        _("{user} has already approved {reference}; another approver must sign"),
                        user=user,
                        reference=payment.reference,
                    )
                )
        has_device = TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()
        for company in companies.values():
            if company.two_factor_required and not has_device:
                raise ApprovalRefused(
                    format_lazy(
                        _("{company} requires two-factor authentication: {user} has no device"),
                        company=company,
                        user=user,
                    )
                )
        levels = {payment.agreement.two_factor_level for payment in payments}
        code_verified = False
        if models.TwoFactorLevel.APPROVAL in levels:
            if access.totp_device_verify(user=user, code=otp_code) is None:
                raise ApprovalRefused(_("a valid one-time code is required to approve"))
            code_verified = True
        # A user without a device (allowed only where two-factor is not required) logged in with a password.
        if models.TwoFactorLevel.LOGIN in levels and has_device and not (session_verified or code_verified):
            if access.totp_device_verify(user=user, code=otp_code) is None:
                raise ApprovalRefused(_("log in with a one-time code to approve"))
            code_verified = True
        username = user.get_username()
        batch = transitions.Batch(actor=username, now=now)
        lines = transitions.lines_of([payment.pk for payment in payments])
        approvals = []
        for payment in payments:
            with_two_factor = payment.agreement.two_factor_level != models.TwoFactorLevel.NONE and (
                code_verified or session_verified
            )
            approvals.append((payment.pk, user.pk, now, with_two_factor))
            batch.event(
                payment=payment,
                kind="approval",
                details=models.DETAILS_WITH_TWO_FACTOR if with_two_factor else "",
            )
            signed = signed_before.get(payment.pk, 0) + 1
            required = payment.agreement.approvers_required
            reason = models.approvers_detail(signed=signed, required=required)
            payment_lines = lines.get(payment.pk, [])
            if signed >= required:
                batch.payment_to(
                    payment, models.AutoPayStatus.APPROVED, lines=payment_lines, reason=reason,
                    lines_from=models.AWAITING_APPROVAL, at_field="approved_at",
                )  # fmt: skip
            elif payment.status != models.AutoPayStatus.PENDING_SIGNING:
                batch.payment_to(
                    payment, models.AutoPayStatus.PENDING_SIGNING, lines=payment_lines, reason=reason
                )
        inserts.rows_insert(
            model=models.Approval, columns=("payment_id", "user_id", "at", "with_two_factor"), rows=approvals
        )
        batch.write()
        return payments


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
            raise ApprovalRefused(format_lazy(_("{company} does not allow pre-approval"), company=company))
        access.require_role(user=user, company=company, role=models.SimRole.INVOICE_APPROVER)
        if access.totp_device_verify(user=user, code=otp_code) is None:
            raise ApprovalRefused(_("a valid one-time code is required to approve and pay"))
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
