"""Line statuses from AutoPay's feed, polled from the simulator over HTTP: one-way, with anomalies."""

import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from autopay_erp import models as erp_models
from autopay_erp import poll
from autopay_sim import models as sim_models
from payments import models
from payments.services import status
from tests.payments import outgoing_world

pytestmark = pytest.mark.django_db(transaction=True)


def uploaded_world(*, today, now, count: int = 3, **kwargs) -> outgoing_world.World:
    world = outgoing_world.world_create(
        amounts=[Decimal("250.00") + n for n in range(count)],
        today=today,
        now=now,
        lines_per_payment=3,
        **kwargs,
    )
    outgoing_world.world_upload(world, now=now)
    return world


def poll_now(world: outgoing_world.World) -> poll.PollResult:
    return poll.company_poll(company=world.company, clock=timezone.now)


def anomaly_reasons(world: outgoing_world.World) -> list[str]:
    return list(erp_models.Anomaly.objects.filter(company=world.company).values_list("reason", flat=True))


def test_approval_moves_the_lines_to_acknowledged(autopay_url, today, now):
    world = uploaded_world(today=today, now=now)
    outgoing_world.sim_approve_all(org_no=world.company.org_no, now=now)
    poll_now(world)
    assert {line.status for line in world.lines()} == {models.LineStatus.ACKNOWLEDGED}


def line_updates() -> tuple[int, int]:
    """Return PostgreSQL's count of updates of payment lines so far, and of those heap-only."""
    with connection.cursor() as cursor:
        # This backend's counts are reported when it is next idle, i.e. before the query below.
        cursor.execute("SELECT pg_stat_force_next_flush()")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'payments_paymentline'"
        )
        row = cursor.fetchone()
    return row[0], row[1]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's heap-only updates")
def test_the_approvals_page_writes_each_line_heap_only(autopay_url, today, now):
    world = uploaded_world(today=today, now=now, count=6)
    outgoing_world.sim_approve_all(org_no=world.company.org_no, now=now)
    updates, heap_only = line_updates()
    poll_now(world)
    after, after_heap_only = line_updates()
    assert {line.status for line in world.lines()} == {models.LineStatus.ACKNOWLEDGED}
    # Each line written once, in its own page, with no new index entry.
    assert (after - updates, after_heap_only - heap_only) == (6, 6)


def test_the_autopay_status_of_the_last_message_is_kept(autopay_url, today, now):
    world = uploaded_world(today=today, now=now)
    outgoing_world.sim_approve_all(org_no=world.company.org_no, now=now)
    poll_now(world)
    assert {line.autopay_status for line in world.lines()} == {"approved"}


def test_a_paid_line_keeps_the_amount_paid_value_date_and_bank_reference(autopay_url, today, now):
    world = uploaded_world(today=today, now=now, count=1, ebf_post_settlement=False)
    outgoing_world.sim_approve_all(org_no=world.company.org_no, now=now)
    outgoing_world.sim_bank_day(day=today, now=now)
    poll_now(world)
    line = world.lines()[0]
    assert (line.status, line.amount_paid, line.value_date, line.bank_reference.startswith("BR")) == (
        models.LineStatus.SETTLED,
        Decimal("250.00"),
        today,
        True,
    )


def test_a_payment_with_a_rejected_line_is_transferred_with_rejections(autopay_url, today, now):
    world = uploaded_world(today=today, now=now)
    sim_models.ClosedAccount.objects.create(account=world.lines()[0].creditor_account)
    outgoing_world.sim_approve_all(org_no=world.company.org_no, now=now)
    outgoing_world.sim_bank_day(day=today, now=now)
    poll_now(world)
    assert models.Payment.objects.get(pk=world.payments[0].pk).status == (
        models.PaymentStatus.TRANSFERRED_WITH_REJECTIONS
    )


def test_a_rejected_line_keeps_the_banks_reason(autopay_url, today, now):
    world = uploaded_world(today=today, now=now, count=1)
    sim_models.ClosedAccount.objects.create(account=world.lines()[0].creditor_account)
    outgoing_world.sim_approve_all(org_no=world.company.org_no, now=now)
    outgoing_world.sim_bank_day(day=today, now=now)
    poll_now(world)
    line = world.lines()[0]
    assert (line.status, line.reason) == (models.LineStatus.REJECTED, "closed account")


def test_a_payment_all_rejected_is_rejected(autopay_url, today, now):
    world = uploaded_world(today=today, now=now)
    outgoing_world.sim_approve_all(org_no=world.company.org_no, now=now)
    outgoing_world.sim_bank_day(day=today, now=now, reject_share=1.0)
    poll_now(world)
    assert models.Payment.objects.get(pk=world.payments[0].pk).status == models.PaymentStatus.REJECTED


