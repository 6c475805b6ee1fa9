"""Kazakhstan's working days, for answer deadlines (Administrative Procedural Code, art. 76).

The calendar and its arithmetic are the `holidays` package's own: public holidays, days off moved
by government decree, and weekend days made working days by the same decrees (Saturday 4 May 2024,
say, was a working day).
"""

from datetime import date
from functools import cache

import holidays


@cache
def calendar() -> holidays.HolidayBase:
    """Kazakhstan's calendar; it fills in each year the first time a date in it is asked."""
    return holidays.country_holidays("KZ")


def is_working_day(day: date) -> bool:
    return calendar().is_working_day(day)


def next_working_day(day: date) -> date:
    return calendar().get_nth_working_day(day, 1)


def add_working_days(day: date, count: int) -> date:
    return calendar().get_nth_working_day(day, count) if count else day


def due_date(received: date, working_days: int) -> date:
    """The day an answer is due: `working_days` working days after receipt.

    A question received on a day off counts as received on the next working day, as a formal
    appeal would.
    """
    start = calendar().get_nth_working_day(received, 0)
    return add_working_days(start, working_days)


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (negative when `end` is earlier)."""
    if start == end:
        return 0
    later, earlier, sign = (end, start, 1) if end > start else (start, end, -1)
    count = calendar().get_working_days_count(earlier, later)
    return sign * (count - is_working_day(earlier))
