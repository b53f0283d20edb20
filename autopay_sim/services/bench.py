"""Large volumes for benchmarks: a fresh company with many payments as if uploaded, in a few statements."""

import base64
import dataclasses
import datetime
import hashlib
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from stdnum.no import orgnr

from autopay_sim import models
from autopay_sim.services import activation, inserts

BENCH_DEBTOR_ACCOUNT = "15030000002"
BENCH_USERNAME = "autopay-bench"
LINE_COLUMNS = (
    "payment_id",
    "end_to_end_id",
    "amount",
    "currency",
    "creditor_name",
    "creditor_account",
    "kid",
    "message",
    "status",
    "bank_reference",
    "reason",
)


@dataclasses.dataclass(frozen=True)
class BenchCompany:
    company: models.SimCompany
    signing_key_b64: str
    approver: object
    payment_ids: list[int]


def _free_org_no() -> str:
    taken = set(models.SimCompany.objects.filter(org_no__startswith="99").values_list("org_no", flat=True))
    for base in range(99000000, 99999999):
        for digit in "0123456789":
            candidate = f"{base}{digit}"
            if orgnr.is_valid(candidate) and candidate not in taken:
                return candidate
    raise RuntimeError("no free org no")  # pragma: no cover


def bench_company_seed(
    *, lines: int, lines_per_payment: int, day: datetime.date, now: datetime.datetime
) -> BenchCompany:
    """Create an activated company (one approver, no two-factor), its approver and `lines` payment lines.

    The payments are stored as an upload would store them (status New, one `uploaded` event each), with
    bulk inserts; the document is a placeholder, not a pain.001.
    """
    org_no = _free_org_no()
    registration = activation.company_register(
        org_no=org_no, name=f"Benchmark {org_no} AS", debtor_account=BENCH_DEBTOR_ACCOUNT, now=now,
        approvers_required=1, two_factor_level=models.TwoFactorLevel.NONE, two_factor_required=False,
    )  # fmt: skip
    assert registration.activation_code is not None
    company, key = activation.company_activate(
        org_no=org_no, activation_code=registration.activation_code, now=now
    )
    with transaction.atomic():
        user, _ = get_user_model()._default_manager.get_or_create(username=BENCH_USERNAME)
        models.SimMembership.objects.get_or_create(user=user, company=company, role=models.SimRole.APPROVER)
        agreement = company.agreements.get()
        count = -(-lines // lines_per_payment)
        payments = models.Payment.objects.bulk_create(
            models.Payment(
                company=company,
                agreement=agreement,
                reference=f"B{org_no}-{n:06d}",
                payment_id=f"BENCH-{n}",
                message_id=f"BENCH-{n}",
                document_sha256=hashlib.sha256(f"{org_no}-{n}".encode()).hexdigest(),
                document=b"",
                requested_date=day,
                uploaded_at=now,
            )
            for n in range(count)
        )
        rows = []
        for n in range(lines):
            payment = payments[n // lines_per_payment]
            amount = Decimal(100 + n % 9000) + Decimal("0.50")
            rows.append(
                (
                    payment.pk,
                    f"E{n}",
                    amount,
                    "NOK",
                    "Leverandør AS",
                    "86011117947",
                    "",
                    f"faktura {n}",
                    "new",
                    "",
                    "",
                )
            )
        inserts.rows_insert(
            model=models.PaymentLine,
            columns=LINE_COLUMNS,
            rows=rows,
        )
        inserts.rows_insert(
            model=models.PaymentEvent,
            columns=("payment_id", "kind", "from_status", "to_status", "actor", "at", "details"),
            rows=[
                (payment.pk, "uploaded", "", models.AutoPayStatus.NEW.value, "erp", now, "")
                for payment in payments
            ],
        )
    return BenchCompany(
        company=company,
        signing_key_b64=base64.b64encode(key).decode("ascii"),
        approver=user,
        payment_ids=[payment.pk for payment in payments],
    )
