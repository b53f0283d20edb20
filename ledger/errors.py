"""What the ledger refuses, and why. Interfaces translate these into a message for the user."""


class LedgerError(Exception):
    """A posting or reconciliation the ledger refuses; nothing was written."""


class UnbalancedVoucher(LedgerError):
    """A voucher whose lines do not sum to exactly zero, or that has too few lines."""


class PeriodLocked(LedgerError):
    """A posting dated on or before the company's locked-through date."""


class VoucherImmutable(LedgerError):
    """An attempt to change, delete or reverse twice a posted voucher."""


class ReconciliationError(LedgerError):
    """A reconciliation that does not fit the item or the journal line, or that cannot be undone."""
