from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from stdnum.no import orgnr

from company import validators


class Company(models.Model):
    """A company whose books this system keeps, and its AutoPay service agreement."""

    name = models.CharField(_("name"), max_length=200)
    org_no = models.CharField(
        _("org no (BsNo)"),
        max_length=9,
        unique=True,
        validators=[validators.validate_org_no],
        help_text=_("Norwegian organisation number, 9 digits."),
    )
    # The AutoPay signing key, Fernet-encrypted. Never read this column directly: company.crypto decrypts it.
    ap_sig_key_ciphertext = models.TextField(
        _("ApSigKey (encrypted)"), blank=True, default="", editable=False
    )
    autopay_key_id = models.CharField(
        _("AutoPay key id"), max_length=40, blank=True, default="", editable=False
    )
    autopay_activated_at = models.DateTimeField(
        _("AutoPay activated at"), null=True, blank=True, editable=False
    )
    two_factor_required = models.BooleanField(
        _("two-factor required"),
        default=True,
        help_text=_("Users must confirm with a one-time code to approve and pay."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["ap_sig_key_ciphertext"])

    class Meta:
        ordering = ["name"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(org_no__regex=r"^[0-9]{9}$"), name="company_org_no_digits"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.org_no})"

    def is_autopay_activated(self) -> bool:
        return self.autopay_activated_at is not None and bool(self.ap_sig_key_ciphertext)

    def formatted_org_no(self) -> str:
        return str(orgnr.format(self.org_no))


class Role(models.TextChoices):
    ACCOUNTANT = "accountant", _("Accountant")
    APPROVER = "approver", _("Approver")
    ADMINISTRATOR = "administrator", _("Administrator")


class Membership(models.Model):
    """A user's role in one company. A user sees only the companies it is a member of."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("company")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.ACCOUNTANT)

    history = HistoricalRecords()

    class Meta:
        ordering = ["company__name", "user__username", "role"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "company", "role"], name="membership_unique_role"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} is {self.get_role_display()} of {self.company}"


class EbfSystem(models.IntegerChoices):
    FILE_ONLY = 0, _("Other (file only)")
    VISMA_PAYMENT = 90, _("90 Visma Payment")
    AUTOPAY = 95, _("95 Visma.net AutoPay")
    EBF_96 = 96, "96"
    EBF_97 = 97, "97"
    EBF_98 = 98, "98"
    EBF_99 = 99, "99"


class BankPartner(models.Model):
    """A bank agreement of a company: the account payments are charged to and the GL account it posts to."""

    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="bank_partners", verbose_name=_("company")
    )
    name = models.CharField(_("name"), max_length=100)
    ebf_system = models.IntegerField(_("EBF system"), choices=EbfSystem.choices, default=EbfSystem.AUTOPAY)
    bank_account = models.CharField(
        _("charged bank account"),
        max_length=34,
        validators=[validators.validate_bank_account],
        help_text=_("Norwegian 11-digit account number (MOD11) or IBAN, without spaces."),
    )
    # An account number in the company's chart (ledger.Account.number). Kept as the number, as the ERP's
    # bank set-up does, so that the company layer does not depend on the ledger.
    gl_account_no = models.CharField(_("GL account"), max_length=10)
    # EBF processing options.
    ebf_post_settlement = models.BooleanField(
        _("generate batch/voucher lines for settlement from EBF system"),
        default=True,
        help_text=_(
            "Post settled payments automatically; otherwise they wait for 'create accounting batch'."
        ),
    )
    ebf_download_incoming = models.BooleanField(_("download incoming payments"), default=True)
    ebf_reconcile_incoming = models.BooleanField(_("reconcile incoming payments automatically"), default=True)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["company__name", "name"]
        verbose_name = _("bank partner")
        verbose_name_plural = _("bank partners")
        constraints = [
            models.UniqueConstraint(fields=["company", "bank_account"], name="bankpartner_unique_account"),
            models.CheckConstraint(
                condition=models.Q(ebf_system__in=EbfSystem.values), name="bankpartner_ebf_system_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(bank_account__regex=r"^([0-9]{11}|[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30})$"),
                name="bankpartner_bank_account_format",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.bank_account} ({self.company.org_no})"

    def is_autopay(self) -> bool:
        return self.ebf_system == EbfSystem.AUTOPAY


class AuditEventKind(models.TextChoices):
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOCKED_OUT = "locked_out", _("Locked out")
    TWO_FACTOR_ENROLLED = "two_factor_enrolled", _("Two-factor device enrolled")
    TWO_FACTOR_FAILED = "two_factor_failed", _("Two-factor code refused")
    AUTOPAY_ACTIVATED = "autopay_activated", _("AutoPay activated")
    KEYS_ROTATED = "keys_rotated", _("Encryption keys rotated")
    ROLE_GRANTED = "role_granted", _("Role granted")
    ROLE_CHANGED = "role_changed", _("Role changed")
    ROLE_REVOKED = "role_revoked", _("Role revoked")
    SUPPLIER_BANK_ACCOUNT_CHANGED = "supplier_bank_account_changed", _("Supplier bank account changed")
    PAYMENT_UPLOADED = "payment_uploaded", _("Payments uploaded")
    PAYMENT_FLAG_OVERRIDDEN = "payment_flag_overridden", _("Payment flag overridden")


class AuditEvent(models.Model):
    """One security event: who did what, when, from where. Append-only: database triggers refuse UPDATE,
    DELETE and TRUNCATE (migration 0002).

    The user and the company are kept by id without a database foreign key (and the username as it was), so
    that deleting a user or a company never needs to touch the log. The table is not managed by Django after
    its creation so that `flush` (test teardown) leaves it alone instead of failing on the trigger.
    """

    at = models.DateTimeField(_("at"), db_index=True)
    event = models.CharField(_("event"), max_length=40, choices=AuditEventKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("user"),
    )
    username = models.CharField(_("username"), max_length=150, blank=True, default="")
    company = models.ForeignKey(
        Company,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("company"),
    )
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        managed = False
        db_table = "company_auditevent"
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.event} {self.username or '-'} #{self.pk}"
