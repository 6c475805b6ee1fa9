"""Which failures the retry middleware takes up (bot/transient.py): those that pass by
themselves, and nothing that would fail the same way again."""

import sqlite3

import pytest
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendMessage
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from bot.transient import delay_before, is_transient

METHOD = SendMessage(chat_id=1, text="x")


class PostgresError(Exception):
    """As SQLAlchemy's asyncpg adapter shows a server error: with its SQLSTATE."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"error {sqlstate}")
        self.sqlstate = sqlstate


def db_error(orig: Exception, kind: type[DBAPIError] = OperationalError) -> DBAPIError:
    return kind("UPDATE something", {}, orig)


@pytest.mark.parametrize(
    "error",
    [
        db_error(sqlite3.OperationalError("database is locked")),
        db_error(PostgresError("40001")),  # serialization_failure
        db_error(PostgresError("40P01")),  # deadlock_detected
        db_error(PostgresError("08006")),  # connection_failure
        PoolTimeoutError("QueuePool limit of size 40 overflow 40 reached"),
        TelegramNetworkError(METHOD, "Request timeout error"),
        TelegramServerError(METHOD, "Bad Gateway"),
        TelegramRetryAfter(METHOD, "Too Many Requests: retry after 2", retry_after=2),
        RedisConnectionError("Connection refused"),
    ],
    ids=lambda error: type(error).__name__ + ":" + str(error)[:30],
)
def test_failures_that_pass_are_transient(error):
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        db_error(sqlite3.OperationalError("no such table: users")),
        db_error(sqlite3.IntegrityError("UNIQUE constraint failed"), IntegrityError),
        db_error(PostgresError("23505"), IntegrityError),  # unique_violation
        TelegramBadRequest(METHOD, "Bad Request: message is too long"),
        TelegramForbiddenError(METHOD, "Forbidden: bot was blocked by the user"),
        # A long flood wait is not held in an update's slot.
        TelegramRetryAfter(METHOD, "Too Many Requests: retry after 30", retry_after=30),
        ValueError("a bug"),
    ],
    ids=lambda error: type(error).__name__ + ":" + str(error)[:30],
)
def test_failures_that_would_repeat_are_not(error):
    assert not is_transient(error)


def test_the_wait_grows_and_honours_telegram():
    locked = db_error(sqlite3.OperationalError("database is locked"))
    waits = [delay_before(attempt, locked) for attempt in (1, 2, 3)]
    assert 0 < waits[0] <= 0.05 < waits[2] <= 0.45
    flood = TelegramRetryAfter(METHOD, "Too Many Requests: retry after 3", retry_after=3)
    assert delay_before(1, flood) == 3
