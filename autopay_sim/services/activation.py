"""Companies, their bank agreements and activation codes, and the signing key issued at activation."""

import dataclasses
import datetime
import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction

from autopay_sim import crypto, models, pain001
from autopay_sim.services.errors import ActivationCodeUsed, ActivationInvalid, SimError


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
    *,
    org_no: str,
    name: str,
    debtor_account: str,
    now: datetime.datetime,
    approvers_required: int | None = None,
    two_factor_level: str | None = None,
    two_factor_required: bool | None = None,
) -> Registration:
    """Create the company and its bank agreement if missing, and issue an activation code unless activated.

    A new code replaces the company's unused older codes. `approvers_required` and `two_factor_level` (of the
    agreement) and `two_factor_required` (of the company) are set when given, on new and existing rows alike,
    so that a setup run again ends the same; when not given, a new row takes the model's default.

    :raises SimError: the org no, the account, the number of approvers or the two-factor level is not valid.
    """
    if not (len(org_no) == 9 and org_no.isdigit()):
        raise SimError(f"{org_no!r} is not a 9-digit org no")
    if not pain001.account_is_valid(debtor_account):
        raise SimError(f"{debtor_account!r} is not a valid account number")
    if approvers_required not in (None, 1, 2):
        raise SimError(f"an agreement needs 1 or 2 approvers, not {approvers_required}")
    if two_factor_level is not None and two_factor_level not in models.TwoFactorLevel.values:
        raise SimError(f"{two_factor_level!r} is not a two-factor level")
    agreement_values: dict[str, object] = {}
    if approvers_required is not None:
        agreement_values["approvers_required"] = approvers_required
    if two_factor_level is not None:
        agreement_values["two_factor_level"] = two_factor_level
    with transaction.atomic():
        company, _ = models.SimCompany.objects.select_for_update().get_or_create(
            org_no=org_no, defaults={"name": name}
        )
        if two_factor_required is not None and company.two_factor_required != two_factor_required:
            company.two_factor_required = two_factor_required
            company.save(update_fields=["two_factor_required"])
        models.BankAgreement.objects.update_or_create(
            company=company, debtor_account=debtor_account, defaults=agreement_values
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


def membership_grant(*, org_no: str, username: str, role: str) -> models.SimMembership:
    """Give a user a role in a company, unless the user has it already; return the membership.

    :raises SimError: no such company, user or role.
    """
    if role not in models.SimRole.values:
        raise SimError(f"{role!r} is not a role ({', '.join(models.SimRole.values)})")
    user_model = get_user_model()
    with transaction.atomic():
        company = models.SimCompany.objects.filter(org_no=org_no).first()
        if company is None:
            raise SimError(f"no company with org no {org_no!r}")
        user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()
        if user is None:
            raise SimError(f"no user {username!r}")
        membership, _ = models.SimMembership.objects.get_or_create(user=user, company=company, role=role)
        return membership
