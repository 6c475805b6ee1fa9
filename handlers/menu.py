"""The main menu (a reply keyboard in the user's language), the language picker and the council
picker: keyboards more than one feature shows."""

from collections.abc import Callable
from functools import lru_cache

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup, KeyboardButton, Message, ReplyKeyboardMarkup
from aiogram.utils.i18n import I18n, get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.config import LANGUAGES
from bot.i18n import LANGUAGE_NAMES, N_
from db.models import Council, User


def main_menu() -> ReplyKeyboardMarkup:
    """The menu in the current language (built once per language: keyboards are immutable)."""
    return _main_menu(get_i18n().current_locale)


@lru_cache(maxsize=8)
def _main_menu(locale: str) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [
                KeyboardButton(text=_("❓ Ask a question")),
                KeyboardButton(text=_("📋 My questions")),
            ],
            [KeyboardButton(text=_("📅 Events")), KeyboardButton(text=_("🌐 Language"))],
            [KeyboardButton(text=_("ℹ️ Help"))],
        ],
        resize_keyboard=True,
    )


async def send_main_menu(message: Message, user: User, *, first_time: bool = False) -> None:
    if first_time:
        text = _(
            "Welcome! Through this bot you can put questions to the public council, "
            "follow their answers and hear about its events. Send /help to see what it can do."
        )
    else:
        text = _("Welcome back! Send /help to see what the bot can do.")
    await message.answer(text, reply_markup=main_menu())


def council_keyboard(
    councils: list[Council], language: str, callback: Callable[[int], CallbackData]
) -> InlineKeyboardMarkup:
    """One button per council, named in the user's language."""
    builder = InlineKeyboardBuilder()
    for council in councils:
        builder.button(text=council.name(language), callback_data=callback(council.id))
    builder.adjust(1)
    return builder.as_markup()


PICKER_PROMPT = N_("Choose your language")


class LanguageCallback(CallbackData, prefix="lang"):
    code: str


@lru_cache(maxsize=1)
def language_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for code in LANGUAGES:
        builder.button(text=LANGUAGE_NAMES[code], callback_data=LanguageCallback(code=code))
    builder.adjust(3)
    return builder.as_markup()


def picker_text(i18n: I18n) -> str:
    """The prompt in all three languages, Kazakh first: we do not know theirs yet."""
    return _picker_text(i18n)


@lru_cache(maxsize=8)
def _picker_text(i18n: I18n) -> str:
    return "\n".join(i18n.gettext(PICKER_PROMPT, locale=code) for code in LANGUAGES)


async def show_picker(message: Message, i18n: I18n) -> None:
    await message.answer(picker_text(i18n), reply_markup=language_keyboard())
