"""The main menu: a reply keyboard in the user's language."""

from collections.abc import Callable

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup, KeyboardButton, Message, ReplyKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from db.models import Council, User


def main_menu() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [
                KeyboardButton(text=_("❓ Ask a question")),
                KeyboardButton(text=_("📋 My questions")),
            ],
            [KeyboardButton(text=_("🌐 Language")), KeyboardButton(text=_("ℹ️ Help"))],
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
