import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from autopay_sim import models, selectors, services


def _kid_amount(value: str) -> tuple[str, Decimal]:
    kid, _, amount = value.partition(":")
    try:
        return kid, Decimal(amount)
    except InvalidOperation as exc:
        raise CommandError(f"--kid expects KID:AMOUNT, got {value!r}") from exc


class Command(BaseCommand):
    help = (
        "The simulated bank. --run-day sends approved payments to the bank and pays or rejects their lines; "
        "--incoming generates incoming payments for a company."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--run-day", action="store_true")
        parser.add_argument("--date", type=datetime.date.fromisoformat, help="the bank day (default today)")
        parser.add_argument("--seed", type=int)
        parser.add_argument("--reject-share", type=float, default=0.0, help="share rejected at random, 0…1")
        parser.add_argument("--incoming", action="store_true")
        parser.add_argument("--org-no", help="the company receiving the incoming payments")
        parser.add_argument("--kid", action="append", default=[], metavar="KID:AMOUNT")
        parser.add_argument("--unknown-kids", type=int, default=0)
        parser.add_argument("--without-kid", type=int, default=0)

    def handle(self, *args: Any, **options: Any) -> None:
        if not (options["run_day"] or options["incoming"]):
            raise CommandError("give --run-day and/or --incoming")
        now = timezone.now()
        day = options["date"] or timezone.localdate()
        if options["run_day"]:
            try:
                result = services.bank_day_run(
                    day=day, now=now, seed=options["seed"], reject_share=options["reject_share"]
                )
            except services.SimError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(
                f"bank day {day}: {result.payments} payments, "
                f"{result.paid} lines paid, {result.rejected} rejected, {result.cancelled} cancelled in bank"
            )
        if options["incoming"]:
            try:
                company = selectors.company_by_org_no(org_no=options["org_no"] or "")
            except models.SimCompany.DoesNotExist as exc:
                raise CommandError(f"no company with org no {options['org_no']!r}") from exc
            spec = services.IncomingSpec(
                kid_amounts=[_kid_amount(value) for value in options["kid"]],
                unknown_kids=options["unknown_kids"],
                without_kid=options["without_kid"],
            )
            try:
                created = services.incoming_payments_generate(
                    company_id=company.pk, spec=spec, day=day, now=now, seed=options["seed"]
                )
            except services.SimError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"incoming payments: {len(created)} for {company.org_no}")
