"""Published answers: the questions a secretary published (with the citizen's consent) while
they stay answered, read for /faq and for the similar answers shown during /ask. Searched
through the index of migration 0013, whose published columns (migration 0014) hold only what is
published: the wording shown and the council's answer, never the original text or the notes."""

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Integer, Select, column, func, select, table, text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Question, QuestionStatus, Subscription, Topic
from db.search_index import SEARCH_TABLE

_FTS = table(SEARCH_TABLE, column("rowid", Integer))
_FTS_MATCH = text(f"{SEARCH_TABLE} MATCH :match")
# The published wording counts twice the answer.
_BM25 = text(f"bm25({SEARCH_TABLE}, 0, 0, 0, 2.0, 1.0)")
_DOCUMENTS = table(SEARCH_TABLE, column("question_id", Integer), column("published", TSVECTOR))


def fts5_any(terms: Sequence[str]) -> str:
    """Any term, in the published columns only: `{pub_question pub_answer} : ("дорог"* OR
    "12")`. Terms are letters and digits (a prefix ends in *), quoted, so never syntax."""
    phrases = " OR ".join(
        f'"{term[:-1]}"*' if term.endswith("*") else f'"{term}"' for term in terms
    )
    return f"{{pub_question pub_answer}} : ({phrases})"


def tsquery_any(terms: Sequence[str]) -> str:
    """Any term: `дорог:* | 12`."""
    return " | ".join(f"{term[:-1]}:*" if term.endswith("*") else term for term in terms)


def _published() -> ColumnElement[bool]:
    return Question.published_at.is_not(None) & (Question.status == QuestionStatus.ANSWERED)


class PublishedRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, question_id: int) -> Question | None:
        """The question, if it is published now."""
        return await self.session.scalar(
            select(Question).where(Question.id == question_id, _published())
        )

    async def councils_of(self, citizen_id: int) -> set[int]:
        """The councils a citizen has asked or is subscribed to."""
        asked = select(Question.council_id).where(Question.citizen_id == citizen_id)
        subscribed = select(Subscription.council_id).where(
            Subscription.user_id == citizen_id, Subscription.active.is_(True)
        )
        return set(await self.session.scalars(asked.union(subscribed)))

    async def topics(self, council_ids: set[int] | None) -> list[tuple[Topic, int]]:
        """The topics with published answers, with how many, in the councils' topic order."""
        query = (
            select(Topic, func.count(Question.id))
            .join(Question, Question.topic_id == Topic.id)
            .where(_published())
            .group_by(Topic.id)
            .order_by(Topic.council_id, Topic.position, Topic.id)
        )
        if council_ids is not None:
            query = query.where(Question.council_id.in_(council_ids))
        return [(topic, count) for topic, count in await self.session.execute(query)]

    async def count(self, council_ids: set[int] | None, topic_id: int | None) -> int:
        query = select(func.count(Question.id)).where(_published())
        return int(await self.session.scalar(self._scoped(query, council_ids, topic_id)) or 0)

    async def newest(
        self, council_ids: set[int] | None, topic_id: int | None, offset: int, limit: int
    ) -> list[Question]:
        """Published answers, the most recently published first."""
        query = (
            select(Question)
            .where(_published())
            .order_by(Question.published_at.desc(), Question.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return list(await self.session.scalars(self._scoped(query, council_ids, topic_id)))

    async def ranked(
        self, terms: Sequence[str], council_ids: set[int] | None, limit: int
    ) -> list[Question]:
        """Up to `limit` published answers holding any of the terms in their published wording
        or answer, the best first (bm25 on SQLite, ts_rank on PostgreSQL)."""
        if not terms:
            return []
        if self.session.get_bind().dialect.name == "postgresql":
            query = func.to_tsquery("simple", tsquery_any(terms))
            document = _DOCUMENTS.c.published
            statement = (
                select(Question)
                .join(_DOCUMENTS, _DOCUMENTS.c.question_id == Question.id)
                .where(document.is_not(None), document.op("@@")(query), _published())
                .order_by(func.ts_rank(document, query).desc(), Question.id.desc())
            )
        else:
            statement = (
                select(Question)
                .join(_FTS, _FTS.c.rowid == Question.id)
                .where(_FTS_MATCH.bindparams(match=fts5_any(terms)), _published())
                .order_by(_BM25, Question.id.desc())
            )
        return list(
            await self.session.scalars(self._scoped(statement, council_ids, None).limit(limit))
        )

    @staticmethod
    def _scoped(query: Select, council_ids: set[int] | None, topic_id: int | None) -> Select:
        if council_ids is not None:
            query = query.where(Question.council_id.in_(council_ids))
        if topic_id is not None:
            query = query.where(Question.topic_id == topic_id)
        return query
