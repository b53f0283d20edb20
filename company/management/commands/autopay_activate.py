from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from company import activation, models


class Command(BaseCommand):
    help = (
        "Activate AutoPay for a company with the one-time code AutoPay issued, and store the signing key "
        "encrypted. Prints `activated: <org no>`; never prints the key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org-no", required=True, help="the company's organisation number (9 digits)")
        parser.add_argument("--code", required=True, help="the activation code AutoPay issued")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            company = models.Company.objects.get(org_no=options["org_no"])
        except models.Company.DoesNotExist:
            raise CommandError(f"No company with org no {options['org_no']}.") from None
        try:
            company = activation.company_autopay_activate(
                company=company, activation_code=options["code"], now=timezone.now()
            )
        except activation.ActivationError as exc:
            raise CommandError(f"{exc.message} [{exc.code}]") from exc
        self.stdout.write(f"activated: {company.org_no} (key id {company.autopay_key_id})")
