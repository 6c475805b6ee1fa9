"""`hearing-state-bot COMMAND` (or `python -m bot COMMAND`): `run` runs the bot (long polling, or
a webhook server with MODE=webhook) and is the default; `migrate` only migrates; `backup [PATH]`
copies the SQLite database while the bot runs; `restore PATH` puts a backup in place of a stopped
bot's database; `check-config` checks the settings and prints what the bot would start with.

Settings are checked before aiogram is imported, so a configuration mistake is reported at once.
"""

import argparse
import asyncio
import gc
import logging
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from bot.app import App

logger = logging.getLogger("bot")


async def run(settings: Settings, args: argparse.Namespace | None = None) -> None:
    from bot.app import create_app
    from bot.startup import admins_warning, headcount, summary

    app = create_app(settings)
    try:
        me = await app.bot.get_me()
        await app.start()
        freeze_startup_objects()
        people = await headcount(app.engine)
        logger.info("started as @%s: %s", me.username, summary(settings, people))
        if warning := admins_warning(settings):
            logger.warning("%s", warning)
        if settings.mode == "webhook":
            await serve_webhook(app)
        else:
            await poll(app)
    finally:
        await app.stop()


async def poll(app: "App") -> None:
    """Long polling; with HEALTH_PORT, /healthz and /metrics served beside it."""
    from bot.webhook import start_health_server

    runner = await start_health_server(app) if app.settings.health_port else None
    try:
        await app.poll()
    finally:
        if runner is not None:
            await runner.cleanup()


def freeze_startup_objects() -> None:
    """Keep what start-up built (modules, aiogram's and pydantic's models, SQLAlchemy's
    mappings: most of the heap) out of the garbage collector's scans. Otherwise every full
    collection walks all of it again, and under a burst of updates those collections took
    about half of the process's time: /help's throughput doubled with this
    (docs/performance.md, "Inbound benchmark"). The objects themselves live as long as the
    process, as they would anyway."""
    gc.collect()
    gc.freeze()


async def serve_webhook(app: "App") -> None:
    """Until SIGINT or SIGTERM: then stop taking updates, and let App.stop finish the rest."""
    from bot.webhook import start_webhook, stop_webhook

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    runner = await start_webhook(app)
    try:
        await stop.wait()
        logger.info("stopping")
    finally:
        await stop_webhook(app, runner)


async def migrate(settings: Settings, args: argparse.Namespace | None = None) -> None:
    from db.engine import create_engine
    from db.migrate import upgrade

    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    print("database is up to date", file=sys.stderr)


async def backup(settings: Settings, args: argparse.Namespace) -> int:
    from bot.backup import BackupError, backup_to

    try:
        written = backup_to(settings.database_url, args.path, settings.backups, datetime.now(UTC))
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"backup written to {written}", file=sys.stderr)
    return 0


async def restore(settings: Settings, args: argparse.Namespace) -> int:
    from bot.backup import BackupError
    from bot.backup import restore as restore_backup

    try:
        restored = await restore_backup(settings.database_url, args.path, datetime.now(UTC))
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if restored.aside is not None:
        print(f"the database it replaced is kept as {restored.aside}", file=sys.stderr)
    print(
        f"restored {args.path} to {restored.database} (schema {restored.revision_before}, "
        f"now {restored.revision_after}); start the bot",
        file=sys.stderr,
    )
    return 0


async def check_config(settings: Settings, args: argparse.Namespace) -> int:
    from bot.startup import check_config as check

    report = await check(settings)
    for line in report.lines:
        print(line)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for error in report.errors:
        print(f"error: {error}", file=sys.stderr)
    return 1 if report.errors else 0


@dataclass(frozen=True)
class Command:
    help: str
    # Returns the exit status, or None for 0.
    main: Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int | None]]
    # Adds the command's own arguments to its subparser.
    arguments: Callable[[argparse.ArgumentParser], object] = field(default=lambda parser: None)
    # Whether it writes in DATA_DIR (which is then made); check-config only looks.
    writes: bool = True


# The subcommands, in the order `--help` lists them. Without one, the bot runs.
COMMANDS = {
    "run": Command(
        "run the bot (the default): long polling, or a webhook server with MODE=webhook", run
    ),
    "migrate": Command("bring the database up to date, then exit", migrate),
    "backup": Command(
        "copy the SQLite database, also while the bot runs (PostgreSQL: pg_dump, see README)",
        backup,
        lambda parser: parser.add_argument(
            "path", nargs="?", type=Path, help="where to write (default: DATA_DIR/backups)"
        ),
    ),
    "restore": Command(
        "put a backup in place of a stopped bot's SQLite database, then migrate it",
        restore,
        lambda parser: parser.add_argument("path", type=Path, help="the backup file"),
    ),
    "check-config": Command(
        "check the settings and print what the bot would start with", check_config, writes=False
    ),
}


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Hearing State bot. Settings come from the environment and from .env "
        "(ENV_FILE names another file); every variable is described in .env.example.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name, command in COMMANDS.items():
        command.arguments(subparsers.add_parser(name, help=command.help, description=command.help))
    return parser


def run_loop(coroutine: Coroutine[Any, Any, int | None]) -> int | None:
    """uvloop where it is installed (Linux, macOS), asyncio's own loop elsewhere."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def main(argv: list[str] | None = None) -> int:
    program = Path(sys.argv[0]).name
    parser = build_parser("python -m bot" if program == "__main__.py" else program)
    args = parser.parse_args(argv)
    command = COMMANDS[args.command or "run"]
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        if command.writes:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(
            f"error: DATA_DIR {settings.data_dir} cannot be created ({exc.strerror})",
            file=sys.stderr,
        )
        return 2
    # Matplotlib's font cache (charts): in DATA_DIR, since a service user may have no home.
    os.environ.setdefault("MPLCONFIGDIR", str(settings.data_dir / "matplotlib"))

    from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from sqlalchemy.exc import DBAPIError

    from bot.i18n import CatalogsNotCompiledError
    from bot.logs import setup_logging

    setup_logging(settings.log_level, settings.bot_token.get_secret_value(), settings.log_format)
    try:
        status = run_loop(command.main(settings, args))
    except TelegramUnauthorizedError:
        print(
            "error: BOT_TOKEN was rejected by Telegram (401 Unauthorized): "
            "check it with @BotFather and update .env",
            file=sys.stderr,
        )
        return 2
    except TelegramNetworkError as exc:
        where = settings.telegram_api_url or "api.telegram.org"
        print(
            f"error: cannot reach the Telegram Bot API at {where}: {exc.message}; "
            "check the network or TELEGRAM_API_URL",
            file=sys.stderr,
        )
        return 1
    except DBAPIError as exc:
        reason = str(exc.orig).splitlines()[0]
        print(
            f"error: DATABASE_URL cannot be opened ({reason}): check the path or the server",
            file=sys.stderr,
        )
        return 2
    except RedisConnectionError as exc:
        print(f"error: REDIS_URL cannot be reached ({exc}): check the server", file=sys.stderr)
        return 2
    except CatalogsNotCompiledError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return status or 0


if __name__ == "__main__":
    sys.exit(main())
