"""Full-text search over questions: their text, answer or reason, and internal notes, through
the index migration 0010 keeps (db/search_index.py). Words reach the database as bound
parameters, built from letters and digits only (bot/services/search.py), each matched as a word
prefix: `жол` finds жол, жолдар, жолы."""

from collections.abc import Sequence

from sqlalchemy import Integer, Select, column, func, select, table, text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditEntry, Question
from db.search_index import SEARCH_TABLE

# SQLite: the FTS5 table, one row per question (rowid = question id).
_FTS = table(SEARCH_TABLE, column("rowid", Integer))
_FTS_MATCH = text(f"{SEARCH_TABLE} MATCH :match")
# PostgreSQL: one tsvector per question.
_DOCUMENTS = table(SEARCH_TABLE, column("question_id", Integer), column("document", TSVECTOR))
# PostgreSQL: matches read from the GIN index before deciding how to find the newest.
PROBE = 1000


def fts5_query(words: Sequence[str]) -> str:
    """Every word as a quoted prefix: FTS5's operators (AND, NEAR, -, *, parentheses) in a
    quoted string are only text, and the words hold no quotes."""
    return " ".join(f'"{word}"*' for word in words)


def tsquery(words: Sequence[str]) -> str:
    """Every word as a prefix, all of them required: `жол:* & абай:*`."""
    return " & ".join(f"{word}:*" for word in words)


class SearchRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def newest_matching(
        self, words: Sequence[str], council_ids: set[int] | None, limit: int
    ) -> list[Question]:
        """Up to `limit` questions, newest first, whose text, answer and notes together hold
        every word (as a prefix); of these councils only, or of all when None."""
        if self.session.get_bind().dialect.name == "postgresql":
            return await self._newest_postgresql(words, council_ids, limit)
        # FTS5 hands the matches over newest first (rowid descending) and the scan stops at
        # `limit`: a common word reads a few rows, a rare one its short list.
        query = (
            select(Question)
            .join(_FTS, _FTS.c.rowid == Question.id)
            .where(_FTS_MATCH.bindparams(match=fts5_query(words)))
            .order_by(_FTS.c.rowid.desc())
        )
        return await self._newest(query, council_ids, limit)

    async def _newest_postgresql(
        self, words: Sequence[str], council_ids: set[int] | None, limit: int
    ) -> list[Question]:
        """Two steps, because the planner cannot know how many documents a prefix matches.
        Walking the documents newest first and testing each stops early when the words are
        common, but reads every document (70-550 ms at 100 000 questions) when they match
        few; the GIN index lists few matches at once, but many slowly. So: up to PROBE
        matches from the index; when that is all of them, the newest of those; else, the
        words being common, the walk (bench/find.py)."""
        matches = _DOCUMENTS.c.document.op("@@")(func.to_tsquery("simple", tsquery(words)))
        probe = select(_DOCUMENTS.c.question_id).where(matches).limit(PROBE)
        found = list(await self.session.scalars(probe))
        if len(found) < PROBE:
            if not found:
                return []
            return await self._newest(
                select(Question).where(Question.id.in_(found)).order_by(Question.id.desc()),
                council_ids,
                limit,
            )
        walk = (
            select(Question)
            .join(_DOCUMENTS, _DOCUMENTS.c.question_id == Question.id)
            .where(matches)
            .order_by(_DOCUMENTS.c.question_id.desc())
        )
        return await self._newest(walk, council_ids, limit)

    async def _newest(
        self, query: Select[Question], council_ids: set[int] | None, limit: int
    ) -> list[Question]:
        if council_ids is not None:
            query = query.where(Question.council_id.in_(council_ids))
        return list(await self.session.scalars(query.limit(limit)))

    async def notes(self, question_ids: Sequence[int]) -> dict[int, list[str]]:
        """The internal notes of these questions, oldest first."""
        query = (
            select(AuditEntry.question_id, AuditEntry.detail)
            .where(AuditEntry.question_id.in_(question_ids), AuditEntry.action == "note")
            .order_by(AuditEntry.at, AuditEntry.id)
        )
        notes: dict[int, list[str]] = {}
        for question_id, detail in await self.session.execute(query):
            if question_id is not None and detail:
                notes.setdefault(question_id, []).append(detail)
        return notes
