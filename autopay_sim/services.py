"""Every write of the simulated AutoPay. Each is one transaction; the caller passes `now`."""

import dataclasses
import datetime
import hashlib
import random
import secrets
import uuid
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from stdnum import luhn
from stdnum.no import kontonr

from autopay_sim import crypto, models, pain001, signing

KID_MAX_DIGITS_AT_BANK = 25
# A nonce must be remembered as long as a request carrying it can be within the ±MAX_SKEW_SECONDS window.
NONCE_RETENTION = datetime.timedelta(seconds=2 * signing.MAX_SKEW_SECONDS)
CENT = Decimal("0.01")
ENDED_WITH_REASON = frozenset(
    {
        models.AutoPayStatus.CANCELLED,
        models.AutoPayStatus.CANCELLED_IN_BANK,
        models.AutoPayStatus.REJECTED_IN_BANK,
        models.AutoPayStatus.ERROR,
    }
)


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


def _require_role(*, user: AbstractBaseUser, company: models.SimCompany, role: models.SimRole) -> None:
    """:raises RoleMissing: the user does not have `role` in `company`."""
    if not models.SimMembership.objects.filter(user_id=user.pk, company=company, role=role).exists():
        raise RoleMissing(f"{user} is not an {role.label} of {company}")


def totp_device_verify(*, user: AbstractBaseUser, code: str) -> TOTPDevice | None:
    """Return the user's confirmed TOTP device that accepts this one-time code, or None.

    A device that accepts a code records it, so that the same code is not accepted twice.
    """
    code = code.strip()
    if not code:
        return None
    with transaction.atomic():
        return next(
            (
                device
                for device in TOTPDevice.objects.devices_for_user(user, confirmed=True)
                if device.verify_token(code)
            ),
            None,
        )


# Companies and activation ---------------------------------------------------------------------------------


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def _new_activation_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


@dataclasses.dataclass(frozen=True)
class Registration:
    company: models.SimCompany
    activation_code: str | None  # None when the company is already activated


def company_register(
    *, org_no: str, name: str, debtor_account: str, now: datetime.datetime, approvers_required: int = 1
) -> Registration:
    """Create the company and its bank agreement if missing, and issue an activation code unless activated.

    A new code replaces the company's unused older codes.

    :raises SimError: the org no or the account is not valid.
    """
    if not (len(org_no) == 9 and org_no.isdigit()):
        raise SimError(f"{org_no!r} is not a 9-digit org no")
    if not pain001.account_is_valid(debtor_account):
        raise SimError(f"{debtor_account!r} is not a valid account number")
    with transaction.atomic():
        company, _ = models.SimCompany.objects.select_for_update().get_or_create(
            org_no=org_no, defaults={"name": name}
        )
        models.BankAgreement.objects.get_or_create(
            company=company,
            debtor_account=debtor_account,
            defaults={"approvers_required": approvers_required},
        )
        if company.is_activated():
            return Registration(company=company, activation_code=None)
        return Registration(company=company, activation_code=_activation_code_issue(company=company, now=now))


def activation_code_issue(*, company_id: int, now: datetime.datetime) -> str:
    """Issue a new one-time activation code for a company that is not activated yet, and return it.

    :raises SimError: the company is already activated.
    """
    with transaction.atomic():
        company = models.SimCompany.objects.select_for_update().get(pk=company_id)
        if company.is_activated():
            raise SimError(f"{company} is already activated")
        return _activation_code_issue(company=company, now=now)


def _activation_code_issue(*, company: models.SimCompany, now: datetime.datetime) -> str:
    models.ActivationCode.objects.filter(company=company, used_at__isnull=True).delete()
    code = _new_activation_code()
    models.ActivationCode.objects.create(company=company, code_sha256=_code_hash(code), issued_at=now)
    return code


