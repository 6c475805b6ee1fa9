"""Fixtures. The database is SQLite unless TEST_DATABASE_URL names a PostgreSQL database (each
test then gets a schema of its own); FSM storage is in memory unless TEST_REDIS_URL names a Redis
(each test then gets a key prefix of its own)."""

import logging
import os
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.redis import RedisStorage
from sqlalchemy import make_url, text
from sqlalchemy.pool import NullPool

from bot.app import App, create_app, create_storage
from bot.config import Settings, load_settings
from bot.ratelimit import RateLimiter
from db.engine import create_engine
from tests.chat import ChatUser
from tests.fake_api import FakeBotApi
from tests.fakes import FakeClock, FakeTelegram, FakeTime

TOKEN = "123456789:AAHfakeTokenForTestsOnly_abcdefghijklmn"
ADMIN_ID = 900_000_001
ALMATY = ZoneInfo("Asia/Almaty")


@pytest.fixture(scope="session")
def backends() -> dict[str, str | None]:
    """Read once, before any test clears the environment."""
    return {
        "database": os.environ.get("TEST_DATABASE_URL") or None,
        "redis": os.environ.get("TEST_REDIS_URL") or None,
    }


@pytest.fixture(autouse=True)
def _clean_environment(
    backends: dict[str, str | None], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Tests see only the settings they pass, never a developer's .env or shell."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def _no_unexpected_errors(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    """The errors router turns a crash into a polite message; a test must still see it."""
    yield
    if request.node.get_closest_marker("expect_errors"):
        return
    crashed = [
        record.getMessage()
        for record in caplog.records
        if record.name == "handlers.errors" and record.levelno >= logging.ERROR
    ]
    assert not crashed, f"a handler failed unexpectedly: {crashed}"


@pytest.fixture
def clock() -> FakeClock:
    # A Monday morning in Almaty.
    return FakeClock(datetime(2026, 11, 23, 10, 0, tzinfo=ALMATY))


@pytest.fixture
def telegram(clock: FakeClock) -> Iterator[FakeTelegram]:
    """The Bot API as strict as Telegram; a test fails if the bot sent anything Telegram refuses
    (too long, bad HTML, bad buttons...), even when the bot swallowed the error."""
    fake = FakeTelegram(clock)
    yield fake
    if not fake.refusals_expected:
        refused = [f"{call.name}: {call.error}" for call in fake.refusals]
        assert not refused, f"Telegram refused what the bot sent: {refused}"


@pytest.fixture
async def database_url(backends: dict[str, str | None], tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database: an SQLite file, or a new PostgreSQL schema dropped afterwards."""
    if backends["database"] is None:
        yield f"sqlite+aiosqlite:///{tmp_path}/bot.db"
        return
    url = make_url(backends["database"])
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(url.render_as_string(hide_password=False), poolclass=NullPool)
    async with admin.begin() as connection:
        await connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield url.update_query_dict({"search_path": schema}).render_as_string(hide_password=False)
    finally:
        async with admin.begin() as connection:
            await connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        await admin.dispose()


@pytest.fixture
def settings(database_url: str, backends: dict[str, str | None], redis_prefix: str) -> Settings:
    return load_settings(
        bot_token=TOKEN,
        database_url=database_url,
        redis_url=backends["redis"],
        redis_prefix=redis_prefix,
        admin_ids=str(ADMIN_ID),
        # An album's parts arrive together in tests: no need to wait long for them.
        album_wait_seconds=0.05,
        _env_file=None,
    )


@pytest.fixture
def redis_prefix() -> str:
    """This test's own Redis keys (conversation state, shared rate limit, flood counters)."""
    return f"test-{uuid.uuid4().hex[:16]}"


@pytest.fixture
def fsm_prefix(redis_prefix: str) -> str:
    """The conversation state's keys: create_storage(settings, fsm_prefix)."""
    return f"{redis_prefix}:fsm"


@pytest.fixture
async def storage(
    settings: Settings, fsm_prefix: str, redis_prefix: str
) -> AsyncIterator[BaseStorage]:
    """FSM storage as the app builds it: in memory, or Redis under this test's key prefix,
    whose keys are deleted afterwards."""
    fsm = create_storage(settings, fsm_prefix)
    try:
        yield fsm
    finally:
        if isinstance(fsm, RedisStorage):
            keys = [key async for key in fsm.redis.scan_iter(match=f"{redis_prefix}:*")]
            if keys:
                await fsm.redis.delete(*keys)
            await fsm.close()


@pytest.fixture
async def app(
    settings: Settings, clock: FakeClock, telegram: FakeTelegram, storage: BaseStorage
) -> AsyncIterator[App]:
    app = create_app(settings, clock=clock, session=telegram, storage=storage)
    await app.start(run_scheduler=False)
    yield app
    await app.stop()


@pytest.fixture
def make_user(app: App, telegram: FakeTelegram) -> Callable[..., ChatUser]:
    ids = iter(range(100_001, 200_000))

    def make(first_name: str = "Alice", **kwargs: object) -> ChatUser:
        user_id = kwargs.pop("user_id", None) or next(ids)
        return ChatUser(app, telegram, int(user_id), first_name, **kwargs)  # type: ignore[arg-type]

    return make


@pytest.fixture
def citizen(make_user: Callable[..., ChatUser]) -> Callable[..., ChatUser]:
    """A user who has already started the bot and picked a language."""

    async def make(language: str = "en", first_name: str = "Alice", **kwargs: object) -> ChatUser:
        user = make_user(first_name, **kwargs)
        await user.send("/start")
        await user.press({"kk": "Қазақша", "ru": "Русский", "en": "English"}[language])
        return user

    return make


@pytest.fixture
async def admin(citizen: Callable[..., ChatUser]) -> ChatUser:
    """The superadmin, in English."""
    return await citizen("en", "Admin", user_id=ADMIN_ID)


@pytest.fixture
async def unsubscribed_admin(admin: ChatUser) -> ChatUser:
    """The superadmin, acting as the council's secretary; reads no announcements."""
    await admin.send("/unsubscribe")
    return admin


@pytest.fixture
def secretary(citizen, make_user):
    """A secretary, made the way a real one is: the superadmin's one-time invite link."""

    admins = []

    async def make(language: str = "en", first_name: str = "Saule"):
        if not admins:
            admins.append(await citizen("en", "Admin", user_id=ADMIN_ID))
        admin = admins[0]
        await admin.send("/invite")
        payload = re.search(r"start=(inv_[\w-]+)", admin.last_reply().text).group(1)
        person = make_user(first_name)
        await person.send(f"/start {payload}")
        await person.press({"kk": "Қазақша", "ru": "Русский", "en": "English"}[language])
        return person

    return make


@pytest.fixture
def fake_time(app: App) -> FakeTime:
    """Bulk sends (broadcasts, announcements, reminders, notices) pace themselves on a fake
    monotonic clock. The events modules use it in every test (pytest.mark.usefixtures)."""
    time = FakeTime()
    app.broadcaster.limiter = RateLimiter(25, monotonic=time.monotonic, sleep=time.sleep)
    app.broadcaster.progress_seconds = 0
    return time


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    """The fake Bot API served over HTTP on loopback (tests/fake_api.py)."""
    fake = FakeBotApi(token=TOKEN)
    await fake.start()
    yield fake
    await fake.stop()
