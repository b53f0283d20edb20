"""The simulator's reads."""

import pytest
from cryptography.fernet import Fernet

from autopay_sim import selectors
from tests.autopay_sim import factories

pytestmark = pytest.mark.django_db


def test_signing_key_lookup_returns_the_company_with_its_key():
    company = factories.SimCompanyFactory.create()
    assert selectors.company_signing_key(org_no=company.org_no) == (company, factories.SIGNING_KEY)


def test_a_key_that_no_longer_decrypts_is_no_key():
    stranger = Fernet(Fernet.generate_key()).encrypt(factories.SIGNING_KEY).decode("ascii")
    company = factories.SimCompanyFactory.create(signing_key_ciphertext=stranger)
    assert selectors.company_signing_key(org_no=company.org_no) is None


def test_company_by_org_no_finds_a_company_not_yet_activated():
    company = factories.SimCompanyFactory.create(activated_at=None, signing_key_ciphertext="")
    assert selectors.company_by_org_no(org_no=company.org_no) == company
