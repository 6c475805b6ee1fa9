"""Kazakhstan's working days, for answer deadlines (Administrative Procedural Code, art. 76)."""

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=32)
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("KZ", years=year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def next_working_day(day: date) -> date:
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def add_working_days(day: date, count: int) -> date:
    for _ in range(count):
        day = next_working_day(day)
    return day


def due_date(received: date, working_days: int) -> date:
    """The day an answer is due: `working_days` working days after receipt.

    A question received on a weekend or a public holiday counts as received on the next working
    day, as a formal appeal would.
    """
    start = received if is_working_day(received) else next_working_day(received)
    return add_working_days(start, working_days)


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (negative when `end` is earlier)."""
    sign = 1
    if end < start:
        start, end, sign = end, start, -1
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return sign * count
