"""The duplicate-payment guard: flags on lines that stop an upload until an approver overrides each of them.

A line is flagged as a possible duplicate when another line to the same supplier with the same amount and the
same KID or invoice number was proposed in the last 90 days and was not rejected or cancelled; and when the
supplier's bank account changed in the last 14 days.
"""

import datetime
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from company import audit as company_audit
from company import models as company_models
from ledger import selectors as ledger_selectors
from payments import errors, models

DUPLICATE_WINDOW = datetime.timedelta(days=90)
BANK_ACCOUNT_WINDOW = datetime.timedelta(days=14)
_NOT_DUPLICATES = [models.LineStatus.REJECTED, models.LineStatus.CANCELLED]


def lines_flag(
    *, company: company_models.Company, lines: Sequence[models.PaymentLine], now: datetime.datetime
) -> list[models.PaymentLineFlag]:
    """Set the guard's flags on the lines (of `company`, just made) and return them.

    One query reads the supplier's recent lines, one the suppliers whose account changed.
    """
    if not lines:
        return []
    supplier_ids = {line.supplier_id for line in lines}
    recent = (
        models.PaymentLine.objects.filter(
            company=company, supplier_id__in=supplier_ids, payment__created_at__gte=now - DUPLICATE_WINDOW
        )
        .exclude(status__in=_NOT_DUPLICATES)
        .values_list("pk", "supplier_id", "amount", "kid", "open_item__invoice_no")
    )
    by_reference: dict[tuple[int, Any, str, str], list[int]] = {}
    for pk, supplier_id, amount, kid, invoice_no in recent:
        if kid:
            by_reference.setdefault((supplier_id, amount, "kid", kid), []).append(pk)
        if invoice_no:
            by_reference.setdefault((supplier_id, amount, "invoice", invoice_no), []).append(pk)
    changed = set(
        ledger_selectors.suppliers_bank_account_changed_since(
            company=company, since=now - BANK_ACCOUNT_WINDOW
        ).values_list("pk", flat=True)
    )
    invoice_numbers = dict(
        models.PaymentLine.objects.filter(pk__in=[line.pk for line in lines]).values_list(
            "pk", "open_item__invoice_no"
        )
    )
    flags: list[models.PaymentLineFlag] = []
    for line in lines:
        keys = []
        if line.kid:
            keys.append((line.supplier_id, line.amount, "kid", line.kid))
        if invoice_numbers.get(line.pk):
            keys.append((line.supplier_id, line.amount, "invoice", invoice_numbers[line.pk]))
        others = sorted({pk for key in keys for pk in by_reference.get(key, []) if pk != line.pk})
        if others:
            flags.append(
                models.PaymentLineFlag(
                    line=line,
                    company=company,
                    kind=models.FlagKind.DUPLICATE,
                    detail=gettext(
                        "Another line to the same supplier with the same amount and reference: line {line}."
                    ).format(line=others[0]),
                    other_line_id=others[0],
                    created_at=now,
                )
            )
        if line.supplier_id in changed:
            flags.append(
                models.PaymentLineFlag(
                    line=line,
                    company=company,
                    kind=models.FlagKind.BANK_ACCOUNT_CHANGED,
                    detail=gettext("The supplier's bank account changed in the last 14 days."),
                    created_at=now,
                )
            )
    return models.PaymentLineFlag.objects.bulk_create(flags)


def user_is_approver(*, user: Any, company: company_models.Company) -> bool:
    """Whether the user has the approver role in the company."""
    return bool(
        getattr(user, "is_authenticated", False)
        and company_models.Membership.objects.filter(
            user_id=user.pk, company=company, role=company_models.Role.APPROVER
        ).exists()
    )


def payment_line_flag_override(
    *, flag: models.PaymentLineFlag, actor: Any, reason: str, now: datetime.datetime, ip: str = ""
) -> models.PaymentLineFlag:
    """Override a flag with a reason, as an approver of the flag's company; write the event.

    :raises errors.NotApprover: the actor is not an approver of the company.
    :raises errors.InvalidEdit: the reason is blank.
    :raises errors.FlagNotOpen: the flag was already overridden.
    :raises errors.PaymentNotProposal: the payment is no longer a proposal.
    """
    reason = reason.strip()
    if not user_is_approver(user=actor, company=flag.company):
        raise errors.NotApprover(gettext("Only an approver of the company may override a flag."))
    if not reason:
        raise errors.InvalidEdit(gettext("An override needs a reason."))
    with transaction.atomic():
        payment = models.Payment.objects.select_for_update().get(pk=flag.line.payment_id)
        locked = models.PaymentLineFlag.objects.select_for_update().get(pk=flag.pk)
        if not payment.can_change():
            raise errors.PaymentNotProposal(
                gettext("Payment {number} is not a proposal: its flags cannot change.").format(
                    number=payment.number
                )
            )
        if not locked.is_open():
            raise errors.FlagNotOpen(gettext("The flag was already overridden."))
        locked.overridden_at = now
        locked.overridden_by = actor
        locked.override_reason = reason[:500]
        locked.save(update_fields=["overridden_at", "overridden_by", "override_reason"])
        models.PaymentEvent.objects.create(
            payment=payment,
            line_id=locked.line_id,
            company_id=payment.company_id,
            kind=models.PaymentEventKind.FLAG_OVERRIDDEN,
            at=now,
            actor=actor,
            details={"flag": locked.pk, "kind": locked.kind, "reason": locked.override_reason},
        )
        company_audit.audit_event_record(
            event=company_models.AuditEventKind.PAYMENT_FLAG_OVERRIDDEN,
            user=actor,
            company=payment.company,
            ip=ip,
            details={"payment": payment.number, "flag": locked.kind, "reason": locked.override_reason},
            now=now,
        )
        return locked
