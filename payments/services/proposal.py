"""Payment proposals: from open supplier items to payments in status 1 Proposal, numbered without gaps.

`proposal_plan` shows what a proposal would make (the preview); `payment_proposal_create` makes it, in one
transaction that locks the items and the company's number series, so that two proposals at once never put
one item on two lines nor give one number twice.
"""

import dataclasses
import datetime
from collections.abc import Collection, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from autopay_client import norwegian
from company import models as company_models
from ledger import models as ledger_models
from payments import errors, models, selectors
from payments.services import guard

# Why an item is left out of a proposal: code and the text shown to the user.
LEFT_OUT_REASONS = {
    "on_payment": _("Already on a payment line"),
    "payment_blocked": _("Payment blocked"),
    "credit_note": _("Credit note"),
    "no_valid_bank_account": _("The supplier has no valid bank account"),
}
MESSAGE_MAX_LENGTH = 140


@dataclasses.dataclass(frozen=True)
class LeftOut:
    open_item: ledger_models.OpenItem
    code: str
    detail: str = ""

    @property
    def reason(self) -> str:
        text = str(LEFT_OUT_REASONS[self.code])
        return f"{text}: {self.detail}" if self.detail else text


@dataclasses.dataclass(frozen=True)
class PlannedPayment:
    """What one payment of a proposal would hold."""

    payment_date: datetime.date
    currency: str
    items: tuple[ledger_models.OpenItem, ...]

    @property
    def total(self) -> Decimal:
        return sum((item.remaining_amount for item in self.items), Decimal("0.00"))


@dataclasses.dataclass(frozen=True)
class ProposalPlan:
    payments: tuple[PlannedPayment, ...]
    left_out: tuple[LeftOut, ...]


@dataclasses.dataclass(frozen=True)
class ProposalResult:
    payments: tuple[models.Payment, ...]
    left_out: tuple[LeftOut, ...]


def proposal_plan(
    *,
    company: company_models.Company,
    bank_partner: company_models.BankPartner,
    due_date_to: datetime.date,
    due_date_from: datetime.date | None = None,
    suppliers: Collection[ledger_models.Supplier] = (),
    currency: str = "",
    payment_date: datetime.date | None = None,
    today: datetime.date,
) -> ProposalPlan:
    """Return the payments a proposal would make, and the items it would leave out with their reasons.

    Payments are grouped by (payment date, currency); the payment date is `payment_date`, else the item's
    due date, and never before `today`.

    :raises errors.InvalidProposal: a bank partner of another company or not on AutoPay, a payment date in
        the past, a due-date range the wrong way round, or a supplier of another company.
    """
    _criteria_check(
        company=company,
        bank_partner=bank_partner,
        due_date_to=due_date_to,
        due_date_from=due_date_from,
        suppliers=suppliers,
        payment_date=payment_date,
        today=today,
    )
    items = selectors.proposal_candidates(
        company=company,
        due_date_to=due_date_to,
        due_date_from=due_date_from,
        suppliers=suppliers,
        currency=currency,
    )
    held = set(selectors.items_held_by_lines(items=items).values_list("open_item_id", flat=True))
    groups: dict[tuple[datetime.date, str], list[ledger_models.OpenItem]] = {}
    left_out: list[LeftOut] = []
    for item in items:
        if item.pk in held:
            left_out.append(LeftOut(item, "on_payment"))
        elif item.payment_blocked:
            left_out.append(LeftOut(item, "payment_blocked", item.payment_block_reason))
        elif item.amount < 0:
            left_out.append(LeftOut(item, "credit_note"))
        elif item.supplier is None or not item.supplier.bank_account:
            left_out.append(LeftOut(item, "no_valid_bank_account"))
        elif problem := norwegian.account_problem(item.supplier.bank_account):
            left_out.append(LeftOut(item, "no_valid_bank_account", problem))
        else:
            assert item.due_date is not None  # the candidates are filtered on it
            date = payment_date or max(item.due_date, today)
            groups.setdefault((date, item.currency), []).append(item)
    planned = tuple(
        PlannedPayment(payment_date=date, currency=currency_code, items=tuple(group))
        for (date, currency_code), group in sorted(groups.items())
    )
    return ProposalPlan(payments=planned, left_out=tuple(left_out))


