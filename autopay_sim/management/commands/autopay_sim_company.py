from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from autopay_sim import models, services


class Command(BaseCommand):
    help = (
        "Create a simulated AutoPay company with a bank agreement for a debtor account, and print a one-time "
        "activation code (`activation_code: <code>`), or `already activated`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org-no", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--account", required=True, help="the debtor account (11-digit BBAN or IBAN)")
        parser.add_argument("--approvers", type=int, choices=[1, 2], help="approvers the agreement needs")
        parser.add_argument(
            "--two-factor",
            choices=models.TwoFactorLevel.values,
            help="when the agreement asks for a one-time code: none, login, or at each approval",
        )
        parser.add_argument(
            "--two-factor-required",
            choices=["yes", "no"],
            help="whether approvers must have a TOTP device (no: a password login is enough at level login)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            registration = services.company_register(
                org_no=options["org_no"],
                name=options["name"],
                debtor_account=options["account"],
                approvers_required=options["approvers"],
                two_factor_level=options["two_factor"],
                two_factor_required=(
                    None
                    if options["two_factor_required"] is None
                    else options["two_factor_required"] == "yes"
                ),
                now=timezone.now(),
            )
        except services.SimError as exc:
            raise CommandError(str(exc)) from exc
        if registration.activation_code is None:
            self.stdout.write("already activated")
        else:
            self.stdout.write(f"activation_code: {registration.activation_code}")
