"""The poll under at-least-once delivery, faults, a killed worker and two workers at once.

On PostgreSQL, against the simulator over HTTP."""

import itertools
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal

import pytest
from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from autopay_erp import models, poll
from autopay_sim import models as sim_models
from company import autopay as company_autopay
from company import selectors as company_selectors
from ledger import models as ledger_models
from ledger import selectors as ledger_selectors
from payments import models as payment_models
from tests.autopay_erp import transports
from tests.payments import outgoing_world

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def autopay_url(live_server, settings) -> str:
    settings.AUTOPAY_BASE_URL = f"{live_server.url}/autopay"
    return settings.AUTOPAY_BASE_URL


def paid_world(*, count: int, reject_share: float = 0.25) -> outgoing_world.World:
    now = timezone.now()
    today = timezone.localdate(now)
    world = outgoing_world.world_create(
        amounts=[Decimal("500.00") + n for n in range(count)], today=today, now=now, lines_per_payment=5
    )
    outgoing_world.world_upload(world, now=now)
    outgoing_world.sim_approve_all(org_no=world.company.org_no, now=now)
    outgoing_world.sim_bank_day(day=today, now=now, reject_share=reject_share, seed=11)
    return world


def ledger_of(world: outgoing_world.World) -> list[tuple[object, ...]]:
    """The ledger's outcome per payment line, in terms that do not depend on the company's ids."""
    outcome: list[tuple[object, ...]] = []
    for line in world.lines():
        journal = sorted(
            ledger_models.JournalLine.objects.filter(voucher_id=line.voucher_id or 0).values_list(
                "account__number", "amount", "supplier__number"
            )
        )
        item = ledger_models.OpenItem.objects.get(pk=line.open_item_id)
        outcome.append(
            (line.end_to_end_id, line.status, line.amount_paid, tuple(journal), item.remaining_amount)
        )
    return outcome


def sim_message_count(world: outgoing_world.World) -> int:
    return sim_models.Message.objects.filter(company__org_no=world.company.org_no).count()


def sim_last_seq(world: outgoing_world.World) -> int:
    return sim_models.SimCompany.objects.get(org_no=world.company.org_no).last_message_seq


def poll_until_caught_up(world: outgoing_world.World, transport_for, attempts: int = 60) -> int:
    """Poll as beat would, again after each failure, until the cursor is at the end; return the polls."""
    for attempt in range(1, attempts + 1):

        def factory(*, company):
            return company_autopay.autopay_client_for(
                company=company, transport=transport_for(attempt), timeout=5
            )

        poll.company_poll(company=world.company, clock=timezone.now, client_factory=factory, page_size=7)
        if models.PollCursor.objects.get(company=world.company).last_seq == sim_last_seq(world):
            return attempt
    raise AssertionError("the poll never caught up")


def assert_each_message_applied_once(world: outgoing_world.World) -> None:
    applied = models.AppliedMessage.objects.filter(company=world.company)
    assert (applied.count(), applied.values("message_id").distinct().count()) == (
        sim_message_count(world),
    ) * 2


def posted_exactly_once(world: outgoing_world.World) -> bool:
    lines = world.lines()
    paid = [line for line in lines if line.amount_paid is not None]
    posted_events = (
        payment_models.PaymentEvent.objects.filter(
            company=world.company, kind=payment_models.PaymentEventKind.POSTED
        )
        .values("line_id")
        .annotate(n=Count("id"))
    )
    return (
        all(line.status == payment_models.LineStatus.POSTED for line in paid)
        and ledger_models.Voucher.objects.filter(company=world.company).count() == len(paid)
        and ledger_models.Reconciliation.objects.filter(company=world.company).count() == len(paid)
        and sorted(row["n"] for row in posted_events) == [1] * len(paid)
    )


def test_every_message_delivered_twice_in_pages_cut_anew_gives_the_ledger_of_one_delivery_in_order(
    autopay_url,
):
    in_order = paid_world(count=12)
    poll.company_poll(company=in_order.company, clock=timezone.now)
    redelivered = paid_world(count=12)
    key = company_selectors.company_signing_key(company=redelivered.company)
    poll_until_caught_up(
        redelivered,
        lambda attempt: transports.RedeliveringTransport(
            org_no=redelivered.company.org_no, key=key, seed=attempt
        ),
    )
    # And once more from the start, in pages of another size.
    poll.company_poll(company=redelivered.company, clock=timezone.now, after=0, page_size=3)
    assert ledger_of(redelivered) == ledger_of(in_order)


