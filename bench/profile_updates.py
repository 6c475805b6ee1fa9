"""Where an update's time goes: the real dispatcher, middlewares, handlers and database, fed
updates in this process, with a Bot API session that answers at once (no network). Prints CPU
ms per update for each kind, and with --profile a cProfile listing of the busiest functions.

    .venv/bin/python bench/profile_updates.py                 # CPU ms per update, SQLite
    .venv/bin/python bench/profile_updates.py --profile rsvp  # and where an RSVP's time goes
                                                              # (needs `pip install pyinstrument`)
    .venv/bin/python bench/profile_updates.py --database postgresql+asyncpg://...
    PROFILE_SQL=1 ... also prints the SQL statements per update (=2: the statements themselves);
    PROFILE_ALL=1 the whole tree

It measures the bot's own work per update; bench/inbound.py measures the whole process
against a fake Bot API over HTTP, polling and webhook.
"""

import argparse
import asyncio
import itertools
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncGenerator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.types import Message, Update
from aiogram.types import User as TelegramUser
from sqlalchemy import event

from bot.app import App, create_app
from bot.config import load_settings
from db.models import Event, EventStatus, EventVenue, User

TOKEN = "123456789:AAHprofileTokenNotRealAtAll_abcdefghijk"
BOT_USER = {"id": 42, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}
FIRST_USER = 10_000_000


