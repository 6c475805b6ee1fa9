"""Council events: who may do what, the checks on every input, registration with places and
waiting lists, what an edit changes, and the figures of the reach report.

Places are counted in `EventVenue.taken` and only ever changed by conditional UPDATEs (take a
place if one is free; give a freed place to the first in the waiting list, or release it), so the
count stays right when many citizens press "I will attend" at once.
"""

import html
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cache import EventSnapshots
from bot.clock import Clock
from bot.config import LANGUAGES, format_leads, parse_leads
from bot.numbers import parse_number
from bot.services.broadcasts import parse_when
from bot.services.councils import Staff, scope_of
from bot.services.errors import EventAdminRefusal, EventRefusal, Refused
from bot.services.paging import Page, page_of
from bot.services.transaction import transaction
from db.models import (
    AuditEntry,
    Broadcast,
    BroadcastKind,
    Council,
    DeliveryStatus,
    Event,
    EventStatus,
    EventVenue,
    Registration,
    RegistrationStatus,
    User,
)
from db.repositories.broadcasts import SubscriptionRepository
from db.repositories.councils import CouncilRepository
from db.repositories.events import (
    ACTIVE_REGISTRATION,
    REGISTERED_ACTION,
    Enrolled,
    EventRepository,
    snapshot,
)
from db.repositories.questions import QuestionRepository
from db.repositories.users import UserRepository

MAX_TITLE = 200
MAX_DESCRIPTION = 1500
MAX_VENUES = 30
MAX_VENUE_NAME = 150
MAX_ADDRESS = 250
MAX_CONTACT = 200
MAX_AUDIENCE = 300
MAX_REASON = 500
MAX_CAPACITY = 100_000
# Telegram's limit for a message: an announcement must fit in one.
MAX_MESSAGE = 4096
MAX_ATTENDED = 1_000_000
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[\d\s()\-]{5,}$")


class EventError(Refused):
    """A citizen's (EventRefusal) or a secretary's (EventAdminRefusal) request is refused."""


class VenueNeeded(Exception):
    """The event has several venues and the press named none: the citizen is asked which."""


@dataclass(frozen=True)
class VenueDraft:
    name: str
    address: str | None = None
    capacity: int | None = None


@dataclass
class EventDraft:
    council_id: int
    titles: dict[str, str]
    descriptions: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None = None
    venues: list[VenueDraft] = field(default_factory=list)
    contact_person: str | None = None
    contact_phones: str | None = None
    contact_email: str | None = None
    audiences: dict[str, str] = field(default_factory=dict)

    def build(self, status: EventStatus) -> tuple[Event, list[EventVenue]]:
        """The event and its venues as objects, not yet stored (also for the preview)."""
        event = Event(
            council_id=self.council_id,
            status=status,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            contact_person=self.contact_person,
            contact_phones=self.contact_phones,
            contact_email=self.contact_email,
        )
        for language in LANGUAGES:
            setattr(event, f"title_{language}", self.titles.get(language))
            setattr(event, f"description_{language}", self.descriptions.get(language))
            setattr(event, f"audience_{language}", self.audiences.get(language))
        venues = [
            EventVenue(
                position=position,
                name=venue.name,
                address=venue.address,
                capacity=venue.capacity,
                taken=0,
            )
            for position, venue in enumerate(self.venues, start=1)
        ]
        return event, venues


@dataclass(frozen=True)
class Change:
    """One thing an edit changed that registrants must be told."""

    what: str  # start | end | venue | text | contacts
    venue_position: int | None = None


@dataclass(frozen=True)
class Edited:
    event: Event
    # What registrants must be told of (a new capacity or reminders concern only the council).
    changes: list[Change]
    # Waiting citizens who got a place because the venue grew.
    promoted: list[Registration]
    # The notice to everyone registered, when there is anyone to tell and anything to tell.
    notice: Broadcast | None = None


# What an edit of one field did: what registrants must be told, who got a place.
FieldEdit = tuple[list[Change], list[Registration]]


class Announcer(Protocol):
    """What an edit or a cancellation needs of the words (bot/jobs/events.py gives it): how long
    the event's announcement is in its longest language, and a notice broadcast, in every
    language, to everyone registered or waiting (None when nobody is)."""

    def longest(self, event: Event, venues: list[EventVenue], council: Council) -> int: ...

    async def notice(
        self,
        session: AsyncSession,
        event: Event,
        council: Council,
        changes: list[Change],
        now: datetime,
    ) -> Broadcast | None: ...


