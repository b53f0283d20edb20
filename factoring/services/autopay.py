"""Incoming payments delivered by AutoPay's message feed, applied inside the poll's transaction."""

import datetime
import uuid
from collections.abc import Sequence

import psycopg
from django.db import DataError, IntegrityError, transaction
from django.utils.translation import gettext as _

from autopay_client import messages as autopay_messages
from autopay_client import norwegian
from company import models as company_models
from factoring import errors, models
from factoring.parsers import ParsedPayment
from factoring.services import definitions as definitions_services
from factoring.services import imports, posting
from ledger import errors as ledger_errors
from ledger import services as ledger_services
from ledger.money import round_money


def incoming_payment_messages_apply(
    *,
    company: company_models.Company,
    messages: Sequence[autopay_messages.IncomingPaymentMessage],
    now: datetime.datetime,
) -> list[tuple[uuid.UUID, str]]:
    """Interpret, post and reconcile AutoPay's incoming payments; return the anomalies (message id, reason).

    Runs in the caller's transaction (the poll's, per page, with its cursor). A message already applied (its
    id is unique on the payment) and a payment already taken from a file (the bank's identity) change
    nothing; the second is reported as an anomaly, as is a payment to an account without a KID definition or
    one the ledger refuses (a locked period). Everything else is applied.
    """
    anomalies: list[tuple[uuid.UUID, str]] = []
    if not messages:
        return anomalies
    with transaction.atomic():
        ids = [message.id for message in messages]
        applied = set(
            models.IncomingPayment.objects.filter(autopay_message_id__in=ids).values_list(
                "autopay_message_id", flat=True
            )
        )
        definitions = {
            definition.bank_account: definition
            for definition in models.FactoringCompany.objects.filter(company=company).select_related(
                "gl_account", "voucher_series"
            )
        }
        taken = set(
            imports.taken_payments(
                company_id=company.pk,
                pairs={
                    (definitions_services.account_key(m.credited_account), m.archive_reference)
                    for m in messages
                    if m.archive_reference
                },
            )
        )
        payments: list[ParsedPayment] = []
        keys: list[str] = []
        message_ids: list[uuid.UUID] = []
        seen: set[uuid.UUID] = set()
        for message in messages:
            if message.id in applied or message.id in seen:
                continue
            seen.add(message.id)
            key = definitions_services.account_key(message.credited_account)
            reversal = message.amount < 0
            amount = abs(message.amount)
            identity = (key, message.archive_reference, message.date, amount, reversal)
            if key not in definitions:
                anomalies.append(
                    (
                        message.id,
                        _("No KID definition for bank account %(account)s.")
                        % {"account": message.credited_account},
                    )
                )
                continue
            if amount == 0 or round_money(amount) != amount:
                anomalies.append(
                    (message.id, _("Amount %(amount)s is not a payment.") % {"amount": message.amount})
                )
                continue
            if message.archive_reference and identity in taken:
                anomalies.append(
                    (
                        message.id,
                        _("Already taken from another source (archive reference %(ref)s).")
                        % {"ref": message.archive_reference},
                    )
                )
                continue
            taken.add(identity)
            # A KID whose check digit does not hold is kept as the bank sent it, as from a file: it names no
            # item (interpretation reads it by position only when its check digit holds), so the payment goes
            # to suspense and the work list like any other unmatched one. It is applied, not an anomaly. What
            # cannot be a KID at all (not digits, longer than a KID) is read as the payment's message.
            kid = message.kid or ""
            free_text = message.message
            if kid and not (kid.isdigit() and len(kid) <= norwegian.KID_MAX_LENGTH):
                free_text = free_text or kid
                kid = ""
            payments.append(
                ParsedPayment(
                    line_no=0,
                    credited_account=message.credited_account,
                    amount=amount,
                    is_reversal=reversal,
                    booking_date=message.date,
                    value_date=message.date,
                    kid=kid,
                    message=free_text[:500],
                    payer_account=message.payer_account,
                    payer_name=message.payer_name,
                    archive_reference=message.archive_reference,
                    bank_transaction_type="autopay",
                    currency=message.currency,
                )
            )
            keys.append(key)
            message_ids.append(message.id)
        if not payments:
            return anomalies
        # psycopg's own DataError: a value the COPY of the payments' rows refuses (too long for its column).
        refused = (
            errors.FileRefused,
            ledger_errors.LedgerError,
            IntegrityError,
            DataError,
            psycopg.DataError,
        )
        try:
            _post(
                company=company,
                definitions=definitions,
                payments=payments,
                keys=keys,
                ids=message_ids,
                now=now,
            )
        except refused as exc:
            if len(payments) == 1:
                anomalies.append((message_ids[0], str(exc)))
            else:
                # One payment the ledger or the database refuses must not hold up the others of the page:
                # each is tried again on its own, and only those refused again become anomalies.
                for payment, key, message_id in zip(payments, keys, message_ids, strict=True):
                    try:
                        _post(
                            company=company,
                            definitions=definitions,
                            payments=[payment],
                            keys=[key],
                            ids=[message_id],
                            now=now,
                        )
                    except refused as one:
                        anomalies.append((message_id, str(one)))
    return anomalies


def _post(
    *,
    company: company_models.Company,
    definitions: dict[str, models.FactoringCompany],
    payments: list[ParsedPayment],
    keys: list[str],
    ids: list[uuid.UUID],
    now: datetime.datetime,
) -> None:
    """Interpret, post and reconcile the payments in one savepoint: all of them or, on an error, none."""
    with transaction.atomic():
        ledger_accounts = posting.accounts_of(company=company)
        batch = ledger_services.batch_create(
            company=company, description=_("Incoming payments from AutoPay"), source="incoming", now=now
        )
        posting.payments_take(
            company=company,
            definitions=definitions,
            payments=payments,
            accounts=keys,
            ledger_accounts=ledger_accounts,
            batch=batch,
            file_import=None,
            message_ids=ids,
            now=now,
        )
