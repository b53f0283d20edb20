"""Upload of payments to AutoPay (1 Proposal → 2 Transferred).

In three steps, none holding a transaction across the call to AutoPay:
1. one transaction locks the payment, checks it, builds the pain.001.001.09 document and stores it with its
   SHA-256 and `upload_started_at` (a retry finds it there and sends the very same bytes);
2. the document goes to AutoPay, with no transaction open;
3. a second transaction records AutoPay's answer: the reference, status 2 for the payment and its lines, who
   and when, and the event.
AutoPay is idempotent on (company, payment id): a resend after a time-out or a crash between steps 2 and 3
answers the payment it already holds (`created=False`), so a payment never exists twice at AutoPay.
"""

import dataclasses
import datetime
import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from autopay_client import client as autopay_client
from autopay_client import errors as autopay_errors
from autopay_client import messages as autopay_messages
from autopay_client import pain001
from company import audit as company_audit
from company import autopay as company_autopay
from company import models as company_models
from company import selectors as company_selectors
from payments import errors, models

CREDITOR_NAME_MAX = 140


@dataclasses.dataclass(frozen=True)
class Refusal:
    payment_id: int
    number: int | None
    reason: str
    code: str


@dataclasses.dataclass(frozen=True)
class UploadOutcome:
    uploaded: tuple[models.Payment, ...]
    refused: tuple[Refusal, ...]


def _not_proposal(payment: models.Payment) -> errors.PaymentNotProposal:
    return errors.PaymentNotProposal(
        gettext("Payment {number} is not a proposal (status {status}): nothing was sent.").format(
            number=payment.number, status=payment.get_status_display()
        )
    )


def payment_upload_check(*, payment: models.Payment) -> None:
    """Tell whether the payment may be uploaded now, before anything is asked of the user or of AutoPay.

    :raises errors.PaymentNotProposal: the payment is not in status 1.
    :raises errors.PaymentFlagged: a line has a flag that is not overridden.
    """
    _refusal_check(payment)


def _refusal_check(payment: models.Payment) -> None:
    if not payment.can_change():
        raise _not_proposal(payment)
    flag = (
        models.PaymentLineFlag.objects.filter(line__payment=payment, overridden_at__isnull=True)
        .order_by("pk")
        .first()
    )
    if flag is not None:
        raise errors.PaymentFlagged(
            gettext("Payment {number} has a flag no approver has overridden: {reason}").format(
                number=payment.number, reason=flag.detail
            )
        )


def _document_for(*, payment: models.Payment, now: datetime.datetime) -> bytes:
    lines = [
        pain001.PaymentLine(
            end_to_end_id=line.end_to_end_id,
            amount=line.amount,
            creditor_name=line.supplier.name[:CREDITOR_NAME_MAX],
            creditor_account=line.creditor_account,
            currency=line.currency,
            kid=line.kid,
            message="" if line.kid else line.message,
        )
        for line in payment.lines.select_related("supplier").order_by("pk")
    ]
    return pain001.build_pain001(
        pain001.PaymentDocument(
            org_no=payment.company.org_no,
            payment_id=str(payment.number),
            debtor_account=payment.bank_partner.bank_account,
            execution_date=payment.payment_date,
            created_at=now,
            lines=lines,
            debtor_name=payment.company.name,
        )
    )


def payment_upload_prepare(*, payment: models.Payment, actor: Any, now: datetime.datetime) -> models.Payment:
    """Store the payment's document and hash before anything is sent; keep a document stored earlier.

    :raises errors.PaymentNotProposal: the payment is not in status 1.
    :raises errors.PaymentFlagged: a line has a flag that is not overridden.
    :raises errors.UploadFailed: the payment does not make a valid pain.001 document (code invalid_document).
    """
    with transaction.atomic():
        locked = (
            models.Payment.objects.select_for_update()
            .select_related("company", "bank_partner")
            .get(pk=payment.pk)
        )
        _refusal_check(locked)
        if locked.document:
            return locked
        try:
            document = _document_for(payment=locked, now=now)
        except autopay_errors.InvalidDocument as exc:
            raise errors.UploadFailed(
                gettext("Payment {number} cannot be sent: {problems}").format(
                    number=locked.number, problems="; ".join(exc.errors) or exc.detail
                ),
                code="invalid_document",
            ) from exc
        locked.document = document.decode("utf-8")
        locked.document_sha256 = hashlib.sha256(document).hexdigest()
        locked.upload_started_at = now
        locked.save(update_fields=["document", "document_sha256", "upload_started_at"])
        models.PaymentEvent.objects.create(
            payment=locked,
            company_id=locked.company_id,
            kind=models.PaymentEventKind.UPLOAD_STARTED,
            at=now,
            actor_id=getattr(actor, "pk", None),
            details={"sha256": locked.document_sha256},
        )
        return locked


