"""The audit log read back: a council's entries, newest first, with what names them."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditEntry, Event, Question, User


@dataclass(frozen=True)
class AuditRow:
    """An entry with its ticket (when it is about a question) and its actor's stored name."""

    entry: AuditEntry
    # The question it is about: year and number of its ticket, its author, whether anonymous.
    year: int | None
    number: int | None
    author_id: int | None
    anonymous: bool | None
    actor_name: str | None


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def latest(
        self,
        council_ids: Collection[int],
        *,
        since: datetime | None = None,
        question_id: int | None = None,
        limit: int,
    ) -> list[AuditRow]:
        """The newest `limit` entries of these councils (since a moment, or of one question),
        newest first; ix_audit_log_council_at serves the first, ix_audit_log_question the
        second."""
        query = (
            select(
                AuditEntry,
                Question.year,
                Question.number,
                Question.citizen_id,
                Question.anonymous,
                User.full_name,
            )
            .outerjoin(Question, Question.id == AuditEntry.question_id)
            .outerjoin(User, User.id == AuditEntry.actor_id)
            .where(*_conditions(council_ids, since, question_id))
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(limit)
        )
        return [AuditRow(*row) for row in (await self.session.execute(query)).all()]

    async def count(
        self,
        council_ids: Collection[int],
        *,
        since: datetime | None = None,
        question_id: int | None = None,
    ) -> int:
        query = select(func.count(AuditEntry.id)).where(
            *_conditions(council_ids, since, question_id)
        )
        return int(await self.session.scalar(query) or 0)

    async def names(self, user_ids: Collection[int]) -> dict[int, str]:
        """Stored names by user id (empty when none is kept)."""
        if not user_ids:
            return {}
        query = select(User.id, User.full_name).where(User.id.in_(user_ids))
        return {user_id: name for user_id, name in await self.session.execute(query)}

    async def events(self, event_ids: Collection[int]) -> dict[int, Event]:
        if not event_ids:
            return {}
        query = select(Event).where(Event.id.in_(event_ids))
        return {event.id: event for event in await self.session.scalars(query)}


def _conditions(
    council_ids: Collection[int], since: datetime | None, question_id: int | None
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [AuditEntry.council_id.in_(council_ids)]
    if since is not None:
        conditions.append(AuditEntry.at >= since)
    if question_id is not None:
        conditions.append(AuditEntry.question_id == question_id)
    return conditions
