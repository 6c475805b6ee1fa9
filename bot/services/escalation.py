"""Escalation: what a council's chair is warned of every working day (its questions overdue or
due within one working day, and who holds each), and the superadmins' weekly numbers across
councils (answered, on time, overdue, median days). The rules only; bot/jobs/escalation.py
decides when and sends."""

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.questions import days_to_answer
from bot.services.workdays import add_working_days
from db.models import Council, Question
from db.repositories.reports import ReportRepository

# What reports_sent claims: a chair's digest for a council and day, a superadmin's summary for a
# week (scope ALL_COUNCILS).
ESCALATION = "escalation"
WEEKLY = "weekly"
ALL_COUNCILS = 0
# "Due within one working day": due today or on the next working day.
DUE_SOON_WORKING_DAYS = 1


def holder_id(question: Question) -> int | None:
    """Who holds an open question: the secretary it is assigned to (taking it assigns it to
    oneself; /assign to another)."""
    return question.assigned_to


@dataclass(frozen=True)
class Escalated:
    """One question in a chair's digest. Nothing about the citizen: the digest never names them."""

    ticket: str
    due_date: date
    holder: str | None  # the holder's name; None when nobody holds it
    # The answer period was extended (APC art. 76).
    extended: bool = False


@dataclass(frozen=True)
class Escalation:
    overdue: list[Escalated] = field(default_factory=list)
    due_soon: list[Escalated] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.overdue or self.due_soon)


@dataclass(frozen=True)
class CouncilWeek:
    """A council's week: questions answered in it and how many of them by their answer date,
    open questions overdue now, and the median calendar days from receipt to answer."""

    council: Council
    answered: int
    on_time: int
    overdue: int
    median_days: float | None


def summary_day(local: datetime, weekday: int, hour: int) -> date | None:
    """The weekly summary is due on `weekday` (0 = Monday) from `hour` on, local time: that day,
    or None at any other time (a summary missed on its day is not sent later in the week)."""
    if local.weekday() != weekday or local.hour < hour:
        return None
    return local.date()


def week_before(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The seven whole local days before `day`: from 00:00 a week earlier up to 00:00 of `day`."""
    end = datetime.combine(day, time(), tzinfo=zone)
    return end - timedelta(days=7), end


def answered_on_time(question: Question, zone: ZoneInfo) -> bool:
    assert question.closed_at is not None
    return question.closed_at.astimezone(zone).date() <= question.due_date


class EscalationService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.reports = ReportRepository(session)

    async def escalation(self, council_id: int, today: date) -> Escalation:
        """The council's open questions overdue or due by the next working day."""
        last_day = add_working_days(today, DUE_SOON_WORKING_DAYS)
        questions = await self.reports.open_due_by(council_id, last_day)
        holders = await self.reports.users(
            {held for question in questions if (held := holder_id(question)) is not None}
        )

        def escalated(question: Question) -> Escalated:
            held = holder_id(question)
            name = None
            if held is not None:
                holder = holders.get(held)
                name = holder.full_name if holder and holder.full_name else f"id {held}"
            return Escalated(
                question.ticket, question.due_date, name, question.extended_at is not None
            )

        return Escalation(
            overdue=[escalated(q) for q in questions if q.due_date < today],
            due_soon=[escalated(q) for q in questions if q.due_date >= today],
        )

    async def week(
        self, councils: list[Council], start: datetime, end: datetime, now: datetime
    ) -> list[CouncilWeek]:
        """Each council's numbers for answers given in [start, end) and overdue at `now`."""
        answered = await self.reports.answered_between(start, end)
        weeks = []
        for council in councils:
            zone = ZoneInfo(council.timezone)
            mine = [question for question in answered if question.council_id == council.id]
            days = [day for question in mine if (day := days_to_answer(question)) is not None]
            weeks.append(
                CouncilWeek(
                    council=council,
                    answered=len(mine),
                    on_time=sum(1 for question in mine if answered_on_time(question, zone)),
                    overdue=await self.reports.count_overdue(
                        council.id, now.astimezone(zone).date()
                    ),
                    median_days=statistics.median(days) if days else None,
                )
            )
        return weeks

    # -- claims: each report is claimed before it is sent, so it is sent once ---------------

    async def claim(
        self, kind: str, user_id: int, scope: int, period: date, now: datetime
    ) -> bool:
        """True if this report was not yet claimed, and is now (committed)."""
        self.reports.add_claim(kind, user_id, scope, period, now)
        try:
            await self.session.commit()
        except IntegrityError:
            await self.session.rollback()
            return False
        return True

    async def release(self, kind: str, user_id: int, scope: int, period: date) -> None:
        """Give a claim back: nothing reached the reader, and it may next time."""
        await self.reports.remove_claim(kind, user_id, scope, period)
        await self.session.commit()