def company_activate(
    *, org_no: str, activation_code: str, now: datetime.datetime
) -> tuple[models.SimCompany, bytes]:
    """Use an activation code: give the company a new signing key and return it, this once.

    :raises ActivationInvalid: unknown code, or a code of another company.
    :raises ActivationCodeUsed: the code was used before.
    """
    with transaction.atomic():
        code = (
            models.ActivationCode.objects.select_for_update()
            .select_related("company")
            .filter(code_sha256=_code_hash(activation_code), company__org_no=org_no)
            .first()
        )
        if code is None:
            raise ActivationInvalid("unknown activation code or org no")
        if code.is_used():
            raise ActivationCodeUsed("this activation code has been used")
        company = models.SimCompany.objects.select_for_update().get(pk=code.company_id)
        key = secrets.token_bytes(32)
        company.signing_key_ciphertext = crypto.encrypt(key)
        company.activated_at = now
        company.save(update_fields=["signing_key_ciphertext", "activated_at"])
        code.used_at = now
        code.save(update_fields=["used_at"])
        return company, key


def nonce_record(*, key_id: str, nonce: str, now: datetime.datetime) -> models.SeenNonce:
    """Remember a request nonce; forget those older than NONCE_RETENTION.

    :raises NonceReplayed: the nonce was seen before under this key id.
    """
    try:
        with transaction.atomic():
            models.SeenNonce.objects.filter(seen_at__lt=now - NONCE_RETENTION).delete()
            return models.SeenNonce.objects.create(key_id=key_id, nonce=nonce, seen_at=now)
    except IntegrityError as exc:
        raise NonceReplayed("this nonce was already used") from exc


# Messages -------------------------------------------------------------------------------------------------


def _next_seq(company_id: int) -> int:
    # One UPDATE locks the row and increments; concurrent writers queue on it, so seqs follow commit order.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE autopay_sim_simcompany SET last_message_seq = last_message_seq + 1 WHERE id = %s "
            "RETURNING last_message_seq",
            [company_id],
        )
        row = cursor.fetchone()
    if row is None:
        raise models.SimCompany.DoesNotExist(company_id)
    return int(row[0])


def _message_emit(
    *, company_id: int, type: models.MessageType, payload: dict[str, Any], now: datetime.datetime
) -> models.Message:
    return models.Message.objects.create(
        company_id=company_id, seq=_next_seq(company_id), type=type, payload=payload, created_at=now
    )


def _line_payload(line: models.PaymentLine) -> dict[str, Any]:
    return {
        "payment_reference": line.payment.reference,
        "payment_id": line.payment.payment_id,
        "end_to_end_id": line.end_to_end_id,
        "autopay_status": line.status,
        "erp_status": models.ERP_STATUS_BY_AUTOPAY_STATUS[line.status],
        "amount_paid": None if line.amount_paid is None else str(line.amount_paid),
        "currency": line.currency,
        "value_date": None if line.value_date is None else line.value_date.isoformat(),
        "bank_reference": line.bank_reference or None,
        "reason": line.reason,
    }


def _line_transition(
    *,
    line: models.PaymentLine,
    to: models.AutoPayStatus,
    actor: str,
    now: datetime.datetime,
    reason: str = "",
    extra_fields: tuple[str, ...] = (),
) -> None:
    """Move one line (whose payment is locked) to a status: save, event row and line_status message."""
    from_status = line.status
    line.status = to
    if reason:
        line.reason = reason
    line.save(update_fields=["status", "reason", *extra_fields])
    models.PaymentEvent.objects.create(
        payment=line.payment,
        line=line,
        kind="line_status",
        from_status=from_status,
        to_status=to,
        actor=actor,
        at=now,
        details=reason,
    )
    _message_emit(
        company_id=line.payment.company_id,
        type=models.MessageType.LINE_STATUS,
        payload=_line_payload(line),
        now=now,
    )


def _payment_transition(
    *,
    payment: models.Payment,
    to: models.AutoPayStatus,
    actor: str,
    now: datetime.datetime,
    reason: str = "",
    lines_from: frozenset[str] | None = None,
    at_field: str | None = None,
) -> models.Payment:
    """Move a locked payment and those of its lines in `lines_from` (default: its own status) to a status."""
    from_status = payment.status
    payment.status = to
    update_fields = ["status"]
    if at_field:
        setattr(payment, at_field, now)
        update_fields.append(at_field)
    payment.save(update_fields=update_fields)
    models.PaymentEvent.objects.create(
        payment=payment,
        kind="status",
        from_status=from_status,
        to_status=to,
        actor=actor,
        at=now,
        details=reason,
    )
    movable = lines_from if lines_from is not None else frozenset({from_status})
    # A line's `reason` says why it was rejected or cancelled (the wire's line_status payload), nothing else.
    line_reason = reason if to in ENDED_WITH_REASON else ""
    for line in payment.lines.order_by("id"):
        if line.status in movable and line.status != to:
            line.payment = payment
            _line_transition(line=line, to=to, actor=actor, now=now, reason=line_reason)
    return payment


