"""The signed HTTP client for AutoPay (docs/autopay-wire.md).

Every request is signed, every response verified before its body is read. Calls are retried with exponential
backoff and jitter on 5xx, time-outs and connection errors only; never on a 4xx, and never on a response whose
signature does not verify. Each attempt is signed afresh (new `created` and `nonce`), since AutoPay refuses a
replayed nonce.
"""

from __future__ import annotations

import collections
import json
import random
import time
from collections.abc import Callable, Mapping
from typing import Any, Final

import httpx
import orjson

from autopay_client import errors, messages, signing
from autopay_client import messages as _messages

API_PREFIX: Final = "/api/v1"
# 401s that AutoPay cannot sign: it has no key to sign them with.
UNSIGNED_401_CODES: Final = frozenset({"signature_missing", "unknown_key"})
SEEN_NONCES_KEPT: Final = 10_000
# The largest page of messages AutoPay serves (docs/autopay-wire.md); its default is 100.
MESSAGES_MAX_LIMIT: Final = 5000


def _error_body(response: httpx.Response) -> tuple[str, str, list[str]]:
    try:
        data = response.json()
    except ValueError:
        return "", response.text[:200], []
    if not isinstance(data, Mapping):
        return "", str(data)[:200], []
    found = data.get("errors")
    found_errors = [str(item) for item in found] if isinstance(found, list) else []
    return str(data.get("error", "")), str(data.get("detail", "")), found_errors


def _error_for(response: httpx.Response) -> errors.AutoPayError:
    """Translate an error response (already trusted, or one of the unsigned 401s) into its exception."""
    status = response.status_code
    code, detail, found = _error_body(response)
    detail = detail or code or response.reason_phrase
    kwargs: dict[str, Any] = {"status": status, "code": code, "errors": found}
    if status == 400 and code == "invalid_document":
        return errors.InvalidDocument(detail, **kwargs)
    if status == 400 and code.startswith("activation_"):
        return errors.ActivationRefused(detail, **kwargs)
    if status == 400:
        return errors.BadRequest(detail, **kwargs)
    if status == 401:
        return errors.AuthenticationError(detail, **kwargs)
    if status == 404:
        return errors.NotFound(detail, **kwargs)
    if status == 409:
        return errors.Conflict(detail, **kwargs)
    if status >= 500:
        return errors.ServerError(detail, **kwargs)
    return errors.AutoPayError(detail, **kwargs)


