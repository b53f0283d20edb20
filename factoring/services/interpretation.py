"""Reading incoming payments: which customer and which open item each pays, decided for a chunk at once.

The rules, in order (docs/incoming.md): the KID read by the definition of the credited account (customer and
invoice number by position, or "0;0": an open item with that KID); else an invoice number found in the
message; else the payer's account, which names the customer (on account); else unmatched. A handful of
queries per chunk, whatever its size.
"""

import dataclasses
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Q
from stdnum import iban

from autopay_client import norwegian
from company import models as company_models
from factoring import models
from factoring.parsers import ParsedPayment
from factoring.services import definitions as definitions_services
from ledger import models as ledger_models
from ledger import sqlarrays

_INVOICE_TOKEN = re.compile(r"(?<![0-9])[0-9]{3,30}(?![0-9])")
_TOKENS_PER_MESSAGE = 5


@dataclasses.dataclass(slots=True)
class Interpretation:
    """What one payment pays: the rule that decided, and the customer and item when found."""

    rule: str
    customer_id: int | None = None
    open_item_id: int | None = None


@dataclasses.dataclass(slots=True)
class ItemRow:
    """The facts of an open item interpretation and posting need."""

    id: int
    customer_id: int
    invoice_no: str
    kid: str
    currency: str
    remaining: Decimal


def _digits(value: str) -> str:
    stripped = value.lstrip("0")
    return stripped or "0"


def kid_parts(definition: models.FactoringCompany, kid: str) -> tuple[int | None, str | None]:
    """Return (customer number, invoice number) read from `kid` by the definition's positions."""
    customer_at, invoice_at = definition.positions()
    customer: int | None = None
    invoice: str | None = None
    if customer_at and definition.kid_customer_digits:
        part = kid[customer_at - 1 : customer_at - 1 + definition.kid_customer_digits]
        if part.isdigit() and len(part) == definition.kid_customer_digits:
            customer = int(part)
    if invoice_at and definition.kid_reference_digits:
        part = kid[invoice_at - 1 : invoice_at - 1 + definition.kid_reference_digits]
        if part.isdigit() and len(part) == definition.kid_reference_digits:
            invoice = _digits(part)
    return customer, invoice


def payments_interpret(
    *,
    company: company_models.Company,
    definitions: dict[str, models.FactoringCompany],
    payments: Sequence[ParsedPayment],
    accounts: Sequence[str],
) -> tuple[list[Interpretation], dict[int, ItemRow]]:
    """Interpret a chunk of payments (`accounts[i]` is payment i's definition key); return them and the items.

    Reversals are left to posting (rule "reversal"): they undo an earlier payment rather than pay an item.
    """
    kids_whole: set[str] = set()
    positions: list[tuple[int | None, str | None]] = []
    invoices: set[str] = set()
    customer_numbers: set[int] = set()
    tokens: list[list[str]] = []
    payer_accounts: set[str] = set()
    for payment, account in zip(payments, accounts, strict=True):
        definition = definitions[account]
        kid = payment.kid
        part: tuple[int | None, str | None] = (None, None)
        if kid and not payment.is_reversal:
            if definition.positions() == (0, 0):
                # Compared whole with the items' KIDs, which were checked when the items were recorded.
                kids_whole.add(kid)
            elif norwegian.kid_is_valid(kid):
                # Read by position only when its check digit holds: a mistyped KID names nobody.
                part = kid_parts(definition, kid)
                if part[0] is not None:
                    customer_numbers.add(part[0])
                if part[1] is not None:
                    invoices.add(part[1])
        positions.append(part)
        words = _INVOICE_TOKEN.findall(payment.message)[:_TOKENS_PER_MESSAGE] if payment.message else []
        tokens.append([_digits(token) for token in words])
        invoices.update(tokens[-1])
        if payment.payer_account:
            payer_accounts.add(definitions_services.account_key(payment.payer_account))

    items: dict[int, ItemRow] = {}
    by_kid: dict[str, list[ItemRow]] = defaultdict(list)
    by_invoice: dict[str, list[ItemRow]] = defaultdict(list)
    for item in _items_of(company=company, kids=kids_whole, invoices=invoices):
        items[item.id] = item
        if item.kid:
            by_kid[item.kid].append(item)
        if invoices and item.invoice_no:
            # Only asked for an invoice number the chunk names (by KID position or in a message).
            by_invoice[_digits(item.invoice_no)].append(item)
    customers_by_number: dict[int, int] = {}
    if customer_numbers:
        customers_by_number = dict(
            ledger_models.Customer.objects.filter(company=company, number__in=customer_numbers).values_list(
                "number", "id"
            )
        )
    # A payer's account and a customer's are compared as account keys (a Norwegian IBAN as its BBAN): a
    # customer recorded with either form is found from a payment naming either.
    customers_by_account: dict[str, list[int]] = defaultdict(list)
    if payer_accounts:
        for account, customer_id in ledger_models.Customer.objects.filter(
            company=company, bank_account__in=_account_forms(payer_accounts)
        ).values_list("bank_account", "id"):
            customers_by_account[definitions_services.account_key(account)].append(customer_id)

    result: list[Interpretation] = []
    for payment, part, message_tokens in zip(payments, positions, tokens, strict=True):
        if payment.is_reversal:
            result.append(Interpretation(rule=models.Rule.REVERSAL))
            continue
        found = _by_kid(payment, part, by_kid, by_invoice, customers_by_number)
        if found is None:
            found = _by_message(payment, message_tokens, by_invoice)
        if found is None:
            payers = customers_by_account.get(definitions_services.account_key(payment.payer_account), [])
            if len(payers) == 1:
                found = Interpretation(rule=models.Rule.PAYER_ACCOUNT, customer_id=payers[0])
        result.append(found or Interpretation(rule=models.Rule.NONE))
    return result, items


