"""The poll's own state: per-company cursors, the ids of applied messages, anomalies and sync runs.

These live in the top layer because the poll is the one place that sees both payments and factoring
(ARCHITECTURE.md, "The poll").
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from company.models import Company


class PollErrorKind(models.TextChoices):
    """Why a poll stopped before the feed's end, told in the reader's language beside its technical detail."""

    AUTOPAY = "autopay", _("AutoPay did not answer as expected; the next poll asks again")
    LEASE_LOST = "lease_lost", _("Another poll took over this company; the next poll goes on from the cursor")
    LINES_CHANGED = (
        "lines_changed",
        _("Payment lines changed meanwhile; the next poll applies the page again"),
    )
    FAILED = "failed", _("The poll failed; the next poll goes on from the cursor")


class PollCursor(models.Model):
    """Where a company's poll of the AutoPay feed stands, and who holds its lease."""

    company = models.OneToOneField(Company, on_delete=models.PROTECT, related_name="poll_cursor")
    last_seq = models.BigIntegerField(_("last applied seq"), default=0)
    messages_applied = models.BigIntegerField(_("messages applied"), default=0)
    last_poll_at = models.DateTimeField(_("last poll"), null=True, blank=True)
    last_poll_result = models.CharField(_("last poll result"), max_length=500, blank=True, default="")
    last_poll_ok = models.BooleanField(_("last poll succeeded"), null=True, blank=True)
    # The last poll's figures and error apart, so that a page tells them in its reader's language
    # (`last_poll_result` has them in the poll's). None: a poll before they were kept.
    last_poll_applied = models.PositiveIntegerField(_("applied in the last poll"), null=True, blank=True)
    last_poll_already_applied = models.PositiveIntegerField(
        _("already applied in the last poll"), null=True, blank=True
    )
    last_poll_anomalies = models.PositiveIntegerField(_("anomalies in the last poll"), null=True, blank=True)
    last_poll_error = models.CharField(_("last poll's error"), max_length=500, blank=True, default="")
    last_poll_error_kind = models.CharField(
        _("last poll's error kind"), max_length=16, choices=PollErrorKind.choices, blank=True, default=""
    )
    # The lease: the poll that holds it (a random token) and until when; taken with a conditional UPDATE.
    lease_owner = models.CharField(max_length=64, blank=True, default="")
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("poll cursor")
        verbose_name_plural = _("poll cursors")
        constraints = [
            models.CheckConstraint(condition=Q(last_seq__gte=0), name="pollcursor_seq_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.company.org_no} after {self.last_seq}"


class MessageType(models.TextChoices):
    LINE_STATUS = "line_status", _("Line status")
    INCOMING_PAYMENT = "incoming_payment", _("Incoming payment")
    APPROVAL_TOKEN = "approval_token", _("Approval token")
    MALFORMED = "malformed", _("Malformed")


class AppliedMessage(models.Model):
    """A message of the feed that has taken effect: its id is stored once, under a unique constraint.

    Lean on purpose: a bank day writes one row per message, by COPY. Only approval tokens keep their
    payload (for the pre-approval work). The message id is the primary key: no surrogate id and its index
    besides (autopay_erp migration 0003).
    """

    message_id = models.UUIDField(primary_key=True, serialize=False)
    # No foreign-key constraint: one trigger per statement checks it (migration 0002).
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    seq = models.BigIntegerField()
    type = models.CharField(max_length=20, choices=MessageType.choices)
    applied_at = models.DateTimeField()
    payload = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = _("applied message")
        verbose_name_plural = _("applied messages")
        indexes = [models.Index(fields=["company", "seq"], name="appliedmessage_company_seq")]

    def __str__(self) -> str:
        return f"{self.type} {self.message_id} ({self.seq})"


class Anomaly(models.Model):
    """A message not applied as it came (malformed, unknown line, backwards status, …): a work item."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    message_id = models.UUIDField(null=True, blank=True)
    seq = models.BigIntegerField(null=True, blank=True)
    type = models.CharField(_("type"), max_length=40, blank=True, default="")
    raw = models.JSONField(_("raw message"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=1000)
    created_at = models.DateTimeField(_("created at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["company", "-created_at", "-id"]
        verbose_name = _("anomaly")
        verbose_name_plural = _("anomalies")
        constraints = [
            # One anomaly per message (an id re-read from an earlier point records nothing new).
            models.UniqueConstraint(
                fields=["company", "message_id"],
                condition=Q(message_id__isnull=False),
                name="anomaly_unique_message",
            ),
            models.UniqueConstraint(
                fields=["company", "seq"],
                condition=Q(message_id__isnull=True, seq__isnull=False),
                name="anomaly_unique_seq_without_id",
            ),
        ]
        indexes = [models.Index(fields=["company", "resolved_at"], name="anomaly_company_resolved")]

    def __str__(self) -> str:
        return f"Anomaly {self.seq} {self.type}: {self.reason[:60]}"

    def is_open(self) -> bool:
        return self.resolved_at is None


class SyncRunState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class SyncRun(models.Model):
    """A poll asked for through the API or the page, under its Celery task id (no result backend needed)."""

    task_id = models.CharField(max_length=64, unique=True)
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=SyncRunState.choices, default=SyncRunState.QUEUED)
    messages_applied = models.PositiveIntegerField(default=0)
    anomalies = models.PositiveIntegerField(default=0)
    detail = models.CharField(max_length=500, blank=True, default="")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")
        constraints = [
            models.CheckConstraint(condition=Q(state__in=SyncRunState.values), name="syncrun_state_valid")
        ]

    def __str__(self) -> str:
        return f"Sync {self.task_id} {self.state}"
