"""The simulated bank day: approved payments go to the bank, each line is paid, rejected or cancelled.

Set-based: the payments and their lines are read once, outcomes decided in memory, and every change written by
one `transitions.Batch` (a few UPDATEs, the events and messages in bulk, one seq allocation per company), so a
day of 100 000 lines takes seconds rather than hours.
"""

import dataclasses
import datetime
import random

from django.db import transaction

from autopay_sim import models, pain001
from autopay_sim.services import transitions
from autopay_sim.services.errors import SimError

KID_MAX_DIGITS_AT_BANK = 25
REASON_STOPPED = models.REASON_STOPPED
REASON_CLOSED = models.REASON_CLOSED
REASON_INVALID_KID = models.REASON_INVALID_KID
REASON_RANDOM = models.REASON_RANDOM


@dataclasses.dataclass
class BankDay:
    payments: int = 0
    paid: int = 0
    rejected: int = 0
    cancelled: int = 0


def _bank_outcome(
    line: transitions.Line,
    *,
    stopped: set[str],
    closed: set[str],
    rng: random.Random,
    reject_share: float,
) -> tuple[models.AutoPayStatus, str]:
    """Return the status the bank gives a line (Paid, Rejected in bank or Cancelled in bank) and why."""
    if line.creditor_account in stopped:
        return models.AutoPayStatus.CANCELLED_IN_BANK, REASON_STOPPED
    if line.creditor_account in closed:
        return models.AutoPayStatus.REJECTED_IN_BANK, REASON_CLOSED
    if line.kid and (len(line.kid) > KID_MAX_DIGITS_AT_BANK or not pain001.kid_is_valid(line.kid)):
        return models.AutoPayStatus.REJECTED_IN_BANK, REASON_INVALID_KID
    if rng.random() < reject_share:
        return models.AutoPayStatus.REJECTED_IN_BANK, REASON_RANDOM
    return models.AutoPayStatus.PAID, ""


def bank_day_run(
    *, day: datetime.date, now: datetime.datetime, seed: int | None = None, reject_share: float = 0.0
) -> BankDay:
    """Run one bank day: send approved payments due by `day` to the bank, and settle each of their lines.

    In order: a line to a creditor account on the bank's stopped list is Cancelled in bank; to a closed
    account, or with a KID the bank does not accept (longer than 25 digits or without a valid check digit),
    Rejected in bank; with probability `reject_share` from a generator seeded with `seed`, Rejected in bank at
    random. Every other line is Accepted by bank, then Paid: its current amount (after any reduction made
    in AutoPay before approval), value date `day`. A payment ends Paid if any line was paid, else Rejected in
    bank if any was rejected, else Cancelled in bank. Payments another bank day holds are skipped.

    :raises SimError: `reject_share` is not between 0 and 1.
    """
    if not 0 <= reject_share <= 1:
        raise SimError(f"reject_share must be between 0 and 1, not {reject_share}")
    rng = random.Random(seed)
    result = BankDay()
    stopped = set(models.StoppedAccount.objects.values_list("account", flat=True))
    closed = set(models.ClosedAccount.objects.values_list("account", flat=True))
    with transaction.atomic():
        payments = list(
            models.Payment.objects.select_for_update(skip_locked=True)
            .filter(status=models.AutoPayStatus.APPROVED, requested_date__lte=day)
            .order_by("company_id", "reference")
        )
        lines = transitions.lines_of([payment.pk for payment in payments])
        batch = transitions.Batch(actor="bank", now=now)
        for payment in payments:
            result.payments += 1
            payment_lines = lines.get(payment.pk, [])
            batch.payment_to(
                payment, models.AutoPayStatus.SENT_TO_BANK, lines=payment_lines, at_field="sent_to_bank_at"
            )
            outcomes = set()
            for line in payment_lines:
                if line.status != models.AutoPayStatus.SENT_TO_BANK:
                    continue
                status, reason = _bank_outcome(
                    line, stopped=stopped, closed=closed, rng=rng, reject_share=reject_share
                )
                outcomes.add(status)
                if status == models.AutoPayStatus.PAID:
                    batch.line_to(payment, line, models.AutoPayStatus.ACCEPTED_BY_BANK)
                    batch.line_to(payment, line, models.AutoPayStatus.PAID, paid_on=day)
                    result.paid += 1
                    continue
                batch.line_to(payment, line, status, reason=reason)
                if status == models.AutoPayStatus.CANCELLED_IN_BANK:
                    result.cancelled += 1
                else:
                    result.rejected += 1
            if models.AutoPayStatus.PAID in outcomes:
                final = models.AutoPayStatus.PAID
            elif models.AutoPayStatus.REJECTED_IN_BANK in outcomes or not outcomes:
                final = models.AutoPayStatus.REJECTED_IN_BANK
            else:
                final = models.AutoPayStatus.CANCELLED_IN_BANK
            batch.payment_to(payment, final, lines=(), lines_from=frozenset())
        batch.write()
    return result
