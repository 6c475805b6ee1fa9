"""The wave after an announcement: thousands press at once. Every update is handled exactly once
whatever the burst, with at most MAX_UPDATES_IN_FLIGHT at a time; a failure that passes (a
locked database, a 5xx) is tried again, one that does not is answered, never silence."""

import asyncio
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiogram import BaseMiddleware
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bot import metrics
from bot.app import App, create_app
from bot.config import Settings, load_settings
from bot.services.errors import EventRefusal
from bot.services.events import EventError, EventService, Registered
from bot.webhook import create_web_app
from db.models import (
    AuditEntry,
    Event,
    EventStatus,
    EventVenue,
    Registration,
    RegistrationStatus,
    User,
)
from db.repositories.events import EventRepository
from db.repositories.users import UserRepository
from tests.conftest import ADMIN_ID, TOKEN
from tests.fake_api import FakeBotApi
from tests.flows import SECRET, webhook_settings

IN_FLIGHT = 4


class InFlight(BaseMiddleware):
    """Counts the updates being handled at once, and the most there ever were."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0

    async def __call__(self, handler: Any, event: Any, data: dict[str, Any]) -> Any:
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            await asyncio.sleep(0.01)  # as a slow query would: the others come in meanwhile
            return await handler(event, data)
        finally:
            self.now -= 1


def start(update_id: int, user_id: int) -> dict[str, Any]:
    user = {"id": user_id, "is_bot": False, "first_name": "Citizen", "language_code": "kk"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_790_000_000,
            "chat": {"id": user_id, "type": "private", "first_name": "Citizen"},
            "from": user,
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


def press(update_id: int, user_id: int, data: str, message_id: int = 1) -> dict[str, Any]:
    user = {"id": user_id, "is_bot": False, "first_name": "Citizen", "language_code": "ru"}
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"q{update_id}",
            "chat_instance": "1",
            "from": user,
            "message": {
                "message_id": message_id,
                "date": 1_790_000_000,
                "chat": {"id": user_id, "type": "private", "first_name": "Citizen"},
                "from": {"id": 42, "is_bot": True, "first_name": "Bot"},
                "text": "announcement",
            },
            "data": data,
        },
    }


async def add_event(app: App, capacity: int) -> int:
    now = app.clock.now()
    async with app.sessionmaker() as session:
        event = Event(
            council_id=1,
            created_by=ADMIN_ID,
            title_en="Round table",
            starts_at=now + timedelta(days=3),
            status=EventStatus.PUBLISHED,
            publish_at=now - timedelta(hours=1),
            announced_at=now - timedelta(hours=1),
            created_at=now,
            updated_at=now,
        )
        session.add(event)
        await session.flush()
        session.add(EventVenue(event_id=event.id, position=1, name="Library", capacity=capacity))
        await session.commit()
        return event.id


@pytest.fixture
async def polling_app(settings: Settings, clock, api: FakeBotApi) -> AsyncIterator[App]:
    """The app as `python -m bot` runs it, polling the fake Bot API over loopback."""
    polling = load_settings(
        **{
            "bot_token": TOKEN,
            "database_url": settings.database_url,
            "redis_url": settings.redis_url,
            "redis_prefix": settings.redis_prefix,
            "admin_ids": str(ADMIN_ID),
            "telegram_api_url": api.base_url,
            "max_updates_in_flight": IN_FLIGHT,
            "_env_file": None,
        }
    )
    app = create_app(polling, clock=clock)
    await app.start(run_scheduler=False)
    yield app
    await app.stop()


async def test_a_polling_burst_beyond_the_bound_is_handled_once_each(polling_app, api):
    """300 "I will attend" presses from 300 citizens for 40 places, polled 100 at a time with at
    most 4 handled at once: each answered once, 40 places taken, 260 waiting in order."""
    app = polling_app
    event_id = await add_event(app, capacity=40)
    in_flight = InFlight()
    app.dispatcher.update.outer_middleware(in_flight)
    presses = 300
    for n in range(presses):
        api.push_update(press(n + 1, 500_000 + n, f"ev:go:{event_id}:0:0"))
    polling = asyncio.create_task(app.poll(handle_signals=False, close_bot_session=False))
    try:
        async with asyncio.timeout(120):
            while len(api.answered) < presses:  # noqa: ASYNC110 (the fake API's own count)
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)  # anything answered twice would arrive now
    finally:
        await app.dispatcher.stop_polling()
        await polling

    assert api.answered == {f"q{n + 1}" for n in range(presses)}
    assert not api.refusals, "nothing answered twice, nothing Telegram refuses"
    assert 1 < in_flight.most <= IN_FLIGHT
    async with app.sessionmaker() as session:
        rows = (await session.execute(select(Registration.status, Registration.user_id))).all()
        taken = await session.scalar(select(EventVenue.taken))
    statuses = Counter(status for status, _ in rows)
    assert statuses == {RegistrationStatus.REGISTERED: 40, RegistrationStatus.WAITING: 260}
    assert len({user_id for _, user_id in rows}) == presses
    assert taken == 40
    told = Counter(params["chat_id"] for method, params in api.calls if method == "sendMessage")
    assert set(told) == {500_000 + n for n in range(presses)}
    assert set(told.values()) == {1}, "each citizen is told once"


async def test_a_webhook_burst_beyond_the_bound_is_handled_once_each(
    settings, clock, telegram, storage
):
    """200 newcomers' /start posted at once to the webhook of a replica that handles 4 at a
    time: each is handled, once."""
    app = create_app(
        webhook_settings(settings, max_updates_in_flight=IN_FLIGHT),
        clock=clock,
        session=telegram,
        storage=storage,
    )
    await app.start(run_scheduler=False)
    in_flight = InFlight()
    app.dispatcher.update.outer_middleware(in_flight)
    newcomers = 200
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    try:
        async with TestClient(TestServer(create_web_app(app))) as client:

            async def post(n: int) -> int:
                update = start(n + 1, 600_000 + n)
                async with client.post("/telegram/hook", json=update, headers=headers) as answer:
                    return answer.status

            statuses = await asyncio.gather(*(post(n) for n in range(newcomers)))
        async with app.sessionmaker() as session:
            users = await session.scalar(select(func.count(User.id)).where(User.id >= 600_000))
    finally:
        await app.stop()
    assert set(statuses) == {200}
    assert 1 < in_flight.most <= IN_FLIGHT
    pickers = Counter(call.chat_id for call in telegram.sent(name="sendMessage"))
    assert set(pickers) == {600_000 + n for n in range(newcomers)}
    assert set(pickers.values()) == {1}, "each newcomer gets one language picker"
    assert users == newcomers


def locked() -> OperationalError:
    return OperationalError("UPDATE users", {}, sqlite3.OperationalError("database is locked"))


@pytest.fixture
def fail_set_language(monkeypatch):
    """Makes UserRepository.set_language fail `times` times with SQLite's "database is
    locked", as a burst of writers can; counts the tries."""
    tries: list[str] = []
    real = UserRepository.set_language

    def fail(times: int) -> list[str]:
        async def set_language(self: UserRepository, user: User, language: str) -> None:
            tries.append(language)
            if len(tries) <= times:
                raise locked()
            await real(self, user, language)

        monkeypatch.setattr(UserRepository, "set_language", set_language)
        return tries

    return fail


