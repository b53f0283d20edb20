from typing import Any

from celery import shared_task


@shared_task(name="autopay_erp.ping", time_limit=10)
def ping(**kwargs: Any) -> str:
    """Answer 'pong': lets operators and `make run` check that a worker consumes the queue."""
    return "pong"
