"""Ticket numbers as people write them: №2026-000123, 2026-123, #123, 123."""

import re
from dataclasses import dataclass

_TICKET = re.compile(
    r"^\s*(?:№|#|N|No\.?)?\s*(?:(?P<year>[0-9]{4})\s*[-/.]\s*)?(?P<number>[0-9]{1,9})\s*$"
)


@dataclass(frozen=True)
class TicketRef:
    number: int
    year: int | None = None


def parse_ticket(text: str) -> TicketRef | None:
    match = _TICKET.match(text or "")
    if match is None:
        return None
    number = int(match["number"])
    if number <= 0:
        return None
    year = int(match["year"]) if match["year"] else None
    return TicketRef(number=number, year=year)