def payment_upload_record(
    *,
    payment: models.Payment,
    receipt: autopay_messages.PaymentReceipt,
    actor: Any,
    now: datetime.datetime,
    ip: str = "",
) -> models.Payment:
    """Record AutoPay's receipt: the reference, status 2 for the payment and its lines, who and when.

    A payment another upload already recorded is returned as it is.
    """
    with transaction.atomic():
        locked = models.Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status != models.PaymentStatus.PROPOSAL:
            return locked
        locked.autopay_reference = receipt.reference
        locked.status = models.PaymentStatus.TRANSFERRED
        locked.transferred_at = now
        locked.transferred_by_id = getattr(actor, "pk", None)
        locked.save(update_fields=["autopay_reference", "status", "transferred_at", "transferred_by"])
        locked.lines.filter(status=models.LineStatus.PROPOSAL).update(
            status=models.LineStatus.TRANSFERRED, status_changed_at=now
        )
        models.PaymentEvent.objects.create(
            payment=locked,
            company_id=locked.company_id,
            kind=models.PaymentEventKind.UPLOADED,
            at=now,
            actor_id=getattr(actor, "pk", None),
            details={
                "autopay_reference": receipt.reference,
                "created_at_autopay": receipt.created,
                "autopay_status": str(receipt.status),
                "sha256": locked.document_sha256,
            },
        )
        company_audit.audit_event_record(
            event=company_models.AuditEventKind.PAYMENT_UPLOADED,
            user=actor,
            company=locked.company,
            ip=ip,
            details={
                "payment": locked.number,
                "autopay_reference": receipt.reference,
                "total": str(locked.total),
            },
            now=now,
        )
        return locked


def _refusal_record(
    *, payment: models.Payment, actor: Any, now: datetime.datetime, error: errors.PaymentError, forget: bool
) -> None:
    """Write the refused upload's event; with `forget`, drop the stored document (AutoPay kept nothing)."""
    with transaction.atomic():
        locked = models.Payment.objects.select_for_update().get(pk=payment.pk)
        if forget and locked.status == models.PaymentStatus.PROPOSAL:
            locked.document = ""
            locked.document_sha256 = ""
            locked.upload_started_at = None
            locked.save(update_fields=["document", "document_sha256", "upload_started_at"])
        models.PaymentEvent.objects.create(
            payment=locked,
            company_id=locked.company_id,
            kind=models.PaymentEventKind.UPLOAD_REFUSED,
            at=now,
            actor_id=getattr(actor, "pk", None),
            details={
                "error": error.code,
                "reason": error.message,
                "retryable": getattr(error, "retryable", False),
            },
        )


def payment_upload(
    *,
    payment: models.Payment,
    actor: Any,
    now: datetime.datetime,
    client: autopay_client.AutoPayClient | None = None,
    ip: str = "",
) -> models.Payment:
    """Upload one proposal to AutoPay and record it as transferred; a retry sends the stored document again.

    `client` is the company's signed client; by default one from `company.autopay.autopay_client_for`.

    :raises errors.PaymentNotProposal: the payment is not in status 1 (nothing is sent).
    :raises errors.PaymentFlagged: a line has a flag that is not overridden (nothing is sent).
    :raises errors.UploadFailed: AutoPay is not activated, cannot be reached (`retryable`), or refused the
        document; the refusal is recorded as an event.
    """
    current = models.Payment.objects.select_related("company").get(pk=payment.pk)
    _refusal_check(current)
    own_client = client is None
    try:
        if client is None:
            client = company_autopay.autopay_client_for(company=current.company)
    except company_selectors.CompanyNotActivated as exc:
        raise errors.UploadFailed(
            gettext("AutoPay is not activated for {company}.").format(company=current.company.name),
            code="autopay_not_activated",
        ) from exc
    try:
        prepared = payment_upload_prepare(payment=current, actor=actor, now=now)
        try:
            receipt = client.upload_payment(prepared.document.encode("utf-8"))
        except autopay_errors.AutoPayError as exc:
            # AutoPay stored nothing when it found the document invalid: it may be edited and built again.
            forget = isinstance(exc, autopay_errors.InvalidDocument | autopay_errors.BadRequest)
            failure = errors.UploadFailed(
                gettext("AutoPay did not take payment {number}: {error}").format(
                    number=prepared.number, error=exc
                ),
                code=exc.code or "autopay_error",
                retryable=exc.retryable,
            )
            _refusal_record(payment=prepared, actor=actor, now=now, error=failure, forget=forget)
            raise failure from exc
        return payment_upload_record(payment=prepared, receipt=receipt, actor=actor, now=now, ip=ip)
    finally:
        if own_client:
            client.close()


