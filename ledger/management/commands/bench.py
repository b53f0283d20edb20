"""`manage.py bench ledger --size N --json PATH`: measure the ledger's bulk paths (docs/benchmarks.md)."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ledger import bench


class Command(BaseCommand):
    help = "Post and reconcile N customer payments through the bulk services and compare with raw COPY."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("scenario", choices=["ledger"], help="What to measure.")
        parser.add_argument("--size", type=int, default=10_000, help="Number of payments (default 10000).")
        parser.add_argument("--json", dest="json_path", type=Path, help="Also write the result to this file.")

    def handle(self, *args: Any, **options: Any) -> None:
        size: int = options["size"]
        if size < 1:
            raise CommandError("--size must be at least 1.")
        try:
            result = bench.ledger_bench(size=size, now=timezone.now())
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        text = json.dumps(result)
        json_path: Path | None = options["json_path"]
        if json_path is not None:
            json_path.parent.mkdir(parents=True, exist_ok=True)
            json_path.write_text(text + "\n")
        self.stdout.write(text)
