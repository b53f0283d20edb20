"""The simulated bank day: approved payments go to the bank, each line is paid or rejected."""

import dataclasses
import datetime
import random

from django.db import transaction

from autopay_sim import models, pain001
from autopay_sim.services import transitions
from autopay_sim.services.errors import SimError

KID_MAX_DIGITS_AT_BANK = 25


@dataclasses.dataclass
class BankDay:
    payments: int = 0
    paid: int = 0
    rejected: int = 0


def _bank_rejection(
    line: models.PaymentLine, closed: set[str], rng: random.Random, reject_share: float
) -> str:
    if line.creditor_account in closed:
        return "closed account"
    if line.kid and (len(line.kid) > KID_MAX_DIGITS_AT_BANK or not pain001.kid_is_valid(line.kid)):
        return "invalid KID"
    if rng.random() < reject_share:
        return "rejected by the bank"
    return ""


def bank_day_run(
    *, day: datetime.date, now: datetime.datetime, seed: int | None = None, reject_share: float = 0.0
) -> BankDay:
    """Run one bank day: send approved payments due by `day` to the bank, and pay or reject each line.

    A line is rejected for a closed creditor account, a KID the bank does not accept (longer than 25 digits or
    without a valid check digit) or, with probability `reject_share` from a generator seeded with `seed`, at
    random. Other lines are paid in full with value date `day`.

    :raises SimError: `reject_share` is not between 0 and 1.
    """
    if not 0 <= reject_share <= 1:
        raise SimError(f"reject_share must be between 0 and 1, not {reject_share}")
    rng = random.Random(seed)
    result = BankDay()
    closed = set(models.ClosedAccount.objects.values_list("account", flat=True))
    with transaction.atomic():
        payments = (
            models.Payment.objects.select_for_update(skip_locked=True)
            .filter(status=models.AutoPayStatus.APPROVED, requested_date__lte=day)
            .order_by("company_id", "reference")
        )
        for payment in payments:
            result.payments += 1
            transitions.payment_transition(
                payment=payment,
                to=models.AutoPayStatus.SENT_TO_BANK,
                actor="bank",
                now=now,
                at_field="sent_to_bank_at",
            )
            any_paid = False
            for line in payment.lines.filter(status=models.AutoPayStatus.SENT_TO_BANK).order_by("id"):
                line.payment = payment
                reason = _bank_rejection(line, closed, rng, reject_share)
                if reason:
                    transitions.line_transition(
                        line=line,
                        to=models.AutoPayStatus.REJECTED_IN_BANK,
                        actor="bank",
                        now=now,
                        reason=reason,
                    )
                    result.rejected += 1
                    continue
                transitions.line_transition(
                    line=line, to=models.AutoPayStatus.ACCEPTED_BY_BANK, actor="bank", now=now
                )
                line.amount_paid = line.amount
                line.value_date = day
                line.bank_reference = f"BR{day:%Y%m%d}{line.pk:08d}"
                transitions.line_transition(
                    line=line, to=models.AutoPayStatus.PAID, actor="bank", now=now,
                    extra_fields=("amount_paid", "value_date", "bank_reference"),
                )  # fmt: skip
                result.paid += 1
                any_paid = True
            final = models.AutoPayStatus.PAID if any_paid else models.AutoPayStatus.REJECTED_IN_BANK
            transitions.payment_transition(
                payment=payment, to=final, actor="bank", now=now, lines_from=frozenset()
            )
    return result
