import datetime

import pytest
from django.utils import timezone

from company import activation
from company import models as company_models
from tests.autopay_client import live_sim
from tests.company import factories as company_factories
from tests.payments import factories


@pytest.fixture
def company():
    return company_factories.CompanyFactory.create(name="Nordlys Handel AS")


@pytest.fixture
def bank_partner(company):
    return company_factories.BankPartnerFactory.create(company=company)


@pytest.fixture
def accountant(company):
    return company_factories.MembershipFactory.create(
        company=company, role=company_models.Role.ACCOUNTANT
    ).user


@pytest.fixture
def approver(company):
    return company_factories.MembershipFactory.create(company=company, role=company_models.Role.APPROVER).user


@pytest.fixture
def autopay_url(live_server, settings) -> str:
    settings.AUTOPAY_BASE_URL = f"{live_server.url}/autopay"
    return settings.AUTOPAY_BASE_URL


@pytest.fixture
def activated(company, bank_partner, autopay_url):
    """The company registered in the simulator (served over HTTP by live_server) and activated."""
    code = live_sim.sim_company_register(
        org_no=company.org_no, name=company.name, account=bank_partner.bank_account
    )
    return activation.company_autopay_activate(company=company, activation_code=code, now=factories.NOW)


@pytest.fixture
def now() -> datetime.datetime:
    return timezone.now()


@pytest.fixture
def today(now) -> datetime.date:
    return timezone.localdate(now)
