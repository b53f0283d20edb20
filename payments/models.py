"""Payment proposals, payments and their lines: what the ERP pays through AutoPay.

A payment is one AutoPay upload: the lines of one company, bank partner, currency and payment date. Its status
follows its lines (ARCHITECTURE.md, "Statuses"); the AutoPay-side statuses map onto the line statuses in
`autopay_client.statuses`, the one table of that mapping.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from autopay_client.statuses import ErpLineStatus
from company.models import BankPartner, Company
from ledger.models import OpenItem, Supplier, Voucher
from ledger.money import DEFAULT_CURRENCY, MoneyField


class PaymentStatus(models.IntegerChoices):
    PROPOSAL = 1, _("1 Proposal")
    TRANSFERRED = 2, _("2 Transferred")
    TRANSFERRED_WITH_REJECTIONS = 3, _("3 Transferred with rejections")
    REJECTED = 10, _("10 Rejected")


class LineStatus(models.IntegerChoices):
    PROPOSAL = ErpLineStatus.PROPOSAL.value, _("1 Proposal")
    TRANSFERRED = ErpLineStatus.TRANSFERRED.value, _("2 Transferred")
    ACKNOWLEDGED = ErpLineStatus.ACKNOWLEDGED.value, _("3 Acknowledged")
    CANCELLED = ErpLineStatus.CANCELLED.value, _("4 Cancelled")
    SETTLED = ErpLineStatus.SETTLED.value, _("5 Settled")
    POSTED = ErpLineStatus.POSTED.value, _("6 Posted")
    REJECTED = ErpLineStatus.REJECTED.value, _("7 Rejected")


# A line in one of these statuses holds its open item: no second line may pay the same item meanwhile.
LINE_STATUSES_HOLDING_ITEM = [
    LineStatus.PROPOSAL,
    LineStatus.TRANSFERRED,
    LineStatus.ACKNOWLEDGED,
    LineStatus.SETTLED,
]
LINE_STATUSES_FINAL = [LineStatus.CANCELLED, LineStatus.POSTED, LineStatus.REJECTED]


class LinePhase(models.IntegerChoices):
    """What a line's status means for its item and the work lists; stored beside the status, and indexed.

    No index names the status itself: the status steps AutoPay reports within one phase (2 Transferred →
    3 Acknowledged) then change no indexed value, so that PostgreSQL writes the line's new version in its own
    page without new index entries (a heap-only update), which halves what a poll writes for a line.
    """

    ENDED = 0, _("Ended (item free)")
    PROPOSAL = 1, _("Proposal")
    AT_AUTOPAY = 2, _("At AutoPay")
    SETTLED = 5, _("Settled, not posted")
    POSTED = 6, _("Posted")


# The phase of each status (`PaymentLine.phase`).
LINE_PHASE_OF_STATUS = {
    LineStatus.PROPOSAL: LinePhase.PROPOSAL,
    LineStatus.TRANSFERRED: LinePhase.AT_AUTOPAY,
    LineStatus.ACKNOWLEDGED: LinePhase.AT_AUTOPAY,
    LineStatus.CANCELLED: LinePhase.ENDED,
    LineStatus.SETTLED: LinePhase.SETTLED,
    LineStatus.POSTED: LinePhase.POSTED,
    LineStatus.REJECTED: LinePhase.ENDED,
}
# The phases of LINE_STATUSES_HOLDING_ITEM.
LINE_PHASES_HOLDING_ITEM = [LinePhase.PROPOSAL, LinePhase.AT_AUTOPAY, LinePhase.SETTLED]


def _line_phase_expression() -> models.Case:
    return models.Case(
        *(
            models.When(
                status__in=[s for s, p in LINE_PHASE_OF_STATUS.items() if p == phase],
                then=models.Value(phase.value),
            )
            for phase in LinePhase
        ),
        default=models.Value(LinePhase.ENDED.value),
    )


class PaymentNumberSeries(models.Model):
    """The gap-free series of payment numbers of one company: the next number to give out."""

    company = models.OneToOneField(Company, on_delete=models.PROTECT, related_name="payment_number_series")
    next_number = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("payment number series")
        verbose_name_plural = _("payment number series")

    def __str__(self) -> str:
        return f"{self.company.org_no}: next payment number {self.next_number}"


class Payment(models.Model):
    """One payment to AutoPay: lines of one company, bank partner, currency and payment date."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="payments")
    number = models.PositiveIntegerField(_("payment number"))
    bank_partner = models.ForeignKey(BankPartner, on_delete=models.PROTECT, related_name="payments")
    currency = models.CharField(_("currency"), max_length=3, default=DEFAULT_CURRENCY)
    payment_date = models.DateField(_("payment date"))
    status = models.PositiveSmallIntegerField(
        _("status"), choices=PaymentStatus.choices, default=PaymentStatus.PROPOSAL
    )
    # The sum of the lines' amounts, kept by the services that change lines.
    total = MoneyField(_("total"), default=0)
    # The pain.001.001.09 document exactly as sent (or about to be sent) to AutoPay, and its SHA-256: stored
    # before the first attempt, so that a retry after a time-out or a crash sends the very same bytes.
    document = models.TextField(_("pain.001 document"), blank=True, default="", editable=False)
    document_sha256 = models.CharField(max_length=64, blank=True, default="", editable=False)
    autopay_reference = models.CharField(_("AutoPay reference"), max_length=64, blank=True, default="")
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    upload_started_at = models.DateTimeField(_("upload started at"), null=True, blank=True)
    transferred_at = models.DateTimeField(_("transferred at"), null=True, blank=True)
    transferred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["company", "-number"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="payment_unique_number"),
            models.CheckConstraint(condition=Q(status__in=PaymentStatus.values), name="payment_status_valid"),
            models.CheckConstraint(condition=Q(total__gte=0), name="payment_total_not_negative"),
        ]
        indexes = [models.Index(fields=["company", "status", "payment_date"], name="payment_company_status")]

    def __str__(self) -> str:
        return f"Payment {self.number} {self.payment_date} ({self.company.org_no})"

    def can_change(self) -> bool:
        """Only a proposal (status 1) may be edited, deleted or uploaded."""
        return self.status == PaymentStatus.PROPOSAL and self.transferred_at is None

    def can_edit(self) -> bool:
        """A proposal whose document is not yet stored: once it is, a retry must send those very bytes."""
        return self.can_change() and self.upload_started_at is None


