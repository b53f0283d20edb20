"""The first middleware of every request: request id, one JSON log line, metrics; the operations endpoints.

`/healthz`, `/readyz` and `/metrics` are answered here, before any other middleware, so that no HTTPS
redirect, login requirement or rate limit added later can turn a health check into a redirect. They are
meant for the internal network only: the reverse proxy does not pass `/metrics` (deploy/Caddyfile).
"""

import ipaddress
import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.functional import empty

from autopay_erp.ops import health, logs, metrics

logger = logging.getLogger("autopay_erp.request")

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"


def _operations_response(request: HttpRequest) -> HttpResponse | None:
    path = request.path_info.rstrip("/")
    if path == HEALTH_PATH:
        return JsonResponse(health.liveness())
    if path == READY_PATH:
        ready, body = health.readiness()
        response = JsonResponse(body, status=200 if ready else 503)
        # The failed check is logged once by health itself, not again as a server error at every probe.
        response._has_been_logged = True  # type: ignore[attr-defined]
        return response
    if path == METRICS_PATH and getattr(settings, "METRICS_ENABLED", True):
        content, content_type = metrics.exposition()
        return HttpResponse(content, content_type=content_type)
    return None


_FORWARDED_META = (
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_REQUEST_ID",
)


def _trusted_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(item, strict=False) for item in getattr(settings, "TRUSTED_PROXIES", [])]


def _forwarded_headers_drop_unless_trusted(request: HttpRequest) -> None:
    """Drop the proxy's headers from a request that did not come from a trusted proxy (when any is set)."""
    networks = _trusted_networks()
    if not networks:
        return
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        peer = None
    if peer is not None and any(peer in network for network in networks):
        return
    for key in _FORWARDED_META:
        request.META.pop(key, None)


def _user_id(request: HttpRequest) -> object:
    """The user's id if the request already loaded its user: logging never costs a session query."""
    user = getattr(request, "user", None)
    wrapped = getattr(user, "_wrapped", user)
    return None if wrapped is None or wrapped is empty else getattr(wrapped, "pk", None)


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        _forwarded_headers_drop_unless_trusted(request)
        operations = _operations_response(request)
        if operations is not None:
            return operations
        request_id = logs.request_id_from(request.headers.get(logs.REQUEST_ID_HEADER))
        token = logs.request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            response[logs.REQUEST_ID_HEADER] = request_id
            return response
        finally:
            elapsed = time.perf_counter() - started
            match = getattr(request, "resolver_match", None)
            view = (match.view_name or match.route) if match is not None else "<unresolved>"
            metrics.HTTP_REQUESTS.labels(request.method or "", view, str(status)).inc()
            metrics.HTTP_DURATION.labels(request.method or "", view).observe(elapsed)
            logger.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": request.method,
                    "path": request.path,
                    "view": view,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 1),
                    "user_id": _user_id(request),
                },
            )
            logs.request_id_var.reset(token)
