"""Celery tasks of payments: the background upload of a large selection."""

from typing import Any

from celery import shared_task
from django.utils import timezone, translation

from payments import models
from payments.services import upload


@shared_task(
    name="payments.upload_run_execute",
    queue="default",
    acks_late=True,
    time_limit=1800,
    autoretry_for=(ConnectionError,),
    max_retries=3,
)
def upload_run_execute(*, upload_run_id: int, language: str | None = None, **kwargs: Any) -> dict[str, Any]:
    """Upload the payments of one upload run, recording progress after each; safe to run again.

    `language`, the one the run was asked in, tells the refusals (the installation's when not given).
    """
    run = models.UploadRun.objects.get(pk=upload_run_id)
    with translation.override(language or translation.get_language()):
        done = upload.upload_run_execute(run=run, now=timezone.now(), clock=timezone.now)
    return {"uploaded": done.uploaded, "refused": done.refused}
