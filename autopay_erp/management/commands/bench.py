"""`manage.py bench SCENARIO --size N --json PATH`: a bulk path against its raw limit (docs/benchmarks.md).

Each scenario is a function `(*, size, now) -> dict` in the app it measures; this command, in the top layer,
is the only place that knows them all.
"""

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test.utils import override_settings
from django.utils import timezone

from autopay_erp import poll as autopay_poll
from factoring import bench as factoring_bench
from ledger import bench as ledger_bench
from payments import bench as payments_bench

Scenario = Callable[..., dict[str, Any]]

SCENARIOS: dict[str, Scenario] = {
    "ledger": ledger_bench.ledger_bench,
    "incoming": factoring_bench.incoming_bench,
    "settlement": functools.partial(payments_bench.settlement_bench, company_poll=autopay_poll.company_poll),
}


class Command(BaseCommand):
    help = "Measure a bulk path with N rows and compare it with its raw-SQL limit."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("scenario", choices=sorted(SCENARIOS), help="What to measure.")
        parser.add_argument(
            "--size",
            type=int,
            default=10_000,
            help="How many: payments (ledger), incoming payments (incoming) or supplier items settled "
            "(settlement); default 10000.",
        )
        parser.add_argument("--json", dest="json_path", type=Path, help="Also write the result to this file.")

    def handle(self, *args: Any, **options: Any) -> None:
        size: int = options["size"]
        if size < 1:
            raise CommandError("--size must be at least 1.")
        try:
            # Measured as production runs: without DEBUG's record of every query (settings.local has it on).
            with override_settings(DEBUG=False):
                result = SCENARIOS[options["scenario"]](size=size, now=timezone.now())
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        text = json.dumps(result)
        json_path: Path | None = options["json_path"]
        if json_path is not None:
            json_path.parent.mkdir(parents=True, exist_ok=True)
            json_path.write_text(text + "\n")
        self.stdout.write(text)
