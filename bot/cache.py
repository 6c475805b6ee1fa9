"""What an update needs to know about its sender, kept for a short time in this process, so that
most updates need no database query before their handler runs.

- `UserCache`: the sender's row (language, consent, whether they are active), as it was when this
  process last read or wrote it. Whatever this process changes is put back after the update's
  transaction commits, and dropped when it rolls back; a change made elsewhere (another replica,
  a broadcast marking a blocked user) is seen at the latest `ttl` seconds later, or at once on
  every replica when Redis carries the news (`Invalidations`).
- `SecretaryIds`: who is a secretary at all, so that a citizen's update needs no query to
  learn that they are not one.
- `LastSeen`: when users were last seen, written once a minute for all of them.
- `EventSnapshots`: the events citizens are pressing "I will attend" for, a few seconds each.
"""

import asyncio
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import User
from db.repositories.councils import CouncilRepository
from db.repositories.events import EventSnapshot
from db.repositories.users import UserRepository

logger = logging.getLogger(__name__)

USER_TTL_SECONDS = 60.0
SECRETARY_IDS_TTL_SECONDS = 30.0
EVENT_TTL_SECONDS = 10.0
# Users kept at most (about 1 KB each): a minute of a busy wave; the oldest go first.
MAX_ENTRIES = 20_000
# How long stopping waits for the Redis listener and the last published changes.
STOP_SECONDS = 2.0

# The columns a snapshot holds: every column of the users table.
_USER_COLUMNS = tuple(column.key for column in inspect(User).column_attrs)


class _TimedMap:
    """Keys with values that expire `ttl` seconds after they were put, at most `size` of them
    (the oldest go first)."""

    def __init__(self, ttl: float, size: int, now: Callable[[], float]) -> None:
        self.ttl = ttl
        self.size = size
        self.now = now
        self._items: OrderedDict[int, tuple[float, Any]] = OrderedDict()

    def get(self, key: int) -> Any | None:
        item = self._items.get(key)
        if item is None:
            return None
        if self.now() - item[0] >= self.ttl:
            del self._items[key]
            return None
        return item[1]

    def put(self, key: int, value: Any) -> None:
        self._items.pop(key, None)
        self._items[key] = (self.now(), value)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def forget(self, key: int) -> None:
        self._items.pop(key, None)

    def clear(self) -> None:
        self._items.clear()


