from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from autopay_sim import models, services


class Command(BaseCommand):
    help = "Give an existing user a role in a simulated AutoPay company (safe to run again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org-no", required=True)
        parser.add_argument("--user", required=True, help="the username")
        parser.add_argument("--role", choices=models.SimRole.values, default=models.SimRole.APPROVER)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            membership = services.membership_grant(
                org_no=options["org_no"], username=options["user"], role=options["role"]
            )
        except services.SimError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(membership))
