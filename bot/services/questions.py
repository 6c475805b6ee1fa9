"""Questions to a council: limits, tickets, deadlines, status changes, ratings, statistics."""

import statistics
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.numbers import parse_number
from bot.services.councils import CouncilDays, Staff, scope_of
from bot.services.errors import CaseRefusal, QuestionRefusal, Refused
from bot.services.paging import Page, page_of
from bot.services.search import MAX_RESULTS, MIN_WORD, Found, SearchResult, search_words
from bot.services.tickets import TicketRef
from bot.services.transaction import transaction
from bot.services.workdays import add_working_days, due_date
from db.models import (
    OPEN_STATUSES,
    TAKEABLE_STATUSES,
    AuditEntry,
    Council,
    Question,
    QuestionAttachment,
    QuestionStatus,
    Topic,
    User,
)
from db.repositories.councils import CouncilRepository
from db.repositories.questions import QuestionRepository
from db.repositories.search import SearchRepository
from db.repositories.users import UserRepository

MIN_TEXT = 10
# Telegram's own limit for an album.
MAX_ATTACHMENTS = 10
# A file the staff must be able to open in Telegram and the bot to pass on: what the Bot API
# lets a bot download (20 MB); a voice message or video note at most a few minutes.
MAX_FILE_MB = 20
MAX_VOICE_SECONDS = 300
ATTACHMENT_KINDS = ("photo", "document", "voice", "video_note")
MAX_TEXT = 3000
# An internal note is one line of a ticket's history, which must fit one message with the rest.
MAX_NOTE = 1000
# The reason for an objection: a line of the card and of the ticket's history, like a note.
MIN_REASON = 10
MAX_REASON = 1000


class QuestionError(Refused):
    """A citizen's (QuestionRefusal) or a secretary's (CaseRefusal) request is refused."""


# Letters that draw nothing (Hangul fillers, the blank Braille pattern): Unicode classes them as
# letters, so only a list names them.
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def telegram_length(text: str) -> int:
    """Length as Telegram counts it against its limits: UTF-16 code units (an emoji is 2), so
    that the longest text accepted still fits a card or an answer with its header."""
    return len(text.encode("utf-16-le")) // 2


def visible_length(text: str) -> int:
    """Characters a reader can see: not whitespace, not format characters (zero-width space,
    joiners, word joiner, BOM, bidi marks: category Cf), not blank letters."""
    return sum(
        1
        for char in text
        if not char.isspace() and unicodedata.category(char) != "Cf" and char not in BLANK_LETTERS
    )


def check_text(text: str | None) -> str:
    text = (text or "").strip()
    visible = visible_length(text)
    if visible < MIN_TEXT:
        raise QuestionError(QuestionRefusal.TOO_SHORT, minimum=MIN_TEXT, length=visible)
    if telegram_length(text) > MAX_TEXT:
        raise QuestionError(
            QuestionRefusal.TOO_LONG, maximum=MAX_TEXT, length=telegram_length(text)
        )
    return text


def check_reason(text: str | None) -> str:
    """A citizen's reason for objecting: text a reader can see, as long as a note at most."""
    if text is None:
        raise QuestionError(QuestionRefusal.NOT_TEXT)
    text = text.strip()
    visible = visible_length(text)
    if visible < MIN_REASON:
        raise QuestionError(QuestionRefusal.REASON_TOO_SHORT, minimum=MIN_REASON, length=visible)
    if telegram_length(text) > MAX_REASON:
        raise QuestionError(
            QuestionRefusal.REASON_TOO_LONG, maximum=MAX_REASON, length=telegram_length(text)
        )
    return text


