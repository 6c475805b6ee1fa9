"""The fakes refuse what Telegram refuses, with Telegram's own errors: a test that makes the bot
send such a thing fails."""

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
)

from tests.conftest import TOKEN
from tests.fake_api import FakeBotApi
from tests.fakes import FakeTelegram

CHAT = 100_001


@pytest.fixture
def bot(telegram: FakeTelegram) -> Bot:
    telegram.expect_refusals()
    return Bot(TOKEN, session=telegram, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def _keyboard(count: int, data: str = "x") -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=str(n), callback_data=data)] for n in range(count)
        ]
    )


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("x" * 4097, "message is too long"),
        ("😀" * 2049, "message is too long"),  # 4 098 UTF-16 units
        ("", "message text is empty"),
        ("<b></b>", "message text is empty"),
        ("a < b", "can't parse entities"),
        ("<ticket>", "Unsupported start tag"),
        ("<b>bold", "Can't find end tag"),
        ("<b><i>x</b></i>", "Unmatched end tag"),
        ("R&D", "unescaped &"),
        ("&nbsp;", "Unsupported HTML entity"),
    ],
)
async def test_text_telegram_refuses(
    bot: Bot, telegram: FakeTelegram, text: str, error: str
) -> None:
    with pytest.raises(TelegramBadRequest, match=error):
        await bot.send_message(CHAT, text)
    assert telegram.sent(CHAT) == []
    assert len(telegram.refusals) == 1


async def test_text_at_the_limit_after_entities_is_accepted(
    bot: Bot, telegram: FakeTelegram
) -> None:
    # 4 096 visible characters; the tags and entities do not count.
    await bot.send_message(CHAT, "<b>" + "&lt;" * 4096 + "</b>")
    assert len(telegram.sent(CHAT)) == 1


async def test_edit_too_long(bot: Bot, telegram: FakeTelegram) -> None:
    sent = await bot.send_message(CHAT, "short")
    with pytest.raises(TelegramBadRequest, match="MESSAGE_TOO_LONG"):
        await bot.edit_message_text("x" * 4097, chat_id=CHAT, message_id=sent.message_id)


async def test_caption_too_long(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(CHAT, "photo-1", caption="x" * 1025)
    await bot.send_photo(CHAT, "photo-1", caption="x" * 1024)


async def test_buttons(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(CHAT, "hi", reply_markup=_keyboard(1, "я" * 33))  # 66 bytes
    with pytest.raises(TelegramBadRequest, match="BUTTONS_TOO_MUCH"):
        await bot.send_message(CHAT, "hi", reply_markup=_keyboard(101))
    await bot.send_message(CHAT, "hi", reply_markup=_keyboard(100, "я" * 32))


async def test_alert_too_long(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="MESSAGE_TOO_LONG"):
        await bot.answer_callback_query("1", text="x" * 201, show_alert=True)
    assert await bot.answer_callback_query("1", text="x" * 200, show_alert=True)


async def test_media_group(bot: Bot, telegram: FakeTelegram) -> None:
    photo = InputMediaPhoto(media="photo-1")
    with pytest.raises(TelegramBadRequest, match="2-10 items"):
        await bot.send_media_group(CHAT, [photo])
    with pytest.raises(TelegramBadRequest, match="too many messages to send as an album"):
        await bot.send_media_group(CHAT, [photo] * 11)
    with pytest.raises(TelegramBadRequest, match="can't be mixed"):
        await bot.send_media_group(CHAT, [photo, InputMediaDocument(media="doc-1")])
    album = await bot.send_media_group(CHAT, [photo] * 10)
    assert len(album) == 10 and len({m.media_group_id for m in album}) == 1


async def test_force_reply_placeholder(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="PLACEHOLDER"):
        await bot.send_message(
            CHAT, "hi", reply_markup=ForceReply(force_reply=True, input_field_placeholder="x" * 65)
        )


async def test_unrefused_calls_are_not_refusals(bot: Bot, telegram: FakeTelegram) -> None:
    """A failure a test asked for (403, 429) is the outside world, not a malformed request."""
    telegram.fail("sendMessage", status=403)
    with pytest.raises(Exception, match="blocked"):
        await bot.send_message(CHAT, "hi")
    assert telegram.refusals == []


async def test_the_http_fake_refuses_too() -> None:
    api = FakeBotApi(token=TOKEN)
    base = await api.start()
    try:
        async with aiohttp.ClientSession() as http:
            response = await http.post(
                f"{base}/bot{TOKEN}/sendMessage",
                data={"chat_id": CHAT, "text": "x" * 4097, "parse_mode": "HTML"},
            )
            body = await response.json()
    finally:
        await api.stop()
    assert response.status == 400
    assert body == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: message is too long",
    }
    assert api.refusals == [("sendMessage", "Bad Request: message is too long")]


@pytest.mark.parametrize(
    ("commands", "error"),
    [
        ([("Inbox", "open questions")], "BOT_COMMAND_INVALID"),
        ([("a" * 33, "too long a command")], "BOT_COMMAND_INVALID"),
        ([("inbox", "")], "BOT_COMMAND_DESCRIPTION_INVALID"),
        ([("inbox", "x" * 257)], "BOT_COMMAND_DESCRIPTION_INVALID"),
        ([(f"c{n}", "a command") for n in range(101)], "too many commands"),
    ],
)
async def test_a_command_menu_telegram_refuses(bot: Bot, telegram: FakeTelegram, commands, error):
    menu = [BotCommand(command=command, description=text) for command, text in commands]
    with pytest.raises(TelegramBadRequest, match=error):
        await bot.set_my_commands(menu, scope=BotCommandScopeChat(chat_id=CHAT))
    assert telegram.menu(CHAT) is None


async def test_a_chat_menu_is_kept_per_chat(bot: Bot, telegram: FakeTelegram) -> None:
    menu = [BotCommand(command="inbox", description="x" * 256)]
    await bot.set_my_commands(menu, scope=BotCommandScopeChat(chat_id=CHAT))
    assert telegram.menu(CHAT) == {"inbox": "x" * 256}
    assert telegram.menu(CHAT + 1) is None
