"""Money: Decimal amounts with two decimals, rounded in one place with a named rounding mode."""

from decimal import ROUND_HALF_UP, Decimal
from functools import partial

from django.db import models

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
DEFAULT_CURRENCY = "NOK"

MoneyField = partial(models.DecimalField, max_digits=18, decimal_places=2)


def round_money(value: Decimal) -> Decimal:
    """Round to whole øre, halves away from zero (ROUND_HALF_UP), as Norwegian invoicing does."""
    if not isinstance(value, Decimal):
        raise TypeError(f"money must be Decimal, not {type(value).__name__}")
    return value.quantize(CENT, rounding=ROUND_HALF_UP)