def check_attachment(kind: str, size: int | None, duration: int | None) -> None:
    """Raise QuestionError (FILE_TOO_BIG, VOICE_TOO_LONG) for a file over the limits."""
    if size is not None and size > MAX_FILE_MB * 1024 * 1024:
        raise QuestionError(QuestionRefusal.FILE_TOO_BIG, maximum=MAX_FILE_MB)
    if kind in ("voice", "video_note") and (duration or 0) > MAX_VOICE_SECONDS:
        raise QuestionError(QuestionRefusal.VOICE_TOO_LONG, maximum=MAX_VOICE_SECONDS // 60)


# What a citizen mistyped: they may send it again; any other refusal ends what they were doing.
INPUT_REFUSALS = frozenset(
    {
        QuestionRefusal.NOT_TEXT,
        QuestionRefusal.TOO_SHORT,
        QuestionRefusal.TOO_LONG,
        QuestionRefusal.REASON_TOO_SHORT,
        QuestionRefusal.REASON_TOO_LONG,
    }
)


@dataclass(frozen=True)
class Draft:
    council_id: int
    topic_id: int
    text: str
    anonymous: bool
    # Files as (kind, file_id) or (kind, file_id, seconds): "photo", "document", "voice" or
    # "video_note" (the last two with their duration); an album gives up to ten.
    attachments: tuple[tuple[Any, ...], ...] = ()
    parent_id: int | None = None
    # One key per draft: confirming the same draft twice registers it once.
    key: str | None = None
    # The council may publish the question and its answer without the citizen's name.
    publish_consent: bool = False


@dataclass(frozen=True)
class Stats:
    by_status: dict[str, int]
    by_topic: list[tuple[Topic, int]]
    median_days: float | None
    overdue: int
    rated: int
    helpful: int
    # Questions whose answer period was extended (APC art. 76).
    extended: int = 0
    # The last CHART_WEEKS weeks (Monday first, the current one last) for the chart.
    weeks: list["WeekCount"] = field(default_factory=list)
    # Days from receipt to the answer of every answered question.
    answer_days: list[float] = field(default_factory=list)


# Weeks the /stats chart covers.
CHART_WEEKS = 12


@dataclass(frozen=True)
class WeekCount:
    """Questions received in the week that starts on `start` (a Monday), by status now."""

    start: date
    by_status: dict[str, int]


@dataclass(frozen=True)
class Case:
    """A question as the staff see it: what its card shows, and its history with who did what."""

    question: Question
    council: Council
    topic: Topic
    # Never for an anonymous question.
    citizen: User | None
    # The question this one follows up.
    parent: Question | None
    history: list[AuditEntry]
    # The names of those in the history who acted on it or hold it, by id (not the citizen's).
    names: dict[int, str]
    # The secretary who holds it.
    holder: User | None = None
    # Where it came from when another council forwarded it here, with that question's history.
    origin: "Case | None" = None


@dataclass(frozen=True)
class Forwarded:
    """A forwarded question, and where it went: the new question at another council of the
    bot, or (with `successor` None) the body outside the bot in `question.forwarded_to`."""

    question: Question
    successor: Question | None
    council: Council | None


@dataclass(frozen=True)
class InboxFilter:
    """Which open questions the inbox lists: all, those a secretary holds, those nobody holds,
    the overdue ones, or those of some topics."""

    holder: int | None = None
    unassigned: bool = False
    # Overdue by its council's day: council id -> that council's today.
    overdue_on: Mapping[int, date] | None = field(default=None, hash=False)
    topic_ids: frozenset[int] | None = None


@dataclass(frozen=True)
class Export:
    """The questions of a period with their topics, and the citizens who may be named."""

    rows: list[tuple[Question, Topic]]
    citizens: dict[int, User]
    # Secretaries who hold a question, by id.
    holders: dict[int, User] = field(default_factory=dict)
    # Tickets of the questions these were forwarded from or to, by question id.
    tickets: dict[int, str] = field(default_factory=dict)
    # Forwarded question id -> the id of the question another council got.
    successors: dict[int, int] = field(default_factory=dict)
    # How many files came with each answer, by question id.
    answer_files: dict[int, int] = field(default_factory=dict)


class QuestionService:
    def __init__(self, session: AsyncSession, settings: Settings, clock: Clock) -> None:
        self.session = session
        self.settings = settings
        self.clock = clock
        self.questions = QuestionRepository(session)

    # -- citizens --------------------------------------------------------------------------

    async def check_can_ask(self, citizen_id: int, council: Council, *, followup: bool = False):
        """Raise QuestionError (BANNED, TOO_MANY_OPEN or TOO_MANY_TODAY) when refused."""
        if await self.questions.is_banned(council.id, citizen_id):
            raise QuestionError(QuestionRefusal.BANNED)
        if followup:
            return
        limit = self.settings.max_open_questions
        if await self.questions.count_open(citizen_id) >= limit:
            raise QuestionError(QuestionRefusal.TOO_MANY_OPEN, limit=limit)
        limit = self.settings.max_questions_per_day
        if await self.questions.count_since(citizen_id, self._start_of_day(council)) >= limit:
            raise QuestionError(QuestionRefusal.TOO_MANY_TODAY, limit=limit)

    @transaction
    async def create(self, citizen: User, council: Council, draft: Draft) -> Question:
        """Register a question with the next ticket number and its due date."""
        if draft.key is not None and await self.questions.by_draft_key(draft.key) is not None:
            raise QuestionError(QuestionRefusal.ALREADY_SENT)
        if draft.parent_id is not None:
            # Checked again here, not only when the button was pressed: a forged or stale
            # button must not chain a follow-up to a follow-up, nor to someone else's question.
            parent = await self.check_followup(draft.parent_id, citizen.id)
            if parent.council_id != council.id:
                raise QuestionError(QuestionRefusal.NOT_FOUND)
        await self.check_can_ask(citizen.id, council, followup=draft.parent_id is not None)
        now = self.clock.now()
        received = now.astimezone(ZoneInfo(council.timezone)).date()
        question = await self.questions.add(
            Question(
                year=received.year,
                number=await self.questions.next_number(received.year),
                council_id=council.id,
                topic_id=draft.topic_id,
                citizen_id=citizen.id,
                anonymous=draft.anonymous,
                text=check_text(draft.text),
                attachment_kind=draft.attachments[0][0] if draft.attachments else None,
                attachment_file_id=draft.attachments[0][1] if draft.attachments else None,
                parent_id=draft.parent_id,
                draft_key=draft.key,
                publish_consent=draft.publish_consent,
                status=QuestionStatus.NEW,
                created_at=now,
                due_date=due_date(received, self.settings.answer_working_days),
            )
        )
        for position, (kind, file_id, *rest) in enumerate(draft.attachments[:MAX_ATTACHMENTS]):
            await self.questions.add_attachment(
                QuestionAttachment(
                    question_id=question.id,
                    position=position,
                    kind=kind,
                    file_id=file_id,
                    duration=rest[0] if rest else None,
                )
            )
        await self._audit(question, citizen.id, "asked" if draft.parent_id is None else "followup")
        return question

    async def own(self, question_id: int, citizen_id: int) -> Question:
        """A citizen's own question; someone else's looks exactly like a missing one."""
        question = await self.questions.get(question_id)
        if question is None or question.citizen_id != citizen_id:
            raise QuestionError(QuestionRefusal.NOT_FOUND)
        return question

    async def of_citizen(self, citizen_id: int, page: int, per_page: int) -> Page[Question]:
        total = await self.questions.count_of_citizen(citizen_id)
        return await page_of(total, page, per_page, partial(self.questions.of_citizen, citizen_id))

    @transaction
    async def rate(self, question_id: int, citizen_id: int, helpful: bool) -> Question:
        question = await self.own(question_id, citizen_id)
        if question.status != QuestionStatus.ANSWERED:
            raise QuestionError(QuestionRefusal.NOT_ANSWERED)
        if not await self.questions.rate(question.id, 1 if helpful else -1, self.clock.now()):
            raise QuestionError(QuestionRefusal.ALREADY_RATED)
        await self._audit(question, citizen_id, "rated", "👍" if helpful else "👎")
        rated = await self.questions.get(question.id)
        assert rated is not None
        return rated

    async def can_follow_up(self, question: Question) -> bool:
        """Whether an answered question may still get its one follow-up: it is no follow-up
        itself, has none yet, and was not objected to (the one further step is either)."""
        followup = await self.questions.followup_of(question.id)
        return question.parent_id is None and followup is None and question.objected_at is None

    async def check_followup(self, question_id: int, citizen_id: int) -> Question:
        """The question a follow-up may be attached to: answered, and not followed up yet."""
        question = await self.own(question_id, citizen_id)
        if question.parent_id is not None:
            raise QuestionError(QuestionRefusal.FOLLOWUP_OF_FOLLOWUP)
        if question.objected_at is not None:
            raise QuestionError(QuestionRefusal.FOLLOWUP_AFTER_OBJECTION)
        if question.status != QuestionStatus.ANSWERED:
            raise QuestionError(QuestionRefusal.NOT_ANSWERED)
        if await self.questions.followup_of(question.id) is not None:
            raise QuestionError(QuestionRefusal.FOLLOWUP_USED)
        return question

    # -- a citizen's own question after sending it -------------------------------------------
    # While it is new, its citizen may withdraw it or change its text; after an answer or a
    # rejection, object once ("I do not agree", with a reason), which reopens it at the same
    # council. The objection and the single follow-up are one further step: either, not both.

    async def check_changeable(self, question_id: int, citizen_id: int) -> Question:
        """The citizen's own question, while it may still be withdrawn or edited (new)."""
        question = await self.own(question_id, citizen_id)
        if question.status != QuestionStatus.NEW:
            raise QuestionError(citizen_status_refusal(question.status))
        return question

    @transaction
    async def withdraw(self, question_id: int, citizen_id: int) -> Question:
        """Withdraw a new question: it closes as withdrawn, and the council has nothing to do."""
        question = await self.check_changeable(question_id, citizen_id)
        values = {"status": QuestionStatus.WITHDRAWN, "closed_at": self.clock.now()}
        await self._citizen_transition(question, values, "withdrawn", None)
        return question

    @transaction
    async def edit(self, question_id: int, citizen_id: int, text: str | None) -> Question:
        """Replace the text of a new question, checked as when asking (`text` is None when the
        citizen sent no text: a sticker, a voice message, a file). The earlier text stays in the
        ticket's history for the staff."""
        question = await self.check_changeable(question_id, citizen_id)
        if text is None:
            raise QuestionError(QuestionRefusal.NOT_TEXT)
        text = check_text(text)
        earlier = question.text
        values = {"text": text, "edited_at": self.clock.now()}
        await self._citizen_transition(question, values, "edited", earlier)
        return question

    async def objection_deadline(self, question: Question) -> date | None:
        """The last day the citizen may object to the answer or rejection; None before one."""
        if question.closed_at is None:
            return None
        closed = question.closed_at.astimezone(await self._council_tz(question)).date()
        return add_working_days(closed, self.settings.objection_working_days)

    async def check_objection(self, question_id: int, citizen_id: int) -> Question:
        """The citizen's own answered or rejected question, when it may still be objected to:
        not objected to before, not followed up, and within the deadline."""
        question = await self.own(question_id, citizen_id)
        if question.objected_at is not None:
            raise QuestionError(QuestionRefusal.ALREADY_OBJECTED)
        if question.status not in (QuestionStatus.ANSWERED, QuestionStatus.REJECTED):
            raise QuestionError(QuestionRefusal.NOTHING_TO_OBJECT)
        if await self.questions.followup_of(question.id) is not None:
            raise QuestionError(QuestionRefusal.OBJECTION_AFTER_FOLLOWUP)
        deadline = await self.objection_deadline(question)
        today = self.clock.now().astimezone(await self._council_tz(question)).date()
        if deadline is None or today > deadline:
            raise QuestionError(
                QuestionRefusal.OBJECTION_TOO_LATE, days=self.settings.objection_working_days
            )
        return question

    async def can_object(self, question: Question) -> bool:
        try:
            await self.check_objection(question.id, question.citizen_id)
        except QuestionError:
            return False
        return True

    @transaction
    async def object_to(self, question_id: int, citizen_id: int, reason: str | None) -> Question:
        """ "I do not agree": the question opens again at the same council, with a new answer
        date (ANSWER_WORKING_DAYS from today) and the reason on its card. The earlier answer
        stays in the ticket's history; the new one will get its own rating."""
        question = await self.check_objection(question_id, citizen_id)
        reason = check_reason(reason)
        now = self.clock.now()
        tz = await self._council_tz(question)
        values = {
            "status": QuestionStatus.REOPENED,
            "objected_at": now,
            "objection": reason,
            "due_date": due_date(now.astimezone(tz).date(), self.settings.answer_working_days),
            "closed_at": None,
            "closed_by": None,
            "rating": None,
            "rated_at": None,
            "extended_at": None,
            "extension_reason": None,
            # The answer objected to is no longer the council's word: off /faq until a
            # secretary publishes the next one.
            "published_at": None,
            "published_by": None,
        }
        await self._citizen_transition(question, values, "objected", reason)
        return question

    # -- staff -----------------------------------------------------------------------------

    async def find(self, ref: TicketRef, staff: Staff) -> Question:
        """The question behind a ticket, among those this staff member may see."""
        council_ids = None if staff.is_superadmin else set(staff.council_ids)
        found = await self.questions.by_number(ref.number, ref.year, council_ids)
        if not found:
            raise QuestionError(CaseRefusal.NOT_FOUND)
        if len(found) > 1:
            raise QuestionError(CaseRefusal.AMBIGUOUS, years=sorted({q.year for q in found}))
        return found[0]

    async def get_for(self, question_id: int, staff: Staff) -> Question:
        question = await self.questions.get(question_id)
        if question is None or not staff.can_act(question.council_id):
            raise QuestionError(CaseRefusal.NOT_FOUND)
        return question

    async def open_for(self, question_id: int, staff: Staff) -> Question:
        """A question this staff member may still answer or reject."""
        question = await self.get_for(question_id, staff)
        if not question.is_open:
            raise QuestionError(status_refusal(question.status))
        return question

    async def by_card(self, chat_id: int, message_id: int) -> Question | None:
        """The question whose card is this message of the bot."""
        return await self.questions.by_card(chat_id, message_id)

    def check_scope(self, question: Question, staff: Staff) -> None:
        """Raise QuestionError (NOT_FOUND) unless this staff member acts on its council."""
        if not staff.can_act(question.council_id):
            raise QuestionError(CaseRefusal.NOT_FOUND)

    async def scope(self, staff: Staff) -> set[int]:
        """The councils whose questions this staff member works on."""
        return await scope_of(self.session, staff)

    async def case(self, question: Question, *, depth: int = 0) -> Case:
        councils = CouncilRepository(self.session)
        council = await councils.get(question.council_id)
        topic = await councils.topic(question.topic_id)
        assert council is not None and topic is not None
        users = UserRepository(self.session)
        citizen = None if question.anonymous else await users.get(question.citizen_id)
        parent = await self.questions.get(question.parent_id) if question.parent_id else None
        entries = await self.history(question)
        people = {entry.actor_id for entry in entries if entry.actor_id is not None}
        people |= {
            int(entry.detail)
            for entry in entries
            if entry.action in ("assigned", "released")
            and entry.detail
            and entry.detail.isdecimal()
        }
        if question.assigned_to is not None:
            people.add(question.assigned_to)
        names = {}
        for person_id in people - {question.citizen_id}:
            person = await users.get(person_id)
            names[person_id] = person.full_name if person else str(person_id)
        holder = await users.get(question.assigned_to) if question.assigned_to else None
        origin = None
        # A question forwarded on and on shows the councils it passed through (a few at most).
        if question.forwarded_from_id is not None and depth < 5:
            before = await self.questions.get(question.forwarded_from_id)
            if before is not None:
                origin = await self.case(before, depth=depth + 1)
        return Case(question, council, topic, citizen, parent, entries, names, holder, origin)

    async def export(
        self, council_ids: set[int], first: date | None = None, last: date | None = None
    ) -> Export:
        """The questions received from the day `first` through the day `last` (every one
        without them), each council's days counted in its own time zone."""
        rows: list[tuple[Question, Topic]] = []
        councils = CouncilRepository(self.session)
        for council_id in sorted(council_ids):
            council = await councils.get(council_id)
            tz = ZoneInfo(council.timezone) if council is not None else self.settings.tz
            start = datetime.combine(first, time(0), tzinfo=tz) if first else None
            end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz) if last else None
            rows += await self.questions.between({council_id}, start, end)
        rows.sort(key=lambda row: (row[0].created_at, row[0].id))
        users = UserRepository(self.session)
        citizens = {}
        for question, _topic in rows:
            if not question.anonymous and question.citizen_id not in citizens:
                citizen = await users.get(question.citizen_id)
                if citizen is not None:
                    citizens[citizen.id] = citizen
        holders = {}
        for holder_id in {q.assigned_to for q, _topic in rows if q.assigned_to is not None}:
            holder = await users.get(holder_id)
            if holder is not None:
                holders[holder_id] = holder
        tickets = {question.id: question.ticket for question, _topic in rows}
        successors = {}
        for question, _topic in rows:
            linked = []
            if question.status == QuestionStatus.FORWARDED:
                successor = await self.questions.forwarded_from(question.id)
                if successor is not None:
                    successors[question.id] = successor.id
                    linked.append(successor)
            for other_id in (question.forwarded_from_id, question.parent_id):
                if other_id is not None and other_id not in tickets:
                    other = await self.questions.get(other_id)
                    linked += [other] if other is not None else []
            tickets.update({other.id: other.ticket for other in linked})
        ids = [question.id for question, _topic in rows]
        answer_files = await self.questions.count_attachments(ids, "answer") if ids else {}
        return Export(rows, citizens, holders, tickets, successors, answer_files)

    @transaction
    async def take(self, question: Question, staff: Staff) -> Question:
        now = self.clock.now()
        values = {
            "status": QuestionStatus.IN_PROGRESS,
            "taken_at": now,
            "taken_by": staff.user_id,
            "assigned_to": staff.user_id,
            "assigned_at": now,
        }
        # Nobody else may hold it: a question assigned to another is theirs until /assign.
        held_by = (None, staff.user_id)
        await self._transition(
            question, staff, TAKEABLE_STATUSES, values, "taken", None, held_by=held_by
        )
        return question

    async def assignee(self, question: Question, who: str) -> User:
        """The secretary of the question's council meant by `who`: @username, Telegram id, or
        their name (whole, any case); two of the same name must be told apart by the others."""
        who = " ".join(who.split())
        wanted = who.removeprefix("@").casefold()
        secretaries = await CouncilRepository(self.session).secretaries(question.council_id)
        for secretary in secretaries:
            if str(secretary.id) == who or (
                who.startswith("@") and (secretary.username or "").casefold() == wanted
            ):
                return secretary
        named = [s for s in secretaries if " ".join(s.full_name.split()).casefold() == wanted]
        if len(named) > 1:
            raise QuestionError(CaseRefusal.SECRETARY_AMBIGUOUS)
        if named:
            return named[0]
        raise QuestionError(CaseRefusal.NOT_A_SECRETARY)

    async def secretary_of(self, question: Question, user_id: int) -> User:
        """A secretary of the question's council, by Telegram id."""
        for secretary in await CouncilRepository(self.session).secretaries(question.council_id):
            if secretary.id == user_id:
                return secretary
        raise QuestionError(CaseRefusal.NOT_A_SECRETARY)

    @transaction
    async def assign(
        self,
        question: Question,
        staff: Staff,
        assignee_id: int,
        seen_holder: Sequence[int | None] | None = None,
    ) -> Question:
        """Give an open question to a secretary of its council to hold. `seen_holder` is who
        held it when the one acting looked (an Assign list shows that; by default, as read
        now); if that has changed meanwhile, nothing changes and they are told who holds it."""
        self.check_scope(question, staff)
        if not await CouncilRepository(self.session).is_secretary(
            question.council_id, assignee_id
        ):
            raise QuestionError(CaseRefusal.NOT_A_SECRETARY)
        if question.assigned_to == assignee_id:
            raise QuestionError(CaseRefusal.ALREADY_ASSIGNED)
        expected = seen_holder if seen_holder is not None else (question.assigned_to,)
        values = {"assigned_to": assignee_id, "assigned_at": self.clock.now()}
        await self._transition(
            question,
            staff,
            OPEN_STATUSES,
            values,
            "assigned",
            str(assignee_id),
            held_by=expected,
        )
        return question

    @transaction
    async def forward(
        self, question: Question, staff: Staff, target: str, reason: str
    ) -> Forwarded:
        """Forward by competence (APC art. 76): to another council of the bot, named by its
        number or its name in any language, which gets it as a new question with its own
        deadline from today; or to a body outside the bot, named in words. Either way the
        question closes here as FORWARDED and its history goes with it."""
        self.check_scope(question, staff)
        reason = check_answer(reason, minimum=3, maximum=MAX_NOTE)
        target = " ".join(target.split())
        council = await self._council_named(target)
        if council is not None and council.id == question.council_id:
            raise QuestionError(CaseRefusal.FORWARD_SAME_COUNCIL)
        body = None if council is not None else check_answer(target, minimum=3, maximum=256)
        now = self.clock.now()
        values = {
            "status": QuestionStatus.FORWARDED,
            "closed_at": now,
            "closed_by": staff.user_id,
            "resolution": reason,
            "forwarded_to": body,
        }
        await self._transition(question, staff, OPEN_STATUSES, values, "forwarded", reason)
        successor = None
        if council is not None:
            successor = await self._arrive(question, council, staff)
        return Forwarded(question, successor, council)

    async def successor(self, question: Question) -> Forwarded:
        """Where a forwarded question went."""
        successor = await self.questions.forwarded_from(question.id)
        council = None
        if successor is not None:
            council = await CouncilRepository(self.session).get(successor.council_id)
        return Forwarded(question, successor, council)

    async def _council_named(self, target: str) -> Council | None:
        councils = CouncilRepository(self.session)
        if target.isdecimal():
            # A number names a council of the bot, never a body outside it.
            number = parse_number(target, maximum=2**31 - 1)
            council = await councils.get(number) if number is not None else None
            if council is None:
                raise QuestionError(CaseRefusal.FORWARD_NO_COUNCIL, number=target)
            return council
        wanted = target.casefold()
        for council in await councils.all():
            if wanted in {
                name.casefold() for name in (council.name_kk, council.name_ru, council.name_en)
            }:
                return council
        return None

    async def _arrive(self, origin: Question, council: Council, staff: Staff) -> Question:
        """The forwarded question, new at `council`: a new ticket, a deadline counted from
        today, the topic of the same name there (else its last topic), the same files."""
        now = self.clock.now()
        received = now.astimezone(ZoneInfo(council.timezone)).date()
        councils = CouncilRepository(self.session)
        old_topic = await councils.topic(origin.topic_id)
        topics = await councils.topics(council.id)
        if not topics:
            topics = await councils.topics(council.id, include_hidden=True)
        same = [t for t in topics if old_topic is not None and t.name_en == old_topic.name_en]
        topic_id = (same or topics)[-1].id if topics else origin.topic_id
        question = await self.questions.add(
            Question(
                year=received.year,
                number=await self.questions.next_number(received.year),
                council_id=council.id,
                topic_id=topic_id,
                citizen_id=origin.citizen_id,
                anonymous=origin.anonymous,
                text=origin.text,
                attachment_kind=origin.attachment_kind,
                attachment_file_id=origin.attachment_file_id,
                forwarded_from_id=origin.id,
                status=QuestionStatus.NEW,
                created_at=now,
                due_date=due_date(received, self.settings.answer_working_days),
            )
        )
        for attachment in await self.questions.attachments(origin.id):
            await self.questions.add_attachment(
                QuestionAttachment(
                    question_id=question.id,
                    position=attachment.position,
                    kind=attachment.kind,
                    file_id=attachment.file_id,
                    duration=attachment.duration,
                )
            )
        await self._audit(question, staff.user_id, "forwarded_in", origin.ticket)
        return question

    @transaction
    async def answer(
        self,
        question: Question,
        staff: Staff,
        text: str,
        files: Sequence[tuple[str, str]] = (),
    ) -> Question:
        """Answer, with up to ten files (photos and documents, as (kind, file_id)) that reach
        the citizen with the text."""
        text = check_answer(text)
        if len(files) > MAX_ATTACHMENTS:
            raise QuestionError(
                CaseRefusal.TOO_MANY_FILES, maximum=MAX_ATTACHMENTS, count=len(files)
            )
        values = {
            "status": QuestionStatus.ANSWERED,
            "closed_at": self.clock.now(),
            "closed_by": staff.user_id,
            "resolution": text,
        }
        await self._transition(question, staff, OPEN_STATUSES, values, "answered", text)
        for position, (kind, file_id) in enumerate(files):
            await self.questions.add_attachment(
                QuestionAttachment(
                    question_id=question.id,
                    part="answer",
                    position=position,
                    kind=kind,
                    file_id=file_id,
                )
            )
        return question

    async def files(self, question: Question, part: str = "question") -> list[QuestionAttachment]:
        """The files sent with a question, or (part "answer") with its answer."""
        return await self.questions.attachments(question.id, part)

    @transaction
    async def reject(self, question: Question, staff: Staff, reason: str) -> Question:
        reason = check_answer(reason, minimum=3)
        values = {
            "status": QuestionStatus.REJECTED,
            "closed_at": self.clock.now(),
            "closed_by": staff.user_id,
            "resolution": reason,
        }
        await self._transition(question, staff, OPEN_STATUSES, values, "rejected", reason)
        return question

    # A ban is recorded per ticket (in the ticket's history): the author of any banned ticket
    # cannot ask that council. What /ban and /unban do and say depends only on the ticket named,
    # never on the other tickets of the same person, so comparing the answers for an anonymous
    # ticket and a named one cannot tell whether one person wrote both.

    @transaction
    async def ban(self, question: Question, staff: Staff) -> None:
        """Bar the author of this ticket from asking its council."""
        self.check_scope(question, staff)
        if not await self.questions.banned_through(question.id):
            await self._audit(question, staff.user_id, "banned")
        await self.questions.ban(question.council_id, question.citizen_id, self.clock.now())

    @transaction
    async def unban(self, question: Question, staff: Staff) -> bool:
        """Lift the ban made through this ticket; False if there was none. The author may ask
        again once no ticket of theirs bans them."""
        self.check_scope(question, staff)
        if not await self.questions.banned_through(question.id):
            return False
        await self._audit(question, staff.user_id, "unbanned")
        if not await self.questions.banned_through_any(question.council_id, question.citizen_id):
            await self.questions.unban(question.council_id, question.citizen_id)
        return True

    @transaction
    async def extend(self, question: Question, staff: Staff, when: str, reason: str) -> Question:
        """A reasoned extension of the answer period (APC art. 76): `when` is the new date
        (DD.MM.YYYY) or +N working days after the current one; the new date is later than the
        current one and at most `max_extension_months` after receipt, however many extensions
        it takes. The question stays in its status."""
        self.check_scope(question, staff)
        new_due = parse_extension(when, question.due_date)
        if new_due <= question.due_date:
            raise QuestionError(CaseRefusal.EXTENSION_NOT_LATER)
        months = self.settings.max_extension_months
        # Counted from receipt, or, once the citizen objected, from the objection (the question
        # is considered again from then).
        council = await CouncilRepository(self.session).get(question.council_id)
        tz = ZoneInfo(council.timezone) if council else self.settings.tz
        received = (question.objected_at or question.created_at).astimezone(tz).date()
        if new_due > received + relativedelta(months=months):
            raise QuestionError(CaseRefusal.EXTENSION_TOO_LONG, months=months)
        reason = check_answer(reason, minimum=3, maximum=MAX_NOTE)
        values = {"due_date": new_due, "extended_at": self.clock.now(), "extension_reason": reason}
        await self._transition(question, staff, OPEN_STATUSES, values, "extended", reason)
        return question

    @transaction
    async def note(self, question: Question, staff: Staff, text: str) -> None:
        """An internal note on the ticket: in its history for the staff, never shown to the
        citizen (their history leaves notes out) nor put in an export."""
        self.check_scope(question, staff)
        text = check_answer(text, maximum=MAX_NOTE)
        await self._audit(question, staff.user_id, "note", text)

    async def history(self, question: Question) -> list[AuditEntry]:
        return await self.questions.history(question.id)

    async def search(self, staff: Staff, text: str) -> SearchResult:
        """/find: the newest questions of the staff member's councils (every council, for a
        superadmin outside a staff group) whose text, answer and notes hold every word."""
        words = search_words(text)
        if not words:
            raise QuestionError(CaseRefusal.SEARCH_NO_WORDS, minimum=MIN_WORD)
        council_ids = None if staff.is_superadmin else set(staff.council_ids)
        repository = SearchRepository(self.session)
        questions = await repository.newest_matching(words, council_ids, MAX_RESULTS + 1)
        shown = questions[:MAX_RESULTS]
        notes = await repository.notes([question.id for question in shown])
        found = [Found(question, notes.get(question.id, [])) for question in shown]
        return SearchResult(words, found, more=len(questions) > MAX_RESULTS)

    async def inbox(
        self,
        council_ids: set[int],
        page: int,
        per_page: int,
        only: InboxFilter | None = None,
    ) -> Page[Question]:
        """One page of the open questions of these councils, soonest deadline first."""
        only = only or InboxFilter()
        total = await self.questions.count_open_for(council_ids, only)
        return await page_of(
            total, page, per_page, partial(self.questions.open_for, council_ids, only)
        )

    async def topics_named(
        self, council_ids: set[int], words: str, *, one_per_name: bool = False
    ) -> frozenset[int]:
        """The topics of these councils whose name, in any language, contains `words` (with
        `one_per_name`, one topic for each name found)."""
        wanted = " ".join(words.split()).casefold()
        found: dict[str, int] = {}
        for topic in await self._topics_of(council_ids):
            names = (topic.name_kk, topic.name_ru, topic.name_en)
            if any(wanted in name.casefold() for name in names):
                found.setdefault(
                    topic.name_en.casefold() if one_per_name else str(topic.id), topic.id
                )
        return frozenset(found.values())

    async def topics_like(self, council_ids: set[int], topic_ids: set[int]) -> frozenset[int]:
        """The topics of these councils named as one of `topic_ids` is (in English)."""
        topics = await self._topics_of(council_ids)
        names = {topic.name_en.casefold() for topic in topics if topic.id in topic_ids}
        return frozenset(topic.id for topic in topics if topic.name_en.casefold() in names)

    async def _topics_of(self, council_ids: set[int]) -> list[Topic]:
        councils = CouncilRepository(self.session)
        topics: list[Topic] = []
        for council_id in sorted(council_ids):
            topics += await councils.topics(council_id, include_hidden=True)
        return topics

    def in_competence_window(self, question: Question, days: CouncilDays) -> bool:
        """Within the first working days after receipt, when the law asks the council to
        decide whether the question is its own to answer or to forward (APC art. 76); the days
        are its council's."""
        received = days.local_day(question.created_at, question.council_id)
        last = add_working_days(received, self.settings.forward_working_days)
        return days.today(question.council_id) <= last

    async def stats(self, council_ids: set[int], council_days: CouncilDays) -> Stats:
        rows = await self.questions.between(council_ids, None, None)
        by_status = Counter(str(question.status) for question, _ in rows)
        by_topic = Counter(topic.id for _, topic in rows)
        topics = {topic.id: topic for _, topic in rows}
        days = [day for q, _ in rows if (day := days_to_answer(q)) is not None]
        ratings = [q.rating for q, _ in rows if q.rating is not None]
        # The chart's weeks run in the deployment's zone (a superadmin sees several councils).
        today = self.clock.now().astimezone(self.settings.tz).date()
        return Stats(
            by_status={status.value: by_status.get(status.value, 0) for status in QuestionStatus},
            by_topic=[(topics[tid], count) for tid, count in by_topic.most_common()],
            median_days=statistics.median(days) if days else None,
            overdue=sum(1 for q, _ in rows if q.is_open and council_days.overdue(q)),
            rated=len(ratings),
            helpful=sum(1 for rating in ratings if rating > 0),
            extended=sum(1 for q, _ in rows if q.extended_at is not None),
            weeks=self._weeks([question for question, _ in rows], today),
            answer_days=days,
        )

    def _weeks(self, questions: list[Question], today: date) -> list[WeekCount]:
        first = today - timedelta(days=today.weekday(), weeks=CHART_WEEKS - 1)
        weeks: dict[date, Counter[str]] = {
            first + timedelta(weeks=i): Counter() for i in range(CHART_WEEKS)
        }
        for question in questions:
            day = question.created_at.astimezone(self.settings.tz).date()
            monday = day - timedelta(days=day.weekday())
            if monday in weeks:
                weeks[monday][question.status.value] += 1
        return [WeekCount(start, dict(counts)) for start, counts in weeks.items()]

    # -- internals -------------------------------------------------------------------------

    async def _transition(
        self,
        question: Question,
        staff: Staff,
        allowed,
        values: dict[str, object],
        action: str,
        detail: str | None,
        *,
        held_by: Sequence[int | None] | None = None,
    ) -> None:
        self.check_scope(question, staff)
        if not await self.questions.transition(question.id, allowed, values, held_by):
            current = await self.questions.get(question.id)
            assert current is not None
            if current.status in allowed and current.assigned_to is not None:
                holder = await UserRepository(self.session).get(current.assigned_to)
                name = holder.full_name if holder else str(current.assigned_to)
                raise QuestionError(CaseRefusal.HELD_BY_ANOTHER, name=name)
            raise QuestionError(status_refusal(current.status))
        await self.questions.get(question.id)
        await self._audit(question, staff.user_id, action, detail)

    async def _citizen_transition(
        self, question: Question, values: dict[str, object], action: str, detail: str | None
    ) -> None:
        """A change the citizen makes, if the question is still where it was when checked (a
        secretary may have taken it meanwhile): the first writer wins."""
        allowed = [question.status]
        if not await self.questions.transition(question.id, allowed, values):
            current = await self.questions.get(question.id)
            assert current is not None
            if current.objected_at is not None and action == "objected":
                raise QuestionError(QuestionRefusal.ALREADY_OBJECTED)
            raise QuestionError(citizen_status_refusal(current.status))
        await self.questions.get(question.id)
        await self._audit(question, question.citizen_id, action, detail)

    async def _council_tz(self, question: Question) -> ZoneInfo:
        council = await CouncilRepository(self.session).get(question.council_id)
        return ZoneInfo(council.timezone) if council is not None else self.settings.tz

    async def _audit(
        self, question: Question, actor_id: int | None, action: str, detail: str | None = None
    ) -> None:
        await self.questions.audit(
            AuditEntry(
                at=self.clock.now(),
                actor_id=actor_id,
                council_id=question.council_id,
                question_id=question.id,
                action=action,
                detail=detail,
            )
        )

    def _start_of_day(self, council: Council) -> datetime:
        tz = ZoneInfo(council.timezone)
        today = self.clock.now().astimezone(tz).date()
        return datetime.combine(today, time(0), tzinfo=tz)


