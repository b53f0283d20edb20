"""Fill the database with a demo company: chart of accounts, parties, open items, a bank partner and a user.

Idempotent: every row is looked up by its natural key first, so a second run creates nothing and changes
nothing. Amounts and dates follow from the row's index, not from chance, so every run makes the same data.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from stdnum import luhn

from company import models as company_models
from company import validators
from factoring import models as factoring_models
from factoring import services as factoring_services
from ledger import models as ledger_models
from ledger import money as ledger_money
from ledger import services as ledger_services

COMPANY_NAME = "Nordlys Handel AS"
COMPANY_ORG_NO = "988077917"
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo1234"  # a demo login, printed on purpose
# The demo login is an ordinary member of the demo company; the Django admin gets its own administrator.
DEMO_ROLES = (company_models.Role.ACCOUNTANT, company_models.Role.APPROVER)
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "admin-demo-5678"  # printed on purpose, as the demo login; scripts/run prints it too

ACCOUNTS = [
    ("1500", "Kundefordringer", ledger_models.AccountKind.ASSET, "ar_control"),
    ("1920", "Bankinnskudd DNB", ledger_models.AccountKind.ASSET, "bank"),
    ("2050", "Annen egenkapital", ledger_models.AccountKind.EQUITY, ""),
    ("2400", "Leverandørgjeld", ledger_models.AccountKind.LIABILITY, "ap_control"),
    ("2990", "Uavklarte innbetalinger", ledger_models.AccountKind.LIABILITY, "suspense"),
    ("3000", "Salgsinntekt, avgiftspliktig", ledger_models.AccountKind.INCOME, ""),
    ("3100", "Salgsinntekt, avgiftsfri", ledger_models.AccountKind.INCOME, ""),
    ("4000", "Varekjøp", ledger_models.AccountKind.EXPENSE, ""),
    ("6300", "Leie lokale", ledger_models.AccountKind.EXPENSE, ""),
    ("6800", "Kontorrekvisita", ledger_models.AccountKind.EXPENSE, ""),
    ("7770", "Bank- og kortgebyrer", ledger_models.AccountKind.EXPENSE, ""),
    ("7790", "Betalingsdifferanser", ledger_models.AccountKind.EXPENSE, "payment_diff"),
    ("8050", "Renteinntekter", ledger_models.AccountKind.INCOME, ""),
]
SERIES = [("GL", "Hovedbok"), ("AP", "Leverandørbetalinger"), ("AR", "Kundeinnbetalinger"), ("BK", "Bank")]
SUPPLIERS = [
    "Fjordkraft Strøm AS",
    "Bergen Kontorutstyr AS",
    "Tromsø Transport AS",
    "Oslo Emballasje AS",
    "Trondheim Data AS",
    "Stavanger Rengjøring AS",
    "Lofoten Sjømat AS",
    "Hamar Eiendom AS",
    "Kristiansand Trykkeri AS",
]
CUSTOMERS = [
    "Alta Bygg AS",
    "Bodø Butikkdrift AS",
    "Drammen Hotell AS",
    "Gjøvik Sport AS",
    "Haugesund Marine AS",
    "Molde Bakeri AS",
    "Narvik Verksted AS",
    "Ålesund Møbler AS",
    "Voss Camping AS",
]
BANK_PREFIXES = ["1503", "9710", "3000", "1254", "6011", "1822", "9235", "1206", "2801"]
SUPPLIER_ITEMS = 24
CUSTOMER_ITEMS = 24
DEMO_BANK_BASE = "1503427"


@dataclass
class Tally:
    """How many rows of each kind were created and how many were there already."""

    created: dict[str, int] = field(default_factory=dict)
    existing: dict[str, int] = field(default_factory=dict)

    def count(self, what: str, created: bool) -> None:
        bucket = self.created if created else self.existing
        bucket[what] = bucket.get(what, 0) + 1


def _with_mod11(base: str) -> str:
    """Return the first number from `base` upwards that has a MOD11 check digit, with the digit appended."""
    width = len(base)
    number = int(base)
    while (check := validators.mod11_check_digit(f"{number:0{width}d}")) is None:
        number += 1
    return f"{number:0{width}d}{check}"


def kid_mod10(base: str) -> str:
    """Return `base` with its MOD10 (Luhn) KID check digit."""
    return base + luhn.calc_check_digit(base)


def kid_mod11(base: str) -> str | None:
    """Return `base` with its MOD11 KID check digit, or None when the remainder gives none.

    python-stdnum has no KID module; MOD11 KIDs use the same weights 2..7 as account numbers, computed by
    company.validators.mod11_check_digit.
    """
    check = validators.mod11_check_digit(base)
    return None if check is None else base + check


def _amount(index: int, low: int, spread: int) -> Decimal:
    return Decimal(f"{low + (index * 7919) % spread}.{(index * 37) % 100:02d}")


def _get_or_create[M: Model](
    tally: Tally, what: str, model: type[M], defaults: dict[str, Any], **lookup: Any
) -> M:
    obj, created = model._default_manager.get_or_create(defaults=defaults, **lookup)
    tally.count(what, created)
    return obj


def _open_item(
    tally: Tally,
    what: str,
    *,
    company: company_models.Company,
    kind: ledger_models.OpenItemKind,
    customer: ledger_models.Customer | None = None,
    supplier: ledger_models.Supplier | None = None,
    invoice_no: str,
    kid: str,
    amount: Decimal,
    invoice_date: datetime.date,
    due_date: datetime.date,
) -> None:
    """Record the item through the ledger unless the party already has one with this invoice number."""
    exists = ledger_models.OpenItem.objects.filter(
        company=company, customer=customer, supplier=supplier, invoice_no=invoice_no
    ).exists()
    if not exists:
        ledger_services.open_item_create(
            company=company,
            kind=kind,
            customer=customer,
            supplier=supplier,
            invoice_no=invoice_no,
            kid=kid,
            currency=ledger_money.DEFAULT_CURRENCY,
            amount=amount,
            invoice_date=invoice_date,
            due_date=due_date,
        )
    tally.count(what, not exists)


def demo_seed(*, today: datetime.date, now: datetime.datetime) -> Tally:
    """Create the demo company and everything in it that does not exist yet; return what was done."""
    tally = Tally()
    with transaction.atomic():
        company = _get_or_create(
            tally,
            "company",
            company_models.Company,
            # Two-factor is off in the demo so that a newcomer can upload without enrolling a device first;
            # an administrator turns it on in the admin (docs/security.md).
            {"name": COMPANY_NAME, "two_factor_required": False},
            org_no=COMPANY_ORG_NO,
        )
        accounts = {
            number: _get_or_create(
                tally,
                "account",
                ledger_models.Account,
                {"name": name, "kind": kind, "role": role},
                company=company,
                number=number,
            )
            for number, name, kind, role in ACCOUNTS
        }
        series = {
            code: _get_or_create(
                tally,
                "voucher series",
                ledger_models.VoucherSeries,
                {"name": name},
                company=company,
                code=code,
            )
            for code, name in SERIES
        }
        _get_or_create(
            tally,
            "bank partner",
            company_models.BankPartner,
            {
                "name": "DNB",
                "ebf_system": company_models.EbfSystem.AUTOPAY,
                "gl_account_no": "1920",
                "ebf_post_settlement": True,
            },
            company=company,
            bank_account=_with_mod11(DEMO_BANK_BASE + "000"),
        )
        suppliers = [
            _get_or_create(
                tally,
                "supplier",
                ledger_models.Supplier,
                {
                    "name": name,
                    "org_no": _with_mod11(f"9{index + 21:02d}{index * 13 % 100:02d}333"),
                    "bank_account": _with_mod11(f"{BANK_PREFIXES[index]}{10 + index:02d}{index * 271:04d}"),
                },
                company=company,
                number=20001 + index,
            )
            for index, name in enumerate(SUPPLIERS)
        ]
        customers = [
            _get_or_create(
                tally,
                "customer",
                ledger_models.Customer,
                {"name": name, "org_no": _with_mod11(f"9{index + 51:02d}{index * 17 % 100:02d}555")},
                company=company,
                number=10001 + index,
            )
            for index, name in enumerate(CUSTOMERS)
        ]
        for index in range(SUPPLIER_ITEMS):
            supplier = suppliers[index % len(suppliers)]
            due = today + datetime.timedelta(days=(index * 5) % 45 - 15)
            _open_item(
                tally,
                "supplier item",
                company=company,
                kind=ledger_models.OpenItemKind.SUPPLIER,
                supplier=supplier,
                invoice_no=f"L{2026000 + index}",
                kid=kid_mod10(f"{700000 + index * 31:07d}") if index % 3 == 0 else "",
                amount=_amount(index, 800, 40000),
                invoice_date=due - datetime.timedelta(days=30),
                due_date=due,
            )
        _payment_examples(tally, company=company, suppliers=suppliers, today=today)
        for index in range(CUSTOMER_ITEMS):
            customer = customers[index % len(customers)]
            invoice_no = f"{100100 + index}"
            base = f"{customer.number:05d}{invoice_no}"
            kid = (kid_mod11(base) if index % 2 else None) or kid_mod10(base)
            due = today + datetime.timedelta(days=(index * 4) % 40 - 12)
            _open_item(
                tally,
                "customer item",
                company=company,
                kind=ledger_models.OpenItemKind.CUSTOMER,
                customer=customer,
                invoice_no=invoice_no,
                kid=kid,
                amount=_amount(index, 500, 25000),
                invoice_date=due - datetime.timedelta(days=14),
                due_date=due,
            )
        _opening_balances(
            tally, company=company, accounts=accounts, series=series["GL"], today=today, now=now
        )
        _kid_definition(tally, company=company, accounts=accounts, series=series["AR"])
        _demo_user(tally, company=company)
    return tally


def _payment_examples(
    tally: Tally,
    *,
    company: company_models.Company,
    suppliers: list[ledger_models.Supplier],
    today: datetime.date,
) -> None:
    """A payment-blocked item and a credit note: a payment proposal leaves both out and says why."""
    due = today + datetime.timedelta(days=7)
    for invoice_no, amount, supplier in [
        ("L2026900", Decimal("4750.00"), suppliers[0]),
        ("K2026901", Decimal("-1200.00"), suppliers[1]),
    ]:
        _open_item(
            tally,
            "supplier item",
            company=company,
            kind=ledger_models.OpenItemKind.SUPPLIER,
            supplier=supplier,
            invoice_no=invoice_no,
            kid="",
            amount=amount,
            invoice_date=due - datetime.timedelta(days=30),
            due_date=due,
        )
    blocked = ledger_models.OpenItem.objects.get(
        company=company, supplier=suppliers[0], invoice_no="L2026900"
    )
    if not blocked.payment_blocked:
        ledger_services.open_item_payment_block_set(
            open_item=blocked, blocked=True, reason="Omstridt levering: vent på kreditnotaen"
        )


OPENING_DESCRIPTION = "Inngående balanse for åpne poster (demodata)"
# What a demo seeded earlier named its opening voucher: it has one already.
OPENING_DESCRIPTIONS_BEFORE = ("Opening balance of open items (demo data)",)


def _opening_balances(
    tally: Tally,
    *,
    company: company_models.Company,
    accounts: dict[str, ledger_models.Account],
    series: ledger_models.VoucherSeries,
    today: datetime.date,
    now: datetime.datetime,
) -> None:
    """Post the open items' totals against the control accounts once, so that the books match the items."""
    description = OPENING_DESCRIPTION
    earlier = (description, *OPENING_DESCRIPTIONS_BEFORE)
    if ledger_models.Voucher.objects.filter(company=company, description__in=earlier).exists():
        tally.count("voucher", False)
        return
    items = ledger_models.OpenItem.objects.filter(company=company)
    receivable = sum(
        (i.amount for i in items.filter(kind=ledger_models.OpenItemKind.CUSTOMER)), Decimal("0.00")
    )
    payable = sum((i.amount for i in items.filter(kind=ledger_models.OpenItemKind.SUPPLIER)), Decimal("0.00"))
    equity = accounts["2050"].pk
    ledger_services.voucher_post(
        company=company,
        series=series,
        date=today - datetime.timedelta(days=30),
        description=description,
        lines=[
            ledger_services.LineSpec(
                account_id=accounts["1500"].pk, amount=receivable, description="Kundefordringer"
            ),
            ledger_services.LineSpec(
                account_id=accounts["2400"].pk, amount=-payable, description="Leverandørgjeld"
            ),
            ledger_services.LineSpec(
                account_id=equity, amount=payable - receivable, description="Egenkapital"
            ),
        ],
        now=now,
    )
    tally.count("voucher", True)


