"""Published answers: the questions a secretary published (with the citizen's consent) while
they stay answered, read for /faq and for the similar answers shown during /ask. Searched
through the index of migration 0013, whose published columns (migration 0014) hold only what is
published: the wording shown and the council's answer, never the original text or the notes."""

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    bindparam,
    column,
    func,
    select,
    table,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Question, QuestionStatus, Subscription, Topic
from db.repositories import affected
from db.search_index import SEARCH_TABLE

_FTS = table(SEARCH_TABLE, column("rowid", Integer))
_FTS_MATCH = text(f"{SEARCH_TABLE} MATCH :match")
# The published wording counts twice the answer.
_BM25 = text(f"bm25({SEARCH_TABLE}, 0, 0, 0, 2.0, 1.0)")
# ts_rank's normalisation 2: the rank divided by the document's length.
_RANK_BY_LENGTH = 2
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

    async def mark(self, question_id: int, values: dict[str, Any]) -> bool:
        """Publish (or change the published wording): only while the question is answered and
        its citizen allows it, checked in the UPDATE itself, so consent taken back a moment ago
        is never overrun."""
        result = await self.session.execute(
            update(Question)
            .where(
                Question.id == question_id,
                Question.status == QuestionStatus.ANSWERED,
                Question.publish_consent.is_(True),
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(affected(result))

    async def take_back_consent(self, question_id: int, citizen_id: int) -> bool:
        """The citizen's consent to publication withdrawn, and the question off /faq if it was
        there; False when it was not given (or is withdrawn already)."""
        result = await self.session.execute(
            update(Question)
            .where(
                Question.id == question_id,
                Question.citizen_id == citizen_id,
                Question.publish_consent.is_(True),
            )
            .values(publish_consent=False, published_at=None, published_by=None)
            .execution_options(synchronize_session=False)
        )
        return bool(affected(result))

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

    async def frequencies(self, terms: Sequence[str], cap: int) -> list[int]:
        """How many published answers hold each term (in their wording or answer), to choose
        the rarest to look for; no more than `cap` are counted. On SQLite counted by the index,
        stopping at `cap`; on PostgreSQL estimated from the statistics ANALYZE (autovacuum)
        keeps of the `published` column — the most common lexemes and the share of answers
        holding each — so that nothing is scanned: a term not among them is rare (guessed, as
        the planner guesses it, at half the lowest share listed), and without statistics yet
        every term counts 0 (all of them are looked for)."""
        if not terms:
            return []
        if self.session.get_bind().dialect.name == "postgresql":
            return await self._estimated(terms, cap)
        counts = [
            select(func.count())
            .select_from(
                select(_FTS.c.rowid)
                .where(
                    text(f"{SEARCH_TABLE} MATCH :match{index}").bindparams(
                        bindparam(f"match{index}", fts5_any([term]))
                    )
                )
                .limit(cap)
                .subquery()
            )
            .scalar_subquery()
            for index, term in enumerate(terms)
        ]
        row = (await self.session.execute(select(*counts))).one()
        return [int(count) for count in row]

    async def _estimated(self, terms: Sequence[str], cap: int) -> list[int]:
        row = (
            await self.session.execute(
                text(
                    "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, "
                    "s.null_frac, c.reltuples FROM pg_stats s JOIN pg_class c "
                    "ON c.relname = s.tablename AND c.relnamespace = s.schemaname::regnamespace "
                    "WHERE s.schemaname = current_schema() AND s.tablename = :table "
                    "AND s.attname = 'published'"
                ),
                {"table": SEARCH_TABLE},
            )
        ).first()
        if row is None or row[0] is None:
            return [0] * len(terms)
        lexemes, shares, null_share, rows = row
        published = max(0.0, float(rows)) * (1 - float(null_share))
        # After the lexemes' shares come the lowest and the highest; a lexeme not listed is
        # guessed at half the lowest, as the planner guesses it.
        unlisted = shares[len(lexemes)] / 2 if len(shares) > len(lexemes) else 0.0
        frequencies = []
        for term in terms:
            if term.endswith("*"):
                stem = term[:-1]
                share = sum(
                    f
                    for lexeme, f in zip(lexemes, shares, strict=False)
                    if lexeme.startswith(stem)
                )
            else:
                share = sum(
                    f for lexeme, f in zip(lexemes, shares, strict=False) if lexeme == term
                )
            share = min(1.0, share or unlisted)
            frequencies.append(min(cap, round(share * published)))
        return frequencies

    async def ranked(
        self,
        terms: Sequence[str],
        council_ids: set[int] | None,
        limit: int,
        looked_for: Sequence[str] | None = None,
        frequencies: Sequence[int] | None = None,
    ) -> list[Question]:
        """Up to `limit` published answers holding any of the terms `looked_for` (default:
        all of them) in their published wording or answer, the best first. SQLite: bm25 of the
        terms looked for (a rare term weighs more than a common one). PostgreSQL, by all the
        terms: ts_rank has no
        such weight, so the rank is the sum over the terms of each one's ts_rank (normalised
        by the answer's length, so a long answer repeating a common word does not win) times
        its rarity, from `frequencies` (how many answers hold each term, as `frequencies`
        returns them): log(1 + m / (frequency + 0.5)), m one more than the most frequent."""
        if not terms:
            return []
        looked_for = looked_for or terms
        if self.session.get_bind().dialect.name == "postgresql":
            wanted = func.to_tsquery("simple", tsquery_any(looked_for))
            counts = list(frequencies or [0] * len(terms))
            cap = max(counts) + 1
            document = _DOCUMENTS.c.published
            parts = [
                func.ts_rank(
                    document, func.to_tsquery("simple", tsquery_any([term])), _RANK_BY_LENGTH
                )
                * math.log(1 + cap / (count + 0.5))
                for term, count in zip(terms, counts, strict=True)
            ]
            rank = parts[0]
            for part in parts[1:]:
                rank = rank + part
            statement = (
                select(Question)
                .join(_DOCUMENTS, _DOCUMENTS.c.question_id == Question.id)
                .where(document.is_not(None), document.op("@@")(wanted), _published())
                .order_by(rank.desc(), Question.id.desc())
            )
        else:
            statement = (
                select(Question)
                .join(_FTS, _FTS.c.rowid == Question.id)
                .where(_FTS_MATCH.bindparams(match=fts5_any(looked_for)), _published())
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
