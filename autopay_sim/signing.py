"""RFC 9421 HTTP Message Signatures (HMAC-SHA256) as docs/autopay-wire.md specifies them, AutoPay's end.

The checks run in the order of the wire's refusal table so that each refusal has one code. Replay (the nonce)
is the caller's: it is kept in the database (services.nonce_record).
"""

import dataclasses
import datetime
from collections.abc import Callable, Mapping
from typing import Any

import http_sf
from http_message_signatures import (
    ContentDigest,
    HTTPMessageSignaturesException,
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    InvalidSignature,
    algorithms,
)

LABEL = "sig1"
ALGORITHM = "hmac-sha256"
MAX_SKEW_SECONDS = 300
MIN_NONCE_LENGTH = 16
MAX_NONCE_LENGTH = 200  # SeenNonce.nonce keeps this many characters
REQUEST_COMPONENTS = ("@method", "@target-uri")
RESPONSE_COMPONENTS = ("@status",)  # the signer adds "content-digest" after it


class SignatureRefused(Exception):
    """A request the wire says to refuse with 401 and the given error code."""

    def __init__(self, code: str, detail: str, *, key_id: str = "", key: bytes | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        # Set once the key is known, so that the refusal can be signed.
        self.key_id = key_id
        self.key = key


@dataclasses.dataclass(frozen=True)
class VerifiedRequest:
    key_id: str
    key: bytes
    nonce: str
    created: int


@dataclasses.dataclass
class _Request:
    method: str
    url: str
    headers: Mapping[str, str]


@dataclasses.dataclass
class _Response:
    status_code: int
    headers: dict[str, str]


class _OneKey(HTTPSignatureKeyResolver):
    def __init__(self, key_id: str, key: bytes) -> None:
        self._key_id = key_id
        self._key = key

    def resolve_public_key(self, key_id: str) -> bytes | None:
        return self._key if key_id == self._key_id else None

    def resolve_private_key(self, key_id: str) -> bytes:
        if key_id != self._key_id:
            raise KeyError(key_id)
        return self._key


class _Verifier(HTTPMessageVerifier):
    # The age window is checked before, with the wire's ±300 s; the library's own check must not be stricter.
    max_clock_skew = datetime.timedelta(seconds=MAX_SKEW_SECONDS)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _parse_signature_input(headers: Mapping[str, str]) -> tuple[list[str], dict[str, object]]:
    signature_input = _header(headers, "signature-input")
    signature = _header(headers, "signature")
    if not signature_input or not signature:
        raise SignatureRefused("signature_missing", "Signature and Signature-Input are required")
    try:
        inputs = http_sf.parse(signature_input.encode("latin-1"), tltype="dictionary")
        signatures = http_sf.parse(signature.encode("latin-1"), tltype="dictionary")
    except (ValueError, TypeError, UnicodeError) as exc:
        raise SignatureRefused("signature_missing", "malformed Signature or Signature-Input") from exc
    if not isinstance(inputs, dict) or not isinstance(signatures, dict):
        raise SignatureRefused("signature_missing", "malformed Signature or Signature-Input")
    if LABEL not in inputs or LABEL not in signatures:
        raise SignatureRefused("signature_missing", f"no {LABEL} signature")
    entry: Any = inputs[LABEL]
    member, params = entry
    if not isinstance(member, list) or not isinstance(params, dict):
        raise SignatureRefused("signature_missing", f"{LABEL} is not an inner list of components")
    covered = [str(value) for value, _ in member]
    return covered, dict(params)


def verify_request(
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime.datetime,
    key_for: Callable[[str], bytes | None],
) -> VerifiedRequest:
    """Check a request's signature and digest and return who signed it.

    :raises SignatureRefused: with the wire's code, in the order of its table.
    """
    covered, params = _parse_signature_input(headers)
    required = list(REQUEST_COMPONENTS)
    if body:
        required.append("content-digest")
    missing = [name for name in required if name not in covered]
    missing += [name for name in ("created", "nonce", "keyid", "alg") if name not in params]
    if missing:
        raise SignatureRefused("signature_missing", f"missing: {', '.join(missing)}")
    key_id, nonce, created = params["keyid"], params["nonce"], params["created"]
    if not isinstance(key_id, str) or not isinstance(nonce, str) or type(created) is not int:
        raise SignatureRefused("signature_missing", "keyid and nonce must be strings, created an integer")
    key = key_for(key_id)
    if key is None:
        raise SignatureRefused("unknown_key", f"{key_id!r} is not an activated company")
    if abs(now.timestamp() - created) > MAX_SKEW_SECONDS:
        raise SignatureRefused(
            "signature_expired", f"created is more than {MAX_SKEW_SECONDS} s from now", key_id=key_id, key=key
        )
    digest = _header(headers, "content-digest")
    if digest is not None or body:
        if digest is None:
            raise SignatureRefused("signature_missing", "Content-Digest is required with a body")
        try:
            ContentDigest.verify(digest, body)
        except (InvalidSignature, HTTPMessageSignaturesException) as exc:
            raise SignatureRefused("digest_mismatch", str(exc), key_id=key_id, key=key) from exc
    if params["alg"] != ALGORITHM or not MIN_NONCE_LENGTH <= len(nonce) <= MAX_NONCE_LENGTH:
        raise SignatureRefused(
            "signature_invalid",
            f'alg must be "{ALGORITHM}", nonce {MIN_NONCE_LENGTH}…{MAX_NONCE_LENGTH} characters',
            key_id=key_id,
            key=key,
        )
    verifier = _Verifier(signature_algorithm=algorithms.HMAC_SHA256, key_resolver=_OneKey(key_id, key))
    try:
        verifier.verify(
            _Request(method=method, url=url, headers=headers),
            max_age=None,
            require_components=tuple(required),
            expect_tag=None,
        )
    except (InvalidSignature, HTTPMessageSignaturesException) as exc:
        raise SignatureRefused(
            "signature_invalid", "the signature does not verify", key_id=key_id, key=key
        ) from exc
    return VerifiedRequest(key_id=key_id, key=key, nonce=nonce, created=created)


def sign_response(
    *, status: int, body: bytes, key_id: str, key: bytes, now: datetime.datetime, nonce: str
) -> dict[str, str]:
    """Return the Content-Digest, Signature-Input and Signature headers of a response."""
    response = _Response(status_code=status, headers={})
    signer = HTTPMessageSigner(signature_algorithm=algorithms.HMAC_SHA256, key_resolver=_OneKey(key_id, key))
    signer.sign(
        response,
        key_id=key_id,
        created=now,
        nonce=nonce,
        label=LABEL,
        covered_component_ids=RESPONSE_COMPONENTS,
        body=body,
    )
    return response.headers
