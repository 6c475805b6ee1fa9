"""The full-text search index of questions (migration 0010): made and kept current by SQL of its
own — an FTS5 table and its shadow tables on SQLite, a tsvector table on PostgreSQL — so the
models do not describe it, and comparisons of the schema with the models leave it out."""

SEARCH_TABLE = "question_search"


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """For Alembic's `include_name`: everything but the search index's tables."""
    if type_ == "table" and name is not None:
        return not (name == SEARCH_TABLE or name.startswith(f"{SEARCH_TABLE}_"))
    return True