# Payments -------------------------------------------------------------------------------------------------


def payment_upload(
    *, company: models.SimCompany, document: bytes, now: datetime.datetime
) -> tuple[models.Payment, bool]:
    """Store one uploaded pain.001 payment; return it and whether it was created now.

    The same PmtInfId with the same document returns the stored payment and creates nothing.

    :raises DocumentInvalid: the document breaks the XSD or a rule (every error listed); nothing is stored.
    :raises PaymentConflict: the PmtInfId was used before with another document.
    """
    try:
        parsed = pain001.parse(document)
    except pain001.DocumentInvalid as exc:
        raise DocumentInvalid(exc.errors) from exc
    digest = hashlib.sha256(document).hexdigest()
    with transaction.atomic():
        # Uploads of one company are serialised on its row: a concurrent repeat waits, then finds the first.
        company = models.SimCompany.objects.select_for_update().get(pk=company.pk)
        existing = models.Payment.objects.filter(company=company, payment_id=parsed.payment_id).first()
        if existing is not None:
            if existing.document_sha256 != digest:
                raise PaymentConflict(
                    f"PmtInfId {parsed.payment_id} was uploaded before with another document"
                )
            return existing, False
        errors = []
        if parsed.initiating_org_no != company.org_no:
            errors.append(
                f"InitgPty org no {parsed.initiating_org_no!r} is not the signer's {company.org_no}"
            )
        agreement = models.BankAgreement.objects.filter(
            company=company, debtor_account=parsed.debtor_account
        ).first()
        if agreement is None:
            errors.append(f"DbtrAcct {parsed.debtor_account} has no bank agreement for {company.org_no}")
        if errors:
            raise DocumentInvalid(errors)
        assert agreement is not None
        payment = models.Payment.objects.create(
            company=company,
            agreement=agreement,
            reference=f"tmp-{uuid.uuid4().hex[:16]}",
            payment_id=parsed.payment_id,
            message_id=parsed.message_id,
            document_sha256=digest,
            document=document,
            requested_date=parsed.requested_date,
            currency=parsed.lines[0].currency,
            uploaded_at=now,
        )
        payment.reference = f"AP-{payment.pk:06d}"
        payment.save(update_fields=["reference"])
        models.PaymentLine.objects.bulk_create(
            models.PaymentLine(
                payment=payment,
                end_to_end_id=line.end_to_end_id,
                amount=line.amount,
                currency=line.currency,
                creditor_name=line.creditor_name,
                creditor_account=line.creditor_account,
                kid=line.kid,
                message=line.message,
            )
            for line in parsed.lines
        )
        models.PaymentEvent.objects.create(
            payment=payment,
            kind="uploaded",
            to_status=payment.status,
            actor="erp",
            at=now,
            details=parsed.message_id,
        )
        return payment, True


def payment_cancel(
    *,
    payment_id: int,
    actor: str,
    now: datetime.datetime,
    reason: str = "Cancelled",
    user: AbstractBaseUser | None = None,
) -> models.Payment:
    """Cancel a payment that the bank does not have yet, and its lines.

    `user` is the person cancelling in the web UI, who must be an AutoPay Approver; the ERP cancels
    without one.

    :raises RoleMissing: the user is not an AutoPay Approver of the payment's company.
    :raises PaymentConflict: the payment has reached the bank or is already cancelled.
    """
    with transaction.atomic():
        payment = models.Payment.objects.select_for_update().select_related("company").get(pk=payment_id)
        if user is not None:
            _require_role(user=user, company=payment.company, role=models.SimRole.APPROVER)
        if not payment.can_cancel():
            raise PaymentConflict(
                f"{payment.reference} is {payment.get_status_display()}: it cannot be cancelled"
            )
        return _payment_transition(
            payment=payment,
            to=models.AutoPayStatus.CANCELLED,
            actor=actor,
            now=now,
            reason=reason,
            lines_from=models.BEFORE_BANK,
            at_field="cancelled_at",
        )


