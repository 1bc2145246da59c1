from decimal import Decimal

import pytest

from admin import money

D = Decimal


def invoice_totals(lines, currency="EUR"):
    amounts = [money.line_amounts(*line, currency) for line in lines]
    return amounts, money.sum_lines(amounts, currency)


def test_one_line_at_nineteen_percent():
    _, totals = invoice_totals([(D(1), D("1000.00"), D(0), D(19))])
    assert (totals.net, totals.tax, totals.total) == (
        D("1000.00"),
        D("190.00"),
        D("1190.00"),
    )


def test_discount_comes_before_tax_and_each_is_rounded():
    _, totals = invoice_totals([(D(1), D("57.48"), D(10), D(21))])
    assert (totals.net, totals.tax, totals.total) == (
        D("51.73"),
        D("10.86"),
        D("62.59"),
    )


def test_tax_total_is_the_sum_of_the_rounded_line_taxes():
    amounts, totals = invoice_totals(
        [(D(1), D("55.55"), D(0), D(23)), (D(1), D("11.11"), D(0), D(23))]
    )
    assert [a.tax for a in amounts] == [D("12.78"), D("2.56")]
    assert totals.tax == D("15.34")
    assert totals.total == sum(a.total for a in amounts)


def test_yen_has_no_decimals():
    _, totals = invoice_totals([(D(3), D(8), D(0), D(0))], "JPY")
    assert totals.total == D(24)
    assert money.to_minor(totals.total, "JPY") == 24
    assert money.format_money(totals.total, "JPY", "en") == "¥24"


@pytest.mark.parametrize(
    ("currency", "places"), [("EUR", 2), ("JPY", 0), ("BHD", 3), ("KWD", 3)]
)
def test_minor_units_come_from_babel(currency, places):
    assert money.exponent(currency) == places
    assert money.from_minor(12345, currency) == D(12345).scaleb(-places)


def test_half_up_not_half_even():
    assert money.round_money(D("0.125"), "EUR") == D("0.13")
    assert money.round_money(D("2.5"), "JPY") == D(3)


def test_lithuanian_formatting_groups_with_a_space_and_a_comma():
    text = money.format_money(D("1234.5"), "EUR", "lt")
    assert text.replace("\xa0", " ") == "1 234,50 €"


def test_minor_units_never_leak_into_a_formatted_amount():
    assert money.format_money(money.from_minor(3500, "EUR"), "EUR", "en") == "€35.00"


@pytest.mark.parametrize(
    ("value", "text"),
    [("10", "10"), ("10.000", "10"), ("100", "100"), ("2.50", "2.5"), ("0", "0")],
)
def test_quantities_and_rates_are_written_plainly(value, text):
    assert money.plain(D(value)) == text
