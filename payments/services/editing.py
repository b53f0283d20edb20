"""Edits of a proposal (status 1, document not yet stored): remove a line, reduce an amount, change the
payment date, delete the payment. Each locks the payment, checks `can_edit()` and writes an event."""

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext

from ledger import models as ledger_models
from payments import errors, models

CENT = Decimal("0.01")


def _payment_lock(*, payment_id: int) -> models.Payment:
    payment = models.Payment.objects.select_for_update().get(pk=payment_id)
    if not payment.can_edit():
        raise errors.PaymentNotProposal(
            gettext("Payment {number} is not a proposal that can be changed (status {status}).").format(
                number=payment.number, status=payment.status
            )
        )
    return payment


def _total_refresh(*, payment: models.Payment) -> None:
    total = payment.lines.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    payment.total = total
    payment.save(update_fields=["total"])


def _event(*, payment: models.Payment, kind: str, actor: Any, now: datetime.datetime, **details: Any) -> None:
    models.PaymentEvent.objects.create(
        payment=payment,
        company_id=payment.company_id,
        kind=kind,
        at=now,
        actor_id=getattr(actor, "pk", None),
        line_id=details.pop("line_id", None),
        details=details,
    )


def payment_line_remove(*, line: models.PaymentLine, actor: Any, now: datetime.datetime) -> models.Payment:
    """Remove a line from its proposal: its item is free for another proposal.

    :raises errors.PaymentNotProposal: the payment is no longer an editable proposal.
    :raises errors.InvalidEdit: the line is the payment's last (delete the payment instead).
    """
    with transaction.atomic():
        payment = _payment_lock(payment_id=line.payment_id)
        if payment.lines.count() <= 1:
            raise errors.InvalidEdit(gettext("This is the payment's last line: delete the payment instead."))
        removed = models.PaymentLine.objects.get(pk=line.pk, payment=payment)
        details = {
            "removed_line": removed.pk,
            "open_item": removed.open_item_id,
            "supplier": removed.supplier_id,
            "amount": str(removed.amount),
        }
        removed.delete()
        _total_refresh(payment=payment)
        _event(payment=payment, kind=models.PaymentEventKind.LINE_REMOVED, actor=actor, now=now, **details)
        return payment


def payment_line_reduce(
    *, line: models.PaymentLine, amount: Decimal, actor: Any, now: datetime.datetime
) -> models.PaymentLine:
    """Set a line's amount to `amount`: more than zero, in whole øre, never above the item's remainder.

    :raises errors.PaymentNotProposal: the payment is no longer an editable proposal.
    :raises errors.InvalidEdit: the amount is zero or less, has more than two decimals, or is above the item's
        remaining amount.
    """
    if amount <= 0 or amount != amount.quantize(CENT):
        raise errors.InvalidEdit(gettext("The amount must be more than zero, in whole øre."))
    with transaction.atomic():
        payment = _payment_lock(payment_id=line.payment_id)
        locked = models.PaymentLine.objects.select_for_update().get(pk=line.pk, payment=payment)
        remaining = ledger_models.OpenItem.objects.values_list("remaining_amount", flat=True).get(
            pk=locked.open_item_id
        )
        if amount > remaining:
            raise errors.InvalidEdit(
                gettext("The amount {amount} is above the item's remaining {remaining}.").format(
                    amount=amount, remaining=remaining
                )
            )
        previous = locked.amount
        locked.amount = amount
        locked.save(update_fields=["amount"])
        _total_refresh(payment=payment)
        _event(
            payment=payment,
            kind=models.PaymentEventKind.AMOUNT_REDUCED,
            actor=actor,
            now=now,
            line_id=locked.pk,
            **{"from": str(previous), "to": str(amount)},
        )
        return locked


def payment_date_change(
    *, payment: models.Payment, payment_date: datetime.date, actor: Any, now: datetime.datetime
) -> models.Payment:
    """Move a proposal's payment date, never into the past.

    :raises errors.PaymentNotProposal: the payment is no longer an editable proposal.
    :raises errors.InvalidEdit: the date is before today.
    """
    if payment_date < timezone.localdate(now):
        raise errors.InvalidEdit(gettext("The payment date cannot be in the past."))
    with transaction.atomic():
        locked = _payment_lock(payment_id=payment.pk)
        previous = locked.payment_date
        locked.payment_date = payment_date
        locked.save(update_fields=["payment_date"])
        _event(
            payment=locked,
            kind=models.PaymentEventKind.DATE_CHANGED,
            actor=actor,
            now=now,
            **{"from": previous.isoformat(), "to": payment_date.isoformat()},
        )
        return locked


def payment_delete(*, payment: models.Payment, actor: Any, now: datetime.datetime) -> int:
    """Delete a proposal with its lines, flags and events; its items are free again. Return its number.

    The number is not given out again: the series only moves forward.

    :raises errors.PaymentNotProposal: the payment is no longer an editable proposal.
    """
    with transaction.atomic():
        locked = _payment_lock(payment_id=payment.pk)
        number = locked.number
        locked.delete()
        return number
