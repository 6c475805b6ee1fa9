"""Backups of the SQLite database, and restoring one (`python -m bot backup | restore`).

A backup is taken with SQLite's online backup API in a single step: it reads the database inside
one read transaction, so the copy is the database as it was at one moment — every transaction
committed before, nothing of one committed after, WAL contents included. In WAL mode that read
blocks nobody: the bot goes on writing meanwhile. (A file copy of a live WAL database may miss
what is still in the -wal file, or catch a page half-written.) The copy is written beside its
final name, checked with `PRAGMA integrity_check`, and only then renamed into place, so a file
named like a backup is a whole one.

Restoring is for a stopped deployment: the candidate must be an SQLite database of this bot (its
`alembic_version` names a revision this version knows) and pass `integrity_check`; the file it
replaces is kept aside, and the restored copy is migrated to this version's schema.

PostgreSQL is backed up with its own tools (pg_dump -Fc, pg_restore); see the README."""

import os
import re
import shutil
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import make_url

from db.engine import create_engine
from db.migrate import alembic_config, current_revision, head_revision, upgrade

SUFFIX = ".sqlite3"
STAMP = "%Y%m%dT%H%M%SZ"
SQLITE_HEADER = b"SQLite format 3\x00"
# Tables every version of the bot has: a database without them is not this bot's.
CORE_TABLES = {"alembic_version", "users", "councils", "questions"}


class BackupError(Exception):
    """The backup or restore cannot be done; the message says why and what to do."""


def sqlite_file(database_url: str) -> Path | None:
    """The SQLite database's file, or None for PostgreSQL."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    return Path(url.database or "")


def backup_name(database: Path, now: datetime) -> str:
    """`bot-20261123T213000Z.sqlite3`: the database's name and the UTC time."""
    return f"{database.stem}-{now.astimezone(UTC).strftime(STAMP)}{SUFFIX}"


def _pattern(database: Path) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(database.stem)}-(\d{{8}}T\d{{6}}Z)(?:-(\d+))?{SUFFIX}$")


def free_path(directory: Path, database: Path, now: datetime) -> Path:
    """The backup's path in `directory`; a second backup within the same second gets `-2`."""
    path = directory / backup_name(database, now)
    number = 2
    while path.exists():
        stem = backup_name(database, now).removesuffix(SUFFIX)
        path = directory / f"{stem}-{number}{SUFFIX}"
        number += 1
    return path


def backups(directory: Path, database: Path) -> list[Path]:
    """The backups of `database` in `directory`, oldest first."""
    if not directory.is_dir():
        return []
    pattern = _pattern(database)
    found = []
    for path in directory.iterdir():
        match = pattern.match(path.name)
        if match and path.is_file():
            found.append((match.group(1), int(match.group(2) or 1), path))
    return [path for *_, path in sorted(found)]


