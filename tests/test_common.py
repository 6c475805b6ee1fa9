"""Behaviour every feature relies on: hints, cancel, groups, blocked users, floods, menus, logs."""

import logging
from datetime import date, datetime, timedelta

from bot.i18n import format_day, format_when
from bot.logs import RedactFilter
from db.models import User
from tests.conftest import ALMATY, TOKEN


async def is_active(app, user_id: int) -> bool:
    async with app.sessionmaker() as session:
        return (await session.get(User, user_id)).is_active


async def test_sticker_gets_a_hint_in_the_users_language(citizen):
    alice = await citizen("ru")
    await alice.send_sticker()
    assert alice.last_reply().text.startswith("Не понимаю это сообщение.")


async def test_unknown_command_gets_a_hint(citizen):
    alice = await citizen("kk")
    await alice.send("/frobnicate")
    assert alice.last_reply().text.startswith("Мұндай команданы білмеймін.")


async def test_help_lists_the_commands(citizen):
    alice = await citizen("en")
    await alice.send("/help")
    text = alice.last_reply().text
    for line in ("/start — ", "/help — ", "/language — Change the language", "/cancel — "):
        assert line in text


async def test_menu_button_opens_help(citizen):
    alice = await citizen("ru")
    await alice.send("ℹ️ Справка")
    assert alice.last_reply().text.startswith("Что я умею:")


async def test_group_messages_are_ignored(make_user, telegram):
    alice = make_user()
    group = {"id": -100123, "type": "supergroup", "title": "Chat"}
    await alice.send("/help", chat=group)
    await alice.send("hello", chat=group)
    assert telegram.sent() == []


async def test_a_403_on_send_marks_the_user_inactive_until_they_return(citizen, telegram, app):
    alice = await citizen("en")
    telegram.fail("sendMessage", chat_id=alice.id, status=403)
    await alice.send("/help")
    assert not await is_active(app, alice.id)

    await alice.send("/help")
    assert await is_active(app, alice.id)


async def test_blocking_and_unblocking_the_bot(citizen, app):
    alice = await citizen("en")
    await alice.block_bot()
    assert not await is_active(app, alice.id)
    await alice.unblock_bot()
    assert await is_active(app, alice.id)


async def test_a_flood_is_cut_off_with_one_warning(citizen, telegram, clock):
    alice = await citizen("en")
    alice.think_time = timedelta(0)
    before = len(telegram.sent(alice.id))
    for _ in range(30):
        await alice.send("/help")
    texts = telegram.texts(alice.id)[before:]
    warnings = [text for text in texts if text.startswith("Too many messages")]
    assert len(warnings) == 1
    assert len(texts) < 25

    clock.advance(seconds=11)
    await alice.send("/help")
    assert alice.last_reply().text.startswith("What I can do:")


async def test_command_menus_are_set_per_language(app, telegram):
    menus = {
        call.method.language_code: {c.command: c.description for c in call.method.commands}
        for call in telegram.calls
        if call.name == "setMyCommands" and call.method.scope.type == "all_private_chats"
    }
    assert set(menus) == {"kk", "ru", "en", None}
    assert menus["kk"]["language"] == "Тілді ауыстыру"
    assert menus["ru"]["language"] == "Сменить язык"
    assert menus["en"]["language"] == "Change the language"
    assert menus[None] == menus["ru"], "the default menu is in DEFAULT_LANGUAGE"


def test_dates_are_written_in_the_users_language():
    assert format_day(date(2027, 2, 6), "kk") == "2027\u202fж. 6 ақпан"
    assert format_day(date(2027, 2, 6), "ru") == "6 февраля 2027\u202fг."
    moment = datetime(2027, 2, 6, 15, 0, tzinfo=ALMATY)
    assert format_when(moment, "en", ALMATY) == "6 February 2027, 15:00"


def test_the_token_never_reaches_a_log_line(caplog):
    logger = logging.getLogger("test.redact")
    handler_filter = RedactFilter(TOKEN)
    record = logger.makeRecord(
        "x", logging.ERROR, __file__, 1, "GET /bot%s/getMe failed", (TOKEN,), None
    )
    assert handler_filter.filter(record)
    assert TOKEN not in record.getMessage()
    assert "<BOT_TOKEN>" in record.getMessage()
