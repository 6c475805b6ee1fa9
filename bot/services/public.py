"""What anyone may read about a council on its public page (bot/web): its events still to come,
its calendar, its published answers and its figures. Nothing here names a citizen: events are the
council's own announcements, answers are what the council published (bot/services/publication.py),
figures are counts."""

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.services.councils import council_zone
from bot.services.escalation import answered_on_time
from bot.services.publication import PublicationService
from bot.services.questions import days_to_answer
from db.models import Council, Event, EventVenue, Topic
from db.repositories.councils import CouncilRepository
from db.repositories.events import EventRepository
from db.repositories.published import PublishedRepository
from db.repositories.reports import ReportRepository

# Events listed on the page, soonest first.
UPCOMING_SHOWN = 20
# Published answers listed, newest first; found by a search, best first.
ANSWERS_SHOWN = 20
ANSWERS_FOUND = 20
# A calendar feed keeps past events this long, so a calendar does not lose what was held.
CALENDAR_PAST = timedelta(days=90)


@dataclass(frozen=True)
class PublicEvent:
    event: Event
    venues: list[EventVenue]


@dataclass(frozen=True)
class PublicAnswer:
    """A published answer as anyone may read it: the published wording of the question (the
    secretary's edited one, else the citizen's own), the answer, the topic and the day it was
    published. No ticket, no name."""

    question: str
    answer: str
    topic: Topic
    published_at: datetime


@dataclass(frozen=True)
class CouncilFigures:
    received: int
    answered: int
    # Answered by the answer date (an extended one counts as the new date, APC art. 76).
    on_time: int
    median_days: float | None
    events_held: int
    # How many came to the events held, as the secretaries recorded it.
    reached: int


class PublicService:
    def __init__(self, session: AsyncSession, settings: Settings, clock: Clock) -> None:
        self.session = session
        self.settings = settings
        self.clock = clock
        self.councils = CouncilRepository(session)
        self.events = EventRepository(session)
        self.reports = ReportRepository(session)
        self.published = PublishedRepository(session)

    async def all_councils(self) -> list[Council]:
        return await self.councils.all()

    async def council(self, council_id: int) -> Council | None:
        return await self.councils.get(council_id)

    async def upcoming(self, council: Council) -> list[PublicEvent]:
        """Published events still to come (or under way), soonest first."""
        events = await self.events.upcoming([council.id], self.clock.now(), 0, UPCOMING_SHOWN)
        return await self._with_venues(events)

    async def calendar(self, council: Council) -> list[PublicEvent]:
        """The calendar feed: events public by now, from CALENDAR_PAST ago on, cancelled ones
        among them (a calendar app removes those)."""
        now = self.clock.now()
        events = await self.events.in_calendar(council.id, now - CALENDAR_PAST, now)
        return await self._with_venues(events)

    async def event(self, council: Council, event_id: int) -> PublicEvent | None:
        """One event of the calendar feed, for its own file; None if it is not public."""
        now = self.clock.now()
        for event in await self.events.in_calendar(council.id, now - CALENDAR_PAST, now):
            if event.id == event_id:
                return PublicEvent(event, await self.events.venues(event.id))
        return None

    async def answers(self, council: Council, query: str) -> list[PublicAnswer]:
        """The council's published answers, the newest first; with `query`, those closest to
        its words, the best first (the same search as /faq and the similar answers)."""
        if query:
            publication = PublicationService(self.session, self.settings, self.clock)
            questions = await publication.search_in({council.id}, query, ANSWERS_FOUND)
        else:
            questions = await self.published.newest({council.id}, None, 0, ANSWERS_SHOWN)
        topics = {
            topic.id: topic
            for topic in await self.councils.topics(council.id, include_hidden=True)
        }
        return [
            PublicAnswer(
                question=question.public_text,
                answer=question.resolution or "",
                topic=topics[question.topic_id],
                published_at=question.published_at,
            )
            for question in questions
            if question.published_at is not None
        ]

    async def figures(self, council: Council) -> CouncilFigures:
        received, answered = await self.reports.received_and_answered(council.id)
        questions = await self.reports.answered_times(council.id)
        zone = council_zone(council)
        days = [day for question in questions if (day := days_to_answer(question)) is not None]
        held, reached = await self.events.held(council.id, self.clock.now())
        return CouncilFigures(
            received=received,
            answered=answered,
            on_time=sum(1 for question in questions if answered_on_time(question, zone)),
            median_days=statistics.median(days) if days else None,
            events_held=held,
            reached=reached,
        )

    async def _with_venues(self, events: list[Event]) -> list[PublicEvent]:
        venues = await self.events.venues_of([event.id for event in events])
        return [PublicEvent(event, venues[event.id]) for event in events]
