"""Choosing the interface language: the picker on first /start, and /language at any time."""

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import LANGUAGES
from bot.i18n import LANGUAGE_NAMES, N_
from db.models import User
from db.repositories.users import UserRepository
from handlers.broadcasts import subscribe_newcomer
from handlers.menu import send_main_menu

PICKER_PROMPT = N_("Choose your language")


class LanguageCallback(CallbackData, prefix="lang"):
    code: str


def language_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for code in LANGUAGES:
        builder.button(text=LANGUAGE_NAMES[code], callback_data=LanguageCallback(code=code))
    builder.adjust(3)
    return builder.as_markup()


def picker_text(i18n: I18n) -> str:
    """The prompt in all three languages, Kazakh first: we do not know theirs yet."""
    return "\n".join(i18n.gettext(PICKER_PROMPT, locale=code) for code in LANGUAGES)


async def show_picker(message: Message, i18n: I18n) -> None:
    await message.answer(picker_text(i18n), reply_markup=language_keyboard())


async def change_language(message: Message, i18n: I18n) -> None:
    await show_picker(message, i18n)


async def language_chosen(
    query: CallbackQuery,
    callback_data: LanguageCallback,
    user: User,
    session: AsyncSession,
    i18n: I18n,
    clock: Clock,
) -> None:
    if callback_data.code not in LANGUAGES:
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    first_choice = user.language is None
    await UserRepository(session).set_language(user, callback_data.code)
    await session.commit()
    with i18n.use_locale(callback_data.code):
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.edit_text(
                _("Language: {language}").format(language=LANGUAGE_NAMES[callback_data.code]),
            )
            await send_main_menu(query.message, user, first_time=first_choice)
            if first_choice:
                await subscribe_newcomer(query.message, session, clock, user)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.message.register(change_language, Command("language"))
    router.message.register(change_language, F.text == __("🌐 Language"))
    router.callback_query.register(language_chosen, LanguageCallback.filter())
    return router
