"""One limiter for everything the bot sends in bulk: never more than `rate` sends in any window of
one second, and a shared pause when Telegram answers 429."""

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

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