class InstantSession(BaseSession):
    """Answers every method at once, as Telegram would on success."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self._ids = itertools.count(1)

    async def close(self) -> None:
        pass

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncGenerator[bytes, None]:
        yield b""

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[Any],
        timeout: Any = None,  # noqa: ASYNC109 (BaseSession's signature)
    ) -> Any:
        self.calls += 1
        name = type(method).__name__
        if name == "GetMe":
            result: Any = BOT_USER
        elif name in ("SendMessage", "EditMessageText", "SendDocument"):
            chat_id = getattr(method, "chat_id", 0) or 0
            result = {
                "message_id": next(self._ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "text": getattr(method, "text", None) or "",
            }
        else:
            result = True
        if isinstance(result, bool):
            return result
        if name == "GetMe":
            return TelegramUser.model_validate(result, context={"bot": bot})
        return Message.model_validate(result, context={"bot": bot})


def message(update_id: int, user_id: int, text: str) -> Update:
    return Update.model_validate(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private", "first_name": "U"},
                "from": {"id": user_id, "is_bot": False, "first_name": "U", "language_code": "ru"},
                "text": text,
                **(
                    {"entities": [{"type": "bot_command", "offset": 0, "length": len(text)}]}
                    if text.startswith("/")
                    else {}
                ),
            },
        }
    )


def callback(update_id: int, user_id: int, data: str) -> Update:
    return Update.model_validate(
        {
            "update_id": update_id,
            "callback_query": {
                "id": str(update_id),
                "chat_instance": "1",
                "from": {"id": user_id, "is_bot": False, "first_name": "U", "language_code": "ru"},
                "message": {
                    "message_id": 1,
                    "date": int(time.time()),
                    "chat": {"id": user_id, "type": "private", "first_name": "U"},
                    "from": BOT_USER,
                    "text": "card",
                },
                "data": data,
            },
        }
    )


KINDS: dict[str, Callable[[int, int], Update]] = {
    "help": lambda update_id, user: message(update_id, user, "/help"),
    "start": lambda update_id, user: message(update_id, user, "/start"),
    "language": lambda update_id, user: callback(update_id, user, "lang:kk"),
    "events": lambda update_id, user: message(update_id, user, "/events"),
    "rsvp": lambda update_id, user: callback(update_id, user, "ev:go:1:0:0"),
}
# Which kinds need users who have already picked a language.
NEEDS_LANGUAGE = {"help", "events", "rsvp"}


async def seed(app: App, users: int) -> None:
    now = datetime.now(UTC)
    async with app.sessionmaker() as session:
        session.add_all(
            User(
                id=FIRST_USER + n,
                full_name="",
                language=("kk", "ru", "en")[n % 3],
                telegram_language="ru",  # as the updates say: known users, no row to refresh
                first_seen=now,
                last_seen=now,
                is_active=True,
            )
            for n in range(users)
        )
        event = Event(
            council_id=1,
            created_by=1,
            title_ru="Круглый стол",
            title_kk="Дөңгелек үстел",
            title_en="Round table",
            starts_at=now + timedelta(days=3),
            status=EventStatus.PUBLISHED,
            publish_at=now - timedelta(hours=1),
            announced_at=now - timedelta(hours=1),
            created_at=now,
            updated_at=now,
        )
        session.add(event)
        await session.flush()
        session.add(
            EventVenue(
                event_id=event.id, position=1, name="Library", capacity=users // 10, taken=0
            )
        )
        await session.commit()


async def run_kind(
    app: App,
    kind: str,
    count: int,
    first_update: int,
    first_user: int,
    profile: bool,
    concurrency: int,
) -> float:
    make = KINDS[kind]
    updates = [make(first_update + n, first_user + n) for n in range(count)]
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(async_mode="enabled", interval=0.0002)
        profiler.start()
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *args: Any) -> None:
        detail = os.environ.get("PROFILE_SQL") == "2"
        statements.append(" ".join(statement.split())[-150:] if detail else statement.split()[0])

    event.listen(app.engine.sync_engine, "before_cursor_execute", record)
    started = time.process_time()
    if concurrency == 1:
        for update in updates:
            await app.dispatcher.feed_update(app.bot, update)
    else:  # as the bot runs them: up to MAX_UPDATES_IN_FLIGHT at once
        bound = asyncio.Semaphore(concurrency)

        async def feed(update: Update) -> None:
            async with bound:
                await app.dispatcher.feed_update(app.bot, update)

        await asyncio.gather(*(feed(update) for update in updates))
    spent = time.process_time() - started
    event.remove(app.engine.sync_engine, "before_cursor_execute", record)
    if os.environ.get("PROFILE_SQL") in ("1", "2"):
        per_update = {k: round(v / len(updates), 2) for k, v in Counter(statements).items()}
        print(f"{kind}: SQL statements per update: {per_update}")
    if profiler is not None:
        profiler.stop()
        show_all = os.environ.get("PROFILE_ALL") == "1"
        print(profiler.output_text(unicode=False, color=False, show_all=show_all))
    return spent * 1000 / count


async def main(arguments: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as directory:
        database = arguments.database or f"sqlite+aiosqlite:///{directory}/bot.db"
        settings = load_settings(
            bot_token=TOKEN, database_url=database, log_level="WARNING", _env_file=None
        )
        app = create_app(settings, session=InstantSession())
        await app.start(run_scheduler=False)
        try:
            # Each round gives each kind users it has not seen (none cached, none registered),
            # as in a wave; the median of the rounds stands against a noisy machine.
            rounds = arguments.rounds
            kinds = arguments.kinds or list(KINDS)
            await seed(app, arguments.count * rounds * len(kinds))
            update_ids = itertools.count(1, arguments.count)
            user_blocks = itertools.count(FIRST_USER, arguments.count)
            spent: dict[str, list[float]] = {kind: [] for kind in kinds}
            for round_number in range(rounds):
                for kind in kinds:
                    profile = kind in arguments.profile and round_number == rounds - 1
                    first_user = next(user_blocks)
                    spent[kind].append(
                        await run_kind(
                            app,
                            kind,
                            arguments.count,
                            next(update_ids),
                            first_user,
                            profile,
                            arguments.concurrency,
                        )
                    )
            for kind, figures in spent.items():
                print(
                    f"{kind:10} {statistics.median(figures):6.2f} CPU ms/update "
                    f"(median of {rounds} rounds of {arguments.count} updates; "
                    f"min {min(figures):.2f}, max {max(figures):.2f})"
                )
        finally:
            await app.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=1, help="updates in flight at once")
    parser.add_argument("--database")
    parser.add_argument("--profile", nargs="*", default=[], choices=list(KINDS))
    parser.add_argument("kinds", nargs="*")
    asyncio.run(main(parser.parse_args()))
