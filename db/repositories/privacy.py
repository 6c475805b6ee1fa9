"""What the bot holds about one citizen (/my_data), and the SQL that erases it (/delete_me,
the retention job)."""

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    AuditEntry,
    Council,
    Event,
    EventStatus,
    EventVenue,
    Question,
    QuestionStatus,
    Registration,
    Subscription,
    Topic,
)
from db.repositories.events import ACTIVE_REGISTRATION

CONSENT_ACTIONS = ("consent_given", "consent_withdrawn", "data_erased", "data_deleted")
# Closed for good: nothing more will be done with them (a reopened question is open).
CLOSED_STATUSES = (
    QuestionStatus.ANSWERED,
    QuestionStatus.REJECTED,
    QuestionStatus.FORWARDED,
    QuestionStatus.WITHDRAWN,
)


class PersonalDataRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def consents(self, user_id: int) -> list[AuditEntry]:
        return list(
            await self.session.scalars(
                select(AuditEntry)
                .where(AuditEntry.actor_id == user_id, AuditEntry.action.in_(CONSENT_ACTIONS))
                .order_by(AuditEntry.at, AuditEntry.id)
            )
        )

    async def questions(self, user_id: int) -> list[tuple[Question, Council, Topic]]:
        rows = await self.session.execute(
            select(Question, Council, Topic)
            .join(Council, Council.id == Question.council_id)
            .join(Topic, Topic.id == Question.topic_id)
            .where(Question.citizen_id == user_id)
            .order_by(Question.created_at, Question.id)
        )
        return [(q, c, t) for q, c, t in rows.all()]

    async def histories(self, question_ids: Collection[int]) -> dict[int, list[AuditEntry]]:
        """These questions' histories, oldest first."""
        found: dict[int, list[AuditEntry]] = defaultdict(list)
        ids = list(question_ids)
        for start in range(0, len(ids), 500):  # within any database's bound-parameter limit
            entries = await self.session.scalars(
                select(AuditEntry)
                .where(AuditEntry.question_id.in_(ids[start : start + 500]))
                .order_by(AuditEntry.at, AuditEntry.id)
            )
            for entry in entries:
                assert entry.question_id is not None
                found[entry.question_id].append(entry)
        return found

    async def registrations(
        self, user_id: int
    ) -> list[tuple[Registration, Event, EventVenue, Council]]:
        rows = await self.session.execute(
            select(Registration, Event, EventVenue, Council)
            .join(Event, Event.id == Registration.event_id)
            .join(EventVenue, EventVenue.id == Registration.venue_id)
            .join(Council, Council.id == Event.council_id)
            .where(Registration.user_id == user_id)
            .order_by(Event.starts_at, Registration.id)
        )
        return [(r, e, v, c) for r, e, v, c in rows.all()]

    async def subscriptions(self, user_id: int) -> list[tuple[Subscription, Council]]:
        rows = await self.session.execute(
            select(Subscription, Council)
            .join(Council, Council.id == Subscription.council_id)
            .where(Subscription.user_id == user_id)
            .order_by(Subscription.id)
        )
        return [(s, c) for s, c in rows.all()]

    async def future_registrations(self, user_id: int, now: datetime) -> list[Registration]:
        """The citizen's registrations (with a place or waiting) for events still to come."""
        return list(
            await self.session.scalars(
                select(Registration)
                .join(Event, Event.id == Registration.event_id)
                .where(
                    Registration.user_id == user_id,
                    Registration.status.in_(ACTIVE_REGISTRATION),
                    Event.status != EventStatus.CANCELLED,
                    Event.starts_at > now,
                )
                .order_by(Registration.id)
            )
        )

    async def end_subscriptions(self, user_id: int, now: datetime) -> int:
        result = await self.session.execute(
            update(Subscription)
            .where(Subscription.user_id == user_id, Subscription.active.is_(True))
            .values(active=False, updated_at=now)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def anonymize_closed_before(self, cutoff: datetime) -> list[int]:
        """Make anonymous the named questions closed before `cutoff`. The conditional UPDATE is
        the claim: of two replicas running it at once, each question is returned to one."""
        closed = func.coalesce(Question.closed_at, Question.created_at)
        result = await self.session.execute(
            update(Question)
            .where(
                Question.anonymous.is_(False),
                Question.status.in_(CLOSED_STATUSES),
                closed < cutoff,
            )
            .values(anonymous=True)
            .returning(Question.id)
            .execution_options(synchronize_session=False)
        )
        return [row[0] for row in result]
