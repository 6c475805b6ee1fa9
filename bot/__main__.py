"""`python -m bot` runs the bot (long polling, or a webhook server with MODE=webhook);
`python -m bot migrate` only migrates.

Settings are checked before aiogram is imported, so a configuration mistake is reported at once.
"""

import argparse
import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from bot.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from bot.app import App

logger = logging.getLogger("bot")


async def run(settings: Settings) -> None:
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
    parser.add_argument("command", nargs="?", choices=["run", "migrate"], default="run")
    args = parser.parse_args(argv)
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

    setup_logging(settings.log_level, settings.bot_token.get_secret_value())
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