def test_redelivered_messages_are_each_applied_once(autopay_url):
    world = paid_world(count=6)
    key = company_selectors.company_signing_key(company=world.company)
    poll_until_caught_up(
        world,
        lambda attempt: transports.RedeliveringTransport(org_no=world.company.org_no, key=key, seed=attempt),
    )
    assert_each_message_applied_once(world)


def test_a_feed_answering_badly_a_fifth_of_the_time_loses_nothing_and_applies_nothing_twice(autopay_url):
    world = paid_world(count=15)
    key = company_selectors.company_signing_key(company=world.company)
    made: list[transports.FaultyTransport] = []
    kinds = itertools.cycle(["500", "timeout", "bad_signature"])

    def faulty(attempt: int) -> transports.FaultyTransport:
        made.append(
            transports.FaultyTransport(org_no=world.company.org_no, key=key, seed=attempt, kinds=kinds)
        )
        return made[-1]

    poll_until_caught_up(world, faulty)
    faults = {kind: sum(t.faults[kind] for t in made) for kind in made[0].faults}
    assert min(faults.values()) > 0, faults  # each kind of fault happened at least once
    assert_each_message_applied_once(world)
    assert posted_exactly_once(world)


def test_a_failed_poll_records_its_error_on_the_cursor(autopay_url):
    world = paid_world(count=1)
    key = company_selectors.company_signing_key(company=world.company)

    def factory(*, company):
        transport = transports.FaultyTransport(org_no=company.org_no, key=key, seed=1, share=1.0)
        return company_autopay.autopay_client_for(company=company, transport=transport, max_retries=0)

    result = poll.company_poll(company=world.company, clock=timezone.now, client_factory=factory)
    cursor = models.PollCursor.objects.get(company=world.company)
    assert (result.ok, cursor.last_poll_ok, cursor.last_seq, cursor.lease_owner) == (False, False, 0, "")
    assert cursor.last_poll_error_kind == models.PollErrorKind.AUTOPAY
    assert cursor.last_poll_error.startswith("AutoPay: ")


def test_a_poll_that_fails_otherwise_is_recorded_as_failed_not_succeeded_and_raises(autopay_url):
    world = paid_world(count=1)

    def factory(*, company):
        raise company_selectors.CompanyNotActivated(f"{company.org_no} is not activated")

    with pytest.raises(company_selectors.CompanyNotActivated):
        poll.company_poll(company=world.company, clock=timezone.now, client_factory=factory)
    cursor = models.PollCursor.objects.get(company=world.company)
    assert (cursor.last_poll_ok, cursor.last_poll_error_kind, cursor.lease_owner, cursor.last_seq) == (
        False,
        models.PollErrorKind.FAILED,
        "",
        0,
    )
    # Only the kind of failure: its text (a database error's may name its host and user) goes to the log.
    assert cursor.last_poll_error == "CompanyNotActivated"


def _poll_process(world: outgoing_world.World, *, runs: int = 1) -> subprocess.Popen[str]:
    database = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "autopay_erp.settings.test",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "AUTOPAY_BASE_URL": settings.AUTOPAY_BASE_URL,
        "AUTOPAY_POLL_PAGE_SIZE": "3",
        "AUTOPAY_POLL_LEASE_SECONDS": "2",
        "LOG_LEVEL": "WARNING",
    }
    script = (
        "import django; django.setup(); from django.core.management import call_command\n"
        f"for _ in range({runs}): call_command('poll_autopay', '--company', {world.company.org_no!r})\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", script],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_worker_killed_in_the_middle_of_a_poll_and_started_again_posts_each_settled_line_once(autopay_url):
    world = paid_world(count=60, reject_share=0.1)
    total = sim_last_seq(world)
    worker = _poll_process(world)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            cursor = models.PollCursor.objects.filter(company=world.company).first()
            if cursor is not None and total // 4 <= cursor.last_seq:
                break
            time.sleep(0.02)
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.wait(timeout=30)
    killed_at = models.PollCursor.objects.get(company=world.company).last_seq
    assert 0 < killed_at < total, (killed_at, total)  # it was killed in the middle
    time.sleep(2.5)  # the killed poll's lease expires
    again = _poll_process(world)
    _out, err = again.communicate(timeout=180)
    assert again.returncode == 0, err
    assert posted_exactly_once(world)
    assert list(ledger_selectors.vouchers_unbalanced(company=world.company)) == []


def test_two_workers_polling_one_company_at_once_apply_no_message_twice(autopay_url):
    world = paid_world(count=40)
    first, second = _poll_process(world, runs=3), _poll_process(world, runs=3)
    for worker in (first, second):
        _out, err = worker.communicate(timeout=240)
        assert worker.returncode == 0, err
    assert_each_message_applied_once(world)
    assert posted_exactly_once(world)
