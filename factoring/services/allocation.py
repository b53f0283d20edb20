"""Allocating an unmatched or on-account payment by hand: to a customer, or to one or more of its invoices."""

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from factoring import errors, models
from factoring.services import posting
from ledger import errors as ledger_errors
from ledger import models as ledger_models
from ledger import services as ledger_services
from ledger.money import ZERO


def incoming_payment_allocate(
    *,
    payment: models.IncomingPayment,
    customer: ledger_models.Customer | None = None,
    allocations: Sequence[tuple[ledger_models.OpenItem, Decimal]] = (),
    date: datetime.date,
    user: Any,
    now: datetime.datetime,
) -> models.IncomingPayment:
    """Move a payment out of suspense (or off account) to invoices and/or a customer, and reconcile.

    One balanced voucher in the definition's series: debit the account the payment was credited to, credit
    the receivables account per invoice (each reconciled) and, for what is left, with `customer` (on account).
    `allocations` are (customer item, amount) pairs summing to at most the payment.

    :raises errors.AllocationError: the payment is allocated already or is a reversal; an item is not an open
        customer item of the company; the amounts exceed the payment, or leave a remainder without a customer.
    :raises ledger_errors.LedgerError: the ledger refuses the voucher (a locked period).
    """
    with transaction.atomic():
        row = (
            models.IncomingPayment.objects.select_for_update()
            .select_related("definition__voucher_series", "company")
            .get(pk=payment.pk)
        )
        if not row.can_allocate():
            raise errors.AllocationError(_("Payment %(id)s is already allocated.") % {"id": row.pk})
        if row.is_reversal or row.journal_line_id is None:
            raise errors.AllocationError(_("A reversal is not allocated; it undoes an earlier payment."))
        if row.reversed_by.exists():
            raise errors.AllocationError(_("Payment %(id)s has been reversed.") % {"id": row.pk})
        total = ZERO
        for item, amount in allocations:
            if item.company_id != row.company_id or item.kind != ledger_models.OpenItemKind.CUSTOMER:
                raise errors.AllocationError(
                    _("Item %(id)s is not a customer item of this company.") % {"id": item.pk}
                )
            if not isinstance(amount, Decimal) or amount <= 0:
                raise errors.AllocationError(
                    _("Allocate a positive amount to item %(id)s.") % {"id": item.pk}
                )
            total += amount
        if customer is not None and customer.company_id != row.company_id:
            raise errors.AllocationError(_("The customer is not one of this company's."))
        if not allocations and customer is None:
            raise errors.AllocationError(_("Choose a customer or one or more invoices."))
        if total > row.amount:
            raise errors.AllocationError(
                _("The invoices take %(total)s; the payment is only %(amount)s.")
                % {"total": total, "amount": row.amount}
            )
        rest = row.amount - total
        item_customers = {item.customer_id for item, _amount in allocations}
        rest_customer_id = (
            customer.pk
            if customer is not None
            else (item_customers.pop() if len(item_customers) == 1 else None)
        )
        if rest and rest_customer_id is None:
            raise errors.AllocationError(
                _("%(rest)s of the payment is left: choose the customer it goes to on account.")
                % {"rest": rest}
            )
        accounts = posting.accounts_of(company=row.company)
        source = ledger_models.JournalLine.objects.values_list("account_id", "customer_id").get(
            pk=row.journal_line_id
        )
        lines = [
            ledger_services.LineSpec(
                account_id=source[0], amount=row.amount, customer_id=source[1], currency=row.currency
            )
        ]
        for item, amount in allocations:
            lines.append(
                ledger_services.LineSpec(
                    account_id=accounts.receivables_id,
                    amount=-amount,
                    customer_id=item.customer_id,
                    currency=row.currency,
                )
            )
        if rest:
            lines.append(
                ledger_services.LineSpec(
                    account_id=accounts.receivables_id,
                    amount=-rest,
                    customer_id=rest_customer_id,
                    currency=row.currency,
                )
            )
        try:
            voucher = ledger_services.voucher_post(
                company=row.company,
                series=row.definition.voucher_series,
                date=date,
                lines=lines,
                description=_("Allocation of incoming payment %(id)s") % {"id": row.pk},
                now=now,
            )
            line_ids = list(voucher.lines.order_by("id").values_list("id", flat=True))
            ledger_services.reconciliations_create_bulk(
                company=row.company,
                items=[
                    ledger_services.ReconciliationSpec(
                        open_item_id=item.pk, journal_line_id=line_id, amount=amount
                    )
                    for (item, amount), line_id in zip(allocations, line_ids[1:], strict=False)
                ],
                now=now,
            )
        except ledger_errors.ReconciliationError as exc:
            raise errors.AllocationError(str(exc)) from exc
        row.allocation = models.AllocationState.DONE
        row.allocated_at = now
        row.customer_id = (
            rest_customer_id if rest_customer_id is not None else next(iter(allocations))[0].customer_id
        )
        if allocations:
            row.open_item_id = allocations[0][0].pk
        row.save(update_fields=["allocation", "allocated_at", "customer", "open_item"])
        models.IncomingPaymentEvent.objects.create(
            payment=row,
            kind="allocated",
            user=user if getattr(user, "is_authenticated", False) else None,
            at=now,
            details={
                "voucher": voucher.pk,
                "items": [[item.pk, str(amount)] for item, amount in allocations],
                "on_account": [rest_customer_id, str(rest)] if rest else None,
            },
        )
        return row
