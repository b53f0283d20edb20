from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from company import activation, models, twofactor


class Command(BaseCommand):
    help = (
        "Activate AutoPay for a company with the one-time code AutoPay issued, and store the signing key "
        "encrypted. Prints `activated: <org no>`; never prints the key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org-no", required=True, help="the company's organisation number (9 digits)")
        parser.add_argument("--code", required=True, help="the activation code AutoPay issued")
        parser.add_argument(
            "--user",
            default="",
            help="the username of the company administrator who activates (recorded in the audit log); with "
            "it, a company requiring two-factor needs --otp. Without it the server's operator activates.",
        )
        parser.add_argument("--otp", default=None, help="a fresh code of that user's two-factor device")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            company = models.Company.objects.get(org_no=options["org_no"])
        except models.Company.DoesNotExist:
            raise CommandError(f"No company with org no {options['org_no']}.") from None
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
            if user is None or not activation.user_may_activate_autopay(user=user, company=company):
                raise CommandError(f"{options['user']} is not an active administrator of {company.org_no}.")
        try:
            company = activation.company_autopay_activate(
                company=company,
                activation_code=options["code"],
                now=timezone.now(),
                user=user,
                otp=options["otp"],
                # Without --user it is the server's operator, who holds its keys: no device code asked.
                server_operator=user is None,
            )
        except twofactor.TwoFactorError as exc:
            raise CommandError(f"{exc.message} [{exc.code}]") from exc
        except activation.ActivationError as exc:
            raise CommandError(f"{exc.message} [{exc.code}]") from exc
        self.stdout.write(f"activated: {company.org_no} (key id {company.autopay_key_id})")
