"""Several replicas of the app on one database and one Bot API: every broadcast is delivered
exactly once per recipient, every reminder made once, and a replica killed mid-broadcast has its
share finished by another once its lease runs out. With TEST_DATABASE_URL this runs on
PostgreSQL; with TEST_REDIS_URL the replicas share one rate limiter in Redis."""

import asyncio
import itertools
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import App, create_app
from bot.ratelimit import WINDOW_SECONDS, RateLimiter, RedisRateLimiter, redis_client
from bot.services.broadcasts import BroadcastDraft, BroadcastService
from bot.services.councils import Staff
from db.models import Delivery, DeliveryStatus
from tests.chat import ChatUser
from tests.conftest import ADMIN_ID
from tests.fakes import FakeTime
from tests.flows import (
    ATTEND,
    Crash,
    add_subscribers,
    at,
    new_event,
    received,
    webhook_settings,
)


@pytest.fixture
async def replicas(settings, clock, telegram, app) -> AsyncIterator[list[App]]:
    """Two more processes' worth of app beside `app`, on its database and its fake Bot API.
    With Redis they share the rate limiter the app factory builds from the settings."""
    time = FakeTime()
    started = []
    for _ in range(2):
        replica = create_app(settings, clock=clock, session=telegram)
        await replica.start(run_scheduler=False)
        if isinstance(replica.broadcaster.limiter, RedisRateLimiter):
            replica.broadcaster.limiter.rate = 1000
        else:
            replica.broadcaster.limiter = RateLimiter(
                1000, monotonic=time.monotonic, sleep=time.sleep
            )
        replica.broadcaster.progress_seconds = 3600
        started.append(replica)
    yield started
    for replica in started:
        await replica.stop()


async def make_broadcast(app: App, text: str) -> int:
    async with app.sessionmaker() as session:
        broadcast = await BroadcastService(session, app.clock).create(
            BroadcastDraft(
                council_id=1,
                texts={"ru": text},
                photo_file_id=None,
                audience_language=None,
                scheduled_at=app.clock.now(),
            ),
            Staff(ADMIN_ID, is_superadmin=True),
        )
        await session.commit()
        return broadcast.id


async def test_each_broadcast_reaches_each_recipient_exactly_once(replicas, app, telegram):
    first, second = replicas
    ids = await add_subscribers(app, 120)
    await make_broadcast(app, "Первое объявление")
    await make_broadcast(app, "Второе объявление")
    # Both replicas wake at the same moment, as their schedulers would.
    await asyncio.gather(first.broadcaster.tick(), second.broadcaster.tick())
    await asyncio.gather(first.broadcaster.wait(), second.broadcaster.wait())
    for text in ("Первое объявление", "Второе объявление"):
        assert received(telegram, text) == Counter(dict.fromkeys(ids, 1))


async def test_a_killed_replica_has_its_share_finished_by_another(
    replicas, app, clock, telegram, settings
):
    first, second = replicas
    ids = await add_subscribers(app, 100)
    first.broadcaster.chunk = 10
    await make_broadcast(app, "Не потеряется")

    async def kill_first_at_35(call):
        if (
            call.text == "Не потеряется"
            and sum(received(telegram, "Не потеряется").values()) == 35
        ):
            telegram.on_call = None
            raise Crash  # kill -9: the first replica stops mid-chunk, nothing cleaned up

    telegram.on_call = kill_first_at_35
    await first.broadcaster.tick()
    await first.broadcaster.wait()
    # Sends the killed lanes had already started may still land (a real kill -9 would cut
    # them off too); their outcome is never recorded, so they count as unknown, never resent.
    await asyncio.sleep(0.2)
    sent_by_first = sum(received(telegram, "Не потеряется").values())
    assert 35 <= sent_by_first < 100, "killed mid-broadcast (two lanes: one more chunk flew)"

    # The second replica wakes while the lease still holds: it leaves the broadcast alone.
    await second.broadcaster.tick()
    await second.broadcaster.wait()
    assert sum(received(telegram, "Не потеряется").values()) == sent_by_first
    clock.advance(seconds=settings.broadcast_lease_seconds + 1)
    await second.broadcaster.tick()
    await second.broadcaster.wait()

    got = received(telegram, "Не потеряется")
    assert max(got.values()) == 1, "nobody received it twice"
    async with app.sessionmaker() as session:
        rows = list(await session.scalars(select(Delivery)))
    uncertain = {row.user_id for row in rows if row.status == DeliveryStatus.UNCERTAIN}
    assert 0 < len(uncertain) <= 2 * 10, "only the killed replica's chunks in flight are unknown"
    assert set(got) | uncertain == set(ids), "everyone else got it, from one replica or the other"
    assert sum(got.values()) > sent_by_first, "the second replica sent the rest"


