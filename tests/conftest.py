from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import App, create_app
from bot.config import Settings, load_settings
from tests.chat import ChatUser
from tests.fakes import FakeClock, FakeTelegram

TOKEN = "123456789:AAHfakeTokenForTestsOnly_abcdefghijklmn"
ADMIN_ID = 900_000_001
ALMATY = ZoneInfo("Asia/Almaty")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests see only the settings they pass, never a developer's .env or shell."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def clock() -> FakeClock:
    # A Monday morning in Almaty.
    return FakeClock(datetime(2026, 11, 23, 10, 0, tzinfo=ALMATY))


@pytest.fixture
def telegram(clock: FakeClock) -> FakeTelegram:
    return FakeTelegram(clock)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        bot_token=TOKEN,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/bot.db",
        admin_ids=str(ADMIN_ID),
        _env_file=None,
    )


@pytest.fixture
async def app(settings: Settings, clock: FakeClock, telegram: FakeTelegram) -> AsyncIterator[App]:
    app = create_app(settings, clock=clock, session=telegram)
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
