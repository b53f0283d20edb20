"""Reads of the simulated AutoPay. Each returns a QuerySet (or one row, or None)."""

from typing import Any

from cryptography.fernet import InvalidToken
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection, transaction
from django.db.models import Count, F, Func, QuerySet, Sum, TextField, Value
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


def message_json_after(*, company_id: int, after: int, limit: int) -> list[tuple[int, str]]:
    """Return the feed's messages after `after` as (seq, the message's JSON text), in seq order.

    No model instances and no JSON decoding: on PostgreSQL the database writes each message's JSON
    (`json_build_object`, keys in the wire's order, the stored payload as it is); elsewhere the fields are
    spliced around the payload's stored text. A list rather than a QuerySet, since the two differ.
    """
    rows = models.Message.objects.filter(company_id=company_id, seq__gt=after).order_by("seq")
    if connection.vendor == "postgresql":
        fields: list[Any] = []
        for name in ("id", "seq", "type", "created_at", "payload"):
            fields += [Value(name), F("uid" if name == "id" else name)]
        document = Cast(Func(*fields, function="json_build_object"), TextField())
        with transaction.atomic(), connection.cursor() as cursor:
            # Walk the (company, seq) index and stop at `limit`. Right after a bank day has written its
            # messages the table's statistics are stale, and the planner, expecting a handful of rows after
            # `after`, would read every later message of the company, build its JSON and sort it, for every
            # page: a feed of N messages read in N/limit pages cost N²/limit. For this query only.
            cursor.execute(
                "SELECT set_config('enable_bitmapscan', 'off', true), "
                "set_config('enable_seqscan', 'off', true)"
            )
            return list(rows.annotate(document=document).values_list("seq", "document")[:limit])
    # The fields around the payload need no escaping: a UUID, an integer, a type from a fixed set, ISO time.
    return [
        (
            seq,
            f'{{"id":"{uid}","seq":{seq},"type":"{kind}","created_at":"{created_at.isoformat()}",'
            f'"payload":{payload}}}',
        )
        for uid, seq, kind, created_at, payload in rows.annotate(
            payload_text=Cast("payload", TextField())
        ).values_list("uid", "seq", "type", "created_at", "payload_text")[:limit]
    ]


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
