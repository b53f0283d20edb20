"""Sync through the API, the pages, the admin and a real Celery worker on the Redis broker."""

import datetime
import time
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from autopay_erp import models, poll, tasks
from autopay_erp.celery import app
from company import context_processors
from company import models as company_models
from ledger import models as ledger_models
from payments import models as payment_models
from tests.company import factories as company_factories
from tests.payments import outgoing_world

pytestmark = [pytest.mark.django_db(transaction=True)]


def _poll_queue_purge() -> None:
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge("poll")


@pytest.fixture(autouse=True)
def _no_poll_left_queued():
    # A sync asked for without a worker leaves its task in the broker: no later test's worker may find it.
    _poll_queue_purge()
    yield
    _poll_queue_purge()
    # Enqueuing made the app build its (disabled) result backend for this thread; forget it, so that a later
    # test configuring a result backend gets one.
    vars(app._local).pop("backend", None)


@pytest.fixture
def autopay_url(live_server, settings) -> str:
    settings.AUTOPAY_BASE_URL = f"{live_server.url}/autopay"
    return settings.AUTOPAY_BASE_URL


def paid_world(*, count: int = 2, ebf_post_settlement: bool = True) -> outgoing_world.World:
    now = timezone.now()
    today = timezone.localdate(now)
    world = outgoing_world.world_create(
        amounts=[Decimal("75.00") + n for n in range(count)],
        today=today,
        now=now,
        ebf_post_settlement=ebf_post_settlement,
    )
    outgoing_world.world_upload(world, now=now)
    outgoing_world.sim_approve_all(org_no=world.company.org_no, now=now)
    outgoing_world.sim_bank_day(day=today, now=now)
    return world


def member(company, *, staff: bool = False):
    user = company_factories.MembershipFactory.create(
        company=company, role=company_models.Role.ACCOUNTANT
    ).user
    if staff:
        user.is_staff = True
        user.is_superuser = True
        user.save()
    return user


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def wait_for_state(task_id: str, timeout: float = 60) -> models.SyncRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = models.SyncRun.objects.get(task_id=task_id)
        if run.state in (models.SyncRunState.DONE, models.SyncRunState.FAILED):
            return run
        time.sleep(0.2)
    raise AssertionError("the poll did not finish")


@pytest.mark.broker
def test_a_sync_asked_for_through_the_api_is_polled_by_a_worker_and_reported_done(autopay_url):
    world = paid_world()
    with start_worker(
        app, pool="solo", queues=["default", "poll"], perform_ping_check=False, shutdown_timeout=10
    ):
        answer = api(member(world.company)).post(
            reverse("api-sync"), {"company": world.company.pk}, format="json"
        )
        run = wait_for_state(answer.json()["id"])
    state = api(member(world.company)).get(reverse("api-sync-state", args=[run.task_id])).json()
    assert (answer.status_code, state["state"], state["messages_applied"] > 0) == (202, "done", True)


@pytest.mark.broker
def test_beat_fans_out_one_poll_per_activated_company(autopay_url):
    first, second = paid_world(count=1), paid_world(count=1)
    company_factories.CompanyFactory.create()  # not activated: not polled
    with start_worker(
        app, pool="solo", queues=["default", "poll"], perform_ping_check=False, shutdown_timeout=10
    ):
        enqueued = tasks.poll_autopay_all.apply().get()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and models.PollCursor.objects.filter(last_poll_ok=True).count() < 2:
            time.sleep(0.2)
    polled = set(models.PollCursor.objects.filter(last_poll_ok=True).values_list("company_id", flat=True))
    assert (enqueued, polled) == (2, {first.company.pk, second.company.pk})


def test_a_sync_state_is_queued_before_a_worker_takes_it(autopay_url):
    world = paid_world(count=1)
    answer = api(member(world.company)).post(
        reverse("api-sync"), {"company": world.company.pk}, format="json"
    )
    assert models.SyncRun.objects.get(task_id=answer.json()["id"]).state == models.SyncRunState.QUEUED


def test_a_sync_for_another_users_company_is_refused(autopay_url):
    world = paid_world(count=1)
    stranger = member(company_factories.CompanyFactory.create())
    answer = api(stranger).post(reverse("api-sync"), {"company": world.company.pk}, format="json")
    assert (answer.status_code, models.SyncRun.objects.count()) == (400, 0)


def test_a_sync_with_a_malformed_body_is_refused(autopay_url):
    world = paid_world(count=1)
    answer = api(member(world.company)).post(reverse("api-sync"), {"company": "x"}, format="json")
    assert answer.status_code == 400


def test_another_companys_sync_state_is_not_found(autopay_url):
    world = paid_world(count=1)
    answer = api(member(world.company)).post(
        reverse("api-sync"), {"company": world.company.pk}, format="json"
    )
    stranger = member(company_factories.CompanyFactory.create())
    assert api(stranger).get(reverse("api-sync-state", args=[answer.json()["id"]])).status_code == 404


def logged_in(client, user, company):
    client.force_login(user)
    session = client.session
    session[context_processors.SESSION_KEY] = company.pk
    session.save()
    return client