def payment_approve(
    *,
    payment_id: int,
    user: AbstractBaseUser,
    now: datetime.datetime,
    otp_code: str = "",
    session_verified: bool = False,
) -> models.Payment:
    """Sign a payment as one approver: Approved once enough distinct approvers signed, else Pending signing.

    The agreement's two-factor level decides what is asked: a TOTP code at each approval ("approval"), or a
    session logged in with a TOTP code ("login"). A company with two-factor required only lets users with a
    confirmed TOTP device approve.

    :raises RoleMissing: not an AutoPay Approver of the company.
    :raises ApprovalRefused: already signed by this user, a missing or wrong one-time code, or a payment that
        is not awaiting approval.
    """
    with transaction.atomic():
        payment = (
            models.Payment.objects.select_for_update()
            .select_related("agreement", "company")
            .get(pk=payment_id)
        )
        if not payment.can_approve():
            raise ApprovalRefused(
                f"{payment.reference} is {payment.get_status_display()}: nothing to approve"
            )
        _require_role(user=user, company=payment.company, role=models.SimRole.APPROVER)
        if payment.approvals.filter(user_id=user.pk).exists():
            raise ApprovalRefused(
                f"{user} has already approved {payment.reference}; another approver must sign"
            )
        has_device = TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()
        if payment.company.two_factor_required and not has_device:
            raise ApprovalRefused(
                f"{payment.company} requires two-factor authentication: {user} has no device"
            )
        level = payment.agreement.two_factor_level
        with_two_factor = False
        if level == models.TwoFactorLevel.APPROVAL:
            if totp_device_verify(user=user, code=otp_code) is None:
                raise ApprovalRefused("a valid one-time code is required to approve")
            with_two_factor = True
        elif level == models.TwoFactorLevel.LOGIN:
            if not session_verified:
                raise ApprovalRefused("log in with a one-time code to approve")
            with_two_factor = True
        models.Approval.objects.create(
            payment=payment, user_id=user.pk, at=now, with_two_factor=with_two_factor
        )
        models.PaymentEvent.objects.create(
            payment=payment,
            kind="approval",
            actor=user.get_username(),
            at=now,
            details="with two-factor" if with_two_factor else "",
        )
        signed = payment.approvals.count()
        if signed >= payment.agreement.approvers_required:
            return _payment_transition(
                payment=payment, to=models.AutoPayStatus.APPROVED, actor=user.get_username(), now=now,
                lines_from=models.AWAITING_APPROVAL, at_field="approved_at",
                reason=f"{signed} of {payment.agreement.approvers_required} approvers",
            )  # fmt: skip
        if payment.status != models.AutoPayStatus.PENDING_SIGNING:
            return _payment_transition(
                payment=payment, to=models.AutoPayStatus.PENDING_SIGNING, actor=user.get_username(), now=now,
                reason=f"{signed} of {payment.agreement.approvers_required} approvers",
            )  # fmt: skip
        return payment


def payment_line_amount_reduce(
    *, line_id: int, amount: Decimal, user: AbstractBaseUser, now: datetime.datetime
) -> models.PaymentLine:
    """Lower the amount of a line of a payment no approver has signed yet, recording the change as an event.

    :raises RoleMissing: the user is not an AutoPay Approver of the payment's company.
    :raises AmendRefused: the payment has an approval or is further on, the amount has more than 2 decimals,
        or it is not in (0, current).
    """
    with transaction.atomic():
        payment_pk = models.PaymentLine.objects.values_list("payment_id", flat=True).get(pk=line_id)
        payment = models.Payment.objects.select_for_update().select_related("company").get(pk=payment_pk)
        line = models.PaymentLine.objects.select_for_update().get(pk=line_id)
        _require_role(user=user, company=payment.company, role=models.SimRole.APPROVER)
        if not payment.can_amend():
            raise AmendRefused(f"{payment.reference} is {payment.get_status_display()}: it cannot be changed")
        if not amount.is_finite() or amount != amount.quantize(CENT):
            raise AmendRefused(f"the new amount {amount} has more than 2 decimals")
        if not (Decimal(0) < amount < line.amount):
            raise AmendRefused(f"the new amount must be greater than 0 and less than {line.amount}")
        old = line.amount
        line.amount = amount
        line.save(update_fields=["amount"])
        models.PaymentEvent.objects.create(
            payment=payment, line=line, kind="amount_reduced", actor=user.get_username(), at=now,
            details=f"{line.end_to_end_id}: {old} → {amount}",
        )  # fmt: skip
        return line


