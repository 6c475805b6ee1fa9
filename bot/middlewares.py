"""Per-update work: each update once, a database session, the user behind the update, flood
control."""

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramForbiddenError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject, Update, User
from aiogram.utils.i18n import gettext as _
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import metrics
from bot.clock import Clock
from db.repositories.updates import UpdateRepository
from db.repositories.users import UserRepository

logger = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


@dataclass
class Trace:
    """Which handler took the update: named in the error log and the error metric."""

    handler: str = "none"
    # Commits of the update's session, and how many there were when the handler started: a
    # handler that failed after committing must not tell the user "nothing was changed".
    commits: int = 0
    commits_before_handler: int = 0

    @property
    def handler_committed(self) -> bool:
        return self.commits > self.commits_before_handler


class TraceUpdateMiddleware(BaseMiddleware):
    """Outer, on updates: hands every update a Trace (data["trace"])."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        data["trace"] = Trace()
        return await handler(event, data)


class TraceHandlerMiddleware(BaseMiddleware):
    """Inner, on each event type: records the handler chosen for the update."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        trace: Trace | None = data.get("trace")
        chosen = data.get("handler")
        if trace is not None and chosen is not None:
            callback = chosen.callback
            trace.handler = f"{callback.__module__}.{callback.__qualname__}"
            trace.commits_before_handler = trace.commits
        return await handler(event, data)


class UpdateOnceMiddleware(BaseMiddleware):
    """Telegram may deliver an update to a webhook twice (it retries when an answer is late), and
    with replicas the second copy can reach another process. The update id is recorded in the
    database, committed, before the update is handled: whoever records it first handles it, and
    any later copy is skipped. A process that dies mid-update does not get it again."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        async with self.sessionmaker() as session:
            taken = await UpdateRepository(session).take(event.update_id, self.clock.now())
            await session.commit()
        if not taken:
            metrics.DUPLICATE_UPDATES.inc()
            logger.info("update %s was delivered again; skipped", event.update_id)
            return None
        return await handler(event, data)


class CountUpdatesMiddleware(BaseMiddleware):
    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        metrics.UPDATES.labels(event.event_type).inc()
        return await handler(event, data)


class DatabaseMiddleware(BaseMiddleware):
    """One session per update; what the handler leaves uncommitted is committed when it returns."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with self.sessionmaker() as session:
            data["session"] = session
            trace: Trace | None = data.get("trace")
            if trace is not None:

                def committed(_session: Any) -> None:
                    trace.commits += 1

                sqlalchemy_event.listen(session.sync_session, "after_commit", committed)
            result = await handler(event, data)
            await session.commit()
            return result


class UserMiddleware(BaseMiddleware):
    """Loads the user behind a private update (creating them on first contact) as data["user"].

    In groups a user is only looked up, never created: group members have not started the bot.
    """

    def __init__(self, clock: Clock, admin_ids: frozenset[int] | set[int] = frozenset()) -> None:
        self.clock = clock
        self.admin_ids = admin_ids

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        from_user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        if from_user is not None and not from_user.is_bot:
            session: AsyncSession = data["session"]
            users = UserRepository(session)
            if chat is None or chat.type == "private":
                data["user"] = await users.touch(
                    from_user.id,
                    full_name=from_user.full_name,
                    username=from_user.username,
                    telegram_language=from_user.language_code,
                    now=self.clock.now(),
                    # A citizen's name is kept only with their consent (PrivacyService).
                    keep_name=from_user.id in self.admin_ids,
                )
                # Commit at once: a long handler must not hold SQLite's write lock.
                await session.commit()
            else:
                data["user"] = await users.get(from_user.id)
        return await handler(event, data)


class FloodMiddleware(BaseMiddleware):
    """Drops a user's updates beyond `limit` per `period`, warning them once per burst.

    Counted in this process (a sliding window), or with Redis in one place for every replica
    (a fixed window per `period`), since a user's updates may reach any of them."""

    def __init__(
        self,
        clock: Clock,
        limit: int = 20,
        period: timedelta = timedelta(seconds=10),
        *,
        redis: Any = None,
        key_prefix: str = "flood",
    ):
        self.clock = clock
        self.limit = limit
        self.period = period
        self.redis = redis
        self.key_prefix = key_prefix
        self._seen: dict[int, deque] = {}
        self._warned: set[int] = set()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        from_user: User | None = data.get("event_from_user")
        if from_user is None:
            return await handler(event, data)
        over, first = await self._hit(from_user.id)
        if over:
            if first:
                text = _("Too many messages at once. Please wait a few seconds and try again.")
                if isinstance(event, Message):
                    await event.answer(text)
                elif isinstance(event, CallbackQuery):
                    await event.answer(text, show_alert=True)
            return None
        return await handler(event, data)

    async def _hit(self, user_id: int) -> tuple[bool, bool]:
        """Count an update: (over the limit, the first update over it in this burst)."""
        now = self.clock.now()
        if self.redis is not None:
            window = int(now.timestamp() // self.period.total_seconds())
            key = f"{self.key_prefix}:{user_id}:{window}"
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, int(self.period.total_seconds()) * 2)
                count, _ = await pipe.execute()
            return count > self.limit, count == self.limit + 1
        seen = self._seen.setdefault(user_id, deque())
        while seen and now - seen[0] >= self.period:
            seen.popleft()
        if len(seen) >= self.limit:
            first = user_id not in self._warned
            self._warned.add(user_id)
            return True, first
        self._warned.discard(user_id)
        seen.append(now)
        return False, False


class AlbumMiddleware(BaseMiddleware):
    """An album reaches the bot as one message per file, sharing a media_group_id. The first
    part waits `wait` seconds for the rest, then goes on alone, carrying them all as
    data["album"]; the other parts stop here. So an album is one question, not one question
    and nine "please use the buttons". (Within one process: with several webhook replicas an
    album's parts may reach different ones.)"""

    def __init__(self, wait: float) -> None:
        self.wait = wait
        self._albums: dict[tuple[int, str], list[Message]] = {}

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(event, Message) or event.media_group_id is None:
            return await handler(event, data)
        key = (event.chat.id, event.media_group_id)
        if key in self._albums:
            self._albums[key].append(event)
            return None
        self._albums[key] = [event]
        try:
            await asyncio.sleep(self.wait)
        finally:
            parts = self._albums.pop(key)
        data["album"] = sorted(parts, key=lambda part: part.message_id)
        return await handler(event, data)


class BlockedUserRequestMiddleware(BaseRequestMiddleware):
    """A 403 on any send means the user blocked the bot: mark them inactive, then re-raise."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Any:
        try:
            return await make_request(bot, method)
        except TelegramForbiddenError:
            chat_id = getattr(method, "chat_id", None)
            if isinstance(chat_id, int) and chat_id > 0:
                try:
                    async with self.sessionmaker() as session:
                        await UserRepository(session).set_active(chat_id, False)
                        await session.commit()
                except Exception:
                    logger.exception("could not mark user %s inactive", chat_id)
                else:
                    logger.info("user %s blocked the bot; marked inactive", chat_id)
            raise
