import logging
from typing import Any

from celery import shared_task
from django.utils import timezone

from autopay_erp import poll, sync
from company import models as company_models
from company import selectors as company_selectors

logger = logging.getLogger(__name__)


@shared_task(name="autopay_erp.ping", time_limit=10)
def ping(**kwargs: Any) -> str:
    """Answer 'pong': lets operators and `make run` check that a worker consumes the queue."""
    return "pong"


@shared_task(name="autopay_erp.poll_autopay_all", time_limit=60, acks_late=True)
def poll_autopay_all(**kwargs: Any) -> int:
    """Enqueue one poll per activated company (what beat runs); return how many were enqueued."""
    ids = list(sync.companies_to_poll().values_list("id", flat=True))
    for company_id in ids:
        poll_autopay.apply_async(kwargs={"company_id": company_id}, queue="poll")
    return len(ids)


@shared_task(
    bind=True,
    name="autopay_erp.poll_autopay",
    acks_late=True,
    soft_time_limit=1_500,
    time_limit=1_800,
)
def poll_autopay(self: Any, *, company_id: int, **kwargs: Any) -> dict[str, Any]:
    """Poll one company's AutoPay feed to its end; a poll already running for it makes this one a no-op."""
    task_id = self.request.id or ""
    sync.sync_run_start(task_id=task_id, now=timezone.now())
    company = company_models.Company.objects.get(pk=company_id)
    try:
        result = poll.company_poll(company=company, clock=timezone.now)
    except poll.PollBusy as exc:
        sync.sync_run_finish(
            task_id=task_id, ok=True, messages_applied=0, anomalies=0, detail=str(exc), now=timezone.now()
        )
        return {"busy": True}
    except company_selectors.CompanyNotActivated as exc:
        sync.sync_run_finish(
            task_id=task_id, ok=False, messages_applied=0, anomalies=0, detail=str(exc), now=timezone.now()
        )
        return {"error": str(exc)}
    except Exception as exc:
        sync.sync_run_finish(
            task_id=task_id, ok=False, messages_applied=0, anomalies=0, detail=repr(exc), now=timezone.now()
        )
        raise
    sync.sync_run_finish(
        task_id=task_id,
        ok=result.ok,
        messages_applied=result.messages_applied,
        anomalies=result.anomalies,
        detail=result.error,
        now=timezone.now(),
    )
    return {"applied": result.messages_applied, "anomalies": result.anomalies, "last_seq": result.last_seq}
