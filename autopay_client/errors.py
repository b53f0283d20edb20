"""Errors raised by the AutoPay client.

Each error says whether repeating the same call may succeed (`retryable`), and carries the HTTP status and the
AutoPay error code when there was a response.
"""

from __future__ import annotations

from collections.abc import Sequence


class AutoPayError(Exception):
    """A call to AutoPay failed."""

    default_retryable = False

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        code: str = "",
        errors: Sequence[str] = (),
        retryable: bool | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status
        self.code = code
        self.errors = tuple(errors)
        self.retryable = self.default_retryable if retryable is None else retryable

    def __str__(self) -> str:
        parts = [self.detail]
        if self.code:
            parts.insert(0, f"[{self.code}]")
        if self.status is not None:
            parts.insert(0, f"HTTP {self.status}")
        if self.errors:
            parts.append("; ".join(self.errors))
        return " ".join(parts)


class TransportError(AutoPayError):
    """AutoPay could not be reached, or did not answer in time."""

    default_retryable = True


class ServerError(AutoPayError):
    """AutoPay answered with a 5xx."""

    default_retryable = True


class AuthenticationError(AutoPayError):
    """AutoPay refused the request's signature (401)."""


class ActivationRefused(AutoPayError):
    """AutoPay refused the activation: the code is unknown, already used, or not for this org no."""


class InvalidDocument(AutoPayError):
    """AutoPay, or the client before sending, found the payment document invalid."""


class BadRequest(AutoPayError):
    """AutoPay refused the request as malformed (a 400 other than an invalid document)."""


class NotFound(AutoPayError):
    """The payment does not exist for this company (404)."""


class Conflict(AutoPayError):
    """The request conflicts with what AutoPay holds (409): another document under the same payment id, or a
    cancellation after the payment reached the bank."""


class ResponseSignatureError(AutoPayError):
    """A response was unsigned or badly signed: it is not trusted, and the call is not retried."""


class MalformedResponse(AutoPayError):
    """A signed response, or a message in it, does not have the shape the wire contract promises."""
