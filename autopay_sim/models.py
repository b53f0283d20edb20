"""The simulated Visma.net AutoPay: its companies, agreements, payments, events and message feed.

Nothing here is shared with the ERP; the two meet only over the signed HTTP API (docs/autopay-wire.md).
"""

import datetime
import re
import uuid
from collections.abc import Callable
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import formats
from django.utils.translation import gettext, gettext_lazy, gettext_noop


class SimCompany(models.Model):
    """A company that has (or will have) the AutoPay service, known by its org no."""

    org_no = models.CharField(max_length=9, unique=True)
    name = models.CharField(max_length=200)
    allow_pre_approval = models.BooleanField(default=False)
    two_factor_required = models.BooleanField(
        default=True, help_text="Approvers must have a confirmed TOTP device to approve anything."
    )
    # The signing key, Fernet-encrypted (autopay_sim.crypto). Empty until activated.
    signing_key_ciphertext = models.TextField(blank=True, default="", editable=False)
    activated_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The last message seq handed out; the row is locked to allocate the next one.
    last_message_seq = models.BigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "company"
        verbose_name_plural = "companies"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(org_no__regex=r"^[0-9]{9}$"), name="sim_company_org_no"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.org_no})"

    def is_activated(self) -> bool:
        return self.activated_at is not None and bool(self.signing_key_ciphertext)


class ActivationCode(models.Model):
    """A one-time code that lets the ERP activate the service for a company. Only its hash is kept."""

    company = models.ForeignKey(SimCompany, on_delete=models.CASCADE, related_name="activation_codes")
    code_sha256 = models.CharField(max_length=64, unique=True)
    issued_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"activation code for {self.company.org_no} issued {self.issued_at:%Y-%m-%d %H:%M}"

    def is_used(self) -> bool:
        return self.used_at is not None


class TwoFactorLevel(models.TextChoices):
    NONE = "none", "None"
    LOGIN = "login", "At login"
    APPROVAL = "approval", "At each approval"


