"""`manage.py import_incoming FILE --company ORGNO`: import an OCR Giro or camt.054 file, all or nothing."""

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from company import models as company_models
from factoring import errors, selectors, services


class Command(BaseCommand):
    help = "Import a bank file of incoming payments (Nets OCR Giro or ISO 20022 camt.054) for a company."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The file to import.")
        parser.add_argument("--company", required=True, help="The company's organisation number.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        company = company_models.Company.objects.filter(org_no=options["company"].replace(" ", "")).first()
        if company is None:
            raise CommandError(f"No company with organisation number {options['company']}.")
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        terminal = sys.stderr.isatty()

        def progress(value: dict[str, Any]) -> None:
            if terminal and value.get("size"):
                percent = 100 * value["bytes_read"] // max(value["size"], 1)
                sys.stderr.write(f"\r{percent:3d} %  {value['payments_read']} payments read")
                sys.stderr.flush()

        try:
            with path.open("rb") as stream:
                file_import = services.incoming_file_import(
                    company=company,
                    stream=stream,
                    filename=path.name,
                    user=None,
                    now=timezone.now(),
                    progress=progress,
                )
        except errors.IncomingError as exc:
            if terminal:
                sys.stderr.write("\n")
            raise CommandError(str(exc)) from exc
        if terminal:
            sys.stderr.write("\n")
        summary = selectors.import_summary(file_import=file_import)
        self.stdout.write(
            f"Import {file_import.pk}: {file_import.imported_count} payments imported, "
            f"{file_import.skipped_count} skipped (taken before); file total {file_import.file_total_amount}."
        )
        for row in summary["results"]:
            if row["count"]:
                self.stdout.write(f"  {row['label']}: {row['count']} payments, {row['total']}")
        # What the overlap skipped, each with the payment and the import (or AutoPay) that took it first.
        skipped = file_import.skipped.select_related("earlier__file_import").order_by("line_no")
        for line in skipped.iterator(chunk_size=2_000):
            earlier = line.earlier
            source = f"import {earlier.file_import_id}" if earlier.file_import_id else "AutoPay"
            self.stdout.write(
                f"  skipped line {line.line_no} (archive reference {line.archive_reference}, {line.amount}): "
                f"taken by payment {earlier.pk} of {source}"
            )
