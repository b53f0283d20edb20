from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from company.models import Company
from ledger.money import DEFAULT_CURRENCY, MoneyField


class AccountKind(models.TextChoices):
    ASSET = "asset", _("Asset")
    LIABILITY = "liability", _("Liability")
    EQUITY = "equity", _("Equity")
    INCOME = "income", _("Income")
    EXPENSE = "expense", _("Expense")


class AccountRole(models.TextChoices):
    NONE = "", "—"
    AP_CONTROL = "ap_control", _("Accounts payable control")
    AR_CONTROL = "ar_control", _("Accounts receivable control")
    BANK = "bank", _("Bank")
    SUSPENSE = "suspense", _("Suspense")
    PAYMENT_DIFFERENCES = "payment_diff", _("Payment differences")


UNIQUE_ROLES = [
    AccountRole.AP_CONTROL,
    AccountRole.AR_CONTROL,
    AccountRole.SUSPENSE,
    AccountRole.PAYMENT_DIFFERENCES,
]


class Account(models.Model):
    """A general-ledger account in a company's chart of accounts."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="accounts")
    number = models.CharField(max_length=10)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=AccountKind.choices)
    role = models.CharField(max_length=12, choices=AccountRole.choices, blank=True, default=AccountRole.NONE)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["company", "number"]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="account_unique_number"),
            models.UniqueConstraint(
                fields=["company", "role"],
                condition=Q(role__in=UNIQUE_ROLES),
                name="account_unique_control_role",
            ),
            models.CheckConstraint(condition=Q(kind__in=AccountKind.values), name="account_kind_valid"),
            models.CheckConstraint(condition=Q(role__in=AccountRole.values), name="account_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name} ({self.company.org_no})"


class Supplier(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="suppliers")
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    org_no = models.CharField(max_length=9, blank=True, default="")
    bank_account = models.CharField(max_length=34, blank=True, default="", help_text=_("BBAN or IBAN"))

    # Who changed what and when, bank account included: the duplicate-payment guard asks whether the account
    # changed lately (ledger.selectors.suppliers_bank_account_changed_since).
    history = HistoricalRecords()

    class Meta:
        ordering = ["company", "number"]
        constraints = [models.UniqueConstraint(fields=["company", "number"], name="supplier_unique_number")]

    def __str__(self) -> str:
        return f"{self.number} {self.name} ({self.company.org_no})"


class Customer(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="customers")
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    org_no = models.CharField(max_length=9, blank=True, default="")
    bank_account = models.CharField(max_length=34, blank=True, default="", help_text=_("BBAN or IBAN"))

    class Meta:
        ordering = ["company", "number"]
        constraints = [models.UniqueConstraint(fields=["company", "number"], name="customer_unique_number")]

    def __str__(self) -> str:
        return f"{self.number} {self.name} ({self.company.org_no})"


class OpenItemKind(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    SUPPLIER = "supplier", _("Supplier")


class OpenItemStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PARTIALLY_OPEN = "partially_open", _("Partially open")
    SETTLED = "settled", _("Settled")


class OpenItem(models.Model):
    """An invoice or credit note not yet fully paid.

    `amount` is signed in the item's own direction: positive for an invoice (the customer owes us, we owe the
    supplier), negative for a credit item (such as an overpayment). `remaining_amount` has the same sign and
    never passes zero: remaining = amount - sum of reconciliations.
    """

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="open_items")
    kind = models.CharField(max_length=8, choices=OpenItemKind.choices)
    # Each is NULL on the other kind's items: indexed only where set (partial indexes in Meta).
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="items", db_index=False
    )
    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, null=True, blank=True, related_name="items", db_index=False
    )
    invoice_no = models.CharField(max_length=30, blank=True, default="")
    kid = models.CharField("KID", max_length=25, blank=True, default="")
    currency = models.CharField(max_length=3, default=DEFAULT_CURRENCY)
    amount = MoneyField()
    remaining_amount = MoneyField()
    invoice_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=OpenItemStatus.choices, default=OpenItemStatus.OPEN)
    # A supplier item the accountant holds back: payment proposals leave it out, with the reason shown.
    # Database defaults too: the bulk paths (COPY of credit items, the benchmarks) write items without them.
    payment_blocked = models.BooleanField(_("payment blocked"), default=False, db_default=False)
    payment_block_reason = models.CharField(
        _("reason for the payment block"), max_length=200, blank=True, default="", db_default=""
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["company", "due_date", "id"]
        # No index may contain `status` or `remaining_amount` (nor use them in a condition): then settling an
        # item changes no indexed column, and PostgreSQL can update it in place (HOT) without touching any
        # index. The table's fillfactor (migration 0004) leaves room in each page for those new versions.
        indexes = [
            models.Index(fields=["company", "kid"], name="openitem_company_kid"),
            models.Index(fields=["company", "kind", "due_date"], name="openitem_company_kind_due"),
            models.Index(fields=["customer"], condition=Q(customer__isnull=False), name="openitem_customer"),
            models.Index(fields=["supplier"], condition=Q(supplier__isnull=False), name="openitem_supplier"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind=OpenItemKind.CUSTOMER, customer__isnull=False, supplier__isnull=True))
                | Q(kind=OpenItemKind.SUPPLIER, supplier__isnull=False, customer__isnull=True),
                name="openitem_party_matches_kind",
            ),
            models.CheckConstraint(condition=~Q(amount=0), name="openitem_amount_not_zero"),
            models.CheckConstraint(
                condition=Q(amount__gt=0, remaining_amount__gte=0, remaining_amount__lte=F("amount"))
                | Q(amount__lt=0, remaining_amount__lte=0, remaining_amount__gte=F("amount")),
                name="openitem_remaining_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(status=OpenItemStatus.SETTLED, remaining_amount=0)
                | Q(status=OpenItemStatus.OPEN, remaining_amount=F("amount"))
                | (
                    Q(status=OpenItemStatus.PARTIALLY_OPEN)
                    & ~Q(remaining_amount=0)
                    & ~Q(remaining_amount=F("amount"))
                ),
                name="openitem_status_matches_remaining",
            ),
            models.UniqueConstraint(
                fields=["company", "customer", "invoice_no"],
                condition=Q(kind=OpenItemKind.CUSTOMER) & ~Q(invoice_no=""),
                name="openitem_unique_customer_invoice",
            ),
            models.UniqueConstraint(
                fields=["company", "supplier", "invoice_no"],
                condition=Q(kind=OpenItemKind.SUPPLIER) & ~Q(invoice_no=""),
                name="openitem_unique_supplier_invoice",
            ),
            models.CheckConstraint(
                condition=Q(payment_blocked=False, payment_block_reason="")
                | (Q(payment_blocked=True) & ~Q(payment_block_reason="")),
                name="openitem_payment_block_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} item {self.invoice_no or self.pk} {self.amount} {self.currency}"

    def is_settled(self) -> bool:
        return self.remaining_amount == 0


class VoucherSeries(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="voucher_series")
    code = models.CharField(max_length=10)
    name = models.CharField(max_length=100)
    next_number = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["company", "code"]
        verbose_name_plural = "voucher series"
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="voucherseries_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name} ({self.company.org_no})"


# How the sources that write batches are shown.
BATCH_SOURCE_LABELS = {
    "manual": _("manual"),
    "settlement": _("outgoing payments"),
    "incoming": _("incoming payments"),
}


class Batch(models.Model):
    """A journal batch: the vouchers one posting run wrote together."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="batches")
    description = models.CharField(max_length=200)
    source = models.CharField(
        max_length=30, default="manual", help_text=_("What wrote it: manual, settlement, …")
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["company", "-created_at"]
        verbose_name_plural = "batches"

    def __str__(self) -> str:
        return f"Batch {self.pk} {self.description} ({self.company.org_no})"

    def source_label(self) -> str:
        """What wrote it, in the user's language (the code itself for a source without a label)."""
        return str(BATCH_SOURCE_LABELS.get(self.source, self.source))


class Voucher(models.Model):
    """A posted voucher. Immutable once written; corrected only by a reversing voucher."""

    # No foreign-key constraints in the database for company, batch and series (since migration 0006): the
    # statement-level trigger `ledger_voucher_parents` refuses a voucher whose company, series or batch does
    # not exist or whose series or batch is another company's, and the `ledger_*_referenced_*` triggers refuse
    # deleting a row that vouchers refer to, or changing its id (docs/ledger.md).
    # company and series have no index of their own: (company, date) and (series, number) lead with them.
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="vouchers", db_constraint=False, db_index=False
    )
    batch = models.ForeignKey(
        Batch, on_delete=models.PROTECT, null=True, blank=True, related_name="vouchers", db_constraint=False
    )
    series = models.ForeignKey(
        VoucherSeries,
        on_delete=models.PROTECT,
        related_name="vouchers",
        db_constraint=False,
        db_index=False,
    )
    number = models.PositiveIntegerField()
    date = models.DateField()
    description = models.CharField(max_length=200, blank=True, default="")
    posted_at = models.DateTimeField()
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )

    class Meta:
        ordering = ["company", "-date", "-number"]
        constraints = [models.UniqueConstraint(fields=["series", "number"], name="voucher_unique_number")]
        indexes = [models.Index(fields=["company", "date"], name="voucher_company_date")]

    def __str__(self) -> str:
        return f"Voucher {self.series.code}-{self.number} {self.date} ({self.company.org_no})"