class PaymentLine(models.Model):
    """One transfer to a supplier, paying one open supplier item."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="lines")
    # A copy of the payment's company, for scoping and for the constraints below. Company and supplier have no
    # index of their own: (company, phase), (company, end_to_end_id) and (supplier, amount) lead with them,
    # and every index is one more write for each status a line takes.
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="payment_lines", db_index=False
    )
    open_item = models.ForeignKey(OpenItem, on_delete=models.PROTECT, related_name="payment_lines")
    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="payment_lines", db_index=False
    )
    amount = MoneyField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, default=DEFAULT_CURRENCY)
    status = models.PositiveSmallIntegerField(
        _("status"), choices=LineStatus.choices, default=LineStatus.PROPOSAL
    )
    # Derived from the status by the database (LinePhase): the guard and the work lists are indexed by it.
    phase = models.GeneratedField(
        expression=_line_phase_expression(),
        output_field=models.PositiveSmallIntegerField(choices=LinePhase.choices),
        db_persist=True,
        verbose_name=_("phase"),
    )
    creditor_account = models.CharField(_("creditor account"), max_length=34)
    kid = models.CharField(_("KID"), max_length=25, blank=True, default="")
    message = models.CharField(_("message"), max_length=140, blank=True, default="")
    # The line's id on the wire (pain.001 EndToEndId); unique per company.
    end_to_end_id = models.CharField(max_length=35)
    # What AutoPay reported last: its own status code, the reason, and on payment the amount actually paid,
    # the value date and the bank's reference.
    autopay_status = models.CharField(_("AutoPay status"), max_length=24, blank=True, default="")
    reason = models.CharField(_("reason"), max_length=500, blank=True, default="")
    amount_paid = MoneyField(_("amount paid"), null=True, blank=True)
    value_date = models.DateField(_("value date"), null=True, blank=True)
    bank_reference = models.CharField(_("bank reference"), max_length=64, blank=True, default="")
    status_changed_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)
    voucher = models.ForeignKey(
        Voucher, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_constraint=False
    )

    class Meta:
        ordering = ["payment", "id"]
        verbose_name = _("payment line")
        verbose_name_plural = _("payment lines")
        constraints = [
            models.UniqueConstraint(fields=["company", "end_to_end_id"], name="paymentline_unique_e2e"),
            # The database's own guard against paying one invoice twice at the same time.
            # By phase, not status (the same lines): see LinePhase.
            models.UniqueConstraint(
                fields=["open_item"],
                condition=Q(phase__in=LINE_PHASES_HOLDING_ITEM),
                name="paymentline_one_active_line_per_item",
            ),
            models.CheckConstraint(
                condition=Q(status__in=LineStatus.values), name="paymentline_status_valid"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="paymentline_amount_positive"),
            models.CheckConstraint(
                condition=Q(amount_paid__isnull=True) | Q(amount_paid__gte=0),
                name="paymentline_paid_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(status=LineStatus.POSTED) | Q(voucher__isnull=False),
                name="paymentline_posted_has_voucher",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "phase"], name="paymentline_company_phase"),
            models.Index(fields=["supplier", "amount"], name="paymentline_supplier_amount"),
        ]

    def __str__(self) -> str:
        return f"Line {self.end_to_end_id} {self.amount} {self.currency} ({self.company.org_no})"

    def holds_item(self) -> bool:
        return self.status in LINE_STATUSES_HOLDING_ITEM

    def is_final(self) -> bool:
        return self.status in LINE_STATUSES_FINAL


class FlagKind(models.TextChoices):
    DUPLICATE = "duplicate", _("Possible duplicate payment")
    BANK_ACCOUNT_CHANGED = "bank_account_changed", _("Supplier's bank account changed lately")


class PaymentLineFlag(models.Model):
    """A warning on a line that stops its payment's upload until an approver overrides it with a reason."""

    line = models.ForeignKey(PaymentLine, on_delete=models.CASCADE, related_name="flags")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=24, choices=FlagKind.choices)
    detail = models.CharField(_("detail"), max_length=500)
    # The earlier line this one may duplicate, when the flag is a duplicate.
    other_line = models.ForeignKey(
        PaymentLine, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    overridden_at = models.DateTimeField(_("overridden at"), null=True, blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    override_reason = models.CharField(_("override reason"), max_length=500, blank=True, default="")

    class Meta:
        ordering = ["line", "id"]
        verbose_name = _("payment line flag")
        verbose_name_plural = _("payment line flags")
        constraints = [
            models.UniqueConstraint(fields=["line", "kind"], name="paymentlineflag_unique_kind"),
            models.CheckConstraint(condition=Q(kind__in=FlagKind.values), name="paymentlineflag_kind_valid"),
            models.CheckConstraint(
                condition=Q(overridden_at__isnull=True, override_reason="")
                | (Q(overridden_at__isnull=False) & ~Q(override_reason="")),
                name="paymentlineflag_override_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on line {self.line_id}"

    def is_open(self) -> bool:
        return self.overridden_at is None


class PaymentEventKind(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    LINE_REMOVED = "line_removed", _("Line removed")
    AMOUNT_REDUCED = "amount_reduced", _("Amount reduced")
    DATE_CHANGED = "date_changed", _("Payment date changed")
    FLAG_OVERRIDDEN = "flag_overridden", _("Flag overridden")
    UPLOAD_STARTED = "upload_started", _("Upload started")
    UPLOADED = "uploaded", _("Uploaded to AutoPay")
    UPLOAD_REFUSED = "upload_refused", _("Upload refused")
    STATUS_CHANGED = "status_changed", _("Status from AutoPay")
    POSTED = "posted", _("Posted")


class PaymentEvent(models.Model):
    """The history of a payment: who did what, when, with the details (append-only)."""

    # No foreign-key constraints: one trigger per statement checks the relations, and the referenced tables
    # refuse deleting what an event names (migration 0004).
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="events", db_constraint=False)
    line = models.ForeignKey(
        PaymentLine,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        db_constraint=False,
    )
    # No index of its own: (company, at) leads with it.
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    kind = models.CharField(_("event"), max_length=24, choices=PaymentEventKind.choices)
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,  # the partial index below: AutoPay's statuses, most events, have no actor
    )
    # What the event was about: e.g. {"from": 3, "to": 5, "statuses": [{"from": 3, "to": 5, "autopay_status":
    # "paid", "reason": "", "message_id": "…", "seq": 42, "amount_paid": "100.00"}]} (docs/outgoing.md).
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["payment", "at", "id"]
        verbose_name = _("payment event")
        verbose_name_plural = _("payment events")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=PaymentEventKind.values), name="paymentevent_kind_valid"
            )
        ]
        indexes = [
            models.Index(fields=["company", "at"], name="paymentevent_company_at"),
            models.Index(fields=["actor"], condition=Q(actor__isnull=False), name="paymentevent_actor"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of payment {self.payment_id} at {self.at:%Y-%m-%d %H:%M}"


class UploadRunStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Uploading")
    DONE = "done", _("Done")


class UploadRun(models.Model):
    """An upload of a large selection of payments in the background, and its progress payment by payment."""

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"))
    status = models.CharField(
        _("status"), max_length=8, choices=UploadRunStatus.choices, default=UploadRunStatus.PENDING
    )
    # The payment ids asked for, in order; those handled so far, the numbers uploaded and those refused
    # ({"payment", "number", "reason"}). A worker that starts again skips what is already handled.
    payment_ids = models.JSONField(default=list)
    handled_ids = models.JSONField(default=list)
    uploaded = models.JSONField(default=list)
    refused = models.JSONField(default=list)
    task_id = models.CharField(max_length=64, blank=True, default="")
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Where the upload was asked from, for the audit log of each payment the worker uploads.
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("upload run")
        verbose_name_plural = _("upload runs")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=UploadRunStatus.values), name="uploadrun_status_valid"
            )
        ]

    def __str__(self) -> str:
        return f"Upload run {self.pk} ({len(self.handled_ids)}/{len(self.payment_ids)})"

    def total(self) -> int:
        return len(self.payment_ids)

    def done(self) -> int:
        return len(self.handled_ids)

    def is_finished(self) -> bool:
        return self.status == UploadRunStatus.DONE
