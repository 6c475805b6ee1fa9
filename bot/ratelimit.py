"""One limiter for everything the bot sends in bulk: never more than `rate` sends in any window of
one second, and a shared pause when Telegram answers 429."""

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable


class RateLimiter:
    """A sliding-window limiter: a send may start only if fewer than `rate` started in the last
    `window` seconds. Unlike a token bucket it allows no burst above the rate."""

    def __init__(
        self,
        rate: float | None,
        *,
        window: float = 1.0,
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

    def pause(self, seconds: float) -> None:
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
                while self._starts and now - self._starts[0] >= self.window:
                    self._starts.popleft()
                if len(self._starts) < self.rate:
                    self._starts.append(now)
                    return
                await self.sleep(self._starts[0] + self.window - now)
