"""The database layer on whichever backend the suite runs on (SQLite, or PostgreSQL when
TEST_DATABASE_URL is set): migrations, concurrent claims, ids beyond 32 bits."""

import asyncio

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from bot.config import ConfigError, load_settings
from db.base import Base
from db.engine import create_engine
from db.migrate import alembic_config, upgrade
from db.models import Broadcast, BroadcastStatus, Council
from db.repositories.broadcasts import BroadcastRepository
from db.repositories.questions import QuestionRepository
from db.search_index import include_name
from tests.conftest import ADMIN_ID, TOKEN
from tests.flows import add_subscribers


async def test_migrations_build_exactly_the_models(app):
    def differences(connection):
        opts = {"compare_type": True, "include_name": include_name}
        context = MigrationContext.configure(connection, opts=opts)
        return compare_metadata(context, Base.metadata)

    async with app.engine.connect() as connection:
        assert await connection.run_sync(differences) == []


async def test_migrations_go_down_and_up_again(app):
    def tables(connection):
        return set(inspect(connection).get_table_names())

    def downgrade(connection):
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "base")

    async with app.engine.begin() as connection:
        await connection.run_sync(downgrade)
    async with app.engine.connect() as connection:
        assert await connection.run_sync(tables) <= {"alembic_version"}
    await upgrade(app.engine)
    async with app.engine.connect() as connection:
        assert {"users", "questions", "deliveries"} <= await connection.run_sync(tables)


def upgrading_to(target: str):
    """Alembic's upgrade to `target` on a connection handed over (for run_sync)."""

    def run(connection):
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, target)

    return run


NOW = "2026-12-01 10:00:00+00:00"
# The rows every data-keeping migration test starts from: a council and a citizen (id 5).
COUNCIL_ROW = (
    "INSERT INTO councils (id, name_kk, name_ru, name_en, timezone, default_language, "
    f"created_at) VALUES (1, 'К', 'С', 'C', 'Asia/Almaty', 'ru', '{NOW}')"
)


def user_row(user_id: int, name: str = "Alice") -> str:
    return (
        "INSERT INTO users (id, full_name, first_seen, last_seen, is_active) "
        f"VALUES ({user_id}, '{name}', '{NOW}', '{NOW}', true)"
    )


async def seed_at(engine, revision: str, rows: list[str]) -> None:
    """The database migrated to `revision`, holding `rows` (written as of that revision)."""
    async with engine.begin() as connection:
        await connection.run_sync(upgrading_to(revision))
        for row in rows:
            await connection.execute(text(row))