@dataclass(frozen=True)
class Registered:
    registration: Registration
    venue: EventVenue
    # Place in the venue's waiting list; None when the citizen has a place.
    place: int | None
    already: bool = False
    # Moving from a full venue's place frees it for someone waiting there.
    promoted: Registration | None = None
    event: Event | None = None
    council: Council | None = None


@dataclass(frozen=True)
class VenueFigures:
    venue: EventVenue
    registered: int
    waiting: int


@dataclass(frozen=True)
class EventReport:
    event: Event
    venues: list[VenueFigures]
    announced: int
    delivered: int
    blocked: int
    failed: int
    reminders_sent: int

    @property
    def registered(self) -> int:
        return sum(figures.registered for figures in self.venues)

    @property
    def waiting(self) -> int:
        return sum(figures.waiting for figures in self.venues)

    @property
    def attended(self) -> int | None:
        """How many came, over the venues with a figure; None before any is recorded."""
        counts = [f.venue.attended for f in self.venues if f.venue.attended is not None]
        return sum(counts) if counts else None


class Stage(StrEnum):
    """Where an event stands, as a secretary's list shows it."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"  # published, its announcement still to go out
    PUBLISHED = "published"
    HELD = "held"  # published, and started by now
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class EventSummary:
    """One line of a secretary's list of events."""

    event: Event
    council: Council
    stage: Stage
    registered: int
    waiting: int


@dataclass(frozen=True)
class CitizenCard:
    """What a citizen's card of an event shows: the event, its council and venues, the
    citizen's registration if it is active (with the place in the waiting list when waiting),
    and whether "I will attend" can still be pressed."""

    event: Event
    council: Council
    venues: list[EventVenue]
    registration: Registration | None
    place: int | None
    open: bool


@dataclass(frozen=True)
class Promotion:
    """A waiting citizen got a freed place: what they are told about."""

    event: Event
    venue: EventVenue
    user: User
    council: Council


# -- checking what secretaries type ------------------------------------------------------------


def parse_moment(text: str, tz: ZoneInfo) -> datetime:
    """`06.02.2027 15:00` in the council's time zone. 31.02 and other impossible dates fail."""
    moment = parse_when(text, tz)
    if moment is None:
        raise EventError(EventAdminRefusal.BAD_TIME, example="06.02.2027 15:00")
    return moment


def check_title(title: str) -> str:
    return _one_line(title, MAX_TITLE)


def check_audience(text: str) -> str:
    """Who an event is for, in a line."""
    return _one_line(text, MAX_AUDIENCE)


def _one_line(text: str, maximum: int) -> str:
    text = _limited(text, maximum)
    if not text:
        raise EventError(EventAdminRefusal.EMPTY)
    return text


def check_description(description: str | None) -> str | None:
    if description is None or not description.strip():
        return None
    description = description.strip()
    if len(description) > MAX_DESCRIPTION:
        raise EventError(
            EventAdminRefusal.TOO_LONG, length=len(description), maximum=MAX_DESCRIPTION
        )
    return description


def _limited(text: str, maximum: int) -> str:
    text = " ".join(text.split())
    if len(text) > maximum:
        raise EventError(EventAdminRefusal.TOO_LONG, length=len(text), maximum=maximum)
    return text


def parse_capacity(text: str) -> int | None:
    """A number of places, or `-` / nothing for no limit."""
    text = text.strip()
    if text in ("", "-"):
        return None
    capacity = parse_number(text, MAX_CAPACITY)
    if not capacity:
        raise EventError(EventAdminRefusal.BAD_CAPACITY, maximum=MAX_CAPACITY)
    return capacity


def parse_venue(text: str) -> VenueDraft:
    """`Name | address | capacity`: the name is required, the others optional."""
    parts = [part.strip() for part in text.split("|")]
    if len(parts) > 3 or not parts[0]:
        raise EventError(EventAdminRefusal.BAD_VENUE)
    name = _limited(parts[0], MAX_VENUE_NAME)
    address = _limited(parts[1], MAX_ADDRESS) if len(parts) > 1 and parts[1] else None
    capacity = parse_capacity(parts[2]) if len(parts) > 2 else None
    return VenueDraft(name=name, address=address, capacity=capacity)


