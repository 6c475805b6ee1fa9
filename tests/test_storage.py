"""Conversation state: in memory by default, in Redis with REDIS_URL (shared by replicas, kept
across restarts)."""

import pytest
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.fsm.storage.redis import RedisStorage

from bot.app import create_app, create_storage
from bot.config import ConfigError, load_settings
from tests.chat import ChatUser
from tests.conftest import TOKEN
from tests.flows import QUESTION


def test_redis_url_chooses_redis_storage():
    settings = load_settings(bot_token=TOKEN, redis_url="redis://10.0.0.7:6380/5", _env_file=None)
    storage = create_storage(settings)
    assert isinstance(storage, RedisStorage)
    kwargs = storage.redis.connection_pool.connection_kwargs
    assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("10.0.0.7", 6380, 5)

    for unset in (None, "", "  "):
        settings = load_settings(bot_token=TOKEN, redis_url=unset, _env_file=None)
        assert settings.redis_url is None
        assert isinstance(create_storage(settings), MemoryStorage)


def test_a_malformed_redis_url_stops_the_bot_with_one_line():
    with pytest.raises(ConfigError, match=r"^REDIS_URL is not a Redis URL .*: set REDIS_URL="):
        load_settings(bot_token=TOKEN, redis_url="http://127.0.0.1:6379", _env_file=None)


async def test_a_conversation_survives_a_restart_with_redis(
    citizen, app, settings, clock, telegram, fsm_prefix
):
    if settings.redis_url is None:
        pytest.skip("needs TEST_REDIS_URL: in memory, a restart forgets the conversation")
    alice = await citizen("en")
    await alice.send("/ask")
    await alice.press("Roads and transport")
    await alice.send(QUESTION)
    await app.stop()

    restarted = create_app(
        settings, clock=clock, session=telegram, storage=create_storage(settings, fsm_prefix)
    )
    await restarted.start(run_scheduler=False)
    try:
        alice = ChatUser(restarted, telegram, alice.id, "Alice")
        await alice.press("Show my name")
        await alice.press("No, do not publish")
        await alice.press("I agree")
        await alice.press("Send")
        assert "Your question is registered." in alice.last_reply().text
    finally:
        await restarted.stop()