def test_a_rejected_lines_item_is_free_for_a_new_line(autopay_url, today, now):
    world = uploaded_world(today=today, now=now, count=1)
    outgoing_world.sim_approve_all(org_no=world.company.org_no, now=now)
    outgoing_world.sim_bank_day(day=today, now=now, reject_share=1.0)
    poll_now(world)
    old = world.lines()[0]
    payment = models.Payment.objects.create(
        company=world.company, number=99, bank_partner=world.bank_partner, payment_date=today, created_at=now
    )
    models.PaymentLine.objects.create(
        payment=payment, company=world.company, open_item=old.open_item, supplier=old.supplier,
        amount=old.amount, creditor_account=old.creditor_account, end_to_end_id="P99-1",
    )  # fmt: skip
    assert models.PaymentLine.objects.filter(open_item=old.open_item).count() == 2


def status_history(line) -> list[list[tuple[str, str]]]:
    """Each status_changed event of the line, as its (AutoPay status, reason) pairs in feed order."""
    events = models.PaymentEvent.objects.filter(line=line, kind=models.PaymentEventKind.STATUS_CHANGED)
    return [
        [(step["autopay_status"], step["reason"]) for step in event.details["statuses"]]
        for event in events.order_by("id")
    ]


def test_each_applied_status_is_in_the_payments_history(autopay_url, today, now):
    world = uploaded_world(today=today, now=now, count=1, ebf_post_settlement=False)
    outgoing_world.sim_approve_all(org_no=world.company.org_no, now=now)
    outgoing_world.sim_bank_day(day=today, now=now)
    poll_now(world)
    # One page brought all four: one event of the line, listing them in order.
    assert status_history(world.lines()[0]) == [
        [("approved", ""), ("sent_to_bank", ""), ("accepted_by_bank", ""), ("paid", "")]
    ]


def test_an_event_names_each_status_with_its_message_and_the_lines_move(autopay_url, today, now):
    world = uploaded_world(today=today, now=now, count=1, ebf_post_settlement=False)
    outgoing_world.sim_approve_all(org_no=world.company.org_no, now=now)
    outgoing_world.sim_bank_day(day=today, now=now)
    poll_now(world)
    event = models.PaymentEvent.objects.get(
        line=world.lines()[0], kind=models.PaymentEventKind.STATUS_CHANGED
    )
    applied = set(
        erp_models.AppliedMessage.objects.filter(company=world.company).values_list("message_id", flat=True)
    )
    steps = event.details["statuses"]
    assert (event.details["from"], event.details["to"], event.actor) == (
        models.LineStatus.TRANSFERRED,
        models.LineStatus.SETTLED,
        None,
    )
    assert [(step["from"], step["to"]) for step in steps] == [(2, 3), (3, 3), (3, 3), (3, 5)]
    assert all(uuid.UUID(step["message_id"]) in applied for step in steps)
    assert [step["seq"] for step in steps] == sorted(step["seq"] for step in steps)
    assert steps[-1]["amount_paid"] == "250.00"


def test_an_amount_paid_without_decimals_is_kept_and_posted_with_two(autopay_url, today, now):
    # AutoPay may write "250" for 250.00: the events say "250.00", as the line stores it.
    world = uploaded_world(today=today, now=now, count=1)
    outgoing_world.sim_approve_all(org_no=world.company.org_no, now=now)
    line = world.lines()[0]
    outgoing_world.sim_message_raw_emit(
        org_no=world.company.org_no,
        type="line_status",
        payload={
            "payment_reference": line.payment.autopay_reference,
            "payment_id": "TEST",
            "end_to_end_id": line.end_to_end_id,
            "autopay_status": "paid",
            "erp_status": 5,
            "amount_paid": "250",
            "currency": "NOK",
            "value_date": today.isoformat(),
            "bank_reference": "B1",
            "reason": "",
        },
        now=now,
    )
    assert poll_now(world).anomalies == 0
    line.refresh_from_db()
    assert (line.status, str(line.amount_paid)) == (models.LineStatus.POSTED, "250.00")
    events = models.PaymentEvent.objects.filter(line=line).order_by("id")
    paid = [e.details["statuses"][-1] for e in events if e.kind == models.PaymentEventKind.STATUS_CHANGED]
    posted = [e.details["amount"] for e in events if e.kind == models.PaymentEventKind.POSTED]
    assert (paid[-1]["amount_paid"], posted) == ("250.00", ["250.00"])


def test_a_negative_amount_paid_is_an_anomaly_and_the_feed_goes_on(autopay_url, today, now):
    world = uploaded_world(today=today, now=now, count=1)
    outgoing_world.sim_approve_all(org_no=world.company.org_no, now=now)
    line = world.lines()[0]
    payload = {
        "payment_reference": line.payment.autopay_reference,
        "payment_id": "TEST",
        "end_to_end_id": line.end_to_end_id,
        "autopay_status": "paid",
        "erp_status": 5,
        "amount_paid": "-250.00",
        "currency": "NOK",
        "value_date": today.isoformat(),
        "bank_reference": "B1",
        "reason": "",
    }
    outgoing_world.sim_message_raw_emit(
        org_no=world.company.org_no, type="line_status", payload=payload, now=now
    )
    outgoing_world.sim_message_raw_emit(
        org_no=world.company.org_no, type="line_status", payload={**payload, "amount_paid": "250.00"}, now=now
    )
    result = poll_now(world)
    line.refresh_from_db()
    assert (result.ok, result.anomalies, line.status) == (True, 1, models.LineStatus.POSTED)
    assert anomaly_reasons(world) == [f"{line.end_to_end_id}: amount paid -250.00 is negative"]


