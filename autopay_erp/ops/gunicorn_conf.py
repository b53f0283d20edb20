"""gunicorn's configuration for every web service: `gunicorn -c python:autopay_erp.ops.gunicorn_conf`.

JSON logs on stdout (no access log of gunicorn's own: each request is one `request` line of the app), threads,
and prometheus-client's multiprocess bookkeeping. Set with GUNICORN_BIND, GUNICORN_WORKERS, GUNICORN_THREADS,
GUNICORN_TIMEOUT.
"""

import os
import shutil
from pathlib import Path
from typing import Any

from autopay_erp.ops import logs

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
# No control socket: it is one path per user ($HOME/.gunicorn), which two servers on one host would share.
control_socket_disable = True
accesslog = None
errorlog = "-"
logconfig_dict = logs.logging_config(level=os.environ.get("LOG_LEVEL", "INFO"))
# Django decides about X-Forwarded-Proto itself (SECURE_PROXY_SSL_HEADER, DJANGO_TRUSTED_PROXIES).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server: Any) -> None:
    """Start the multiprocess metrics afresh: samples of the workers of a previous run must not be added."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        Path(folder).mkdir(parents=True, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
