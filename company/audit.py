"""The security audit log: append-only rows of who did what, when, from where.

Every app writes to it through `audit_event_record`; the company app is the lowest of the ERP's apps, so
all of them may. The rows are never changed or deleted: database triggers refuse it (migration 0002).
No secret ever goes in: detail keys that name one (password, code, token, key, …) are stored as "[redacted]".
"""

import datetime
import ipaddress
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from company import models, tenancy

REDACTED = "[redacted]"
# A detail whose key contains one of these is never stored as given.
_SECRET_KEY_PARTS = ("password", "secret", "otp", "token", "signing_key", "ciphertext", "code", "credential")


def _is_secret_key(key: str) -> bool:
    lowered = key.lower()
    return any(part in lowered for part in _SECRET_KEY_PARTS)


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): (REDACTED if _is_secret_key(str(k)) else _scrub(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _valid_ip(ip: str) -> str | None:
    try:
        return str(ipaddress.ip_address(ip.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest | Any) -> str:
    """Return the client's address: REMOTE_ADDR, or, behind settings.TRUSTED_PROXY_COUNT proxies, the address
    the outermost trusted proxy saw (counted from the right of X-Forwarded-For). Never what the client claims
    beyond that."""
    meta = getattr(request, "META", {}) or {}
    remote = str(meta.get("REMOTE_ADDR", "") or "")
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    if proxies > 0:
        hops = [hop.strip() for hop in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",") if hop.strip()]
        if len(hops) >= proxies:
            candidate = _valid_ip(hops[-proxies])
            if candidate:
                return candidate
    return _valid_ip(remote) or ""


def audit_event_record(
    *,
    event: str,
    user: Any,
    company: models.Company | None = None,
    ip: str = "",
    details: dict[str, Any],
    now: datetime.datetime,
    username: str = "",
) -> models.AuditEvent:
    """Append one security event to the audit log and return it.

    `user` may be None or anonymous (a failed login): `username` then names who was tried.

    :raises ValueError: when `event` is not an AuditEventKind.
    """
    if event not in models.AuditEventKind.values:
        raise ValueError(f"Unknown audit event {event!r}.")
    known_user = user if user is not None and getattr(user, "is_authenticated", False) else None
    name = known_user.get_username() if known_user is not None else username
    with transaction.atomic():
        return models.AuditEvent.objects.create(
            at=now,
            event=event,
            user_id=known_user.pk if known_user is not None else None,
            username=str(name)[:150],
            company_id=company.pk if company is not None else None,
            ip=_valid_ip(ip) if ip else None,
            details=_scrub(dict(details)),
        )


def audit_events_for_company(*, company: models.Company) -> QuerySet[models.AuditEvent]:
    """Return the company's events, newest first."""
    return models.AuditEvent.objects.filter(company_id=company.pk).order_by("-at", "-id")


def companies_whose_audit_user_may_read(user: Any) -> QuerySet[models.Company]:
    """Return the companies whose audit log the user may read: those it administers (all for a superuser)."""
    companies = tenancy.companies_for_user(user)
    if user is not None and getattr(user, "is_superuser", False):
        return companies
    return companies.filter(memberships__user=user, memberships__role=models.Role.ADMINISTRATOR).distinct()
