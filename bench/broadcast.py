"""Broadcast benchmark: the real engine, in its own process, against a fake Bot API served by
aiohttp on loopback, with SQLite and, optionally, PostgreSQL and Redis. Prints a table; see
docs/performance.md, "Broadcast benchmark".

    .venv/bin/python bench/broadcast.py            # the four scenarios and the memory check
    .venv/bin/python bench/broadcast.py --quick    # smaller numbers, for a smoke run
    .venv/bin/python bench/broadcast.py --only-postgres \
        --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test \
        --redis redis://127.0.0.1:6379/0           # the PostgreSQL columns only

Scenarios: (1) unthrottled, 100 000 recipients: messages per second and peak RSS;
(2) throttled at 30/s for 60+ s: achieved rate / limit and the busiest one-second window, as
the fake API saw them; (3) 429 for 2 s in the middle and 403 for 5% of users: nothing lost,
nothing twice, blocked counted; (4) kill -9 at about half, restart: the same; (5) peak RSS of
the sending process at 10 000 and at 1 000 000 recipients.

With --postgres (each scenario in a fresh schema, dropped afterwards): (P1) and (P3) as 1 and 3;
(P6, needs --redis) two replicas sharing one Redis rate limit of 30/s, each sending one of two
broadcasts to the same recipients: the busiest second stays within the limit; (P7) two replicas,
the lease holder killed with SIGKILL at about half: the other takes over once the lease has run
out and finishes, nothing twice, nothing lost.
"""

import argparse
import asyncio
import json
import os
import resource
import secrets
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from aiohttp import web

SELF = str(Path(__file__).resolve())
ROOT = Path(SELF).parent.parent
TOKEN = "123456789:AAHbenchmarkTokenNotRealAtAll_abcdefghij"
COUNCIL_ID = 1
SECRETARY = 2_000_000_000
BOT_USER = {"id": 42, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}
LANGUAGES = ("kk", "ru", "en")
TEXTS = {"kk": "Хабарландыру", "ru": "Объявление", "en": "Announcement"}
# Broadcasts after the first are held this far ahead until the benchmark makes them due.
HELD = timedelta(days=1)


def broadcast_text(language: str, number: int, count: int) -> str:
    """The text of broadcast `number` of `count`: numbered only when there are several, so that
    what the API received tells the broadcasts apart."""
    return TEXTS[language] if count == 1 else f"{TEXTS[language]} {number}"


def recipient_language(user_id: int) -> str:
    return LANGUAGES[user_id % 3]


# -- the fake Bot API -------------------------------------------------------------------------


@dataclass
class FakeApi:
    blocked: set[int] = field(default_factory=set)
    flood_at: int | None = None  # after this many deliveries, answer 429 for flood_seconds
    flood_seconds: float = 2.0
    # Every message a citizen received: (chat_id, text, arrival time).
    received: list[tuple[int, str, float]] = field(default_factory=list)
    floods: int = 0
    _flood_until: float = 0.0
    on_delivery: Callable[[int], Awaitable[None]] | None = None

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "getMe":
            return web.json_response({"ok": True, "result": BOT_USER})
        if method != "sendMessage":
            if method in {"editMessageText"}:
                form = await request.post()
                return web.json_response(
                    {"ok": True, "result": _message(int(form["chat_id"]), str(form["text"]))}
                )
            return web.json_response({"ok": True, "result": True})
        form = await request.post()
        chat_id = int(form["chat_id"])
        text = str(form["text"])
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
            self.received.append((chat_id, text, now))
            if self.on_delivery is not None:
                await self.on_delivery(len(self.received))
        return web.json_response({"ok": True, "result": _message(chat_id, text)})


def _message(chat_id: int, text: str) -> dict[str, Any]:
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


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "bot", "migrate"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


