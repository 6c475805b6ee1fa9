"""Broadcast benchmark: the real engine, in its own process, against a fake Bot API served by
aiohttp on loopback, with SQLite. Prints a table; see README "Broadcast benchmark".

    .venv/bin/python bench/broadcast.py            # the four scenarios and the memory check
    .venv/bin/python bench/broadcast.py --quick    # smaller numbers, for a smoke run

Scenarios: (1) unthrottled, 100 000 recipients: messages per second and peak RSS;
(2) throttled at 30/s for 60+ s: achieved rate / limit and the busiest one-second window, as
the fake API saw them; (3) 429 for 2 s in the middle and 403 for 5% of users: nothing lost,
nothing twice, blocked counted; (4) kill -9 at about half, restart: the same; (5) peak RSS of
the sending process at 10 000 and at 1 000 000 recipients.
"""

import argparse
import asyncio
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

SELF = str(Path(__file__).resolve())
ROOT = Path(SELF).parent.parent
TOKEN = "123456789:AAHbenchmarkTokenNotRealAtAll_abcdefghij"
COUNCIL_ID = 1
BOT_USER = {"id": 42, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}


# -- the fake Bot API -------------------------------------------------------------------------


@dataclass
class FakeApi:
    blocked: set[int] = field(default_factory=set)
    flood_at: int | None = None  # after this many deliveries, answer 429 for flood_seconds
    flood_seconds: float = 2.0
    received: list[tuple[int, float]] = field(default_factory=list)
    floods: int = 0
    _flood_until: float = 0.0
    on_delivery: object = None

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "getMe":
            return web.json_response({"ok": True, "result": BOT_USER})
        if method != "sendMessage":
            if method in {"editMessageText"}:
                form = await request.post()
                return web.json_response(
                    {"ok": True, "result": _message(int(form["chat_id"]), form["text"])}
                )
            return web.json_response({"ok": True, "result": True})
        form = await request.post()
        chat_id = int(form["chat_id"])
        now = time.monotonic()
        if (
            self.flood_at is not None
            and len(self.received) >= self.flood_at
            and not self._flood_until
        ):
            self._flood_until = now + self.flood_seconds
        if self._flood_until and now < self._flood_until:
            self.floods += 1
            retry = max(1, round(self._flood_until - now))
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {retry}",
                    "parameters": {"retry_after": retry},
                },
                status=429,
            )
        if chat_id in self.blocked:
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 403,
                    "description": "Forbidden: bot was blocked by the user",
                },
                status=403,
            )
        if chat_id < 10**9:  # a citizen, not the secretary's progress chat
            self.received.append((chat_id, now))
            if self.on_delivery is not None:
                self.on_delivery(len(self.received))
        return web.json_response({"ok": True, "result": _message(chat_id, str(form["text"]))})


def _message(chat_id: int, text: str) -> dict:
    return {
        "message_id": 1,
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private"},
        "from": BOT_USER,
        "text": text,
    }


async def serve(api: FakeApi) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", api.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


# -- the database ---------------------------------------------------------------------------


def prepare(db: Path, recipients: int, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "bot", "migrate"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    now = "2026-11-23 05:00:00.000000"
    with sqlite3.connect(db) as connection:
        connection.execute(
            "insert into councils (id, name_kk, name_ru, name_en, timezone, default_language,"
            " created_at) values (1, 'К', 'С', 'C', 'Asia/Almaty', 'ru', ?)",
            (now,),
        )
        connection.execute(
            "insert into users (id, full_name, language, first_seen, last_seen, is_active)"
            " values (2000000000, 'Secretary', 'en', ?, ?, 1)",
            (now, now),
        )
        languages = ("kk", "ru", "en")
        batch = 50_000
        for start in range(0, recipients, batch):
            ids = range(1 + start, 1 + min(recipients, start + batch))
            connection.executemany(
                "insert into users (id, full_name, language, first_seen, last_seen, is_active)"
                " values (?, 'U', ?, ?, ?, 1)",
                ((i, languages[i % 3], now, now) for i in ids),
            )
            connection.executemany(
                "insert into subscriptions (user_id, council_id, active, updated_at)"
                " values (?, 1, 1, ?)",
                ((i, now) for i in ids),
            )
        connection.execute(
            "insert into broadcasts (id, council_id, created_by, text_kk, text_ru, text_en,"
            " status, scheduled_at, created_at, recipients_fixed, progress_chat_id)"
            " values (1, 1, 2000000000, 'Хабарландыру', 'Объявление', 'Announcement',"
            " 'scheduled', ?, ?, 0, 2000000000)",
            (now, now),
        )


def outcome(db: Path) -> Counter:
    with sqlite3.connect(db) as connection:
        return Counter(
            dict(connection.execute("select status, count(*) from deliveries group by status"))
        )


# -- the sending process --------------------------------------------------------------------


async def worker() -> None:
    """Runs in its own process: the production app factory, the real engine, nothing else."""
    from bot.app import create_app
    from bot.config import load_settings
    from bot.ratelimit import RateLimiter

    settings = load_settings()
    app = create_app(settings)
    rate = os.environ.get("BENCH_RATE")
    app.broadcaster.limiter = RateLimiter(int(rate) if rate else None)
    app.broadcaster.progress_seconds = 3.0
    await app.start(run_scheduler=False)
    started = time.monotonic()
    await app.broadcaster.tick()
    await app.broadcaster.wait()
    elapsed = time.monotonic() - started
    await app.stop()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "elapsed": elapsed,
                "peak_rss_mb": usage.ru_maxrss / 1024,
                "cpu": usage.ru_utime + usage.ru_stime,
            }
        )
    )


