"""The bot's HTTP session to the Bot API (bot/telegram_session.py): requests without files as
JSON, uploads as multipart, Telegram's refusals raised as aiogram raises them."""

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from bot.telegram_session import JsonAiohttpSession
from tests.conftest import TOKEN
from tests.fake_api import FakeBotApi


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    session = JsonAiohttpSession(api=TelegramAPIServer.from_base(api.base_url))
    bot = Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    yield bot
    await session.close()


async def test_a_message_goes_as_json_with_its_defaults_and_buttons(
    api: FakeBotApi, bot: Bot
) -> None:
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Қатысамын", callback_data="ev:go:1:0:0")]]
    )
    sent = await bot.send_message(7, "<b>Сәлем</b>, «әлем» &amp; 2027", reply_markup=markup)

    method, params = api.calls[-1]
    assert (method, api.content_types[-1]) == ("sendMessage", "application/json")
    assert params == {
        "chat_id": 7,
        "text": "<b>Сәлем</b>, «әлем» &amp; 2027",
        "parse_mode": "HTML",
        "reply_markup": {
            "inline_keyboard": [[{"text": "Қатысамын", "callback_data": "ev:go:1:0:0"}]]
        },
    }
    assert sent.text == "<b>Сәлем</b>, «әлем» &amp; 2027"


async def test_a_text_of_digits_stays_text(api: FakeBotApi, bot: Bot) -> None:
    await bot.send_message(7, "2027")

    assert api.calls[-1][1]["text"] == "2027"


async def test_a_file_goes_as_multipart(api: FakeBotApi, bot: Bot) -> None:
    await bot.send_document(7, BufferedInputFile(b"BEGIN:VCALENDAR", "event.ics"), caption="ics")

    method, params = api.calls[-1]
    assert (method, api.content_types[-1]) == ("sendDocument", "multipart/form-data")
    assert params["caption"] == "ics"
    attached = params[params["document"].removeprefix("attach://")]
    assert attached.filename == "event.ics"


async def test_a_refusal_is_raised_as_telegram_says_it(api: FakeBotApi, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(7, "ә" * 4097)

    assert api.refusals == [("sendMessage", "Bad Request: message is too long")]
