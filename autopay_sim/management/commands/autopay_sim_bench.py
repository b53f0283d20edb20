import datetime
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from autopay_sim import services
from autopay_sim.services import bench


class Command(BaseCommand):
    help = (
        "Benchmark the simulator: seed a fresh company with --lines payment lines, approve them all (the "
        "UI's rules, in one call) and run the bank day, timing each step. Prints the company's org no and "
        "signing key so that scripts/bench-feed can read its feed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--lines", type=int, default=10_000)
        parser.add_argument("--per-payment", type=int, default=100, help="lines per payment")
        parser.add_argument("--reject-share", type=float, default=0.0)

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        day = timezone.localdate(now)
        started = time.perf_counter()
        seeded = bench.bench_company_seed(
            lines=options["lines"], lines_per_payment=options["per_payment"], day=day, now=now
        )
        self._step("seed", started, options["lines"])
        started = time.perf_counter()
        services.payments_approve(payment_ids=seeded.payment_ids, user=seeded.approver, now=now)  # type: ignore[arg-type]
        self._step("approve", started, options["lines"])
        started = time.perf_counter()
        result = services.bank_day_run(
            day=day, now=now + datetime.timedelta(seconds=1), seed=1, reject_share=options["reject_share"]
        )
        self._step("bank day", started, options["lines"])
        self.stdout.write(
            f"bank day: {result.payments} payments, {result.paid} paid, {result.rejected} rejected, "
            f"{result.cancelled} cancelled in bank"
        )
        self.stdout.write(f"org_no: {seeded.company.org_no}")
        self.stdout.write(f"signing_key: {seeded.signing_key_b64}")

    def _step(self, name: str, started: float, lines: int) -> None:
        seconds = time.perf_counter() - started
        self.stdout.write(f"{name}: {seconds:.2f} s ({lines / seconds:,.0f} lines/s)")
