"""Inbound benchmark: the wave of presses after an announcement. The real bot (`python -m bot`,
in its own process) and a bare aiogram echo bot (bench/echo_bot.py, the reference, in the same
run) against a fake Bot API served by aiohttp on loopback in this process; see
docs/performance.md, "Inbound benchmark".

    .venv/bin/python bench/inbound.py                       # SQLite, polling and webhook
    .venv/bin/python bench/inbound.py --quick               # small bursts, a smoke run
    .venv/bin/python bench/inbound.py --bot-dir ../other    # another checkout's bot (before/after)
    .venv/bin/python bench/inbound.py --postgres postgresql+asyncpg://postgres@127.0.0.1/test \
        --redis redis://127.0.0.1:6379/0                    # and on PostgreSQL + Redis

Each scenario: a fresh database (SQLite file, or a new PostgreSQL schema dropped afterwards)
with a council, `--burst` subscribers who have picked a language, and an event with one venue of
`--burst` × 0.4 places; then a burst of updates from distinct users, all at once: /start and
language picks from newcomers, /help, /events and "I will attend" presses from subscribers.
Polling: the fake API hands out the queued updates as getUpdates asks (at most 100 a call).
Webhook: the benchmark posts them to the bot with at most 40 requests open (Telegram's default
max_connections). A paced run offers 200 updates a second of a mix (half presses, a quarter
card views, a quarter /help) for `--paced-seconds`.

Measured: handled updates per second (from the first update handed out to the last answer),
the ratio to the echo bot in the same mode, latency from hand-out to the answer reaching the
fake API (p50/p95/p99), CPU ms per update of the bot's process (utime+stime from /proc) and its
peak RSS. Checked: every update answered (a press by answerCallbackQuery, a message by a
message to its chat), none answered twice (Telegram refuses a second answerCallbackQuery: it is
counted), and for presses the database: registrations + waiting list = presses, places taken =
capacity, every waiting position distinct.

The fake API, the load and the bot share the machine's cores, as do the bot and the echo bot's
reference figure.
"""

import argparse
import asyncio
import json
import os
import platform
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, ClientTimeout, TCPConnector, web

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456789:AAHinboundBenchTokenNotReal_abcdefghijk"
SECRET = "bench-secret"
BOT_USER = {"id": 42, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}
SUBSCRIBERS_FROM = 1_000_000
NEWCOMERS_FROM = 5_000_000
LANGUAGES = ("kk", "ru", "en")
WEBHOOK_CONNECTIONS = 40
KINDS = ("start", "language", "help", "events", "rsvp")
QUIET_SECONDS = 30.0


# -- the fake Bot API ------------------------------------------------------------------------


