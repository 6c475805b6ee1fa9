"""/start: the language picker for someone new, a greeting in their language for anyone else."""

from aiogram import Router
from aiogram.filters import CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.i18n import I18n

from db.models import User
from handlers.menu import send_main_menu, show_picker


async def start(message: Message, user: User, state: FSMContext, i18n: I18n) -> None:
    await state.clear()
    # Telegram's language_code is only a guess; a newcomer always picks, nothing preselected.
    if user.language is None:
        await show_picker(message, i18n)
        return
    await send_main_menu(message, user)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(start, CommandStart())
    return router
