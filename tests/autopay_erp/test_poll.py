"""The poll of AutoPay's feed against the simulator over HTTP: exactly once, anomalies, the command."""

import datetime
import io
import sys
import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from autopay_erp import models, poll
from autopay_sim import models as sim_models
from ledger import models as ledger_models
from ledger import selectors as ledger_selectors
from payments import models as payment_models
from payments.services import status as payment_status
from tests.payments import outgoing_world

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.sqlite]


@pytest.fixture
def autopay_url(live_server, settings) -> str:
    settings.AUTOPAY_BASE_URL = f"{live_server.url}/autopay"
    return settings.AUTOPAY_BASE_URL


@pytest.fixture
def now() -> datetime.datetime:
    return timezone.now()


@pytest.fixture
def today(now) -> datetime.date:
    return timezone.localdate(now)


def paid_world(
    *, today, now, count: int = 6, ebf_post_settlement: bool = True, reject_share: float = 0.0
) -> outgoing_world.World:
    amounts = [Decimal("100.00") + n for n in range(count)]
    world = outgoing_world.world_create(
        amounts=amounts, today=today, now=now, ebf_post_settlement=ebf_post_settlement, lines_per_payment=3
    )
    outgoing_world.world_upload(world, now=now)
    outgoing_world.sim_approve_all(org_no=world.company.org_no, now=now)
    outgoing_world.sim_bank_day(day=today, now=now, reject_share=reject_share)
    return world


def sim_message_count(world: outgoing_world.World) -> int:
    return sim_models.Message.objects.filter(company__org_no=world.company.org_no).count()


def main_thread_line_reads(queries: CaptureQueriesContext) -> int:
    return sum(1 for q in queries.captured_queries if "l.end_to_end_id = ANY" in q["sql"])


@pytest.mark.postgresql_only  # on SQLite nothing is read ahead
def test_a_poll_reads_each_pages_lines_ahead_and_takes_the_page_befores_writes_over_them(
    autopay_url, today, now, monkeypatch
):
    # Pages of 5 of the 24 messages: a line's statuses straddle pages. Each page's transaction waits until the
    # next page's lines have been read ahead (in the fetching thread), so that what was read is stale where
    # this page wrote it.
    world = paid_world(today=today, now=now)
    read_ahead = threading.Condition()
    reads = {"ahead": 0, "pages": 0, "stale": 0}
    query, derive, load = (
        payment_status._lines_query,
        payment_status.payment_statuses_derive,
        payment_status._lines_load,
    )

    def counted_query(**kwargs):
        lines = query(**kwargs)
        if threading.current_thread() is not threading.main_thread():
            with read_ahead:
                reads["ahead"] += 1
                read_ahead.notify_all()
        return lines

    def derive_after_the_next_read(**kwargs):
        reads["pages"] += 1
        with read_ahead:
            # The poll's last page has no next page: then a short wait in vain.
            read_ahead.wait_for(lambda: reads["ahead"] > reads["pages"], timeout=2)
        derive(**kwargs)

    def load_counting_stale(*, company, prepared):
        written = prepared.before_written.lines if prepared.before_written else None
        if prepared.lines_read is not None and written:
            reads["stale"] += sum(
                1
                for e2e, line in written.items()
                if e2e in prepared.lines_read and prepared.lines_read[e2e].status != line.status
            )
        return load(company=company, prepared=prepared)

    monkeypatch.setattr(payment_status, "_lines_query", counted_query)
    monkeypatch.setattr(payment_status, "payment_statuses_derive", derive_after_the_next_read)
    monkeypatch.setattr(payment_status, "_lines_load", load_counting_stale)
    with CaptureQueriesContext(connection) as queries:
        result = poll.company_poll(company=world.company, clock=timezone.now, page_size=5)
    assert (result.ok, result.pages, result.anomalies) == (True, 5, 0)
    assert {line.status for line in world.lines()} == {payment_models.LineStatus.POSTED}
    assert ledger_models.Voucher.objects.filter(company=world.company).count() == 6
    # Every page's lines read ahead, none in its transaction; some read before the page before wrote them.
    assert (reads["ahead"], main_thread_line_reads(queries)) == (5, 0)
    assert reads["stale"] > 0


def test_a_poll_applies_every_message_and_posts_each_paid_line(autopay_url, today, now):
    world = paid_world(today=today, now=now)
    result = poll.company_poll(company=world.company, clock=timezone.now)
    assert (result.ok, result.messages_applied, result.anomalies) == (True, sim_message_count(world), 0)
    assert {line.status for line in world.lines()} == {payment_models.LineStatus.POSTED}


def test_a_poll_shortens_the_interpreters_switch_interval_while_it_runs(autopay_url, today, now, monkeypatch):
    # The polling thread gets the interpreter back within 0.5 ms of a statement's end, not 5 ms, while the
    # fetching thread prepares the next page; the interval is given back when the poll ends, also on an error.
    world = paid_world(today=today, now=now)
    seen: list[float] = []
    derive = payment_status.payment_statuses_derive

    def derive_noting_the_interval(**kwargs):
        seen.append(sys.getswitchinterval())
        derive(**kwargs)

    monkeypatch.setattr(payment_status, "payment_statuses_derive", derive_noting_the_interval)
    before = sys.getswitchinterval()
    result = poll.company_poll(company=world.company, clock=timezone.now)
    assert result.ok
    assert set(seen) == {min(poll._POLL_SWITCH_INTERVAL, before)} != {before}
    assert sys.getswitchinterval() == before

    def broken(**kwargs):
        raise RuntimeError("broken")

    monkeypatch.setattr(poll, "_pages_poll", broken)
    with pytest.raises(RuntimeError):
        poll.company_poll(company=world.company, clock=timezone.now, after=0)
    assert sys.getswitchinterval() == before


