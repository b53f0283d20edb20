"""Incoming payments reported by the bank, as incoming_payment messages."""

import dataclasses
import datetime
import random
import uuid
from decimal import Decimal

from django.db import transaction
from stdnum import luhn
from stdnum.no import kontonr

from autopay_sim import models
from autopay_sim.services import messages
from autopay_sim.services.errors import SimError


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
        emitted: list[models.Message] = []
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
            emitted.append(
                messages.message_emit(
                    company_id=company.pk, type=models.MessageType.INCOMING_PAYMENT, payload=payload, now=now
                )
            )
        return emitted
