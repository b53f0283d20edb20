"""The audit row of a supplier's bank account set or changed: payments go to that account, so who changed it,
when and from where is a security event (company.audit)."""

import datetime
from typing import Any

from company import audit
from company import models as company_models
from ledger import models


def supplier_bank_account_audit(
    *, supplier: models.Supplier, previous: str | None, user: Any, ip: str, now: datetime.datetime
) -> None:
    """Record the supplier's bank account in the audit log if it differs from `previous` (None: a new
    supplier)."""
    if previous is not None and previous == supplier.bank_account:
        return
    if previous is None and not supplier.bank_account:
        return
    audit.audit_event_record(
        event=company_models.AuditEventKind.SUPPLIER_BANK_ACCOUNT_CHANGED,
        user=user,
        company=supplier.company,
        ip=ip,
        details={
            "supplier_id": supplier.pk,
            "supplier_number": supplier.number,
            "previous_bank_account": previous or "",
            "bank_account": supplier.bank_account,
        },
        now=now,
    )
