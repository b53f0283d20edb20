"""KID definitions (the Factoring company table): checked on every save, one per bank account and company."""

import functools
import re
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from autopay_client import norwegian
from company import models as company_models
from factoring import errors, models
from ledger import models as ledger_models

_FACTORING_ID = re.compile(r"^(\d{1,2});(\d{1,2})$")
_FIELDS = (
    "number",
    "name",
    "processing",
    "factoring_id",
    "payment_processing",
    "kid_customer_digits",
    "kid_reference_digits",
    "bank_account",
    "gl_account",
    "voucher_series",
    "write_off_tolerance",
)


# A file credits one account or a few: computed once per account, not once per payment.
@functools.lru_cache(maxsize=4096)
def account_key(account: str) -> str:
    """Return the form an account is compared in: digits and letters only, a Norwegian IBAN as its BBAN."""
    key = "".join(ch for ch in account if ch.isalnum()).upper()
    if key.startswith("NO") and len(key) == 15:
        return key[4:]
    return key


def definition_problems(*, company: company_models.Company, values: dict[str, Any]) -> dict[str, str]:
    """Return what is wrong with a definition of `company` having `values`, by field (empty when nothing)."""
    problems: dict[str, str] = {}
    match = _FACTORING_ID.match(str(values.get("factoring_id", "")))
    customer_digits = int(values.get("kid_customer_digits") or 0)
    reference_digits = int(values.get("kid_reference_digits") or 0)
    if match is None:
        problems["factoring_id"] = _(
            "Write the Factoring ID as 'a;b' (start positions, 0 = not used), e.g. 0;0."
        )
    else:
        customer_at, invoice_at = int(match[1]), int(match[2])
        limit = norwegian.KID_MAX_LENGTH - 1  # the last digit is the check digit
        for what, start, digits, field in (
            (_("customer number"), customer_at, customer_digits, "kid_customer_digits"),
            (_("invoice number"), invoice_at, reference_digits, "kid_reference_digits"),
        ):
            if start and not digits:
                problems[field] = _(
                    "The %(what)s starts at position %(start)s: give its number of digits."
                ) % {
                    "what": what,
                    "start": start,
                }
            elif start and start - 1 + digits > limit:
                problems[field] = _(
                    "The %(what)s at position %(start)s with %(digits)s digits does not fit a KID of at most "
                    "%(max)s digits before its check digit."
                ) % {"what": what, "start": start, "digits": digits, "max": limit}
        if customer_at and invoice_at and customer_digits and reference_digits:
            first = set(range(customer_at, customer_at + customer_digits))
            second = set(range(invoice_at, invoice_at + reference_digits))
            if first & second:
                problems["factoring_id"] = _("The customer number and the invoice number overlap in the KID.")
    bank_account = account_key(str(values.get("bank_account", "")))
    if not bank_account:
        problems["bank_account"] = _("Give the bank account as it appears on incoming payments.")
    elif (problem := norwegian.account_problem(bank_account)) is not None:
        problems["bank_account"] = problem
    gl_account = values.get("gl_account")
    if not isinstance(gl_account, ledger_models.Account) or gl_account.company_id != company.pk:
        problems["gl_account"] = _("Choose one of this company's general-ledger accounts.")
    elif gl_account.role != ledger_models.AccountRole.BANK or not gl_account.is_active:
        problems["gl_account"] = _("Account %(number)s is not an active bank account.") % {
            "number": gl_account.number
        }
    series = values.get("voucher_series")
    if not isinstance(series, ledger_models.VoucherSeries) or series.company_id != company.pk:
        problems["voucher_series"] = _("Choose one of this company's voucher series.")
    tolerance = values.get("write_off_tolerance") or Decimal(0)
    if (
        not isinstance(tolerance, Decimal)
        or tolerance < 0
        or tolerance != tolerance.quantize(Decimal("0.01"))
    ):
        problems["write_off_tolerance"] = _("The write-off tolerance is an amount of zero or more, in øre.")
    elif (
        tolerance > 0
        and not ledger_models.Account.objects.filter(
            company=company, role=ledger_models.AccountRole.PAYMENT_DIFFERENCES, is_active=True
        ).exists()
    ):
        problems["write_off_tolerance"] = _(
            "A write-off tolerance needs an active account with the role 'Payment differences'."
        )
    return problems


def factoring_company_create(*, company: company_models.Company, **values: Any) -> models.FactoringCompany:
    """Record a KID definition for `company`.

    :raises errors.DefinitionInvalid: a value does not fit, or the number or bank account is taken.
    """
    return _save(company=company, definition=models.FactoringCompany(company=company), values=values)


def factoring_company_update(
    *, definition: models.FactoringCompany, **values: Any
) -> models.FactoringCompany:
    """Change a KID definition; the values not given stay as they are.

    :raises errors.DefinitionInvalid: as `factoring_company_create`.
    """
    return _save(company=definition.company, definition=definition, values=values)


def factoring_company_delete(*, definition: models.FactoringCompany) -> None:
    """Delete a KID definition no payment was interpreted by.

    :raises errors.DefinitionInvalid: payments refer to it.
    """
    with transaction.atomic():
        if models.IncomingPayment.objects.filter(definition=definition).exists():
            raise errors.DefinitionInvalid(
                {"number": _("Payments were interpreted by this definition; it cannot be deleted.")}
            )
        definition.delete()


def _save(
    *, company: company_models.Company, definition: models.FactoringCompany, values: dict[str, Any]
) -> models.FactoringCompany:
    merged = {
        field: getattr(definition, field, None)
        for field in _FIELDS
        if field not in ("gl_account", "voucher_series")
    }
    merged["gl_account"] = definition.gl_account if definition.gl_account_id else None
    merged["voucher_series"] = definition.voucher_series if definition.voucher_series_id else None
    merged.update({key: value for key, value in values.items() if key in _FIELDS})
    problems = definition_problems(company=company, values=merged)
    merged["bank_account"] = account_key(str(merged.get("bank_account", "")))
    others = models.FactoringCompany.objects.filter(company=company).exclude(pk=definition.pk)
    if others.filter(bank_account=merged["bank_account"]).exists():
        problems["bank_account"] = _(
            "This company already has a definition for bank account %(account)s."
        ) % {"account": merged["bank_account"]}
    number = merged.get("number")
    if number is None:
        problems["number"] = _("Give the definition a number.")
    elif others.filter(number=int(number)).exists():
        problems["number"] = _("This company already has a definition number %(number)s.") % {
            "number": merged["number"]
        }
    if problems:
        raise errors.DefinitionInvalid(problems)
    for field, value in merged.items():
        if value is not None:
            setattr(definition, field, value)
    try:
        with transaction.atomic():
            definition.save()
    except IntegrityError as exc:
        raise errors.DefinitionInvalid(
            {"bank_account": _("The definition conflicts with another one.")}
        ) from exc
    return definition
