"""What an operator is told at start, and by `python -m bot check-config`: one summary line
(version, mode, database without its password, how many councils, secretaries and superadmins)
and a loud warning when nobody could administer the bot."""

import os
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from sqlalchemy import distinct, func, make_url, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.backup import sqlite_file
from bot.config import Settings
from db.engine import create_engine
from db.migrate import current_revision, head_revision
from db.models import Council, Secretary

NO_ADMINS = (
    "NO SUPERADMIN: ADMIN_IDS is empty: nobody can invite secretaries or add councils, and "
    "questions to a council without secretaries reach no one. Set ADMIN_IDS to your Telegram "
    "user id (ask @userinfobot) and restart"
)


@dataclass(frozen=True)
class Headcount:
    councils: int
    secretaries: int


def bot_version() -> str:
    try:
        return version("hearing-state-bot")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def database_kind(database_url: str) -> str:
    """`sqlite data/bot.db`, `postgresql bot@db.example.org:5432/bot (schema x)`: never the
    password, nor any other query parameter."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return f"sqlite {url.database}"
    where = f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"
    if url.username:
        where = f"{url.username}@{where}"
    schema = url.query.get("search_path")
    return f"postgresql {where}" + (f" (schema {schema})" if schema else "")


async def headcount(engine: AsyncEngine) -> Headcount:
    """Councils, and the people on their staff (a secretary of two councils counts once)."""
    async with engine.connect() as connection:
        councils = await connection.scalar(select(func.count()).select_from(Council))
        secretaries = await connection.scalar(select(func.count(distinct(Secretary.user_id))))
    return Headcount(councils or 0, secretaries or 0)


def _count(number: int, word: str, plural: str | None = None) -> str:
    return f"{number} {word if number == 1 else plural or word + 's'}"


def summary(settings: Settings, people: Headcount | None, *, database_note: str = "") -> str:
    parts = [
        f"hearing-state-bot {bot_version()}",
        f"mode {settings.mode}",
        f"database {database_kind(settings.database_url)}{database_note}",
    ]
    if people is not None:
        parts += [
            _count(people.councils, "council"),
            _count(people.secretaries, "secretary", "secretaries"),
        ]
    parts.append(_count(len(settings.admin_ids), "superadmin"))
    return ", ".join(parts)


def admins_warning(settings: Settings) -> str | None:
    return None if settings.admin_ids else NO_ADMINS


@dataclass
class ConfigReport:
    lines: list[str]
    warnings: list[str]
    errors: list[str]


async def check_config(settings: Settings) -> ConfigReport:
    """The settings are valid already (load_settings); this looks at what they point to without
    changing anything: the database (reachable, migrated?) and the backup directory."""
    warnings = [warning] if (warning := admins_warning(settings)) else []
    errors: list[str] = []
    people = None
    note = ""
    sqlite_path = sqlite_file(settings.database_url)
    if sqlite_path is not None and not sqlite_path.exists():
        note = " (not created yet: the bot or `migrate` creates it)"
    else:
        engine = create_engine(settings.database_url)
        try:
            revision = await current_revision(engine)
            head = head_revision()
            if revision is None:
                note = " (empty: migrated at start)"
            elif revision != head:
                note = f" (schema {revision}, migrated to {head} at start)"
            if revision is not None:
                people = await headcount(engine)
        except (SQLAlchemyError, OSError) as exc:
            errors.append(f"DATABASE_URL cannot be opened: {str(exc).splitlines()[0]}")
        finally:
            await engine.dispose()
    if sqlite_path is not None and settings.backup_keep > 0:
        problem = _not_writable(settings.backups)
        if problem:
            errors.append(f"BACKUP_DIR {settings.backups}: {problem}")
    if settings.mode == "webhook" and settings.health_port is not None:
        warnings.append(
            "HEALTH_PORT is ignored in webhook mode: /healthz and /metrics are served on "
            "WEBHOOK_PORT"
        )
    return ConfigReport([summary(settings, people, database_note=note)], warnings, errors)


def _not_writable(directory: Path) -> str:
    """Why backups could not be written there ("" when they could); creates nothing."""
    existing = directory
    while not existing.exists():
        if existing.parent == existing:
            return "no such directory"
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is not a directory"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"{existing} is not writable by this user"
    return ""
