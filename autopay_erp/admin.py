"""Django admin for the poll's state. The poll writes all of it: read-only here, except that an anomaly can be
marked resolved (through `sync.anomaly_resolve`)."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from autopay_erp import models, sync
from company import admin as company_admin

COMPANY_FILTER = company_admin.COMPANY_FILTER


@admin.register(models.PollCursor)
class PollCursorAdmin(
    company_admin.ReadOnlyAdminMixin, company_admin.CompanyScopedAdminMixin, admin.ModelAdmin
):
    list_display = [
        "company",
        "last_seq",
        "messages_applied",
        "last_poll_at",
        "last_poll_ok",
        "last_poll_result",
        "lease_until",
    ]
    list_filter = ["last_poll_ok", COMPANY_FILTER]
    list_select_related = ["company"]


@admin.register(models.AppliedMessage)
class AppliedMessageAdmin(
    company_admin.ReadOnlyAdminMixin, company_admin.CompanyScopedAdminMixin, admin.ModelAdmin
):
    list_display = ["message_id", "seq", "type", "applied_at", "company"]
    # Newest first within a company, along the (company, seq) index (the key, a message id, has no order).
    ordering = ["-company_id", "-seq"]
    list_filter = ["type", COMPANY_FILTER]
    search_fields = ["message_id"]
    list_select_related = ["company"]
    show_full_result_count = False


@admin.register(models.Anomaly)
class AnomalyAdmin(company_admin.ReadOnlyAdminMixin, company_admin.CompanyScopedAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "seq", "type", "reason", "resolved_at", "resolved_by", "company"]
    list_filter = ["type", ("resolved_at", admin.EmptyFieldListFilter), COMPANY_FILTER]
    search_fields = ["reason", "message_id"]
    list_select_related = ["company", "resolved_by"]
    actions = ["resolve"]

    @admin.action(description=_("Mark the chosen anomalies resolved"))
    def resolve(self, request: HttpRequest, queryset: QuerySet[models.Anomaly]) -> None:
        done = 0
        for anomaly in queryset.filter(resolved_at__isnull=True):
            sync.anomaly_resolve(anomaly=anomaly, user=request.user, now=timezone.now())  # type: ignore[arg-type]
            done += 1
        self.message_user(request, _("%(count)d anomalies resolved.") % {"count": done}, messages.SUCCESS)


@admin.register(models.SyncRun)
class SyncRunAdmin(company_admin.ReadOnlyAdminMixin, company_admin.CompanyScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "task_id",
        "state",
        "messages_applied",
        "anomalies",
        "created_at",
        "finished_at",
        "company",
    ]
    list_filter = ["state", COMPANY_FILTER]
    search_fields = ["task_id"]
    list_select_related = ["company"]