def payment_date_change(
    *, payment_id: int, requested_date: datetime.date, user: AbstractBaseUser, now: datetime.datetime
) -> models.Payment:
    """Move the requested execution date of a payment no approver has signed yet, recording it as an event.

    :raises RoleMissing: the user is not an AutoPay Approver of the payment's company.
    :raises AmendRefused: the payment has an approval or is further on, or the date is before today (local).
    """
    with transaction.atomic():
        payment = models.Payment.objects.select_for_update().select_related("company").get(pk=payment_id)
        _require_role(user=user, company=payment.company, role=models.SimRole.APPROVER)
        if not payment.can_amend():
            raise AmendRefused(f"{payment.reference} is {payment.get_status_display()}: it cannot be changed")
        if requested_date < timezone.localdate(now):
            raise AmendRefused("the date cannot be in the past")
        old = payment.requested_date
        payment.requested_date = requested_date
        payment.save(update_fields=["requested_date"])
        models.PaymentEvent.objects.create(
            payment=payment, kind="date_changed", actor=user.get_username(), at=now,
            details=f"{old.isoformat()} → {requested_date.isoformat()}",
        )  # fmt: skip
        return payment


# The bank -------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class BankDay:
    payments: int = 0
    paid: int = 0
    rejected: int = 0


def _bank_rejection(
    line: models.PaymentLine, closed: set[str], rng: random.Random, reject_share: float
) -> str:
    if line.creditor_account in closed:
        return "closed account"
    if line.kid and (len(line.kid) > KID_MAX_DIGITS_AT_BANK or not pain001.kid_is_valid(line.kid)):
        return "invalid KID"
    if rng.random() < reject_share:
        return "rejected by the bank"
    return ""


def bank_day_run(
    *, day: datetime.date, now: datetime.datetime, seed: int | None = None, reject_share: float = 0.0
) -> BankDay:
    """Run one bank day: send approved payments due by `day` to the bank, and pay or reject each line.

    A line is rejected for a closed creditor account, a KID the bank does not accept (longer than 25 digits or
    without a valid check digit) or, with probability `reject_share` from a generator seeded with `seed`, at
    random. Other lines are paid in full with value date `day`.

    :raises SimError: `reject_share` is not between 0 and 1.
    """
    if not 0 <= reject_share <= 1:
        raise SimError(f"reject_share must be between 0 and 1, not {reject_share}")
    rng = random.Random(seed)
    result = BankDay()
    closed = set(models.ClosedAccount.objects.values_list("account", flat=True))
    with transaction.atomic():
        payments = (
            models.Payment.objects.select_for_update(skip_locked=True)
            .filter(status=models.AutoPayStatus.APPROVED, requested_date__lte=day)
            .order_by("company_id", "reference")
        )
        for payment in payments:
            result.payments += 1
            _payment_transition(
                payment=payment,
                to=models.AutoPayStatus.SENT_TO_BANK,
                actor="bank",
                now=now,
                at_field="sent_to_bank_at",
            )
            any_paid = False
            for line in payment.lines.filter(status=models.AutoPayStatus.SENT_TO_BANK).order_by("id"):
                line.payment = payment
                reason = _bank_rejection(line, closed, rng, reject_share)
                if reason:
                    _line_transition(
                        line=line,
                        to=models.AutoPayStatus.REJECTED_IN_BANK,
                        actor="bank",
                        now=now,
                        reason=reason,
                    )
                    result.rejected += 1
                    continue
                _line_transition(line=line, to=models.AutoPayStatus.ACCEPTED_BY_BANK, actor="bank", now=now)
                line.amount_paid = line.amount
                line.value_date = day
                line.bank_reference = f"BR{day:%Y%m%d}{line.pk:08d}"
                _line_transition(
                    line=line, to=models.AutoPayStatus.PAID, actor="bank", now=now,
                    extra_fields=("amount_paid", "value_date", "bank_reference"),
                )  # fmt: skip
                result.paid += 1
                any_paid = True
            final = models.AutoPayStatus.PAID if any_paid else models.AutoPayStatus.REJECTED_IN_BANK
            _payment_transition(payment=payment, to=final, actor="bank", now=now, lines_from=frozenset())
    return result


