"""/help, /cancel, and a short answer for anything no feature took. Included last."""

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.text_decorations import html_decoration as html

from bot.cache import Caches
from bot.commands import ADMIN_COMMANDS, CITIZEN_COMMANDS, STAFF_COMMANDS
from bot.services.container import Services
from handlers.menu import main_menu
from handlers.replies import send_lines


async def show_help(message: Message, services: Services, caches: Caches) -> None:
    staff = await services.councils.staff_of(message.chat.id, caches.secretaries)
    lines = [_("What I can do:")]
    lines += [f"/{command} — {_(description)}" for command, description in CITIZEN_COMMANDS]
    if staff.is_staff:
        lines += ["", _("For council secretaries:")]
        lines += [f"/{command} {html.quote(_(text))}" for command, text in STAFF_COMMANDS]
    if staff.is_superadmin:
        lines += ["", _("For superadmins:")]
        lines += [f"/{command} {html.quote(_(text))}" for command, text in ADMIN_COMMANDS]
    await send_lines(message.answer, lines)


async def cancel(message: Message, state: FSMContext) -> None:
    """Anywhere a conversation can be pending: a private chat, or a staff group where someone
    pressed Answer or Reject. In a group with nothing pending it says nothing."""
    private = message.chat.type == "private"
    if await state.get_state() is None:
        if private:
            await message.answer(_("There is nothing to cancel."), reply_markup=main_menu())
        return
    await state.clear()
    await message.answer(_("Cancelled."), reply_markup=main_menu() if private else None)


async def unknown_command(message: Message) -> None:
    await message.answer(_("I don't know this command. Send /help to see what I can do."))


async def unusable_message(message: Message) -> None:
    await message.answer(
        _("I can't use this message here. Send /help or choose from the menu below."),
        reply_markup=main_menu(),
    )


async def stale_button(query: CallbackQuery) -> None:
    await query.answer(_("This button is no longer valid."), show_alert=True)


def create_first_router() -> Router:
    """/help, tried before every other handler: a command means the same in every state (no
    wizard step takes a command as its input), and /help is what a newcomer sends most, so it
    need not pass the hundred handlers before this router's place at the end."""
    router = Router(name=f"{__name__}.first")
    router.message.register(show_help, Command("help"), F.chat.type == "private")
    return router


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cancel, Command("cancel"), StateFilter("*"))
    router.callback_query.register(stale_button, StateFilter("*"))
    private = Router(name=f"{__name__}.private")
    private.message.filter(F.chat.type == "private")
    private.message.register(show_help, F.text == __("ℹ️ Help"))
    private.message.register(unknown_command, F.text.startswith("/"), StateFilter("*"))
    private.message.register(unusable_message, StateFilter("*"))
    router.include_router(private)
    return router