async def test_a_locked_database_is_tried_again_and_the_user_sees_nothing_of_it(
    make_user, app, fail_set_language
):
    retried = metrics.RETRIES.labels("OperationalError")
    before = retried._value.get()
    tries = fail_set_language(times=2)
    dana = make_user("Dana")
    await dana.send("/start")
    await dana.press("Қазақша")

    assert tries == ["kk", "kk", "kk"]
    assert retried._value.get() - before == 2
    assert "Something went wrong" not in " ".join(dana.telegram.texts(dana.id))
    assert dana.last_reply().text.startswith("Қош келдіңіз!")
    async with app.sessionmaker() as session:
        assert await session.scalar(select(User.language).where(User.id == dana.id)) == "kk"


@pytest.mark.expect_errors
async def test_a_failure_that_persists_is_answered_and_changes_nothing(
    citizen, app, fail_set_language
):
    dana = await citizen("en", first_name="Dana")
    tries = fail_set_language(times=100)
    await dana.send("/language")
    await dana.press("Қазақша")

    assert len(tries) == 1 + app.settings.update_retries
    assert dana.alerts()[-1] == "Something went wrong, and nothing was changed. Please try again."
    async with app.sessionmaker() as session:
        assert await session.scalar(select(User.language).where(User.id == dana.id)) == "en"


@pytest.mark.expect_errors
async def test_a_failure_after_the_user_was_answered_is_not_repeated(citizen, app, telegram):
    """The language was saved and the button answered when the next request failed with a 502:
    handling the press again would answer it twice, so the user is told instead."""
    dana = await citizen("en", first_name="Dana")
    await dana.send("/language")
    telegram.fail("editMessageText", status=502, description="Bad Gateway")
    await dana.press("Русский")

    edits = [call for call in telegram.sent(name="editMessageText") if call.chat_id == dana.id]
    assert len(edits) == 1, "not tried again"
    # In the language just saved: "part of this was saved; check before trying again".
    assert "часть действия уже была сохранена" in telegram.texts(dana.id)[-1]
    async with app.sessionmaker() as session:
        assert await session.scalar(select(User.language).where(User.id == dana.id)) == "ru"


