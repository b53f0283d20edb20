from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from autopay_sim import models, selectors, services


class Command(BaseCommand):
    help = (
        "Approve payments as a simulator user, under the rules of the web UI: the AutoPay Approver role, a "
        "one-time code where the bank agreement asks for one (--otp; one code signs them all), two distinct "
        "approvers where it needs two. --all approves every payment of the company awaiting this user."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org-no", required=True)
        parser.add_argument("--user", required=True, help="the approver's username")
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--reference", help="the payment's AutoPay reference (AP-000123)")
        which.add_argument("--all", action="store_true", help="every payment awaiting this user's approval")
        parser.add_argument("--otp", default="", help="the current one-time code of the user's TOTP device")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            company = selectors.company_by_org_no(org_no=options["org_no"])
        except models.SimCompany.DoesNotExist as exc:
            raise CommandError(f"no company with org no {options['org_no']!r}") from exc
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get_by_natural_key(options["user"])
        except user_model.DoesNotExist as exc:
            raise CommandError(f"no user {options['user']!r}") from exc
        if options["all"]:
            ids = list(
                selectors.payments_awaiting_approval_by(company=company, user=user).values_list(
                    "pk", flat=True
                )
            )
            if not ids:
                self.stdout.write(f"nothing awaits approval by {user.get_username()} in {company.org_no}")
                return
        else:
            try:
                ids = [selectors.payment_of_company(company=company, reference=options["reference"]).pk]
            except models.Payment.DoesNotExist as exc:
                raise CommandError(f"no payment {options['reference']!r} in {company.org_no}") from exc
        try:
            payments = services.payments_approve(
                payment_ids=ids, user=user, now=timezone.now(), otp_code=options["otp"]
            )
        except services.SimError as exc:
            raise CommandError(f"refused: {exc}") from exc
        for payment in payments:
            self.stdout.write(f"{payment.reference}: {payment.status}")
        approved = sum(payment.status == models.AutoPayStatus.APPROVED for payment in payments)
        self.stdout.write(f"{len(payments)} signed by {user.get_username()}: {approved} approved")
