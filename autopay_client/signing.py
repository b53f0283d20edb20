"""RFC 9421 HTTP Message Signatures for the AutoPay wire: sign requests, verify responses.

HMAC-SHA256 under the company's signing key, label `sig1`, with `created`, `nonce`, `keyid` (the org no) and
`alg` parameters and an RFC 9530 `Content-Digest` (sha-256). The covered components are those of
docs/autopay-wire.md: `"@method" "@target-uri"` (+ `"content-digest"` when there is a body) for a request,
`"@status" "content-digest"` for a response.
"""

from __future__ import annotations

import datetime
import secrets
from typing import Final

import httpx
from http_message_signatures import (
    HTTPMessageSignaturesException,
    HTTPMessageSigner,
    HTTPMessageVerifier,
    InvalidSignature,
    MappingKeyResolver,
    VerifyResult,
    algorithms,
)

from autopay_client import errors

LABEL: Final = "sig1"
ALGORITHM_ID: Final = "hmac-sha256"
MAX_SKEW: Final = datetime.timedelta(seconds=300)
REQUEST_COMPONENTS: Final = ("@method", "@target-uri")
RESPONSE_COMPONENTS: Final = ("@status", "content-digest")
NONCE_BYTES: Final = 24


def new_nonce() -> str:
    """Return a fresh url-safe nonce of 24 random bytes."""
    return secrets.token_urlsafe(NONCE_BYTES)


def _signer(*, key_id: str, key: bytes) -> HTTPMessageSigner:
    return HTTPMessageSigner(
        signature_algorithm=algorithms.HMAC_SHA256,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={key_id: key}),
    )


class _Verifier(HTTPMessageVerifier):
    # The wire allows `created` up to 300 s either side of our clock; with max_age=0 the library's skew
    # tolerance is exactly that window.
    max_clock_skew = MAX_SKEW


def sign_request(
    request: httpx.Request,
    *,
    key_id: str,
    key: bytes,
    created: datetime.datetime | None = None,
    nonce: str | None = None,
) -> None:
    """Sign a request in place: add Content-Digest (when it has a body), Signature-Input and Signature.

    :raises HTTPMessageSignaturesException: when the request cannot be signed (for instance it already carries
        a Content-Digest).
    """
    body = request.read()
    components = REQUEST_COMPONENTS + (("content-digest",) if body else ())
    _signer(key_id=key_id, key=key).sign(
        request,
        key_id=key_id,
        created=created or datetime.datetime.now(datetime.UTC),
        nonce=nonce or new_nonce(),
        label=LABEL,
        covered_component_ids=components,
        body=body or None,
    )


def sign_response(
    response: httpx.Response,
    *,
    key_id: str,
    key: bytes,
    created: datetime.datetime | None = None,
    nonce: str | None = None,
) -> None:
    """Sign a response in place as AutoPay does (used by test doubles of the server).

    :raises HTTPMessageSignaturesException: when the response cannot be signed.
    """
    _signer(key_id=key_id, key=key).sign(
        response,
        key_id=key_id,
        created=created or datetime.datetime.now(datetime.UTC),
        nonce=nonce or new_nonce(),
        label=LABEL,
        covered_component_ids=("@status",),
        body=response.read(),
    )


def is_signed(message: httpx.Request | httpx.Response) -> bool:
    """Tell whether the message carries signature headers at all."""
    return "signature" in message.headers or "signature-input" in message.headers


def verify_response(response: httpx.Response, *, key_id: str, key: bytes) -> VerifyResult:
    """Verify a response's `sig1` signature: HMAC, covered status and digest, body digest, keyid, `created`
    within 300 s, and the presence of `nonce` and `alg`.

    :raises errors.ResponseSignatureError: when anything of it does not hold.
    """
    if "content-digest" not in response.headers:
        raise errors.ResponseSignatureError(
            "Response has no Content-Digest.", status=response.status_code, code="response_unsigned"
        )
    verifier = _Verifier(
        signature_algorithm=algorithms.HMAC_SHA256,
        key_resolver=MappingKeyResolver(public_keys={key_id: key}, private_keys={}),
    )
    try:
        results = verifier.verify(
            response,
            max_age=datetime.timedelta(0),
            require_components=RESPONSE_COMPONENTS,
            body=response.read(),
        )
    except (InvalidSignature, HTTPMessageSignaturesException) as exc:
        code = "response_unsigned" if not is_signed(response) else "response_signature_invalid"
        raise errors.ResponseSignatureError(
            f"Response signature does not verify: {exc}", status=response.status_code, code=code
        ) from exc
    result = results[0]
    problems = []
    if result.label != LABEL:
        problems.append(f"label is {result.label!r}, not {LABEL!r}")
    if result.parameters.get("keyid") != key_id:
        problems.append(f"keyid is {result.parameters.get('keyid')!r}, not {key_id!r}")
    if result.parameters.get("alg") != ALGORITHM_ID:
        problems.append("alg parameter missing")
    if not result.nonce:
        problems.append("nonce parameter missing")
    if problems:
        raise errors.ResponseSignatureError(
            "Response signature is not acceptable: " + "; ".join(problems),
            status=response.status_code,
            code="response_signature_invalid",
        )
    return result