def status_refusal(status: QuestionStatus) -> CaseRefusal:
    """Why a question in this status cannot go where a secretary asked."""
    return {
        QuestionStatus.NEW: CaseRefusal.NOT_TAKEN,
        QuestionStatus.IN_PROGRESS: CaseRefusal.ALREADY_IN_PROGRESS,
        QuestionStatus.ANSWERED: CaseRefusal.ALREADY_ANSWERED,
        QuestionStatus.REJECTED: CaseRefusal.ALREADY_REJECTED,
        QuestionStatus.FORWARDED: CaseRefusal.ALREADY_FORWARDED,
        QuestionStatus.WITHDRAWN: CaseRefusal.WITHDRAWN,
        QuestionStatus.REOPENED: CaseRefusal.REOPENED,
    }[status]


def citizen_status_refusal(status: QuestionStatus) -> QuestionRefusal:
    """Why the citizen can no longer withdraw or edit a question in this status."""
    return {
        QuestionStatus.IN_PROGRESS: QuestionRefusal.ALREADY_TAKEN,
        QuestionStatus.ANSWERED: QuestionRefusal.ALREADY_CLOSED,
        QuestionStatus.REJECTED: QuestionRefusal.ALREADY_CLOSED,
        QuestionStatus.FORWARDED: QuestionRefusal.ALREADY_CLOSED,
        QuestionStatus.WITHDRAWN: QuestionRefusal.WITHDRAWN,
    }.get(status, QuestionRefusal.NOT_NEW)


def parse_extension(text: str, due: date) -> date:
    """The new answer date: DD.MM.YYYY, or +N working days after `due` (N from 1 to 99)."""
    text = text.strip()
    if text.startswith("+"):
        days = parse_number(text[1:])
        if days is None or not 1 <= days <= 99:
            raise QuestionError(CaseRefusal.EXTENSION_BAD_DATE)
        return add_working_days(due, days)
    try:
        return datetime.strptime(text, "%d.%m.%Y").date()
    except ValueError:
        raise QuestionError(CaseRefusal.EXTENSION_BAD_DATE) from None


def check_answer(text: str | None, minimum: int = 1, maximum: int = MAX_TEXT) -> str:
    text = (text or "").strip()
    if visible_length(text) < minimum:
        raise QuestionError(CaseRefusal.EMPTY_ANSWER)
    if telegram_length(text) > maximum:
        raise QuestionError(CaseRefusal.TOO_LONG, maximum=maximum, length=telegram_length(text))
    return text


def days_to_answer(question: Question) -> float | None:
    """Calendar days from receipt to the answer, to one decimal."""
    if question.closed_at is None or question.status != QuestionStatus.ANSWERED:
        return None
    return round((question.closed_at - question.created_at) / timedelta(days=1), 1)
