"""The rows of the /export and /event_registrants files (written by bot/services/xlsx.py):
dates as naive local datetimes of the council, statuses as the caller names them."""

from collections.abc import Callable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.services import xlsx
from bot.services.questions import Export, days_to_answer
from db.models import (
    Council,
    EventVenue,
    QuestionStatus,
    Registration,
    RegistrationStatus,
    User,
)


def export_rows(
    export: Export,
    councils: dict[int, Council],
    language: str,
    status_name: Callable[[QuestionStatus], str] = str,
) -> list[list[object]]:
    """One row per question, in the columns of bot/views/exports.py. Anonymous questions carry
    no identity at all."""
    citizens, tickets = export.citizens, export.tickets
    table: list[list[object]] = []
    for question, topic in export.rows:
        council = councils[question.council_id]
        tz = ZoneInfo(council.timezone)
        citizen = None if question.anonymous else citizens.get(question.citizen_id)
        rating = {1: "👍", -1: "👎"}.get(question.rating or 0, "")
        table.append(
            [
                question.ticket,
                council.name(language),
                topic.name(language),
                _local(question.created_at, tz),
                question.due_date,
                status_name(question.status),
                _local(question.taken_at, tz),
                _local(question.closed_at, tz),
                question.resolution or "",
                rating,
                days_to_answer(question),
                _identity(citizen),
                question.text,
                tickets.get(question.parent_id, "") if question.parent_id else "",
                _local(question.extended_at, tz),
                question.extension_reason or "",
                _identity(export.holders.get(question.assigned_to or 0)),
                question.forwarded_to or tickets.get(export.successors.get(question.id, 0), ""),
                tickets.get(question.forwarded_from_id or 0, ""),
                export.answer_files.get(question.id, 0),
                _local(question.edited_at, tz),
                question.objection or "",
            ]
        )
    return table


def registrant_rows(
    registrants: list[tuple[Registration, User]],
    venues: list[EventVenue],
    tz: ZoneInfo,
    *,
    registered: str,
    waiting: str,
    not_shared: str,
) -> list[list[object]]:
    """The /event_registrants list for the venue staff: venue by venue, each waiting list in
    order. Only citizens who agreed to the personal-data notice are named; the rest counted."""
    by_id = {venue.id: venue for venue in venues}
    places: dict[int, int] = {}
    table: list[list[object]] = []
    for registration, person in registrants:
        venue = by_id[registration.venue_id]
        place: int | None = None
        if registration.status == RegistrationStatus.WAITING:
            places[venue.id] = places.get(venue.id, 0) + 1
            place = places[venue.id]
        named = person.consent_at is not None and bool(person.full_name)
        table.append(
            [
                venue.position,
                venue.name,
                registered if registration.status == RegistrationStatus.REGISTERED else waiting,
                place,
                person.full_name if named else not_shared,
                person.username if named and person.username else "",
                _local(registration.queued_at, tz),
            ]
        )
    return table


def to_xlsx(table: Sequence[Sequence[object]], columns: Sequence[str], title: str) -> bytes:
    """A table with plain column titles (see bot/services/xlsx.py for the file's form)."""
    return xlsx.to_xlsx([xlsx.Column(name) for name in columns], table, title)


def _local(moment: datetime | None, tz: ZoneInfo) -> datetime | None:
    """The council's wall-clock time, without a zone: what a spreadsheet can hold."""
    return moment.astimezone(tz).replace(tzinfo=None) if moment else None


def _identity(citizen: User | None) -> str:
    if citizen is None:
        return ""
    name = citizen.full_name
    return f"{name} (@{citizen.username})" if citizen.username else name
