"""The audit log read back for a council's staff: who did what, when, to which ticket or event.

Only entries of the councils the reader acts for (every council for a superadmin in a private
chat; the bound council in a staff group); entries that belong to no council (a citizen's
consent given or withdrawn) are personal, not a council's casework, and never shown. The staff
are named; a citizen is "citizen", named only as the author of a question they signed — never
for an anonymous one, nor for an event registration."""

import enum
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.numbers import parse_number
from bot.services.councils import Staff, scope_of
from bot.services.errors import AuditRefusal, Refused
from bot.services.questions import QuestionService
from bot.services.tickets import parse_ticket
from db.models import Council, Event, Question, format_ticket
from db.repositories.audit import AuditRepository, AuditRow
from db.repositories.councils import CouncilRepository

DEFAULT_DAYS = 7
MAX_DAYS = 366
# The events service writes "event <id>" or "event <id>: <what>" as an entry's detail.
_EVENT_DETAIL = re.compile(r"event (?P<id>[0-9]{1,18})(?:: (?P<rest>.*))?", re.DOTALL)
_DIGITS = re.compile(r"[0-9]+")
# Entries whose actor is a citizen taking part in an event: shown as "citizen", never named.
PARTICIPANT_ACTIONS = frozenset({"event_registered", "event_unregistered"})
# Entries whose detail is the id of the secretary concerned (the one added, removed or given
# the question to hold): shown by name.
PERSON_ACTIONS = frozenset(
    {"secretary_added", "chair_added", "secretary_revoked", "assigned", "released"}
)
BROADCAST_ACTIONS = frozenset({"broadcast_created", "broadcast_cancelled", "broadcast_stopped"})


class AuditError(Refused):
    """An /audit request that cannot be read (AuditRefusal)."""


class Actor(enum.Enum):
    STAFF = "staff"
    CITIZEN = "citizen"
    # Nobody: the bot itself (the first council, made at start).
    BOT = "bot"


@dataclass(frozen=True)
class Selection:
    """What to read: the last `days` days, or one ticket's whole history."""

    days: int | None = None
    question: Question | None = None


@dataclass(frozen=True)
class AuditLine:
    at: datetime
    council: Council
    action: str
    actor: Actor
    # A staff member's name; a citizen's only as the author of a question they signed.
    name: str | None
    ticket: str | None
    event_id: int | None
    # None when the event is gone.
    event: Event | None
    broadcast_id: int | None
    detail: str | None


@dataclass(frozen=True)
class AuditLog:
    selection: Selection
    lines: list[AuditLine]
    # Entries in the selection, shown or not.
    total: int
    # Whether the lines come from more than one council (then each says which).
    several_councils: bool
    # The councils read (for the file's name).
    council_ids: frozenset[int] = frozenset()


class AuditService:
    def __init__(self, session: AsyncSession, settings: Settings, clock: Clock) -> None:
        self.session = session
        self.settings = settings
        self.clock = clock
        self.audit = AuditRepository(session)

    async def select(self, args: str | None, staff: Staff) -> Selection:
        """`/audit`, `/audit <days>` (a bare number: 1 to MAX_DAYS) or `/audit <ticket>` (with
        № or its year, among the questions this staff member may see)."""
        text = (args or "").strip()
        if not text:
            return Selection(days=DEFAULT_DAYS)
        if _DIGITS.fullmatch(text):
            return Selection(days=_days(parse_number(text, MAX_DAYS)))
        ref = parse_ticket(text)
        if ref is None:
            raise AuditError(AuditRefusal.BAD_ARGUMENT, days=DEFAULT_DAYS, maximum=MAX_DAYS)
        return Selection(question=await self._questions.find(ref, staff))

    async def selection(self, days: int, question_id: int, staff: Staff) -> Selection:
        """The selection a button carries (days, or else a question), checked again."""
        if question_id:
            return Selection(question=await self._questions.get_for(question_id, staff))
        return Selection(days=_days(days))

    async def read(self, selection: Selection, staff: Staff, limit: int) -> AuditLog:
        """The newest `limit` entries of the selection in this staff member's scope."""
        council_ids = await scope_of(self.session, staff)
        since = None
        question_id = None
        if selection.question is not None:
            question_id = selection.question.id
            council_ids &= {selection.question.council_id}
        else:
            since = self.clock.now() - timedelta(days=selection.days or DEFAULT_DAYS)
        rows = await self.audit.latest(
            council_ids, since=since, question_id=question_id, limit=limit
        )
        total = await self.audit.count(council_ids, since=since, question_id=question_id)
        councils = {council.id: council for council in await CouncilRepository(self.session).all()}
        events = await self.audit.events({i for row in rows if (i := _event_id(row)) is not None})
        people = await self.audit.names({i for row in rows if (i := _person_id(row)) is not None})
        lines = [_line(row, councils, events, people) for row in rows]
        return AuditLog(
            selection,
            lines,
            total,
            several_councils=len(council_ids) > 1,
            council_ids=frozenset(council_ids),
        )

    @property
    def _questions(self) -> QuestionService:
        return QuestionService(self.session, self.settings, self.clock)


def _days(days: int | None) -> int:
    if days is None or not 1 <= days <= MAX_DAYS:
        raise AuditError(AuditRefusal.BAD_DAYS, maximum=MAX_DAYS)
    return days


def _event_id(row: AuditRow) -> int | None:
    match = _EVENT_DETAIL.fullmatch(row.entry.detail or "")
    return int(match["id"]) if match else None


def _person_id(row: AuditRow) -> int | None:
    if row.entry.action not in PERSON_ACTIONS:
        return None
    return parse_number(row.entry.detail)


def _line(
    row: AuditRow, councils: dict[int, Council], events: dict[int, Event], people: dict[int, str]
) -> AuditLine:
    entry = row.entry
    assert entry.council_id is not None
    actor, name = _who(row)
    detail = entry.detail
    event_id = broadcast_id = None
    match = _EVENT_DETAIL.fullmatch(detail or "")
    if match:
        event_id, detail = int(match["id"]), match["rest"]
    elif entry.action in BROADCAST_ACTIONS:
        broadcast_id, detail = parse_number(detail), None
    elif entry.action in PERSON_ACTIONS:
        person = parse_number(detail)
        detail = (people.get(person) or detail) if person is not None else detail
    ticket = format_ticket(row.year, row.number) if row.year and row.number else None
    return AuditLine(
        at=entry.at,
        council=councils[entry.council_id],
        action=entry.action,
        actor=actor,
        name=name,
        ticket=ticket,
        event_id=event_id,
        event=events.get(event_id) if event_id is not None else None,
        broadcast_id=broadcast_id,
        detail=detail or None,
    )


def _who(row: AuditRow) -> tuple[Actor, str | None]:
    """Who acted, as the staff may see them: a question's author is "citizen", with the name
    they signed it with only when the question is not anonymous; a citizen taking part in an
    event is "citizen" alone; anyone else acted as staff."""
    entry = row.entry
    if entry.actor_id is None:
        return Actor.BOT, None
    if entry.question_id is not None and entry.actor_id == row.author_id:
        named = row.anonymous is False and bool(row.actor_name)
        return Actor.CITIZEN, row.actor_name if named else None
    if entry.action in PARTICIPANT_ACTIONS:
        return Actor.CITIZEN, None
    return Actor.STAFF, row.actor_name or f"id {entry.actor_id}"
