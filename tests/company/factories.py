import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User

from company import models, validators


def _org_no(n: int) -> str:
    # Distinct n give distinct prefixes, so the sequence never repeats a number.
    for last in range(10):
        base = f"9{n % 1_000_000:06d}{last}"
        check = validators.mod11_check_digit(base)
        if check is not None:
            return base + check
    raise AssertionError("no valid org no")


def _account_no(n: int) -> str:
    for last in range(10):
        base = f"1503{n % 100_000:05d}{last}"
        check = validators.mod11_check_digit(base)
        if check is not None:
            return base + check
    raise AssertionError("no valid account no")


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.no")
    password = factory.django.Password("correct horse battery staple")


class CompanyFactory(factory.django.DjangoModelFactory[models.Company]):
    class Meta:
        model = models.Company

    name = factory.Sequence(lambda n: f"Company {n} AS")
    org_no = factory.Sequence(_org_no)
    # The model's default is True; tests of two-factor ask for it, the others need no device.
    two_factor_required = False


class MembershipFactory(factory.django.DjangoModelFactory[models.Membership]):
    class Meta:
        model = models.Membership

    user = factory.SubFactory(UserFactory)
    company = factory.SubFactory(CompanyFactory)
    role = models.Role.ACCOUNTANT


class BankPartnerFactory(factory.django.DjangoModelFactory[models.BankPartner]):
    class Meta:
        model = models.BankPartner

    company = factory.SubFactory(CompanyFactory)
    name = "DNB"
    ebf_system = models.EbfSystem.AUTOPAY
    bank_account = factory.Sequence(_account_no)
    gl_account_no = "1920"
