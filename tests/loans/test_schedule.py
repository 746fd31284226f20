"""The schedule math: equal monthly installments on the declining balance, to the cent."""

from datetime import date
from decimal import Decimal

import pytest

from loans.services import InvalidLoanTerms, add_months, build_schedule, monthly_payment

D = Decimal


def schedule(amount, months, rate, start=date(2025, 1, 15)):
    return build_schedule(amount=D(amount), term_months=months, annual_interest_rate=D(rate), start=start)


def test_12000_over_12_months_at_12_percent():
    rows = schedule("12000.00", 12, "12.00")
    assert len(rows) == 12
    assert [row.amount for row in rows[:11]] == [D("1066.19")] * 11
    assert rows[-1].amount == D("1066.14")
    assert sum(row.principal for row in rows) == D("12000.00")
    total_interest = sum(row.interest for row in rows)
    assert abs(total_interest - D("794.23")) <= D("0.05")
    assert total_interest == D("794.23")
    # First month: 1 % of 12,000; interest falls as the balance does.
    assert rows[0].interest == D("120.00") and rows[0].principal == D("946.19")
    assert all(a.interest > b.interest for a, b in zip(rows, rows[1:], strict=False))


def test_zero_rate_splits_evenly():
    rows = schedule("12000.00", 12, "0")
    assert [(row.principal, row.interest) for row in rows] == [(D("1000.00"), D("0.00"))] * 12


def test_zero_rate_last_installment_takes_the_leftover_cents():
    rows = schedule("100.00", 3, "0")
    assert [row.amount for row in rows] == [D("33.33"), D("33.33"), D("33.34")]


def test_interest_is_rounded_half_up_each_month():
    # 1,000.50 at 12 %: the first month's interest is exactly 10.005 -> 10.01 (half up, not to even).
    rows = schedule("1000.50", 2, "12.00")
    assert rows[0].interest == D("10.01")


@pytest.mark.parametrize(
    "amount, months, rate",
    [("12000.00", 12, "12.00"), ("5000000.00", 360, "12.00"), ("999.99", 7, "7.77"), ("2500.00", 1, "100.00"),
     ("123456.78", 60, "0.01"), ("100000.00", 240, "35.50"), ("360.00", 360, "0")],
)
def test_principal_sums_exactly_and_every_installment_is_positive(amount, months, rate):
    rows = schedule(amount, months, rate)
    assert len(rows) == months
    assert sum(row.principal for row in rows) == D(amount)
    assert all(row.principal >= 0 and row.interest >= 0 and row.amount > 0 for row in rows)
    regular = monthly_payment(amount=D(amount), term_months=months, annual_interest_rate=D(rate))
    assert all(row.amount == regular for row in rows[:-1])


def test_due_dates_are_monthly_from_the_start_and_clamped_to_month_end():
    rows = schedule("1200.00", 3, "12.00", start=date(2024, 1, 31))
    assert [row.due_date for row in rows] == [date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30)]
    assert add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)


@pytest.mark.parametrize("amount, months, rate", [("0.05", 12, "0"), ("1.20", 120, "12.00"), ("50000.00", 360, "100")])
def test_unworkable_terms_are_refused(amount, months, rate):
    with pytest.raises(InvalidLoanTerms):
        schedule(amount, months, rate)


@pytest.mark.parametrize("months, rate", [(0, "12"), (361, "12"), (12, "-1"), (12, "100.01"), (12, "1.234")])
def test_term_and_rate_out_of_range_are_refused(months, rate):
    with pytest.raises(InvalidLoanTerms):
        schedule("1000.00", months, rate)