class Database:
    """What the benchmark needs of the sender's database: fill it, watch it, read the outcome.
    `url` is the sender's DATABASE_URL."""

    url: str

    async def open(self) -> None:
        """Create the (empty) database."""

    async def close(self) -> None:
        """Remove it."""

    async def prepare(self, recipients: int, broadcasts: int, env: dict[str, str]) -> None:
        """Migrate, then one council, its secretary, `recipients` subscribed users and
        `broadcasts` scheduled broadcasts: the first is due, any others are held (HELD ahead)
        until make_due()."""
        raise NotImplementedError

    async def outcome(self) -> Counter[str]:
        """Deliveries by status, all broadcasts together."""
        raise NotImplementedError

    async def stop(self, broadcast_id: int) -> None:
        """What a secretary's /broadcast_cancel does to a running broadcast."""
        raise NotImplementedError

    async def make_due(self, broadcast_id: int) -> None:
        raise NotImplementedError

    async def owners(self) -> dict[int, str | None]:
        """Each broadcast's lease holder ("host:pid:token"), if any."""
        raise NotImplementedError


class SqliteDatabase(Database):
    def __init__(self, folder: Path) -> None:
        self.path = folder / "bench.db"
        self.url = f"sqlite+aiosqlite:///{self.path}"

    async def prepare(self, recipients: int, broadcasts: int, env: dict[str, str]) -> None:
        migrate(env)
        now = "2026-11-23 05:00:00.000000"
        held = "2026-11-24 05:00:00.000000"
        with sqlite3.connect(self.path) as connection:
            connection.execute(
                "insert into councils (id, name_kk, name_ru, name_en, timezone, default_language,"
                " created_at) values (1, 'К', 'С', 'C', 'Asia/Almaty', 'ru', ?)",
                (now,),
            )
            connection.execute(
                "insert into users (id, full_name, language, first_seen, last_seen, is_active)"
                " values (?, 'Secretary', 'en', ?, ?, 1)",
                (SECRETARY, now, now),
            )
            batch = 50_000
            for start in range(0, recipients, batch):
                ids = range(1 + start, 1 + min(recipients, start + batch))
                connection.executemany(
                    "insert into users (id, full_name, language, first_seen, last_seen,"
                    " is_active) values (?, 'U', ?, ?, ?, 1)",
                    ((i, recipient_language(i), now, now) for i in ids),
                )
                connection.executemany(
                    "insert into subscriptions (user_id, council_id, active, updated_at)"
                    " values (?, 1, 1, ?)",
                    ((i, now) for i in ids),
                )
            for number in range(1, broadcasts + 1):
                connection.execute(
                    "insert into broadcasts (id, council_id, created_by, text_kk, text_ru,"
                    " text_en, status, scheduled_at, created_at, recipients_fixed,"
                    " progress_chat_id) values (?, 1, ?, ?, ?, ?, 'scheduled', ?, ?, 0, ?)",
                    (
                        number,
                        SECRETARY,
                        *(broadcast_text(lang, number, broadcasts) for lang in LANGUAGES),
                        now if number == 1 else held,
                        now,
                        SECRETARY,
                    ),
                )

    async def outcome(self) -> Counter[str]:
        with sqlite3.connect(self.path) as connection:
            return Counter(
                dict(connection.execute("select status, count(*) from deliveries group by status"))
            )

    async def stop(self, broadcast_id: int) -> None:
        with sqlite3.connect(self.path, timeout=30) as connection:
            connection.execute(
                "update broadcasts set status='stopped' where id=?", (broadcast_id,)
            )

    async def make_due(self, broadcast_id: int) -> None:
        with sqlite3.connect(self.path, timeout=30) as connection:
            connection.execute(
                "update broadcasts set scheduled_at=? where id=?",
                (datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"), broadcast_id),
            )

    async def owners(self) -> dict[int, str | None]:
        with sqlite3.connect(self.path, timeout=30) as connection:
            return dict(connection.execute("select id, owner from broadcasts"))


class PostgresDatabase(Database):
    """A fresh schema in an existing database, reached by the sender through `?search_path=`
    in its DATABASE_URL and by the benchmark through asyncpg directly."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import make_url

        self.schema = f"bench_{secrets.token_hex(4)}"
        self.url = f"{url}{'&' if '?' in url else '?'}search_path={self.schema}"
        plain = make_url(url).set(drivername="postgresql", query={})
        self.dsn = plain.render_as_string(hide_password=False)
        self.pool: Any = None

    async def open(self) -> None:
        import asyncpg

        self.pool = await asyncpg.create_pool(
            self.dsn, min_size=1, max_size=2, server_settings={"search_path": self.schema}
        )
        await self.pool.execute(f'create schema "{self.schema}"')

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.execute(f'drop schema if exists "{self.schema}" cascade')
            await self.pool.close()

    async def prepare(self, recipients: int, broadcasts: int, env: dict[str, str]) -> None:
        migrate(env)
        now = datetime.now(UTC)
        ids = range(1, recipients + 1)
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute(
                "insert into councils (id, name_kk, name_ru, name_en, timezone, default_language,"
                " created_at) values (1, 'К', 'С', 'C', 'Asia/Almaty', 'ru', $1)",
                now,
            )
            await connection.copy_records_to_table(
                "users",
                records=[
                    (SECRETARY, "Secretary", "en", now, now, True),
                    *((i, "U", recipient_language(i), now, now, True) for i in ids),
                ],
                columns=["id", "full_name", "language", "first_seen", "last_seen", "is_active"],
            )
            await connection.copy_records_to_table(
                "subscriptions",
                records=((i, COUNCIL_ID, True, now) for i in ids),
                columns=["user_id", "council_id", "active", "updated_at"],
            )
            # Ids given explicitly: move the sequences on, as the bot's own inserts would have.
            await connection.execute("select setval(pg_get_serial_sequence('councils', 'id'), 1)")
            await connection.executemany(
                "insert into broadcasts (id, council_id, created_by, text_kk, text_ru, text_en,"
                " status, scheduled_at, created_at, recipients_fixed, progress_chat_id)"
                " values ($1, 1, $2, $3, $4, $5, 'scheduled', $6, $7, false, $2)",
                [
                    (
                        number,
                        SECRETARY,
                        *(broadcast_text(lang, number, broadcasts) for lang in LANGUAGES),
                        now if number == 1 else now + HELD,
                        now,
                    )
                    for number in range(1, broadcasts + 1)
                ],
            )
            await connection.execute(
                "select setval(pg_get_serial_sequence('broadcasts', 'id'), $1)", broadcasts
            )
            await connection.execute("analyze users, subscriptions")

    async def outcome(self) -> Counter[str]:
        rows = await self.pool.fetch("select status, count(*) from deliveries group by status")
        return Counter({row[0]: row[1] for row in rows})

    async def stop(self, broadcast_id: int) -> None:
        await self.pool.execute("update broadcasts set status='stopped' where id=$1", broadcast_id)

    async def make_due(self, broadcast_id: int) -> None:
        await self.pool.execute(
            "update broadcasts set scheduled_at=$1 where id=$2", datetime.now(UTC), broadcast_id
        )

    async def owners(self) -> dict[int, str | None]:
        rows = await self.pool.fetch("select id, owner from broadcasts order by id")
        return {row[0]: row[1] for row in rows}


# -- the sending process --------------------------------------------------------------------


async def worker() -> None:
    """Runs in its own process: the production app factory, the real engine, nothing else.

    By default it starts what is due and waits for it. With BENCH_KEEP_WAKING it keeps waking like
    the real scheduler until no broadcast is scheduled or running, so that it can take over one
    whose holder died once the lease has run out: a replica beside a killed one, or the sender
    restarted after kill -9 (its new self is another holder). With BENCH_REDIS_KEY its bulk
    limiter is the Redis one all replicas share (REDIS_URL, BROADCAST_RATE), on a key of the
    scenario's own."""
    from sqlalchemy import func, select

    from bot.app import create_app
    from bot.config import load_settings
    from bot.ratelimit import RateLimiter, RedisRateLimiter, redis_client
    from db.models import Broadcast, BroadcastStatus

    settings = load_settings()
    app = create_app(settings)
    if isinstance(app.broadcaster.limiter, RedisRateLimiter):
        await app.broadcaster.limiter.redis.aclose()
    redis_key = os.environ.get("BENCH_REDIS_KEY")
    if redis_key:
        assert settings.redis_url is not None, "BENCH_REDIS_KEY needs REDIS_URL"
        app.broadcaster.limiter = RedisRateLimiter(
            redis_client(settings.redis_url), settings.broadcast_rate, key=redis_key
        )
    else:
        rate = os.environ.get("BENCH_RATE")
        app.broadcaster.limiter = RateLimiter(int(rate) if rate else None)
    app.broadcaster.progress_seconds = 3.0
    await app.start(run_scheduler=False)

    async def unfinished() -> int:
        wanted = [BroadcastStatus.SCHEDULED, BroadcastStatus.RUNNING]
        async with app.sessionmaker() as session:
            query = select(func.count(Broadcast.id)).where(Broadcast.status.in_(wanted))
            return int(await session.scalar(query) or 0)

    started = time.monotonic()
    while True:
        await app.broadcaster.tick()
        await app.broadcaster.wait()
        if not os.environ.get("BENCH_KEEP_WAKING") or not await unfinished():
            break
        await asyncio.sleep(0.5)
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


@dataclass
class Sender:
    """A running worker process; its output is read all along, so a full pipe never stalls it."""

    process: asyncio.subprocess.Process
    output: asyncio.Task[tuple[bytes, bytes]]
    killed: bool = False

    @classmethod
    async def start(cls, env: dict[str, str]) -> "Sender":
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            SELF,
            "worker",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return cls(process, asyncio.create_task(process.communicate()))

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.killed = True

    async def stats(self) -> dict[str, float] | None:
        """Its figures, or None when it was killed."""
        stdout, stderr = await self.output
        await self.process.wait()
        if self.killed:
            return None
        if self.process.returncode != 0:
            raise RuntimeError(stderr.decode()[-2000:])
        return json.loads(stdout.decode().strip().splitlines()[-1])


async def run_worker(env: dict[str, str], kill_when=None) -> dict | None:
    sender = await Sender.start(env)
    if kill_when is not None:
        while not sender.output.done():
            if kill_when():
                sender.kill()
                return await sender.stats()
            await asyncio.sleep(0.01)
    return await sender.stats()


@dataclass
class Replicas:
    stats: list[dict[str, float]]
    holders: int  # distinct lease holders seen, over all broadcasts


async def run_replicas(
    env: dict[str, str],
    count: int,
    database: Database,
    api: FakeApi,
    *,
    broadcasts: int,
    kill_holder_at: int | None = None,
) -> Replicas:
    """`count` senders started together. Broadcasts after the first become due once the first
    is leased: its holder is then busy with it, so another replica takes the next. With
    `kill_holder_at`, the process named in the first broadcast's lease is killed with SIGKILL
    when that many messages have arrived."""
    senders = [await Sender.start(env) for _ in range(count)]
    by_pid = {sender.process.pid: sender for sender in senders}
    holders: set[str] = set()
    released = broadcasts == 1
    killed = kill_holder_at is None
    polls = 0
    while not all(sender.output.done() for sender in senders):
        if polls % 10 == 0 or not released:
            owners = await database.owners()
            holders.update(owner for owner in owners.values() if owner)
            if not released and owners.get(1):
                for number in range(2, broadcasts + 1):
                    await database.make_due(number)
                released = True
        if not killed and kill_holder_at is not None and len(api.received) >= kill_holder_at:
            owner = (await database.owners()).get(1)
            if owner:
                pid = int(owner.split(":")[-2])  # "host:pid:token"
                by_pid[pid].kill()
                killed = True
        polls += 1
        await asyncio.sleep(0.01)
    holders.update(owner for owner in (await database.owners()).values() if owner)
    stats = [s for s in [await sender.stats() for sender in senders] if s is not None]
    return Replicas(stats, len(holders))


@dataclass
class Result:
    name: str
    recipients: int
    rows: dict[str, str]


@dataclass
class Scenario:
    name: str
    recipients: int
    rate: int | None = None  # bulk sends per second; None: unthrottled
    blocked_share: float = 0.0  # this share of recipients answers 403
    flood: bool = False  # 429 for 2 s when half the messages have arrived
    kill_at_half: bool = False  # SIGKILL the sender at half, then start it again
    stop_after: int | None = None  # the broadcast is stopped after this many messages
    postgres: str | None = None  # a PostgreSQL URL (a fresh schema); else SQLite
    redis: str | None = None  # the senders share a Redis limiter of `rate` (a fresh key)
    replicas: int = 1  # senders started together, each waking until nothing is left
    broadcasts: int = 1  # to the same recipients; the second becomes due once the first runs
    kill_holder_at_half: bool = False  # SIGKILL the lease holder at half (replicas only)
    lease_seconds: int | None = None  # BROADCAST_LEASE_SECONDS


async def scenario(spec: Scenario) -> Result:
    """One run against a fresh database: SQLite, or a fresh schema of `spec.postgres`."""
    with tempfile.TemporaryDirectory() as folder:
        database = (
            PostgresDatabase(spec.postgres) if spec.postgres else SqliteDatabase(Path(folder))
        )
        await database.open()
        try:
            return await _scenario(spec, database)
        finally:
            await database.close()


async def _scenario(spec: Scenario, database: Database) -> Result:
    recipients, rate, broadcasts = spec.recipients, spec.rate, spec.broadcasts
    api = FakeApi()
    api.blocked = {
        i
        for i in range(1, recipients + 1)
        if spec.blocked_share and i % round(1 / spec.blocked_share) == 0
    }
    messages = recipients * broadcasts
    if spec.flood:
        api.flood_at = messages // 2
    runner, base = await serve(api)
    env = {
        **os.environ,
        "BOT_TOKEN": TOKEN,
        "DATABASE_URL": database.url,
        "TELEGRAM_API_URL": base,
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        "BENCH_RATE": str(rate or ""),
    }
    if spec.replicas > 1 or spec.kill_at_half:
        env["BENCH_KEEP_WAKING"] = "1"
    if spec.lease_seconds is not None:
        env["BROADCAST_LEASE_SECONDS"] = str(spec.lease_seconds)
    redis_key = f"bench:{secrets.token_hex(4)}"
    if spec.redis:
        assert rate is not None, "a shared limiter needs a rate"
        env.update(REDIS_URL=spec.redis, BROADCAST_RATE=str(rate), BENCH_REDIS_KEY=redis_key)
    try:
        await database.prepare(recipients, broadcasts, env)
        if spec.stop_after is not None:

            async def stop(count: int) -> None:
                if count == spec.stop_after:
                    await database.stop(1)

            api.on_delivery = stop
        holders = None
        started = time.monotonic()
        runs = 1
        if spec.replicas > 1:
            outcome = await run_replicas(
                env,
                spec.replicas,
                database,
                api,
                broadcasts=broadcasts,
                kill_holder_at=messages // 2 if spec.kill_holder_at_half else None,
            )
            runs = spec.replicas
            holders = outcome.holders
            stats = max(outcome.stats, key=lambda s: s["peak_rss_mb"], default=None)
        elif spec.kill_at_half:
            half = recipients // 2
            stats = await run_worker(env, kill_when=lambda: len(api.received) >= half)
            runs = 2
            stats = await run_worker(env)
        else:
            stats = await run_worker(env)
        wall = time.monotonic() - started
        rows = await database.outcome()
    finally:
        await runner.cleanup()
        if spec.redis:
            await _forget_redis_key(spec.redis, redis_key)
    got = Counter((chat, text) for chat, text, _ in api.received)
    times = sorted(moment for _, _, moment in api.received)
    busiest = _busiest_second(times)
    sending_time = (times[-1] - times[0]) if len(times) > 1 else 0.0
    achieved = (len(times) - 1) / sending_time if sending_time else 0.0
    expected = {
        (i, broadcast_text(recipient_language(i), number, broadcasts))
        for i in range(1, recipients + 1)
        if i not in api.blocked
        for number in range(1, broadcasts + 1)
    }
    uncertain = rows.get("uncertain", 0)
    with_uncertain = {}
    if spec.stop_after is None:
        never = expected - set(got)
        with_uncertain = {
            "lost (neither received nor reported uncertain)": str(max(0, len(never) - uncertain))
        }
    replica_rows = {}
    if spec.replicas > 1:
        replica_rows = {
            "broadcasts × recipients": f"{broadcasts} × {recipients:,}",
            "lease holders seen": str(holders),
            "longest pause at the API, s": f"{_longest_pause(times):.1f}",
        }
    return Result(
        spec.name,
        recipients,
        {
            "runs of the sender": str(runs),
            **replica_rows,
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


async def _forget_redis_key(url: str, key: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    try:
        await client.delete(f"{key}:next", f"{key}:paused")
    finally:
        await client.aclose()


def _busiest_second(times: list[float]) -> int:
    best = 0
    start = 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def _longest_pause(times: list[float]) -> float:
    return max((b - a for a, b in pairwise(times)), default=0.0)


def print_table(results: list[Result]) -> None:
    # Every row in the place its first column has it: a row only some columns have (the
    # replicas' figures) comes after the row it follows there.
    keys: list[str] = []
    for result in results:
        previous: str | None = None
        for key in result.rows:
            if key not in keys:
                keys.insert(keys.index(previous) + 1 if previous else 0, key)
            previous = key
    headers = ["", *[f"{r.name} ({r.recipients:,})" for r in results]]
    table = [[key, *[r.rows.get(key, "") for r in results]] for key in keys]
    widths = [max(len(str(row[i])) for row in [headers, *table]) for i in range(len(headers))]
    for row in [headers, ["-" * w for w in widths], *table]:
        print(" | ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))


async def sqlite_scenarios(quick: bool, million: bool) -> list[Result]:
    scale = 10 if quick else 1
    specs = [
        Scenario("1 unthrottled", 100_000 // scale),
        Scenario("2 throttled 30/s", 1_900 // (3 if quick else 1), rate=30),
        Scenario("3 429 + 5% 403", 20_000 // scale, blocked_share=0.05, flood=True),
        # The restarted sender takes the broadcast over once the killed one's lease has run out.
        Scenario(
            "4 kill -9 at half",
            20_000 // scale,
            blocked_share=0.05,
            kill_at_half=True,
            lease_seconds=5,
        ),
        Scenario("5a memory", 10_000),
        Scenario(
            "5b memory",
            (1_000_000 if not quick else 100_000),
            stop_after=None if million else 100_000 // (10 if quick else 1),
        ),
    ]
    return [await scenario(spec) for spec in specs]


async def postgres_scenarios(postgres: str, redis: str | None, quick: bool) -> list[Result]:
    scale = 10 if quick else 1
    specs = [
        Scenario("P1 unthrottled (PG)", 100_000 // scale, postgres=postgres),
        Scenario(
            "P3 429 + 5% 403 (PG)",
            20_000 // scale,
            blocked_share=0.05,
            flood=True,
            postgres=postgres,
        ),
    ]
    if redis:
        specs.append(
            Scenario(
                "P6 2 replicas, 30/s shared (PG+Redis)",
                300 if quick else 950,
                rate=30,
                postgres=postgres,
                redis=redis,
                replicas=2,
                broadcasts=2,
            )
        )
    else:
        print("P6 skipped: it needs --redis", file=sys.stderr)
    specs.append(
        Scenario(
            "P7 2 replicas, holder killed (PG)",
            20_000 // scale,
            postgres=postgres,
            replicas=2,
            kill_holder_at_half=True,
            lease_seconds=5,
        )
    )
    return [await scenario(spec) for spec in specs]


async def main(arguments: argparse.Namespace) -> None:
    results = []
    if not arguments.only_postgres:
        results += await sqlite_scenarios(arguments.quick, arguments.million)
    if arguments.postgres:
        results += await postgres_scenarios(arguments.postgres, arguments.redis, arguments.quick)
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
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="also run the PostgreSQL scenarios in this database (a fresh schema each), e.g."
        " postgresql+asyncpg://postgres@127.0.0.1:5432/test",
    )
    parser.add_argument(
        "--redis",
        metavar="URL",
        help="Redis for the shared rate limit of two replicas (P6), e.g. redis://127.0.0.1:6379/0",
    )
    parser.add_argument(
        "--only-postgres",
        action="store_true",
        help="run the PostgreSQL scenarios instead of, not after, the SQLite ones",
    )
    arguments = parser.parse_args()
    if arguments.only_postgres and not arguments.postgres:
        parser.error("--only-postgres needs --postgres URL")
    asyncio.run(main(arguments))
