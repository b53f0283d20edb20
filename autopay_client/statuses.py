"""AutoPay statuses and the ERP payment-line status each maps to: the one table of the mapping.

The payments app stores ERP line statuses as integers; `ErpLineStatus` names them here so that both sides of
the mapping live in one place (docs/autopay-wire.md, "Statuses").
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final


class ErpLineStatus(enum.IntEnum):
    PROPOSAL = 1
    TRANSFERRED = 2
    ACKNOWLEDGED = 3
    CANCELLED = 4
    SETTLED = 5
    POSTED = 6
    REJECTED = 7


class AutoPayStatus(enum.StrEnum):
    NEW = "new"
    PENDING_SIGNING = "pending_signing"
    APPROVED = "approved"
    SENT_TO_BANK = "sent_to_bank"
    ACCEPTED_BY_BANK = "accepted_by_bank"
    REJECTED_IN_BANK = "rejected_in_bank"
    CANCELLED = "cancelled"
    CANCELLED_IN_BANK = "cancelled_in_bank"
    PAID = "paid"
    ERROR = "error"


ERP_LINE_STATUS: Final[Mapping[AutoPayStatus, ErpLineStatus]] = MappingProxyType(
    {
        AutoPayStatus.NEW: ErpLineStatus.TRANSFERRED,
        AutoPayStatus.PENDING_SIGNING: ErpLineStatus.TRANSFERRED,
        AutoPayStatus.APPROVED: ErpLineStatus.ACKNOWLEDGED,
        AutoPayStatus.SENT_TO_BANK: ErpLineStatus.ACKNOWLEDGED,
        AutoPayStatus.ACCEPTED_BY_BANK: ErpLineStatus.ACKNOWLEDGED,
        AutoPayStatus.REJECTED_IN_BANK: ErpLineStatus.REJECTED,
        AutoPayStatus.CANCELLED: ErpLineStatus.CANCELLED,
        AutoPayStatus.CANCELLED_IN_BANK: ErpLineStatus.CANCELLED,
        AutoPayStatus.PAID: ErpLineStatus.SETTLED,
        AutoPayStatus.ERROR: ErpLineStatus.REJECTED,
    }
)


def parse_autopay_status(code: str) -> AutoPayStatus:
    """Return the AutoPay status for its wire code.

    :raises ValueError: when the code is not one of AutoPay's statuses.
    """
    try:
        return AutoPayStatus(code)
    except ValueError:
        raise ValueError(f"unknown AutoPay status {code!r}") from None


def erp_line_status(autopay_status: AutoPayStatus | str) -> ErpLineStatus:
    """Return the ERP payment-line status an AutoPay status maps to.

    :raises ValueError: when the status is not one of AutoPay's statuses.
    """
    return ERP_LINE_STATUS[parse_autopay_status(str(autopay_status))]
