"""Settings read from the environment and `.env`; every variable is documented in .env.example.

Where `.env` is, and what relative paths are relative to, does not depend on the working
directory: see `locate_env_file`.
"""

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

# The folder holding the `bot` package: a checkout's root when the code runs from a clone.
SOURCE_ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("kk", "ru", "en")
TOKEN_PATTERN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{30,}$")
# What Telegram accepts as a webhook's secret_token.
WEBHOOK_SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
DEFAULT_DATA_DIR = Path("data")
# The SQLite database when DATABASE_URL is not set: this file in DATA_DIR.
DEFAULT_DATABASE_FILE = "bot.db"
# Drivers the code is written for: one async driver per supported database.
ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable and the fix."""


class Settings(BaseSettings):
    # load_settings names the file (`_env_file`): `.env` in the bot's home, or ENV_FILE.
    model_config = SettingsConfigDict(env_file=None, env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr
    # Both made absolute by load_settings: DATA_DIR and a relative SQLite path are taken from
    # the folder the env file is in; an empty DATABASE_URL is DATA_DIR/bot.db.
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = ""
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    timezone: str = "Asia/Almaty"
    default_language: str = "ru"
    telegram_api_url: str | None = None
    redis_url: str | None = None
    # Names the keys of the shared rate limit and flood counters, so deployments can share a Redis.
    redis_prefix: str = Field(default="hearing-state", pattern=r"^[\w.-]{1,64}$")
    log_level: str = "INFO"
    # text: one readable line per record; json: one JSON object per line, for log collectors.
    log_format: Literal["text", "json"] = "text"

    # Daily SQLite backups (and `python -m bot backup` without a path) go here; unset:
    # DATA_DIR/backups. The last BACKUP_KEEP are kept; 0: no scheduled backups.
    backup_dir: Path | None = None
    backup_keep: int = Field(default=7, ge=0, le=1000)
    # Polling mode: serve /healthz and /metrics on this port (unset: not served). Webhook mode
    # serves them on WEBHOOK_PORT.
    health_port: int | None = Field(default=None, ge=1, le=65535)
    health_host: str = "127.0.0.1"

    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = Field(default=None, validate_default=True)
    webhook_secret: SecretStr | None = Field(default=None, validate_default=True)
    webhook_host: str = "0.0.0.0"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    webhook_delete_on_shutdown: bool = False
    # Each council's public page (bot/web), served by the bot's own web server.
    public_pages: bool = False

    # Updates handled at once (polling and webhook alike): more wait their turn, none is dropped.
    max_updates_in_flight: int = Field(default=32, ge=1, le=1000)
    # Database connections kept open; unset: enough for every update in flight and the timers.
    database_pool_size: int | None = Field(default=None, ge=1, le=1000)
    # How many times an update that failed for a reason that passes (a locked SQLite database, a
    # pool timeout, a serialization failure, a network error) is tried again.
    update_retries: int = Field(default=3, ge=0, le=10)

    # At most the column's width: PostgreSQL enforces it, SQLite would not.
    council_name_kk: str = Field(default="Қоғамдық кеңес", max_length=256)
    council_name_ru: str = Field(default="Общественный совет", max_length=256)
    council_name_en: str = Field(default="Public council", max_length=256)
    max_open_questions: int = Field(default=5, ge=1)
    max_questions_per_day: int = Field(default=3, ge=1)
    answer_working_days: int = Field(default=15, ge=1)
    # A reasoned extension may move the answer date to at most this many months after receipt.
    max_extension_months: int = Field(default=2, ge=1, le=12)
    # Working days after receipt in which a council decides whether a question is its own to
    # answer or to forward (APC art. 76); the inbox marks questions still within them.
    forward_working_days: int = Field(default=3, ge=0, le=30)
    # A citizen may object to an answer or a rejection (once) this many working days after it.
    objection_working_days: int = Field(default=10, ge=1, le=100)
    digest_hour: int = Field(default=9, ge=0, le=23)
    # Closed questions older than this are made anonymous by a daily job (Law No. 94-V: kept no
    # longer than needed); 0: kept until the citizen withdraws consent or sends /delete_me.
    personal_data_retention_days: int = Field(default=1095, ge=0, le=36500)
    # The superadmins' weekly cross-council summary: the day (0 = Monday … 6 = Sunday) and hour,
    # in TIMEZONE.
    summary_weekday: int = Field(default=0, ge=0, le=6)
    summary_hour: int = Field(default=9, ge=0, le=23)

    broadcast_rate: int = Field(default=25, ge=1, le=1000)
    broadcast_paid: bool = False
    broadcast_progress_seconds: float = Field(default=3.0, ge=0)
    album_wait_seconds: float = Field(default=0.8, ge=0, le=10)
    # Replicas: how long a dead process's claim on a broadcast holds before another takes over.
    broadcast_lease_seconds: int = Field(default=60, ge=5, le=3600)

    # Lead times of event reminders: "24h,1h"; days, hours, minutes and seconds (2d, 90m, 30s).
    event_reminders: str = "24h,1h"

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        token = value.get_secret_value().strip()
        if not token:
            raise ValueError("is empty")
        if not TOKEN_PATTERN.match(token):
            raise ValueError("does not look like a token (expected 123456789:AA...)")
        return SecretStr(token)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part for part in re.split(r"[,\s]+", value) if part]
            if not all(part.lstrip("-").isdigit() for part in parts):
                raise ValueError("must be Telegram user ids separated by commas")
            return frozenset(int(part) for part in parts)
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"must be one of {', '.join(LANGUAGES)}")
        return value

    @field_validator("database_url")
    @classmethod
    def _async_database_url(cls, value: str) -> str:
        if not value.strip():
            return ""
        return normalize_database_url(value).render_as_string(hide_password=False)

    @field_validator("data_dir", mode="before")
    @classmethod
    def _default_when_empty(cls, value: object) -> object:
        return DEFAULT_DATA_DIR if isinstance(value, str) and not value.strip() else value

    @field_validator("event_reminders")
    @classmethod
    def _lead_times(cls, value: str) -> str:
        return format_leads(parse_leads(value))

    @field_validator("database_pool_size", "health_port", "backup_dir", mode="before")
    @classmethod
    def _unset_when_empty(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not value.startswith(REDIS_SCHEMES):
            raise ValueError("is not a Redis URL (expected e.g. redis://127.0.0.1:6379/0)")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        value = (value or "").strip() or None
        if value is None:
            if info.data.get("mode") == "webhook":
                raise ValueError("is not set, and MODE=webhook needs it")
            return None
        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError("must be the bot's public https:// address")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        secret = value.get_secret_value().strip() if value is not None else ""
        if not secret:
            if info.data.get("mode") == "webhook":
                raise ValueError("is not set, and MODE=webhook needs it")
            return None
        if not WEBHOOK_SECRET_PATTERN.match(secret):
            raise ValueError("may hold only letters, digits, _ and - (1 to 256 of them)")
        return SecretStr(secret)

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value

    @field_validator("log_format", mode="before")
    @classmethod
    def _log_format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @property
    def backups(self) -> Path:
        """Where backups go: BACKUP_DIR, or DATA_DIR/backups."""
        return self.backup_dir or self.data_dir / "backups"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def pool_size(self) -> int:
        """Every update in flight holds at most one connection (plus a short one to mark a user
        who blocked the bot); the timers, the broadcaster and the health check need a few more."""
        return self.database_pool_size or self.max_updates_in_flight + 8

    @property
    def webhook_path(self) -> str:
        """Where the webhook is served: WEBHOOK_URL's path (a reverse proxy passes it on)."""
        return urlsplit(self.webhook_url or "").path or "/"

    @property
    def reminder_leads(self) -> tuple[int, ...]:
        return parse_leads(self.event_reminders)


