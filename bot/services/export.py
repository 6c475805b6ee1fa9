"""The /export files: the same rows as XLSX (for people) and CSV (for machines)."""

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from bot.services.questions import Export, days_to_answer
from db.models import (
    Council,
    EventVenue,
    Registration,
    RegistrationStatus,
    User,
)

COLUMNS = [
    "ticket",
    "council",
    "topic",
    "received",
    "due",
    "status",
    "taken",
    "closed",
    "answer_or_reason",
    "rating",
    "days_to_answer",
    "citizen",
    "question",
    "follow_up_to",
    # A reasoned extension: when it was made (the due column has the new date) and why.
    "extended",
    "extension_reason",
    # Who holds it; where it was forwarded (a ticket at another council, or a body outside the
    # bot) or forwarded from.
    "held_by",
    "forwarded_to",
    "forwarded_from",
    # How many files (photos, documents) came with the answer.
    "answer_files",
    # The citizen changed the text while it was new; the citizen's objection that reopened it.
    "edited",
    "objection",
]


def export_rows(export: Export, councils: dict[int, Council], language: str) -> list[list[object]]:
    """One row per question. Anonymous questions carry no identity at all."""
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
                question.due_date.isoformat(),
                question.status.value,
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
        place = ""
        if registration.status == RegistrationStatus.WAITING:
            places[venue.id] = places.get(venue.id, 0) + 1
            place = str(places[venue.id])
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


def to_csv(table: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in table:
        writer.writerow(["" if value is None else _safe_cell(value) for value in row])
    # A BOM so that spreadsheet programs read Cyrillic and Kazakh letters correctly.
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(
    table: list[list[object]], columns: list[str] = COLUMNS, title: str = "questions"
) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    sheet.title = title
    sheet.append(columns)
    for row in table:
        sheet.append([_safe_cell(value) for value in row])
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _safe_cell(value: object) -> object:
    # Text that starts like a formula is kept as text, never evaluated by a spreadsheet.
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@"}:
        return "'" + value
    return value


def _local(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""


def _identity(citizen: User | None) -> str:
    if citizen is None:
        return ""
    name = citizen.full_name
    return f"{name} (@{citizen.username})" if citizen.username else name
