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
