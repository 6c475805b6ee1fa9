"""The chairs' escalation digests and the superadmins' weekly summaries: what they read, and the
claims that make each be sent once (the job commits them)."""

from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import case, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only

from db.models import OPEN_STATUSES, Question, QuestionStatus, ReportSent, User


class ReportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def open_due_by(self, council_id: int, last_day: date) -> list[Question]:
        """The council's open questions due on or before `last_day`, soonest first."""
        query = (
            select(Question)
            .where(
                Question.council_id == council_id,
                Question.status.in_(OPEN_STATUSES),
                Question.due_date <= last_day,
            )
            .order_by(Question.due_date, Question.id)
        )
        return list(await self.session.scalars(query))

    async def users(self, user_ids: Collection[int]) -> dict[int, User]:
        if not user_ids:
            return {}
        rows = await self.session.scalars(select(User).where(User.id.in_(set(user_ids))))
        return {user.id: user for user in rows}

    async def answered_between(self, start: datetime, end: datetime) -> list[Question]:
        """Questions answered in [start, end), of every council."""
        query = select(Question).where(
            Question.status == QuestionStatus.ANSWERED,
            Question.closed_at >= start,
            Question.closed_at < end,
        )
        return list(await self.session.scalars(query))

    async def count_overdue(self, council_id: int, today: date) -> int:
        """The council's open questions whose answer date has passed."""
        query = select(func.count(Question.id)).where(
            Question.council_id == council_id,
            Question.status.in_(OPEN_STATUSES),
            Question.due_date < today,
        )
        return int(await self.session.scalar(query) or 0)

    async def received_and_answered(self, council_id: int) -> tuple[int, int]:
        """How many questions the council received, and how many of them it answered."""
        answered = func.sum(case((Question.status == QuestionStatus.ANSWERED, 1), else_=0))
        row = (
            await self.session.execute(
                select(func.count(Question.id), func.coalesce(answered, 0)).where(
                    Question.council_id == council_id
                )
            )
        ).one()
        return int(row[0]), int(row[1])

    async def answered_times(self, council_id: int) -> list[Question]:
        """The council's answered questions, with only what the time to answer needs."""
        query = (
            select(Question)
            .options(
                load_only(
                    Question.status,
                    Question.created_at,
                    Question.closed_at,
                    Question.due_date,
                    raiseload=True,
                )
            )
            .where(Question.council_id == council_id, Question.status == QuestionStatus.ANSWERED)
        )
        return list(await self.session.scalars(query))

    # -- claims ---------------------------------------------------------------------------

    def add_claim(self, kind: str, user_id: int, scope: int, period: date, now: datetime) -> None:
        self.session.add(
            ReportSent(kind=kind, user_id=user_id, scope=scope, period=period, claimed_at=now)
        )

    async def remove_claim(self, kind: str, user_id: int, scope: int, period: date) -> None:
        await self.session.execute(
            delete(ReportSent).where(
                ReportSent.kind == kind,
                ReportSent.user_id == user_id,
                ReportSent.scope == scope,
                ReportSent.period == period,
            )
        )