@dataclass
class FakeApi:
    updates: list[dict[str, Any]] = field(default_factory=list)
    handed_out: dict[int, float] = field(default_factory=dict)  # update_id → when
    answered: dict[str, float] = field(default_factory=dict)  # callback query id → when
    answered_twice: int = 0
    messages: Counter[int] = field(default_factory=Counter)  # chat → messages sent to it
    first_message: dict[int, float] = field(default_factory=dict)  # chat → when
    last_answer: float = 0.0
    calls: Counter[str] = field(default_factory=Counter)
    polled: asyncio.Event = field(default_factory=asyncio.Event)
    webhook_set: asyncio.Event = field(default_factory=asyncio.Event)
    _offset: int = 0
    _ids: int = 0

    def queue(self, updates: list[dict[str, Any]]) -> None:
        self.updates.extend(updates)

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.calls[method] += 1
        # A form or JSON, as Telegram takes either.
        json_body = request.content_type == "application/json"
        form = await (request.json() if json_body else request.post())
        if method == "getUpdates":
            return await self._get_updates(form)
        now = time.monotonic()
        if method == "answerCallbackQuery":
            query_id = str(form["callback_query_id"])
            if query_id in self.answered:
                self.answered_twice += 1
                return _error(
                    400,
                    "Bad Request: query is too old and response timeout expired or query ID is "
                    "invalid",
                )
            self.answered[query_id] = now
            self.last_answer = now
            return _ok(True)
        if method in ("sendMessage", "sendDocument", "sendPhoto"):
            chat_id = int(form["chat_id"])
            self.messages[chat_id] += 1
            self.first_message.setdefault(chat_id, now)
            self.last_answer = now
            return _ok(self._message(chat_id, str(form.get("text", ""))))
        if method == "editMessageText":
            return _ok(self._message(int(form.get("chat_id", 0) or 0), str(form["text"])))
        if method == "getMe":
            return _ok(BOT_USER)
        if method == "setWebhook":
            self.webhook_set.set()
        if method == "getWebhookInfo":  # polling asks first whether a webhook is left over
            return _ok({"url": "", "has_custom_certificate": False, "pending_update_count": 0})
        return _ok(True)

    async def _get_updates(self, form: Any) -> web.Response:
        offset = int(form.get("offset") or 0)
        limit = min(max(int(form.get("limit") or 100), 1), 100)
        timeout = float(form.get("timeout") or 0)
        self.polled.set()
        deadline = time.monotonic() + min(timeout, 1.0)
        while True:
            pending = [u for u in self.updates[self._offset :] if u["update_id"] >= offset][:limit]
            if pending or time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.005)
        # Updates before the offset are confirmed: they are not handed out again.
        while (
            self._offset < len(self.updates) and self.updates[self._offset]["update_id"] < offset
        ):
            self._offset += 1
        now = time.monotonic()
        for update in pending:
            self.handed_out.setdefault(update["update_id"], now)
        return _ok(pending)

    def _message(self, chat_id: int, text: str) -> dict[str, Any]:
        self._ids += 1
        return {
            "message_id": self._ids,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": BOT_USER,
            "text": text or ".",
        }


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str) -> web.Response:
    return web.json_response(
        {"ok": False, "error_code": status, "description": description}, status=status
    )


async def serve(api: FakeApi) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", api.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=2048)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


# -- updates -------------------------------------------------------------------------------


def message_update(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    user = {"id": user_id, "is_bot": False, "first_name": "Citizen", "language_code": "ru"}
    content: dict[str, Any] = {
        "message_id": update_id,
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private", "first_name": "Citizen"},
        "from": user,
        "text": text,
    }
    if text.startswith("/"):
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return {"update_id": update_id, "message": content}


def press_update(update_id: int, user_id: int, data: str) -> dict[str, Any]:
    user = {"id": user_id, "is_bot": False, "first_name": "Citizen", "language_code": "ru"}
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"q{update_id}",
            "chat_instance": "1",
            "from": user,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private", "first_name": "Citizen"},
                "from": BOT_USER,
                "text": "Announcement",
            },
            "data": data,
        },
    }


def make_update(kind: str, update_id: int, n: int, event_id: int) -> dict[str, Any]:
    """Update number `n` of a burst of `kind`, from its own user."""
    if kind == "start":
        return message_update(update_id, NEWCOMERS_FROM + update_id, "/start")
    if kind == "language":
        return press_update(update_id, NEWCOMERS_FROM + update_id, f"lang:{LANGUAGES[n % 3]}")
    subscriber = SUBSCRIBERS_FROM + n
    if kind == "help":
        return message_update(update_id, subscriber, "/help")
    if kind == "events":
        return message_update(update_id, subscriber, "/events")
    if kind == "rsvp":
        return press_update(update_id, subscriber, f"ev:go:{event_id}:0:0")
    raise ValueError(kind)


def answered_at(api: FakeApi, update: dict[str, Any]) -> float | None:
    if "callback_query" in update:
        return api.answered.get(update["callback_query"]["id"])
    return api.first_message.get(update["message"]["chat"]["id"])


# -- databases -----------------------------------------------------------------------------


