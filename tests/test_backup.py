"""Backups of the SQLite database: taken while a broadcast writes, restored into a stopped
deployment (and refused when the file is not a whole database of this bot, or the bot runs),
rotated to the last BACKUP_KEEP. PostgreSQL is backed up with pg_dump (README), so these run on
SQLite only."""

import asyncio
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.backup import BackupError, backup_to, backups, check_candidate, restore, sqlite_file
from bot.services.broadcasts import BroadcastDraft, BroadcastService
from bot.services.councils import Staff
from db.engine import create_engine
from db.migrate import current_revision, head_revision, upgrade
from db.models import Broadcast, BroadcastStatus
from tests.conftest import ADMIN_ID, TOKEN
from tests.flows import add_subscribers, received

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.usefixtures("sqlite_only")


@pytest.fixture
def sqlite_only(backends):
    if backends["database"] is not None:
        pytest.skip("SQLite backups: PostgreSQL is backed up with pg_dump (README, Backups)")


async def bot_command(*args: str, database_url: str, cwd: Path) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "BOT_TOKEN": TOKEN,
            "DATABASE_URL": database_url,
        },
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode or 0, stderr.decode()


def rows(path: Path) -> dict[str, object]:
    """What the checks below compare, read with plain sqlite3 (as committed, WAL included)."""
    with closing(sqlite3.connect(path)) as db:
        return {
            "deliveries": dict(db.execute("SELECT id, status FROM deliveries")),
            "broadcasts": db.execute(
                "SELECT id, status, recipients_fixed FROM broadcasts"
            ).fetchall(),
            "users": db.execute("SELECT count(*) FROM users").fetchone()[0],
            "subscriptions": db.execute("SELECT count(*) FROM subscriptions").fetchone()[0],
        }


def missed_by_a_file_copy(database: Path, committed: dict[str, object], copy: Path) -> bool:
    """Whether a plain copy of the database file, taken now, would lack committed rows (those
    still in the -wal file). Copied by another process: closing a file descriptor of the
    database here would drop this process's SQLite locks on it (POSIX locks are per process)."""
    subprocess.run(["cp", str(database), str(copy)], check=True)
    try:
        return rows(copy) != committed
    except sqlite3.Error:  # not even the tables are in the main file yet
        return True


# A delivery only moves forward: a state seen committed is never undone.
LATER = {
    "pending": {"pending", "sending", "sent", "failed", "blocked", "uncertain"},
    "sending": {"sending", "sent", "failed", "blocked", "uncertain"},
    "sent": {"sent"},
}