def parse_contacts(text: str) -> tuple[str | None, str | None, str | None]:
    """Person, phones and e-mail, in any order, separated by `|` or new lines: whatever looks
    like an e-mail is the e-mail, whatever looks like phone numbers the phones, the rest the
    person."""
    person, phones, email = [], [], None
    for part in re.split(r"[|\n]", text):
        part = " ".join(part.split())
        if not part:
            continue
        if "@" in part:
            if email is not None or not EMAIL.match(part):
                raise EventError(EventAdminRefusal.BAD_EMAIL)
            email = _limited(part, MAX_CONTACT)
        elif all(PHONE.match(phone.strip()) for phone in part.split(",")):
            phones.append(part)
        else:
            person.append(part)
    return (
        _limited(", ".join(person), MAX_CONTACT) if person else None,
        _limited(", ".join(phones), MAX_CONTACT) if phones else None,
        email,
    )


def check_times(starts_at: datetime, ends_at: datetime | None, now: datetime) -> None:
    if starts_at <= now:
        raise EventError(EventAdminRefusal.IN_THE_PAST)
    if ends_at is not None and ends_at <= starts_at:
        raise EventError(EventAdminRefusal.END_BEFORE_START)


def reminder_leads(event: Event, default: tuple[int, ...]) -> tuple[int, ...]:
    return parse_leads(event.reminders) if event.reminders is not None else default


def upcoming_leads(event: Event, default: tuple[int, ...], now: datetime) -> tuple[int, ...]:
    """The reminders still to come, longest lead first: those whose time is after `now`. This
    is what a citizen registering now is promised, and exactly what the reminder job will send
    them (it sends each lead to whoever is registered when its time comes); a lead already
    past — at publication, or after the event was moved — is neither promised nor sent."""
    return tuple(
        lead
        for lead in reminder_leads(event, default)
        if event.starts_at - timedelta(seconds=lead) > now
    )


def pick_language(event: Event, language: str, default_language: str) -> str:
    """The reader's language if the event has a title in it; else the council's; else any."""
    for candidate in (language, default_language, *LANGUAGES):
        if event.title(candidate):
            return candidate
    raise EventError(EventAdminRefusal.NO_TEXT)


