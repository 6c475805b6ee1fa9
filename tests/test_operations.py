"""What an operator sees: the log format, what is quiet at INFO, the start-up summary and
`check-config`."""

import asyncio
import json
import logging
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import create_scheduler
from bot.config import load_settings
from bot.logs import setup_logging
from bot.startup import check_config, database_kind, summary
from db.engine import create_engine
from db.migrate import upgrade
from tests.conftest import ADMIN_ID, TOKEN

ROOT = Path(__file__).resolve().parent.parent
LIBRARY_LOGGERS = ("aiogram.event", "apscheduler", "alembic.runtime.plugins")


@pytest.fixture
def logs(capsys: pytest.CaptureFixture[str]) -> Iterator[pytest.CaptureFixture[str]]:
    """setup_logging as `python -m bot` calls it, writing to the captured stderr; pytest's own
    logging set-up comes back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in LIBRARY_LOGGERS}
    migration = logging.getLogger("alembic.runtime.migration")
    filters = migration.filters[:]
    yield capsys
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, saved in levels.items():
        logging.getLogger(name).setLevel(saved)
    migration.filters[:] = filters


def test_json_logs_are_one_object_per_line_with_extras_and_no_token(logs):
    setup_logging("INFO", TOKEN, "json")
    logger = logging.getLogger("bot.test")
    logger.info("update %s handled", 42, extra={"update_id": 42})
    logger.warning("calling https://api.telegram.org/bot%s/getMe", TOKEN)
    try:
        raise RuntimeError(f"failed with {TOKEN}")
    except RuntimeError:
        logger.exception("a handler failed")
    logger.debug("not at INFO")

    lines = logs.readouterr().err.splitlines()
    entries = [json.loads(line) for line in lines]
    assert [entry["level"] for entry in entries] == ["INFO", "WARNING", "ERROR"]
    first = entries[0]
    assert first["logger"] == "bot.test"
    assert first["message"] == "update 42 handled"
    assert first["update_id"] == 42
    assert datetime.fromisoformat(first["time"]).tzinfo is not None
    assert entries[1]["message"] == "calling https://api.telegram.org/bot<BOT_TOKEN>/getMe"
    assert "RuntimeError: failed with <BOT_TOKEN>" in entries[2]["exc"]
    assert TOKEN not in "\n".join(lines)
    assert TOKEN.split(":")[1] not in "\n".join(lines)


def test_text_logs_keep_their_one_line_format(logs):
    setup_logging("INFO", TOKEN)
    logging.getLogger("bot.test").info("started as @%s", "hearing_state_bot")
    (line,) = logs.readouterr().err.splitlines()
    assert line.endswith(" INFO bot.test: started as @hearing_state_bot")


async def run_scheduler_once() -> None:
    scheduler = create_scheduler()
    ran = asyncio.Event()

    async def job() -> None:
        ran.set()

    scheduler.add_job(job, next_run_time=datetime.now(UTC), id="digests")
    scheduler.start()
    try:
        await asyncio.wait_for(ran.wait(), timeout=30)
        await asyncio.sleep(0.05)  # "executed successfully" is logged after the job returns
    finally:
        scheduler.shutdown(wait=False)


async def migrate_fresh(path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
async def test_scheduler_and_migration_chatter_only_at_debug(logs, tmp_path, level):
    setup_logging(level, TOKEN)
    await run_scheduler_once()
    await migrate_fresh(tmp_path / "bot.db")
    err = logs.readouterr().err
    chatter = ["Running job", "executed successfully", "Context impl", "Will assume"]
    # Alembic sets its plugins up once a process ("setup plugin …"), so that logger is asked.
    plugins = logging.getLogger("alembic.runtime.plugins").isEnabledFor(logging.INFO)
    if level == "INFO":
        assert not [line for line in err.splitlines() if any(c in line for c in chatter)]
        assert not plugins
        assert "Running upgrade  -> 0001" in err, "an applied migration is still told"
    else:
        assert all(c in err for c in chatter), "DEBUG shows everything"
        assert plugins


def test_the_database_is_described_without_its_password():
    assert database_kind("sqlite+aiosqlite:///data/bot.db") == "sqlite data/bot.db"
    described = database_kind(
        "postgresql+asyncpg://bot:hunter2@db.example.org:6432/council?search_path=kk&ssl=require"
    )
    assert described == "postgresql bot@db.example.org:6432/council (schema kk)"


async def test_the_summary_counts_councils_staff_and_superadmins(app, secretary):
    await secretary("en", "Saule")
    await secretary("ru", "Ivan")
    report = await check_config(app.settings)
    assert report.errors == [] and report.warnings == []
    (line,) = report.lines
    assert line.startswith("hearing-state-bot ")
    assert ", mode polling, database " in line
    assert line.endswith(", 1 council, 2 secretaries, 1 superadmin")
    assert f", database {database_kind(app.settings.database_url)}, " in line


def test_the_summary_of_a_bot_nobody_administers_warns(tmp_path):
    settings = load_settings(
        bot_token=TOKEN, database_url=f"sqlite:///{tmp_path}/bot.db", _env_file=None
    )
    report = asyncio.run(check_config(settings))
    assert report.lines == [
        summary(
            settings, None, database_note=" (not created yet: the bot or `migrate` creates it)"
        )
    ]
    assert report.lines[0].endswith(", 0 superadmins")
    (warning,) = report.warnings
    assert warning.startswith("NO SUPERADMIN: ADMIN_IDS is empty")
    assert not (tmp_path / "bot.db").exists(), "check-config creates nothing"


async def check_config_command(env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "DATABASE_URL"}}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "check-config",
        cwd=cwd,
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, stdout.decode(), stderr.decode()


async def test_check_config_prints_the_summary_and_fails_on_errors(tmp_path):
    env = {"BOT_TOKEN": TOKEN, "ADMIN_IDS": str(ADMIN_ID), "DATA_DIR": str(tmp_path / "data")}
    code, out, err = await check_config_command(env, tmp_path)
    assert code == 0, err
    assert f"mode polling, database sqlite {tmp_path}/data/bot.db (not created yet" in out
    assert out.strip().endswith("1 superadmin")
    assert err == ""
    assert not (tmp_path / "data").exists()

    (tmp_path / "a-file").write_text("")
    code, out, err = await check_config_command(
        {**env, "ADMIN_IDS": "", "BACKUP_DIR": str(tmp_path / "a-file" / "backups")}, tmp_path
    )
    assert code == 1
    assert "warning: NO SUPERADMIN: ADMIN_IDS is empty" in err
    assert f"error: BACKUP_DIR {tmp_path}/a-file/backups: " in err
    assert "is not a directory" in err
    assert TOKEN not in out + err

    code, out, err = await check_config_command({**env, "LOG_FORMAT": "xml"}, tmp_path)
    assert code == 2
    assert err.startswith("error: LOG_FORMAT ")
