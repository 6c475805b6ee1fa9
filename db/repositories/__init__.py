"""Repositories speak SQL; each takes the update's (or the job's) session and never commits."""

from typing import Any, cast

from sqlalchemy import CursorResult, Result


def affected(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (the session types every result as Result)."""
    return int(cast(CursorResult[Any], result).rowcount or 0)
