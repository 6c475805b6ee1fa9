"""One limiter for everything the bot sends in bulk: never more than `rate` sends in any window of
one second, and a shared pause when Telegram answers 429."""

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

# A request reaches Telegram a little after it starts; if starts were limited per exact second,
# uneven latency could still put rate + 1 arrivals into some second. Limiting starts per 1.02 s
# absorbs 20 ms of jitter and keeps 98% of the allowed rate.
WINDOW_SECONDS = 1.02


class RateLimiter:
    """Sends start evenly spaced (window / rate apart) and never more than `rate` in any
    `window` seconds. Unlike a token bucket it allows no burst above the rate."""

    def __init__(
        self,
        rate: float | None,
        *,
        window: float = WINDOW_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rate = int(rate) if rate else None
        self.window = window
        self.monotonic = monotonic
        self.sleep = sleep
        self._starts: deque[float] = deque()
        self._lock = asyncio.Lock()
        self._paused_until = 0.0
        self._next_start = 0.0

    async def pause(self, seconds: float) -> None:
        """Stop every bulk send for `seconds` (Telegram's retry_after)."""
        self._paused_until = max(self._paused_until, self.monotonic() + seconds)

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self.monotonic()
                if now < self._paused_until:
                    await self.sleep(self._paused_until - now)
                    continue
                if self.rate is None:
                    return
                if now < self._next_start:
                    await self.sleep(self._next_start - now)
                    continue
                # One expression decides both when a start leaves the window and how long to
                # wait for it, so rounding can never make us wait zero seconds forever.
                while self._starts and self._starts[0] + self.window <= now:
                    self._starts.popleft()
                if len(self._starts) < self.rate:
                    self._starts.append(now)
                    # Keep to the even timeline after a short delay (the window above still
                    # caps any catching up); start a fresh timeline after a long idle.
                    interval = self.window / self.rate
                    behind = now - self._next_start
                    base = self._next_start if 0 <= behind < interval else now
                    self._next_start = base + interval
                    return
                await self.sleep(self._starts[0] + self.window - now)


# One atomic step on the Redis server, whose clock all replicas share: the next free start on the
# common timeline (never before a pause set after a 429 ends), and the wait until it.
_RESERVE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local start = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'),
                       tonumber(redis.call('GET', KEYS[2]) or '0'))
redis.call('SET', KEYS[1], string.format('%.6f', start + tonumber(ARGV[1])), 'EX', 3600)
return {string.format('%.6f', start), string.format('%.6f', start - now)}
"""
_PAUSE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local until_ = now + tonumber(ARGV[1])
if until_ > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], string.format('%.6f', until_), 'EX', 3600)
end
return 1
"""


def redis_client(url: str) -> Any:
    """A Redis client whose callers wait for a free connection rather than fail: a chunk of
    sends asks for its slots all at once."""
    from redis.asyncio import BlockingConnectionPool, Redis

    return Redis(connection_pool=BlockingConnectionPool.from_url(url, max_connections=32))


class RedisRateLimiter:
    """The same promise as RateLimiter for any number of replicas together: every bulk send,
    from whichever process, takes the next slot on one timeline kept in Redis, `window / rate`
    apart, so never more than `rate` start in any window; a 429 seen by one pauses them all."""

    def __init__(
        self,
        redis: Any,
        rate: float,
        *,
        key: str = "hearing-state:bulk",
        window: float = WINDOW_SECONDS,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.redis = redis
        self.rate = int(rate)
        self.window = window
        self.sleep = sleep
        self._keys = [f"{key}:next", f"{key}:paused"]
        self._reserve = redis.register_script(_RESERVE)
        self._pause = redis.register_script(_PAUSE)

    async def reserve(self) -> tuple[float, float]:
        """Take the next slot: (its start on the Redis clock, seconds to wait for it)."""
        start, wait = await self._reserve(keys=self._keys, args=[self.window / self.rate])
        return float(start), float(wait)

    async def acquire(self) -> None:
        _start, wait = await self.reserve()
        if wait > 0:
            await self.sleep(wait)

    async def pause(self, seconds: float) -> None:
        await self._pause(keys=self._keys[1:], args=[seconds])
