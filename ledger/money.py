"""Money: Decimal amounts with two decimals, rounded in one place with a named rounding mode."""

from decimal import ROUND_HALF_UP, Decimal
from functools import partial

from django.db import models
from django.utils.translation import gettext as _

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
DEFAULT_CURRENCY = "NOK"

MoneyField = partial(models.DecimalField, max_digits=18, decimal_places=2)


def round_money(value: Decimal) -> Decimal:
    """Round to whole øre, halves away from zero (ROUND_HALF_UP), as Norwegian invoicing does."""
    if not isinstance(value, Decimal):
        raise TypeError(f"money must be Decimal, not {type(value).__name__}")
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# ISO 4217 active alphabetic codes (the standard's list one, as published by SIX), for currency fields.
ISO_4217 = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD
    CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
    GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW
    KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN
    NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL
    SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES
    VND VUV WST XAF XCD XCG XOF XPF XSU XUA YER ZAR ZMW ZWG ZWL
    """.split()  # noqa: SIM905 (the codes read as the standard prints them)
)


def currency_normalised(code: str) -> str:
    """Return the ISO 4217 code `code` names, in upper case ("nok" → "NOK").

    :raises ValueError: not an ISO 4217 currency code.
    """
    normalised = code.strip().upper()
    if normalised not in ISO_4217:
        raise ValueError(
            _("%(code)r is not an ISO 4217 currency code (such as NOK, SEK, EUR).") % {"code": code[:10]}
        )
    return normalised