class JournalLine(models.Model):
    """One line of a voucher. `amount` is signed: debit positive, credit negative."""

    # No foreign-key constraints in the database (since migrations 0005 and 0006): the statement-level trigger
    # `ledger_journalline_balanced` refuses a line whose voucher, account or party does not exist or is of
    # another company than the voucher, and the `ledger_*_referenced_*` triggers refuse deleting a row that
    # lines refer to, or changing its id (docs/ledger.md).
    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="lines", db_constraint=False)
    # A copy of the voucher's company.
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="journal_lines", db_constraint=False
    )
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="journal_lines", db_constraint=False
    )
    amount = MoneyField()
    currency = models.CharField(max_length=3, default=DEFAULT_CURRENCY)
    description = models.CharField(max_length=200, blank=True, default="")
    # Mostly NULL (only control-account lines name a party): indexed only where set.
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    supplier = models.ForeignKey(
        Supplier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        ordering = ["voucher", "id"]
        indexes = [
            models.Index(
                fields=["customer"], condition=Q(customer__isnull=False), name="journalline_customer"
            ),
            models.Index(
                fields=["supplier"], condition=Q(supplier__isnull=False), name="journalline_supplier"
            ),
        ]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="journalline_amount_not_zero")]

    def __str__(self) -> str:
        return f"Line {self.pk} {self.account.number} {self.amount}"


