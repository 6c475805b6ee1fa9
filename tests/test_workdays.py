"""Answer deadlines in Kazakhstan's working days, and tickets as people type them."""

from datetime import date

import pytest

from bot.services.tickets import TicketRef, parse_ticket
from bot.services.workdays import due_date, is_working_day, working_days_between


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # An ordinary Monday: fifteen working days later, two weekends in between.
        (date(2026, 11, 23), date(2026, 12, 14)),
        # Across Independence Day (16 December) and the New Year holidays (1–2, observed 4 Jan).
        (date(2026, 12, 10), date(2027, 1, 5)),
        # Across Nauryz (21–25 March 2026, the weekend days moved to Tuesday and Wednesday).
        (date(2026, 3, 13), date(2026, 4, 8)),
        # Sent on a Saturday: counts from Monday, as if received then.
        (date(2026, 11, 21), date(2026, 12, 14)),
        # Sent on a public holiday (16 December 2026, Wednesday): counts from Thursday;
        # 7 January (Orthodox Christmas) is off too.
        (date(2026, 12, 16), date(2027, 1, 12)),
    ],
)
def test_due_date_counts_working_days(received, due):
    assert due_date(received, 15) == due


def test_holidays_and_weekends_are_not_working_days():
    assert not is_working_day(date(2026, 3, 23))  # Nauryz
    assert not is_working_day(date(2026, 12, 16))  # Independence Day
    assert not is_working_day(date(2026, 11, 28))  # Saturday
    assert is_working_day(date(2026, 11, 27))


def test_working_days_between():
    assert working_days_between(date(2026, 11, 23), date(2026, 11, 30)) == 5
    assert working_days_between(date(2026, 11, 30), date(2026, 11, 23)) == -5


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("№2026-000123", TicketRef(123, 2026)),
        ("2026-123", TicketRef(123, 2026)),
        ("№ 2026-000123", TicketRef(123, 2026)),
        ("#123", TicketRef(123)),
        ("000123", TicketRef(123)),
        ("123", TicketRef(123)),
        ("abc", None),
        ("", None),
        ("2026-", None),
        ("0", None),
        ("<b>1</b>", None),
    ],
)
def test_ticket_parsing(text, ref):
    assert parse_ticket(text) == ref


def test_a_saturday_made_a_working_day_by_decree_counts():
    """Saturday 4 May 2024 was a working day (the day off moved to Wednesday 8 May)."""
    assert is_working_day(date(2024, 5, 4))
    assert not is_working_day(date(2024, 5, 8))
    # Received on Friday 3 May 2024: the 4th counts, the 7th (Defender's Day) and 8th do not.
    assert due_date(date(2024, 5, 3), 1) == date(2024, 5, 4)
    assert due_date(date(2024, 5, 3), 2) == date(2024, 5, 6)
    assert due_date(date(2024, 5, 3), 3) == date(2024, 5, 10)


def test_sunday_5_january_2025_was_a_working_day():
    """The day off of 3 January 2025 was moved from Sunday 5 January, which was worked."""
    assert not is_working_day(date(2025, 1, 3))
    assert is_working_day(date(2025, 1, 5))
    assert due_date(date(2025, 1, 3), 1) == date(2025, 1, 6)
    assert due_date(date(2025, 1, 4), 1) == date(
        2025, 1, 6
    )  # received Saturday: counts from the 5th
    assert working_days_between(date(2025, 1, 2), date(2025, 1, 6)) == 2
