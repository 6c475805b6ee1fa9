"""Which webhook updates were taken already. Telegram may deliver an update twice (it retries
when an answer is late), and with replicas the second copy can reach another process: whoever
takes an update id first handles it, any later copy is skipped (UpdateOnceMiddleware).

Where the ids are kept depends on the deployment:
- REDIS_URL set (replicas): in Redis, one `SET NX` per update, shared by every replica;
- PostgreSQL without Redis (replicas possible): in the database, committed before handling;
- SQLite (one process by design: SQLite is the single-machine setup): in this process's
  memory. Telegram sends again only what was not acknowledged, so after a restart an update
  cut off mid-way is handled, not skipped as a record made before the crash would have it.
"""

from collections import OrderedDict
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from db.repositories.updates import UpdateRepository

# How long a taken id is remembered: Telegram retries an update for at most a day.
KEPT = timedelta(days=2)


class UpdateLedger(Protocol):
    async def take(self, update_id: int) -> bool:
        """Record the update id; False when it was taken before (here or by a replica)."""


class LocalUpdateLedger:
    """The ids taken by this process: the last `size` of them (a retry comes within minutes,
    after at most a few thousand other updates)."""

    def __init__(self, size: int = 100_000) -> None:
        self.size = size
        self._taken: OrderedDict[int, None] = OrderedDict()

    async def take(self, update_id: int) -> bool:
        if update_id in self._taken:
            return False
        self._taken[update_id] = None
        if len(self._taken) > self.size:
            self._taken.popitem(last=False)
        return True


class RedisUpdateLedger:
    """One key per update id, set only if absent, forgotten by Redis after KEPT."""

    def __init__(self, redis: Any, key_prefix: str) -> None:
        self.redis = redis
        self.key_prefix = key_prefix
        self.seconds = int(KEPT.total_seconds())

    async def take(self, update_id: int) -> bool:
        key = f"{self.key_prefix}:{update_id}"
        return bool(await self.redis.set(key, 1, nx=True, ex=self.seconds))


class DatabaseUpdateLedger:
    """A row per update id (processed_updates), committed in a transaction of its own before the
    update is handled; rows older than KEPT are deleted every hour (App.forget_old_updates)."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock

    async def take(self, update_id: int) -> bool:
        async with self.sessionmaker() as session:
            taken = await UpdateRepository(session).take(update_id, self.clock.now())
            await session.commit()
        return taken

    async def forget_old(self) -> int:
        async with self.sessionmaker() as session:
            forgotten = await UpdateRepository(session).forget_before(self.clock.now() - KEPT)
            await session.commit()
        return forgotten
