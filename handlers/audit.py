"""/audit [<days> | <ticket>]: the audit log for a council's staff — who did what, when, to which
ticket or event — in the chat (the newest SHOWN entries), and under it a button for the same
selection as an XLSX file.

Where the staff commands work (handlers/staff.py): a private chat, or the staff group bound to a
council, there for that council only. Included before the staff router, whose refusal for
citizens ("only for council secretaries") covers /audit too."""

import asyncio
from datetime import timedelta
from typing import Annotated

from aiogram import Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from pydantic import Field

from bot.callback_ids import CallbackId
from bot.services import xlsx
from bot.services.audit import MAX_DAYS, Selection
from bot.services.container import Services
from bot.services.councils import Staff
from bot.views.audit import audit_lines, audit_rows, file_caption
from bot.views.exports import audit_columns, council_slug, period_slug
from db.models import User
from handlers.filters import IsStaff
from handlers.replies import send_lines

# Entries shown in the chat; the file holds up to FILE_ROWS of the same selection.
SHOWN = 200
FILE_ROWS = 10_000


class AuditFile(CallbackData, prefix="aud"):
    # The last `days` days, or (days 0) the question's entries.
    days: Annotated[int, Field(ge=0, le=MAX_DAYS)]
    question_id: CallbackId


def _language(user: User | None) -> str:
    return (user.language if user else None) or get_i18n().current_locale


def _file_button(selection: Selection) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    question_id = selection.question.id if selection.question is not None else 0
    builder.button(
        text=_("📊 XLSX file"),
        callback_data=AuditFile(
            days=0 if question_id else selection.days or 0, question_id=question_id
        ),
    )
    return builder.as_markup()


async def audit_command(
    message: Message,
    command: CommandObject,
    services: Services,
    staff: Staff,
    user: User | None = None,
) -> None:
    selection = await services.audit.select(command.args, staff)
    log = await services.audit.read(selection, staff, limit=SHOWN)
    markup = _file_button(selection) if log.total else None
    await send_lines(message.answer, audit_lines(log, _language(user)), markup)


async def audit_file_pressed(
    query: CallbackQuery,
    callback_data: AuditFile,
    services: Services,
    staff: Staff,
    user: User | None = None,
) -> None:
    selection = await services.audit.selection(
        callback_data.days, callback_data.question_id, staff
    )
    log = await services.audit.read(selection, staff, limit=FILE_ROWS)
    await query.answer()
    if not isinstance(query.message, Message):
        return
    council = council_slug(log.council_ids)
    if selection.question is not None:
        ticket = f"{selection.question.year}-{selection.question.number:06d}"
        name = f"audit-{council}-{ticket}.xlsx"
    else:
        today = services.clock.now().astimezone(services.settings.tz).date()
        start = today - timedelta(days=(selection.days or 1) - 1)
        name = f"audit-{council}-{period_slug(start, today)}.xlsx"
    language = _language(user)
    table = audit_rows(log, language)
    # 10 000 rows take openpyxl about a second: not on the event loop, which serves everyone.
    data = await asyncio.to_thread(xlsx.to_xlsx, audit_columns(), table, _("Audit"), language)
    await query.message.answer_document(
        BufferedInputFile(data, filename=name), caption=file_caption(log)
    )


def create_router() -> Router:
    router = Router(name=__name__)
    # The command (or the button) first: every other update passes on at once, without
    # paying for a second IsStaff (the staff router asks it too).
    router.message.filter(Command("audit"), IsStaff())
    router.callback_query.filter(AuditFile.filter(), IsStaff())
    anywhere = StateFilter("*")
    router.message.register(audit_command, anywhere)
    router.callback_query.register(audit_file_pressed, anywhere)
    return router
