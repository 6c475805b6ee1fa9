from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import ColumnElement, Table, and_, delete, false, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    OPEN_STATUSES,
    AuditEntry,
    Ban,
    Question,
    QuestionAttachment,
    QuestionCard,
    QuestionStatus,
    TicketCounter,
    Topic,
)
from db.repositories import affected

if TYPE_CHECKING:
    from bot.services.questions import InboxFilter

BAN_ACTIONS = ("banned", "unbanned")

# An audit line is written, never read back in the same session: a plain INSERT, built once,
# costs a third of adding an object and flushing it (every citizen's registration writes one).
_AUDIT = insert(cast(Table, AuditEntry.__table__))
_AUDIT_COLUMNS = ("at", "actor_id", "council_id", "question_id", "action", "detail")


class QuestionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def next_number(self, year: int) -> int:
        """Atomically take the next ticket number of the year (one upsert, no read-then-write)."""
        dialect = self.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = (
            insert(TicketCounter)
            .values(year=year, last_number=1)
            .on_conflict_do_update(
                index_elements=[TicketCounter.year],
                set_={"last_number": TicketCounter.last_number + 1},
            )
            .returning(TicketCounter.last_number)
        )
        return int((await self.session.execute(statement)).scalar_one())

    async def add(self, question: Question) -> Question:
        self.session.add(question)
        await self.session.flush()
        return question

    async def get(self, question_id: int) -> Question | None:
        return await self.session.get(Question, question_id, populate_existing=True)

    async def by_number(
        self, number: int, year: int | None, council_ids: set[int] | None
    ) -> list[Question]:
        query = select(Question).where(Question.number == number)
        if year is not None:
            query = query.where(Question.year == year)
        if council_ids is not None:
            query = query.where(Question.council_id.in_(council_ids))
        return list(await self.session.scalars(query.order_by(Question.year.desc())))

    async def by_draft_key(self, key: str) -> Question | None:
        return await self.session.scalar(select(Question).where(Question.draft_key == key))

    async def make_anonymous(self, citizen_id: int) -> list[Question]:
        """Make every question of the citizen anonymous; returns those that were not."""
        named = list(
            await self.session.scalars(
                select(Question).where(
                    Question.citizen_id == citizen_id, Question.anonymous.is_(False)
                )
            )
        )
        for question in named:
            question.anonymous = True
        await self.session.flush()
        return named

    async def add_attachment(self, attachment: QuestionAttachment) -> None:
        self.session.add(attachment)
        await self.session.flush()

    async def attachments(
        self, question_id: int, part: str = "question"
    ) -> list[QuestionAttachment]:
        """The files of a question ("question") or of its answer ("answer"), in order."""
        return list(
            await self.session.scalars(
                select(QuestionAttachment)
                .where(
                    QuestionAttachment.question_id == question_id, QuestionAttachment.part == part
                )
                .order_by(QuestionAttachment.position)
            )
        )

    async def count_attachments(self, question_ids: list[int], part: str) -> dict[int, int]:
        query = (
            select(QuestionAttachment.question_id, func.count(QuestionAttachment.id))
            .where(
                QuestionAttachment.question_id.in_(question_ids), QuestionAttachment.part == part
            )
            .group_by(QuestionAttachment.question_id)
        )
        return {
            question_id: int(count) for question_id, count in await self.session.execute(query)
        }

    async def followup_of(self, question_id: int) -> Question | None:
        return await self.session.scalar(select(Question).where(Question.parent_id == question_id))

    async def of_citizen(self, citizen_id: int, offset: int, limit: int) -> list[Question]:
        query = (
            select(Question)
            .where(Question.citizen_id == citizen_id)
            .order_by(Question.created_at.desc(), Question.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return list(await self.session.scalars(query))

    async def count_of_citizen(self, citizen_id: int) -> int:
        query = select(func.count(Question.id)).where(Question.citizen_id == citizen_id)
        return int(await self.session.scalar(query) or 0)

    async def count_open(self, citizen_id: int) -> int:
        query = select(func.count(Question.id)).where(
            Question.citizen_id == citizen_id, Question.status.in_(OPEN_STATUSES)
        )
        return int(await self.session.scalar(query) or 0)

    async def count_since(self, citizen_id: int, since: datetime) -> int:
        query = select(func.count(Question.id)).where(
            Question.citizen_id == citizen_id,
            Question.created_at >= since,
            Question.parent_id.is_(None),
        )
        return int(await self.session.scalar(query) or 0)

    async def open_for(
        self, council_ids: set[int], only: "InboxFilter", offset: int, limit: int
    ) -> list[Question]:
        query = (
            select(Question)
            .where(*_open_in(council_ids, only))
            .order_by(Question.due_date, Question.created_at, Question.id)
            .offset(offset)
            .limit(limit)
        )
        return list(await self.session.scalars(query))

    async def count_open_for(self, council_ids: set[int], only: "InboxFilter") -> int:
        query = select(func.count(Question.id)).where(*_open_in(council_ids, only))
        return int(await self.session.scalar(query) or 0)

    async def forwarded_from(self, question_id: int) -> Question | None:
        """The question another council got when this one was forwarded to it."""
        return await self.session.scalar(
            select(Question).where(Question.forwarded_from_id == question_id)
        )

    async def due_by(self, council_id: int, last_day: date) -> list[Question]:
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

    async def transition(
        self,
        question_id: int,
        allowed: Sequence[QuestionStatus],
        values: dict[str, Any],
        held_by: Sequence[int | None] | None = None,
    ) -> bool:
        """Change a question only if it is still in an allowed status (and, with `held_by`,
        still held by one of these, None for nobody): the first writer wins."""
        query = update(Question).where(Question.id == question_id, Question.status.in_(allowed))
        if held_by is not None:
            ids = [holder for holder in held_by if holder is not None]
            holders = [Question.assigned_to.in_(ids)] if ids else []
            if None in held_by:
                holders.append(Question.assigned_to.is_(None))
            query = query.where(or_(*holders))
        result = await self.session.execute(
            query.values(**values).execution_options(synchronize_session=False)
        )
        return bool(affected(result))

    async def release(self, council_id: int, user_id: int) -> list[Question]:
        """The council's open questions this secretary held, now held by nobody."""
        held = list(
            await self.session.scalars(
                select(Question).where(
                    Question.council_id == council_id,
                    Question.assigned_to == user_id,
                    Question.status.in_(OPEN_STATUSES),
                )
            )
        )
        if held:
            await self.session.execute(
                update(Question)
                .where(Question.id.in_([question.id for question in held]))
                .values(assigned_to=None, assigned_at=None)
                .execution_options(synchronize_session=False)
            )
        return held

    async def forget_cards_in(self, council_id: int, chat_id: int) -> None:
        """Stop keeping this council's cards in a private chat current (its secretary left)."""
        await self.session.execute(
            delete(QuestionCard).where(
                QuestionCard.chat_id == chat_id,
                QuestionCard.question_id.in_(
                    select(Question.id).where(Question.council_id == council_id)
                ),
            )
        )

    async def rate(self, question_id: int, rating: int, now: datetime) -> bool:
        result = await self.session.execute(
            update(Question)
            .where(
                Question.id == question_id,
                Question.status == QuestionStatus.ANSWERED,
                Question.rating.is_(None),
            )
            .values(rating=rating, rated_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(affected(result))

    async def between(
        self, council_ids: set[int], start: datetime | None, end: datetime | None
    ) -> list[tuple[Question, Topic]]:
        conditions: list[ColumnElement[bool]] = [Question.council_id.in_(council_ids)]
        if start is not None:
            conditions.append(Question.created_at >= start)
        if end is not None:
            conditions.append(Question.created_at < end)
        query = (
            select(Question, Topic)
            .join(Topic, Topic.id == Question.topic_id)
            .where(and_(*conditions))
            .order_by(Question.created_at, Question.id)
        )
        return [tuple(row) for row in (await self.session.execute(query)).all()]  # type: ignore[misc]

    # -- cards, bans, audit ---------------------------------------------------------------

    async def add_card(self, question_id: int, chat_id: int, message_id: int) -> None:
        self.session.add(
            QuestionCard(question_id=question_id, chat_id=chat_id, message_id=message_id)
        )
        await self.session.flush()

    async def by_card(self, chat_id: int, message_id: int) -> Question | None:
        query = (
            select(Question)
            .join(QuestionCard, QuestionCard.question_id == Question.id)
            .where(QuestionCard.chat_id == chat_id, QuestionCard.message_id == message_id)
        )
        return await self.session.scalar(query)

    async def cards(self, question_id: int) -> list[QuestionCard]:
        query = select(QuestionCard).where(QuestionCard.question_id == question_id)
        return list(await self.session.scalars(query))

    async def is_banned(self, council_id: int, user_id: int) -> bool:
        query = select(Ban.id).where(Ban.council_id == council_id, Ban.user_id == user_id)
        return await self.session.scalar(query) is not None

    async def ban(self, council_id: int, user_id: int, now: datetime) -> bool:
        if await self.is_banned(council_id, user_id):
            return False
        self.session.add(Ban(council_id=council_id, user_id=user_id, created_at=now))
        await self.session.flush()
        return True

    async def banned_through(self, question_id: int) -> bool:
        """Whether the author is banned through this ticket: its latest ban or unban says so."""
        query = (
            select(AuditEntry.action)
            .where(AuditEntry.question_id == question_id, AuditEntry.action.in_(BAN_ACTIONS))
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(1)
        )
        return await self.session.scalar(query) == "banned"

    async def banned_through_any(self, council_id: int, user_id: int) -> bool:
        """Whether any ticket of this citizen to this council still bans them."""
        query = (
            select(AuditEntry.question_id, AuditEntry.action)
            .join(Question, Question.id == AuditEntry.question_id)
            .where(
                Question.council_id == council_id,
                Question.citizen_id == user_id,
                AuditEntry.action.in_(BAN_ACTIONS),
            )
            .order_by(AuditEntry.at, AuditEntry.id)
        )
        latest = {question_id: action for question_id, action in await self.session.execute(query)}
        return "banned" in latest.values()

    async def unban(self, council_id: int, user_id: int) -> bool:
        ban = await self.session.scalar(
            select(Ban).where(Ban.council_id == council_id, Ban.user_id == user_id)
        )
        if ban is None:
            return False
        await self.session.delete(ban)
        await self.session.flush()
        return True

    async def audit(self, entry: AuditEntry) -> None:
        await self.session.flush()  # the question or event it names is written first
        values = {column: getattr(entry, column) for column in _AUDIT_COLUMNS}
        await self.session.execute(_AUDIT, values)

    async def history(self, question_id: int) -> list[AuditEntry]:
        query = (
            select(AuditEntry)
            .where(AuditEntry.question_id == question_id)
            .order_by(AuditEntry.at, AuditEntry.id)
        )
        return list(await self.session.scalars(query))


def _open_in(council_ids: set[int], only: "InboxFilter") -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        Question.council_id.in_(council_ids),
        Question.status.in_(OPEN_STATUSES),
    ]
    if only.holder is not None:
        conditions.append(Question.assigned_to == only.holder)
    if only.unassigned:
        conditions.append(Question.assigned_to.is_(None))
    if only.overdue_on is not None:
        conditions.append(
            or_(
                false(),
                *(
                    and_(Question.council_id == council_id, Question.due_date < today)
                    for council_id, today in only.overdue_on.items()
                ),
            )
        )
    if only.topic_ids is not None:
        conditions.append(Question.topic_id.in_(only.topic_ids))
    return conditions
