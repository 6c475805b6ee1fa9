"""Engine and session factory. SQLite gets WAL mode and a busy timeout on every connection;
PostgreSQL may be given a schema with `?search_path=name` in the URL."""

from pathlib import Path
from typing import Any

from sqlalchemy import event, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from db.sqlite_inline import inline_creator

SQLITE_BUSY_TIMEOUT_MS = 10_000


def create_engine(database_url: str, pool_size: int | None = None, **kwargs: Any) -> AsyncEngine:
    """`pool_size`: connections kept open, and as many more opened when they are all busy."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    if backend == "postgresql" and "search_path" in url.query:
        # asyncpg takes server settings as a dict, which a URL cannot carry: the schema the
        # tables live in (one per test, or per deployment sharing a database) is moved there.
        server_settings = {"search_path": str(url.query["search_path"])}
        url = url.difference_update_query(["search_path"])
        connect_args = kwargs.setdefault("connect_args", {})
        connect_args["server_settings"] = {
            **connect_args.get("server_settings", {}),
            **server_settings,
        }
    if pool_size is not None and "poolclass" not in kwargs:
        kwargs.update(pool_size=pool_size, max_overflow=pool_size)
    if backend == "sqlite" and url.database not in (None, "", ":memory:") and not url.query:
        # SQLite on the event loop's thread, without aiosqlite's thread hops (db/sqlite_inline.py)
        path = str(Path(url.database).resolve())
        kwargs.setdefault(
            "async_creator", inline_creator(path, busy_timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
        )
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class HookedSession(Session):
    """Runs the callables a caller put in `session.info["after_commit"]` after every commit
    (the update's middlewares count commits and refresh cached rows this way)."""


@event.listens_for(HookedSession, "after_commit")
def _after_commit(session: Session) -> None:
    for hook in session.info.get("after_commit", ()):
        hook()


def hold(session: AsyncSession, *objects: object) -> None:
    """Keep loaded objects for as long as the session lasts. The identity map holds them only
    weakly: a council loaded along with an event, say, and dropped by the caller would be read
    again by the next `session.get`; held, it is found without a query."""
    session.info.setdefault("held", []).extend(objects)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=HookedSession)