class Sqlite:
    def __init__(self, folder: Path) -> None:
        self.path = folder / "bench.db"
        self.url = f"sqlite+aiosqlite:///{self.path}"

    async def open(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def seed(self, subscribers: int, capacity: int) -> int:
        now = datetime.now(UTC)
        old = (now - timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S.%f")
        stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")
        starts = (now + timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S.%f")
        with sqlite3.connect(self.path) as connection:
            connection.execute(
                "insert into councils (id, name_kk, name_ru, name_en, timezone, default_language,"
                " created_at) values (1, 'Кеңес', 'Совет', 'Council', 'Asia/Almaty', 'ru', ?)",
                (stamp,),
            )
            connection.executemany(
                "insert into users (id, full_name, language, telegram_language, first_seen,"
                " last_seen, is_active) values (?, '', ?, 'ru', ?, ?, 1)",
                ((SUBSCRIBERS_FROM + n, LANGUAGES[n % 3], old, old) for n in range(subscribers)),
            )
            connection.executemany(
                "insert into subscriptions (user_id, council_id, active, updated_at)"
                " values (?, 1, 1, ?)",
                ((SUBSCRIBERS_FROM + n, old) for n in range(subscribers)),
            )
            connection.execute(
                "insert into events (id, council_id, created_by, title_kk, title_ru, title_en,"
                " starts_at, status, publish_at, announced_at, created_at, updated_at)"
                " values (1, 1, 1, 'Дөңгелек үстел', 'Круглый стол', 'Round table', ?,"
                " 'published', ?, ?, ?, ?)",
                (starts, old, old, old, old),
            )
            connection.execute(
                "insert into event_venues (id, event_id, position, name, capacity, taken)"
                " values (1, 1, 1, 'Library', ?, 0)",
                (capacity,),
            )
        return 1

    async def registrations(self) -> tuple[Counter[str], int, int]:
        with sqlite3.connect(self.path) as connection:
            statuses = Counter(
                dict(connection.execute("select status, count(*) from registrations group by 1"))
            )
            taken = connection.execute("select taken from event_venues where id = 1").fetchone()
            users = connection.execute(
                "select count(distinct user_id) from registrations"
            ).fetchone()
        return statuses, int(taken[0]), int(users[0])

    async def languages(self) -> int:
        with sqlite3.connect(self.path) as connection:
            row = connection.execute(
                "select count(*) from users where id >= ? and language is not null",
                (NEWCOMERS_FROM,),
            ).fetchone()
        return int(row[0])


class Postgres:
    def __init__(self, url: str) -> None:
        from sqlalchemy import make_url

        self.schema = f"bench_{secrets.token_hex(4)}"
        self.url = f"{url}{'&' if '?' in url else '?'}search_path={self.schema}"
        self.dsn = make_url(url).set(drivername="postgresql", query={}).render_as_string(False)
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

    async def seed(self, subscribers: int, capacity: int) -> int:
        now = datetime.now(UTC)
        old = now - timedelta(days=30)
        ids = [SUBSCRIBERS_FROM + n for n in range(subscribers)]
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute(
                "insert into councils (id, name_kk, name_ru, name_en, timezone, default_language,"
                " created_at) values (1, 'Кеңес', 'Совет', 'Council', 'Asia/Almaty', 'ru', $1)",
                now,
            )
            await connection.copy_records_to_table(
                "users",
                records=[(i, "", LANGUAGES[i % 3], "ru", old, old, True) for i in ids],
                columns=[
                    "id",
                    "full_name",
                    "language",
                    "telegram_language",
                    "first_seen",
                    "last_seen",
                    "is_active",
                ],
            )
            await connection.copy_records_to_table(
                "subscriptions",
                records=[(i, 1, True, old) for i in ids],
                columns=["user_id", "council_id", "active", "updated_at"],
            )
            await connection.execute(
                "insert into events (id, council_id, created_by, title_kk, title_ru, title_en,"
                " starts_at, status, publish_at, announced_at, created_at, updated_at)"
                " values (1, 1, 1, 'Дөңгелек үстел', 'Круглый стол', 'Round table', $1,"
                " 'published', $2, $2, $2, $2)",
                now + timedelta(days=3),
                old,
            )
            await connection.execute(
                "insert into event_venues (id, event_id, position, name, capacity, taken)"
                " values (1, 1, 1, 'Library', $1, 0)",
                capacity,
            )
            for table in ("councils", "events", "event_venues"):
                await connection.execute(
                    f"select setval(pg_get_serial_sequence('{table}', 'id'), 1)"
                )
            await connection.execute("analyze")
        return 1

    async def registrations(self) -> tuple[Counter[str], int, int]:
        rows = await self.pool.fetch("select status, count(*) from registrations group by 1")
        taken = await self.pool.fetchval("select taken from event_venues where id = 1")
        users = await self.pool.fetchval("select count(distinct user_id) from registrations")
        return Counter({row[0]: row[1] for row in rows}), int(taken), int(users)

    async def languages(self) -> int:
        return int(
            await self.pool.fetchval(
                "select count(*) from users where id >= $1 and language is not null",
                NEWCOMERS_FROM,
            )
        )


# -- the process under test ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Process:
    popen: subprocess.Popen[bytes]
    log: Path
    port: int | None

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.popen.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.popen.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def errors(self) -> int:
        text = self.log.read_text(errors="replace")
        return text.count("Traceback") + text.count(" ERROR ")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def start_process(
    command: list[str], cwd: Path, env: dict[str, str], log: Path, port: int | None
) -> Process:
    handle = log.open("wb")
    popen = subprocess.Popen(command, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT)
    return Process(popen, log, port)


def bot_env(api_url: str, database_url: str, mode: str, redis: str | None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key in ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "TMPDIR")
    }
    env.update(
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=api_url,
        DATABASE_URL=database_url,
        LOG_LEVEL="WARNING",
        MODE=mode,
        EVENT_REMINDERS="none",
    )
    if mode == "webhook":
        env.update(
            WEBHOOK_URL="https://bench.example.org/hook",
            WEBHOOK_SECRET=SECRET,
            WEBHOOK_HOST="127.0.0.1",
            WEBHOOK_PORT=str(free_port()),
        )
    if redis:
        env.update(REDIS_URL=redis, REDIS_PREFIX=f"bench-{secrets.token_hex(4)}")
    return env


# -- one scenario ----------------------------------------------------------------------------


@dataclass
class Result:
    bot: str  # "bot" or "echo"
    mode: str
    backend: str
    kind: str
    burst: int
    handled_per_second: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    cpu_ms_per_update: float = 0.0
    peak_rss_mb: float = 0.0
    unanswered: int = 0
    answered_twice: int = 0
    lost: int = 0
    errors_logged: int = 0
    checks: list[str] = field(default_factory=list)
    ratio: float | None = None
    offered_per_second: float | None = None
    round: int = 1


async def post_webhook(
    port: int, updates: list[dict[str, Any]], api: FakeApi, rate: float | None
) -> None:
    """Telegram's side of a webhook: at most WEBHOOK_CONNECTIONS requests open at once."""
    limit = asyncio.Semaphore(WEBHOOK_CONNECTIONS)
    url = f"http://127.0.0.1:{port}/hook"
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    timeout = ClientTimeout(total=600)
    async with ClientSession(
        connector=TCPConnector(limit=WEBHOOK_CONNECTIONS), timeout=timeout
    ) as http:

        async def post(update: dict[str, Any]) -> None:
            async with limit:
                api.handed_out.setdefault(update["update_id"], time.monotonic())
                async with http.post(url, json=update, headers=headers) as response:
                    await response.read()

        tasks = []
        started = time.monotonic()
        for number, update in enumerate(updates):
            if rate is not None:
                await asyncio.sleep(max(0.0, started + number / rate - time.monotonic()))
            tasks.append(asyncio.create_task(post(update)))
        await asyncio.gather(*tasks, return_exceptions=True)


async def feed_polling(updates: list[dict[str, Any]], api: FakeApi, rate: float | None) -> None:
    if rate is None:
        api.queue(updates)
        return
    started = time.monotonic()
    for number, update in enumerate(updates):
        await asyncio.sleep(max(0.0, started + number / rate - time.monotonic()))
        api.queue([update])


async def run_scenario(
    arguments: argparse.Namespace,
    *,
    bot: str,
    mode: str,
    backend: str,
    kind: str,
    burst: int,
    rate: float | None = None,
) -> Result:
    """`kind` is one of KINDS, or "mix" for the paced run."""
    result = Result(bot, mode, backend, kind, burst, offered_per_second=rate)
    api = FakeApi()
    runner, api_url = await serve(api)
    folder = Path(tempfile.mkdtemp(prefix="inbound-"))
    database: Sqlite | Postgres = (
        Postgres(arguments.postgres) if backend == "postgres" else Sqlite(folder)
    )
    await database.open()
    process: Process | None = None
    try:
        env = bot_env(
            api_url, database.url, mode, arguments.redis if backend == "postgres" else None
        )
        port = int(env["WEBHOOK_PORT"]) if mode == "webhook" else None
        capacity = int(burst * 0.4)
        bot_dir = Path(arguments.bot_dir).resolve()
        python = str(bot_dir / ".venv" / "bin" / "python")
        if bot == "bot":
            subprocess.run(
                [python, "-m", "bot", "migrate"],
                cwd=bot_dir,
                env=env,
                check=True,
                capture_output=True,
            )
            event_id = await database.seed(burst, capacity)
            command = [python, "-m", "bot"]
        else:
            event_id = 1
            command = [python, str(ROOT / "bench" / "echo_bot.py")]
        # To profile the process under test: BENCH_PREFIX="-m cProfile -o /tmp/{process}.prof"
        prefix = os.environ.get("BENCH_PREFIX", "")
        command[1:1] = prefix.format(process=f"{bot}-{mode}-{kind}").split()
        process = start_process(command, bot_dir, env, folder / "bot.log", port)
        ready = api.webhook_set if mode == "webhook" else api.polled
        await asyncio.wait_for(ready.wait(), timeout=60)
        await asyncio.sleep(0.5)

        if kind == "mix":
            kinds = [("rsvp", "events", "rsvp", "help")[n % 4] for n in range(burst)]
        else:
            kinds = [kind] * burst
        updates = [
            make_update(each, number + 1, number, event_id) for number, each in enumerate(kinds)
        ]
        cpu_before = process.cpu_seconds()
        if mode == "webhook":
            assert port is not None
            feeding = asyncio.create_task(post_webhook(port, updates, api, rate))
        else:
            feeding = asyncio.create_task(feed_polling(updates, api, rate))
        # Until every update is answered, or nothing more is answered for QUIET_SECONDS.
        last_progress, last_count = time.monotonic(), -1
        while True:
            await asyncio.sleep(0.1)
            count = sum(1 for update in updates if answered_at(api, update) is not None)
            if count != last_count:
                last_progress, last_count = time.monotonic(), count
            if count == len(updates) and feeding.done():
                break
            if time.monotonic() - last_progress > QUIET_SECONDS:
                break
        await asyncio.sleep(1.0)  # anything answered twice comes now
        cpu = process.cpu_seconds() - cpu_before
        result.peak_rss_mb = round(process.peak_rss_mb(), 1)
        feeding.cancel()

        latencies = []
        for update in updates:
            answer = answered_at(api, update)
            handed = api.handed_out.get(update["update_id"])
            if answer is None or handed is None:
                result.unanswered += 1
            else:
                latencies.append(answer - handed)
        latencies.sort()
        if latencies:
            first = min(api.handed_out.values())
            span = max(api.last_answer - first, 1e-9)
            result.handled_per_second = round(len(latencies) / span, 1)
            for name, share in (("p50_ms", 0.50), ("p95_ms", 0.95), ("p99_ms", 0.99)):
                index = min(len(latencies) - 1, int(share * len(latencies)))
                setattr(result, name, round(latencies[index] * 1000, 1))
        result.cpu_ms_per_update = round(cpu * 1000 / len(updates), 2)
        result.answered_twice = api.answered_twice
        if bot == "bot":
            result.errors_logged = process.errors()
            await check(result, database, kind, burst, capacity, updates, api)
        else:
            result.lost = result.unanswered
    finally:
        if process is not None:
            process.stop()
        await database.close()
        await runner.cleanup()
    return result


async def check(
    result: Result,
    database: Sqlite | Postgres,
    kind: str,
    burst: int,
    capacity: int,
    updates: list[dict[str, Any]],
    api: FakeApi,
) -> None:
    """What the database says was done, against what was asked."""
    presses = sum(1 for update in updates if "ev:go" in str(update.get("callback_query", "")))
    if presses:
        statuses, taken, users = await database.registrations()
        registered, waiting = statuses.get("registered", 0), statuses.get("waiting", 0)
        result.lost = presses - (registered + waiting)
        result.checks.append(f"registered {registered} + waiting {waiting} of {presses} presses")
        if kind == "rsvp" and registered != min(capacity, presses):
            result.checks.append(f"CAPACITY WRONG: {registered} registered for {capacity}")
        if taken != registered:
            result.checks.append(f"PLACES WRONG: {taken} taken, {registered} registered")
        if users != registered + waiting:
            result.checks.append("SOMEONE REGISTERED TWICE")
    elif kind == "language":
        result.lost = burst - await database.languages()
    else:
        result.lost = result.unanswered
    # A message answered with more messages than one such update gets: answered twice.
    expected = {"start": 1, "help": 1, "events": 1}.get(kind)
    if expected is not None:
        result.answered_twice += sum(1 for count in api.messages.values() if count > expected)


# -- the table -------------------------------------------------------------------------------


def print_table(results: list[Result]) -> None:
    echo = {
        (r.round, r.mode, "callback" if r.kind in ("language", "rsvp") else "message"): r
        for r in results
        if r.bot == "echo"
    }
    for result in results:
        if result.bot == "bot":
            shape = "callback" if result.kind in ("language", "rsvp") else "message"
            reference = echo.get((result.round, result.mode, shape))
            if reference is not None and reference.handled_per_second:
                result.ratio = round(result.handled_per_second / reference.handled_per_second, 2)
    print(
        f"\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}\n"
    )
    print(
        "| process | mode, backend | burst | handled/s | vs. echo | p50 ms | p95 ms | p99 ms "
        "| CPU ms/update | peak RSS MB | lost | unanswered | twice | errors logged |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        what = "echo bot" if r.bot == "echo" else "bot"
        load = f"{r.burst} {r.kind}" + (
            f" at {r.offered_per_second:g}/s" if r.offered_per_second else ""
        )
        print(
            f"| {what} | {r.mode}, {r.backend} | {load} | {r.handled_per_second} "
            f"| {'' if r.ratio is None else r.ratio} | {r.p50_ms} | {r.p95_ms} | {r.p99_ms} "
            f"| {r.cpu_ms_per_update} | {r.peak_rss_mb} | {r.lost} | {r.unanswered} "
            f"| {r.answered_twice} | {r.errors_logged} |"
        )
    rounds = max(r.round for r in results)
    if rounds > 1:
        print(f"\nOver {rounds} rounds (each bot run right after the echo bot of its round):\n")
        print(
            "| mode, backend | burst | vs. echo: median (min–max) | p99 ms: median (max) "
            "| CPU ms/update: median |"
        )
        print("|---|---|---|---|---|")
        runs: dict[tuple[str, str, str], list[Result]] = {}
        for r in results:
            if r.bot == "bot":
                runs.setdefault((r.mode, r.backend, r.kind), []).append(r)
        for (mode, backend, kind), same in runs.items():
            ratios = [r.ratio for r in same if r.ratio is not None]
            spread = (
                f"{statistics.median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f})"
                if ratios
                else ""
            )
            cpu = statistics.median(r.cpu_ms_per_update for r in same)
            p99 = [r.p99_ms for r in same]
            latency = f"{statistics.median(p99):.0f} ({max(p99):.0f})"
            load = f"{same[0].burst} {kind}" + (
                f" at {same[0].offered_per_second:g}/s" if same[0].offered_per_second else ""
            )
            print(f"| {mode}, {backend} | {load} | {spread} | {latency} | {cpu:.2f} |")
    notes = [f"{r.mode}/{r.backend}/{r.kind}: {'; '.join(r.checks)}" for r in results if r.checks]
    if notes:
        print("\nChecks:")
        for note in notes:
            print(f"- {note}")


async def run_mode(
    arguments: argparse.Namespace,
    backend: str,
    mode: str,
    kinds: list[str],
    burst: int,
    paced_seconds: float,
) -> list[Result]:
    """One round of a mode on a backend: the echo bot's runs (on SQLite, the reference), then
    each kind of burst, then the paced mix."""
    results = []
    shapes = {"callback" if kind in ("language", "rsvp") else "message" for kind in kinds}
    if backend == "sqlite" and not arguments.no_echo:
        for shape in ("help", "rsvp"):
            if ("callback" if shape == "rsvp" else "message") not in shapes:
                continue
            results.append(
                await run_scenario(
                    arguments, bot="echo", mode=mode, backend="-", kind=shape, burst=burst
                )
            )
            print(f"echo {mode} {shape}: {results[-1].handled_per_second}/s", file=sys.stderr)
    for kind in kinds:
        results.append(
            await run_scenario(
                arguments, bot="bot", mode=mode, backend=backend, kind=kind, burst=burst
            )
        )
        print(f"bot {mode} {backend} {kind}: {asdict(results[-1])}", file=sys.stderr)
    if paced_seconds:
        rate = 200.0
        results.append(
            await run_scenario(
                arguments,
                bot="bot",
                mode=mode,
                backend=backend,
                kind="mix",
                burst=int(rate * paced_seconds),
                rate=rate,
            )
        )
        print(f"bot {mode} {backend} paced: {asdict(results[-1])}", file=sys.stderr)
    return results


async def main(arguments: argparse.Namespace) -> None:
    burst = 300 if arguments.quick else arguments.burst
    paced_seconds = 3 if arguments.quick else arguments.paced_seconds
    kinds = arguments.kinds or list(KINDS)
    backends = ["sqlite"] + (["postgres"] if arguments.postgres else [])
    if arguments.only_postgres:
        backends = ["postgres"]
    results: list[Result] = []
    for round_ in range(1, arguments.repeat + 1):
        for backend in backends:
            for mode in arguments.modes:
                ran = await run_mode(arguments, backend, mode, kinds, burst, paced_seconds)
                for result in ran:
                    result.round = round_
                results.extend(ran)
    print_table(results)
    if arguments.json:
        Path(arguments.json).write_text(json.dumps([asdict(r) for r in results], indent=1))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--burst", type=int, default=5000)
    parser.add_argument("--paced-seconds", type=float, default=20.0)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--modes", nargs="+", default=["polling", "webhook"])
    parser.add_argument("--kinds", nargs="+", choices=KINDS)
    parser.add_argument("--bot-dir", default=str(ROOT))
    parser.add_argument("--postgres")
    parser.add_argument("--redis")
    parser.add_argument("--only-postgres", action="store_true")
    parser.add_argument("--no-echo", action="store_true")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="rounds of every run; the table adds each bot run's median ratio to the echo bot",
    )
    parser.add_argument("--json")
    import uvloop

    uvloop.run(main(parser.parse_args()))