async def test_a_backup_taken_while_a_broadcast_writes_holds_every_committed_row(
    app, telegram, fake_time, tmp_path
):
    audience = await add_subscribers(app, 3000)
    app.broadcaster.chunk = 50  # a commit every 50 deliveries: many writes in flight
    async with app.sessionmaker() as session:
        await BroadcastService(session, app.clock).create(
            BroadcastDraft(
                council_id=1,
                texts={"ru": "Объявление"},
                photo_file_id=None,
                audience_language=None,
                scheduled_at=app.clock.now(),
            ),
            Staff(ADMIN_ID, is_superadmin=True),
        )
        await session.commit()
    database = sqlite_file(app.settings.database_url)
    assert database is not None
    target = tmp_path / "copy.sqlite3"
    seen: dict[str, object] = {}
    backup: list[asyncio.subprocess.Process] = []
    trickle = asyncio.Lock()

    async def back_up_past_500(call):
        if not backup and sum(received(telegram, "Объявление").values()) >= 500:
            committed = rows(database)
            if not missed_by_a_file_copy(database, committed, tmp_path / "file-copy.db"):
                return  # just checkpointed: wait until the -wal holds committed rows again
            # Everything committed until now must be in the backup.
            seen.update(committed)
            backup.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bot",
                    "backup",
                    str(target),
                    cwd=tmp_path,
                    env={
                        **os.environ,
                        "PYTHONPATH": str(ROOT),
                        "BOT_TOKEN": TOKEN,
                        "DATABASE_URL": app.settings.database_url,
                    },
                    stderr=asyncio.subprocess.PIPE,
                )
            )
        elif backup and backup[0].returncode is None:
            # While the backup process runs, sends go one at a time, 50 a second (a commit a
            # second): it runs mid-broadcast, with the broadcast writing.
            async with trickle:
                await asyncio.sleep(0.02)

    telegram.on_call = back_up_past_500
    await app.broadcaster.tick()
    waiting = asyncio.create_task(app.broadcaster.wait())
    async with asyncio.timeout(120):
        while not backup:  # started by the hook above
            assert not waiting.done(), "the broadcast ended before the backup started"
            await asyncio.sleep(0.01)
    _, stderr = await asyncio.wait_for(backup[0].communicate(), timeout=120)
    during = rows(database)
    await waiting
    telegram.on_call = None
    assert backup[0].returncode == 0, stderr.decode()
    assert f"backup written to {target}" in stderr.decode()

    # The broadcast wrote while the backup ran, and went on after it.
    progress = Counter(during["deliveries"].values())  # type: ignore[attr-defined]
    assert progress["sent"] > Counter(seen["deliveries"].values())["sent"]  # type: ignore[attr-defined]
    assert during["broadcasts"][0][1] == BroadcastStatus.RUNNING.value
    assert received(telegram, "Объявление") == Counter(dict.fromkeys(audience, 1))

    copy = rows(target)
    final = rows(database)
    with closing(sqlite3.connect(target)) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",), "one file"
    assert copy["users"] == seen["users"] and copy["subscriptions"] == seen["subscriptions"]
    # The audience was fixed in one statement before the backup: all of it, or none.
    assert len(copy["deliveries"]) == len(audience)  # type: ignore[arg-type]
    for delivery_id, status in seen["deliveries"].items():  # type: ignore[attr-defined]
        assert copy["deliveries"][delivery_id] in LATER[status], (delivery_id, status)  # type: ignore[index]
    sent = Counter(copy["deliveries"].values())  # type: ignore[attr-defined]
    before = Counter(seen["deliveries"].values())  # type: ignore[attr-defined]
    assert before["sent"] <= sent["sent"] < len(audience), "a moment mid-broadcast"
    for delivery_id, status in copy["deliveries"].items():  # type: ignore[attr-defined]
        assert final["deliveries"][delivery_id] in LATER.get(status, {status})  # type: ignore[index]

    # Restored into a stopped deployment of its own, it opens and is at the schema's head.
    restored_url = f"sqlite+aiosqlite:///{tmp_path}/restored/bot.db"
    code, stderr_text = await bot_command(
        "restore", str(target), database_url=restored_url, cwd=tmp_path
    )
    assert code == 0, stderr_text
    engine = create_engine(restored_url)
    try:
        assert await current_revision(engine) == head_revision()
        async with engine.connect() as connection:
            broadcast = (await connection.execute(select(Broadcast.status))).scalar_one()
    finally:
        await engine.dispose()
    assert broadcast == BroadcastStatus.RUNNING
    assert rows(tmp_path / "restored" / "bot.db") == copy


def make_backup(database_url: str, directory: Path, clock) -> Path:
    return backup_to(database_url, None, directory, clock.now())


async def stopped_deployment(tmp_path: Path) -> str:
    """A migrated database no bot has open."""
    url = f"sqlite+aiosqlite:///{tmp_path}/live/bot.db"
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()
    return url


