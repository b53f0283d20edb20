"""What the payment services refuse, and why. Interfaces translate these into their answer."""


class PaymentError(Exception):
    """A change to a payment the services refuse; nothing was changed."""

    code = "payment_error"
    http_status = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = str(message)
        if code is not None:
            self.code = code


class InvalidProposal(PaymentError):
    """The proposal's criteria cannot make a proposal (another company's bank partner, a date in the past)."""

    code = "invalid_proposal"


class InvalidEdit(PaymentError):
    """An edit that does not fit the line or the payment (an amount above the item's remainder, …)."""

    code = "invalid_edit"


class PaymentNotProposal(PaymentError):
    """The payment is no longer a proposal (status 1) whose document is unsent: it cannot be changed."""

    code = "not_a_proposal"
    http_status = 409


class PaymentFlagged(PaymentError):
    """The payment has a line with a flag no approver has overridden yet."""

    code = "payment_flagged"
    http_status = 409


class NotApprover(PaymentError):
    """Only a user with the approver role in the company may override a flag."""

    code = "not_approver"
    http_status = 403


class FlagNotOpen(PaymentError):
    """The flag was already overridden."""

    code = "flag_not_open"
    http_status = 409


class UploadFailed(PaymentError):
    """AutoPay could not be reached or refused the payment; `retryable` says whether trying again may help."""

    code = "upload_failed"
    http_status = 502

    def __init__(self, message: str, *, code: str | None = None, retryable: bool = False) -> None:
        super().__init__(message, code=code)
        self.retryable = retryable


class SecondFactorRefused(PaymentError):
    """The company asks for a fresh two-factor code, and none, or a wrong one, was given."""

    code = "otp_required"
    http_status = 403
