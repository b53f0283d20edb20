import datetime

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from stdnum import luhn
from stdnum.no import kontonr, orgnr

from autopay_sim import crypto, models

SIGNING_KEY = bytes(range(32))


def org_no(n: int) -> str:
    """Return a valid org no, distinct for each n (bases 10 apart, one in 11 has no check digit)."""
    base = int(f"9{n * 10:07d}"[-8:])
    while True:
        for digit in "0123456789":
            if orgnr.is_valid(f"{base:08d}{digit}"):
                return f"{base:08d}{digit}"
        base += 1


def account_no(n: int, prefix: str = "1503") -> str:
    """Return a MOD11-valid 11-digit account number, distinct for each n (bases 10 apart)."""
    base = int(f"{prefix}{n * 10:06d}")
    while True:
        for digit in "0123456789":
            if kontonr.is_valid(f"{base:010d}{digit}"):
                return f"{base:010d}{digit}"
        base += 1


def kid(n: int, length: int = 10) -> str:
    """Return a KID of `length` digits with a MOD10 (Luhn) check digit."""
    body = f"{n:0{length - 1}d}"
    return body + luhn.calc_check_digit(body)


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"approver{n}")
    password = factory.django.Password("correct horse battery staple")


class SimCompanyFactory(factory.django.DjangoModelFactory[models.SimCompany]):
    """An activated company whose signing key is SIGNING_KEY."""

    class Meta:
        model = models.SimCompany

    org_no = factory.Sequence(org_no)
    name = factory.Sequence(lambda n: f"Simulert {n} AS")
    signing_key_ciphertext = factory.LazyFunction(lambda: crypto.encrypt(SIGNING_KEY))
    activated_at = factory.LazyFunction(timezone.now)


class BankAgreementFactory(factory.django.DjangoModelFactory[models.BankAgreement]):
    class Meta:
        model = models.BankAgreement

    company = factory.SubFactory(SimCompanyFactory)
    debtor_account = factory.Sequence(account_no)
    approvers_required = 1
    two_factor_level = models.TwoFactorLevel.NONE


class SimMembershipFactory(factory.django.DjangoModelFactory[models.SimMembership]):
    class Meta:
        model = models.SimMembership

    user = factory.SubFactory(UserFactory)
    company = factory.SubFactory(SimCompanyFactory)
    role = models.SimRole.APPROVER


class TOTPDeviceFactory(factory.django.DjangoModelFactory[TOTPDevice]):
    class Meta:
        model = TOTPDevice

    user = factory.SubFactory(UserFactory)
    name = "phone"
    confirmed = True


class PaymentFactory(factory.django.DjangoModelFactory[models.Payment]):
    class Meta:
        model = models.Payment

    agreement = factory.SubFactory(BankAgreementFactory)
    company = factory.SelfAttribute("agreement.company")
    reference = factory.Sequence(lambda n: f"AP-9{n:05d}")
    payment_id = factory.Sequence(lambda n: f"P{n}")
    message_id = factory.Sequence(lambda n: f"M{n}")
    document_sha256 = factory.Sequence(lambda n: f"{n:064x}")
    document = b"<Document/>"
    requested_date = datetime.date(2026, 11, 23)
    uploaded_at = factory.LazyFunction(timezone.now)


class PaymentLineFactory(factory.django.DjangoModelFactory[models.PaymentLine]):
    class Meta:
        model = models.PaymentLine

    payment = factory.SubFactory(PaymentFactory)
    end_to_end_id = factory.Sequence(lambda n: f"L{n}")
    amount = factory.Faker("pydecimal", left_digits=4, right_digits=2, positive=True, min_value=1)
    creditor_name = "Leverandør AS"
    creditor_account = factory.Sequence(lambda n: account_no(n, prefix="8601"))
    kid = factory.Sequence(lambda n: kid(n + 1000))


class ClosedAccountFactory(factory.django.DjangoModelFactory[models.ClosedAccount]):
    class Meta:
        model = models.ClosedAccount

    account = factory.Sequence(lambda n: account_no(n, prefix="9999"))