class AutoPayClient:
    """A company's connection to AutoPay: base URL, org no (the signature's keyid) and signing key.

    `signing_key` is None before activation; only `activate` works then.
    """

    def __init__(
        self,
        base_url: str,
        org_no: str,
        signing_key: bytes | None,
        timeout: float = 10.0,
        max_retries: int = 3,
        transport: httpx.BaseTransport | None = None,
        *,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.org_no = org_no
        self._signing_key = signing_key
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self._sleep = sleep
        # Nonces of the responses this client accepted lately: a response played back again is refused.
        self._seen_nonces: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._http = httpx.Client(timeout=httpx.Timeout(timeout), transport=transport, follow_redirects=False)

    def __repr__(self) -> str:
        return f"AutoPayClient({self.base_url!r}, org_no={self.org_no!r})"

    def __enter__(self) -> AutoPayClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # The calls of the wire.

    def activate(self, activation_code: str) -> messages.Activation:
        """Activate AutoPay for this org no with a single-use code; return the signing key AutoPay issued.

        The request is the one unsigned call (there is no key yet). The 201 response is signed with the new
        key and is verified with it before the key is returned. Only connection failures are retried: a code
        that reached AutoPay is spent, so a time-out is not repeated.

        :raises errors.ActivationRefused: when the code is unknown, used, or not for this org no.
        :raises errors.ResponseSignatureError: when the response is not signed with the key it carries.
        :raises errors.TransportError: when AutoPay could not be reached.
        :raises errors.AutoPayError: for any other failure.
        """
        body = json.dumps({"org_no": self.org_no, "activation_code": activation_code}).encode()

        def attempt() -> messages.Activation:
            request = self._http.build_request(
                "POST", self._url("/activations"), content=body, headers={"Content-Type": "application/json"}
            )
            response = self._send(request)
            if response.status_code != 201:
                raise _error_for(response)
            activation = messages.parse_activation(self._json(response))
            if activation.key_id != self.org_no:
                raise errors.MalformedResponse(
                    f"Activation returned key id {activation.key_id!r} for org no {self.org_no!r}.",
                    status=201,
                    code="malformed_response",
                )
            signing.verify_response(response, key_id=self.org_no, key=activation.signing_key)
            return activation

        return self._with_retries(attempt, retry_on=(errors.TransportError,), only_connect_errors=True)

    def upload_payment(self, document: bytes) -> messages.PaymentReceipt:
        """Upload one pain.001.001.09 payment. Safe to repeat: the same document again creates nothing.

        :raises errors.InvalidDocument: when AutoPay refuses the document (every error is in `.errors`).
        :raises errors.Conflict: when another document was sent under the same payment id.
        :raises errors.AuthenticationError: when AutoPay refuses the signature.
        :raises errors.AutoPayError: for any other failure (`retryable` says whether trying later may help).
        """
        response = self._call("POST", "/payments", content=document, content_type="application/xml")
        if response.status_code not in (200, 201):
            raise _error_for(response)
        return messages.parse_payment(self._json(response), created=response.status_code == 201)

    def get_payment(self, reference: str) -> messages.PaymentReceipt:
        """Return the payment with its current line statuses.

        :raises errors.NotFound: when AutoPay has no such payment for this company.
        :raises errors.AutoPayError: for any other failure.
        """
        response = self._call("GET", f"/payments/{_path_segment(reference)}")
        if response.status_code != 200:
            raise _error_for(response)
        return messages.parse_payment(self._json(response))

    def cancel_payment(self, reference: str) -> messages.PaymentReceipt:
        """Cancel a payment none of whose lines has reached the bank.

        :raises errors.Conflict: when a line has already reached the bank.
        :raises errors.NotFound: when AutoPay has no such payment for this company.
        :raises errors.AutoPayError: for any other failure.
        """
        response = self._call("POST", f"/payments/{_path_segment(reference)}/cancel", content=b"")
        if response.status_code != 200:
            raise _error_for(response)
        return messages.parse_payment(self._json(response))

    def messages(self, after: int, limit: int = 100) -> messages.MessagePage:
        """Return the company's messages after the cursor `after`, oldest first, and the next cursor.

        :raises errors.MalformedResponse: when a message does not match the contract (not retryable).
        :raises errors.AutoPayError: for any other failure.
        """
        if after < 0 or not 1 <= limit <= MESSAGES_MAX_LIMIT:
            raise ValueError(f"after must be >= 0 and limit within 1..{MESSAGES_MAX_LIMIT}")
        response = self._call("GET", "/messages", params={"after": after, "limit": limit})
        if response.status_code != 200:
            raise _error_for(response)
        return messages.parse_message_page(self._json(response))

    def messages_tolerant(self, after: int, limit: int = 100) -> _messages.TolerantMessagePage:
        """Return a page of messages as `messages` does, with malformed messages set apart instead of raised.

        :raises errors.MalformedResponse: when the page itself (not one message) does not match the contract.
        :raises errors.AutoPayError: for any other failure.
        """
        if after < 0 or not 1 <= limit <= MESSAGES_MAX_LIMIT:
            raise ValueError(f"after must be >= 0 and limit within 1..{MESSAGES_MAX_LIMIT}")
        response = self._call("GET", "/messages", params={"after": after, "limit": limit})
        if response.status_code != 200:
            raise _error_for(response)
        return _messages.parse_message_page_tolerant(self._json(response))

    # The machinery.

    def _url(self, path: str) -> str:
        return f"{self.base_url}{API_PREFIX}{path}"

    def _call(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        content_type: str = "",
        params: Mapping[str, int | str] | None = None,
    ) -> httpx.Response:
        """Send a signed request, verify the response, retry what may be retried; return it, trusted."""
        key = self._signing_key
        if key is None:
            raise errors.AuthenticationError(
                f"AutoPay is not activated for {self.org_no}: no signing key.", code="not_activated"
            )

        def attempt() -> httpx.Response:
            headers = {"Content-Type": content_type} if content_type else {}
            request = self._http.build_request(
                method, self._url(path), content=content, headers=headers, params=params
            )
            signing.sign_request(request, key_id=self.org_no, key=key)
            response = self._send(request)
            self._verify(response, key)
            if response.status_code >= 500:
                raise _error_for(response)
            return response

        return self._with_retries(attempt, retry_on=(errors.TransportError, errors.ServerError))

    def _verify(self, response: httpx.Response, key: bytes) -> None:
        if response.status_code == 401 and not signing.is_signed(response):
            code, detail, _ = _error_body(response)
            if code in UNSIGNED_401_CODES:
                raise errors.AuthenticationError(detail or code, status=401, code=code)
        result = signing.verify_response(response, key_id=self.org_no, key=key)
        nonce = str(result.nonce)
        if nonce in self._seen_nonces:
            raise errors.ResponseSignatureError(
                "Response replays a nonce already seen.",
                status=response.status_code,
                code="response_replayed",
            )
        self._seen_nonces[nonce] = None
        if len(self._seen_nonces) > SEEN_NONCES_KEPT:
            self._seen_nonces.popitem(last=False)

    def _send(self, request: httpx.Request) -> httpx.Response:
        try:
            response = self._http.send(request)
            response.read()
        except httpx.ConnectError as exc:
            raise errors.TransportError(f"Cannot connect to AutoPay: {exc}", code="connect_error") from exc
        except httpx.ConnectTimeout as exc:
            raise errors.TransportError("Connecting to AutoPay timed out.", code="connect_error") from exc
        except httpx.TimeoutException as exc:
            raise errors.TransportError(f"AutoPay did not answer in time: {exc!r}", code="timeout") from exc
        except httpx.TransportError as exc:
            raise errors.TransportError(
                f"AutoPay connection failed: {exc!r}", code="transport_error"
            ) from exc
        if response.is_redirect:
            # A redirect is never followed: the request was signed for this URL, and an HTTPS redirect in
            # front of AutoPay means the configured base URL is not the one it serves.
            raise errors.AutoPayError(
                f"AutoPay answered {response.status_code} redirecting to "
                f"{response.headers.get('Location', '?')!r}; the client does not follow redirects: "
                "configure the AutoPay base URL it serves (or exempt its API from the redirect).",
                status=response.status_code,
                code="redirected",
            )
        return response

    def _with_retries[T](
        self,
        attempt: Callable[[], T],
        *,
        retry_on: tuple[type[errors.AutoPayError], ...],
        only_connect_errors: bool = False,
    ) -> T:
        tries = 0
        while True:
            try:
                return attempt()
            except retry_on as exc:
                if not exc.retryable or tries >= self.max_retries:
                    raise
                if only_connect_errors and exc.code != "connect_error":
                    raise
                self._sleep(self._backoff(tries))
                tries += 1

    def _backoff(self, tries: int) -> float:
        # Full jitter: spread retries of many workers over the whole window.
        return random.uniform(0, min(self.backoff_max, self.backoff_base * 2**tries))

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            # orjson: strict JSON (no NaN or Infinity), several times faster than the standard library.
            return orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise errors.MalformedResponse(
                "AutoPay's response is not JSON.", status=response.status_code, code="malformed_response"
            ) from exc


def _path_segment(value: str) -> str:
    if not value or "/" in value or value in {".", ".."}:
        raise ValueError(f"not a payment reference: {value!r}")
    return httpx.URL(value).raw_path.decode("ascii")