def payments_upload(
    *,
    payments: Sequence[models.Payment],
    actor: Any,
    now: datetime.datetime,
    clients: dict[int, autopay_client.AutoPayClient] | None = None,
    ip: str = "",
) -> UploadOutcome:
    """Upload each payment in turn; return the ones uploaded and the ones refused with the reason.

    `clients` maps a company id to its client (by default each company's own, opened once).
    """
    uploaded: list[models.Payment] = []
    refused: list[Refusal] = []
    opened: dict[int, autopay_client.AutoPayClient] = {}
    given = clients or {}
    try:
        for payment in payments:
            try:
                _refusal_check(payment)
            except errors.PaymentError as exc:
                refused.append(Refusal(payment.pk, payment.number, exc.message, exc.code))
                continue
            client = given.get(payment.company_id) or opened.get(payment.company_id)
            if client is None:
                try:
                    client = company_autopay.autopay_client_for(company=payment.company)
                except company_selectors.CompanyNotActivated:
                    refused.append(
                        Refusal(
                            payment.pk,
                            payment.number,
                            gettext("AutoPay is not activated for {company}.").format(
                                company=payment.company.name
                            ),
                            "autopay_not_activated",
                        )
                    )
                    continue
                opened[payment.company_id] = client
            try:
                uploaded.append(payment_upload(payment=payment, actor=actor, now=now, client=client, ip=ip))
            except errors.PaymentError as exc:
                refused.append(Refusal(payment.pk, payment.number, exc.message, exc.code))
    finally:
        for client in opened.values():
            client.close()
    return UploadOutcome(uploaded=tuple(uploaded), refused=tuple(refused))


def upload_run_start(
    *, payment_ids: Sequence[int], actor: Any, now: datetime.datetime, ip: str = ""
) -> models.UploadRun:
    """Record a background upload of the given payments (ids the caller scoped to the user) and queue it.

    The task is queued when the transaction commits, under the run's own task id. `ip`, the address the upload
    was asked from, goes into the audit log of each payment uploaded.
    """
    from payments import tasks  # the task module imports this one

    with transaction.atomic():
        run = models.UploadRun.objects.create(
            created_by=actor, created_at=now, payment_ids=list(dict.fromkeys(payment_ids)), ip=ip or None
        )
        run.task_id = f"upload-run-{run.pk}"
        run.save(update_fields=["task_id"])
        # The refusals are told in the language of the one who asked, as an upload at once tells them.
        language = translation.get_language()
        transaction.on_commit(
            lambda: tasks.upload_run_execute.apply_async(
                kwargs={"upload_run_id": run.pk, "language": language}, task_id=run.task_id
            )
        )
        return run


def upload_run_execute(
    *,
    run: models.UploadRun,
    now: datetime.datetime,
    clock: Callable[[], datetime.datetime] | None = None,
) -> models.UploadRun:
    """Upload the run's payments one by one, recording progress after each; skip those already handled.

    A worker that dies midway is started again on the same run: what it handled stays handled, and a payment
    whose document was stored is sent again as the same bytes. `clock` (by default always `now`) tells the
    time of each payment's upload and of the run's end.
    """
    tick = clock or (lambda: now)
    with transaction.atomic():
        locked = models.UploadRun.objects.select_for_update().get(pk=run.pk)
        if locked.is_finished():
            return locked
        locked.status = models.UploadRunStatus.RUNNING
        locked.save(update_fields=["status"])
    actor = locked.created_by
    handled = set(locked.handled_ids)
    payments = models.Payment.objects.select_related("company").in_bulk(
        [pk for pk in locked.payment_ids if pk not in handled]
    )
    for pk in locked.payment_ids:
        if pk in handled:
            continue
        payment = payments.get(pk)
        outcome = (
            payments_upload(payments=[payment], actor=actor, now=tick(), ip=locked.ip or "")
            if payment is not None
            else UploadOutcome((), (Refusal(pk, None, gettext("No such payment."), "not_found"),))
        )
        with transaction.atomic():
            progress = models.UploadRun.objects.select_for_update().get(pk=run.pk)
            progress.handled_ids = [*progress.handled_ids, pk]
            progress.uploaded = [*progress.uploaded, *(p.number for p in outcome.uploaded)]
            progress.refused = [
                *progress.refused,
                *({"payment": r.payment_id, "number": r.number, "reason": r.reason} for r in outcome.refused),
            ]
            progress.save(update_fields=["handled_ids", "uploaded", "refused"])
    with transaction.atomic():
        done = models.UploadRun.objects.select_for_update().get(pk=run.pk)
        done.status = models.UploadRunStatus.DONE
        done.finished_at = tick()
        done.save(update_fields=["status", "finished_at"])
        return done
