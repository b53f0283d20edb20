"""A newcomer can make a payment proposal for the demo company, and sees why items are left out."""

import datetime
import io

import pytest
from django.core.management import call_command

from company import models as company_models
from payments.services import proposal

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 22)


@pytest.fixture
def plan(settings):
    settings.DEBUG = True
    call_command("seed_demo", "--today", TODAY.isoformat(), stdout=io.StringIO())
    company = company_models.Company.objects.get(org_no="988077917")
    return proposal.proposal_plan(
        company=company,
        bank_partner=company.bank_partners.get(),
        due_date_to=TODAY + datetime.timedelta(days=30),
        today=TODAY,
    )


def test_demo_company_has_items_to_propose(plan):
    assert sum(len(planned.items) for planned in plan.payments) >= 10


def test_demo_proposal_leaves_out_the_blocked_item_and_the_credit_note(plan):
    assert sorted(entry.code for entry in plan.left_out) == ["credit_note", "payment_blocked"]