async def test_a_replica_shutting_down_hands_its_broadcast_over_at_once(replicas, app, telegram):
    first, second = replicas
    ids = await add_subscribers(app, 100)
    first.broadcaster.chunk = 10
    await make_broadcast(app, "Передаётся")
    closing: list[asyncio.Task[None]] = []

    async def shut_down_at_30(call):
        if call.text == "Передаётся" and sum(received(telegram, "Передаётся").values()) == 30:
            telegram.on_call = None
            closing.append(asyncio.create_task(first.broadcaster.close()))  # SIGTERM

    telegram.on_call = shut_down_at_30
    await first.broadcaster.tick()
    await first.broadcaster.wait()
    await closing[0]
    assert sum(received(telegram, "Передаётся").values()) < 100, "stopped part-way"
    # No lease to wait out: the second replica carries on at once, and nothing is unknown.
    await second.broadcaster.tick()
    await second.broadcaster.wait()
    assert received(telegram, "Передаётся") == Counter(dict.fromkeys(ids, 1))
    async with app.sessionmaker() as session:
        statuses = Counter(row.status for row in await session.scalars(select(Delivery)))
    assert statuses == Counter({DeliveryStatus.SENT: 100})


async def test_each_reminder_is_made_once_across_replicas(replicas, app, citizen, clock, telegram):
    admin = await citizen("en", "Admin", user_id=ADMIN_ID)
    await admin.send("/unsubscribe")
    people = [await citizen("en", f"Citizen{n}") for n in range(5)]
    await new_event(admin)
    await app.broadcaster.wait()
    for person in people:
        await person.press(ATTEND)
    clock.set(at(26, 15, 0, 1))
    everyone = [app, *replicas]
    for _ in range(2):
        await asyncio.gather(*(replica.events.run() for replica in everyone))
        await asyncio.gather(*(replica.broadcaster.wait() for replica in everyone))
    assert received(telegram, "⏰ Reminder") == Counter({person.id: 1 for person in people})


async def test_replicas_share_one_rate_limit_in_redis(backends, redis_prefix):
    """Slots handed out to two replicas at once: never more than the rate in any window."""
    if backends["redis"] is None:
        pytest.skip("needs TEST_REDIS_URL; .ci/run sets it")
    redis = redis_client(backends["redis"])
    key = f"{redis_prefix}:bulk"
    first = RedisRateLimiter(redis, 30, key=key)
    second = RedisRateLimiter(redis, 30, key=key)
    try:
        slots = await asyncio.gather(*(limiter.reserve() for limiter in [first, second] * 60))
        starts = sorted(start for start, _wait in slots)
        busiest = max(sum(1 for t in starts if s <= t < s + WINDOW_SECONDS) for s in starts)
        assert busiest == 30
        gaps = [b - a for a, b in itertools.pairwise(starts)]
        assert min(gaps) == pytest.approx(WINDOW_SECONDS / 30, abs=1e-5), "evenly spaced"

        await second.pause(5)  # a 429 seen by one replica pauses the other too
        _start, wait = await first.reserve()
        assert wait >= 4.9
    finally:
        await redis.delete(f"{key}:next", f"{key}:paused")
        await redis.aclose()


async def test_flood_control_counts_a_user_across_replicas(app, citizen, clock, telegram):
    """Behind a webhook a user's updates may reach any replica; the limit (20 in 10 s) is kept
    for all. (A polling process receives every update itself and counts them in memory.)"""
    if app.settings.redis_url is None:
        pytest.skip("needs TEST_REDIS_URL; in one process the count is the process's own")
    alice = await citizen("en")
    behind_webhook = webhook_settings(app.settings)
    replicas = [create_app(behind_webhook, clock=clock, session=telegram) for _ in range(2)]
    for replica in replicas:
        await replica.start(run_scheduler=False)
    try:
        await flood_across(replicas, alice, clock, telegram)
    finally:
        for replica in replicas:
            await replica.stop()


async def flood_across(replicas, alice, clock, telegram) -> None:
    """Alice's /help on two replicas in turn: the 21st in ten seconds is refused."""
    on_first = ChatUser(replicas[0], telegram, alice.id, "Alice")
    on_second = ChatUser(replicas[1], telegram, alice.id, "Alice")
    for person in (on_first, on_second):
        person.think_time = timedelta(0)
    clock.set(at(23, 11))  # a fresh ten seconds
    for _ in range(10):
        await on_first.send("/help")
        await on_second.send("/help")
    assert on_second.last_reply().text.startswith("What I can do:")
    await on_first.send("/help")
    assert on_first.last_reply().text.startswith("Too many messages at once.")
    await on_second.send("/help")
    assert on_second.replies() == [], "dropped, and warned only once"


async def test_a_language_changed_on_one_replica_is_seen_on_another(replicas, app, citizen):
    """Each replica keeps its users for a minute (bot/cache.py); with Redis, a change made on
    one replica is dropped from the others' caches at once, so the next update, wherever it
    lands, speaks the new language. (Without Redis there is one process: nothing to share.)"""
    if app.caches.invalidations is None:
        pytest.skip("needs TEST_REDIS_URL: replicas share their changes through Redis")
    other = replicas[0]
    dana = await citizen("en", first_name="Dana")
    on_other = ChatUser(other, dana.telegram, dana.id, "Dana")
    await on_other.send("/help")  # the other replica now has Dana cached, in English
    assert other.caches.users.get(dana.id)["language"] == "en"

    await dana.send("/language")
    await dana.press("Русский")
    for _ in range(100):  # the news crosses Redis
        if other.caches.users.get(dana.id) is None:
            break
        await asyncio.sleep(0.02)
    await on_other.send("/help")
    assert on_other.last_reply().text.startswith("Что я умею")
