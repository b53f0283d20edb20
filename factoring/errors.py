"""What the incoming-payments services refuse, and why. Interfaces show the message to the user."""


class IncomingError(Exception):
    """An incoming payment, file or allocation refused; nothing was written."""


class DefinitionInvalid(IncomingError):
    """A KID definition that does not fit: `problems` maps each field to what is wrong with it."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems.items()))


class FileRefused(IncomingError):
    """A bank file that cannot be imported (unreadable, wrong control totals, no definition)."""


class DuplicateFile(FileRefused):
    """The same file (by content) was imported before; `earlier` is that import."""

    def __init__(self, message: str, *, earlier_id: int) -> None:
        self.earlier_id = earlier_id
        super().__init__(message)


class AllocationError(IncomingError):
    """An allocation of a payment that does not fit (amounts, customer, invoices, state)."""