def test_the_sync_page_shows_the_messages_applied(autopay_url, client):
    world = paid_world(count=1)
    result = poll.company_poll(company=world.company, clock=timezone.now)
    page = logged_in(client, member(world.company), world.company).get(reverse("autopay-sync"))
    assert f'<dd id="messages-applied">{result.messages_applied}</dd>' in page.content.decode()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "applied: {n}, already applied: 0, anomalies: 1"),
        ("nb", "behandlet: {n}, behandlet før: 0, avvik: 1"),
    ],
)
def test_the_sync_page_tells_the_last_polls_figures_in_its_readers_language(
    autopay_url, client, language, expected
):
    # Polled in Norwegian (a worker's language), read in either.
    world = paid_world(count=1)
    outgoing_world.sim_line_status_emit(
        org_no=world.company.org_no, end_to_end_id="NOPE-1", status="paid", now=timezone.now()
    )
    with translation.override("nb"):
        result = poll.company_poll(company=world.company, clock=timezone.now)
    page = logged_in(client, member(world.company), world.company).get(
        reverse("autopay-sync"), HTTP_ACCEPT_LANGUAGE=language
    )
    assert expected.format(n=result.messages_applied) in page.content.decode()


def test_a_cursor_polled_before_the_figures_were_kept_shows_its_stored_result(autopay_url, client):
    world = paid_world(count=1)
    models.PollCursor.objects.create(
        company=world.company, last_poll_at=timezone.now(), last_poll_ok=True, last_poll_result="behandlet: 7"
    )
    page = logged_in(client, member(world.company), world.company).get(reverse("autopay-sync"))
    assert "behandlet: 7</dd>" in page.content.decode()


@pytest.mark.parametrize(
    ("language", "expected"),
    [("nb", "AutoPay svarte ikke som ventet"), ("en", "AutoPay did not answer as expected")],
)
def test_a_failed_poll_is_told_on_the_sync_page_in_the_readers_language(
    autopay_url, client, language, expected
):
    world = paid_world(count=1)
    models.PollCursor.objects.create(
        company=world.company,
        last_poll_at=timezone.now(),
        last_poll_ok=False,
        last_poll_applied=0,
        last_poll_already_applied=0,
        last_poll_anomalies=0,
        last_poll_error="AutoPay: HTTP 503",
        last_poll_error_kind=models.PollErrorKind.AUTOPAY,
    )
    page = logged_in(client, member(world.company), world.company).get(
        reverse("autopay-sync"), HTTP_ACCEPT_LANGUAGE=language
    )
    assert f"{expected}; " in page.content.decode()
    assert "AutoPay: HTTP 503 (" in page.content.decode()


def test_an_anomaly_is_resolved_from_the_sync_page(autopay_url, client):
    world = paid_world(count=1)
    outgoing_world.sim_line_status_emit(
        org_no=world.company.org_no, end_to_end_id="NOPE-1", status="paid", now=timezone.now()
    )
    poll.company_poll(company=world.company, clock=timezone.now)
    anomaly = models.Anomaly.objects.get(company=world.company)
    logged_in(client, member(world.company), world.company).post(
        reverse("autopay-anomaly-resolve", args=[anomaly.pk])
    )
    assert models.Anomaly.objects.get(pk=anomaly.pk).resolved_at is not None


def test_create_accounting_batch_from_the_page_posts_the_chosen_lines(autopay_url, client):
    world = paid_world(count=2, ebf_post_settlement=False)
    poll.company_poll(company=world.company, clock=timezone.now)
    logged_in(client, member(world.company), world.company).post(
        reverse("payment-lines-batch-create"), {"lines": [world.lines()[0].pk]}
    )
    assert [line.status for line in world.lines()] == [
        payment_models.LineStatus.POSTED,
        payment_models.LineStatus.SETTLED,
    ]


def test_the_settlement_missing_page_lists_a_late_line(autopay_url, client):
    now = timezone.now()
    world = outgoing_world.world_create(
        amounts=[Decimal("10.00")], today=timezone.localdate(now) - datetime.timedelta(days=10), now=now
    )
    payment_models.PaymentLine.objects.filter(company=world.company).update(
        status=payment_models.LineStatus.TRANSFERRED
    )
    page = logged_in(client, member(world.company), world.company).get(
        reverse("payment-lines-settlement-missing")
    )
    assert world.lines()[0].supplier.name in page.content.decode()


def test_the_admin_lists_anomalies_and_resolves_them(autopay_url, client):
    world = paid_world(count=1)
    outgoing_world.sim_line_status_emit(
        org_no=world.company.org_no, end_to_end_id="NOPE-2", status="paid", now=timezone.now()
    )
    poll.company_poll(company=world.company, clock=timezone.now)
    client.force_login(member(world.company, staff=True))
    anomaly = models.Anomaly.objects.get(company=world.company)
    client.post(
        reverse("admin:autopay_erp_anomaly_changelist"),
        {"action": "resolve", "_selected_action": [anomaly.pk]},
    )
    assert models.Anomaly.objects.get(pk=anomaly.pk).resolved_at is not None


@pytest.mark.parametrize("name", ["pollcursor", "appliedmessage", "anomaly", "syncrun"])
def test_the_admin_pages_of_the_poll_open(autopay_url, client, name):
    world = paid_world(count=1)
    poll.company_poll(company=world.company, clock=timezone.now)
    client.force_login(member(world.company, staff=True))
    assert client.get(reverse(f"admin:autopay_erp_{name}_changelist")).status_code == 200


def test_the_ledger_is_untouched_by_a_refused_sync(autopay_url):
    world = paid_world(count=1)
    api(member(company_factories.CompanyFactory.create())).post(
        reverse("api-sync"), {"company": world.company.pk}, format="json"
    )
    assert ledger_models.Voucher.objects.filter(company=world.company).count() == 0
