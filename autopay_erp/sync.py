"""Services and selectors of the poll's state: sync runs asked for by users, the cursors, the anomalies."""

import datetime
import uuid

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from autopay_erp import models
from company import models as company_models


class AnomalyError(Exception):
    """An anomaly that cannot be resolved as asked."""


def companies_to_poll() -> QuerySet[company_models.Company]:
    """Return the companies AutoPay is activated for, the ones beat polls."""
    return (
        company_models.Company.objects.filter(autopay_activated_at__isnull=False)
        .exclude(ap_sig_key_ciphertext="")
        .order_by("id")
    )


def sync_run_create(
    *, company: company_models.Company, user: AbstractBaseUser | AnonymousUser | None, now: datetime.datetime
) -> models.SyncRun:
    """Record a requested poll under a new task id (queued); the caller enqueues it on commit."""
    with transaction.atomic():
        return models.SyncRun.objects.create(
            task_id=str(uuid.uuid4()),
            company=company,
            requested_by_id=user.pk if user is not None and user.is_authenticated else None,
            created_at=now,
        )


def sync_run_start(*, task_id: str, now: datetime.datetime) -> None:
    """Mark the run of this task id as running (nothing when the poll was not asked for by a user)."""
    models.SyncRun.objects.filter(task_id=task_id).update(state=models.SyncRunState.RUNNING, started_at=now)


def sync_run_finish(
    *, task_id: str, ok: bool, messages_applied: int, anomalies: int, detail: str, now: datetime.datetime
) -> None:
    """Record how the run of this task id ended."""
    models.SyncRun.objects.filter(task_id=task_id).update(
        state=models.SyncRunState.DONE if ok else models.SyncRunState.FAILED,
        messages_applied=messages_applied,
        anomalies=anomalies,
        detail=detail[:500],
        finished_at=now,
    )


def anomaly_resolve(
    *, anomaly: models.Anomaly, user: AbstractBaseUser, now: datetime.datetime
) -> models.Anomaly:
    """Mark an anomaly as handled by `user`.

    :raises AnomalyError: it is already resolved.
    """
    with transaction.atomic():
        found = models.Anomaly.objects.select_for_update().get(pk=anomaly.pk)
        if not found.is_open():
            raise AnomalyError(_("This anomaly is already resolved."))
        found.resolved_at = now
        found.resolved_by_id = user.pk
        found.save(update_fields=["resolved_at", "resolved_by"])
        return found


def anomalies_open(*, companies: QuerySet[company_models.Company]) -> QuerySet[models.Anomaly]:
    return models.Anomaly.objects.filter(company__in=companies, resolved_at__isnull=True).order_by(
        "-created_at", "-id"
    )


def cursors_of(*, companies: QuerySet[company_models.Company]) -> QuerySet[models.PollCursor]:
    return (
        models.PollCursor.objects.filter(company__in=companies)
        .select_related("company")
        .order_by("company__name")
    )