async def test_restore_refuses_a_file_that_is_not_a_whole_backup_of_this_bot(clock, tmp_path):
    live_url = await stopped_deployment(tmp_path)
    good = make_backup(live_url, tmp_path / "backups", clock)
    database = tmp_path / "live" / "bot.db"
    before = database.read_bytes()

    text = tmp_path / "notes.txt"
    text.write_text("not a database")
    other = tmp_path / "other.sqlite3"
    with closing(sqlite3.connect(other)) as db:
        db.execute("CREATE TABLE things (id INTEGER PRIMARY KEY)")
    newer = tmp_path / "newer.sqlite3"
    newer.write_bytes(good.read_bytes())
    with closing(sqlite3.connect(newer)) as db:
        db.execute("UPDATE alembic_version SET version_num = '9999'")
        db.commit()
    damaged = tmp_path / "damaged.sqlite3"
    data = bytearray(good.read_bytes())
    page = 4096
    for number in range(3, len(data) // page - 1, 2):  # every other page's body, not the header
        data[number * page + 100 : number * page + 400] = os.urandom(300)
    damaged.write_bytes(bytes(data))

    cases = {
        text: "is not an SQLite database",
        other: "not one of this bot's",
        newer: "revision 9999, which this version of the bot does not know",
        damaged: "damaged",
        tmp_path / "missing.sqlite3": "is not a file",
    }
    for path, reason in cases.items():
        with pytest.raises(BackupError) as refused:
            await restore(live_url, path, clock.now())
        message = str(refused.value)
        assert reason in message, message
        assert database.read_bytes() == before, "the database is left as it was"
        assert not list(database.parent.glob("*.replaced-*"))
    assert check_candidate(good).revision == head_revision()


async def test_restore_refuses_while_the_bot_runs(app, clock, tmp_path):
    good = make_backup(app.settings.database_url, tmp_path / "backups", clock)
    database = sqlite_file(app.settings.database_url)
    assert database is not None
    with pytest.raises(BackupError, match="stop the bot first"):
        await restore(app.settings.database_url, good, clock.now())
    assert not list(database.parent.glob("*.replaced-*")), "nothing was moved"
    async with app.sessionmaker() as session:
        assert await session.scalar(select(Broadcast.id)) is None  # the bot goes on


async def test_an_older_backup_replaces_the_database_and_is_migrated(tmp_path, clock):
    old_url = f"sqlite+aiosqlite:///{tmp_path}/old/bot.db"
    engine = create_engine(old_url)
    await upgrade(engine, "0012")
    async with engine.begin() as connection:
        await connection.exec_driver_sql(
            "INSERT INTO councils (name_kk, name_ru, name_en, timezone, default_language,"
            " created_at) VALUES ('Кеңес', 'Совет', 'Council', 'Asia/Almaty', 'ru',"
            " '2026-11-23 04:00:00')"
        )
    await engine.dispose()
    old = make_backup(old_url, tmp_path / "backups", clock)

    live_url = await stopped_deployment(tmp_path)
    restored = await restore(live_url, old, clock.now())

    assert (restored.revision_before, restored.revision_after) == ("0012", head_revision())
    assert restored.aside is not None and restored.aside.exists(), "the replaced file kept"
    with closing(sqlite3.connect(restored.aside)) as db:
        assert db.execute("SELECT count(*) FROM councils").fetchone() == (0,)
    with closing(sqlite3.connect(tmp_path / "live" / "bot.db")) as db:
        assert db.execute("SELECT name_en FROM councils").fetchall() == [("Council",)]
        assert db.execute("SELECT version_num FROM alembic_version").fetchone() == (
            head_revision(),
        )


async def test_daily_backups_keep_the_last_backup_keep(app, clock, tmp_path):
    app.settings = app.settings.model_copy(
        update={"backup_keep": 3, "backup_dir": tmp_path / "daily"}
    )
    (tmp_path / "daily").mkdir()
    (tmp_path / "daily" / "notes.txt").write_text("the operator's own file")
    (tmp_path / "daily" / "other-20261101T000000Z.sqlite3").write_text("another database's")
    written = []
    for _ in range(5):
        written.append(await app.backup.run())
        clock.advance(days=1)
    kept = backups(tmp_path / "daily", Path("bot.db"))
    assert kept == written[-3:], "the newest three"
    assert {path.name for path in (tmp_path / "daily").iterdir()} == {
        "notes.txt",
        "other-20261101T000000Z.sqlite3",
        *(path.name for path in kept),
    }
    assert kept[-1].name == f"bot-{clock.now() - timedelta(days=1):%Y%m%dT%H%M%S}Z.sqlite3"


@pytest.mark.parametrize(("keep", "scheduled"), [(7, True), (0, False)])
async def test_the_daily_backup_is_scheduled_unless_backup_keep_is_0(
    settings, clock, telegram, keep, scheduled
):
    from bot.app import create_app

    app = create_app(
        settings.model_copy(update={"backup_keep": keep}),
        clock=clock,
        session=telegram,
    )
    app.scheduler.start = lambda *args, **kwargs: None  # jobs added, none run
    await app.start()
    try:
        job = app.scheduler.get_job("backup")
    finally:
        await app.stop()
    assert (job is not None) == scheduled
    if job is not None:
        assert str(job.trigger) == "cron[hour='2', minute='30']"
