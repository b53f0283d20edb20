import os
import subprocess
import sys
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from autopay_erp import tasks
from autopay_erp.celery import app

pytestmark = pytest.mark.broker


@pytest.fixture
def redis_result_backend():
    previous = app.conf.result_backend
    # The app caches its result backend per thread once a task was queued: drop it, before and after, so
    # that this test gets the Redis one and later tests the configured one, whatever ran before.
    vars(app._local).pop("backend", None)
    app.conf.result_backend = settings.CELERY_BROKER_URL.rsplit("/", 1)[0] + "/14"
    yield
    app.conf.result_backend = previous
    vars(app._local).pop("backend", None)


def test_a_worker_consumes_a_task_through_the_redis_broker(redis_result_backend):
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        result = tasks.ping.delay()
        assert result.get(timeout=20) == "pong"


def test_a_worker_process_consumes_a_task_through_the_embedded_filesystem_broker(tmp_path):
    # What `make run` does with no CELERY_BROKER_URL: a worker process on kombu's filesystem transport.
    unset = {"CELERY_BROKER_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(
        DJANGO_SETTINGS_MODULE="autopay_erp.settings.local",
        AUTOPAY_VAR_DIR=str(tmp_path),
        CELERY_RESULT_BACKEND=f"file://{tmp_path}/results",
    )
    (tmp_path / "results").mkdir()
    python = sys.executable
    celery = str(Path(python).with_name("celery"))
    worker = subprocess.Popen(
        [celery, "-A", "autopay_erp", "worker", "--pool=solo", "--loglevel=WARNING"],
        env=env,
        cwd=settings.BASE_DIR,
    )
    try:
        sender = subprocess.run(
            [
                python,
                "-c",
                "import django; django.setup(); from autopay_erp import tasks; "
                "print(tasks.ping.delay().get(timeout=60))",
            ],
            env=env,
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=90,
        )
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert sender.stdout.strip() == "pong", sender.stderr
