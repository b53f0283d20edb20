"""Factoring companies (KID definitions), imports of bank files and incoming payments.

An incoming payment is the bank's record of money in; the bank's own identity of it (credited account,
archive reference, date, amount, direction) is unique across every source, so no payment is taken twice.
"""

import functools

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from company.models import Company
from ledger import models as ledger_models
from ledger.money import DEFAULT_CURRENCY, MoneyField


class FactoringProcessing(models.IntegerChoices):
    NONE = 0, _("None")
    OCR_KID = 1, _("OCR/KID")


class FactoringCompany(models.Model):
    """A KID definition of Visma Business's Factoring company table: how to read the KIDs paid to one account.

    `factoring_id` is "a;b": the 1-based start positions of the customer number and of the invoice number in
    the KID, 0 for not used; "0;0" matches the whole KID against an open item's KID.
    """

    # gl_account and voucher_series have no foreign-key constraint in the database, as the ledger's own tables
    # (docs/ledger.md): a constraint would stop the ledger's TRUNCATE guards from speaking first. The services
    # check both on every save, and PROTECT keeps the ORM from deleting them.

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="factoring_companies")
    number = models.PositiveIntegerField(_("Factoring company no./KID def."))
    name = models.CharField(_("name"), max_length=100, blank=True, default="")
    processing = models.PositiveSmallIntegerField(
        _("Factoring processing"), choices=FactoringProcessing.choices, default=FactoringProcessing.OCR_KID
    )
    factoring_id = models.CharField(
        _("Factoring ID"),
        max_length=10,
        default="0;0",
        help_text=_("'a;b': start positions of customer no. and invoice no. in the KID; '0;0' = whole KID."),
    )
    payment_processing = models.PositiveSmallIntegerField(_("Payment processing"), default=0)
    kid_customer_digits = models.PositiveSmallIntegerField(_("KID customer/supplier digits"), default=0)
    kid_reference_digits = models.PositiveSmallIntegerField(_("KID reference no. digits"), default=0)
    bank_account = models.CharField(
        _("Bank account"), max_length=34, help_text=_("The account as it appears on incoming payments.")
    )
    gl_account = models.ForeignKey(
        ledger_models.Account,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        verbose_name=_("OCR bank account no."),
        help_text=_("The general-ledger bank account debited."),
    )
    voucher_series = models.ForeignKey(
        ledger_models.VoucherSeries,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        verbose_name=_("Voucher series no."),
    )
    write_off_tolerance = MoneyField(
        _("write-off tolerance"),
        default=0,
        help_text=_("A difference up to this amount is posted to payment differences and closes the item."),
    )

    class Meta:
        ordering = ["company", "number"]
        verbose_name = _("factoring company")
        verbose_name_plural = _("factoring companies")
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="factoringcompany_unique_number"),
            models.UniqueConstraint(
                fields=["company", "bank_account"], name="factoringcompany_unique_bank_account"
            ),
            models.CheckConstraint(
                condition=Q(write_off_tolerance__gte=0), name="factoringcompany_tolerance_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.bank_account} ({self.company.org_no})"

    def positions(self) -> tuple[int, int]:
        """Return the start positions (customer no, invoice no) of `factoring_id`; (0, 0) if unreadable."""
        return _positions(self.factoring_id)


@functools.lru_cache(maxsize=256)
def _positions(factoring_id: str) -> tuple[int, int]:
    # Asked once per payment of an import: read once per distinct value.
    try:
        first, second = (int(part) for part in factoring_id.split(";"))
    except ValueError:
        return (0, 0)
    return (first, second)


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class IncomingImport(models.Model):
    """One bank file imported for a company: all of it, or (failed) none of it."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="incoming_imports")
    filename = models.CharField(_("file name"), max_length=255)
    content_hash = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    format = models.CharField(_("format"), max_length=10, blank=True, default="")
    version = models.CharField(_("version"), max_length=20, blank=True, default="")
    file_reference = models.CharField(_("file reference"), max_length=100, blank=True, default="")
    status = models.CharField(
        _("status"), max_length=8, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    error = models.TextField(_("error"), blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # The file's own control totals, and what the import made of it.
    file_payment_count = models.PositiveIntegerField(_("payments in file"), default=0)
    file_total_amount = MoneyField(_("file total"), default=0)
    payments_read = models.PositiveIntegerField(_("payments read"), default=0)
    imported_count = models.PositiveIntegerField(_("imported"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    skipped_amount = MoneyField(_("skipped amount"), default=0)
    stored_path = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["company", "-created_at", "-id"]
        verbose_name = _("incoming file import")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "content_hash"],
                condition=Q(status="done"),
                name="incomingimport_unique_file",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values), name="incomingimport_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Import {self.pk} {self.filename} ({self.company.org_no})"

    def can_run(self) -> bool:
        return self.status == ImportStatus.QUEUED


class Source(models.TextChoices):
    FILE = "file", _("File")
    AUTOPAY = "autopay", _("AutoPay")


class Result(models.TextChoices):
    MATCHED = "matched", _("Matched")
    PARTIAL = "partial", _("Partial")
    OVER = "over", _("Overpaid")
    ON_ACCOUNT = "on_account", _("On account")
    UNMATCHED = "unmatched", _("Unmatched")
    REVERSED = "reversal", _("Reversal")


class Rule(models.TextChoices):
    KID_POSITIONS = "kid_positions", _("KID: customer and invoice by position")
    KID_ITEM = "kid_item", _("KID: open item's KID")
    MESSAGE_INVOICE = "message_invoice", _("Invoice number in the message")
    PAYER_ACCOUNT = "payer_account", _("Payer's account")
    REVERSAL = "reversal", _("Reversal of an earlier payment")
    NONE = "none", _("No rule matched")


class AllocationState(models.TextChoices):
    DONE = "done", _("Allocated")
    OPEN = "open", _("To allocate")


class IncomingPayment(models.Model):
    """One payment received, from a file or from AutoPay, as interpreted and posted."""

    # The relations of incoming payments have no foreign-key constraints: one trigger per statement checks
    # them, and guards on the referenced tables refuse deleting what a payment names (migration 0003).
    # No index of its own: (company, allocation) leads with it.
    company = models.ForeignKey(
        Company,
        on_delete=models.PROTECT,
        related_name="incoming_payments",
        db_constraint=False,
        db_index=False,
    )
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    file_import = models.ForeignKey(
        IncomingImport,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        db_constraint=False,
        db_index=False,  # the unique (file_import, line_no) leads with it
    )
    line_no = models.PositiveIntegerField(_("line"), null=True, blank=True)
    # Unique where set (the constraint below): file payments, nearly all of them, add no index entry.
    autopay_message_id = models.UUIDField(null=True, blank=True)
    # No index: a definition is seldom deleted, and one index fewer per payment imported.
    definition = models.ForeignKey(
        FactoringCompany, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    credited_account = models.CharField(_("credited account"), max_length=34)
    archive_reference = models.CharField(_("archive reference"), max_length=50, blank=True, default="")
    booking_date = models.DateField(_("booking date"))
    value_date = models.DateField(_("value date"))
    amount = MoneyField(_("amount"), help_text=_("Always positive; a reversal has is_reversal set."))
    is_reversal = models.BooleanField(_("reversal"), default=False)
    currency = models.CharField(max_length=3, default=DEFAULT_CURRENCY)
    kid = models.CharField("KID", max_length=35, blank=True, default="")
    message = models.CharField(_("message"), max_length=500, blank=True, default="")
    payer_account = models.CharField(_("payer account"), max_length=34, blank=True, default="")
    payer_name = models.CharField(_("payer name"), max_length=140, blank=True, default="")
    bank_transaction_type = models.CharField(max_length=35, blank=True, default="")
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)
    rule = models.CharField(_("rule"), max_length=16, choices=Rule.choices)
    customer = models.ForeignKey(
        ledger_models.Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,  # the partial index below: unmatched payments have none
    )
    open_item = models.ForeignKey(
        ledger_models.OpenItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    voucher = models.ForeignKey(
        ledger_models.Voucher,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    # The line this payment credited (receivables or suspense), and the payment differences written off.
    journal_line = models.ForeignKey(
        ledger_models.JournalLine,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    credited_amount = MoneyField(_("credited"), default=0)
    difference_amount = MoneyField(_("difference written off"), default=0)
    # At most one reversal per payment (the constraint below, on the reversals alone).
    reverses = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by", db_index=False
    )
    allocation = models.CharField(
        _("allocation"), max_length=4, choices=AllocationState.choices, default=AllocationState.DONE
    )
    allocated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["company", "-value_date", "id"]
        verbose_name = _("incoming payment")
        indexes = [
            # The work list: only the payments still to allocate (a few per cent) are in the index.
            models.Index(
                fields=["company", "allocation"],
                condition=Q(allocation="open"),
                name="incomingpayment_allocation",
            ),
            models.Index(fields=["company", "value_date"], name="incomingpayment_company_date"),
            models.Index(fields=["credited_account", "kid"], name="incomingpayment_account_kid"),
            models.Index(
                fields=["customer"], condition=Q(customer__isnull=False), name="incomingpayment_customer"
            ),
        ]
        constraints = [
            # The bank's identity of a payment: never taken twice, from any source.
            models.UniqueConstraint(
                fields=["credited_account", "archive_reference", "value_date", "amount", "is_reversal"],
                condition=~Q(archive_reference=""),
                name="incomingpayment_unique_bank_identity",
            ),
            models.UniqueConstraint(
                fields=["file_import", "line_no"],
                condition=Q(file_import__isnull=False),
                name="incomingpayment_unique_file_line",
            ),
            # Partial, so that the many payments without a message id or a reversal add no index entries.
            models.UniqueConstraint(
                fields=["autopay_message_id"],
                condition=Q(autopay_message_id__isnull=False),
                name="incomingpayment_unique_message",
            ),
            models.UniqueConstraint(
                fields=["reverses"],
                condition=Q(reverses__isnull=False),
                name="incomingpayment_unique_reversal",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="incomingpayment_amount_positive"),
            models.CheckConstraint(
                condition=Q(result__in=Result.values), name="incomingpayment_result_valid"
            ),
            models.CheckConstraint(
                condition=(Q(source="file", file_import__isnull=False, autopay_message_id__isnull=True))
                | Q(source="autopay", file_import__isnull=True, autopay_message_id__isnull=False),
                name="incomingpayment_source_matches",
            ),
        ]

    def __str__(self) -> str:
        return f"Incoming {self.pk} {self.amount} {self.currency} {self.value_date} ({self.result})"

    def can_allocate(self) -> bool:
        return self.allocation == AllocationState.OPEN


class IncomingPaymentEvent(models.Model):
    """What was done to an incoming payment after it was received (its allocation), by whom and when."""

    payment = models.ForeignKey(IncomingPayment, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=20)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["payment", "at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} of incoming payment {self.payment_id} at {self.at:%Y-%m-%d %H:%M}"


class SkippedPayment(models.Model):
    """A payment of a file that an earlier import or AutoPay had already taken."""

    file_import = models.ForeignKey(IncomingImport, on_delete=models.CASCADE, related_name="skipped")
    line_no = models.PositiveIntegerField(_("line"))
    archive_reference = models.CharField(_("archive reference"), max_length=50)
    amount = MoneyField(_("amount"))
    value_date = models.DateField(_("value date"))
    earlier = models.ForeignKey(IncomingPayment, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["file_import", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["file_import", "line_no"], name="skippedpayment_unique_line")
        ]

    def __str__(self) -> str:
        return f"Skipped line {self.line_no} of import {self.file_import_id}"
