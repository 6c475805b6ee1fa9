"""Where the bot keeps its files and finds its settings, whatever directory it is started from."""

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings, locate_env_file
from tests.conftest import TOKEN

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Started from a directory that is neither the checkout nor the settings' folder, with no
    path settings of the developer's shell."""
    for name in ("DATA_DIR", "DATABASE_URL", "ENV_FILE"):
        monkeypatch.delenv(name, raising=False)
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return cwd


def test_a_clone_keeps_its_settings_and_data_in_the_checkout():
    assert locate_env_file({}) == ROOT / ".env"
    settings = load_settings(bot_token=TOKEN, _env_file=None)
    assert settings.data_dir == ROOT / "data"
    assert settings.database_url == f"sqlite+aiosqlite:///{ROOT}/data/bot.db"


def test_env_file_is_named_relative_to_where_it_was_typed(tmp_path, elsewhere):
    (tmp_path / "council.env").write_text("BOT_TOKEN=x\n")
    assert locate_env_file({"ENV_FILE": "../council.env"}) == elsewhere / ".." / "council.env"
    with pytest.raises(ConfigError, match=r"^ENV_FILE names .*/elsewhere/missing.env, which"):
        locate_env_file({"ENV_FILE": "missing.env"})


def test_relative_paths_are_taken_from_the_settings_folder(tmp_path, monkeypatch):
    home = tmp_path / "council"
    home.mkdir()
    env_file = home / ".env"
    env_file.write_text(f"BOT_TOKEN={TOKEN}\nDATA_DIR=state\nDATABASE_URL=\n")
    monkeypatch.setenv("ENV_FILE", str(env_file))
    settings = load_settings()
    assert settings.data_dir == home / "state"
    assert settings.database_url == f"sqlite+aiosqlite:///{home}/state/bot.db"

    env_file.write_text(f"BOT_TOKEN={TOKEN}\nDATABASE_URL=sqlite:///db/bot.db\n")
    settings = load_settings()
    assert settings.data_dir == home / "data"
    assert settings.database_url == f"sqlite+aiosqlite:///{home}/db/bot.db"


def test_the_environment_wins_and_absolute_paths_stay(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text(f"BOT_TOKEN={TOKEN}\nDATA_DIR=from-file\n")
    monkeypatch.setenv("ENV_FILE", str(env_file))
    monkeypatch.setenv("DATA_DIR", "/srv/bot")
    settings = load_settings()
    assert settings.data_dir == Path("/srv/bot")
    assert settings.database_url == "sqlite+aiosqlite:////srv/bot/bot.db"


def test_postgresql_is_left_as_it_is():
    url = "postgresql+asyncpg://bot:pw@db:5432/bot"
    settings = load_settings(bot_token=TOKEN, database_url=url, _env_file=None)
    assert settings.database_url == url


def test_a_missing_token_names_the_file_it_was_looked_for_in(tmp_path, monkeypatch):
    env_file = tmp_path / "council.env"
    env_file.write_text("ADMIN_IDS=1\n")
    monkeypatch.setenv("ENV_FILE", str(env_file))
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    with pytest.raises(ConfigError, match=f"put BOT_TOKEN=... in {env_file} "):
        load_settings()
