import base64
import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from company import context_processors, services
from tests.autopay_erp import builders
from tests.company.factories import CompanyFactory, MembershipFactory, UserFactory
from tests.ledger.factories import CustomerItemFactory, SupplierItemFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.datetime(2026, 11, 21, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def member(client):
    membership = MembershipFactory.create()
    client.force_login(membership.user)
    return client, membership.company


@pytest.mark.parametrize("name", ["dashboard", "open-items", "vouchers"])
def test_page_redirects_an_anonymous_visitor_to_login(client, name):
    response = client.get(reverse(name))
    assert response.url.startswith(reverse("login"))


def test_login_page_renders(client):
    assert b'name="password"' in client.get(reverse("login")).content


def test_login_with_the_right_password_leads_to_the_dashboard(client):
    user = MembershipFactory.create().user
    response = client.post(
        reverse("login"), {"username": user.username, "password": "correct horse battery staple"}
    )
    assert response.url == reverse("dashboard")


def test_logout_ends_the_session(member):
    client, _ = member
    client.post(reverse("logout"))
    assert client.get(reverse("dashboard")).status_code == 302


@pytest.mark.parametrize("link", ["Dashboard", "Open items", "Vouchers", "API docs", "Log out"])
def test_navigation_offers(member, link):
    client, _ = member
    assert link in client.get(reverse("dashboard")).content.decode()


def test_navigation_offers_admin_to_staff(client):
    user = MembershipFactory.create(user__is_staff=True).user
    client.force_login(user)
    assert reverse("admin:index") in client.get(reverse("dashboard")).content.decode()


def test_navigation_hides_admin_from_non_staff(member):
    client, _ = member
    assert reverse("admin:index") not in client.get(reverse("dashboard")).content.decode()


@time_machine.travel(TODAY, tick=False)
def test_dashboard_counts_open_customer_items(member):
    client, company = member
    CustomerItemFactory.create_batch(3, company=company)
    CustomerItemFactory.create()  # another company's
    assert client.get(reverse("dashboard")).context["customer_open"]["count"] == 3


@time_machine.travel(TODAY, tick=False)
def test_dashboard_sums_what_remains_on_open_supplier_items(member):
    client, company = member
    SupplierItemFactory.create(company=company, amount=Decimal("100.50"), remaining_amount=Decimal("100.50"))
    SupplierItemFactory.create(
        company=company, amount=Decimal("200.00"), remaining_amount=Decimal("50.25"), status="partially_open"
    )
    assert client.get(reverse("dashboard")).context["supplier_open"]["total"] == Decimal("150.75")


@time_machine.travel(TODAY, tick=False)
def test_dashboard_counts_overdue_customer_items(member):
    client, company = member
    CustomerItemFactory.create(company=company, due_date=datetime.date(2026, 11, 20))
    CustomerItemFactory.create(company=company, due_date=datetime.date(2026, 11, 21))
    assert client.get(reverse("dashboard")).context["customer_overdue"]["count"] == 1


def test_dashboard_shows_latest_vouchers(member):
    client, company = member
    voucher = builders.balanced_voucher(company, number=4711)
    assert f"{voucher.series.code}-4711" in client.get(reverse("dashboard")).content.decode()


def test_dashboard_shows_autopay_not_activated(member):
    client, _ = member
    assert 'data-testid="autopay-state">Not activated' in client.get(reverse("dashboard")).content.decode()


def test_dashboard_links_a_company_not_activated_to_its_activation_page(member):
    client, company = member
    page = client.get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("company-activate-autopay", args=[company.pk])}">Activate AutoPay' in page


def test_dashboard_shows_autopay_activated(member):
    client, company = member
    services.company_signing_key_set(company=company, signing_key=b"k" * 32, key_id=company.org_no, now=TODAY)
    assert 'data-testid="autopay-state">Activated' in client.get(reverse("dashboard")).content.decode()


def test_dashboard_never_shows_the_signing_key(member):
    client, company = member
    key = b"k" * 32
    services.company_signing_key_set(company=company, signing_key=key, key_id=company.org_no, now=TODAY)
    page = client.get(reverse("dashboard")).content.decode()
    assert [form for form in (key.decode(), base64.b64encode(key).decode(), key.hex()) if form in page] == []


def test_dashboard_for_a_user_without_company_says_so(client):
    client.force_login(UserFactory.create())
    assert "not a member of any company" in client.get(reverse("dashboard")).content.decode()


def test_switching_to_own_company_stores_it_in_the_session(member):
    client, company = member
    second = MembershipFactory.create(user=company.memberships.get().user).company
    client.post(reverse("company-switch"), {"company": second.pk})
    assert client.session[context_processors.SESSION_KEY] == second.pk


def test_switching_changes_the_dashboard_company(member):
    client, company = member
    second = MembershipFactory.create(user=company.memberships.get().user).company
    client.post(reverse("company-switch"), {"company": second.pk})
    assert client.get(reverse("dashboard")).context["current_company"] == second


def test_switching_to_another_users_company_is_refused(member):
    client, _ = member
    assert client.post(reverse("company-switch"), {"company": CompanyFactory.create().pk}).status_code == 404


def test_switching_to_another_users_company_keeps_the_session_unchanged(member):
    client, _ = member
    client.post(reverse("company-switch"), {"company": CompanyFactory.create().pk})
    assert context_processors.SESSION_KEY not in client.session


def test_switching_returns_to_the_page_it_came_from(member):
    client, company = member
    response = client.post(reverse("company-switch"), {"company": company.pk, "next": "/vouchers/"})
    assert response.url == "/vouchers/"


def test_switching_never_redirects_off_site(member):
    client, company = member
    response = client.post(
        reverse("company-switch"), {"company": company.pk, "next": "https://evil.example/"}
    )
    assert response.url == reverse("dashboard")


def test_switching_by_get_is_not_allowed(member):
    client, company = member
    assert client.get(reverse("company-switch"), {"company": company.pk}).status_code == 405


@pytest.mark.parametrize("asset", ["/static/css/app.css", "/static/vendor/htmx.min.js"])
def test_page_loads_its_assets_from_static(member, asset):
    client, _ = member
    assert asset in client.get(reverse("dashboard")).content.decode()


@pytest.mark.parametrize(
    ("who", "path"), [("admin", "/admin/"), ("anyone", "/admin/login/"), ("admin", "/api/payments/")]
)
def test_the_admin_and_the_browsable_api_name_the_projects_icon(admin_client, client, who, path):
    asking = admin_client if who == "admin" else client
    page = asking.get(path, HTTP_ACCEPT="text/html").content.decode()
    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in page
