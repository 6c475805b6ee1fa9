"""Apply Alembic migrations on the bot's own engine (alembic's connection-sharing recipe)."""

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).with_name("migrations")
# Replicas starting together each migrate at start: on PostgreSQL they take turns on this lock
# (held until the migration's transaction ends), and the later ones find nothing left to do.
MIGRATION_LOCK = 0x4845_5354  # "HEST"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    def _upgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    if engine.dialect.name == "sqlite":
        await _upgrade_sqlite(engine, _upgrade)
        return
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
            )
        await connection.run_sync(_upgrade)


async def _upgrade_sqlite(engine: AsyncEngine, migrate: Callable[[Connection], None]) -> None:
    """With foreign keys off while migrating, as SQLite's own recipe for changing a table
    asks: Alembic's batch mode rebuilds a table (a copy, then DROP TABLE of the old one), and
    with foreign keys on that DROP deletes every row referencing it through ON DELETE CASCADE
    (0009 rebuilt `questions`: attachments and history gone). The pragma only takes effect
    outside a transaction, so it is set before the migration's transaction begins; the keys
    are checked before it commits, and turned on again after."""
    async with engine.connect() as connection:
        await connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        await connection.commit()  # SQLAlchemy's own autobegin; SQLite began nothing
        try:
            async with connection.begin():
                await connection.run_sync(migrate)
                broken = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all()
                if broken:
                    raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
        finally:
            await connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            await connection.commit()


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at (None: not migrated at all)."""

    def _current(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(_current)
