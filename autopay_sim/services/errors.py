"""The refusals of the simulator's services; `code` is the wire's error code."""


class SimError(Exception):
    """A refused write; `code` is the wire's error code."""

    code = "conflict"


class ActivationInvalid(SimError):
    code = "activation_invalid"


class ActivationCodeUsed(SimError):
    code = "activation_code_used"


class NonceReplayed(SimError):
    code = "nonce_replayed"


class DocumentInvalid(SimError):
    code = "invalid_document"

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


class PaymentConflict(SimError):
    code = "conflict"


class ApprovalRefused(SimError):
    code = "approval_refused"


class AmendRefused(SimError):
    code = "conflict"


class RoleMissing(SimError):
    """The user lacks the role in the company that the write needs."""

    code = "forbidden"
