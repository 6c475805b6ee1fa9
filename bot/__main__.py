"""`hearing-state-bot COMMAND` (or `python -m bot COMMAND`): `run` runs the bot (long polling, or
a webhook server with MODE=webhook) and is the default; `migrate` only migrates.

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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from bot.app import App

logger = logging.getLogger("bot")


async def run(settings: Settings, args: argparse.Namespace | None = None) -> None:
    from bot.app import create_app

    app = create_app(settings)
    try:
        me = await app.bot.get_me()
        await app.start()
        freeze_startup_objects()
        logger.info("started as @%s", me.username)
        if settings.mode == "webhook":
            await serve_webhook(app)
        else:
            await app.poll()
    finally:
        await app.stop()


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


@dataclass(frozen=True)
class Command:
    help: str
    main: Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, None]]
    # Adds the command's own arguments to its subparser.
    arguments: Callable[[argparse.ArgumentParser], None] = field(default=lambda parser: None)


# The subcommands, in the order `--help` lists them. Without one, the bot runs.
COMMANDS = {
    "run": Command(
        "run the bot (the default): long polling, or a webhook server with MODE=webhook", run
    ),
    "migrate": Command("bring the database up to date, then exit", migrate),
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


def run_loop(coroutine: Coroutine[Any, Any, None]) -> None:
    """uvloop where it is installed (Linux, macOS), asyncio's own loop elsewhere."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(coroutine)
    else:
        uvloop.run(coroutine)


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

    setup_logging(settings.log_level, settings.bot_token.get_secret_value())
    try:
        run_loop(command.main(settings, args))
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