class Reconciliation(models.Model):
    """Part of a journal line that pays an open item. `amount` has the sign of the item's amount."""

    # No foreign-key constraints in the database (since migrations 0005 and 0006): the statement-level
    # triggers `ledger_reconciliation_company_insert` / `_update` refuse a reconciliation whose item, line or
    # credit item does not exist or is of another company, and the `ledger_*_referenced_*` triggers refuse
    # deleting a row that reconciliations refer to, or changing its id (docs/ledger.md).
    # A copy of the item's company.
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="reconciliations", db_constraint=False
    )
    open_item = models.ForeignKey(
        OpenItem, on_delete=models.PROTECT, related_name="reconciliations", db_constraint=False
    )
    journal_line = models.ForeignKey(
        JournalLine, on_delete=models.PROTECT, related_name="reconciliations", db_constraint=False
    )
    amount = MoneyField()
    created_at = models.DateTimeField()
    # An overpayment: the part of the payment beyond the item's remainder became this credit item.
    overpayment_item = models.OneToOneField(
        OpenItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="overpayment_of",
        db_constraint=False,
    )

    class Meta:
        ordering = ["company", "-created_at", "id"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="reconciliation_amount_not_zero")]

    def __str__(self) -> str:
        return f"Reconciliation {self.pk}: {self.amount} of item {self.open_item_id}"


class PeriodLock(models.Model):
    """Postings dated on or before `locked_through` are refused for this company."""

    company = models.OneToOneField(Company, on_delete=models.PROTECT, related_name="period_lock")
    locked_through = models.DateField()

    def __str__(self) -> str:
        return f"{self.company.org_no} locked through {self.locked_through}"
