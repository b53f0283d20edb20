"""The payment pages: proposal with preview, list, detail with actions, tenancy, Norwegian format."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from payments import models
from payments.services import proposal
from tests.company import factories as company_factories
from tests.payments import factories
from tests.payments.factories import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_today(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def browser(client, accountant):
    client.force_login(accountant)
    return client


@pytest.fixture
def payment(company, bank_partner):
    factories.PayableItemFactory.create(company=company, amount=Decimal("32071.33"), kid="0044555258")
    factories.PayableItemFactory.create(company=company, amount=Decimal("100.00"))
    return proposal.payment_proposal_create(
        company=company,
        bank_partner=bank_partner,
        due_date_to=datetime.date(2026, 12, 31),
        actor=None,
        now=NOW,
    ).payments[0]


def proposal_form(bank_partner, **extra):
    return {"bank_partner": bank_partner.pk, "due_date_to": "2026-12-31", **extra}


@pytest.mark.parametrize("name", ["payments", "payment-propose"])
def test_page_redirects_an_anonymous_visitor_to_login(client, name):
    assert client.get(reverse(name)).url.startswith(reverse("login"))


def test_preview_shows_the_items_and_the_left_out_reasons(browser, company, bank_partner):
    factories.PayableItemFactory.create(company=company, invoice_no="INV-PAID")
    factories.CreditNoteFactory.create(company=company, invoice_no="CN-1")
    page = browser.post(
        reverse("payment-propose"), proposal_form(bank_partner, preview="1"), HTTP_HX_REQUEST="true"
    )
    text = page.content.decode()
    assert ("INV-PAID" in text, "Credit note" in text, models.Payment.objects.count()) == (True, True, 0)


def test_proposal_form_makes_the_proposal(browser, company, bank_partner):
    factories.PayableItemFactory.create(company=company)
    page = browser.post(reverse("payment-propose"), proposal_form(bank_partner, create="1"))
    assert (page.status_code, models.Payment.objects.filter(company=company).count()) == (302, 1)


def test_proposal_form_with_a_past_payment_date_shows_the_error(browser, company, bank_partner):
    factories.PayableItemFactory.create(company=company)
    page = browser.post(
        reverse("payment-propose"), proposal_form(bank_partner, payment_date="2026-01-01", create="1")
    )
    assert b"past" in page.content


def test_proposal_form_offers_only_the_companys_bank_partners(browser, bank_partner):
    other = company_factories.BankPartnerFactory.create()
    page = browser.post(reverse("payment-propose"), proposal_form(other, create="1"))
    assert (page.status_code, models.Payment.objects.count()) == (200, 0)


def test_list_shows_totals_by_status_in_norwegian_format(browser, payment):
    text = browser.get(reverse("payments"), HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert ("32 171,33" in text, "Forslag" in text) == (True, True)


def test_list_totals_each_payment_once_whatever_its_lines(browser, payment, company, bank_partner):
    # The fixture's payment has two lines (32 071,33 and 100,00): its total counted once, not once per line.
    text = browser.get(reverse("payments"), HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    totals = text[text.index('id="payment-totals"') :]
    totals = totals[: totals.index("</table>")]
    assert ("32 171,33" in totals, "64 342,66" in totals, '<td class="num">2</td>' in text) == (
        True,
        False,
        True,
    )


def test_list_filters_by_status(browser, payment):
    text = browser.get(reverse("payments"), {"status": "2"}).content.decode()
    assert f'href="{reverse("payment-detail", args=[payment.pk])}"' not in text


@pytest.mark.parametrize("query", [{"status": "99"}, {"date_from": "2026-02-30"}, {"bank_partner": "x"}])
def test_a_filter_that_cannot_be_applied_is_told_and_lists_nothing(browser, payment, query):
    text = browser.get(reverse("payments"), query).content.decode()
    assert 'id="filter-errors"' in text
    assert f'href="{reverse("payment-detail", args=[payment.pk])}"' not in text


def test_the_filter_form_without_values_lists_every_payment(browser, payment):
    text = browser.get(reverse("payments"), {"status": "", "date_from": ""}).content.decode()
    assert 'id="filter-errors"' not in text
    assert f'href="{reverse("payment-detail", args=[payment.pk])}"' in text


def test_detail_shows_lines_and_events(browser, payment):
    text = browser.get(reverse("payment-detail", args=[payment.pk])).content.decode()
    assert ("0044555258" in text, "Proposed" in text) == (True, True)


def test_detail_shows_each_autopay_status_of_an_event_with_its_reason(browser, payment):
    line = payment.lines.order_by("id").first()
    steps = [
        {"from": 2, "to": 3, "autopay_status": "sent_to_bank", "reason": "", "message_id": "m1", "seq": 1},
        {
            "from": 3,
            "to": 7,
            "autopay_status": "rejected_in_bank",
            "reason": "closed account",
            "message_id": "m2",
            "seq": 2,
        },
    ]
    models.PaymentEvent.objects.create(
        payment=payment,
        line=line,
        company=payment.company,
        kind=models.PaymentEventKind.STATUS_CHANGED,
        at=NOW,
        details={"from": 2, "to": 7, "statuses": steps},
    )
    text = browser.get(reverse("payment-detail", args=[payment.pk])).content.decode()
    norwegian = browser.get(
        reverse("payment-detail", args=[payment.pk]), HTTP_ACCEPT_LANGUAGE="nb"
    ).content.decode()
    e2e = line.end_to_end_id
    assert (
        f"{e2e}: 2 Transferred → 7 Rejected: sent to bank, rejected in bank (closed account)" in text,
        f"{e2e}: 2 Overført → 7 Avvist: sendt til bank, avvist i bank (closed account)" in norwegian,
    ) == (True, True)


def test_detail_of_another_companys_payment_is_a_404(client, payment):
    client.force_login(company_factories.MembershipFactory.create().user)
    assert client.get(reverse("payment-detail", args=[payment.pk])).status_code == 404


def test_removing_a_line_on_the_page(browser, payment):
    line = payment.lines.order_by("pk").first()
    browser.post(reverse("payment-line-remove", args=[line.pk]))
    assert payment.lines.count() == 1


def test_reducing_a_line_on_the_page_takes_a_norwegian_amount(browser, payment, settings):
    line = payment.lines.get(amount=Decimal("32071.33"))
    browser.post(
        reverse("payment-line-reduce", args=[line.pk]), {"amount": "30000,50"}, HTTP_ACCEPT_LANGUAGE="nb"
    )
    line.refresh_from_db()
    assert line.amount == Decimal("30000.50")


def test_deleting_on_the_page(browser, payment):
    browser.post(reverse("payment-delete", args=[payment.pk]))
    assert not models.Payment.objects.filter(pk=payment.pk).exists()


def test_upload_of_a_transferred_payment_on_the_page_shows_the_refusal(browser, payment):
    models.Payment.objects.filter(pk=payment.pk).update(
        status=models.PaymentStatus.TRANSFERRED, transferred_at=NOW
    )
    page = browser.post(reverse("payment-upload", args=[payment.pk]), follow=True)
    assert b"is not a proposal" in page.content


def test_blocking_an_item_on_the_open_items_page(browser, company):
    item = factories.PayableItemFactory.create(company=company)
    browser.post(reverse("open-item-payment-block", args=[item.pk]), {"blocked": "1", "reason": "Disputed"})
    item.refresh_from_db()
    assert (item.payment_blocked, item.payment_block_reason) == (True, "Disputed")


def test_nav_links_to_payments_and_autopay(browser):
    text = browser.get(reverse("dashboard")).content.decode()
    assert (reverse("payments") in text, reverse("autopay-ui") in text) == (True, True)


def test_admin_lists_payments_read_only(client, payment):
    client.force_login(company_factories.UserFactory.create(is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:payments_payment_change", args=[payment.pk]))
    assert (page.status_code, b'name="_save"' in page.content) == (200, False)


def test_large_selection_on_the_page_leads_to_its_progress(browser, payment, settings):
    settings.PAYMENTS_UPLOAD_IN_BACKGROUND_OVER = 0
    page = browser.post(reverse("payments-upload"), {"payments": [str(payment.pk)]})
    run = models.UploadRun.objects.get()
    assert page.url == reverse("payment-upload-run", args=[run.pk])


def test_progress_fragment_polls_until_done(browser, accountant):
    run = models.UploadRun.objects.create(
        created_by=accountant, created_at=NOW, payment_ids=[1, 2], handled_ids=[1]
    )
    text = browser.get(reverse("payment-upload-run", args=[run.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert ("1 of 2" in text, 'hx-trigger="every 1s"' in text) == (True, True)


def test_another_users_upload_run_is_a_404(client, accountant):
    run = models.UploadRun.objects.create(created_by=accountant, created_at=NOW, payment_ids=[1])
    client.force_login(company_factories.MembershipFactory.create().user)
    assert client.get(reverse("payment-upload-run", args=[run.pk])).status_code == 404


def test_the_proposal_form_chooses_the_only_bank_partner(browser, company, bank_partner):
    page = browser.get(reverse("payment-propose")).content.decode()

    assert f'<option value="{bank_partner.pk}" selected>' in page


def test_admin_filters_lines_by_status_through_their_phase(client, payment):
    client.force_login(company_factories.UserFactory.create(is_staff=True, is_superuser=True))
    line = payment.lines.first()
    url = reverse("admin:payments_paymentline_changelist")
    shown = client.get(url, {"status": str(line.status)}).content.decode()
    other = client.get(url, {"status": str(models.LineStatus.POSTED)}).content.decode()
    bad = client.get(url, {"status": "x"})
    link = reverse("admin:payments_paymentline_change", args=[line.pk])
    assert (link in shown, link in other, bad.status_code) == (True, False, 200)
