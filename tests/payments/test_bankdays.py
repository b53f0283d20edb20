"""Norwegian bank days: weekends and public holidays are not bank days."""

import datetime

import pytest

from payments import bankdays


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2024, datetime.date(2024, 3, 31)),
        (2025, datetime.date(2025, 4, 20)),
        (2026, datetime.date(2026, 4, 5)),
    ],
)
def test_easter_sunday_is_computed(year, easter):
    assert bankdays.easter_sunday(year) == easter


def test_two_bank_days_after_the_wednesday_before_easter_is_the_wednesday_after():
    # Maundy Thursday, Good Friday, the weekend and Easter Monday 2026 are no bank days.
    assert bankdays.bank_days_add(datetime.date(2026, 4, 1), 2) == datetime.date(2026, 4, 8)


def test_constitution_day_is_no_bank_day():
    assert bankdays.is_bank_day(datetime.date(2027, 5, 17)) is False


def test_a_friday_plus_two_bank_days_is_the_tuesday():
    assert bankdays.bank_days_add(datetime.date(2026, 11, 20), 2) == datetime.date(2026, 11, 24)


def test_the_latest_overdue_date_on_a_tuesday_is_the_sunday_before():
    # Two bank days after Sunday 22 November 2026 are Monday and Tuesday.
    latest = bankdays.latest_date_overdue(today=datetime.date(2026, 11, 24), bank_days=2)
    assert latest == datetime.date(2026, 11, 22)