def test_a_second_poll_finds_nothing_new(autopay_url, today, now):
    world = paid_world(today=today, now=now)
    poll.company_poll(company=world.company, clock=timezone.now)
    again = poll.company_poll(company=world.company, clock=timezone.now)
    assert (again.messages_seen, again.messages_applied) == (0, 0)


def test_rereading_from_the_start_applies_nothing_twice(autopay_url, today, now):
    world = paid_world(today=today, now=now)
    poll.company_poll(company=world.company, clock=timezone.now)
    again = poll.company_poll(company=world.company, clock=timezone.now, after=0, page_size=4)
    assert (again.already_applied, again.messages_applied, ledger_models.Voucher.objects.filter(
        company=world.company).count()) == (sim_message_count(world), 0, 6)  # fmt: skip


def test_the_cursor_records_the_poll(autopay_url, today, now):
    world = paid_world(today=today, now=now)
    poll.company_poll(company=world.company, clock=timezone.now)
    cursor = models.PollCursor.objects.get(company=world.company)
    last = sim_models.Message.objects.filter(company__org_no=world.company.org_no).latest("seq").seq
    assert (cursor.last_seq, cursor.messages_applied, cursor.last_poll_ok, cursor.lease_owner) == (
        last,
        sim_message_count(world),
        True,
        "",
    )


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nb", "behandlet: {n}, behandlet før: 0, avvik: 0"),
        ("en", "applied: {n}, already applied: 0, anomalies: 0"),
    ],
)
def test_the_cursor_records_the_polls_result_in_the_language_of_the_poll(
    autopay_url, today, now, language, expected
):
    world = paid_world(today=today, now=now)
    with translation.override(language):
        poll.company_poll(company=world.company, clock=timezone.now)
    cursor = models.PollCursor.objects.get(company=world.company)
    assert cursor.last_poll_result == expected.format(n=sim_message_count(world))


def test_every_applied_message_id_is_stored(autopay_url, today, now):
    world = paid_world(today=today, now=now)
    poll.company_poll(company=world.company, clock=timezone.now)
    sim_ids = set(
        sim_models.Message.objects.filter(company__org_no=world.company.org_no).values_list("uid", flat=True)
    )
    assert (
        set(models.AppliedMessage.objects.filter(company=world.company).values_list("message_id", flat=True))
        == sim_ids
    )


def test_a_poll_while_another_holds_the_lease_is_refused(autopay_url, today, now):
    world = paid_world(today=today, now=now, count=1)
    poll._lease_take(company=world.company, owner="other", now=timezone.now())
    with pytest.raises(poll.PollBusy):
        poll.company_poll(company=world.company, clock=timezone.now)


def test_an_expired_lease_is_taken_over(autopay_url, today, now, settings):
    world = paid_world(today=today, now=now, count=1)
    poll._lease_take(company=world.company, owner="crashed", now=timezone.now() - datetime.timedelta(hours=1))
    assert poll.company_poll(company=world.company, clock=timezone.now).ok


def test_a_page_applied_after_losing_the_lease_changes_nothing(autopay_url, today, now):
    world = paid_world(today=today, now=now, count=1)

    def clock_taken_over() -> datetime.datetime:
        # Every time the poll looks at the clock, another poll has just taken the lease over.
        models.PollCursor.objects.filter(company=world.company).update(lease_owner="other")
        return timezone.now()

    result = poll.company_poll(company=world.company, clock=clock_taken_over)
    assert (result.ok, models.AppliedMessage.objects.filter(company=world.company).count()) == (False, 0)


def test_the_command_prints_what_it_applied(autopay_url, today, now):
    world = paid_world(today=today, now=now, count=2)
    out = io.StringIO()
    call_command("poll_autopay", "--company", world.company.org_no, stdout=out)
    assert f"{world.company.org_no}: {sim_message_count(world)} applied" in out.getvalue()


def test_the_command_with_after_reapplies_nothing(autopay_url, today, now):
    world = paid_world(today=today, now=now, count=2)
    call_command("poll_autopay", "--company", world.company.org_no, stdout=io.StringIO())
    out = io.StringIO()
    call_command("poll_autopay", "--company", world.company.org_no, "--after", "0", stdout=out)
    assert (
        f"{world.company.org_no}: 0 applied (none), {sim_message_count(world)} already applied"
        in out.getvalue()
    )


def test_every_voucher_of_a_poll_balances(autopay_url, today, now):
    world = paid_world(today=today, now=now)
    poll.company_poll(company=world.company, clock=timezone.now)
    assert list(ledger_selectors.vouchers_unbalanced(company=world.company)) == []
