import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autopay_erp.settings.local")

app = Celery("autopay_erp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
