"""Celery's side of operations: JSON logs, the request id carried into tasks, task metrics, a metrics port.

Connected by autopay_erp.celery when the Celery app is made, in every process (web, worker, beat).
"""

import logging
import logging.config
import os
import shutil
import time
from pathlib import Path
from typing import Any

from celery import signals

from autopay_erp.ops import logs, metrics

logger = logging.getLogger(__name__)
REQUEST_ID_HEADER = "request_id"

_started: dict[str, tuple[float, Any]] = {}


@signals.setup_logging.connect
def logging_setup(**kwargs: Any) -> None:
    """Keep the project's LOGGING (JSON on stdout) in the worker and beat instead of Celery's own format."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@signals.before_task_publish.connect
def request_id_send(*, headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """Send the current request id with the task, as a message header."""
    request_id = logs.request_id_var.get()
    if headers is not None and request_id and REQUEST_ID_HEADER not in headers:
        headers[REQUEST_ID_HEADER] = request_id


def _request_id_of(task: Any) -> str:
    request = task.request
    found = getattr(request, REQUEST_ID_HEADER, None) or (getattr(request, "headers", None) or {}).get(
        REQUEST_ID_HEADER
    )
    return str(found) if found else ""


@signals.task_prerun.connect
def task_started(*, task_id: str, task: Any, **kwargs: Any) -> None:
    token = logs.request_id_var.set(_request_id_of(task))
    _started[task_id] = (time.perf_counter(), token)


@signals.task_postrun.connect
def task_finished(*, task_id: str, task: Any, state: str | None = None, **kwargs: Any) -> None:
    started, token = _started.pop(task_id, (None, None))
    if started is not None:
        metrics.CELERY_DURATION.labels(task.name).observe(time.perf_counter() - started)
    metrics.CELERY_TASKS.labels(task.name, (state or "UNKNOWN").lower()).inc()
    if token is not None:
        logs.request_id_var.reset(token)


@signals.worker_init.connect
def metrics_folder_clear(**kwargs: Any) -> None:
    """Start the worker's multiprocess metrics afresh (the folder is the worker's own, see docs/deploy.md)."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder and os.environ.get("AUTOPAY_METRICS_CLEAR_ON_START", "true").lower() in {"1", "true", "yes"}:
        path = Path(folder)
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True, exist_ok=True)


@signals.worker_ready.connect
def metrics_serve(**kwargs: Any) -> None:
    """Serve the worker's metrics (Celery task counts and times) on CELERY_METRICS_PORT, when it is set."""
    port = os.environ.get("CELERY_METRICS_PORT")
    if not port:
        return
    from prometheus_client import start_http_server

    registry = metrics.worker_registry()
    start_http_server(int(port), addr=os.environ.get("CELERY_METRICS_ADDR", "0.0.0.0"), registry=registry)  # noqa: S104
    logger.info("worker_metrics_serving", extra={"port": int(port)})
