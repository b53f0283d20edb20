"""Status changes of payments and lines: each saved with an event row, and a line_status message per line."""

import datetime

from autopay_sim import models
from autopay_sim.services import messages

ENDED_WITH_REASON = frozenset(
    {
        models.AutoPayStatus.CANCELLED,
        models.AutoPayStatus.CANCELLED_IN_BANK,
        models.AutoPayStatus.REJECTED_IN_BANK,
        models.AutoPayStatus.ERROR,
    }
)


def line_transition(
    *,
    line: models.PaymentLine,
    to: models.AutoPayStatus,
    actor: str,
    now: datetime.datetime,
    reason: str = "",
    extra_fields: tuple[str, ...] = (),
) -> None:
    """Move one line (whose payment is locked) to a status: save, event row and line_status message."""
    from_status = line.status
    line.status = to
    if reason:
        line.reason = reason
    line.save(update_fields=["status", "reason", *extra_fields])
    models.PaymentEvent.objects.create(
        payment=line.payment,
        line=line,
        kind="line_status",
        from_status=from_status,
        to_status=to,
        actor=actor,
        at=now,
        details=reason,
    )
    messages.message_emit(
        company_id=line.payment.company_id,
        type=models.MessageType.LINE_STATUS,
        payload=messages.line_payload(line),
        now=now,
    )


def payment_transition(
    *,
    payment: models.Payment,
    to: models.AutoPayStatus,
    actor: str,
    now: datetime.datetime,
    reason: str = "",
    lines_from: frozenset[str] | None = None,
    at_field: str | None = None,
) -> models.Payment:
    """Move a locked payment and those of its lines in `lines_from` (default: its own status) to a status."""
    from_status = payment.status
    payment.status = to
    update_fields = ["status"]
    if at_field:
        setattr(payment, at_field, now)
        update_fields.append(at_field)
    payment.save(update_fields=update_fields)
    models.PaymentEvent.objects.create(
        payment=payment,
        kind="status",
        from_status=from_status,
        to_status=to,
        actor=actor,
        at=now,
        details=reason,
    )
    movable = lines_from if lines_from is not None else frozenset({from_status})
    # A line's `reason` says why it was rejected or cancelled (the wire's line_status payload), nothing else.
    line_reason = reason if to in ENDED_WITH_REASON else ""
    for line in payment.lines.order_by("id"):
        if line.status in movable and line.status != to:
            line.payment = payment
            line_transition(line=line, to=to, actor=actor, now=now, reason=line_reason)
    return payment
