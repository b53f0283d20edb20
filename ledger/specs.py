"""What a caller asks the ledger to write: plain frozen values, checked by the services."""

import dataclasses
import datetime
from collections.abc import Sequence
from decimal import Decimal

from ledger.money import DEFAULT_CURRENCY


@dataclasses.dataclass(frozen=True, slots=True)
class LineSpec:
    """One journal line to post. `amount` is signed: debit positive, credit negative."""

    account_id: int
    amount: Decimal
    description: str = ""
    customer_id: int | None = None
    supplier_id: int | None = None
    currency: str = DEFAULT_CURRENCY


@dataclasses.dataclass(frozen=True, slots=True)
class VoucherSpec:
    """One voucher to post in a bulk run: its date and its lines, which must sum to zero."""

    date: datetime.date
    lines: Sequence[LineSpec]
    description: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class ReconciliationSpec:
    """Reconcile `amount` (with the sign of the item's amount) of a journal line against an open item."""

    open_item_id: int
    journal_line_id: int
    amount: Decimal
