from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, TypeVar, cast

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    Table,
    and_,
    bindparam,
    func,
    insert,
    inspect,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import UTCDateTime
from db.engine import hold
from db.models import (
    AuditEntry,
    Broadcast,
    BroadcastKind,
    BroadcastStatus,
    Council,
    Delivery,
    Event,
    EventReminder,
    EventStatus,
    EventVenue,
    Registration,
    RegistrationStatus,
    User,
)
from db.repositories import affected

_Row = TypeVar("_Row", Event, Council, EventVenue)

ACTIVE_REGISTRATION = (RegistrationStatus.REGISTERED, RegistrationStatus.WAITING)
REGISTERED_ACTION = "event_registered"


# The statements a wave of presses runs thousands of times, built once (bound per call).
_REGISTRATION = (
    select(Registration)
    .where(
        Registration.event_id == bindparam("event_id"),
        Registration.user_id == bindparam("user_id"),
    )
    .execution_options(populate_existing=True)
)
_VENUES = (
    select(EventVenue)
    .where(EventVenue.event_id == bindparam("event_id"))
    .order_by(EventVenue.position)
)
_TAKE_PLACE = (
    update(EventVenue)
    .where(
        EventVenue.id == bindparam("venue_id"),
        or_(EventVenue.capacity.is_(None), EventVenue.taken < EventVenue.capacity),
    )
    .values(taken=EventVenue.taken + 1)
    .execution_options(synchronize_session=False)
)
_EVENT_WITH_COUNCIL = (
    select(Event, Council)
    .join(Council, Council.id == Event.council_id)
    .where(Event.id == bindparam("event_id"))
    .execution_options(populate_existing=True)
)
_REGISTERED_AUDIT = insert(cast(Table, AuditEntry.__table__))

# A citizen's first registration, checked and written in the statement itself: the event still
# open (published, public, not started) and, when the caller names the `updated_at` it has seen,
# unchanged since (so a press may act on an event read a few seconds ago); the venue one of the
# event's; no registration of the citizen's for the event yet. No row back: one of those failed.
_OPEN_VENUE = """
    FROM events AS e JOIN event_venues AS v ON v.event_id = e.id
    WHERE e.id = :event_id AND v.id = :venue_id AND e.status = :published
        AND e.publish_at <= :now AND e.starts_at > :now
        AND ({seen} IS NULL OR e.updated_at = :seen)
"""
_ENROL_PARAMETERS = (
    bindparam("event_id", type_=Integer),
    bindparam("venue_id", type_=Integer),
    bindparam("user_id", type_=BigInteger),  # Telegram ids pass 2**31
    bindparam("now", type_=UTCDateTime()),
    bindparam("seen", type_=UTCDateTime()),
    bindparam("published", value=EventStatus.PUBLISHED.value, type_=String),
    bindparam("registered", value=RegistrationStatus.REGISTERED.value, type_=String),
    bindparam("waiting", value=RegistrationStatus.WAITING.value, type_=String),
)

# SQLite writes one transaction at a time (db/sqlite_inline.py): the place read in the INSERT
# cannot change before this transaction's UPDATE takes it. Three statements, no ORM.
_ENROL_SQLITE = (
    text(
        """
        INSERT INTO registrations (event_id, venue_id, user_id, status, queued_at, updated_at)
        SELECT e.id, v.id, :user_id,
            CASE WHEN v.capacity IS NULL OR v.taken < v.capacity
                THEN :registered ELSE :waiting END,
            :now, :now
        """
        + _OPEN_VENUE.format(seen=":seen")
        + """
        ON CONFLICT (event_id, user_id) DO NOTHING
        RETURNING id, status
        """
    )
    .bindparams(*_ENROL_PARAMETERS)
    .columns(id=Integer, status=String)
)
_VENUES_TABLE = cast(Table, EventVenue.__table__)
_TAKE_PLACE_SQLITE = (
    update(_VENUES_TABLE)
    .where(
        _VENUES_TABLE.c.id == bindparam("venue_id"),
        or_(_VENUES_TABLE.c.capacity.is_(None), _VENUES_TABLE.c.taken < _VENUES_TABLE.c.capacity),
    )
    .values(taken=_VENUES_TABLE.c.taken + 1)
)

