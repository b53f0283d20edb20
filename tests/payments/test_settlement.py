"""Settlement: one balanced voucher per paid line, reconciled against its item; or waiting for a batch."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from autopay_erp import poll
from autopay_sim import models as sim_models
from autopay_sim import services as sim_services
from company import models as company_models
from ledger import models as ledger_models
from ledger import selectors as ledger_selectors
from payments import models, settlement_selectors
from payments.services import settlement
from tests.company import factories as company_factories
from tests.payments import outgoing_world

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.sqlite]


def settled_world(*, today, now, count: int = 4, ebf_post_settlement: bool = True, reduce_first_to=None):
    world = outgoing_world.world_create(
        amounts=[Decimal("1000.00") + n for n in range(count)],
        today=today,
        now=now,
        ebf_post_settlement=ebf_post_settlement,
        lines_per_payment=2,
    )
    outgoing_world.world_upload(world, now=now)
    if reduce_first_to is not None:
        line = sim_models.PaymentLine.objects.get(
            payment__company__org_no=world.company.org_no, end_to_end_id=world.lines()[0].end_to_end_id
        )
        approver = _sim_approver(world)
        sim_services.payment_line_amount_reduce(
            line_id=line.pk, amount=reduce_first_to, user=approver, now=now
        )
    outgoing_world.sim_approve_all(org_no=world.company.org_no, now=now)
    outgoing_world.sim_bank_day(day=today, now=now)
    poll.company_poll(company=world.company, clock=timezone.now)
    return world


def _sim_approver(world):
    company = sim_models.SimCompany.objects.get(org_no=world.company.org_no)
    user, _ = get_user_model().objects.get_or_create(username=f"approver-{world.company.org_no}")
    sim_models.SimMembership.objects.get_or_create(
        user=user, company=company, role=sim_models.SimRole.APPROVER
    )
    return user


def voucher_lines(world) -> list[tuple[str, Decimal, int | None]]:
    return sorted(
        ledger_models.JournalLine.objects.filter(company=world.company).values_list(
            "account__number", "amount", "supplier_id"
        )
    )


def test_each_settled_line_posts_one_voucher(autopay_url, today, now):
    world = settled_world(today=today, now=now)
    assert sorted(line.voucher_id is not None for line in world.lines()) == [True] * 4
    assert ledger_models.Voucher.objects.filter(company=world.company).count() == 4


def test_all_vouchers_of_a_settlement_are_in_one_batch(autopay_url, today, now):
    world = settled_world(today=today, now=now)
    assert ledger_models.Batch.objects.filter(company=world.company, source="settlement").count() == 1


def test_a_settlement_voucher_debits_payables_with_the_supplier_and_credits_the_bank(autopay_url, today, now):
    world = settled_world(today=today, now=now, count=1)
    supplier = world.lines()[0].supplier_id
    assert voucher_lines(world) == [
        ("1920", Decimal("-1000.00"), None),
        ("2400", Decimal("1000.00"), supplier),
    ]


def test_settlement_vouchers_balance(autopay_url, today, now):
    world = settled_world(today=today, now=now)
    assert list(ledger_selectors.vouchers_unbalanced(company=world.company)) == []


def test_a_settlement_voucher_is_dated_the_value_date(autopay_url, today, now):
    world = settled_world(today=today, now=now, count=1)
    assert ledger_models.Voucher.objects.get(company=world.company).date == today


@pytest.mark.parametrize(
    ("language", "series", "batch", "voucher"),
    [
        ("nb", "Utgående betalinger (AutoPay)", "AutoPay-avregning ", "Utbetaling "),
        ("en", "Outgoing payments (AutoPay)", "AutoPay settlement ", "Payment "),
    ],
)
def test_a_settlement_is_written_in_the_language_of_its_posting(
    autopay_url, today, now, language, series, batch, voucher
):
    with translation.override(language):
        world = settled_world(today=today, now=now, count=1)
    posted = ledger_models.Voucher.objects.select_related("series", "batch").get(company=world.company)
    line = world.lines()[0]
    assert posted.batch is not None
    assert (posted.series.name, posted.batch.description[: len(batch)], posted.description) == (
        series,
        batch,
        f"{voucher}{line.payment.number} {line.end_to_end_id}",
    )


def test_settlement_closes_the_suppliers_item(autopay_url, today, now):
    world = settled_world(today=today, now=now, count=1)
    item = ledger_models.OpenItem.objects.get(pk=world.lines()[0].open_item_id)
    assert (item.remaining_amount, item.status) == (Decimal("0.00"), ledger_models.OpenItemStatus.SETTLED)


def test_a_line_paid_below_its_amount_leaves_the_rest_of_the_item_open(autopay_url, today, now):
    world = settled_world(today=today, now=now, count=1, reduce_first_to=Decimal("600.00"))
    item = ledger_models.OpenItem.objects.get(pk=world.lines()[0].open_item_id)
    assert (item.remaining_amount, item.status) == (
        Decimal("400.00"),
        ledger_models.OpenItemStatus.PARTIALLY_OPEN,
    )


def test_a_posted_line_is_in_status_posted(autopay_url, today, now):
    world = settled_world(today=today, now=now, count=1)
    assert world.lines()[0].status == models.LineStatus.POSTED


def test_with_the_option_off_settled_lines_wait(autopay_url, today, now):
    world = settled_world(today=today, now=now, ebf_post_settlement=False)
    assert (
        {line.status for line in world.lines()},
        ledger_models.Voucher.objects.filter(company=world.company).count(),
    ) == ({models.LineStatus.SETTLED}, 0)


def test_waiting_lines_are_listed_for_a_batch(autopay_url, today, now):
    world = settled_world(today=today, now=now, ebf_post_settlement=False)
    companies = company_models.Company.objects.filter(pk=world.company.pk)
    assert settlement_selectors.payment_lines_awaiting_batch(companies=companies).count() == 4


def test_create_batch_posts_the_chosen_lines(autopay_url, today, now):
    world = settled_world(today=today, now=now, ebf_post_settlement=False)
    chosen = world.lines()[:2]
    settlement.payment_lines_batch_create(company=world.company, lines=chosen, user=None, now=now)
    assert [line.status for line in world.lines()] == [models.LineStatus.POSTED] * 2 + [
        models.LineStatus.SETTLED
    ] * 2


def test_create_batch_refuses_a_line_not_settled_and_posts_nothing(autopay_url, today, now):
    world = settled_world(today=today, now=now, ebf_post_settlement=False, count=2)
    settlement.payment_lines_batch_create(company=world.company, lines=world.lines()[:1], user=None, now=now)
    with pytest.raises(settlement.SettlementError):
        settlement.payment_lines_batch_create(company=world.company, lines=world.lines(), user=None, now=now)
    assert ledger_models.Voucher.objects.filter(company=world.company).count() == 1


def api_client_for(company):
    user = company_factories.MembershipFactory.create(
        company=company, role=company_models.Role.ACCOUNTANT
    ).user
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_create_batch_api_posts_and_answers_the_batch(autopay_url, today, now):
    world = settled_world(today=today, now=now, ebf_post_settlement=False, count=2)
    answer = api_client_for(world.company).post(
        reverse("api-payment-lines-create-batch"),
        {"lines": [line.pk for line in world.lines()]},
        format="json",
    )
    assert (answer.status_code, answer.json()["lines_posted"]) == (201, 2)


def test_the_create_batch_api_answers_409_for_a_posted_line(autopay_url, today, now):
    world = settled_world(today=today, now=now, count=1)
    answer = api_client_for(world.company).post(
        reverse("api-payment-lines-create-batch"), {"lines": [world.lines()[0].pk]}, format="json"
    )
    assert (answer.status_code, answer.json()["error"]) == (409, "not_postable")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nb", "bankpartnerens hovedbokskonto {account} er ikke en aktiv konto"),
        ("en", "the bank partner's GL account {account} is not an active account"),
    ],
)
def test_a_line_that_cannot_be_posted_is_told_why_in_the_users_language(
    autopay_url, today, now, language, expected
):
    world = settled_world(today=today, now=now, ebf_post_settlement=False, count=1)
    line = world.lines()[0]
    account = line.payment.bank_partner.gl_account_no
    ledger_models.Account.objects.filter(company=world.company, number=account).update(is_active=False)
    answer = api_client_for(world.company).post(
        reverse("api-payment-lines-create-batch"),
        {"lines": [line.pk]},
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert (answer.status_code, answer.json()["error"]) == (409, "not_postable")
    assert expected.format(account=account) in answer.json()["detail"]
    assert world.lines()[0].status == models.LineStatus.SETTLED


def test_the_create_batch_api_does_not_see_another_companys_lines(autopay_url, today, now):
    world = settled_world(today=today, now=now, ebf_post_settlement=False, count=1)
    stranger = api_client_for(company_factories.CompanyFactory.create())
    answer = stranger.post(
        reverse("api-payment-lines-create-batch"), {"lines": [world.lines()[0].pk]}, format="json"
    )
    assert (answer.status_code, ledger_models.Voucher.objects.count()) == (400, 0)


def test_the_create_batch_api_refuses_a_malformed_body(autopay_url, today, now):
    world = settled_world(today=today, now=now, ebf_post_settlement=False, count=1)
    answer = api_client_for(world.company).post(
        reverse("api-payment-lines-create-batch"), {"lines": "all"}, format="json"
    )
    assert answer.status_code == 400


def test_a_settlement_without_a_payables_account_waits_as_an_anomaly(autopay_url, today, now):
    world = outgoing_world.world_create(amounts=[Decimal("10.00")], today=today, now=now)
    ledger_models.Account.objects.filter(pk=world.payables.pk).update(role=ledger_models.AccountRole.NONE)
    outgoing_world.world_upload(world, now=now)
    outgoing_world.sim_approve_all(org_no=world.company.org_no, now=now)
    outgoing_world.sim_bank_day(day=today, now=now)
    result = poll.company_poll(company=world.company, clock=timezone.now)
    assert (result.anomalies, world.lines()[0].status) == (1, models.LineStatus.SETTLED)


def test_an_unsettled_line_two_bank_days_after_its_date_is_missing(autopay_url, today, now):
    monday = datetime.date(2026, 11, 16)
    world = outgoing_world.world_create(amounts=[Decimal("10.00")], today=monday, now=now)
    models.PaymentLine.objects.filter(company=world.company).update(status=models.LineStatus.TRANSFERRED)
    companies = company_models.Company.objects.filter(pk=world.company.pk)
    on = [
        settlement_selectors.payment_lines_settlement_missing(companies=companies, today=day).count()
        for day in (datetime.date(2026, 11, 17), datetime.date(2026, 11, 18))
    ]
    assert on == [0, 1]


@pytest.mark.parametrize("name", ["api-payment-lines-awaiting-batch", "api-payment-lines-settlement-missing"])
def test_the_work_lists_refuse_a_company_that_is_not_the_users_or_not_an_id(name):
    # As the other lists' `company` filter: a 400 naming the filter, the same for another's company as for
    # none at all, rather than an empty list that looks like "nothing waiting".
    mine = company_factories.CompanyFactory.create()
    other = company_factories.CompanyFactory.create()
    client = api_client_for(mine)
    url = reverse(name)
    assert client.get(url, {"company": mine.pk}).status_code == 200
    answers = [
        client.get(url, {"company": value}, HTTP_ACCEPT_LANGUAGE="nb") for value in (other.pk, 2**40, "abc")
    ]
    assert {answer.status_code for answer in answers} == {400}
    assert {tuple(answer.json()) for answer in answers} == {("company",)}
    assert answers[0].json() == answers[1].json()


def test_the_create_batch_api_tells_lines_it_does_not_know_in_the_users_language(autopay_url, today, now):
    world = settled_world(today=today, now=now, ebf_post_settlement=False, count=1)
    answer = api_client_for(world.company).post(
        reverse("api-payment-lines-create-batch"),
        {"lines": [2_000_000_000]},
        format="json",
        HTTP_ACCEPT_LANGUAGE="nb",
    )
    assert (answer.status_code, answer.json()) == (
        400,
        {"error": "not_found", "detail": "Ingen slike linjer: 2000000000."},
    )
