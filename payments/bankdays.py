"""Norwegian bank days: Monday to Friday except the public holidays (and Christmas Eve and New Year's Eve,
on which Norwegian banks do not settle).

A small rule kept here rather than a dependency: the holidays are fixed dates and dates relative to Easter.
"""

import datetime
import functools


def easter_sunday(year: int) -> datetime.date:
    """Return Easter Sunday of the Gregorian calendar (the anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return datetime.date(year, month, day + 1)


@functools.cache
def bank_holidays(year: int) -> frozenset[datetime.date]:
    """Return the weekdays and weekend days of `year` on which Norwegian banks do not settle."""
    easter = easter_sunday(year)
    relative = [-3, -2, 0, 1, 39, 49, 50]  # Maundy Thursday … Whit Monday
    fixed = [(1, 1), (5, 1), (5, 17), (12, 24), (12, 25), (12, 26), (12, 31)]
    return frozenset(
        [easter + datetime.timedelta(days=n) for n in relative]
        + [datetime.date(year, month, day) for month, day in fixed]
    )


def is_bank_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and day not in bank_holidays(day.year)


def bank_days_add(day: datetime.date, count: int) -> datetime.date:
    """Return the bank day `count` bank days after `day` (counting from the day after)."""
    current = day
    remaining = count
    while remaining > 0:
        current += datetime.timedelta(days=1)
        if is_bank_day(current):
            remaining -= 1
    return current


def latest_date_overdue(*, today: datetime.date, bank_days: int) -> datetime.date:
    """Return the latest date `d` whose `bank_days`-th bank day after it is `today` or earlier."""
    candidate = today
    while bank_days_add(candidate, bank_days) > today:
        candidate -= datetime.timedelta(days=1)
    return candidate
