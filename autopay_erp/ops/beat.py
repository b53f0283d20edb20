"""Beat's scheduler: django-celery-beat's database scheduler, writing a heartbeat after each pass."""

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django_celery_beat.schedulers import DatabaseScheduler

from autopay_erp.ops import heartbeat


class HeartbeatScheduler(DatabaseScheduler):
    """After every scheduling pass that did not fail, record its time (see autopay_erp.ops.heartbeat)."""

    def tick(self, *args: Any, **kwargs: Any) -> float:
        interval: float = super().tick(*args, **kwargs)
        heartbeat.heartbeat_write(path=Path(settings.CELERY_BEAT_HEARTBEAT_FILE), now=time.time())
        return interval