async def test_a_retried_webhook_update_is_not_taken_for_a_copy(
    settings, clock, telegram, storage, fail_set_language
):
    """The update id is recorded once; the retry of a failed try is still handled, and a copy
    Telegram delivers again afterwards is skipped."""
    app = create_app(webhook_settings(settings), clock=clock, session=telegram, storage=storage)
    await app.start(run_scheduler=False)
    tries = fail_set_language(times=1)
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    try:
        async with TestClient(TestServer(create_web_app(app))) as client:
            async with client.post("/telegram/hook", json=start(76, 610_000), headers=headers):
                pass
            picker = telegram.sent(name="sendMessage")[-1].result.message_id
            for _ in range(2):  # the update, then Telegram's copy of it
                update = press(77, 610_000, "lang:en", message_id=picker)
                async with client.post("/telegram/hook", json=update, headers=headers) as answer:
                    assert answer.status == 200
        async with app.sessionmaker() as session:
            language = await session.scalar(select(User.language).where(User.id == 610_000))
            users = await session.scalar(select(func.count(User.id)))
    finally:
        await app.stop()
    assert tries == ["en", "en"], "tried again once, and the copy skipped"
    assert language == "en" and users == 1
    assert len(telegram.sent(name="answerCallbackQuery")) == 1


async def test_the_same_press_handled_twice_at_once_takes_one_place(app):
    """Two replicas handle one citizen's two "I will attend" presses at the same moment: one
    registers; the other meets the unique registration and leaves nothing behind, not even the
    place it took on the way (on PostgreSQL that is one statement; see EventRepository.enrol)."""
    event_id = await add_event(app, capacity=40)
    citizen_id = 6_000_000_001  # Telegram ids pass 2**31
    async with app.sessionmaker() as session:
        await UserRepository(session).touch(
            citizen_id, full_name="", username=None, telegram_language="ru", now=app.clock.now()
        )
        await session.commit()

    async def press_attend() -> Registered:
        async with app.sessionmaker() as session:
            return await EventService(session, app.clock).register(event_id, citizen_id, None)

    outcomes = await asyncio.gather(press_attend(), press_attend(), return_exceptions=True)

    new = [o for o in outcomes if isinstance(o, Registered) and not o.already]
    second = [o for o in outcomes if not (isinstance(o, Registered) and not o.already)]
    assert len(new) == 1 and new[0].place is None
    # The second press found the registration (it came after the first committed), or met it
    # in the unique constraint (PostgreSQL: "Done already."), or met SQLite's one writer, which
    # the retry middleware would try again, to find the registration.
    assert len(second) == 1
    outcome = second[0]
    assert (
        (isinstance(outcome, Registered) and outcome.already)
        or (isinstance(outcome, EventError) and outcome.code == EventRefusal.DONE_ALREADY)
        or isinstance(outcome, OperationalError)
    )
    async with app.sessionmaker() as session:
        statuses = list(await session.scalars(select(Registration.status)))
        taken = await session.scalar(select(EventVenue.taken))
        audited = await session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "event_registered")
        )
    assert statuses == [RegistrationStatus.REGISTERED]
    assert taken == 1
    assert audited == 1


async def test_a_returning_citizen_pressing_twice_at_once_takes_one_place(app, monkeypatch):
    """A citizen who cancelled presses "I will attend" again, twice at once on two replicas:
    their one registration comes back with one place, never two."""
    event_id = await add_event(app, capacity=40)
    citizen_id = 6_000_000_002
    async with app.sessionmaker() as session:
        await UserRepository(session).touch(
            citizen_id, full_name="", username=None, telegram_language="ru", now=app.clock.now()
        )
        await session.commit()
    async with app.sessionmaker() as session:
        await EventService(session, app.clock).register(event_id, citizen_id, None)
    async with app.sessionmaker() as session:
        await EventService(session, app.clock).unregister(event_id, citizen_id)

    take_place = EventRepository.take_place

    async def slow_take_place(self: EventRepository, venue_id: int) -> bool:
        await asyncio.sleep(0.05)  # both presses have read the cancelled registration by now
        return await take_place(self, venue_id)

    monkeypatch.setattr(EventRepository, "take_place", slow_take_place)

    async def press_attend() -> Registered:
        async with app.sessionmaker() as session:
            return await EventService(session, app.clock).register(event_id, citizen_id, None)

    outcomes = await asyncio.gather(press_attend(), press_attend(), return_exceptions=True)

    again = [o for o in outcomes if isinstance(o, Registered) and not o.already]
    assert len(again) == 1 and again[0].place is None
    second = next(o for o in outcomes if o is not again[0])
    # It finds the registration changed under it ("Done already."), or SQLite's one writer
    # refuses it first (the retry middleware would try again, to find it registered).
    assert (
        isinstance(second, EventError) and second.code == EventRefusal.DONE_ALREADY
    ) or isinstance(second, OperationalError)
    async with app.sessionmaker() as session:
        statuses = list(await session.scalars(select(Registration.status)))
        taken = await session.scalar(select(EventVenue.taken))
    assert statuses == [RegistrationStatus.REGISTERED]
    assert taken == 1
