"""Which failures pass if the same work is tried again a moment later, and how long to wait.

Transient: SQLite's "database is locked", a connection pool that had no connection free in
time, PostgreSQL's serialization failures and deadlocks, a lost database connection, a network
error or a 5xx from Telegram, Telegram's "too many requests", and a Redis that did not answer.
Everything else (a bug, a 400 from Telegram, a blocked bot, a violated constraint) fails the
same way every time: retrying it would only repeat the failure.
"""

import random

from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

# SQLSTATE classes and codes that say "try again": serialization_failure, deadlock_detected,
# and the connection exceptions (08xxx), among them a server that restarted.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
SQLITE_BUSY_MESSAGES = ("database is locked", "database table is locked", "database is busy")
# Telegram's "retry after N seconds" is waited out only when N is this short; a longer flood
# wait is not held in an update's slot (the user is told to try again instead).
MAX_RETRY_AFTER_SECONDS = 5.0


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, TelegramRetryAfter):
        return exc.retry_after <= MAX_RETRY_AFTER_SECONDS
    if isinstance(exc, TelegramNetworkError | TelegramServerError | PoolTimeoutError):
        return True
    if isinstance(exc, RedisConnectionError | RedisTimeoutError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        message = str(exc.orig).lower()
        if any(busy in message for busy in SQLITE_BUSY_MESSAGES):
            return True
        code = _sqlstate(exc.orig)
        return code is not None and (code in RETRYABLE_SQLSTATES or code.startswith("08"))
    return False


def _sqlstate(orig: BaseException | None) -> str | None:
    """asyncpg's SQLSTATE, as SQLAlchemy's adapter exposes it (or the driver's own error)."""
    for candidate in (orig, getattr(orig, "__cause__", None)):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(code, str):
            return code
    return None


def delay_before(attempt: int, exc: BaseException) -> float:
    """Seconds to wait before try number `attempt` + 1 (attempt counts from 1): what Telegram
    asked for, or an exponential backoff with jitter, so that updates which failed together do
    not collide again."""
    if isinstance(exc, TelegramRetryAfter):
        return float(exc.retry_after)
    return random.uniform(0.5, 1.0) * 0.05 * 3 ** (attempt - 1)