_LEAD = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
MAX_REMINDERS = 5
MAX_LEAD_SECONDS = 30 * 86_400


def parse_leads(text: str) -> tuple[int, ...]:
    """`24h,1h` (also `2d`, `1h30m`, `90s`) as seconds, longest first; `none` for no reminders.
    Raises ValueError with a readable reason."""
    text = text.strip().lower()
    if text in ("none", "off", "0", "-"):
        return ()
    leads = set()
    for part in text.replace(" ", "").split(","):
        match = _LEAD.match(part)
        if not part or match is None:
            raise ValueError(f"{part!r} is not a lead time such as 24h, 90m or 30s")
        days, hours, minutes, seconds = (int(group or 0) for group in match.groups())
        lead = ((days * 24 + hours) * 60 + minutes) * 60 + seconds
        if not 0 < lead <= MAX_LEAD_SECONDS:
            raise ValueError(f"{part!r} must be more than zero and at most 30 days")
        leads.add(lead)
    if len(leads) > MAX_REMINDERS:
        raise ValueError(f"at most {MAX_REMINDERS} reminders")
    return tuple(sorted(leads, reverse=True))


def format_leads(leads: tuple[int, ...]) -> str:
    """The inverse of parse_leads: (86400, 3600) → `24h,1h`."""
    if not leads:
        return "none"
    parts = []
    for lead in leads:
        hours, rest = divmod(lead, 3600)
        minutes, seconds = divmod(rest, 60)
        part = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
        parts.append(part + (f"{seconds}s" if seconds or not part else ""))
    return ",".join(parts)


