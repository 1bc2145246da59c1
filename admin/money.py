"""Exact money: Decimal amounts in a currency's minor units, rounded half up.

Babel knows each currency's minor units (JPY 0, EUR 2, KWD 3) but rounds
half-even when it formats, so every amount is rounded here first and Babel
only ever formats a value that needs no rounding.
"""

import datetime as dt
import functools
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from babel import Locale
from babel.core import get_global
from babel.numbers import (
    format_currency,
    get_currency_precision,
    get_territory_currencies,
)

HUNDRED = Decimal(100)


@functools.cache
def _tender() -> frozenset[str]:
    # Money some country uses today; not gold (XAU), test (XTS) or retired
    # (LTL) codes, which ISO 4217 and Babel also list.
    today = dt.date.today()
    return frozenset(
        code
        for territory in get_global("territory_currencies")
        for code in get_territory_currencies(territory, today, tender=True)
    )


def is_currency(code: str) -> bool:
    """Tell whether ``code`` is an ISO 4217 currency in use as money today."""
    return code in _tender()


def exponent(currency: str) -> int:
    """Return how many decimals the currency's minor unit has."""
    return get_currency_precision(currency)


def quantum(currency: str) -> Decimal:
    """Return the smallest amount of the currency, e.g. ``Decimal('0.01')``."""
    return Decimal(1).scaleb(-exponent(currency))


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round ``amount`` half up to the currency's minor unit."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def to_minor(amount: Decimal, currency: str) -> int:
    """Return an already-rounded amount as an integer of minor units."""
    return int(round_money(amount, currency).scaleb(exponent(currency)))


def from_minor(minor: int, currency: str) -> Decimal:
    """Return minor units as a Decimal with the currency's decimals."""
    return Decimal(minor).scaleb(-exponent(currency)).quantize(quantum(currency))


@dataclass(frozen=True)
class LineAmounts:
    net: Decimal
    tax: Decimal
    total: Decimal


def line_amounts(
    quantity: Decimal,
    unit_price: Decimal,
    discount_percent: Decimal,
    tax_percent: Decimal,
    currency: str,
) -> LineAmounts:
    """Compute one line: discount first, then tax, each rounded half up."""
    gross = quantity * unit_price
    net = round_money(gross * (HUNDRED - discount_percent) / HUNDRED, currency)
    tax = round_money(net * tax_percent / HUNDRED, currency)

    return LineAmounts(net=net, tax=tax, total=net + tax)


def sum_lines(lines: list[LineAmounts], currency: str) -> LineAmounts:
    """Sum rounded lines, so each total is the sum of the parts shown."""
    zero = round_money(Decimal(0), currency)
    net = sum((line.net for line in lines), zero)
    tax = sum((line.tax for line in lines), zero)

    return LineAmounts(net=net, tax=tax, total=net + tax)


def plain(value: Decimal) -> str:
    """Write a quantity or rate without trailing zeros or exponent: 10, 2.5."""
    return format(value.normalize(), "f")


def format_money(amount: Decimal, currency: str, language: str) -> str:
    """Format an amount for a reader of ``language`` ("1 234,50 €" in lt)."""
    locale = Locale.parse(language) if language else Locale("en")
    amount = round_money(amount, currency)

    return format_currency(amount, currency, locale=locale)
