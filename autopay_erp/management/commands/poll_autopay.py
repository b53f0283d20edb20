"""`manage.py poll_autopay [--company ORGNO] [--after SEQ]`: poll AutoPay now, in this process."""

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from autopay_erp import poll, sync
from company import models as company_models
from company import selectors as company_selectors


class Command(BaseCommand):
    help = (
        "Poll AutoPay's message feed synchronously for one company (--company ORGNO) or every activated "
        "company, and print what was applied. --after SEQ re-reads from an earlier point; messages already "
        "applied change nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--company", metavar="ORGNO", help="the company's organisation number")
        parser.add_argument("--after", type=int, metavar="SEQ", help="re-read the feed after this seq")
        parser.add_argument("--max-pages", type=int, help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        after: int | None = options["after"]
        if after is not None and after < 0:
            raise CommandError("--after must be 0 or more.")
        companies = sync.companies_to_poll()
        if options["company"]:
            companies = company_models.Company.objects.filter(org_no=options["company"])
            if not companies.exists():
                raise CommandError(f"No company with org no {options['company']!r}.")
        failed = False
        for company in companies:
            try:
                result = poll.company_poll(
                    company=company, clock=timezone.now, after=after, max_pages=options["max_pages"]
                )
            except poll.PollBusy as exc:
                self.stdout.write(f"{company.org_no}: busy: {exc}")
                continue
            except company_selectors.CompanyNotActivated as exc:
                raise CommandError(f"{company.org_no}: {exc}") from exc
            types = ", ".join(f"{kind} {count}" for kind, count in sorted(result.by_type.items())) or "none"
            self.stdout.write(
                f"{company.org_no}: {result.messages_applied} applied ({types}), "
                f"{result.already_applied} already applied, {result.anomalies} anomalies, "
                f"cursor at {result.last_seq}"
            )
            if result.error:
                failed = True
                self.stderr.write(f"{company.org_no}: stopped: {result.error}")
        if failed:
            raise CommandError("AutoPay could not be polled to the end; run again later.")