def test_statuses_polled_apart_are_events_apart(autopay_url, today, now):
    world = uploaded_world(today=today, now=now, count=1)
    sim_models.ClosedAccount.objects.create(account=world.lines()[0].creditor_account)
    outgoing_world.sim_approve_all(org_no=world.company.org_no, now=now)
    poll_now(world)
    outgoing_world.sim_bank_day(day=today, now=now)
    poll_now(world)
    assert status_history(world.lines()[0]) == [
        [("approved", "")],
        [("sent_to_bank", ""), ("rejected_in_bank", "closed account")],
    ]


def test_a_message_for_an_unknown_line_is_an_anomaly(autopay_url, today, now):
    world = uploaded_world(today=today, now=now, count=1)
    outgoing_world.sim_line_status_emit(
        org_no=world.company.org_no, end_to_end_id="NOPE-1", status="paid", now=now
    )
    poll_now(world)
    assert anomaly_reasons(world) == ["no payment line 'NOPE-1' in this company"]


def test_a_status_backwards_is_an_anomaly_and_changes_nothing(autopay_url, today, now):
    world = uploaded_world(today=today, now=now, count=1)
    outgoing_world.sim_approve_all(org_no=world.company.org_no, now=now)
    poll_now(world)
    e2e = world.lines()[0].end_to_end_id
    outgoing_world.sim_line_status_emit(org_no=world.company.org_no, end_to_end_id=e2e, status="new", now=now)
    poll_now(world)
    assert (world.lines()[0].status, len(anomaly_reasons(world))) == (models.LineStatus.ACKNOWLEDGED, 1)


def test_a_status_after_a_final_one_is_an_anomaly(autopay_url, today, now):
    world = uploaded_world(today=today, now=now, count=1)
    outgoing_world.sim_approve_all(org_no=world.company.org_no, now=now)
    outgoing_world.sim_bank_day(day=today, now=now, reject_share=1.0)
    poll_now(world)
    e2e = world.lines()[0].end_to_end_id
    outgoing_world.sim_line_status_emit(
        org_no=world.company.org_no, end_to_end_id=e2e, status="paid", now=now
    )
    poll_now(world)
    assert (world.lines()[0].status, len(anomaly_reasons(world))) == (models.LineStatus.REJECTED, 1)


def test_a_malformed_message_is_an_anomaly_and_the_feed_goes_on(autopay_url, today, now):
    world = uploaded_world(today=today, now=now, count=1)
    outgoing_world.sim_message_raw_emit(
        org_no=world.company.org_no, type="line_status", payload={"amount_paid": 12.5}, now=now
    )
    outgoing_world.sim_approve_all(org_no=world.company.org_no, now=now)
    poll_now(world)
    reasons = anomaly_reasons(world)
    assert (world.lines()[0].status, len(reasons), reasons[0].startswith("malformed: ")) == (
        models.LineStatus.ACKNOWLEDGED,
        1,
        True,
    )


def test_a_malformed_message_read_again_makes_no_second_anomaly(autopay_url, today, now):
    world = uploaded_world(today=today, now=now, count=1)
    outgoing_world.sim_message_raw_emit(org_no=world.company.org_no, type="line_status", payload={}, now=now)
    poll_now(world)
    poll.company_poll(company=world.company, clock=timezone.now, after=0)
    assert len(anomaly_reasons(world)) == 1


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        (models.LineStatus.TRANSFERRED, models.LineStatus.TRANSFERRED, True),
        (models.LineStatus.TRANSFERRED, models.LineStatus.ACKNOWLEDGED, True),
        (models.LineStatus.ACKNOWLEDGED, models.LineStatus.TRANSFERRED, False),
        (models.LineStatus.ACKNOWLEDGED, models.LineStatus.SETTLED, True),
        (models.LineStatus.SETTLED, models.LineStatus.REJECTED, False),
        (models.LineStatus.SETTLED, models.LineStatus.SETTLED, False),
        (models.LineStatus.POSTED, models.LineStatus.SETTLED, False),
        (models.LineStatus.CANCELLED, models.LineStatus.ACKNOWLEDGED, False),
        (models.LineStatus.TRANSFERRED, models.LineStatus.CANCELLED, True),
    ],
)
def test_transitions_go_one_way(current, new, allowed):
    assert (status.transition_problem(current=current, new=new) == "") is allowed