@dataclasses.dataclass(frozen=True)
class IncomingSpec:
    """What to generate: KIDs with amounts, and how many payments with unknown KIDs or without a KID."""

    kid_amounts: list[tuple[str, Decimal]]
    unknown_kids: int = 0
    without_kid: int = 0


def _random_account(rng: random.Random) -> str:
    while True:
        base = f"{rng.randint(1000, 9999)}{rng.randint(0, 999999):06d}"
        valid = [base + digit for digit in "0123456789" if kontonr.is_valid(base + digit)]
        if valid:
            return valid[0]


def _random_kid(rng: random.Random) -> str:
    base = f"9{rng.randint(0, 10**8 - 1):08d}"
    return base + luhn.calc_check_digit(base)


def incoming_payments_generate(
    *,
    company_id: int,
    spec: IncomingSpec,
    day: datetime.date,
    now: datetime.datetime,
    seed: int | None = None,
    credited_account: str = "",
) -> list[models.Message]:
    """Emit `incoming_payment` messages for a company, as the bank reports money received on its account.

    :raises SimError: the company has no bank agreement to credit.
    """
    rng = random.Random(seed)
    with transaction.atomic():
        company = models.SimCompany.objects.select_for_update().get(pk=company_id)
        if not credited_account:
            agreement = company.agreements.order_by("id").first()
            if agreement is None:
                raise SimError(f"{company} has no bank account to credit")
            credited_account = agreement.debtor_account
        entries: list[tuple[str | None, Decimal, str]] = [
            (kid, amount, "") for kid, amount in spec.kid_amounts
        ]
        entries += [
            (_random_kid(rng), Decimal(rng.randint(10000, 500000)) / 100, "")
            for _ in range(spec.unknown_kids)
        ]
        entries += [
            (None, Decimal(rng.randint(10000, 500000)) / 100, f"Betaling faktura {rng.randint(10000, 99999)}")
            for _ in range(spec.without_kid)
        ]
        messages = []
        for kid, amount, text in entries:
            payload = {
                "amount": str(amount.quantize(Decimal("0.01"))),
                "currency": "NOK",
                "date": day.isoformat(),
                "kid": kid,
                "message": text,
                "payer_account": _random_account(rng),
                "payer_name": f"Kunde {rng.randint(1, 999)} AS",
                "credited_account": credited_account,
                "archive_reference": f"AR{day:%Y%m%d}{uuid.UUID(int=rng.getrandbits(128)).hex[:12].upper()}",
            }
            messages.append(
                _message_emit(
                    company_id=company.pk, type=models.MessageType.INCOMING_PAYMENT, payload=payload, now=now
                )
            )
        return messages


def approval_token_issue(
    *,
    company_id: int,
    user: AbstractBaseUser,
    invoice_no: str,
    supplier_account: str,
    amount: Decimal,
    currency: str,
    otp_code: str,
    now: datetime.datetime,
) -> models.Message:
    """Approve and pay an invoice on the Approval side: check the TOTP code, emit an approval token.

    :raises RoleMissing: the user is not an Invoice Approver of the company.
    :raises ApprovalRefused: the company does not allow pre-approval, or the one-time code is wrong.
    """
    with transaction.atomic():
        company = models.SimCompany.objects.select_for_update().get(pk=company_id)
        if not company.allow_pre_approval:
            raise ApprovalRefused(f"{company} does not allow pre-approval")
        _require_role(user=user, company=company, role=models.SimRole.INVOICE_APPROVER)
        if totp_device_verify(user=user, code=otp_code) is None:
            raise ApprovalRefused("a valid one-time code is required to approve and pay")
        payload = {
            "token": secrets.token_urlsafe(24),
            "invoice_no": invoice_no,
            "supplier_account": supplier_account,
            "amount": str(amount),
            "currency": currency,
            "approved_by": user.get_username(),
            "approved_at": now.isoformat(),
        }
        return _message_emit(
            company_id=company.pk, type=models.MessageType.APPROVAL_TOKEN, payload=payload, now=now
        )
