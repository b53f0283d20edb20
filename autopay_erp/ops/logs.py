"""Structured logs: one JSON object per line on stdout, UTC ISO 8601 timestamps, the request id, no secrets.

The request id comes from the proxy (`X-Request-ID`), or is made here; it is kept in a context variable for
the request and sent with every Celery task the request queues (a message header), so that the worker's log
lines of that task carry it too.
"""

import contextvars
import logging
import re
import uuid
from collections.abc import Mapping
from typing import Any

from pythonjsonlogger.json import JsonFormatter

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
REQUEST_ID_HEADER = "X-Request-ID"
# What a request id may be: the proxy's UUIDs and the like. Anything else is replaced, never logged as given.
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

REDACTED = "[redacted]"
# Extra fields whose names say they hold a secret are never written.
_SECRET_NAME_RE = re.compile(
    r"pass(word|wd)?|secret|token|api_?key|sig(nature|_?key)|signing|authorization|cookie|session|"
    r"activation_code|encryption|private|credential|dsn",
    re.IGNORECASE,
)
# Secrets inside a message or a value: credentials in URLs, `name=value` pairs, bearer tokens.
_URL_CREDENTIALS_RE = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):[^@/\s]*@", re.I)
_NAMED_SECRET_RE = re.compile(
    r"(?P<name>\b(?:password|passwd|secret|token|signature|api_?key|sig_?key|authorization|"
    r"activation_code|code)\b\s*[=:]\s*)(?P<value>\"[^\"]*\"|'[^']*'|[^\s,;&]+)",
    re.IGNORECASE,
)
_BEARER_RE = re.compile(r"\b(Bearer|Token)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)


def request_id_from(value: str | None) -> str:
    """Return the request id to use for an incoming header value: the value if well formed, else a new one."""
    if value and _REQUEST_ID_RE.match(value):
        return value
    return uuid.uuid4().hex


def redact_text(text: str) -> str:
    """Return the text with credentials in URLs, `secret=value` pairs and bearer tokens replaced."""
    text = _URL_CREDENTIALS_RE.sub(lambda m: f"{m['scheme']}{m['user']}:{REDACTED}@", text)
    text = _NAMED_SECRET_RE.sub(lambda m: f"{m['name']}{REDACTED}", text)
    return _BEARER_RE.sub(lambda m: f"{m[1]} {REDACTED}", text)


def _redact(key: str, value: Any) -> Any:
    if _SECRET_NAME_RE.search(key):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {str(k): _redact(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact(key, item) for item in value]
    return value


class RequestIdFilter(logging.Filter):
    """Put the current request id on every record (empty outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = request_id_var.get()
        return True


class JsonLogFormatter(JsonFormatter):
    """JSON lines: `timestamp` (UTC, ISO 8601, offset), `level`, `logger`, `message`, `request_id`, extras.

    Never the local time (`asctime` is not used), never a secret: extra fields named like one are replaced and
    every string is scrubbed of credentials (see `redact_text`).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs["timestamp"] = True
        super().__init__(*args, **kwargs)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {key: _redact(key, value) for key, value in log_data.items()}


def logging_config(*, level: str = "INFO", stream: str = "stdout") -> dict[str, Any]:
    """Return the `LOGGING` dictConfig of every process: JSON to `stream` (stdout or stderr), one handler."""
    if stream not in {"stdout", "stderr"}:
        raise ValueError(f"log stream must be stdout or stderr, not {stream!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "autopay_erp.ops.logs.RequestIdFilter"}},
        "formatters": {
            "json": {
                "()": "autopay_erp.ops.logs.JsonLogFormatter",
                "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s",
            }
        },
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": f"ext://sys.{stream}",
                "formatter": "json",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # One line per HTTP call to AutoPay is httpx's INFO: too much, and URLs are better left out.
            "httpx": {"level": "WARNING"},
            "httpcore": {"level": "WARNING"},
            # Requests are logged once, by autopay_erp.ops.middleware, as `request` lines.
            "django.server": {"level": "WARNING"},
            "gunicorn.access": {"level": "WARNING"},
            # gunicorn and Celery bring handlers of their own: theirs go, ours stays.
            "gunicorn.error": {"handlers": ["stdout"], "propagate": False, "level": level},
            "celery": {"level": level},
        },
    }
