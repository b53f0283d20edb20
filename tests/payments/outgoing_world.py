"""A company with supplier items, payments in AutoPay and a bank day run: what the poll tests start from.

The company is registered and activated with the simulator served over HTTP (live_server); its payments are
uploaded as pain.001 through the signed client, approved and paid with the simulator's own services.
"""

import dataclasses
import datetime
import itertools
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection

from autopay_client import pain001
from autopay_sim import models as sim_models
from autopay_sim import services as sim_services
from company import activation, validators
from company import autopay as company_autopay
from company import models as company_models
from ledger import models as ledger_models
from payments import models
from tests.autopay_client import live_sim
from tests.company import factories as company_factories

_supplier_accounts = itertools.count(1)


def account_no(n: int, prefix: str = "1206") -> str:
    for last in range(10):
        base = f"{prefix}{n % 100_000:05d}{last}"
        check = validators.mod11_check_digit(base)
        if check is not None:
            return base + check
    raise AssertionError("no valid account no")


@dataclasses.dataclass
class World:
    company: company_models.Company
    bank_partner: company_models.BankPartner
    payables: ledger_models.Account
    bank: ledger_models.Account
    payments: list[models.Payment]

    def lines(self) -> list[models.PaymentLine]:
        return list(models.PaymentLine.objects.filter(company=self.company).order_by("id"))


def world_create(
    *,
    amounts: list[Decimal],
    today: datetime.date,
    now: datetime.datetime,
    ebf_post_settlement: bool = True,
    lines_per_payment: int = 50,
) -> World:
    """Make an activated company with one supplier item per amount and payments of up to `lines_per_payment`
    lines paying them (status 1, not yet uploaded)."""
    partner = company_factories.BankPartnerFactory.create(ebf_post_settlement=ebf_post_settlement)
    company = partner.company
    payables = ledger_models.Account.objects.create(
        company=company,
        number="2400",
        name="Leverandørgjeld",
        kind=ledger_models.AccountKind.LIABILITY,
        role=ledger_models.AccountRole.AP_CONTROL,
    )
    bank = ledger_models.Account.objects.create(
        company=company, number=partner.gl_account_no, name="Bank", kind=ledger_models.AccountKind.ASSET
    )
    code = live_sim.sim_company_register(
        org_no=company.org_no, name=company.name, account=partner.bank_account
    )
    activation.company_autopay_activate(company=company, activation_code=code, now=now)
    company.refresh_from_db()
    suppliers = ledger_models.Supplier.objects.bulk_create(
        [
            ledger_models.Supplier(
                company=company,
                number=30_000 + n,
                name=f"Leverandør {n} AS",
                bank_account=account_no(next(_supplier_accounts)),
            )
            for n in range(min(len(amounts), 20))
        ]
    )
    items = ledger_models.OpenItem.objects.bulk_create(
        [
            ledger_models.OpenItem(
                company=company,
                kind=ledger_models.OpenItemKind.SUPPLIER,
                supplier=suppliers[n % len(suppliers)],
                invoice_no=f"F{n + 1}",
                amount=amount,
                remaining_amount=amount,
                invoice_date=today,
                due_date=today,
                status=ledger_models.OpenItemStatus.OPEN,
            )
            for n, amount in enumerate(amounts)
        ]
    )
    payments = []
    for number, start in enumerate(range(0, len(items), lines_per_payment), start=1):
        chunk = items[start : start + lines_per_payment]
        payment = models.Payment.objects.create(
            company=company,
            number=number,
            bank_partner=partner,
            payment_date=today,
            total=sum((item.amount for item in chunk), Decimal(0)),
            created_at=now,
        )
        models.PaymentLine.objects.bulk_create(
            [
                models.PaymentLine(
                    payment=payment,
                    company=company,
                    open_item=item,
                    supplier=suppliers[(start + i) % len(suppliers)],
                    amount=item.amount,
                    creditor_account=suppliers[(start + i) % len(suppliers)].bank_account,
                    message=item.invoice_no,
                    end_to_end_id=f"P{number}-{i + 1}",
                )
                for i, item in enumerate(chunk)
            ]
        )
        payments.append(payment)
    return World(company=company, bank_partner=partner, payables=payables, bank=bank, payments=payments)


