"""MODE=webhook: Telegram posts updates to an aiohttp server on loopback; the secret header is
checked, a duplicated update is handled once (also across replicas), /healthz and /metrics."""

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from bot import metrics
from bot.app import App, create_app, create_scheduler
from bot.ratelimit import redis_client
from bot.update_ledger import (
    DatabaseUpdateLedger,
    LocalUpdateLedger,
    RedisUpdateLedger,
    UpdateLedger,
)
from bot.webhook import create_web_app, start_webhook, stop_webhook
from db.engine import create_engine, create_sessionmaker
from db.models import Broadcast, BroadcastStatus, ProcessedUpdate
from tests.conftest import ADMIN_ID
from tests.flows import SECRET, URL, add_subscribers, webhook_settings

PATH = "/telegram/hook"


@pytest.fixture
async def replica(settings, clock, telegram, storage) -> AsyncIterator[App]:
    app = create_app(webhook_settings(settings), clock=clock, session=telegram, storage=storage)
    await app.start(run_scheduler=False)
    yield app
    await app.stop()


@pytest.fixture
async def client(replica) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_web_app(replica))) as client:
        yield client


def start_update(update_id: int, user_id: int = 700_001) -> dict:
    user = {"id": user_id, "is_bot": False, "first_name": "Dana"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_790_000_000,
            "chat": {"id": user_id, "type": "private", "first_name": "Dana"},
            "from": user,
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


def scrape(body: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


async def test_a_request_without_the_secret_is_refused(client, telegram):
    update = start_update(1)
    response = await client.post(PATH, json=update)
    assert response.status == 401
    response = await client.post(
        PATH, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
    )
    assert response.status == 401
    assert telegram.sent() == []

    # Refused requests consumed nothing: the genuine delivery of the same update is handled.
    response = await client.post(
        PATH, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
    )
    assert response.status == 200
    [picker] = telegram.sent(700_001)
    assert "Тілді таңдаңыз" in picker.text


async def test_a_duplicated_update_is_handled_once(client, telegram):
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    duplicates = metrics.DUPLICATE_UPDATES._value.get()
    for _ in range(2):
        response = await client.post(PATH, json=start_update(7), headers=headers)
        assert response.status == 200
    assert len(telegram.sent(700_001)) == 1
    assert metrics.DUPLICATE_UPDATES._value.get() == duplicates + 1


@pytest.mark.parametrize("kind", ["database", "redis"])
async def test_a_copy_that_reaches_another_replica_is_skipped(
    kind, settings, clock, telegram, storage, redis_prefix
):
    """What replicas share: the database, or Redis (whichever the deployment has)."""
    if kind == "redis" and settings.redis_url is None:
        pytest.skip("needs TEST_REDIS_URL (the PostgreSQL + Redis run of .ci/run has it)")
    engine = create_engine(settings.database_url)
    redis = redis_client(settings.redis_url) if kind == "redis" else None
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    replicas = []
    for _ in range(2):
        ledger: UpdateLedger = (
            DatabaseUpdateLedger(create_sessionmaker(engine), clock)
            if redis is None
            else RedisUpdateLedger(redis, f"{redis_prefix}:update")
        )
        app = create_app(
            webhook_settings(settings),
            clock=clock,
            session=telegram,
            storage=storage,
            update_ledger=ledger,
        )
        await app.start(run_scheduler=False)
        replicas.append(app)
    try:
        async with (
            TestClient(TestServer(create_web_app(replicas[0]))) as first,
            TestClient(TestServer(create_web_app(replicas[1]))) as second,
        ):
            assert (await first.post(PATH, json=start_update(7), headers=headers)).status == 200
            assert (await second.post(PATH, json=start_update(7), headers=headers)).status == 200
            assert len(telegram.sent(700_001)) == 1
            # A new update is that replica's to handle.
            assert (await second.post(PATH, json=start_update(8), headers=headers)).status == 200
            assert len(telegram.sent(700_001)) == 2
    finally:
        for app in replicas:
            await app.stop()
        await engine.dispose()
        if redis is not None:
            await redis.aclose()


async def test_each_deployment_keeps_update_ids_where_its_replicas_see_them(settings, replica):
    ledger = replica.update_ledger
    if settings.redis_url is not None:
        assert isinstance(ledger, RedisUpdateLedger)
    elif replica.engine.dialect.name == "postgresql":
        assert isinstance(ledger, DatabaseUpdateLedger)
    else:  # SQLite: one process serves it
        assert isinstance(ledger, LocalUpdateLedger)


async def test_this_process_remembers_the_latest_update_ids():
    ledger = LocalUpdateLedger(size=3)
    assert [await ledger.take(update_id) for update_id in (1, 2, 3, 1, 2)] == [
        True,
        True,
        True,
        False,
        False,
    ]
    assert await ledger.take(4)  # 1 is now the oldest beyond the three kept
    assert await ledger.take(1)
    assert not await ledger.take(4)


async def test_healthz_answers_while_the_database_does(client, replica):
    response = await client.get("/healthz")
    assert response.status == 200

    working = replica.engine
    replica.engine = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    try:
        response = await client.get("/healthz")
        assert response.status == 503
        assert "database" in await response.text()
    finally:
        await replica.engine.dispose()
        replica.engine = working


async def test_metrics_count_updates_and_deliveries(client, replica):
    before = scrape(await (await client.get("/metrics")).text())
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    await client.post(PATH, json=start_update(11), headers=headers)

    await add_subscribers(replica, 3)
    async with replica.sessionmaker() as session:
        now = replica.clock.now()
        session.add(
            Broadcast(
                council_id=1,
                created_by=ADMIN_ID,
                text_ru="Новости",
                status=BroadcastStatus.SCHEDULED,
                scheduled_at=now,
                created_at=now,
            )
        )
        await session.commit()
    await replica.broadcaster.tick()
    await replica.broadcaster.wait()

    response = await client.get("/metrics")
    assert response.status == 200
    assert response.content_type == "text/plain"
    after = scrape(await response.text())

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert grew("bot_updates_total", type="message") == 1
    assert grew("bot_deliveries_total", outcome="sent") == 3
    assert ("bot_broadcast_rate", ()) in after


async def test_scheduler_lag_is_measured_when_a_job_starts():
    scheduler = create_scheduler()
    metrics.watch_scheduler(scheduler)
    ran = asyncio.Event()

    async def job() -> None:
        ran.set()

    scheduler.add_job(job, next_run_time=datetime.now(UTC) - timedelta(seconds=30), id="late")
    scheduler.start()
    try:
        await asyncio.wait_for(ran.wait(), timeout=30)
    finally:
        scheduler.shutdown(wait=False)
    assert metrics.SCHEDULER_LAG.labels("late")._value.get() >= 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("delete_on_shutdown", [False, True])
async def test_the_webhook_is_set_at_start_and_removed_only_when_configured(
    settings, clock, telegram, storage, delete_on_shutdown
):
    configured = webhook_settings(
        settings,
        webhook_host="127.0.0.1",
        webhook_port=free_port(),
        webhook_delete_on_shutdown=delete_on_shutdown,
    )
    app = create_app(configured, clock=clock, session=telegram, storage=storage)
    await app.start(run_scheduler=False)
    try:
        runner = await start_webhook(app)
        [call] = [call for call in telegram.calls if call.name == "setWebhook"]
        assert call.method.url == URL
        assert call.method.secret_token == SECRET
        assert "message" in call.method.allowed_updates
        assert "callback_query" in call.method.allowed_updates
        await stop_webhook(app, runner)
    finally:
        await app.stop()
    deleted = [call for call in telegram.calls if call.name == "deleteWebhook"]
    assert len(deleted) == (1 if delete_on_shutdown else 0)


def test_webhook_mode_needs_an_https_url_and_a_secret(settings):
    from bot.config import ConfigError

    with pytest.raises(ConfigError, match=r"^WEBHOOK_URL is not set"):
        webhook_settings(settings, webhook_url="")
    with pytest.raises(ConfigError, match=r"^WEBHOOK_URL must be the bot's public https://"):
        webhook_settings(settings, webhook_url="http://bot.example.org/hook")
    with pytest.raises(ConfigError, match=r"^WEBHOOK_SECRET is not set"):
        webhook_settings(settings, webhook_secret="")
    with pytest.raises(ConfigError, match=r"^WEBHOOK_SECRET may hold only"):
        webhook_settings(settings, webhook_secret="with space")
    assert webhook_settings(settings).webhook_path == PATH


async def test_update_ids_are_forgotten_after_two_days(replica, clock):
    ledger = DatabaseUpdateLedger(replica.sessionmaker, clock)
    assert await ledger.take(1)
    clock.advance(days=1)
    assert await ledger.take(2)
    assert not await ledger.take(1)
    clock.advance(days=1, minutes=1)
    assert await ledger.forget_old() == 1
    async with replica.sessionmaker() as session:
        kept = set(await session.scalars(select(ProcessedUpdate.update_id)))
    assert kept == {2}
