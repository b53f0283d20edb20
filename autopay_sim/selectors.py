"""Reads of the simulated AutoPay. Each returns a QuerySet (or one row, or None)."""

from typing import Any

from cryptography.fernet import InvalidToken
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, QuerySet, Sum, TextField
from django.db.models.functions import Cast

from autopay_sim import crypto, models


def company_signing_key(*, org_no: str) -> tuple[models.SimCompany, bytes] | None:
    """Return an activated company with this org no and its signing key, or None.

    A key that no longer decrypts (the encryption key setting changed) counts as no key: the company must be
    activated again.
    """
    company = models.SimCompany.objects.filter(org_no=org_no, activated_at__isnull=False).first()
    if company is None or not company.signing_key_ciphertext:
        return None
    try:
        return company, crypto.decrypt(company.signing_key_ciphertext)
    except InvalidToken:
        return None


def company_by_org_no(*, org_no: str) -> models.SimCompany:
    """Return the company with this org no, activated or not.

    :raises SimCompany.DoesNotExist: no such company.
    """
    return models.SimCompany.objects.get(org_no=org_no)


def messages_after(*, company: models.SimCompany, after: int, limit: int) -> QuerySet[models.Message]:
    return models.Message.objects.filter(company=company, seq__gt=after).order_by("seq")[:limit]


def message_rows_after(
    *, company_id: int, after: int, limit: int
) -> QuerySet[models.Message, tuple[Any, ...]]:
    """Return the feed's rows after `after` as (uid, seq, type, created_at, payload as JSON text) tuples.

    No model instances and no JSON decoding: the payload's text is spliced into the response as it is.
    """
    return (
        models.Message.objects.filter(company_id=company_id, seq__gt=after)
        .order_by("seq")
        .annotate(payload_text=Cast("payload", TextField()))
        .values_list("uid", "seq", "type", "created_at", "payload_text")[:limit]
    )


def payment_of_company(*, company: models.SimCompany, reference: str) -> models.Payment:
    """:raises Payment.DoesNotExist: no payment with this reference for this company."""
    return models.Payment.objects.get(company=company, reference=reference)


def companies_for_user(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[models.SimCompany]:
    if getattr(user, "is_superuser", False):
        return models.SimCompany.objects.all()
    return models.SimCompany.objects.filter(memberships__user_id=int(user.pk or 0)).distinct()


def payments_for_user(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[models.Payment]:
    """Return the payments the user may see, newest due date first, with their line count and total."""
    return (
        models.Payment.objects.filter(company__in=companies_for_user(user=user))
        .select_related("company", "agreement")
        .annotate(line_count=Count("lines"), total=Sum("lines__amount"))
        .order_by("-requested_date", "-reference")
    )


def user_is_administrator(*, user: AbstractBaseUser | AnonymousUser) -> bool:
    if getattr(user, "is_superuser", False) or getattr(user, "is_staff", False):
        return True
    return models.SimMembership.objects.filter(
        user_id=int(user.pk or 0), role=models.SimRole.ADMINISTRATOR
    ).exists()


def payments_awaiting_approval_by(
    *, company: models.SimCompany, user: AbstractBaseUser
) -> QuerySet[models.Payment]:
    """Return the company's payments awaiting approval that this user has not signed yet, in id order."""
    return (
        models.Payment.objects.filter(company=company, status__in=models.AWAITING_APPROVAL)
        .exclude(approvals__user_id=user.pk)
        .order_by("pk")
    )
