"""What happens to events on the clock: publication at the set time (announced to subscribers
once) and the reminders before the start; and the notices of changes and cancellations. All of
them are sent by the broadcast engine, at the bulk rate limit, each recipient in their language.

The database decides what is due and remembers what was done: an event is announced by whoever
first sets its `announced_at`, and a reminder is made by whoever first inserts its row in
`event_reminders` (unique per event, start time and lead time). So a restart neither repeats one
nor forgets one; a moved event gets reminders for its new time. When the bot was down past
several lead times, only the nearest reminder is sent; past the start, none is.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from aiogram.utils.i18n import I18n
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.config import LANGUAGES, MAX_LEAD_SECONDS, Settings
from bot.jobs.broadcaster import Broadcaster
from bot.services.events import Change, reminder_leads
from bot.views.event_cards import (
    announcement_text,
    cancelled_text,
    longest_announcement,
    notice_text,
    reminder_text,
)
from bot.views.notify import speaking
from db.models import (
    Broadcast,
    BroadcastKind,
    BroadcastStatus,
    Council,
    Event,
    EventReminder,
    EventStatus,
    EventVenue,
)
from db.repositories.councils import CouncilRepository
from db.repositories.events import EventRepository

logger = logging.getLogger(__name__)


def _texts(i18n: I18n, render: Callable[[str], str]) -> dict[str, str]:
    """Broadcast texts (text_kk, text_ru, text_en), each rendered in its language."""
    texts = {}
    for language in LANGUAGES:
        with speaking(i18n, language):
            texts[f"text_{language}"] = render(language)
    return texts


def event_broadcast(
    event: Event,
    kind: BroadcastKind,
    texts: dict[str, str],
    now: datetime,
    *,
    venue_id: int | None = None,
    progress: bool = False,
) -> Broadcast:
    """A broadcast about an event, due now; with `progress` its secretary watches it go out."""
    return Broadcast(
        council_id=event.council_id,
        kind=kind,
        event_id=event.id,
        venue_id=venue_id,
        created_by=event.created_by,
        status=BroadcastStatus.SCHEDULED,
        scheduled_at=now,
        created_at=now,
        progress_chat_id=event.created_by if progress else None,
        **texts,
    )


async def add_notice(
    session: AsyncSession,
    i18n: I18n,
    event: Event,
    council: Council,
    changes: list[Change],
    now: datetime,
) -> Broadcast | None:
    """Tell everyone registered or waiting that the event changed (or, when it is cancelled,
    that it is). None when nobody is registered."""
    repo = EventRepository(session)
    counts = await repo.registration_counts(event.id)
    if not any(count for (_, status), count in counts.items() if status != "cancelled"):
        return None
    venues = await repo.venues(event.id)
    if event.status == EventStatus.CANCELLED:
        texts = _texts(i18n, partial(cancelled_text, event, council))
    else:
        texts = _texts(i18n, partial(notice_text, event, venues, council, changes=changes))
    broadcast = event_broadcast(event, BroadcastKind.EVENT_NOTICE, texts, now)
    session.add(broadcast)
    await session.flush()
    return broadcast


class EventAnnouncer:
    """The words an edit or a cancellation needs (bot.services.events.Announcer), in every
    language."""

    def __init__(self, i18n: I18n) -> None:
        self.i18n = i18n

    def longest(self, event: Event, venues: list[EventVenue], council: Council) -> int:
        return longest_announcement(self.i18n, event, venues, council)

    async def notice(
        self,
        session: AsyncSession,
        event: Event,
        council: Council,
        changes: list[Change],
        now: datetime,
    ) -> Broadcast | None:
        return await add_notice(session, self.i18n, event, council, changes, now)


def _past_when_promised(event: Event, lead: int) -> bool:
    moment = event.starts_at - timedelta(seconds=lead)
    promised = [at for at in (event.announced_at, event.updated_at) if at is not None]
    return bool(promised) and moment <= max(promised)


class EventJobs:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        i18n: I18n,
        settings: Settings,
        clock: Clock,
        broadcaster: Broadcaster,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.i18n = i18n
        self.settings = settings
        self.clock = clock
        self.broadcaster = broadcaster

    async def run(self) -> None:
        """Announce what is due, make the reminders that are due, then hand them to the engine.
        Called by the scheduler every few seconds, and right after a secretary publishes. A
        failing step is logged and tried again at the next wake; the broadcasts go on."""
        for step in (self.publish_due, self.remind_due):
            try:
                await step()
            except Exception:
                logger.exception("event job %s failed; it runs again at the next wake", step)
        await self.broadcaster.tick()

    async def publish_due(self) -> int:
        now = self.clock.now()
        async with self.sessionmaker() as session:
            due = [event.id for event in await EventRepository(session).due_publications(now)]
        announced = 0
        for event_id in due:
            async with self.sessionmaker() as session:
                repo = EventRepository(session)
                if not await repo.claim_announcement(event_id, now):
                    continue
                event = await repo.get(event_id)
                assert event is not None
                if event.starts_at > now:
                    council = await CouncilRepository(session).get(event.council_id)
                    assert council is not None
                    venues = await repo.venues(event.id)
                    texts = _texts(self.i18n, partial(announcement_text, event, venues, council))
                    session.add(
                        event_broadcast(event, BroadcastKind.EVENT, texts, now, progress=True)
                    )
                    announced += 1
                else:
                    logger.info("event %s started before it could be announced", event_id)
                await session.commit()
        return announced

    async def remind_due(self) -> int:
        """Make the reminders whose time has come: one broadcast per venue with registrants."""
        now = self.clock.now()
        horizon = now + timedelta(seconds=MAX_LEAD_SECONDS)
        async with self.sessionmaker() as session:
            events = await EventRepository(session).starting_within(now, horizon)
        made = 0
        for event in events:
            leads = reminder_leads(event, self.settings.reminder_leads)
            due = [
                lead
                for lead in leads
                if event.starts_at - timedelta(seconds=lead) <= now
                # A lead already past when the event was published, or when it was last
                # edited (moved, reminders changed), was never promised
                # (services.events.upcoming_leads): it is not sent late either.
                and not _past_when_promised(event, lead)
            ]
            if not due:
                continue
            try:
                made += await self._remind(event, min(due), due)
            except IntegrityError:
                # Another tick or replica claimed it first: it is theirs to send.
                logger.info("reminder of event %s already claimed", event.id)
        return made

    async def _remind(self, event: Event, nearest: int, due: list[int]) -> int:
        now = self.clock.now()
        async with self.sessionmaker() as session:
            repo = EventRepository(session)
            claimed = await repo.reminder_leads_claimed(event.id, event.starts_at)
            if nearest in claimed:
                return 0
            for lead in sorted(set(due) - claimed, reverse=True):
                # Longer leads missed while the bot was down are recorded as not sent.
                await repo.claim_reminder(
                    EventReminder(
                        event_id=event.id,
                        starts_at=event.starts_at,
                        lead_seconds=lead,
                        sent=lead == nearest,
                        claimed_at=now,
                    )
                )
            council = await CouncilRepository(session).get(event.council_id)
            assert council is not None
            venues = await repo.venues_with_registered(event.id)
            for venue in venues:
                texts = _texts(self.i18n, partial(reminder_text, event, venue, council, now=now))
                session.add(
                    event_broadcast(event, BroadcastKind.REMINDER, texts, now, venue_id=venue.id)
                )
            await session.commit()
        return len(venues)