def _kid_definition(
    tally: Tally,
    *,
    company: company_models.Company,
    accounts: dict[str, ledger_models.Account],
    series: ledger_models.VoucherSeries,
) -> None:
    """The demo bank account's KID definition: customer no. at 1 (5 digits), invoice no. at 6 (6 digits)."""
    bank_account = _with_mod11(DEMO_BANK_BASE + "000")
    exists = factoring_models.FactoringCompany.objects.filter(
        company=company, bank_account=bank_account
    ).exists()
    if not exists:
        factoring_services.factoring_company_create(
            company=company,
            number=1,
            name="DNB OCR",
            factoring_id="1;6",
            kid_customer_digits=5,
            kid_reference_digits=6,
            bank_account=bank_account,
            gl_account=accounts["1920"],
            voucher_series=series,
            write_off_tolerance=Decimal("1.00"),
        )
    tally.count("KID definition", not exists)


def _demo_user(tally: Tally, *, company: company_models.Company) -> None:
    user_model = get_user_model()
    user, created = user_model._default_manager.get_or_create(
        username=DEMO_USERNAME, defaults={"email": "demo@nordlys.example"}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    elif user.is_superuser or user.is_staff:  # a demo user of an earlier seed was a superuser
        user.is_superuser = user.is_staff = False
        user.save(update_fields=["is_superuser", "is_staff"])
    tally.count("user", created)
    company_models.Membership.objects.filter(user=user, company=company).exclude(role__in=DEMO_ROLES).delete()
    for role in DEMO_ROLES:
        _get_or_create(
            tally, "membership", company_models.Membership, {}, user=user, company=company, role=role
        )
    admin, created = user_model._default_manager.get_or_create(
        username=ADMIN_USERNAME,
        defaults={"email": "admin@nordlys.example", "is_staff": True, "is_superuser": True},
    )
    if created:
        admin.set_password(ADMIN_PASSWORD)
        admin.save(update_fields=["password"])
    tally.count("user", created)


class Command(BaseCommand):
    help = "Create the demo company Nordlys Handel AS with its books, parties, open items and a demo user."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even though DEBUG is off (the administrator `admin` has a published password).",
        )
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            default=None,
            help="The date due dates are spread around (YYYY-MM-DD); default today.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                f"DEBUG is off, so this may be a real installation: seed_demo would add the superuser "
                f"{ADMIN_USERNAME} with a published password. Pass --force if that is really wanted."
            )
        today = options["today"] or timezone.localdate()
        try:
            tally = demo_seed(today=today, now=timezone.now())
        except Exception as exc:  # a demo seed that fails says why, and has changed nothing
            raise CommandError(f"Demo data not created: {exc}") from exc
        for what in sorted(set(tally.created) | set(tally.existing)):
            created, existing = tally.created.get(what, 0), tally.existing.get(what, 0)
            self.stdout.write(f"{what:>15}: {created} created, {existing} already there")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo company {COMPANY_NAME} ({COMPANY_ORG_NO}), due dates around {today:%Y-%m-%d}. "
                f"Log in as {DEMO_USERNAME} / {DEMO_PASSWORD} (accountant and approver); "
                f"the Django admin as {ADMIN_USERNAME} / {ADMIN_PASSWORD}."
            )
        )
