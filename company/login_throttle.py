"""Login lock-out (django-axes) and the audit rows of logins, failed logins and lock-outs.

`LoginThrottleBackend` goes first in AUTHENTICATION_BACKENDS: while a username or an address is locked out it
refuses every attempt, the right password included. An authentication without a request (a shell, a test
client's `login()`) comes from no address and is not throttled; everything that arrives over HTTP has one.
The signal receivers below only write audit rows; they take no part in any domain flow.
"""

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from company import audit, models


class LoginThrottleBackend(AxesStandaloneBackend):
    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)


def _http_request(request: Any) -> Any:
    # DRF wraps the HttpRequest; the audit wants the addresses of the original.
    return getattr(request, "_request", request)


@receiver(auth_signals.user_logged_in, dispatch_uid="company_audit_login")
def _record_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit.audit_event_record(
        event=models.AuditEventKind.LOGIN,
        user=user,
        ip=audit.client_ip(_http_request(request)) if request is not None else "",
        details={"path": getattr(request, "path", "")},
        now=timezone.now(),
    )


@receiver(auth_signals.user_login_failed, dispatch_uid="company_audit_login_failed")
def _record_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    if request is None:
        return
    http_request = _http_request(request)
    locked = bool(
        getattr(request, "axes_locked_out", False) or getattr(http_request, "axes_locked_out", False)
    )
    audit.audit_event_record(
        event=models.AuditEventKind.LOGIN_FAILED,
        user=None,
        username=str(credentials.get("username", "")),
        ip=audit.client_ip(http_request),
        details={"path": getattr(request, "path", ""), "while_locked_out": locked},
        now=timezone.now(),
    )


def _record_locked_out(
    sender: Any, request: Any, username: str | None, ip_address: str | None, **kwargs: Any
) -> None:
    audit.audit_event_record(
        event=models.AuditEventKind.LOCKED_OUT,
        user=None,
        username=username or "",
        ip=ip_address or "",
        details={"path": getattr(request, "path", "")},
        now=timezone.now(),
    )


def connect() -> None:
    from axes import signals as axes_signals

    axes_signals.user_locked_out.connect(_record_locked_out, dispatch_uid="company_audit_locked_out")