def normalize_database_url(raw: str) -> URL:
    """Parse a database URL and pick the async driver the code is written for."""
    try:
        url = make_url(raw.strip())
    except ArgumentError:
        raise ValueError(
            "is not a database URL (expected e.g. sqlite+aiosqlite:///data/bot.db)"
        ) from None
    backend = url.get_backend_name()
    if backend not in ASYNC_DRIVERS:
        raise ValueError(f"database {backend!r} is not supported (use SQLite or PostgreSQL)")
    if url.drivername != ASYNC_DRIVERS[backend]:
        if url.drivername != backend:
            raise ValueError(f"use the driver {ASYNC_DRIVERS[backend]}, not {url.drivername}")
        url = url.set(drivername=ASYNC_DRIVERS[backend])
    if backend == "sqlite" and not url.database:
        raise ValueError("needs a file path (e.g. sqlite+aiosqlite:///data/bot.db)")
    return url


_HINTS = {
    "bot_token": "get a token from @BotFather and put BOT_TOKEN=... in {env_file} "
    "(see .env.example)",
    "database_url": "set DATABASE_URL=postgresql+asyncpg://user:pass@host/db, or leave it empty "
    "for SQLite in DATA_DIR",
    "timezone": "set TIMEZONE to an IANA name such as Asia/Almaty",
    "mode": "set MODE=polling or MODE=webhook",
    "webhook_url": "set WEBHOOK_URL=https://your.domain/telegram (see .env.example)",
    "webhook_secret": "set WEBHOOK_SECRET to a random string, e.g. from `openssl rand -hex 32`",
    "redis_url": "set REDIS_URL=redis://host:6379/0 or leave it unset",
    "admin_ids": "set ADMIN_IDS to Telegram user ids separated by commas, e.g. 12345,67890",
    "log_format": "set LOG_FORMAT=text or LOG_FORMAT=json",
    "health_port": "set HEALTH_PORT to a free port such as 8081, or leave it unset",
    "backup_keep": "set BACKUP_KEEP to how many daily backups to keep (0: none)",
    "event_reminders": "set EVENT_REMINDERS to lead times such as 24h,1h (or 90m, 30s, none)",
}


def home_dir() -> Path:
    """Where `.env` is looked for when ENV_FILE does not name one: the checkout when the bot
    runs from a clone (`make run`), the virtual environment it is installed in (deploy/install.sh
    PREFIX), and only for a copy installed outside both, the working directory."""
    if (SOURCE_ROOT / "pyproject.toml").is_file():
        return SOURCE_ROOT
    if sys.prefix != sys.base_prefix:
        return Path(sys.prefix)
    return Path.cwd()


def locate_env_file(environ: Mapping[str, str] = os.environ) -> Path:
    """The settings file: ENV_FILE (relative to the working directory it was typed in), else
    `.env` in the home. It need not exist unless ENV_FILE names it. Its folder is the one that
    DATA_DIR and a relative SQLite path are relative to."""
    named = environ.get("ENV_FILE", "").strip()
    if not named:
        return home_dir() / ".env"
    path = Path(named).expanduser().absolute()
    if not path.is_file():
        raise ConfigError(f"ENV_FILE names {path}, which is not a file: fix the path or unset it")
    return path


def database_url_in(raw: str, data_dir: Path, base: Path) -> str:
    """DATABASE_URL with its SQLite path made absolute: empty means DATA_DIR/bot.db, and a
    relative path is taken from `base`. Other databases are returned as they are."""
    if not raw.strip():
        url = URL.create("sqlite+aiosqlite", database=str(data_dir / DEFAULT_DATABASE_FILE))
    else:
        url = normalize_database_url(raw)
    database = url.database or ""
    relative = not Path(database).is_absolute() and database != ":memory:"
    if url.get_backend_name() == "sqlite" and relative:
        url = url.set(database=str(base / database))
    return url.render_as_string(hide_password=False)


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning validation errors into one readable ConfigError.

    The environment wins over the env file. Tests pass `_env_file=None` and their values."""
    if "_env_file" in overrides:
        env_file = overrides.pop("_env_file")
        base = Path(env_file).absolute().parent if env_file else home_dir()  # type: ignore[arg-type]
    else:
        env_file = locate_env_file()
        base = env_file.parent
    try:
        settings = Settings(_env_file=env_file, **overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else "settings"
        if error["type"] == "missing":
            problem = "is not set"
        else:
            problem = str(error["msg"]).removeprefix("Value error, ")
        hint = _HINTS.get(field, "see .env.example").format(env_file=env_file or ".env")
        raise ConfigError(f"{field.upper()} {problem}: {hint}") from None
    data_dir = base / settings.data_dir
    return settings.model_copy(
        update={
            "data_dir": data_dir,
            "database_url": database_url_in(settings.database_url, data_dir, base),
            # A relative BACKUP_DIR, like DATA_DIR, from the folder the env file is in.
            "backup_dir": base / settings.backup_dir if settings.backup_dir else None,
        }
    )