class BankAgreement(models.Model):
    """A debtor account the company may pay from, and how payments from it are approved."""

    company = models.ForeignKey(SimCompany, on_delete=models.CASCADE, related_name="agreements")
    debtor_account = models.CharField(max_length=34)
    bank_name = models.CharField(max_length=100, default="DNB")
    approvers_required = models.PositiveSmallIntegerField(default=1)
    two_factor_level = models.CharField(
        max_length=10, choices=TwoFactorLevel.choices, default=TwoFactorLevel.APPROVAL
    )

    class Meta:
        ordering = ["company__name", "debtor_account"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "debtor_account"], name="sim_agreement_unique_account"
            ),
            models.CheckConstraint(
                condition=models.Q(approvers_required__in=[1, 2]), name="sim_agreement_approvers_1_or_2"
            ),
            models.CheckConstraint(
                condition=models.Q(two_factor_level__in=TwoFactorLevel.values), name="sim_agreement_2fa_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bank_name} {self.debtor_account} ({self.company.org_no})"


class SimRole(models.TextChoices):
    APPROVER = "autopay_approver", "AutoPay Approver"
    UPLOADER = "autopay_uploader", "AutoPay Uploader"
    ADMINISTRATOR = "autopay_administrator", "AutoPay Administrator"
    INVOICE_APPROVER = "invoice_approver", "Invoice Approver"


class SimMembership(models.Model):
    """A Django user's role in one simulated company."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sim_memberships"
    )
    company = models.ForeignKey(SimCompany, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=30, choices=SimRole.choices)

    class Meta:
        ordering = ["company__name", "user__username", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "company", "role"], name="sim_membership_unique_role"),
            models.CheckConstraint(
                condition=models.Q(role__in=SimRole.values), name="sim_membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} is {self.get_role_display()} of {self.company}"


class SeenNonce(models.Model):
    """A request nonce already used under a key id; the unique constraint refuses a replay."""

    key_id = models.CharField(max_length=9)
    nonce = models.CharField(max_length=200)
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key_id", "nonce"], name="sim_nonce_unique")]

    def __str__(self) -> str:
        return f"{self.key_id}:{self.nonce}"


class AutoPayStatus(models.TextChoices):
    # Labels marked, not translated: the API's error texts name them in English; the pages translate them.
    NEW = "new", gettext_noop("New")
    PENDING_SIGNING = "pending_signing", gettext_noop("Pending signing")
    APPROVED = "approved", gettext_noop("Approved")
    SENT_TO_BANK = "sent_to_bank", gettext_noop("Sent to bank")
    ACCEPTED_BY_BANK = "accepted_by_bank", gettext_noop("Accepted by bank")
    REJECTED_IN_BANK = "rejected_in_bank", gettext_noop("Rejected in bank")
    CANCELLED = "cancelled", gettext_noop("Cancelled")
    CANCELLED_IN_BANK = "cancelled_in_bank", gettext_noop("Cancelled in bank")
    PAID = "paid", gettext_noop("Paid")
    ERROR = "error", gettext_noop("Error")


# The one status table of docs/autopay-wire.md: AutoPay status → the ERP line status sent as `erp_status`.
ERP_STATUS_BY_AUTOPAY_STATUS: dict[str, int] = {
    AutoPayStatus.NEW: 2,
    AutoPayStatus.PENDING_SIGNING: 2,
    AutoPayStatus.APPROVED: 3,
    AutoPayStatus.SENT_TO_BANK: 3,
    AutoPayStatus.ACCEPTED_BY_BANK: 3,
    AutoPayStatus.REJECTED_IN_BANK: 7,
    AutoPayStatus.CANCELLED: 4,
    AutoPayStatus.CANCELLED_IN_BANK: 4,
    AutoPayStatus.PAID: 5,
    AutoPayStatus.ERROR: 7,
}

# Statuses in which the bank does not have the payment yet: it can still be cancelled or amended.
BEFORE_BANK = frozenset({AutoPayStatus.NEW, AutoPayStatus.PENDING_SIGNING, AutoPayStatus.APPROVED})
AWAITING_APPROVAL = frozenset({AutoPayStatus.NEW, AutoPayStatus.PENDING_SIGNING})


class Payment(models.Model):
    """One uploaded payment (one pain.001 PmtInf) of a company."""

    company = models.ForeignKey(SimCompany, on_delete=models.PROTECT, related_name="payments")
    agreement = models.ForeignKey(BankAgreement, on_delete=models.PROTECT, related_name="payments")
    reference = models.CharField(max_length=20, unique=True)
    payment_id = models.CharField("PmtInfId", max_length=35)
    message_id = models.CharField("MsgId", max_length=35)
    document_sha256 = models.CharField(max_length=64)
    document = models.BinaryField()
    requested_date = models.DateField()
    currency = models.CharField(max_length=3, default="NOK")
    status = models.CharField(max_length=20, choices=AutoPayStatus.choices, default=AutoPayStatus.NEW)
    uploaded_at = models.DateTimeField()
    approved_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    sent_to_bank_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_date", "reference"]
        constraints = [
            models.UniqueConstraint(fields=["company", "payment_id"], name="sim_payment_unique_pmtinfid"),
            models.CheckConstraint(
                condition=models.Q(status__in=AutoPayStatus.values), name="sim_payment_status"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.company.org_no} {self.payment_id})"

    def can_approve(self) -> bool:
        return self.status in AWAITING_APPROVAL

    def can_cancel(self) -> bool:
        return self.status in BEFORE_BANK

    def can_amend(self) -> bool:
        # Only before the first approval: a second approver must sign what the first one saw.
        return self.status == AutoPayStatus.NEW


class PaymentLine(models.Model):
    """One credit transfer (CdtTrfTxInf) of a payment, with its own AutoPay status."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="lines")
    end_to_end_id = models.CharField(max_length=35)
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    currency = models.CharField(max_length=3, default="NOK")
    creditor_name = models.CharField(max_length=140, blank=True, default="")
    creditor_account = models.CharField(max_length=34)
    kid = models.CharField(max_length=35, blank=True, default="")
    message = models.CharField(max_length=140, blank=True, default="")
    status = models.CharField(max_length=20, choices=AutoPayStatus.choices, default=AutoPayStatus.NEW)
    amount_paid = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    value_date = models.DateField(null=True, blank=True)
    bank_reference = models.CharField(max_length=40, blank=True, default="")
    reason = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["payment", "id"]
        constraints = [
            models.UniqueConstraint(fields=["payment", "end_to_end_id"], name="sim_line_unique_e2e"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="sim_line_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(status__in=AutoPayStatus.values), name="sim_line_status"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payment.reference}/{self.end_to_end_id}"

    def reason_label(self) -> str:
        """The reason the simulator wrote, in the active language."""
        return detail_label(self.reason)


class PaymentEvent(models.Model):
    """Something that happened to a payment or one of its lines: who, when, what and why."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="events")
    line = models.ForeignKey(
        PaymentLine, on_delete=models.CASCADE, related_name="events", null=True, blank=True
    )
    kind = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, blank=True, default="")
    to_status = models.CharField(max_length=20, blank=True, default="")
    actor = models.CharField(max_length=150, help_text="A username, 'erp' or 'bank'.")
    at = models.DateTimeField()
    details = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.payment.reference} {self.kind} by {self.actor} at {self.at:%Y-%m-%d %H:%M}"

    def kind_label(self) -> str:
        """What happened, in the active language (the stored kind when it has no label)."""
        return str(EVENT_KIND_LABELS.get(self.kind, self.kind))

    def details_label(self) -> str:
        """The details in the active language, amounts and dates in its format."""
        if self.kind == "amount_reduced":
            line, _sep, change = self.details.rpartition(": ")
            amounts = _changed(change, _amount_shown)
            return f"{line}: {amounts}" if line and amounts else self.details
        if self.kind == "date_changed":
            return _changed(self.details, _date_shown) or self.details
        return detail_label(self.details)

    def from_label(self) -> str:
        return _status_label(self.from_status)

    def to_label(self) -> str:
        return _status_label(self.to_status)


# The kinds of payment events the simulator's services write, as its pages name them.
EVENT_KIND_LABELS = {
    "uploaded": gettext_lazy("Uploaded"),
    "status": gettext_lazy("Payment status"),
    "line_status": gettext_lazy("Line status"),
    "approval": gettext_lazy("Approval"),
    "amount_reduced": gettext_lazy("Amount reduced"),
    "date_changed": gettext_lazy("Date changed"),
}


# What the simulator's services write as a line's reason or an event's details, kept as written (a line's
# reason travels to the ERP in its messages) and shown in the active language.
REASON_STOPPED = "stopped account"
REASON_CLOSED = "closed account"
REASON_INVALID_KID = "invalid KID"
REASON_RANDOM = "rejected by the bank"
REASON_CANCELLED = "Cancelled"
REASON_CANCELLED_IN_AUTOPAY = "Cancelled in AutoPay"
REASON_CANCELLED_BY_ERP = "Cancelled by the ERP"
DETAILS_WITH_TWO_FACTOR = "with two-factor"
DETAIL_LABELS = {
    REASON_CANCELLED: gettext_lazy("Cancelled"),
    REASON_CANCELLED_IN_AUTOPAY: gettext_lazy("Cancelled in AutoPay"),
    REASON_CANCELLED_BY_ERP: gettext_lazy("Cancelled by the ERP"),
    REASON_STOPPED: gettext_lazy("stopped account"),
    REASON_CLOSED: gettext_lazy("closed account"),
    REASON_INVALID_KID: gettext_lazy("invalid KID"),
    REASON_RANDOM: gettext_lazy("rejected by the bank"),
    DETAILS_WITH_TWO_FACTOR: gettext_lazy("with two-factor"),
}
_APPROVERS = re.compile(r"^([0-9]{1,4}) of ([0-9]{1,4}) approvers$")


def approvers_detail(*, signed: int, required: int) -> str:
    """An approval's details as stored: how many of the approvers needed have signed."""
    return f"{signed:d} of {required:d} approvers"


def detail_label(text: str) -> str:
    """A reason or details the simulator wrote, in the active language; any other text as it is."""
    label = DETAIL_LABELS.get(text)
    if label is not None:
        return str(label)
    approvers = _APPROVERS.match(text)
    if approvers:
        return gettext("%(signed)s of %(required)s approvers") % {
            "signed": approvers[1],
            "required": approvers[2],
        }
    return text


def _changed(text: str, shown: Callable[[str], str]) -> str:
    """ "old → new" as the active language writes both; empty when either is not what `shown` reads."""
    old, sep, new = text.partition(" → ")
    try:
        return f"{shown(old)} → {shown(new)}" if sep else ""
    except (ValueError, ArithmeticError):
        return ""


def _amount_shown(text: str) -> str:
    return formats.number_format(Decimal(text), 2, use_l10n=True, force_grouping=True)


def _date_shown(text: str) -> str:
    return formats.date_format(datetime.date.fromisoformat(text), "SHORT_DATE_FORMAT")


def _status_label(code: str) -> str:
    """An AutoPay status code as its label in the active language; another text as it is."""
    if code in AutoPayStatus.values:
        return gettext(AutoPayStatus(code).label)
    return code


class Approval(models.Model):
    """One approver's signature on a payment; two distinct ones when the agreement needs two."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="approvals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    with_two_factor = models.BooleanField(default=False)

    class Meta:
        ordering = ["at"]
        constraints = [models.UniqueConstraint(fields=["payment", "user"], name="sim_approval_one_per_user")]

    def __str__(self) -> str:
        return f"{self.payment.reference} approved by {self.user}"


class MessageType(models.TextChoices):
    LINE_STATUS = "line_status", "Line status"
    INCOMING_PAYMENT = "incoming_payment", "Incoming payment"
    APPROVAL_TOKEN = "approval_token", "Approval token"


class Message(models.Model):
    """One entry of a company's message feed, in seq order."""

    company = models.ForeignKey(SimCompany, on_delete=models.CASCADE, related_name="messages")
    seq = models.BigIntegerField()
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(max_length=20, choices=MessageType.choices)
    payload = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["company", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["company", "seq"], name="sim_message_unique_seq"),
            models.CheckConstraint(condition=models.Q(type__in=MessageType.values), name="sim_message_type"),
        ]

    def __str__(self) -> str:
        return f"{self.company.org_no} #{self.seq} {self.type}"


class ClosedAccount(models.Model):
    """An account the bank knows to be closed: a payment to it is rejected."""

    account = models.CharField(max_length=34, unique=True)
    closed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["account"]

    def __str__(self) -> str:
        return self.account


class StoppedAccount(models.Model):
    """An account the bank stops payments to (a fraud or sanctions list): a payment to it is cancelled."""

    account = models.CharField(max_length=34, unique=True)
    reason = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["account"]

    def __str__(self) -> str:
        return self.account
