"""The sender of an update, from the process's cache (bot/cache.py): a known citizen costs no
query, their last_seen is written once a minute for everyone, and a change goes back into the
cache only once committed."""

import pytest
from sqlalchemy import event, select

from db.models import User
from db.repositories.users import UserRepository


@pytest.fixture
def statements(app):
    """The SQL statements the app runs, as they run."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *args):
        seen.append(statement.split()[0].upper())

    event.listen(app.engine.sync_engine, "before_cursor_execute", record)
    yield seen
    event.remove(app.engine.sync_engine, "before_cursor_execute", record)


async def test_a_known_citizen_costs_no_query(citizen, statements):
    dana = await citizen("en", first_name="Dana")
    await dana.send("/help")  # the first update after the language pick may read
    statements.clear()
    await dana.send("/help")
    assert statements == []
    assert dana.last_reply().text.startswith("What I can do")


async def test_last_seen_is_written_once_a_minute_for_everyone(citizen, app, clock):
    dana = await citizen("en", first_name="Dana")
    arman = await citizen("en", first_name="Arman")
    clock.advance(minutes=5)
    later = clock.now()
    await dana.send("/help")
    await arman.send("/help")
    async with app.sessionmaker() as session:
        before = await session.scalar(select(User.last_seen).where(User.id == dana.id))
    assert before < later, "not written per update"

    await app.write_last_seen()
    query = select(User.id, User.last_seen).where(User.id.in_([dana.id, arman.id]))
    async with app.sessionmaker() as session:
        rows = {user_id: seen for user_id, seen in (await session.execute(query)).all()}
    assert set(rows) == {dana.id, arman.id}
    assert all(seen >= later for seen in rows.values()), "each as of their last update"


@pytest.mark.expect_errors
async def test_a_change_that_failed_is_not_remembered(citizen, app, monkeypatch):
    """The language was set on the user object, then the update failed before committing:
    neither the database nor the cache keeps it, and the next update speaks English."""
    dana = await citizen("en", first_name="Dana")

    async def set_then_fail(self: UserRepository, user: User, language: str) -> None:
        user.language = language
        raise RuntimeError("a bug after the change")

    monkeypatch.setattr(UserRepository, "set_language", set_then_fail)
    await dana.send("/language")
    await dana.press("Қазақша")
    assert app.caches.users.get(dana.id) is None
    monkeypatch.undo()
    await dana.send("/help")
    assert dana.last_reply().text.startswith("What I can do")
    async with app.sessionmaker() as session:
        assert await session.scalar(select(User.language).where(User.id == dana.id)) == "en"