def world_upload(world: World, *, now: datetime.datetime) -> None:
    """Upload each payment as pain.001 through the company's signed client; mark it and its lines 2."""
    with company_autopay.autopay_client_for(company=world.company) as client:
        for payment in world.payments:
            lines = list(payment.lines.order_by("id"))
            document = pain001.build_pain001(
                pain001.PaymentDocument(
                    org_no=world.company.org_no,
                    payment_id=f"{world.company.org_no}-{payment.number}",
                    debtor_account=world.bank_partner.bank_account,
                    execution_date=payment.payment_date,
                    created_at=now,
                    debtor_name=world.company.name,
                    lines=[
                        pain001.PaymentLine(
                            end_to_end_id=line.end_to_end_id,
                            amount=line.amount,
                            creditor_name=f"Leverandør {line.supplier_id}",
                            creditor_account=line.creditor_account,
                            message=line.message,
                        )
                        for line in lines
                    ],
                )
            )
            receipt = client.upload_payment(document)
            models.Payment.objects.filter(pk=payment.pk).update(
                status=models.PaymentStatus.TRANSFERRED,
                autopay_reference=receipt.reference,
                transferred_at=now,
            )
            payment.lines.update(status=models.LineStatus.TRANSFERRED)


def sim_approve_all(*, org_no: str, now: datetime.datetime) -> int:
    """Approve every payment of the company awaiting approval, as an approver with no two-factor step."""
    company = sim_models.SimCompany.objects.get(org_no=org_no)
    sim_models.SimCompany.objects.filter(pk=company.pk).update(two_factor_required=False)
    company.agreements.update(two_factor_level=sim_models.TwoFactorLevel.NONE, approvers_required=1)
    user, _ = get_user_model().objects.get_or_create(username=f"approver-{org_no}")
    sim_models.SimMembership.objects.get_or_create(
        user=user, company=company, role=sim_models.SimRole.APPROVER
    )
    approved = 0
    for payment_id in sim_models.Payment.objects.filter(
        company=company, status__in=sim_models.AWAITING_APPROVAL
    ).values_list("id", flat=True):
        sim_services.payment_approve(payment_id=payment_id, user=user, now=now)
        approved += 1
    return approved


def sim_bank_day(
    *, day: datetime.date, now: datetime.datetime, reject_share: float = 0.0, seed: int = 7
) -> None:
    sim_services.bank_day_run(day=day, now=now, seed=seed, reject_share=reject_share)


def sim_line_status_emit(*, org_no: str, end_to_end_id: str, status: str, now: datetime.datetime) -> None:
    """Have the simulator send a line-status message (for anomalies: an unknown line, a backwards move)."""
    company = sim_models.SimCompany.objects.get(org_no=org_no)
    payload = {
        "payment_reference": "AP-TEST",
        "payment_id": "TEST",
        "end_to_end_id": end_to_end_id,
        "autopay_status": status,
        "erp_status": int(sim_models.ERP_STATUS_BY_AUTOPAY_STATUS[status]),
        "amount_paid": None,
        "currency": "NOK",
        "value_date": None,
        "bank_reference": None,
        "reason": "",
    }
    sim_message_raw_emit(org_no=company.org_no, type="line_status", payload=payload, now=now)


def sim_message_raw_emit(*, org_no: str, type: str, payload: object, now: datetime.datetime) -> None:
    """Put a message of any shape in the company's feed at the simulator (a malformed one, too)."""
    company = sim_models.SimCompany.objects.get(org_no=org_no)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE autopay_sim_simcompany SET last_message_seq = last_message_seq + 1 WHERE id = %s "
            "RETURNING last_message_seq",
            [company.pk],
        )
        seq = cursor.fetchone()[0]
    sim_models.Message.objects.create(company=company, seq=seq, type=type, payload=payload, created_at=now)