class UserCache:
    def __init__(
        self,
        ttl: float = USER_TTL_SECONDS,
        size: int = MAX_ENTRIES,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._users = _TimedMap(ttl, size, now)

    def get(self, user_id: int) -> dict[str, Any] | None:
        """The user's columns as last seen, or None when not known or too old."""
        snapshot: dict[str, Any] | None = self._users.get(user_id)
        return snapshot

    def put(self, user: User) -> None:
        """Remember the user as this object has them, without touching the database (in a
        session hook no SQL may run)."""
        state = inspect(user)
        if state.identity is None:
            return
        user_id = state.identity[0]
        loaded = state.dict
        if state.was_deleted or state.deleted or any(c not in loaded for c in _USER_COLUMNS):
            self.forget(user_id)  # deleted, or something expired it: read it afresh next time
            return
        self._users.put(user_id, {column: loaded[column] for column in _USER_COLUMNS})

    def forget(self, user_id: int) -> None:
        self._users.forget(user_id)

    def clear(self) -> None:
        self._users.clear()


class SecretaryIds:
    """The ids of everyone who is a secretary of some council, read at most every `ttl` seconds
    (one query for every user, instead of one per user): who is not among them is no secretary.
    Who is among them has their councils read afresh on every update (`staff_of`), so a revoked
    secretary loses their rights at once; a new secretary is added by `forget`, here and, with
    Redis, on every replica."""

    def __init__(
        self, ttl: float = SECRETARY_IDS_TTL_SECONDS, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.now = now
        self._ids: frozenset[int] | None = None
        self._read_at = 0.0

    async def may_be_secretary(self, session: AsyncSession, user_id: int) -> bool:
        if self._ids is None or self.now() - self._read_at >= self.ttl:
            read_at = self.now()
            self._ids = frozenset(await CouncilRepository(session).secretary_ids())
            self._read_at = read_at
        return user_id in self._ids

    def forget(self, user_id: int | None = None) -> None:
        self._ids = None

    def clear(self) -> None:
        self._ids = None


class EventSnapshots:
    """Events as "I will attend" shows them (db.repositories.events.EventSnapshot), kept `ttl`
    seconds, so that a wave of presses for one event reads it once rather than once a press.
    A press writes through a statement that checks in the database that the event is still
    open and not edited since the snapshot was read (its `updated_at`), so a stale snapshot is
    never acted on: that press reads the event afresh (EventService.register). What no edit of
    the event marks, its council's names and time zone, may show up to `ttl` seconds late."""

    def __init__(
        self,
        ttl: float = EVENT_TTL_SECONDS,
        size: int = 256,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._events = _TimedMap(ttl, size, now)

    def get(self, event_id: int) -> EventSnapshot | None:
        found: EventSnapshot | None = self._events.get(event_id)
        return found

    def put(self, found: EventSnapshot) -> None:
        self._events.put(found.event.id, found)

    def forget(self, event_id: int) -> None:
        self._events.forget(event_id)


class LastSeen:
    """When each user was last seen, written to the database in one statement a minute (by the
    scheduler, and when the bot stops) instead of one write per update. A crash loses at most
    that minute of last_seen, which only says when a user was last active."""

    def __init__(self) -> None:
        self._seen: dict[int, datetime] = {}

    def mark(self, user_id: int, now: datetime) -> None:
        self._seen[user_id] = now

    async def flush(self, sessionmaker: async_sessionmaker[AsyncSession]) -> int:
        seen, self._seen = self._seen, {}
        if not seen:
            return 0
        try:
            async with sessionmaker() as session:
                await UserRepository(session).set_last_seen(seen)
                await session.commit()
        except Exception:
            for user_id, moment in seen.items():  # next time, unless seen again since
                self._seen.setdefault(user_id, moment)
            raise
        return len(seen)


class Caches:
    """The caches of one app, and how a change reaches the other replicas."""

    def __init__(self) -> None:
        self.users = UserCache()
        self.secretaries = SecretaryIds()
        self.last_seen = LastSeen()
        self.events = EventSnapshots()
        self.invalidations: Invalidations | None = None

    def forget(self, user_id: int) -> None:
        """The user changed (or became a secretary): drop what any replica remembers of them."""
        self.users.forget(user_id)
        self.secretaries.forget(user_id)
        self.forget_elsewhere(user_id)

    def forget_elsewhere(self, user_id: int) -> None:
        """The user changed here, and this process already knows how: the others drop theirs."""
        if self.invalidations is not None:
            self.invalidations.publish(user_id)

    def share(self, redis: Any, channel: str) -> "Invalidations":
        self.invalidations = Invalidations(redis, channel, [self.users, self.secretaries])
        return self.invalidations


class Invalidations:
    """With Redis: a user changed in one replica is dropped from every replica's caches at once
    (a Redis channel carries the user ids). A message lost on the way costs at most the caches'
    time to live."""

    def __init__(self, redis: Any, channel: str, caches: list[UserCache | SecretaryIds]) -> None:
        self.redis = redis
        self.channel = channel
        self.caches = caches
        # This replica's own messages come back to it late; it has already forgotten the user
        # (and may have read them afresh since), so it skips them by this mark.
        self.origin = secrets.token_hex(4)
        self._task: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[Any]] = set()

    def publish(self, user_id: int) -> None:
        task = asyncio.ensure_future(self._publish(user_id))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _publish(self, user_id: int) -> None:
        try:
            await self.redis.publish(self.channel, f"{self.origin}:{user_id}")
        except Exception as exc:  # the caches' time to live still bounds the staleness
            logger.warning("could not publish a user change to other replicas: %s", exc)

    def start(self) -> None:
        self._task = asyncio.create_task(self._listen())

    async def stop(self) -> None:
        if self._pending:
            await asyncio.wait(self._pending, timeout=STOP_SECONDS)
        if self._task is not None:
            self._task.cancel()
            # redis-py may hold a cancellation while it connects or closes: do not wait on it
            # for ever (the process is stopping; the connection goes with the client).
            done, _ = await asyncio.wait({self._task}, timeout=STOP_SECONDS)
            if not done:
                logger.warning("the replica cache listener did not stop in time")

    async def _listen(self) -> None:
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        data = message["data"]
                        text = data.decode() if isinstance(data, bytes) else str(data)
                        origin, _sep, user = text.rpartition(":")
                        if origin == self.origin:
                            continue
                        user_id = int(user)
                        for cache in self.caches:
                            cache.forget(user_id)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("replica cache invalidations interrupted: %s", exc)
                # Whatever was missed meanwhile: start clean.
                for cache in self.caches:
                    cache.clear()
                await asyncio.sleep(1.0)
