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
        query: Select[Question]
        if self.session.get_bind().dialect.name == "postgresql":
            query = (
                select(Question)
                .join(_DOCUMENTS, _DOCUMENTS.c.question_id == Question.id)
                .where(_DOCUMENTS.c.document.op("@@")(func.to_tsquery("simple", tsquery(words))))
                .order_by(_DOCUMENTS.c.question_id.desc())
            )
        else:
            query = (
                select(Question)
                .join(_FTS, _FTS.c.rowid == Question.id)
                .where(_FTS_MATCH.bindparams(match=fts5_query(words)))
                .order_by(_FTS.c.rowid.desc())
            )
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