# On PostgreSQL every press of a wave updates the same venue row, and the row stays locked from
# that UPDATE until the transaction commits: the other presses wait for it. So the place, the
# registration and its audit entry are one statement there, and the lock is held for that
# statement and the COMMIT only. A registration made meanwhile by a second press of the same
# citizen breaks the unique constraint (IntegrityError).
_ENROL_POSTGRESQL = (
    text(
        """
        WITH open AS (
            SELECT v.id
        """
        + _OPEN_VENUE.format(seen="CAST(:seen AS TIMESTAMPTZ)")
        + """
                AND NOT EXISTS (
                    SELECT 1 FROM registrations
                    WHERE event_id = :event_id AND user_id = :user_id
                )
        ), taken AS (
            UPDATE event_venues SET taken = taken + 1
            WHERE id = (SELECT id FROM open) AND (capacity IS NULL OR taken < capacity)
            RETURNING id
        ), enrolled AS (
            INSERT INTO registrations (event_id, venue_id, user_id, status, queued_at, updated_at)
            SELECT :event_id, open.id, :user_id,
                CASE WHEN EXISTS (SELECT 1 FROM taken) THEN :registered ELSE :waiting END,
                :now, :now
            FROM open
            RETURNING id, status
        ), audited AS (
            INSERT INTO audit_log (at, actor_id, council_id, action, detail)
            SELECT :now, :user_id, :council_id, :action, CAST(:detail AS TEXT) || enrolled.status
            FROM enrolled
        )
        SELECT id, status FROM enrolled
        """
    )
    .bindparams(
        *_ENROL_PARAMETERS,
        bindparam("council_id", type_=Integer),
        bindparam("action", value=REGISTERED_ACTION, type_=String),
        bindparam("detail", type_=String),
    )
    .columns(id=Integer, status=String)
)

# How many wait at the venue (kept by triggers, migration 0016): read in the transaction that
# put a citizen on its waiting list, the citizen's number in it.
_WAITING_AT_VENUE = select(_VENUES_TABLE.c.waiting).where(
    _VENUES_TABLE.c.id == bindparam("venue_id")
)

_WAITING_PLACE = select(func.count(Registration.id)).where(
    Registration.venue_id == bindparam("venue_id"),
    Registration.status == RegistrationStatus.WAITING,
    or_(
        Registration.queued_at < bindparam("queued_at"),
        and_(
            Registration.queued_at == bindparam("queued_at"),
            Registration.id <= bindparam("registration_id"),
        ),
    ),
)


class Enrolled(NamedTuple):
    """A registration `EventRepository.enrol` made."""

    id: int
    status: RegistrationStatus
    # The number in the venue's waiting list; None with a place (and on PostgreSQL, where it
    # is counted after the commit).
    place: int | None


@dataclass(frozen=True)
class EventSnapshot:
    """An event as a citizen's press shows it: the event, its council and its venues, as
    copies that no session holds (they are read only, by any update, after the session that
    loaded them is gone)."""

    event: Event
    council: Council
    venues: tuple[EventVenue, ...]


def _copy(instance: _Row) -> _Row:
    mapper = inspect(type(instance))
    return type(instance)(
        **{column.key: getattr(instance, column.key) for column in mapper.column_attrs}
    )


def snapshot(event: Event, council: Council, venues: Iterable[EventVenue]) -> EventSnapshot:
    return EventSnapshot(_copy(event), _copy(council), tuple(_copy(venue) for venue in venues))


class EventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- events and venues -----------------------------------------------------------------

    async def add(self, event: Event, venues: list[EventVenue]) -> Event:
        self.session.add(event)
        await self.session.flush()
        for position, venue in enumerate(venues, start=1):
            venue.event_id = event.id
            venue.position = position
            venue.taken = 0
            self.session.add(venue)
        await self.session.flush()
        return event

    async def get(self, event_id: int) -> Event | None:
        return await self.session.get(Event, event_id, populate_existing=True)

    async def get_with_council(self, event_id: int) -> Event | None:
        """The event, with its council loaded in the same query: whoever shows the event needs
        the council too (names, time zone), and then finds it in the session."""
        row = (await self.session.execute(_EVENT_WITH_COUNCIL, {"event_id": event_id})).first()
        if row is None:
            return None
        event, council = row
        hold(self.session, council)
        return event

    async def venues(self, event_id: int) -> list[EventVenue]:
        return list(await self.session.scalars(_VENUES, {"event_id": event_id}))

    async def venue(self, venue_id: int) -> EventVenue | None:
        return await self.session.get(EventVenue, venue_id, populate_existing=True)

    async def of_councils(self, council_ids: Iterable[int], limit: int = 20) -> list[Event]:
        query = (
            select(Event)
            .where(Event.council_id.in_(list(council_ids)))
            .order_by(Event.starts_at.desc(), Event.id.desc())
            .limit(limit)
        )
        return list(await self.session.scalars(query))

    def _visible(self, now: datetime) -> list[Any]:
        """Published, public by now, and not over."""
        return [
            Event.status == EventStatus.PUBLISHED,
            Event.publish_at <= now,
            func.coalesce(Event.ends_at, Event.starts_at) > now,
        ]

    async def count_upcoming(self, council_ids: Iterable[int], now: datetime) -> int:
        query = select(func.count(Event.id)).where(
            Event.council_id.in_(list(council_ids)), *self._visible(now)
        )
        return int(await self.session.scalar(query) or 0)

    async def upcoming(
        self, council_ids: Iterable[int], now: datetime, offset: int, limit: int
    ) -> list[Event]:
        query = (
            select(Event)
            .where(Event.council_id.in_(list(council_ids)), *self._visible(now))
            .order_by(Event.starts_at, Event.id)
            .offset(offset)
            .limit(limit)
        )
        return list(await self.session.scalars(query))

    # -- the council's public page ---------------------------------------------------------

    async def venues_of(self, event_ids: Collection[int]) -> dict[int, list[EventVenue]]:
        """The venues of several events in one query, each event's in their order."""
        found: dict[int, list[EventVenue]] = {event_id: [] for event_id in event_ids}
        if not found:
            return found
        query = (
            select(EventVenue)
            .where(EventVenue.event_id.in_(list(found)))
            .order_by(EventVenue.event_id, EventVenue.position)
        )
        for venue in await self.session.scalars(query):
            found[venue.event_id].append(venue)
        return found

    async def in_calendar(self, council_id: int, since: datetime, now: datetime) -> list[Event]:
        """What a council's calendar feed holds: its events public by now that end after
        `since`, those cancelled after they were public too (so that calendars drop them)."""
        public = and_(Event.publish_at.is_not(None), Event.publish_at <= now)
        cancelled_when_public = and_(
            Event.status == EventStatus.CANCELLED, Event.publish_at <= Event.updated_at
        )
        query = (
            select(Event)
            .where(
                Event.council_id == council_id,
                public,
                or_(Event.status == EventStatus.PUBLISHED, cancelled_when_public),
                func.coalesce(Event.ends_at, Event.starts_at) > since,
            )
            .order_by(Event.starts_at, Event.id)
        )
        return list(await self.session.scalars(query))

    async def held(self, council_id: int, now: datetime) -> tuple[int, int]:
        """The council's published events that have started by now, and how many people came
        to them (over the venues with a figure)."""
        held = select(Event.id).where(
            Event.council_id == council_id,
            Event.status == EventStatus.PUBLISHED,
            Event.starts_at <= now,
        )
        count = await self.session.scalar(select(func.count()).select_from(held.subquery()))
        came = await self.session.scalar(
            select(func.coalesce(func.sum(EventVenue.attended), 0)).where(
                EventVenue.event_id.in_(held)
            )
        )
        return int(count or 0), int(came or 0)

    async def set_values(
        self, event_id: int, allowed: Sequence[EventStatus], **values: Any
    ) -> bool:
        """A conditional UPDATE: only while the event is in one of the `allowed` statuses."""
        result = await self.session.execute(
            update(Event)
            .where(Event.id == event_id, Event.status.in_(allowed))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(affected(result))

    # -- places and registrations ----------------------------------------------------------

    async def take_place(self, venue_id: int) -> bool:
        """Take a place at the venue if one is free: one conditional UPDATE, so two citizens can
        never both get the last place."""
        result = await self.session.execute(_TAKE_PLACE, {"venue_id": venue_id})
        return bool(affected(result))

    async def release_place(self, venue_id: int) -> None:
        await self.session.execute(
            update(EventVenue)
            .where(EventVenue.id == venue_id, EventVenue.taken > 0)
            .values(taken=EventVenue.taken - 1)
            .execution_options(synchronize_session=False)
        )

    async def promote_first(self, venue_id: int, now: datetime) -> Registration | None:
        """Give a freed place to the first citizen waiting at the venue, if any."""
        first = (
            select(Registration.id)
            .where(
                Registration.venue_id == venue_id,
                Registration.status == RegistrationStatus.WAITING,
            )
            .order_by(Registration.queued_at, Registration.id)
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        promoted_id = await self.session.scalar(
            update(Registration)
            .where(Registration.id == first, Registration.status == RegistrationStatus.WAITING)
            .values(status=RegistrationStatus.REGISTERED, updated_at=now)
            .returning(Registration.id)
            .execution_options(synchronize_session=False)
        )
        if promoted_id is None:
            return None
        return await self.session.get(Registration, promoted_id, populate_existing=True)

    async def registration(self, event_id: int, user_id: int) -> Registration | None:
        return await self.session.scalar(_REGISTRATION, {"event_id": event_id, "user_id": user_id})

    async def claim_registration(self, registration: Registration, now: datetime) -> bool:
        """Take the registration for a change if it is still as it was read (its status and
        venue): one conditional UPDATE, so that of two presses of the same citizen at once only
        the first changes it; the second finds it changed (False)."""
        result = await self.session.execute(
            update(Registration)
            .where(
                Registration.id == registration.id,
                Registration.status == registration.status,
                Registration.venue_id == registration.venue_id,
            )
            .values(updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(affected(result))

    async def enrol(
        self,
        event: Event,
        venue_id: int,
        user_id: int,
        now: datetime,
        seen: datetime | None = None,
    ) -> Enrolled | None:
        """A citizen's first registration for the event: a place at the venue if one is free,
        else its waiting list (on SQLite with the citizen's number in it, the last); audited as
        `event_registered`. None, writing nothing, when the event is no longer open, the venue
        not one of its, the citizen registered already, or (given `seen`, the `updated_at` the
        caller read) the event changed since. A second registration of the same citizen made
        at the same moment breaks the unique constraint (IntegrityError)."""
        values = {
            "event_id": event.id,
            "venue_id": venue_id,
            "user_id": user_id,
            "now": now,
            "seen": seen,
        }
        detail = f"event {event.id}: "
        if self.session.get_bind().dialect.name == "postgresql":
            values.update(council_id=event.council_id, detail=detail)
            row = (await self.session.execute(_ENROL_POSTGRESQL, values)).first()
            # The waiting count changes at the commit there (migration 0016): the number in
            # the waiting list is counted once committed (EventService.register).
            return None if row is None else Enrolled(row.id, RegistrationStatus(row.status), None)
        row = (await self.session.execute(_ENROL_SQLITE, values)).first()
        if row is None:
            return None
        status = RegistrationStatus(row.status)
        if status == RegistrationStatus.REGISTERED:
            taken = await self.session.execute(_TAKE_PLACE_SQLITE, {"venue_id": venue_id})
            if not affected(taken):  # cannot happen with one writer at a time
                raise RuntimeError(f"venue {venue_id}: a free place was gone within a write")
        place = await self._waiting_place_now(venue_id, status)
        await self.session.execute(
            _REGISTERED_AUDIT,
            {
                "at": now,
                "actor_id": user_id,
                "council_id": event.council_id,
                "question_id": None,
                "action": REGISTERED_ACTION,
                "detail": detail + status.value,
            },
        )
        return Enrolled(row.id, status, place)

    async def _waiting_place_now(self, venue_id: int, status: RegistrationStatus) -> int | None:
        """On SQLite, the number in the venue's waiting list of a registration this transaction
        just put last in it: how many wait there now (the trigger has counted it; one writer at
        a time, so no one joins between)."""
        if status != RegistrationStatus.WAITING:
            return None
        return int(await self.session.scalar(_WAITING_AT_VENUE, {"venue_id": venue_id}) or 0)

    async def waiting_place(self, registration: Registration) -> int:
        """1 for the first in the venue's waiting list (counts those ahead: for a registration
        made earlier; `enrol` tells a new one its number without counting)."""
        place = await self.session.scalar(
            _WAITING_PLACE,
            {
                "venue_id": registration.venue_id,
                "queued_at": registration.queued_at,
                "registration_id": registration.id,
            },
        )
        return int(place or 0)

    async def registration_counts(self, event_id: int) -> dict[tuple[int, str], int]:
        """(venue_id, status) → how many."""
        rows = await self.session.execute(
            select(Registration.venue_id, Registration.status, func.count(Registration.id))
            .where(Registration.event_id == event_id)
            .group_by(Registration.venue_id, Registration.status)
        )
        return {(venue_id, str(status)): count for venue_id, status, count in rows.all()}

    async def registrants(self, event_id: int) -> list[tuple[Registration, User]]:
        """Registered and waiting citizens, venue by venue, in the order they came."""
        rows = await self.session.execute(
            select(Registration, User)
            .join(User, User.id == Registration.user_id)
            .join(EventVenue, EventVenue.id == Registration.venue_id)
            .where(
                Registration.event_id == event_id,
                Registration.status.in_(ACTIVE_REGISTRATION),
            )
            .order_by(
                EventVenue.position,
                Registration.status,
                Registration.queued_at,
                Registration.id,
            )
        )
        return [(registration, user) for registration, user in rows.all()]

    # -- what the scheduler does -----------------------------------------------------------

    async def due_publications(self, now: datetime) -> list[Event]:
        query = select(Event).where(
            Event.status == EventStatus.PUBLISHED,
            Event.announced_at.is_(None),
            Event.publish_at <= now,
        )
        return list(await self.session.scalars(query.order_by(Event.publish_at, Event.id)))

    async def claim_announcement(self, event_id: int, now: datetime) -> bool:
        """Mark the event announced; False if someone (another tick, a replica) already did."""
        result = await self.session.execute(
            update(Event)
            .where(
                Event.id == event_id,
                Event.status == EventStatus.PUBLISHED,
                Event.announced_at.is_(None),
            )
            .values(announced_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(affected(result))

    async def starting_within(self, now: datetime, horizon: datetime) -> list[Event]:
        """Published events that have not started and start before `horizon`."""
        query = select(Event).where(
            Event.status == EventStatus.PUBLISHED,
            Event.publish_at <= now,
            Event.starts_at > now,
            Event.starts_at <= horizon,
        )
        return list(await self.session.scalars(query.order_by(Event.starts_at)))

    async def reminder_leads_claimed(self, event_id: int, starts_at: datetime) -> set[int]:
        rows = await self.session.scalars(
            select(EventReminder.lead_seconds).where(
                EventReminder.event_id == event_id, EventReminder.starts_at == starts_at
            )
        )
        return set(rows)

    async def claim_reminder(self, reminder: EventReminder) -> None:
        """Raises IntegrityError when the reminder was already claimed (a race)."""
        self.session.add(reminder)
        await self.session.flush()

    async def venues_with_registered(self, event_id: int) -> list[EventVenue]:
        has_registered = (
            select(Registration.id)
            .where(
                Registration.venue_id == EventVenue.id,
                Registration.status == RegistrationStatus.REGISTERED,
            )
            .exists()
        )
        query = select(EventVenue).where(EventVenue.event_id == event_id, has_registered)
        return list(await self.session.scalars(query.order_by(EventVenue.position)))

    async def stop_broadcasts(
        self, event_id: int, kinds: Sequence[BroadcastKind], now: datetime
    ) -> None:
        """Cancel the event's broadcasts of these kinds that have not started, and stop those
        that are running (the engine finishes the chunk in hand and reports)."""
        common = [Broadcast.event_id == event_id, Broadcast.kind.in_(kinds)]
        await self.session.execute(
            update(Broadcast)
            .where(*common, Broadcast.status == BroadcastStatus.SCHEDULED)
            .values(status=BroadcastStatus.CANCELLED, finished_at=now)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(
            update(Broadcast)
            .where(*common, Broadcast.status == BroadcastStatus.RUNNING)
            .values(status=BroadcastStatus.STOPPED)
            .execution_options(synchronize_session=False)
        )

    async def delivery_counts(self, event_id: int) -> dict[tuple[str, str], int]:
        """(broadcast kind, delivery status) → how many, over all the event's broadcasts."""
        rows = await self.session.execute(
            select(Broadcast.kind, Delivery.status, func.count(Delivery.id))
            .join(Delivery, Delivery.broadcast_id == Broadcast.id)
            .where(Broadcast.event_id == event_id)
            .group_by(Broadcast.kind, Delivery.status)
        )
        return {(str(kind), str(status)): count for kind, status, count in rows.all()}
