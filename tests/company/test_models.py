import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from company import models
from tests.company.factories import CompanyFactory

pytestmark = pytest.mark.django_db


def test_company_with_invalid_org_no_fails_validation():
    company = models.Company(name="Bad AS", org_no="988077918")
    with pytest.raises(ValidationError):
        company.full_clean()


def test_database_refuses_org_no_with_letters():
    with pytest.raises(IntegrityError):
        CompanyFactory(org_no="98807791A")