async def run_worker(env: dict[str, str], kill_when=None) -> dict | None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        SELF,
        "worker",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    if kill_when is not None:
        while process.returncode is None:
            if kill_when():
                process.send_signal(signal.SIGKILL)
                await process.wait()
                return None
            await asyncio.sleep(0.01)
    stdout, stderr = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(stderr.decode()[-2000:])
    return json.loads(stdout.decode().strip().splitlines()[-1])


@dataclass
class Result:
    name: str
    recipients: int
    rows: dict[str, str]


async def scenario(
    name: str,
    recipients: int,
    *,
    rate: int | None,
    blocked_share: float = 0.0,
    flood: bool = False,
    kill_at_half: bool = False,
    stop_after: int | None = None,
) -> Result:
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        api = FakeApi()
        api.blocked = {
            i
            for i in range(1, recipients + 1)
            if blocked_share and i % round(1 / blocked_share) == 0
        }
        if flood:
            api.flood_at = recipients // 2
        runner, base = await serve(api)
        env = {
            **os.environ,
            "BOT_TOKEN": TOKEN,
            "DATABASE_URL": f"sqlite+aiosqlite:///{db}",
            "TELEGRAM_API_URL": base,
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
            "BENCH_RATE": str(rate or ""),
        }
        prepare(db, recipients, env)
        if stop_after is not None:

            def stop(count: int) -> None:
                if count == stop_after:
                    with sqlite3.connect(db, timeout=30) as connection:
                        connection.execute("update broadcasts set status='stopped' where id=1")

            api.on_delivery = stop
        try:
            started = time.monotonic()
            runs = 1
            if kill_at_half:
                half = recipients // 2
                stats = await run_worker(env, kill_when=lambda: len(api.received) >= half)
                runs = 2
                stats = await run_worker(env)
            else:
                stats = await run_worker(env)
            wall = time.monotonic() - started
        finally:
            await runner.cleanup()
        rows = outcome(db)
    got = Counter(chat for chat, _ in api.received)
    times = sorted(t for _, t in api.received)
    busiest = _busiest_second(times)
    sending_time = (times[-1] - times[0]) if len(times) > 1 else 0.0
    achieved = (len(times) - 1) / sending_time if sending_time else 0.0
    expected = set(range(1, recipients + 1)) - api.blocked
    uncertain = rows.get("uncertain", 0)
    with_uncertain = {}
    if stop_after is None:
        never = expected - set(got)
        with_uncertain = {
            "lost (neither received nor reported uncertain)": str(max(0, len(never) - uncertain))
        }
    return Result(
        name,
        recipients,
        {
            "runs of the sender": str(runs),
            "delivered (unique)": str(len(got)),
            "sent twice or more": str(sum(1 for c in got.values() if c > 1)),
            "blocked counted": str(rows.get("blocked", 0)),
            "uncertain after crash": str(uncertain),
            **with_uncertain,
            "429 answers": str(api.floods),
            "msg/s (as the API saw them)": f"{achieved:.0f}",
            "rate / limit": f"{achieved / rate:.3f}" if rate else "—",
            "busiest 1 s window": str(busiest),
            "peak RSS of the sender, MB": f"{stats['peak_rss_mb']:.0f}" if stats else "—",
            "wall time, s": f"{wall:.1f}",
        },
    )


def _busiest_second(times: list[float]) -> int:
    best = 0
    start = 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def print_table(results: list[Result]) -> None:
    keys = list(dict.fromkeys(key for result in results for key in result.rows))
    headers = ["", *[f"{r.name} ({r.recipients:,})" for r in results]]
    table = [[key, *[r.rows.get(key, "") for r in results]] for key in keys]
    widths = [max(len(str(row[i])) for row in [headers, *table]) for i in range(len(headers))]
    for row in [headers, ["-" * w for w in widths], *table]:
        print(" | ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))


async def main(quick: bool, million: bool) -> None:
    scale = 10 if quick else 1
    results = [
        await scenario("1 unthrottled", 100_000 // scale, rate=None),
        await scenario("2 throttled 30/s", 1_900 // (3 if quick else 1), rate=30),
        await scenario(
            "3 429 + 5% 403", 20_000 // scale, rate=None, blocked_share=0.05, flood=True
        ),
        await scenario(
            "4 kill -9 at half", 20_000 // scale, rate=None, blocked_share=0.05, kill_at_half=True
        ),
        await scenario("5a memory", 10_000, rate=None),
        await scenario(
            "5b memory",
            (1_000_000 if not quick else 100_000),
            rate=None,
            stop_after=None if million else 100_000 // (10 if quick else 1),
        ),
    ]
    print_table(results)


if __name__ == "__main__":
    if sys.argv[1:2] == ["worker"]:
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            cProfile.run("asyncio.run(worker())", os.environ["BENCH_PROFILE"])
        else:
            from bot.__main__ import run_loop  # the same loop as `python -m bot`

            run_loop(worker())
        sys.exit(0)
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller numbers, a smoke run")
    parser.add_argument(
        "--million",
        action="store_true",
        help="send all 1 000 000 in the memory scenario (default: stop after 100 000 sent)",
    )
    arguments = parser.parse_args()
    asyncio.run(main(arguments.quick, arguments.million))
