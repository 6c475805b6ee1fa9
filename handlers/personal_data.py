"""A citizen's own data (Law No. 94-V): /my_data sends a copy of everything the bot holds about
them, /delete_me erases their identity after a confirmation that says what will happen."""

import asyncio
from enum import StrEnum

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.services.container import Services
from bot.views.my_data import to_json, to_xlsx
from bot.views.notify import Notifier
from db.models import User
from handlers.events import tell_promoted


class DeleteAction(StrEnum):
    CONFIRM = "y"
    CANCEL = "n"


class DeleteMe(CallbackData, prefix="dme"):
    action: DeleteAction
    # Whose confirmation it is: a button pressed by anyone else does nothing.
    user_id: int


async def my_data(message: Message, services: Services, user: User) -> None:
    data = await services.privacy.my_data(user)
    language = user.language or services.settings.default_language
    # Thousands of rows take openpyxl a while: not on the event loop, which serves everyone.
    xlsx = await asyncio.to_thread(to_xlsx, data, language, services.settings.tz)
    stamp = services.clock.now().astimezone(services.settings.tz).strftime("%Y-%m-%d")
    await message.answer_document(
        BufferedInputFile(to_json(data), filename=f"my-data-{stamp}.json"),
        caption=_("Everything the bot holds about you, in a machine-readable file (JSON)."),
    )
    await message.answer_document(
        BufferedInputFile(xlsx, filename=f"my-data-{stamp}.xlsx"),
        caption=_("The same data as a spreadsheet (XLSX), one sheet per section."),
    )


def deletion_notice() -> str:
    return "\n".join(
        [
            _("<b>Delete my data</b>"),
            _("If you confirm:"),
            _("• your name and username are erased and your consent is withdrawn;"),
            _(
                "• your questions become anonymous, and the secretaries' cards no longer show "
                "your name;"
            ),
            _(
                "• your registrations for events still to come are cancelled, and your place "
                "goes to the first person on the waiting list;"
            ),
            _("• your subscriptions to announcements end."),
            "",
            _(
                "What the council must keep stays, without your name: the texts of questions "
                "and answers, and the counts in event reports. Your Telegram id stays in the "
                "database, never shown to secretaries, so that answers to your open questions "
                "still reach you."
            ),
            _("This cannot be undone."),
        ]
    )


async def delete_me(message: Message, services: Services, user: User) -> None:
    if not await services.privacy.has_data_to_delete(user):
        await message.answer(
            _("Your data has already been deleted. There is nothing more to erase.")
        )
        return
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("Delete my data"),
        callback_data=DeleteMe(action=DeleteAction.CONFIRM, user_id=user.id),
    )
    builder.button(
        text=_("Keep my data"), callback_data=DeleteMe(action=DeleteAction.CANCEL, user_id=user.id)
    )
    builder.adjust(1)
    await message.answer(deletion_notice(), reply_markup=builder.as_markup())


async def delete_confirmed(
    query: CallbackQuery,
    callback_data: DeleteMe,
    services: Services,
    user: User,
    notifier: Notifier,
    bot: Bot,
    i18n: I18n,
) -> None:
    if callback_data.user_id != user.id:
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    deleted = await services.privacy.delete_me(user)
    await query.answer()
    if isinstance(query.message, Message):
        if query.message.reply_markup is not None:  # a stale button: already taken off
            await query.message.edit_reply_markup(reply_markup=None)
        if deleted is None:
            await query.message.answer(
                _("Your data has already been deleted. There is nothing more to erase.")
            )
        else:
            await query.message.answer(
                _(
                    "Done. Your name and username are erased, your questions are anonymous, "
                    "your registrations for events to come are cancelled and your "
                    "subscriptions have ended."
                )
            )
    if deleted is None:
        return
    # The cards already posted to the secretaries lose the name; the first waiting get a place.
    for question in deleted.named:
        await notifier.refresh_cards(services.session, question)
    for registration in deleted.promoted:
        await tell_promoted(bot, i18n, services.events, registration)


async def delete_cancelled(query: CallbackQuery, callback_data: DeleteMe, user: User) -> None:
    if callback_data.user_id != user.id:
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        if query.message.reply_markup is not None:  # a stale button: already taken off
            await query.message.edit_reply_markup(reply_markup=None)
        await query.message.answer(_("Nothing was deleted."))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(my_data, Command("my_data"), StateFilter("*"))
    router.message.register(delete_me, Command("delete_me"), StateFilter("*"))
    router.callback_query.register(
        delete_confirmed, DeleteMe.filter(F.action == DeleteAction.CONFIRM), StateFilter("*")
    )
    router.callback_query.register(
        delete_cancelled, DeleteMe.filter(F.action == DeleteAction.CANCEL), StateFilter("*")
    )
    return router
