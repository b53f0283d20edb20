"""`manage.py incoming_demo_file PATH --company ORGNO`: write an OCR Giro file paying a company's open items.

For trying the import (`make run`, then seed_demo): most open customer items with a KID are paid in full by
KID, one in part, one overpaid, one by a KID nobody has (it lands in the work list), to the first KID
definition's bank account.
"""

from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from company import models as company_models
from factoring import models
from factoring.parsers.ocr_writer import OcrPayment, ocr_giro_write
from ledger import models as ledger_models


class Command(BaseCommand):
    help = "Write a Nets OCR Giro file that pays a company's open customer items by KID (demo data)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--company", required=True, help="The company's organisation number.")

    def handle(self, *args: Any, **options: Any) -> None:
        company = company_models.Company.objects.filter(org_no=options["company"]).first()
        definition = models.FactoringCompany.objects.filter(company=company).order_by("number").first()
        if company is None or definition is None:
            raise CommandError("No such company, or it has no KID definition (run seed_demo first).")
        items = list(
            ledger_models.OpenItem.objects.filter(company=company, kind="customer", amount__gt=0)
            .exclude(kid="")
            .exclude(status=ledger_models.OpenItemStatus.SETTLED)
            .order_by("id")[:20]
        )
        today = timezone.localdate()
        stamp = int(timezone.now().timestamp()) % 10_000_000
        payments = []
        for n, item in enumerate(items):
            amount = item.remaining_amount
            if n == 1:
                amount = (amount / 2).quantize(Decimal("0.01"))
            elif n == 2:
                amount += Decimal("100.00")
            payments.append(
                OcrPayment(amount=amount, kid=item.kid, archive_reference=f"{stamp * 100 + n:09d}"[-9:])
            )
        payments.append(
            OcrPayment(
                amount=Decimal("1234.50"), kid="0000000000", archive_reference=f"{stamp * 100 + 99:09d}"[-9:]
            )
        )
        try:
            options["path"].parent.mkdir(parents=True, exist_ok=True)
            stream = options["path"].open("wb")
        except OSError as exc:
            raise CommandError(f"Cannot write {options['path']}: {exc.strerror or exc}.") from exc
        with stream:
            written = ocr_giro_write(stream, payments=payments, account=definition.bank_account, date=today)
        self.stdout.write(
            f"Wrote {written.payment_count} payments, {written.total_amount} NOK, to {options['path']}."
        )
