"""Uploads of payments from the ERP, cancellation, and the amendments allowed before the first approval."""

import datetime
import hashlib
import uuid
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import formats, timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from autopay_sim import models, pain001
from autopay_sim.services import access, transitions
from autopay_sim.services.errors import AmendRefused, DocumentInvalid, PaymentConflict

CENT = Decimal("0.01")


def payment_upload(
    *, company: models.SimCompany, document: bytes, now: datetime.datetime
) -> tuple[models.Payment, bool]:
    """Store one uploaded pain.001 payment; return it and whether it was created now.

    The same PmtInfId with the same document returns the stored payment and creates nothing.

    :raises DocumentInvalid: the document breaks the XSD or a rule (every error listed); nothing is stored.
    :raises PaymentConflict: the PmtInfId was used before with another document.
    """
    try:
        parsed = pain001.parse(document)
    except pain001.DocumentInvalid as exc:
        raise DocumentInvalid(exc.errors) from exc
    digest = hashlib.sha256(document).hexdigest()
    with transaction.atomic():
        # Uploads of one company are serialised on its row: a concurrent repeat waits, then finds the first.
        company = models.SimCompany.objects.select_for_update().get(pk=company.pk)
        existing = models.Payment.objects.filter(company=company, payment_id=parsed.payment_id).first()
        if existing is not None:
            if existing.document_sha256 != digest:
                raise PaymentConflict(
                    f"PmtInfId {parsed.payment_id} was uploaded before with another document"
                )
            return existing, False
        errors = []
        if parsed.initiating_org_no != company.org_no:
            errors.append(
                f"InitgPty org no {parsed.initiating_org_no!r} is not the signer's {company.org_no}"
            )
        agreement = models.BankAgreement.objects.filter(
            company=company, debtor_account=parsed.debtor_account
        ).first()
        if agreement is None:
            errors.append(f"DbtrAcct {parsed.debtor_account} has no bank agreement for {company.org_no}")
        if errors:
            raise DocumentInvalid(errors)
        assert agreement is not None
        payment = models.Payment.objects.create(
            company=company,
            agreement=agreement,
            reference=f"tmp-{uuid.uuid4().hex[:16]}",
            payment_id=parsed.payment_id,
            message_id=parsed.message_id,
            document_sha256=digest,
            document=document,
            requested_date=parsed.requested_date,
            currency=parsed.lines[0].currency,
            uploaded_at=now,
        )
        payment.reference = f"AP-{payment.pk:06d}"
        payment.save(update_fields=["reference"])
        models.PaymentLine.objects.bulk_create(
            models.PaymentLine(
                payment=payment,
                end_to_end_id=line.end_to_end_id,
                amount=line.amount,
                currency=line.currency,
                creditor_name=line.creditor_name,
                creditor_account=line.creditor_account,
                kid=line.kid,
                message=line.message,
            )
            for line in parsed.lines
        )
        models.PaymentEvent.objects.create(
            payment=payment,
            kind="uploaded",
            to_status=payment.status,
            actor="erp",
            at=now,
            details=parsed.message_id,
        )
        return payment, True


def payment_cancel(
    *,
    payment_id: int,
    actor: str,
    now: datetime.datetime,
    reason: str = models.REASON_CANCELLED,
    user: AbstractBaseUser | None = None,
) -> models.Payment:
    """Cancel a payment that the bank does not have yet, and its lines.

    `user` is the person cancelling in the web UI, who must be an AutoPay Approver; the ERP cancels
    without one.

    :raises RoleMissing: the user is not an AutoPay Approver of the payment's company.
    :raises PaymentConflict: the payment has reached the bank or is already cancelled.
    """
    with transaction.atomic():
        payment = models.Payment.objects.select_for_update().select_related("company").get(pk=payment_id)
        if user is not None:
            access.require_role(user=user, company=payment.company, role=models.SimRole.APPROVER)
        if not payment.can_cancel():
            raise PaymentConflict(
                f"{payment.reference} is {payment.get_status_display()}: it cannot be cancelled"
            )
        batch = transitions.Batch(actor=actor, now=now)
        batch.payment_to(
            payment,
            models.AutoPayStatus.CANCELLED,
            lines=transitions.lines_of([payment.pk]).get(payment.pk, []),
            reason=reason,
            lines_from=models.BEFORE_BANK,
            at_field="cancelled_at",
        )
        batch.write()
        return payment


def payment_line_amount_reduce(
    *, line_id: int, amount: Decimal, user: AbstractBaseUser, now: datetime.datetime
) -> models.PaymentLine:
    """Lower the amount of a line of a payment no approver has signed yet, recording the change as an event.

    :raises RoleMissing: the user is not an AutoPay Approver of the payment's company.
    :raises AmendRefused: the payment has an approval or is further on, the amount has more than 2 decimals,
        or it is not in (0, current).
    """
    with transaction.atomic():
        payment_pk = models.PaymentLine.objects.values_list("payment_id", flat=True).get(pk=line_id)
        payment = models.Payment.objects.select_for_update().select_related("company").get(pk=payment_pk)
        line = models.PaymentLine.objects.select_for_update().get(pk=line_id)
        access.require_role(user=user, company=payment.company, role=models.SimRole.APPROVER)
        if not payment.can_amend():
            raise AmendRefused(
                format_lazy(
                    _("{reference} is {status}: it cannot be changed"),
                    reference=payment.reference,
                    status=_(payment.get_status_display()),
                )
            )
        if not amount.is_finite() or amount != amount.quantize(CENT):
            raise AmendRefused(
                format_lazy(_("the new amount {amount} has more than 2 decimals"), amount=amount)
            )
        if not (Decimal(0) < amount < line.amount):
            raise AmendRefused(
                format_lazy(
                    _("the new amount must be greater than 0 and less than {amount}"),
                    amount=formats.number_format(line.amount, 2, force_grouping=True),
                )
            )
        old = line.amount
        line.amount = amount
        line.save(update_fields=["amount"])
        models.PaymentEvent.objects.create(
            payment=payment, line=line, kind="amount_reduced", actor=user.get_username(), at=now,
            details=f"{line.end_to_end_id}: {old} → {amount}",
        )  # fmt: skip
        return line


def payment_date_change(
    *, payment_id: int, requested_date: datetime.date, user: AbstractBaseUser, now: datetime.datetime
) -> models.Payment:
    """Move the requested execution date of a payment no approver has signed yet, recording it as an event.

    :raises RoleMissing: the user is not an AutoPay Approver of the payment's company.
    :raises AmendRefused: the payment has an approval or is further on, or the date is before today (local).
    """
    with transaction.atomic():
        payment = models.Payment.objects.select_for_update().select_related("company").get(pk=payment_id)
        access.require_role(user=user, company=payment.company, role=models.SimRole.APPROVER)
        if not payment.can_amend():
            raise AmendRefused(
                format_lazy(
                    _("{reference} is {status}: it cannot be changed"),
                    reference=payment.reference,
                    status=_(payment.get_status_display()),
                )
            )
        if requested_date < timezone.localdate(now):
            raise AmendRefused("the date cannot be in the past")
        old = payment.requested_date
        payment.requested_date = requested_date
        payment.save(update_fields=["requested_date"])
        models.PaymentEvent.objects.create(
            payment=payment, kind="date_changed", actor=user.get_username(), at=now,
            details=f"{old.isoformat()} → {requested_date.isoformat()}",
        )  # fmt: skip
        return payment
