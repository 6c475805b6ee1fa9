"""SQLite on the event loop's thread (db/sqlite_inline.py): writers queue for the file's write
lock instead of failing with "database is locked", readers never wait, and a writer that would
wait for ever gets SQLite's own error instead."""

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select, text
from sqlalchemy.exc import OperationalError

from db.engine import create_engine
from db.sqlite_inline import InlineConnection

metadata = MetaData()
counters = Table(
    "counters", metadata, Column("id", Integer, primary_key=True), Column("n", Integer)
)
notes = Table("notes", metadata, Column("id", Integer, primary_key=True), Column("text", String))


@pytest.fixture
async def engine(tmp_path: Path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/inline.db", pool_size=20)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
        await connection.execute(counters.insert().values(id=1, n=0))
    yield engine
    await engine.dispose()


async def test_the_driver_runs_inline(engine):
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        assert isinstance(raw.driver_connection, InlineConnection)
        assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"


async def test_two_hundred_concurrent_writers_all_commit(engine):
    """Each reads, waits (as for Telegram), then increments inside one transaction: with the
    write lock taken by each in turn, no increment is lost and none fails."""

    async def increment(n: int) -> None:
        async with engine.begin() as connection:
            await connection.execute(counters.update().values(n=counters.c.n + 1))
            await asyncio.sleep(0.001 * (n % 3))
            await connection.execute(notes.insert().values(text=f"note {n}"))

    await asyncio.gather(*(increment(n) for n in range(200)))
    async with engine.connect() as connection:
        assert (await connection.execute(select(counters.c.n))).scalar() == 200
        assert (await connection.execute(select(func.count()).select_from(notes))).scalar() == 200


async def test_readers_do_not_wait_for_a_writer(engine):
    async with engine.begin() as writer:
        await writer.execute(counters.update().values(n=5))
        async with engine.connect() as reader:  # sees the last committed value, at once
            assert (await reader.execute(select(counters.c.n))).scalar() == 0


async def test_a_writer_that_would_wait_for_ever_fails_as_sqlite_would(engine):
    """A task that holds the write lock on one connection and writes on another would wait for
    itself: it gets "database is locked" after the busy timeout (shortened here)."""
    async with engine.begin() as first:
        await first.execute(counters.update().values(n=1))
        async with engine.connect() as second:
            raw = await second.get_raw_connection()
            raw.driver_connection._busy_timeout = 0.2
            with pytest.raises(OperationalError) as failure:
                await second.execute(notes.insert().values(text="nested"))
            assert isinstance(failure.value.orig, sqlite3.OperationalError)
            assert "database is locked" in str(failure.value.orig)
            await second.rollback()
    async with engine.connect() as connection:
        assert (await connection.execute(select(counters.c.n))).scalar() == 1
