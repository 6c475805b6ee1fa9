"""Alembic environment: uses the connection the bot hands over, or DATABASE_URL from the CLI."""

import asyncio
import os
from typing import Literal

from alembic import context
from sqlalchemy.engine import Connection

from bot.config import DEFAULT_DATA_DIR, database_url_in, locate_env_file
from db import models  # noqa: F401  (registers every table on the metadata)
from db.base import Base, Id, UTCDateTime
from db.engine import create_engine
from db.search_index import include_name

target_metadata = Base.metadata


def _render_item(type_: str, obj: object, autogen_context: object) -> str | Literal[False]:
    # Migrations spell the plain column type, so they never import application code.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, Id):
        return "sa.Integer()"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_from_url() -> None:
    # The bot's own database as it would find it (DATABASE_URL and DATA_DIR from the
    # environment only, not from .env), wherever alembic is run from.
    base = locate_env_file().parent
    data_dir = base / (os.environ.get("DATA_DIR") or DEFAULT_DATA_DIR)
    engine = create_engine(database_url_in(os.environ.get("DATABASE_URL", ""), data_dir, base))
    async with engine.begin() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_from_url())
