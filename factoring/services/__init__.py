"""The incoming-payments services, by capability; import them from here."""

from factoring.services.allocation import incoming_payment_allocate
from factoring.services.autopay import incoming_payment_messages_apply
from factoring.services.definitions import (
    account_key,
    definition_problems,
    factoring_company_create,
    factoring_company_delete,
    factoring_company_update,
)
from factoring.services.imports import (
    PROGRESS_CACHE,
    import_progress,
    incoming_file_import,
    incoming_file_queue,
    incoming_import_fail,
)
from factoring.services.interpretation import payments_interpret
from factoring.services.posting import payments_post

__all__ = [
    "PROGRESS_CACHE",
    "account_key",
    "definition_problems",
    "factoring_company_create",
    "factoring_company_delete",
    "factoring_company_update",
    "import_progress",
    "incoming_file_import",
    "incoming_file_queue",
    "incoming_import_fail",
    "incoming_payment_allocate",
    "incoming_payment_messages_apply",
    "payments_interpret",
    "payments_post",
]
