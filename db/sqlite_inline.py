"""SQLite for the asyncio engine without a thread per query.

aiosqlite runs every call (open a cursor, execute, fetch, close) in a worker thread and hands the
result back to the event loop: four thread hops per statement, about 0.2-0.3 ms of CPU, where
SQLite itself answers an indexed query in 10 µs. An update makes several statements, so the hops
were most of its cost. Here SQLAlchemy's aiosqlite adapter is given (through `async_creator`) a
connection with aiosqlite's interface that runs sqlite3 directly on the event loop's thread.

What the threads gave, kept another way:
- Writers never wait for each other inside SQLite (which would block the loop): a write takes
  this process's write lock for the database file first, asynchronously, and holds it until its
  transaction ends. Readers never wait at all (WAL). So a burst of writers queues in order
  instead of spinning in SQLite's busy handler.
- Another process writing the same file (a second bot, a backup) is waited for by SQLite's busy
  timeout, which blocks this process meanwhile: run one bot process per SQLite file (the
  deployment this backend is for); several replicas need PostgreSQL.
- A slow statement (an export over a large history) holds the loop for as long as it runs.
"""

import asyncio
import sqlite3
import weakref
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

# Statements that may run without the write lock: they never write.
_READS = ("SELECT", "PRAGMA", "EXPLAIN", "VALUES")

# One write lock per database file (and event loop): every engine and connection of this
# process on that file shares it.
_locks: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]]" = (
    weakref.WeakKeyDictionary()
)


def _write_lock(path: str) -> asyncio.Lock:
    per_loop = _locks.setdefault(asyncio.get_running_loop(), {})
    lock = per_loop.get(path)
    if lock is None:
        lock = per_loop[path] = asyncio.Lock()
    return lock


def _writes(operation: str) -> bool:
    return not operation.lstrip()[:7].upper().startswith(_READS)


class InlineCursor:
    def __init__(self, connection: "InlineConnection") -> None:
        self._connection = connection
        self._cursor = connection._conn.cursor()

    async def __aenter__(self) -> "InlineCursor":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, operation: str, parameters: Sequence[Any] = ()) -> "InlineCursor":
        if _writes(operation):
            await self._connection._take_write_lock()
        try:
            self._cursor.execute(operation, parameters)
        finally:
            self._connection._release_if_done()
        return self

    async def executemany(
        self, operation: str, seq_of_parameters: Iterable[Sequence[Any]]
    ) -> "InlineCursor":
        if _writes(operation):
            await self._connection._take_write_lock()
        try:
            self._cursor.executemany(operation, seq_of_parameters)
        finally:
            self._connection._release_if_done()
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class _RunNow:
    """Stands for aiosqlite's request queue, which SQLAlchemy's adapter uses to set the
    isolation level: runs the request at once."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:
            future.set_exception(exc)


class InlineConnection:
    def __init__(self, conn: sqlite3.Connection, path: str, busy_timeout: float) -> None:
        self._conn = conn
        self._busy_timeout = busy_timeout
        self._connection: sqlite3.Connection | None = conn  # what the adapter checks for
        self._tx = _RunNow()
        self._path = path
        self._holds_write_lock = False

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    async def _take_write_lock(self) -> None:
        if self._holds_write_lock:
            return
        try:
            # As SQLite's own busy timeout: a writer that waits this long fails, "database is
            # locked" (one the retries take up), instead of waiting for ever on, say, a
            # transaction of its own task's on another connection.
            async with asyncio.timeout(self._busy_timeout):
                await _write_lock(self._path).acquire()
        except TimeoutError:
            raise sqlite3.OperationalError("database is locked") from None
        self._holds_write_lock = True

    def _release_if_done(self) -> None:
        if self._holds_write_lock and not self._conn.in_transaction:
            self._holds_write_lock = False
            _write_lock(self._path).release()

    def cursor(self) -> InlineCursor:
        return InlineCursor(self)

    async def commit(self) -> None:
        try:
            self._conn.commit()
        finally:
            self._release_if_done()

    async def rollback(self) -> None:
        try:
            self._conn.rollback()
        finally:
            self._release_if_done()

    async def close(self) -> None:
        if self._connection is None:
            return
        try:
            self._conn.close()
        finally:
            self._connection = None
            if self._holds_write_lock:
                self._holds_write_lock = False
                _write_lock(self._path).release()

    def stop(self) -> None:
        """aiosqlite's forced close (SQLAlchemy's terminate)."""
        self._conn.close()
        self._connection = None
        if self._holds_write_lock:
            self._holds_write_lock = False
            _write_lock(self._path).release()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)


def inline_creator(path: str, busy_timeout: float) -> Callable[[], Awaitable[InlineConnection]]:
    """`async_creator` for create_async_engine: connections to the SQLite file at `path`."""

    async def connect() -> InlineConnection:
        conn = sqlite3.connect(path, check_same_thread=False)
        return InlineConnection(conn, path, busy_timeout)

    return connect
