"""A council with something to show on its public page, written straight into the database:
events (to come, under way, held, cancelled, a draft, one not public yet), questions (answered
and published, answered and not published, one with HTML in it, one still open) by a citizen whose
name, username and id must never reach the page, and an internal note."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from bot.app import App
from db.models import (
    AuditEntry,
    Event,
    EventStatus,
    EventVenue,
    Question,
    QuestionStatus,
    Topic,
    User,
)

CITIZEN_ID = 700_123_456
CITIZEN_NAME = "Aigerim Zhaksylykova"
CITIZEN_USERNAME = "aigerim_private"
NOTE = "Internal note: call the akimat's roads department (Qwertynote)"

# Published: found by the search, shown on the page.
PUBLISHED_QUESTION = "When will the road to Kaskelen be repaired? The potholes are dangerous."
PUBLISHED_ANSWER = "The akimat will repair the Kaskelen road in May 2027; the contract is signed."
# What the citizen wrote; the published wording leaves the name out.
ORIGINAL_QUESTION = f"I am {CITIZEN_NAME}. {PUBLISHED_QUESTION}"
# Published, and holding HTML: shown as text.
HTML_QUESTION = "Why is <script>alert('x')</script> the bus <b>late</b> every morning?"
HTML_ANSWER = "The bus schedule changes on 1 December; <i>route 12</i> gets two more buses."
# Answered, allowed to be published, but not published: never on the page.
UNPUBLISHED_QUESTION = "Private matter about my neighbour's fence near Zhetysu street, Ulanfence."
UNPUBLISHED_ANSWER = "Please contact the district akimat about the fence (Ulanfence)."

EVENT_TITLE = "Round table on rural libraries"
EVENT_TITLE_RU = "Круглый стол о сельских библиотеках"
EVENT_TITLE_KK = "Ауылдық кітапханалар туралы дөңгелек үстел"
CANCELLED_TITLE = "Cancelled hearing on parking"
DRAFT_TITLE = "Draft meeting nobody may see"
LATER_TITLE = "Announced only next week"


@dataclass
class Seeded:
    council_id: int
    event_id: int
    cancelled_event_id: int
    draft_event_id: int
    published_ids: list[int]
    unpublished_id: int


async def seed(app: App) -> Seeded:
    now = app.clock.now()
    async with app.sessionmaker() as session:
        topic = await session.scalar(select(Topic).where(Topic.council_id == 1).limit(1))
        assert topic is not None
        session.add(
            User(
                id=CITIZEN_ID,
                full_name=CITIZEN_NAME,
                username=CITIZEN_USERNAME,
                language="en",
                first_seen=now,
                last_seen=now,
                consent_at=now,
            )
        )
        await session.flush()

        def question(
            number: int, text: str, answer: str | None, days: int, *, published: bool = False
        ) -> Question:
            created = now - timedelta(days=days)
            return Question(
                publish_consent=answer is not None,
                published_at=created + timedelta(days=3) if published else None,
                published_by=900_000_001 if published else None,
                year=2026,
                number=number,
                council_id=1,
                topic_id=topic.id,
                citizen_id=CITIZEN_ID,
                anonymous=False,
                text=text,
                status=QuestionStatus.ANSWERED if answer else QuestionStatus.NEW,
                created_at=created,
                due_date=(created + timedelta(days=21)).date(),
                closed_at=created + timedelta(days=2) if answer else None,
                resolution=answer,
            )

        published = [
            question(1, ORIGINAL_QUESTION, PUBLISHED_ANSWER, 10, published=True),
            question(2, HTML_QUESTION, HTML_ANSWER, 8, published=True),
        ]
        # The secretary took the name out of the published wording.
        published[0].published_text = PUBLISHED_QUESTION
        unpublished = question(3, UNPUBLISHED_QUESTION, UNPUBLISHED_ANSWER, 6)
        still_open = question(4, "A question still waiting for its answer, Openquest.", None, 1)
        # Answered late: its answer date was the day after it came.
        late = question(5, "Answered after its date, Latequest.", "Done, Latequest.", 30)
        late.due_date = date.fromordinal(late.created_at.date().toordinal() + 1)
        for each in [*published, unpublished, still_open, late]:
            session.add(each)
        await session.flush()
        session.add(
            AuditEntry(
                at=now,
                actor_id=900_000_001,
                council_id=1,
                question_id=published[0].id,
                action="note",
                detail=NOTE,
            )
        )

        def event(title: str, starts: datetime, status: EventStatus, **values) -> Event:
            return Event(
                council_id=1,
                created_by=900_000_001,
                title_en=title,
                description_en=values.pop("description", None),
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                status=status,
                publish_at=values.pop("publish_at", now - timedelta(days=1)),
                created_at=now - timedelta(days=2),
                updated_at=values.pop("updated_at", now - timedelta(days=2)),
                **values,
            )

        upcoming = event(
            EVENT_TITLE,
            now + timedelta(days=4),
            EventStatus.PUBLISHED,
            title_ru=EVENT_TITLE_RU,
            title_kk=EVENT_TITLE_KK,
            description="The Hearing State &amp; rural libraries.\n<b>Bring your questions.</b>",
            audience_en="librarians and readers",
            contact_person="Council office",
            contact_phones="+7 727 000 00 00",
        )
        cancelled = event(
            CANCELLED_TITLE,
            now + timedelta(days=6),
            EventStatus.CANCELLED,
            cancel_reason="the hall is closed",
            updated_at=now - timedelta(hours=3),
        )
        draft = event(DRAFT_TITLE, now + timedelta(days=5), EventStatus.DRAFT, publish_at=None)
        later = event(
            LATER_TITLE,
            now + timedelta(days=20),
            EventStatus.PUBLISHED,
            publish_at=now + timedelta(days=7),
        )
        held = event("A hearing held last week", now - timedelta(days=7), EventStatus.PUBLISHED)
        for each in (upcoming, cancelled, draft, later, held):
            session.add(each)
        await session.flush()
        session.add_all(
            [
                EventVenue(
                    event_id=upcoming.id,
                    position=1,
                    name="Central library",
                    address="10 Abay St",
                    capacity=40,
                    taken=3,
                ),
                EventVenue(event_id=upcoming.id, position=2, name="Rural library No. 2"),
                EventVenue(event_id=cancelled.id, position=1, name="Town hall"),
                EventVenue(event_id=draft.id, position=1, name="Somewhere"),
                EventVenue(event_id=later.id, position=1, name="Later hall"),
                EventVenue(event_id=held.id, position=1, name="Old hall", taken=30, attended=25),
                EventVenue(event_id=held.id, position=2, name="Other hall", taken=0, attended=13),
            ]
        )
        await session.commit()
        return Seeded(
            council_id=1,
            event_id=upcoming.id,
            cancelled_event_id=cancelled.id,
            draft_event_id=draft.id,
            published_ids=[q.id for q in published],
            unpublished_id=unpublished.id,
        )