class EventService:
    def __init__(
        self, session: AsyncSession, clock: Clock, snapshots: EventSnapshots | None = None
    ) -> None:
        self.session = session
        self.clock = clock
        self.events = EventRepository(session)
        self.snapshots = snapshots

    # -- secretaries -----------------------------------------------------------------------

    @transaction
    async def create(
        self, draft: EventDraft, staff: Staff, *, publish_at: datetime | None
    ) -> Event:
        """A draft (publish_at None) or an event published at `publish_at` (now or later)."""
        if not staff.can_act(draft.council_id):
            raise EventError(EventAdminRefusal.NOT_FOUND)
        if not any(draft.titles.get(language) for language in LANGUAGES):
            raise EventError(EventAdminRefusal.NO_TEXT)
        if not draft.venues:
            raise EventError(EventAdminRefusal.NO_VENUE)
        now = self.clock.now()
        check_times(draft.starts_at, draft.ends_at, now)
        if publish_at is not None:
            publish_at = self._check_publish_at(publish_at, draft.starts_at, now)
        event, venues = draft.build(
            EventStatus.DRAFT if publish_at is None else EventStatus.PUBLISHED
        )
        event.created_by = staff.user_id
        event.publish_at = publish_at
        event.created_at = event.updated_at = now
        await self.events.add(event, venues)
        await self._audit(event, staff.user_id, "event_created")
        if publish_at is not None:
            await self._audit(event, staff.user_id, "event_published")
        return event

    async def for_staff(self, event_id: int, staff: Staff) -> Event:
        """The event, if this staff member may act on it; otherwise "no such event" (another
        council's event is not revealed)."""
        event = await self.events.get(event_id)
        if event is None or not staff.can_act(event.council_id):
            raise EventError(EventAdminRefusal.NOT_FOUND)
        return event

    async def for_staff_with_council(self, event_id: int, staff: Staff) -> tuple[Event, Council]:
        """The event (as `for_staff`) and its council."""
        event = await self.for_staff(event_id, staff)
        return event, await self.council_of(event)

    async def overview(self, staff: Staff) -> list[EventSummary]:
        """The latest events of the councils a staff member acts for, with their registrations."""
        council_ids = await scope_of(self.session, staff)
        events = await self.events.of_councils(council_ids)
        if not events:
            return []
        councils = {c.id: c for c in await CouncilRepository(self.session).all()}
        now = self.clock.now()
        summaries = []
        for event in events:
            counts = await self.events.registration_counts(event.id)
            summaries.append(
                EventSummary(
                    event=event,
                    council=councils[event.council_id],
                    stage=_stage(event, now),
                    registered=sum(
                        n for (_, s), n in counts.items() if s == RegistrationStatus.REGISTERED
                    ),
                    waiting=sum(
                        n for (_, s), n in counts.items() if s == RegistrationStatus.WAITING
                    ),
                )
            )
        return summaries

    async def registrants(
        self, event: Event
    ) -> tuple[list[tuple[Registration, User]], list[EventVenue]]:
        """Everyone registered for or waiting for the event, with their users; and its venues."""
        return await self.events.registrants(event.id), await self.events.venues(event.id)

    @transaction
    async def publish(self, event_id: int, staff: Staff, at: datetime | None) -> Event:
        event = await self.for_staff(event_id, staff)
        if event.status != EventStatus.DRAFT:
            raise EventError(EventAdminRefusal.NOT_DRAFT)
        now = self.clock.now()
        publish_at = self._check_publish_at(at or now, event.starts_at, now)
        if not await self.events.set_values(
            event.id, [EventStatus.DRAFT], status=EventStatus.PUBLISHED, publish_at=publish_at
        ):
            raise EventError(EventAdminRefusal.NOT_DRAFT)
        await self._audit(event, staff.user_id, "event_published")
        refreshed = await self.events.get(event.id)
        assert refreshed is not None
        return refreshed

    def _check_publish_at(self, at: datetime, starts_at: datetime, now: datetime) -> datetime:
        if at < now - timedelta(seconds=5):
            raise EventError(EventAdminRefusal.IN_THE_PAST)
        if starts_at <= now:
            raise EventError(EventAdminRefusal.STARTED)
        if at >= starts_at:
            raise EventError(EventAdminRefusal.PUBLISH_AFTER_START)
        return max(at, now)

    @transaction
    async def edit(
        self,
        event_id: int,
        staff: Staff,
        what: str,
        value: str,
        tz: ZoneInfo,
        announcer: Announcer,
    ) -> Edited:
        """Change one thing: start, end, venue, capacity, text, contacts, reminders, audience."""
        event = await self.for_staff(event_id, staff)
        if event.status == EventStatus.CANCELLED:
            raise EventError(EventAdminRefusal.CANCELLED)
        now = self.clock.now()
        field = _FIELDS.get(what)
        if field is None:
            raise EventError(EventAdminRefusal.BAD_FIELD)
        changes, promoted = await field(self, event, value.strip(), tz, now)
        event.updated_at = now
        await self.session.flush()
        await self._audit(event, staff.user_id, "event_edited", what)
        if Change("start") in changes:
            # Reminders made for the old time are no longer right; new ones follow the new time.
            await self.events.stop_broadcasts(event.id, [BroadcastKind.REMINDER], now)
        council = await self.council_of(event)
        venues = list(await self.events.venues(event.id))
        longest = announcer.longest(event, venues, council)
        if longest > MAX_MESSAGE:
            raise EventError(EventAdminRefusal.TOO_LONG, length=longest, maximum=MAX_MESSAGE)
        notice = None
        if changes and event.status == EventStatus.PUBLISHED:
            notice = await announcer.notice(self.session, event, council, changes, now)
        return Edited(event, changes, promoted, notice)

    # -- one method per field an edit can change: (what registrants must be told, who got a
    #    place because a venue grew)

    async def _edit_start(
        self, event: Event, value: str, tz: ZoneInfo, now: datetime
    ) -> FieldEdit:
        if event.starts_at <= now:
            raise EventError(EventAdminRefusal.STARTED)
        starts_at = parse_moment(value, tz)
        # The end moves with the start: a moved two-day conference stays two days long.
        ends_at = event.ends_at + (starts_at - event.starts_at) if event.ends_at else None
        check_times(starts_at, ends_at, now)
        if event.publish_at is not None and event.publish_at >= starts_at:
            raise EventError(EventAdminRefusal.PUBLISH_AFTER_START)
        event.starts_at, event.ends_at = starts_at, ends_at
        return [Change("start")], []

    async def _edit_end(self, event: Event, value: str, tz: ZoneInfo, now: datetime) -> FieldEdit:
        ends_at = None if value in ("", "-") else parse_moment(value, tz)
        if ends_at is not None and ends_at <= event.starts_at:
            raise EventError(EventAdminRefusal.END_BEFORE_START)
        event.ends_at = ends_at
        return [Change("end")], []

    async def _venue_named(self, event: Event, value: str) -> tuple[EventVenue, str]:
        """`<venue number> <the rest>`: the venue, and the rest."""
        position, _, rest = value.partition(" ")
        venues = await self.events.venues(event.id)
        number = parse_number(position, len(venues))
        if not number:
            raise EventError(EventAdminRefusal.BAD_VENUE_NUMBER, count=len(venues))
        return venues[number - 1], rest

    async def _edit_venue(
        self, event: Event, value: str, tz: ZoneInfo, now: datetime
    ) -> FieldEdit:
        venue, rest = await self._venue_named(event, value)
        draft = parse_venue(rest)
        venue.name, venue.address = draft.name, draft.address
        promoted = []
        if len(rest.split("|")) > 2:
            promoted = await self._set_capacity(venue, draft.capacity)
        return [Change("venue", venue.position)], promoted

    async def _edit_capacity(
        self, event: Event, value: str, tz: ZoneInfo, now: datetime
    ) -> FieldEdit:
        venue, rest = await self._venue_named(event, value)
        return [], await self._set_capacity(venue, parse_capacity(rest))

    async def _edit_text(self, event: Event, value: str, tz: ZoneInfo, now: datetime) -> FieldEdit:
        language, _, text = value.partition(" ")
        if language not in LANGUAGES:
            raise EventError(EventAdminRefusal.BAD_LANGUAGE)
        title, _, description = text.strip().partition("\n")
        # A command carries plain text; descriptions are kept as Telegram HTML.
        description = html.escape(description, quote=False)
        setattr(event, f"title_{language}", check_title(title))
        setattr(event, f"description_{language}", check_description(description))
        return [Change("text")], []

    async def _edit_contacts(
        self, event: Event, value: str, tz: ZoneInfo, now: datetime
    ) -> FieldEdit:
        person, phones, email = parse_contacts(value)
        event.contact_person, event.contact_phones, event.contact_email = person, phones, email
        return [Change("contacts")], []

    async def _edit_reminders(
        self, event: Event, value: str, tz: ZoneInfo, now: datetime
    ) -> FieldEdit:
        try:
            leads = parse_leads(value) if value not in ("", "default") else None
        except ValueError:
            raise EventError(EventAdminRefusal.BAD_REMINDERS) from None
        event.reminders = None if leads is None else format_leads(leads)
        return [], []

    async def _edit_audience(
        self, event: Event, value: str, tz: ZoneInfo, now: datetime
    ) -> FieldEdit:
        """`kk teachers, young people` for one language's readers; `kk` or `kk -` removes it."""
        language, _, text = value.partition(" ")
        if language not in LANGUAGES:
            raise EventError(EventAdminRefusal.BAD_LANGUAGE)
        text = text.strip()
        setattr(event, f"audience_{language}", None if text in ("", "-") else check_audience(text))
        return [], []

    async def _set_capacity(self, venue: EventVenue, capacity: int | None) -> list[Registration]:
        """A new capacity; more places go to the waiting list in order. Fewer places than
        already given takes nobody's place away: the venue just takes no one new."""
        venue.capacity = capacity
        await self.session.flush()
        promoted = []
        while await self.events.take_place(venue.id):
            registration = await self.events.promote_first(venue.id, self.clock.now())
            if registration is None:
                await self.events.release_place(venue.id)
                break
            promoted.append(registration)
        return promoted

    @transaction
    async def cancel(
        self, event_id: int, staff: Staff, reason: str, announcer: Announcer
    ) -> Edited:
        """Cancel the event, stop its announcements and reminders, and tell everyone
        registered."""
        reason = " ".join(reason.split())
        if not reason:
            raise EventError(EventAdminRefusal.NO_REASON)
        if len(reason) > MAX_REASON:
            raise EventError(EventAdminRefusal.TOO_LONG, length=len(reason), maximum=MAX_REASON)
        event = await self.for_staff(event_id, staff)
        now = self.clock.now()
        if event.status == EventStatus.CANCELLED:
            raise EventError(EventAdminRefusal.CANCELLED)
        if (event.ends_at or event.starts_at) <= now:
            raise EventError(EventAdminRefusal.OVER)
        if not await self.events.set_values(
            event.id,
            [EventStatus.DRAFT, EventStatus.PUBLISHED],
            status=EventStatus.CANCELLED,
            cancel_reason=reason,
            updated_at=now,
        ):
            raise EventError(EventAdminRefusal.CANCELLED)
        await self.events.stop_broadcasts(
            event.id, [BroadcastKind.EVENT, BroadcastKind.REMINDER], now
        )
        await self._audit(event, staff.user_id, "event_cancelled", reason)
        refreshed = await self.events.get(event.id)
        assert refreshed is not None
        council = await self.council_of(refreshed)
        notice = await announcer.notice(self.session, refreshed, council, [], now)
        return Edited(refreshed, [], [], notice)

    @transaction
    async def record_attendance(self, event_id: int, staff: Staff, numbers: list[int]) -> Event:
        """How many came, one number per venue in their order."""
        event = await self.for_staff(event_id, staff)
        if event.status != EventStatus.PUBLISHED:
            raise EventError(EventAdminRefusal.NOT_HELD)
        if event.starts_at > self.clock.now():
            raise EventError(EventAdminRefusal.NOT_STARTED)
        venues = await self.events.venues(event.id)
        if len(numbers) != len(venues):
            raise EventError(EventAdminRefusal.ATTENDED_COUNT, count=len(venues))
        if any(not 0 <= number <= MAX_ATTENDED for number in numbers):
            raise EventError(EventAdminRefusal.BAD_NUMBER)
        for venue, number in zip(venues, numbers, strict=True):
            venue.attended = number
        await self.session.flush()
        await self._audit(event, staff.user_id, "event_attended", str(sum(numbers)))
        return event

    async def report(self, event_id: int, staff: Staff) -> EventReport:
        event = await self.for_staff(event_id, staff)
        venues = await self.events.venues(event.id)
        registrations = await self.events.registration_counts(event.id)
        deliveries = await self.events.delivery_counts(event.id)

        def delivered(kind: BroadcastKind, *statuses: DeliveryStatus) -> int:
            return sum(deliveries.get((kind.value, status.value), 0) for status in statuses)

        return EventReport(
            event=event,
            venues=[
                VenueFigures(
                    venue=venue,
                    registered=registrations.get((venue.id, RegistrationStatus.REGISTERED), 0),
                    waiting=registrations.get((venue.id, RegistrationStatus.WAITING), 0),
                )
                for venue in venues
            ],
            announced=delivered(BroadcastKind.EVENT, *DeliveryStatus),
            delivered=delivered(BroadcastKind.EVENT, DeliveryStatus.SENT),
            blocked=delivered(BroadcastKind.EVENT, DeliveryStatus.BLOCKED),
            failed=delivered(BroadcastKind.EVENT, DeliveryStatus.FAILED),
            reminders_sent=delivered(BroadcastKind.REMINDER, DeliveryStatus.SENT),
        )

    # -- citizens --------------------------------------------------------------------------

    async def visible(self, event_id: int) -> Event:
        """An event a citizen may see: published and public by now (cancelled ones too, so an
        old link says it was cancelled)."""
        event = await self.events.get_with_council(event_id)
        now = self.clock.now()
        if (
            event is None
            or event.status == EventStatus.DRAFT
            or event.publish_at is None
            or event.publish_at > now
        ):
            raise EventError(EventRefusal.NOT_AVAILABLE)
        return event

    async def upcoming(self, council_ids: Iterable[int], page: int) -> Page[Event]:
        """The councils' published events still to come, one a page, soonest first."""
        now = self.clock.now()
        total = await self.events.count_upcoming(council_ids, now)
        return await page_of(total, page, 1, partial(self.events.upcoming, council_ids, now))

    async def register(self, event_id: int, user_id: int, venue_id: int | None) -> Registered:
        """ "I will attend": a place at the venue, or the venue's waiting list when it is full.
        Choosing another venue moves the registration there."""
        try:
            result = await self._register(event_id, user_id, venue_id)
        except IntegrityError:
            # The same button pressed twice at once (two replicas) and the first press
            # registered; anything else (a venue removed meanwhile) is not "done already".
            if await self.events.registration(event_id, user_id) is None:
                raise
            raise EventError(EventRefusal.DONE_ALREADY) from None
        if result.registration.status == RegistrationStatus.WAITING and result.place is None:
            # Its number counted once committed: a registration made before or moved here, or
            # any on PostgreSQL, whose waiting counts change at the commit (migration 0016).
            place = await self.events.waiting_place(result.registration)
            result = replace(result, place=place)
        return result

    @transaction
    async def _register(self, event_id: int, user_id: int, venue_id: int | None) -> Registered:
        return await self._enrol_known(event_id, user_id, venue_id) or await self._register_read(
            event_id, user_id, venue_id
        )

    async def _enrol_known(
        self, event_id: int, user_id: int, venue_id: int | None
    ) -> Registered | None:
        """The press of a wave: a first registration for an event a press read a few seconds
        ago (EventSnapshots), in one write that checks the event is still open and unedited.
        None, having written nothing, for anything else (a second press, a changed event, a
        venue to choose): `_register_read` answers those."""
        known = self.snapshots.get(event_id) if self.snapshots is not None else None
        if known is None:
            return None
        venues: tuple[EventVenue, ...]
        if venue_id is None:
            venues = known.venues if len(known.venues) == 1 else ()
        else:
            venues = tuple(venue for venue in known.venues if venue.id == venue_id)
        if not venues:
            return None
        venue, event, now = venues[0], known.event, self.clock.now()
        enrolled = await self.events.enrol(event, venue.id, user_id, now, seen=event.updated_at)
        if enrolled is None:
            return None
        return Registered(
            self._registration(enrolled, event, venue, user_id, now),
            venue,
            enrolled.place,
            event=event,
            council=known.council,
        )

    async def _register_read(
        self, event_id: int, user_id: int, venue_id: int | None
    ) -> Registered:
        event = await self.visible(event_id)
        now = self.clock.now()
        if event.status == EventStatus.CANCELLED:
            raise EventError(EventRefusal.CANCELLED)
        if event.starts_at <= now:
            raise EventError(EventRefusal.REGISTRATION_CLOSED)
        venues = await self.events.venues(event.id)
        if self.snapshots is not None and event.status == EventStatus.PUBLISHED:
            self.snapshots.put(snapshot(event, await self.council_of(event), venues))
        if venue_id is None:
            if len(venues) != 1:
                raise VenueNeeded
            venue = venues[0]
        else:
            found = [v for v in venues if v.id == venue_id]
            if not found:
                raise EventError(EventRefusal.NOT_AVAILABLE)
            venue = found[0]
        registration = await self.events.registration(event.id, user_id)
        if registration is None:
            enrolled = await self.events.enrol(event, venue.id, user_id, now)
            if enrolled is None:
                # Since the reads a moment ago: the same citizen's other press registered (on
                # PostgreSQL; SQLite has one writer), or the event closed.
                if await self.events.registration(event.id, user_id) is not None:
                    raise EventError(EventRefusal.DONE_ALREADY)
                raise EventError(EventRefusal.REGISTRATION_CLOSED)
            registration = self._registration(enrolled, event, venue, user_id, now)
            return Registered(registration, venue, enrolled.place, event=event)
        promoted = None
        if registration.status in ACTIVE_REGISTRATION and registration.venue_id == venue.id:
            return Registered(registration, venue, None, already=True, event=event)
        # Someone registered before: their row changes. Claimed first, so that of two presses
        # of theirs at once only one acts; the other would take a second place.
        if not await self.events.claim_registration(registration, now):
            raise EventError(EventRefusal.DONE_ALREADY)
        if registration.status in ACTIVE_REGISTRATION:
            promoted = await self._leave(registration)
        status = (
            RegistrationStatus.REGISTERED
            if await self.events.take_place(venue.id)
            else RegistrationStatus.WAITING
        )
        registration.venue_id = venue.id
        registration.status = status
        registration.queued_at = now
        registration.updated_at = now
        await self.session.flush()
        await self._audit(event, user_id, REGISTERED_ACTION, status.value)
        return Registered(registration, venue, None, promoted=promoted, event=event)

    @staticmethod
    def _registration(
        enrolled: Enrolled,
        event: Event,
        venue: EventVenue,
        user_id: int,
        now: datetime,
    ) -> Registration:
        return Registration(
            id=enrolled.id,
            event_id=event.id,
            venue_id=venue.id,
            user_id=user_id,
            status=enrolled.status,
            queued_at=now,
            updated_at=now,
        )

    @transaction
    async def unregister(self, event_id: int, user_id: int) -> Registration | None:
        """Cancel a registration. Returns the registration of the waiting citizen who got the
        freed place, if any, so they can be told."""
        event = await self.events.get(event_id)
        registration = await self.events.registration(event_id, user_id)
        if event is None or registration is None or registration.status not in ACTIVE_REGISTRATION:
            raise EventError(EventRefusal.NOT_REGISTERED)
        if event.starts_at <= self.clock.now() and event.status == EventStatus.PUBLISHED:
            raise EventError(EventRefusal.REGISTRATION_CLOSED)
        promoted = await self._leave(registration)
        await self._audit(event, user_id, "event_unregistered")
        return promoted

    async def leave_all(
        self, registrations: list[Registration], user_id: int
    ) -> list[Registration]:
        """Cancel these registrations of one citizen as /cancel does (a freed place goes to the
        first waiting); part of the caller's unit of work (/delete_me). Returns the
        registrations of those who got a place, so they can be told."""
        promoted = []
        for registration in registrations:
            event = await self.events.get(registration.event_id)
            assert event is not None
            moved_up = await self._leave(registration)
            await self._audit(event, user_id, "event_unregistered")
            if moved_up is not None:
                promoted.append(moved_up)
        return promoted

    async def _leave(self, registration: Registration) -> Registration | None:
        had_place = registration.status == RegistrationStatus.REGISTERED
        registration.status = RegistrationStatus.CANCELLED
        registration.updated_at = self.clock.now()
        await self.session.flush()
        if not had_place:
            return None
        promoted = await self.events.promote_first(registration.venue_id, self.clock.now())
        if promoted is None:
            await self.events.release_place(registration.venue_id)
        return promoted

    async def seen_councils(self, user_id: int) -> set[int]:
        """The councils whose events a citizen sees in /events: those they subscribe to, or every
        council when they subscribe to none."""
        subscribed = await SubscriptionRepository(self.session).active_councils(user_id)
        return subscribed or {c.id for c in await CouncilRepository(self.session).all()}

    async def upcoming_for(self, user_id: int, page: int) -> Page[Event]:
        """`upcoming` of the councils a citizen sees."""
        return await self.upcoming(await self.seen_councils(user_id), page)

    async def find(self, event_id: int) -> Event | None:
        return await self.events.get(event_id)

    async def venues(self, event_id: int) -> list[EventVenue]:
        return await self.events.venues(event_id)

    async def event_of(self, registered: Registered) -> Event:
        """The event of a registration just made."""
        event = registered.event or await self.events.get(registered.registration.event_id)
        assert event is not None
        return event

    async def council_of_registered(self, registered: Registered) -> Council:
        return registered.council or await self.council_of(await self.event_of(registered))

    async def card(self, event: Event, user_id: int) -> CitizenCard:
        """What a citizen's card of the event shows (CitizenCard)."""
        council = await self.council_of(event)
        venues = await self.events.venues(event.id)
        registration = await self.events.registration(event.id, user_id)
        if registration is not None and registration.status not in ACTIVE_REGISTRATION:
            registration = None
        place = None
        if registration is not None and registration.status == RegistrationStatus.WAITING:
            place = await self.events.waiting_place(registration)
        is_open = event.status == EventStatus.PUBLISHED and event.starts_at > self.clock.now()
        return CitizenCard(event, council, venues, registration, place, is_open)

    async def calendar(self, event: Event, user_id: int) -> tuple[Council, list[EventVenue]]:
        """The event's council, and the venues its calendar file gives: the citizen's venue
        when they are registered, else every venue."""
        council = await self.council_of(event)
        venues = await self.events.venues(event.id)
        registration = await self.events.registration(event.id, user_id)
        if registration is not None and registration.status in ACTIVE_REGISTRATION:
            venues = [venue for venue in venues if venue.id == registration.venue_id]
        return council, venues

    async def promotion(self, registration: Registration) -> Promotion:
        """What a citizen who got a freed place is told about."""
        event = await self.events.get(registration.event_id)
        venue = await self.events.venue(registration.venue_id)
        user = await UserRepository(self.session).get(registration.user_id)
        assert event is not None and venue is not None and user is not None
        council = await self.council_of(event)
        return Promotion(event, venue, user, council)

    async def council_of(self, event: Event) -> Council:
        council = await CouncilRepository(self.session).get(event.council_id)
        assert council is not None
        return council

    async def _audit(
        self, event: Event, actor_id: int, action: str, detail: str | None = None
    ) -> None:
        await QuestionRepository(self.session).audit(
            AuditEntry(
                at=self.clock.now(),
                actor_id=actor_id,
                council_id=event.council_id,
                action=action,
                detail=f"event {event.id}" + (f": {detail}" if detail else ""),
            )
        )


def _stage(event: Event, now: datetime) -> Stage:
    if event.status == EventStatus.DRAFT:
        return Stage.DRAFT
    if event.status == EventStatus.CANCELLED:
        return Stage.CANCELLED
    if event.starts_at <= now:
        return Stage.HELD
    if event.announced_at is None:
        return Stage.SCHEDULED
    return Stage.PUBLISHED


# The fields /event_edit changes, each by its own method of EventService.
_FIELDS: dict[
    str, Callable[[EventService, Event, str, ZoneInfo, datetime], Awaitable[FieldEdit]]
] = {
    "start": EventService._edit_start,
    "end": EventService._edit_end,
    "venue": EventService._edit_venue,
    "capacity": EventService._edit_capacity,
    "text": EventService._edit_text,
    "contacts": EventService._edit_contacts,
    "reminders": EventService._edit_reminders,
    "audience": EventService._edit_audience,
}
