"""The rules of reconciling, shared by the single and the bulk paths (`ledger.services`, `ledger.bulk`).

The bulk path on PostgreSQL states the same rules in SQL (`bulk._RECON_PROBLEM_SQL`); keep the two in step.
"""

import datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from autopay_client import norwegian
from ledger import models, money


def open_item_problem(
    *,
    company_id: int,
    kind: str,
    customer: models.Customer | None,
    supplier: models.Supplier | None,
    kid: str,
    amount: Decimal,
    currency: str = money.DEFAULT_CURRENCY,
    invoice_date: datetime.date | None = None,
    due_date: datetime.date | None = None,
) -> str | None:
    """Return why such an open item cannot be recorded for the company, or None if it can.

    `currency` is checked as given: normalise it first (money.currency_normalised) where input is taken.
    """
    party, other = (customer, supplier) if kind == models.OpenItemKind.CUSTOMER else (supplier, customer)
    if kind not in models.OpenItemKind.values or party is None or other is not None:
        return open_item_party_problem(kind=kind)
    if party.company_id != company_id:
        return _("%(party)s is not one of this company's parties.") % {"party": party}
    if kid and not norwegian.kid_is_valid(kid):
        return _("KID %(kid)r has no valid MOD10 or MOD11 check digit.") % {"kid": kid}
    if amount == 0:
        return _("An open item's amount cannot be zero.")
    if amount != amount.quantize(money.CENT):
        return _("The amount %(amount)s has more than two decimals: whole øre only, nothing is rounded.") % {
            "amount": amount
        }
    if currency not in money.ISO_4217:
        return _("%(currency)r is not an ISO 4217 currency code in upper case (such as NOK).") % {
            "currency": currency
        }
    return open_item_dates_problem(invoice_date=invoice_date, due_date=due_date)


def open_item_party_problem(*, kind: str) -> str:
    """Why an item of `kind` cannot have the parties it was given (the one of its kind, and no other)."""
    if kind == models.OpenItemKind.SUPPLIER:
        return _("A supplier item needs a supplier and no customer.")
    if kind == models.OpenItemKind.CUSTOMER:
        return _("A customer item needs a customer and no supplier.")
    return _("%(kind)r is not a kind of open item (customer or supplier).") % {"kind": kind}


def open_item_dates_problem(
    *, invoice_date: datetime.date | None, due_date: datetime.date | None
) -> str | None:
    """Return why an item cannot have these dates (a due date before the invoice date), or None."""
    if invoice_date is not None and due_date is not None and due_date < invoice_date:
        return _("The due date %(due)s is before the invoice date %(invoice)s.") % {
            "due": f"{due_date:%d.%m.%Y}",
            "invoice": f"{invoice_date:%d.%m.%Y}",
        }
    return None


def open_item_status(*, amount: Decimal, remaining: Decimal) -> str:
    """Return the status an open item with this amount and remainder must have."""
    if remaining == 0:
        return models.OpenItemStatus.SETTLED
    if remaining == amount:
        return models.OpenItemStatus.OPEN
    return models.OpenItemStatus.PARTIALLY_OPEN


def reconciliation_problem(
    *,
    kind: str,
    item_customer_id: int | None,
    item_supplier_id: int | None,
    item_currency: str,
    item_amount: Decimal,
    line_customer_id: int | None,
    line_supplier_id: int | None,
    line_currency: str,
    line_amount: Decimal,
    amount: Decimal,
) -> str:
    """Return why this journal line cannot pay this item by `amount`, or "" when it can.

    A customer item (positive: the customer owes us) is paid by a credit (negative) line on the receivables
    account; a supplier item (positive: we owe) by a debit (positive) line on the payables account. Credit
    items (negative) go the other way round. `amount` is not zero: the services refuse that first.
    """
    if (amount > 0) != (item_amount > 0):
        return _("the amount must have the sign of the item's amount")
    paying_sign_positive = (item_amount > 0) != (kind == models.OpenItemKind.CUSTOMER)
    if (line_amount > 0) != paying_sign_positive:
        return _("the journal line is on the wrong side (debit/credit) to pay this item")
    if (
        kind == models.OpenItemKind.CUSTOMER
        and line_customer_id is not None
        and line_customer_id != item_customer_id
    ):
        return _("the journal line is for another customer")
    if (
        kind == models.OpenItemKind.SUPPLIER
        and line_supplier_id is not None
        and line_supplier_id != item_supplier_id
    ):
        return _("the journal line is for another supplier")
    if line_currency != item_currency:
        return _("the journal line and the item have different currencies")
    return ""
