"""Choosing the interface language: the picker on first /start, and /language at any time."""

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from bot.commands import refresh_chat_menu
from bot.config import LANGUAGES
from bot.i18n import LANGUAGE_NAMES
from bot.services.container import Services
from db.models import User
from handlers.broadcasts import subscribe_newcomer
from handlers.events import show_pending_event
from handlers.menu import LanguageCallback, send_main_menu, show_picker


async def change_language(message: Message, i18n: I18n) -> None:
    await show_picker(message, i18n)


async def language_chosen(
    query: CallbackQuery,
    callback_data: LanguageCallback,
    user: User,
    services: Services,
    i18n: I18n,
    state: FSMContext,
    bot: Bot,
) -> None:
    if callback_data.code not in LANGUAGES:
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    first_choice = user.language is None
    await services.users.choose_language(user, callback_data.code)
    await refresh_chat_menu(bot, i18n, services, user.id, callback_data.code)
    with i18n.use_locale(callback_data.code):
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.edit_text(
                _("Language: {language}").format(language=LANGUAGE_NAMES[callback_data.code]),
            )
            await send_main_menu(query.message, user, first_time=first_choice)
            if first_choice:
                await subscribe_newcomer(query.message, services, user)
                # Someone who came by an event's link sees that event now.
                await show_pending_event(query.message, services, user, state)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(change_language, Command("language"))
    router.message.register(change_language, F.text == __("🌐 Language"))
    router.callback_query.register(language_chosen, LanguageCallback.filter())
    return router
