"""Celery tasks of the incoming-payments app: running a queued file import on the "imports" queue."""

from pathlib import Path

from celery import shared_task
from django.utils import timezone

from factoring import errors, models, services


# Named `*.import_*`: the task policy (autopay_erp.ops.task_policy) routes it to the "imports" queue and gives
# it that queue's time limits, which stay below the broker's visibility timeout.
@shared_task(name="factoring.import_incoming_file", acks_late=True)
def incoming_file_import_run(*, import_id: int, **kwargs: object) -> str:
    """Run a queued import; a refusal is recorded on the import (and returned), never retried."""
    file_import = models.IncomingImport.objects.select_related("company", "created_by").get(pk=import_id)
    if not file_import.can_run():
        return file_import.status
    path = Path(file_import.stored_path)
    try:
        with path.open("rb") as stream:
            services.incoming_file_import(
                company=file_import.company,
                stream=stream,
                filename=file_import.filename,
                user=file_import.created_by,
                now=timezone.now(),
                file_import=file_import,
            )
    except errors.IncomingError as exc:
        # Refused whole: the stored upload is of no more use (the file is uploaded again to retry).
        path.unlink(missing_ok=True)
        return f"failed: {exc}"
    except OSError as exc:
        services.incoming_import_fail(file_import=file_import, reason=str(exc), now=timezone.now())
        return f"failed: {exc}"
    path.unlink(missing_ok=True)
    return models.ImportStatus.DONE
