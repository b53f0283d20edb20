import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autopay_erp.settings.local")

app = Celery("autopay_erp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# JSON logs, the request id into tasks, task metrics (signal receivers connected on import).
from autopay_erp.ops import celery_hooks  # noqa: E402, F401
