"""`python -m bot` runs the bot (long polling, or a webhook server with MODE=webhook);
`python -m bot migrate` only migrates; `backup [PATH]` copies the SQLite database while the bot
runs, `restore PATH` puts a backup in place of a stopped bot's database; `check-config` checks
the settings and prints what the bot would start with.

Settings are checked before aiogram is imported, so a configuration mistake is reported at once.
"""

import argparse
import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from bot.app import App

logger = logging.getLogger("bot")


async def run(settings: Settings) -> None:
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
    about half of the process's time: /help's throughput doubled with this (README, "Inbound
    benchmark"). The objects themselves live as long as the process, as they would anyway."""
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


async def migrate(settings: Settings) -> None:
    from db.engine import create_engine
    from db.migrate import upgrade

    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def backup_command(settings: Settings, path: Path | None) -> int:
    from bot.backup import BackupError, backup_to

    try:
        written = backup_to(settings.database_url, path, settings.backups, datetime.now(UTC))
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"backup written to {written}", file=sys.stderr)
    return 0


def restore_command(settings: Settings, path: Path) -> int:
    from bot.backup import BackupError, restore

    try:
        restored = asyncio.run(restore(settings.database_url, path, datetime.now(UTC)))
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if restored.aside is not None:
        print(f"the database it replaced is kept as {restored.aside}", file=sys.stderr)
    print(
        f"restored {path} to {restored.database} (schema {restored.revision_before}, "
        f"now {restored.revision_after}); start the bot",
        file=sys.stderr,
    )
    return 0


def check_config_command(settings: Settings) -> int:
    from bot.startup import check_config

    report = asyncio.run(check_config(settings))
    for line in report.lines:
        print(line)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for error in report.errors:
        print(f"error: {error}", file=sys.stderr)
    return 1 if report.errors else 0


def run_loop(coroutine: Coroutine[Any, Any, None]) -> None:
    """uvloop where it is installed (Linux, macOS), asyncio's own loop elsewhere."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(coroutine)
    else:
        uvloop.run(coroutine)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot")
    commands = ["run", "migrate", "backup", "restore", "check-config"]
    parser.add_argument("command", nargs="?", choices=commands, default="run")
    parser.add_argument(
        "path", nargs="?", type=Path, help="backup: where to write; restore: the backup"
    )
    args = parser.parse_args(argv)
    if args.command == "restore" and args.path is None:
        parser.error("restore needs the backup's path: python -m bot restore PATH")
    if args.command not in ("backup", "restore") and args.path is not None:
        parser.error(f"{args.command} takes no path")
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from sqlalchemy.exc import DBAPIError

    from bot.i18n import CatalogsNotCompiledError
    from bot.logs import setup_logging

    setup_logging(settings.log_level, settings.bot_token.get_secret_value(), settings.log_format)
    if args.command == "backup":
        return backup_command(settings, args.path)
    if args.command == "restore":
        return restore_command(settings, args.path)
    if args.command == "check-config":
        return check_config_command(settings)
    try:
        if args.command == "migrate":
            run_loop(migrate(settings))
            print("database is up to date", file=sys.stderr)
        else:
            run_loop(run(settings))
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
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
