"""The signed JSON/XML API of docs/autopay-wire.md. Each view verifies, makes one call, signs its answer."""

import base64
import logging
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from autopay_sim import models, selectors, services, signing, strictjson

logger = logging.getLogger(__name__)

# Refusals that cannot be signed: there is no key to sign them with.
UNSIGNED_REFUSALS = frozenset({"signature_missing", "unknown_key"})


class ApiError(Exception):
    def __init__(self, status: int, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.body = {"error": code, "detail": detail, **extra}


def _json_bytes(body: dict[str, Any]) -> bytes:
    return orjson.dumps(body)


def _unsigned(status: int, body: dict[str, Any]) -> HttpResponse:
    return HttpResponse(_json_bytes(body), status=status, content_type="application/json")


def _signed(status: int, body: dict[str, Any] | bytes, *, key_id: str, key: bytes) -> HttpResponse:
    """Sign and return a response; `body` is a dict to encode, or JSON already encoded."""
    content = body if isinstance(body, bytes) else _json_bytes(body)
    response = HttpResponse(content, status=status, content_type="application/json")
    headers = signing.sign_response(
        status=status,
        body=content,
        key_id=key_id,
        key=key,
        now=timezone.now(),
        nonce=secrets.token_urlsafe(16),
    )
    for name, value in headers.items():
        response[name] = value
    return response


SignedView = Callable[..., tuple[int, dict[str, Any] | bytes]]


def signed_api(method: str) -> Callable[[SignedView], Callable[..., HttpResponse]]:
    """Verify the request's signature and nonce, call the view with the signing company, sign its answer.

    A request with another method than `method` gets a signed 405, so that every answer to a signed request is
    signed.
    """
    return lambda view: _signed_view(view, method)


def _in_english(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The API speaks English whatever the client's language: its texts are the wire's, not a page's."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with translation.override("en"):
            return view(request, *args, **kwargs)

    return wrapper


def _signed_view(view: SignedView, method: str) -> Callable[..., HttpResponse]:
    @csrf_exempt
    @wraps(view)
    @_in_english
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        now = timezone.now()
        body = request.body
        signers: list[models.SimCompany] = []

        def key_for(key_id: str) -> bytes | None:
            found = selectors.company_signing_key(org_no=key_id)
            if found is None:
                return None
            signers.append(found[0])
            return found[1]

        try:
            verified = signing.verify_request(
                method=request.method or "GET",
                url=request.build_absolute_uri(),
                headers=dict(request.headers),
                body=body,
                now=now,
                key_for=key_for,
            )
        except signing.SignatureRefused as refusal:
            error = {"error": refusal.code, "detail": refusal.detail}
            if refusal.code in UNSIGNED_REFUSALS or refusal.key is None:
                return _unsigned(401, error)
            return _signed(401, error, key_id=refusal.key_id, key=refusal.key)
        answer: dict[str, Any] | bytes
        try:
            services.nonce_record(key_id=verified.key_id, nonce=verified.nonce, now=now)
            if request.method != method:
                status, answer = 405, {"error": "method_not_allowed", "detail": f"use {method}"}
            else:
                status, answer = view(request, *args, company=signers[-1], now=now, **kwargs)
        except services.NonceReplayed as exc:
            status, answer = 401, {"error": exc.code, "detail": str(exc)}
        except ApiError as exc:
            status, answer = exc.status, exc.body
        except Exception:
            # The wire promises a signed JSON 500, never Django's HTML page.
            logger.exception("AutoPay API %s %s failed", request.method, request.path)
            status, answer = 500, {"error": "internal", "detail": "internal error"}
        return _signed(status, answer, key_id=verified.key_id, key=verified.key)

    return wrapper


def _payment_json(payment: models.Payment) -> dict[str, Any]:
    return {
        "reference": payment.reference,
        "payment_id": payment.payment_id,
        "status": payment.status,
        "lines": [
            {"end_to_end_id": line.end_to_end_id, "status": line.status, "amount": str(line.amount)}
            for line in payment.lines.order_by("id")
        ],
    }


@csrf_exempt
@require_POST
@_in_english
def activations(request: HttpRequest) -> HttpResponse:
    expected = 'expected {"org_no": <text>, "activation_code": <text>}'
    try:
        data = strictjson.loads(request.body)
    except strictjson.InvalidJSON as exc:
        return _unsigned(400, {"error": "invalid_json", "detail": f"{exc}; {expected}"})
    if not isinstance(data, dict) or not all(
        isinstance(data.get(k), str) for k in ("org_no", "activation_code")
    ):
        return _unsigned(400, {"error": "invalid_json", "detail": expected})
    org_no, code = data["org_no"], data["activation_code"]
    now = timezone.now()
    try:
        company, key = services.company_activate(org_no=org_no, activation_code=code, now=now)
    except services.SimError as exc:
        return _unsigned(400, {"error": exc.code, "detail": str(exc)})
    assert company.activated_at is not None
    body = {
        "key_id": company.org_no,
        "signing_key": base64.b64encode(key).decode("ascii"),
        "activated_at": company.activated_at.isoformat(),
    }
    return _signed(201, body, key_id=company.org_no, key=key)


@signed_api("POST")
def payments(request: HttpRequest, *, company: models.SimCompany, now: Any) -> tuple[int, dict[str, Any]]:
    try:
        payment, created = services.payment_upload(company=company, document=request.body, now=now)
    except services.DocumentInvalid as exc:
        raise ApiError(400, exc.code, "the document was refused", errors=exc.errors) from exc
    except services.PaymentConflict as exc:
        raise ApiError(409, exc.code, str(exc)) from exc
    return (201 if created else 200), _payment_json(payment)


def _payment_or_404(company: models.SimCompany, reference: str) -> models.Payment:
    # A control character (a NUL byte, which the database refuses to compare) is in no reference.
    if not reference.isprintable():
        raise ApiError(404, "not_found", f"no payment {reference!r}")
    try:
        return selectors.payment_of_company(company=company, reference=reference)
    except models.Payment.DoesNotExist as exc:
        raise ApiError(404, "not_found", f"no payment {reference}") from exc


@signed_api("GET")
def payment_detail(
    request: HttpRequest, reference: str, *, company: models.SimCompany, now: Any
) -> tuple[int, dict[str, Any]]:
    return 200, _payment_json(_payment_or_404(company, reference))


@signed_api("POST")
def payment_cancel(
    request: HttpRequest, reference: str, *, company: models.SimCompany, now: Any
) -> tuple[int, dict[str, Any]]:
    payment = _payment_or_404(company, reference)
    try:
        payment = services.payment_cancel(
            payment_id=payment.pk, actor="erp", now=now, reason=models.REASON_CANCELLED_BY_ERP
        )
    except services.PaymentConflict as exc:
        raise ApiError(409, exc.code, str(exc)) from exc
    return 200, _payment_json(payment)


# The largest page of the message feed (the wire's `limit`); the default stays 100.
MESSAGES_MAX_LIMIT = 5000
MESSAGES_DEFAULT_LIMIT = 100


@signed_api("GET")
def messages(request: HttpRequest, *, company: models.SimCompany, now: Any) -> tuple[int, bytes]:
    try:
        after = int(request.GET.get("after", "0"))
        limit = int(request.GET.get("limit", str(MESSAGES_DEFAULT_LIMIT)))
    except ValueError as exc:
        raise ApiError(400, "invalid_request", "after and limit must be integers") from exc
    if after < 0 or not 1 <= limit <= MESSAGES_MAX_LIMIT:
        raise ApiError(400, "invalid_request", f"after must be ≥ 0 and limit 1…{MESSAGES_MAX_LIMIT}")
    rows = selectors.message_json_after(company_id=company.pk, after=after, limit=limit)
    next_after = rows[-1][0] if rows else after
    messages_json = ",".join(text for _, text in rows)
    return 200, f'{{"messages":[{messages_json}],"next_after":{next_after}}}'.encode()
