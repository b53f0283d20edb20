"""The simulator's pages speak Norwegian Bokmål or English, with the language's amounts and dates."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from autopay_sim import models
from tests.autopay_sim import factories

pytestmark = pytest.mark.django_db

DUE = datetime.date(2026, 11, 17)


@pytest.fixture
def approver(client):
    membership = factories.SimMembershipFactory.create()
    client.force_login(membership.user)
    return membership


@pytest.fixture
def line(approver):
    agreement = factories.BankAgreementFactory.create(company=approver.company)
    return factories.PaymentLineFactory.create(
        payment__agreement=agreement, payment__requested_date=DUE, amount=Decimal("32071.33")
    )


def _page(client, url: str, language: str) -> str:
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "nb",
            [
                "Utgående transaksjoner",
                "<th>Forfallsdato</th>",
                '<th class="num">Beløp</th>',
                "<th>Firma</th>",
            ],
        ),
        (
            "en",
            ["Outgoing transactions", "<th>Due date</th>", '<th class="num">Amount</th>', "<th>Company</th>"],
        ),
    ],
)
def test_the_payment_list_speaks_the_browsers_language(client, line, language, expected):
    html = _page(client, reverse("autopay_sim:home"), language)
    assert [text for text in expected if text not in html] == []


@pytest.mark.parametrize(
    ("language", "amount", "date"),
    [("nb", "32 071,33 NOK", "<td>17.11.2026</td>"), ("en", "32,071.33 NOK", "<td>2026-11-17</td>")],
)
def test_the_payment_list_shows_amounts_and_dates_in_the_languages_format(
    client, line, language, amount, date
):
    html = _page(client, reverse("autopay_sim:home"), language)
    assert (amount in html, date in html) == (True, True)


@pytest.mark.parametrize(("language", "label"), [("nb", "Ny"), ("en", "New")])
def test_the_payment_list_shows_the_status_in_the_browsers_language(client, line, language, label):
    html = _page(client, reverse("autopay_sim:home"), language)
    assert f'ap-status-new">{label}</span>' in html


def test_the_payment_list_says_there_are_no_payments_in_norwegian(client, approver):
    assert "Ingen betalinger." in _page(client, reverse("autopay_sim:home"), "nb")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "nb",
            [
                "Betaling {payment_id}",
                ">Godkjenn</button>",
                "Kanseller betaling",
                "Vis hendelser",
                "Forfallsdato",
            ],
        ),
        ("en", ["Payment {payment_id}", ">Approve</button>", "Cancel payment", "Show events", "Due date"]),
    ],
)
def test_the_payment_page_speaks_the_browsers_language(client, line, language, expected):
    html = _page(client, reverse("autopay_sim:payment", args=[line.payment.reference]), language)
    wanted = [text.format(payment_id=line.payment.payment_id) for text in expected]
    assert [text for text in wanted if text not in html] == []


@pytest.mark.parametrize(
    ("language", "amount", "date", "status"),
    [
        ("nb", "32 071,33 NOK", "<dd>17.11.2026</dd>", ">Ny</span>"),
        ("en", "32,071.33 NOK", "<dd>2026-11-17</dd>", ">New</span>"),
    ],
)
def test_the_payment_page_shows_amount_date_and_status_in_the_languages_format(
    client, line, language, amount, date, status
):
    html = _page(client, reverse("autopay_sim:payment", args=[line.payment.reference]), language)
    assert (amount in html, date in html, status in html) == (True, True, True)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nb", ['<html lang="nb">', ">Logg inn</button>", "Brukernavn", "Passord", "Engangskode (valgfri)"]),
        ("en", ['<html lang="en">', ">Log in</button>", "Username", "Password", "One-time code (optional)"]),
    ],
)
def test_the_login_page_speaks_the_browsers_language(client, language, expected):
    html = _page(client, reverse("autopay_sim:login"), language)
    assert [text for text in expected if text not in html] == []


def test_a_wrong_password_is_told_in_norwegian(client):
    factories.UserFactory.create(username="kari")
    response = client.post(
        reverse("autopay_sim:login"),
        {"username": "kari", "password": "wrong"},
        HTTP_ACCEPT_LANGUAGE="nb",
    )
    assert "Feil brukernavn eller passord." in response.content.decode()


def test_the_language_chosen_in_the_erp_carries_to_the_simulator(client, line):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nb"
    assert "Utgående transaksjoner" in _page(client, reverse("autopay_sim:home"), "en")


@pytest.mark.parametrize(("language", "expected"), [("nb", "er nå 12 345,60."), ("en", "is now 12,345.60.")])
def test_a_reduced_amount_is_confirmed_in_the_languages_format(client, line, language, expected):
    response = client.post(
        reverse("autopay_sim:line-amount", args=[line.payment.reference, line.pk]),
        {"amount": "12345,60"},
        HTTP_ACCEPT_LANGUAGE=language,
        follow=True,
    )
    assert f"{line.end_to_end_id} {expected}" in response.content.decode()


def test_an_approval_is_confirmed_with_the_status_in_norwegian(client):
    membership = factories.SimMembershipFactory.create(company__two_factor_required=False)
    line = factories.PaymentLineFactory.create(payment__agreement__company=membership.company)
    client.force_login(membership.user)
    response = client.post(
        reverse("autopay_sim:payment-approve", args=[line.payment.reference]),
        HTTP_ACCEPT_LANGUAGE="nb",
        follow=True,
    )
    assert f"{line.payment.reference} har status Godkjent." in response.content.decode()


def test_the_bank_day_form_is_in_norwegian_with_today_chosen(client, approver, time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 17, 9, 0, tzinfo=datetime.UTC), tick=False)
    factories.SimMembershipFactory.create(
        user=approver.user, company=approver.company, role=models.SimRole.ADMINISTRATOR
    )
    page = _page(client, reverse("autopay_sim:home"), "nb")
    # The day chosen in a date field, today's by default; the browser shows it in its locale's format.
    assert 'name="day" value="2026-11-17"' in page
    assert ">Bankdag</label>" in page
    assert "Kjør bankdag</button>" in page


def test_the_bank_days_confirmation_is_in_norwegian(client, approver, time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 17, 9, 0, tzinfo=datetime.UTC), tick=False)
    factories.SimMembershipFactory.create(
        user=approver.user, company=approver.company, role=models.SimRole.ADMINISTRATOR
    )
    page = client.post(
        reverse("autopay_sim:bank-run-day"), follow=True, HTTP_ACCEPT_LANGUAGE="nb"
    ).content.decode()
    assert "Bankdag 17.11.2026: betalinger 0, linjer betalt 0, avvist 0, kansellert i bank 0." in page


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nb", "det nye beløpet må være større enn 0 og mindre enn 32 071,33"),
        ("en", "the new amount must be greater than 0 and less than 32,071.33"),
    ],
)
def test_a_refusal_is_told_in_the_browsers_language(client, line, language, expected):
    response = client.post(
        reverse("autopay_sim:line-amount", args=[line.payment.reference, line.pk]),
        {"amount": "40000"},
        HTTP_ACCEPT_LANGUAGE=language,
        follow=True,
    )
    assert expected in response.content.decode()
    line.refresh_from_db()
    assert line.amount == Decimal("32071.33")


@pytest.mark.parametrize(
    ("language", "expected"),
    [("nb", "<td>Linjestatus</td>"), ("en", "<td>Line status</td>")],
)
def test_the_payment_pages_events_name_what_happened_in_the_browsers_language(
    client, line, language, expected
):
    models.PaymentEvent.objects.create(
        payment=line.payment,
        line=line,
        kind="line_status",
        from_status=models.AutoPayStatus.NEW,
        to_status=models.AutoPayStatus.APPROVED,
        actor="bank",
        at=datetime.datetime(2026, 11, 17, 9, 0, tzinfo=datetime.UTC),
    )
    page = _page(client, reverse("autopay_sim:payment", args=[line.payment.reference]), language)
    approved = "Godkjent" if language == "nb" else "Approved"
    assert expected in page
    assert f"<td>{approved}</td>" in page


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "nb",
            [
                "<small>avsluttet konto</small>",
                "<td>med tofaktor</td>",
                "<td>1 av 2 godkjennere</td>",
                "<td>Kansellert av ERP-systemet</td>",
                "<td>E2E-1: 32 071,33 → 30 000,50</td>",
                "<td>17.11.2026 → 18.11.2026</td>",
            ],
        ),
        (
            "en",
            [
                "<small>closed account</small>",
                "<td>with two-factor</td>",
                "<td>1 of 2 approvers</td>",
                "<td>Cancelled by the ERP</td>",
                "<td>E2E-1: 32,071.33 → 30,000.50</td>",
                "<td>2026-11-17 → 2026-11-18</td>",
            ],
        ),
    ],
)
def test_the_reasons_and_details_the_simulator_wrote_are_shown_in_the_browsers_language(
    client, line, language, expected
):
    # Stored as written (a line's reason goes to the ERP in its messages), shown in the page's language.
    line.status, line.reason = models.AutoPayStatus.REJECTED_IN_BANK, models.REASON_CLOSED
    line.save()
    at = datetime.datetime(2026, 11, 17, 9, 0, tzinfo=datetime.UTC)
    for kind, details in (
        ("approval", models.DETAILS_WITH_TWO_FACTOR),
        ("approval", models.approvers_detail(signed=1, required=2)),
        ("status", models.REASON_CANCELLED_BY_ERP),
        ("amount_reduced", "E2E-1: 32071.33 → 30000.50"),
        ("date_changed", "2026-11-17 → 2026-11-18"),
    ):
        models.PaymentEvent.objects.create(
            payment=line.payment, kind=kind, actor="kari", at=at, details=details
        )
    page = _page(client, reverse("autopay_sim:payment", args=[line.payment.reference]), language)
    assert [text for text in expected if text not in page] == []


def test_only_what_the_simulator_writes_is_translated_and_other_texts_are_shown_as_they_are():
    with translation.override("nb"):
        shown = [models.detail_label(text) for text in ("konto sperret av kunden", "3 of 2 approvers", "")]
        odd = models.PaymentEvent(kind="amount_reduced", details="E2E-1: abc → 1").details_label()
    assert (shown, odd) == (["konto sperret av kunden", "3 av 2 godkjennere", ""], "E2E-1: abc → 1")