def rotate(directory: Path, database: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups of `database`; returns those deleted."""
    old = backups(directory, database)[:-keep] if keep > 0 else []
    for path in old:
        path.unlink()
    return old


def backup_sqlite(source: Path, target: Path) -> Path:
    """A consistent copy of the live database `source` at `target` (see the module's doc)."""
    if not source.is_file():
        raise BackupError(f"there is no database at {source} (DATABASE_URL): nothing to back up")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        with (
            closing(sqlite3.connect(source, timeout=30)) as live,
            closing(sqlite3.connect(partial)) as copy,
        ):
            live.backup(copy)  # pages=-1: one step, one read transaction
            # A file complete in itself, without a -wal beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
            problems = _integrity_problems(copy)
        if problems:
            raise BackupError(f"the copy of {source} fails integrity_check: {problems}")
        _fsync(partial)
        os.replace(partial, target)
        _fsync(target.parent)
    except sqlite3.Error as exc:
        raise BackupError(f"could not back up {source}: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return target


def backup_to(database_url: str, path: Path | None, directory: Path, now: datetime) -> Path:
    """`python -m bot backup [PATH]`: into `directory` under a new name, into PATH when it is
    a directory, or as PATH when it names a file not there yet."""
    source = sqlite_file(database_url)
    if source is None:
        raise BackupError(pg_dump_hint(database_url, now))
    if path is None or path.is_dir():
        return backup_sqlite(source, free_path(path or directory, source, now))
    if path.exists():
        raise BackupError(f"{path} exists already: name a new file, or a directory")
    return backup_sqlite(source, path)


def pg_dump_hint(database_url: str, now: datetime) -> str:
    url = make_url(database_url)
    options = [f"-h {url.host or 'localhost'}", f"-p {url.port or 5432}"]
    if url.username:
        options.append(f"-U {url.username}")
    schema = url.query.get("search_path")
    if schema:
        options.append(f"-n {schema}")
    stamp = now.astimezone(UTC).strftime(STAMP)
    return (
        "DATABASE_URL is PostgreSQL: back it up with pg_dump, e.g. "
        f"pg_dump -Fc {' '.join(options)} -f hearing-state-{stamp}.dump {url.database} "
        "(README, Backups)"
    )


# -- restoring ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    path: Path
    revision: str


def check_candidate(path: Path) -> Candidate:
    """The file is an SQLite database of this bot, whole, at a revision this version knows."""
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    with path.open("rb") as file:
        if file.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise BackupError(f"{path} is not an SQLite database")
    try:
        # immutable: read the file as it is, create nothing beside it, take no locks.
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?immutable=1", uri=True)) as db:
            problems = _integrity_problems(db)
            if problems:
                raise BackupError(f"{path} is damaged (integrity_check: {problems})")
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            if not tables >= CORE_TABLES:
                raise BackupError(f"{path} is an SQLite database, but not one of this bot's")
            row = db.execute("SELECT version_num FROM alembic_version").fetchone()
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        # (SQLite's error about a damaged file may quote bytes that are no text.)
        raise BackupError(f"{path} is damaged: it cannot be read ({exc})") from exc
    if row is None:
        raise BackupError(f"{path} has no schema revision: not one of this bot's databases")
    revision = str(row[0])
    if revision not in known_revisions():
        raise BackupError(
            f"{path} is at schema revision {revision}, which this version of the bot does not "
            "know (a newer version made it): update the bot, then restore"
        )
    return Candidate(path, revision)


def known_revisions() -> set[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return {revision.revision for revision in script.walk_revisions()}


def ensure_stopped(database: Path) -> None:
    """Refuse while another connection (a running bot) has the database open: it holds the WAL
    index, and an exclusive lock cannot be had. Closing ours then writes the WAL back into the
    file, so the file alone is the whole database."""
    if not database.exists():
        return
    try:
        with closing(sqlite3.connect(database, timeout=0, isolation_level=None)) as db:
            db.execute("PRAGMA locking_mode=EXCLUSIVE")
            db.execute("BEGIN EXCLUSIVE")
            db.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        raise BackupError(
            f"{database} is in use ({exc}): stop the bot first, then restore"
        ) from exc
    if Path(f"{database}-wal").exists():
        raise BackupError(f"{database} is in use (its -wal file is open): stop the bot first")


def put_in_place(candidate: Candidate, database: Path, now: datetime) -> Path | None:
    """The candidate becomes the database; the file it replaces is renamed aside (returned)."""
    ensure_stopped(database)
    database.parent.mkdir(parents=True, exist_ok=True)
    partial = database.with_name(f".{database.name}.restoring")
    shutil.copyfile(candidate.path, partial)
    _fsync(partial)
    aside = None
    if database.exists():
        aside = database.with_name(
            f"{database.name}.replaced-{now.astimezone(UTC).strftime(STAMP)}"
        )
        os.replace(database, aside)
        Path(f"{database}-shm").unlink(missing_ok=True)
    os.replace(partial, database)
    _fsync(database.parent)
    return aside


@dataclass(frozen=True)
class Restored:
    database: Path
    aside: Path | None
    revision_before: str
    revision_after: str


async def restore(database_url: str, path: Path, now: datetime) -> Restored:
    """Check the backup, put it in place of the (stopped) deployment's database, migrate it."""
    database = sqlite_file(database_url)
    if database is None:
        raise BackupError(
            "DATABASE_URL is PostgreSQL: restore a pg_dump file with pg_restore (README, Backups)"
        )
    candidate = check_candidate(path)
    aside = put_in_place(candidate, database, now)
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        revision = await current_revision(engine)
    finally:
        await engine.dispose()
    if revision != head_revision():
        raise BackupError(f"{database} is at {revision} after migrating, not {head_revision()}")
    return Restored(database, aside, candidate.revision, revision)


# -- helpers -----------------------------------------------------------------------------------


def _integrity_problems(connection: sqlite3.Connection) -> str:
    # A damaged file's report may quote its bytes: read them as they come.
    connection.text_factory = lambda data: data.decode("utf-8", "replace")
    rows = [str(row[0]) for row in connection.execute("PRAGMA integrity_check")]
    return "" if rows == ["ok"] else "; ".join(rows[:5])


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
