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
from aiogram.methods import AnswerCallbackQuery, Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject, Update, User
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import metrics
from bot.cache import Caches
from bot.clock import Clock
from bot.services.container import Services
from bot.transient import delay_before, is_transient
from bot.update_ledger import UpdateLedger
from db.models import User as DbUser
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
    # The update's callback query got its answer (Telegram takes only one).
    query_answered: bool = False

    @property
    def handler_committed(self) -> bool:
        return self.commits > self.commits_before_handler

    def count_commit(self) -> None:
        self.commits += 1


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
    """Webhook mode: each update handled once, though Telegram may deliver it twice and a copy
    may reach another replica. The update id is taken in the ledger (bot/update_ledger.py)
    before the update is handled: whoever takes it first handles it, any later copy is skipped.
    A retry in this process (RetryMiddleware) is not a copy."""

    def __init__(self, ledger: UpdateLedger) -> None:
        self.ledger = ledger

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        trace: Trace | None = data.get("trace")
        if trace is not None and trace.taken:  # a retry: this process took it on the first try
            return await handler(event, data)
        taken = await self.ledger.take(event.update_id)
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
    """One session per update, and the update's services bound to it (data["services"]);
    what the handler leaves uncommitted is committed when it returns.

    Whoever needs to know: callables in session.info["after_commit"] run after each commit
    (db.engine.HookedSession), those in session.info["on_failure"] when the update fails."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with self.sessionmaker() as session:
            data["session"] = session
            caches: Caches | None = data.get("caches")
            data["services"] = Services(
                session,
                data["settings"],
                data["clock"],
                caches.events if caches is not None else None,
            )
            trace: Trace | None = data.get("trace")
            session.info["after_commit"] = [trace.count_commit] if trace is not None else []
            session.info["on_failure"] = []
            try:
                result = await handler(event, data)
                await session.commit()
            except BaseException:
                for hook in session.info["on_failure"]:
                    hook()
                raise
            return result


# What other replicas must hear of when it changes (last_seen and Telegram's language need not).
_SHARED_COLUMNS = ("full_name", "username", "language", "is_active", "consent_at")


class UserMiddleware(BaseMiddleware):
    """The user behind a private update as data["user"], created on first contact.

    Known users come from the cache (bot/cache.py) without a query, others with one; only when
    what Telegram says of them changed (or they come back after blocking the bot) is the row
    written, and committed at once (a long handler must not hold SQLite's write lock). Their
    last_seen is written once a minute for everyone (bot.cache.LastSeen). Whatever the update
    commits about the user goes back into the cache; if the update fails, the copy is dropped.

    In groups a user is only looked up, never created: group members have not started the bot.
    """

    def __init__(self, clock: Clock, admin_ids: frozenset[int] | set[int], caches: Caches) -> None:
        self.clock = clock
        self.admin_ids = admin_ids
        self.caches = caches

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        from_user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        if from_user is None or from_user.is_bot:
            return await handler(event, data)
        session: AsyncSession = data["session"]
        users = UserRepository(session)
        cache = self.caches.users
        user_id = from_user.id
        private = chat is None or chat.type == "private"
        # A citizen's name is kept only with their consent (PrivacyService); superadmins' always.
        keep_name = user_id in self.admin_ids
        snapshot = cache.get(user_id)
        before: dict[str, Any] | None = None

        def committed() -> None:
            if user is None:
                return
            cache.put(user)
            after = cache.get(user_id)
            if before is not None and after is not None and _shared(before) != _shared(after):
                self.caches.forget_elsewhere(user_id)

        session.info["after_commit"].append(committed)
        session.info["on_failure"].append(lambda: cache.forget(user_id))
        now = self.clock.now()
        user: DbUser | None = None
        if snapshot is None:
            snapshot = await users.row(user_id)
        if snapshot is not None:
            user, before = users.attach(snapshot), snapshot
        if private:
            if before is None or _stale(before, from_user, keep_name):
                user = await users.touch(
                    user_id,
                    full_name=from_user.full_name,
                    username=from_user.username,
                    telegram_language=from_user.language_code,
                    now=now,
                    keep_name=keep_name,
                )
                await session.commit()  # a long handler must not hold SQLite's write lock
            self.caches.last_seen.mark(user_id, now)
        data["user"] = user
        return await handler(event, data)


def _stale(snapshot: dict[str, Any], from_user: User, keep_name: bool) -> bool:
    """Whether the user's row must be refreshed from what this update says of them."""
    if not snapshot["is_active"] or snapshot["telegram_language"] != from_user.language_code:
        return True
    return bool(
        (keep_name or snapshot["consent_at"] is not None or snapshot["full_name"])
        and (
            snapshot["full_name"] != from_user.full_name
            or snapshot["username"] != from_user.username
        )
    )


def _shared(snapshot: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(snapshot[column] for column in _SHARED_COLUMNS)


class FloodMiddleware(BaseMiddleware):
    """Drops a user's updates beyond `limit` per `period`, warning them once per burst.

    Counted in this process (a sliding window), or with Redis in one place for every webhook
    replica (a fixed window per `period`), since a user's updates may reach any of them."""

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
    album's parts may reach different ones.)

    An outer middleware of the update, set before any that does I/O (the database session,
    the user, the flood counter): the parts meet here as fast as they arrive, however slow the
    database is to hand out connections, and only the album's one update holds a connection."""

    def __init__(self, wait: float) -> None:
        self.wait = wait
        self._albums: dict[tuple[int, str], list[Message]] = {}

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        message = event.message if isinstance(event, Update) else None
        if message is None or message.media_group_id is None:
            return await handler(event, data)
        key = (message.chat.id, message.media_group_id)
        if key in self._albums:
            self._albums[key].append(message)
            return None
        self._albums[key] = [message]
        try:
            await asyncio.sleep(self.wait)
        finally:
            parts = self._albums.pop(key)
        data["album"] = sorted(parts, key=lambda part: part.message_id)
        return await handler(event, data)


# aiogram reads each answer as `Response[<the method's result type>]`, a generic pydantic model
# that pydantic caches only weakly: nothing else holds it, so it is garbage-collected and built
# again (about a millisecond of schema generation) on nearly every request. Held here, once per
# method, it is built once.
_RESPONSE_TYPES: dict[type, Any] = {}


class TraceRequestMiddleware(BaseRequestMiddleware):
    """Counts, on the update's trace, the requests to Telegram that succeeded (and keeps the
    response type of each method alive, see _RESPONSE_TYPES)."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Any:
        kind = type(method)
        if kind not in _RESPONSE_TYPES:
            generic: Any = Response
            _RESPONSE_TYPES[kind] = generic[method.__returning__]
        result = await make_request(bot, method)
        trace = CURRENT_TRACE.get()
        if trace is not None:
            trace.sent += 1
            if isinstance(method, AnswerCallbackQuery):
                trace.query_answered = True
        return result


class BlockedUserRequestMiddleware(BaseRequestMiddleware):
    """A 403 on any send means the user blocked the bot: mark them inactive, then re-raise."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], caches: Caches) -> None:
        self.sessionmaker = sessionmaker
        self.caches = caches

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
                self.caches.forget(chat_id)
                try:
                    async with self.sessionmaker() as session:
                        await UserRepository(session).set_active(chat_id, False)
                        await session.commit()
                except Exception:
                    logger.exception("could not mark user %s inactive", chat_id)
                else:
                    logger.info("user %s blocked the bot; marked inactive", chat_id)
            raise
