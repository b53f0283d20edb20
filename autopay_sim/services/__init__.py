"""Every write of the simulated AutoPay, one module per capability. Each is one transaction; the caller
passes `now`. The names below are the package's public face: callers use `services.<name>`.
"""

from autopay_sim.services.access import totp_device_verify
from autopay_sim.services.activation import (
    Registration,
    activation_code_issue,
    company_activate,
    company_register,
    membership_grant,
)
from autopay_sim.services.approval import approval_token_issue, payment_approve, payments_approve
from autopay_sim.services.bank import KID_MAX_DIGITS_AT_BANK, BankDay, bank_day_run
from autopay_sim.services.errors import (
    ActivationCodeUsed,
    ActivationInvalid,
    AmendRefused,
    ApprovalRefused,
    DocumentInvalid,
    NonceReplayed,
    PaymentConflict,
    RoleMissing,
    SimError,
)
from autopay_sim.services.incoming import IncomingSpec, incoming_payments_generate
from autopay_sim.services.nonces import NONCE_RETENTION, nonce_record
from autopay_sim.services.payments import (
    CENT,
    payment_cancel,
    payment_date_change,
    payment_line_amount_reduce,
    payment_upload,
)

__all__ = [
    "CENT",
    "KID_MAX_DIGITS_AT_BANK",
    "NONCE_RETENTION",
    "ActivationCodeUsed",
    "ActivationInvalid",
    "AmendRefused",
    "ApprovalRefused",
    "BankDay",
    "DocumentInvalid",
    "IncomingSpec",
    "NonceReplayed",
    "PaymentConflict",
    "Registration",
    "RoleMissing",
    "SimError",
    "activation_code_issue",
    "approval_token_issue",
    "bank_day_run",
    "company_activate",
    "company_register",
    "incoming_payments_generate",
    "membership_grant",
    "nonce_record",
    "payment_approve",
    "payment_cancel",
    "payment_date_change",
    "payment_line_amount_reduce",
    "payment_upload",
    "payments_approve",
    "totp_device_verify",
]