def revisions() -> list[str]:
    """Every revision, oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


@pytest.mark.parametrize("revision", revisions())
async def test_stairway_each_revision_goes_up_down_and_up_again(settings, revision):
    """For each revision in turn: up to it, one step down, up again (a downgrade that leaves
    something behind, or does not undo its upgrade, fails the second upgrade)."""
    engine = create_engine(settings.database_url)

    def run(action: str, target: str):
        def migrate(connection):
            config = alembic_config()
            config.attributes["connection"] = connection
            getattr(command, action)(config, target)

        return migrate

    def current(connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    try:
        async with engine.begin() as connection:
            await connection.run_sync(run("upgrade", revision))
            assert await connection.run_sync(current) == revision
            await connection.run_sync(run("downgrade", "-1"))
            assert await connection.run_sync(current) != revision
            await connection.run_sync(run("upgrade", revision))
            assert await connection.run_sync(current) == revision
    finally:
        await engine.dispose()


async def test_replicas_starting_together_migrate_once(settings):
    """Every replica migrates at start; on PostgreSQL they take turns (an advisory lock)."""
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("one process runs on SQLite; replicas run on PostgreSQL")
    engines = [create_engine(settings.database_url) for _ in range(3)]
    try:
        # Without the lock they block each other's DDL: fail rather than hang.
        async with asyncio.timeout(60):
            await asyncio.gather(*(upgrade(engine) for engine in engines))
        async with engines[0].connect() as connection:
            versions = (
                await connection.execute(text("SELECT version_num FROM alembic_version"))
            ).all()
        assert len(versions) == 1
    finally:
        for engine in engines:
            await engine.dispose()


async def test_concurrent_ticket_numbers_never_repeat(app):
    async def take() -> int:
        async with app.sessionmaker() as session:
            number = await QuestionRepository(session).next_number(2026)
            await session.commit()
            return number

    numbers = await asyncio.gather(*(take() for _ in range(8)))
    assert sorted(numbers) == list(range(1, 9))


async def test_a_claim_skips_deliveries_another_transaction_is_claiming(app):
    if app.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: a second claim waits for the first")
    await add_subscribers(app, 10)
    async with app.sessionmaker() as session:
        now = app.clock.now()
        broadcast = Broadcast(
            council_id=1,
            created_by=ADMIN_ID,
            text_ru="Привет",
            status=BroadcastStatus.RUNNING,
            scheduled_at=now,
            created_at=now,
        )
        session.add(broadcast)
        await session.flush()
        await BroadcastRepository(session).fix_recipients(broadcast, await session.get(Council, 1))
        await session.commit()

    async with app.sessionmaker() as first, app.sessionmaker() as second:
        mine = await BroadcastRepository(first).claim(broadcast.id, 4)
        # Waiting for the first transaction's row locks would be a failure, not a delay.
        await second.execute(text("SET LOCAL lock_timeout = '100ms'"))
        theirs = await BroadcastRepository(second).claim(broadcast.id, 4)
        await first.commit()
        await second.commit()
    assert len(mine) == len(theirs) == 4
    assert not {row[0] for row in mine} & {row[0] for row in theirs}


async def test_an_id_beyond_32_bits_names_nothing(citizen, make_user):
    admin = make_user("Admin", user_id=ADMIN_ID)
    await admin.send("/start")
    await admin.press("English")
    await admin.send("/topics 99999999999")
    assert admin.last_reply().text == "No such council. See /councils."
    await admin.send("/broadcast_cancel 99999999999")
    assert admin.last_reply().text.startswith("No such broadcast")

    alice = await citizen()
    await alice.press_data("myq:99999999999")
    assert alice.alerts() == ["Question not found."]


def test_a_council_name_wider_than_its_column_is_refused_at_start():
    with pytest.raises(ConfigError, match=r"^COUNCIL_NAME_EN String should have at most 256"):
        load_settings(bot_token=TOKEN, council_name_en="x" * 257, _env_file=None)


async def test_the_audience_migration_keeps_every_event_and_registration(settings):
    """0014 moves an event's one "who it is for" into the language it was written in. Changing
    `events` must not touch what hangs on it: on SQLite a rebuilt table is a dropped one, and a
    dropped parent deletes its venues and registrations through ON DELETE CASCADE."""
    engine = create_engine(settings.database_url)

    rows = [
        COUNCIL_ROW,
        user_row(5),
        # Written in Russian (the council's language, and the event has a Russian text) ...
        "INSERT INTO events (id, council_id, created_by, title_kk, title_ru, starts_at, "
        "audience_note, status, created_at, updated_at) VALUES (1, 1, 5, 'Т', 'З', "
        f"'{NOW}', 'учителя', 'published', '{NOW}', '{NOW}')",
        # ... and in Kazakh, the only language this one has a text in.
        "INSERT INTO events (id, council_id, created_by, title_kk, starts_at, audience_note, "
        f"status, created_at, updated_at) VALUES (2, 1, 5, 'Т', '{NOW}', 'жастар', "
        f"'published', '{NOW}', '{NOW}')",
        "INSERT INTO event_venues (id, event_id, position, name, capacity, taken) "
        "VALUES (1, 1, 1, 'Library', 10, 1)",
        "INSERT INTO registrations (id, event_id, venue_id, user_id, status, queued_at, "
        f"updated_at) VALUES (1, 1, 1, 5, 'registered', '{NOW}', '{NOW}')",
    ]
    try:
        await seed_at(engine, "0013", rows)
        async with engine.begin() as connection:
            await connection.run_sync(upgrading_to("0014"))
        async with engine.connect() as connection:
            audiences = (
                await connection.execute(
                    text("SELECT id, audience_kk, audience_ru, audience_en FROM events ORDER BY 1")
                )
            ).all()
            kept = [
                await connection.scalar(text(f"SELECT count(*) FROM {table}"))
                for table in ("event_venues", "registrations")
            ]
        assert [tuple(row) for row in audiences] == [
            (1, None, "учителя", None),
            (2, "жастар", None, None),
        ]
        assert kept == [1, 1]
    finally:
        await engine.dispose()


async def test_the_waiting_count_migration_counts_those_already_waiting(settings):
    """0016 gives each venue the number of citizens waiting there (its triggers keep it from
    then on): a deployment upgrading in the middle of a wave starts from the right count."""
    engine = create_engine(settings.database_url)
    rows = [
        COUNCIL_ROW,
        *(user_row(user) for user in (5, 6, 7, 8)),
        "INSERT INTO events (id, council_id, created_by, title_ru, starts_at, status, "
        f"created_at, updated_at) VALUES (1, 1, 5, 'З', '{NOW}', 'published', '{NOW}', '{NOW}')",
        "INSERT INTO event_venues (id, event_id, position, name, capacity, taken) "
        "VALUES (1, 1, 1, 'Library', 1, 1), (2, 1, 2, 'School', 5, 0)",
        *(
            "INSERT INTO registrations (event_id, venue_id, user_id, status, queued_at, "
            f"updated_at) VALUES (1, 1, {user}, '{status}', '{NOW}', '{NOW}')"
            for user, status in (
                (5, "registered"),
                (6, "waiting"),
                (7, "waiting"),
                (8, "cancelled"),
            )
        ),
    ]
    try:
        await seed_at(engine, "0015", rows)
        await upgrade(engine)
        async with engine.connect() as connection:
            counts = (
                await connection.execute(text("SELECT id, waiting FROM event_venues ORDER BY 1"))
            ).all()
        assert [tuple(row) for row in counts] == [(1, 2), (2, 0)]
    finally:
        await engine.dispose()


async def test_upgrading_a_database_with_questions_keeps_their_files_and_history(settings):
    """A deployment at 0008 with a question, its file and its history upgrades to the latest
    migration with all three. (0009 rebuilds `questions` on SQLite to add a foreign key; with
    foreign keys enforced, dropping the old table would delete every attachment and audit row
    through ON DELETE CASCADE.)"""
    engine = create_engine(settings.database_url)

    rows = [
        COUNCIL_ROW,
        "INSERT INTO topics (id, council_id, name_kk, name_ru, name_en, position, is_hidden) "
        "VALUES (1, 1, 'Ж', 'Д', 'R', 0, false)",
        user_row(5),
        "INSERT INTO questions (id, year, number, council_id, topic_id, citizen_id, anonymous, "
        "text, status, created_at, due_date) VALUES (1, 2026, 1, 1, 1, 5, false, "
        f"'The road to the school is broken.', 'new', '{NOW}', '2026-12-22')",
        "INSERT INTO question_attachments (id, question_id, position, kind, file_id) "
        "VALUES (1, 1, 0, 'photo', 'photo-1')",
        f"INSERT INTO audit_log (id, at, action, question_id) VALUES (1, '{NOW}', 'asked', 1)",
    ]
    try:
        await seed_at(engine, "0008", rows)
        await upgrade(engine)
        async with engine.connect() as connection:
            kept = [
                await connection.scalar(text(f"SELECT count(*) FROM {table}"))
                for table in ("questions", "question_attachments", "audit_log")
            ]
        assert kept == [1, 1, 1]
    finally:
        await engine.dispose()
