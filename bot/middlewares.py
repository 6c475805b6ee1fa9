"""Per-update work: each update once, a database session, the user behind the update, flood
control."""

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
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
from bot.transient import delay_before, is_transient
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
    # Requests to Telegram that succeeded while handling the update: once something reached the
    # user, handling the update again could tell them twice.
    sent: int = 0
    # Webhook mode: this process recorded the update id, so a retry is not taken for a copy.
    taken: bool = False

    @property
    def handler_committed(self) -> bool:
        return self.commits > self.commits_before_handler


# The trace of the update the current task handles (for the Bot API session's middleware).
CURRENT_TRACE: ContextVar[Trace | None] = ContextVar("current_trace", default=None)


class TraceUpdateMiddleware(BaseMiddleware):
    """Outer, on updates: hands every update a Trace (data["trace"])."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        trace = data["trace"] = Trace()
        token = CURRENT_TRACE.set(trace)
        try:
            return await handler(event, data)
        finally:
            CURRENT_TRACE.reset(token)


class RetryMiddleware(BaseMiddleware):
    """Outer, on updates: an update that failed for a reason that passes (bot/transient.py) is
    handled again, up to `retries` times, after a short wait, as long as that is safe: the
    failed try committed nothing of the handler's work and nothing reached Telegram. Otherwise,
    or when the tries run out, the error goes on to the errors router, which tells the user.

    Each try starts from the update's data as it came in, in a new database session."""

    def __init__(self, retries: int, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep):
        self.retries = retries
        self.sleep = sleep

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        trace: Trace = data["trace"]
        attempt = 1
        while True:
            attempt_data = dict(data)
            try:
                return await handler(event, attempt_data)
            except Exception as exc:
                safe = not trace.handler_committed and trace.sent == 0
                if attempt > self.retries or not safe or not is_transient(exc):
                    # The errors router reads the user (for their language) from here.
                    data.update(attempt_data)
                    raise
                assert isinstance(event, Update)
                metrics.RETRIES.labels(type(exc).__name__).inc()
                logger.info(
                    "update %s: %s in %s, trying again (%d of %d)",
                    event.update_id,
                    type(exc).__name__,
                    trace.handler,
                    attempt,
                    self.retries,
                )
                await self.sleep(delay_before(attempt, exc))
                attempt += 1
                trace.handler = "none"
                trace.commits_before_handler = trace.commits


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
        trace: Trace | None = data.get("trace")
        if trace is not None and trace.taken:  # a retry: this process took it on the first try
            return await handler(event, data)
        async with self.sessionmaker() as session:
            taken = await UpdateRepository(session).take(event.update_id, self.clock.now())
            await session.commit()
        if trace is not None:
            trace.taken = taken
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


class TraceRequestMiddleware(BaseRequestMiddleware):
    """Counts, on the update's trace, the requests to Telegram that succeeded."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Any:
        result = await make_request(bot, method)
        trace = CURRENT_TRACE.get()
        if trace is not None:
            trace.sent += 1
        return result


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