def payment_proposal_create(
    *,
    company: company_models.Company,
    bank_partner: company_models.BankPartner,
    due_date_to: datetime.date,
    due_date_from: datetime.date | None = None,
    suppliers: Collection[ledger_models.Supplier] = (),
    currency: str = "",
    payment_date: datetime.date | None = None,
    actor: Any,
    now: datetime.datetime,
) -> ProposalResult:
    """Make the proposal `proposal_plan` shows: one payment per (payment date, currency), one line per item.

    Each line pays the item's remainder to the supplier's account, with the item's KID, else its invoice
    number as the message. The guard's flags are set on the new lines. Numbers come from the company's
    series, locked until the transaction ends, so numbers are given out without gaps.

    :raises errors.InvalidProposal: see `proposal_plan`.
    """
    today = timezone.localdate(now)
    actor_id = getattr(actor, "pk", None)
    with transaction.atomic():
        criteria: dict[str, Any] = {
            "company": company,
            "bank_partner": bank_partner,
            "due_date_to": due_date_to,
            "due_date_from": due_date_from,
            "suppliers": suppliers,
            "currency": currency,
            "payment_date": payment_date,
            "today": today,
        }
        candidates = selectors.proposal_candidates(
            company=company,
            due_date_to=due_date_to,
            due_date_from=due_date_from,
            suppliers=suppliers,
            currency=currency,
        )
        # Lock the items first: a concurrent proposal waits here, then sees the lines made by this one.
        list(candidates.select_for_update(of=("self",)).order_by("pk").values_list("pk", flat=True))
        plan = proposal_plan(**criteria)
        if not plan.payments:
            return ProposalResult(payments=(), left_out=plan.left_out)
        number = _numbers_take(company=company, count=len(plan.payments))
        payments: list[models.Payment] = []
        new_lines: list[models.PaymentLine] = []
        for offset, planned in enumerate(plan.payments):
            payment = models.Payment.objects.create(
                company=company,
                number=number + offset,
                bank_partner=bank_partner,
                currency=planned.currency,
                payment_date=planned.payment_date,
                total=planned.total,
                created_at=now,
                created_by_id=actor_id,
            )
            lines = models.PaymentLine.objects.bulk_create(
                [
                    _line_for(payment=payment, item=item, index=index)
                    for index, item in enumerate(planned.items, 1)
                ]
            )
            new_lines.extend(lines)
            payments.append(payment)
        flags = guard.lines_flag(company=company, lines=new_lines, now=now)
        flagged = {flag.line.payment_id for flag in flags}
        models.PaymentEvent.objects.bulk_create(
            [
                models.PaymentEvent(
                    payment=payment,
                    company=company,
                    kind=models.PaymentEventKind.PROPOSED,
                    at=now,
                    actor_id=actor_id,
                    details={
                        "lines": sum(1 for line in new_lines if line.payment_id == payment.pk),
                        "total": str(payment.total),
                        "due_date_to": due_date_to.isoformat(),
                        "due_date_from": due_date_from.isoformat() if due_date_from else None,
                        "left_out": len(plan.left_out),
                        "flagged": payment.pk in flagged,
                    },
                )
                for payment in payments
            ]
        )
        return ProposalResult(payments=tuple(payments), left_out=plan.left_out)


def _line_for(*, payment: models.Payment, item: ledger_models.OpenItem, index: int) -> models.PaymentLine:
    assert item.supplier is not None
    return models.PaymentLine(
        payment=payment,
        company_id=payment.company_id,
        open_item=item,
        supplier=item.supplier,
        amount=item.remaining_amount,
        currency=item.currency,
        creditor_account=item.supplier.bank_account,
        kid=item.kid,
        message="" if item.kid else item.invoice_no[:MESSAGE_MAX_LENGTH],
        end_to_end_id=f"{payment.number}-{index}",
    )


def _numbers_take(*, company: company_models.Company, count: int) -> int:
    """Take `count` numbers from the company's series (locked until commit) and return the first."""
    models.PaymentNumberSeries.objects.get_or_create(company=company)
    series = models.PaymentNumberSeries.objects.select_for_update().get(company=company)
    first = series.next_number
    series.next_number = first + count
    series.save(update_fields=["next_number"])
    return first


def _criteria_check(
    *,
    company: company_models.Company,
    bank_partner: company_models.BankPartner,
    due_date_to: datetime.date,
    due_date_from: datetime.date | None,
    suppliers: Sequence[ledger_models.Supplier] | Collection[ledger_models.Supplier],
    payment_date: datetime.date | None,
    today: datetime.date,
) -> None:
    if bank_partner.company_id != company.pk:
        raise errors.InvalidProposal(gettext("The bank partner belongs to another company."))
    if not bank_partner.is_active or not bank_partner.is_autopay():
        raise errors.InvalidProposal(gettext("The bank partner is not an active AutoPay agreement."))
    if due_date_from is not None and due_date_from > due_date_to:
        raise errors.InvalidProposal(gettext("The due date range ends before it starts."))
    if payment_date is not None and payment_date < today:
        raise errors.InvalidProposal(gettext("The payment date cannot be in the past."))
    if any(supplier.company_id != company.pk for supplier in suppliers):
        raise errors.InvalidProposal(gettext("A supplier belongs to another company."))