def _by_kid(
    payment: ParsedPayment,
    part: tuple[int | None, str | None],
    by_kid: dict[str, list[ItemRow]],
    by_invoice: dict[str, list[ItemRow]],
    customers_by_number: dict[int, int],
) -> Interpretation | None:
    if not payment.kid:
        return None
    whole = by_kid.get(payment.kid)
    if part == (None, None):
        if whole:
            item = _first_open(whole)
            return Interpretation(
                rule=models.Rule.KID_ITEM, customer_id=item.customer_id, open_item_id=item.id
            )
        return None
    customer_number, invoice = part
    customer_id = customers_by_number.get(customer_number) if customer_number is not None else None
    if invoice is not None:
        candidates = [
            item
            for item in by_invoice.get(invoice, [])
            # Customer numbers are unique in a company: the customer's id stands for its number.
            if customer_number is None or item.customer_id == customer_id
        ]
        if candidates and (
            customer_number is not None or len({item.customer_id for item in candidates}) == 1
        ):
            item = _first_open(candidates)
            return Interpretation(
                rule=models.Rule.KID_POSITIONS, customer_id=item.customer_id, open_item_id=item.id
            )
    if customer_id is not None:
        return Interpretation(rule=models.Rule.KID_POSITIONS, customer_id=customer_id)
    return None


def _by_message(
    payment: ParsedPayment, message_tokens: Iterable[str], by_invoice: dict[str, list[ItemRow]]
) -> Interpretation | None:
    for token in message_tokens:
        candidates = by_invoice.get(token, [])
        if candidates and len({item.customer_id for item in candidates}) == 1:
            item = _first_open(candidates)
            return Interpretation(
                rule=models.Rule.MESSAGE_INVOICE, customer_id=item.customer_id, open_item_id=item.id
            )
    return None


def _first_open(items: list[ItemRow]) -> ItemRow:
    """The oldest item with something left to pay, else the first (its payment goes on account)."""
    for item in items:
        if item.remaining:
            return item
    return items[0]


_ITEM_COLUMNS = "o.id, o.customer_id, o.invoice_no, o.kid, o.currency, o.remaining_amount, o.due_date"
_ITEMS_KID_PART = (
    "SELECT x.* FROM unnest(%(kids)s::text[]) AS t(kid) CROSS JOIN LATERAL (SELECT "  # noqa: S608
    + _ITEM_COLUMNS
    + " FROM ledger_openitem o "
    "WHERE o.company_id = %(company)s AND o.kid = t.kid AND o.kind = %(kind)s OFFSET 0) AS x"
)
_ITEMS_INVOICE_PART = (
    "SELECT " + _ITEM_COLUMNS + " FROM ledger_openitem o "  # noqa: S608
    "WHERE o.company_id = %(company)s AND o.kind = %(kind)s AND o.invoice_no = ANY(%(invoices)s::text[])"
)
_ITEMS_SELECT = "SELECT id, customer_id, invoice_no, kid, currency, remaining_amount FROM ("
_ITEMS_ORDER = ") AS found ORDER BY due_date, id"
_ITEMS_BY_KID = _ITEMS_SELECT + _ITEMS_KID_PART + _ITEMS_ORDER
_ITEMS_BY_INVOICE = _ITEMS_SELECT + _ITEMS_INVOICE_PART + _ITEMS_ORDER
_ITEMS_BY_KID_OR_INVOICE = _ITEMS_SELECT + _ITEMS_KID_PART + " UNION " + _ITEMS_INVOICE_PART + _ITEMS_ORDER


def _items_of(*, company: company_models.Company, kids: set[str], invoices: set[str]) -> list[ItemRow]:
    """The company's customer items with one of `kids` or one of `invoices`, oldest due first."""
    if not kids and not invoices:
        return []
    if connection.vendor == "postgresql":
        # One array parameter per list (5 000 parameters cost more to bind than to look up). Each KID probes
        # the (company, kid) index through a LATERAL with OFFSET 0: as a plain `kid = ANY(...)` PostgreSQL
        # read all the company's items for every chunk (stale statistics on a table that grows by whole
        # files), which made an import quadratic in the company's items.
        params: dict[str, Any] = {
            "company": company.pk,
            "kind": ledger_models.OpenItemKind.CUSTOMER,
            "kids": sqlarrays.texts(kids),
            "invoices": sqlarrays.texts(invoices),
        }
        sql = _ITEMS_BY_KID if not invoices else _ITEMS_BY_INVOICE if not kids else _ITEMS_BY_KID_OR_INVOICE
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [ItemRow(*row) for row in cursor.fetchall()]
    query = ledger_models.OpenItem.objects.filter(company=company, kind=ledger_models.OpenItemKind.CUSTOMER)
    if kids and invoices:
        query = query.filter(Q(kid__in=kids) | Q(invoice_no__in=invoices))
    elif kids:
        query = query.filter(kid__in=kids)
    else:
        query = query.filter(invoice_no__in=invoices)
    return [
        ItemRow(*row)
        for row in query.order_by("due_date", "id").values_list(
            "id", "customer_id", "invoice_no", "kid", "currency", "remaining_amount"
        )
    ]


def _account_forms(keys: Iterable[str]) -> set[str]:
    """The forms a customer's account may be recorded in for these account keys: the key, and for an
    11-digit Norwegian account its IBAN."""
    forms: set[str] = set()
    for key in keys:
        forms.add(key)
        if len(key) == 11 and key.isdigit():
            forms.add(f"NO{iban.calc_check_digits('NO00' + key)}{key}")
    return forms
