"""A citizen's own question after it was sent, from its view in /my: withdraw it (confirmed)
or change its text while it is new; object once to an answer or a rejection ("I do not agree",
with a reason), which reopens it at the same council; take back the consent to publication
("Do not publish", also under the notice of a publication). The rules are QuestionService's and
PublicationService's; the council's staff are told where new cards go (Notifier.tell_staff) and
every card is redrawn."""

import enum
import logging

from aiogram import F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callback_ids import CallbackId
from bot.i18n import format_day
from bot.services.container import Services
from bot.services.questions import (
    INPUT_REFUSALS,
    MAX_REASON,
    MAX_TEXT,
    MIN_REASON,
    MIN_TEXT,
    QuestionError,
    QuestionService,
)
from bot.views.notify import (
    KeepUnpublished,
    Notifier,
    ObjectAction,
    StaffNews,
    answer_keyboard,
    keep_unpublished_button,
)
from bot.views.refusals import refusal
from db.models import Question, QuestionStatus, User

logger = logging.getLogger(__name__)


class MyAction(enum.StrEnum):
    EDIT = "e"
    WITHDRAW = "w"
    WITHDRAW_YES = "wy"
    WITHDRAW_NO = "wn"


class MyAct(CallbackData, prefix="mya"):
    action: MyAction
    question_id: CallbackId


class CitizenInput(StatesGroup):
    # The new text of a new question.
    edit = State()
    # The reason for objecting to an answer or a rejection.
    objection = State()


async def own_question_keyboard(
    service: QuestionService, question: Question
) -> InlineKeyboardMarkup | None:
    """The buttons under a citizen's own question in /my, as its status allows, and "Do not
    publish" while they allow its publication."""
    markup = await _status_keyboard(service, question)
    if not question.publish_consent:
        return markup
    rows = list(markup.inline_keyboard) if markup is not None else []
    return InlineKeyboardMarkup(inline_keyboard=[*rows, [keep_unpublished_button(question)]])


async def _status_keyboard(
    service: QuestionService, question: Question
) -> InlineKeyboardMarkup | None:
    if question.status == QuestionStatus.NEW:
        builder = InlineKeyboardBuilder()
        builder.button(
            text=_("✏️ Edit"), callback_data=MyAct(action=MyAction.EDIT, question_id=question.id)
        )
        builder.button(
            text=_("↩️ Withdraw"),
            callback_data=MyAct(action=MyAction.WITHDRAW, question_id=question.id),
        )
        builder.adjust(2)
        return builder.as_markup()
    if question.status in (QuestionStatus.ANSWERED, QuestionStatus.REJECTED):
        can_follow_up = question.status == QuestionStatus.ANSWERED and await service.can_follow_up(
            question
        )
        return answer_keyboard(question, can_follow_up, await service.can_object(question))
    return None


# -- withdraw -----------------------------------------------------------------------------


async def withdraw_pressed(
    query: CallbackQuery, callback_data: MyAct, services: Services, user: User
) -> None:
    question = await services.questions.check_changeable(callback_data.question_id, user.id)
    await query.answer()
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("Yes, withdraw"),
        callback_data=MyAct(action=MyAction.WITHDRAW_YES, question_id=question.id),
    )
    builder.button(
        text=_("No, keep it"),
        callback_data=MyAct(action=MyAction.WITHDRAW_NO, question_id=question.id),
    )
    builder.adjust(2)
    if isinstance(query.message, Message):
        await query.message.answer(
            _(
                "Withdraw your question {ticket}? The council will not consider it, and this "
                "cannot be undone."
            ).format(ticket=question.ticket),
            reply_markup=builder.as_markup(),
        )


async def withdraw_confirmed(
    query: CallbackQuery,
    callback_data: MyAct,
    services: Services,
    user: User,
    notifier: Notifier,
) -> None:
    question = await services.questions.withdraw(callback_data.question_id, user.id)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(
            _("↩️ Your question {ticket} is withdrawn. The council has been told.").format(
                ticket=question.ticket
            )
        )
    await notifier.refresh_cards(services.session, question)
    await notifier.tell_staff(services.session, question, StaffNews.WITHDRAWN)


async def withdraw_kept(
    query: CallbackQuery, callback_data: MyAct, services: Services, user: User
) -> None:
    question = await services.questions.own(callback_data.question_id, user.id)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(
            _("Your question {ticket} stays as it is.").format(ticket=question.ticket)
        )


# -- publication ------------------------------------------------------------------------


async def keep_unpublished_pressed(
    query: CallbackQuery,
    callback_data: KeepUnpublished,
    services: Services,
    user: User,
    notifier: Notifier,
) -> None:
    """ "Do not publish" (under the notice of a publication, or the question in /my): the
    consent is taken back, and the question comes off /faq if it is there."""
    done = await services.publication.take_back_consent(callback_data.question_id, user.id)
    question = done.question
    if done.was_published:
        text = _("{ticket} is removed from /faq and will not be published again.")
    else:
        text = _("{ticket} will not be published.")
    await query.answer(text.format(ticket=question.ticket), show_alert=True)
    if isinstance(query.message, Message):
        # The button is gone from the message it was under; the rest of its buttons stay.
        markup = query.message.reply_markup
        rows = [
            [button for button in row if button.callback_data != query.data]
            for row in (markup.inline_keyboard if markup is not None else [])
        ]
        kept = [row for row in rows if row]
        try:
            await query.message.edit_reply_markup(
                reply_markup=InlineKeyboardMarkup(inline_keyboard=kept) if kept else None
            )
        except TelegramAPIError as exc:  # a button left pressed again is refused plainly
            logger.info("buttons of a publication notice not redrawn: %s", exc)
    await notifier.refresh_cards(services.session, question)


# -- edit ---------------------------------------------------------------------------------


async def edit_pressed(
    query: CallbackQuery,
    callback_data: MyAct,
    state: FSMContext,
    services: Services,
    user: User,
) -> None:
    question = await services.questions.check_changeable(callback_data.question_id, user.id)
    await query.answer()
    await state.set_state(CitizenInput.edit)
    await state.update_data(question_id=question.id)
    if isinstance(query.message, Message):
        await query.message.answer(
            ngettext(
                "Send the new text of your question {ticket} ({minimum}–{maximum} character), "
                "or /cancel. Attached files stay as they are.",
                "Send the new text of your question {ticket} ({minimum}–{maximum} characters), "
                "or /cancel. Attached files stay as they are.",
                MAX_TEXT,
            ).format(ticket=question.ticket, minimum=MIN_TEXT, maximum=MAX_TEXT)
        )


async def edit_text(
    message: Message,
    state: FSMContext,
    services: Services,
    user: User,
    notifier: Notifier,
) -> None:
    question_id = int((await state.get_data()).get("question_id") or 0)
    try:
        question = await services.questions.edit(question_id, user.id, message.text)
    except QuestionError as error:
        await message.answer(refusal(error))
        if error.code not in INPUT_REFUSALS:
            await state.clear()
        return
    await state.clear()
    await message.answer(
        _("✏️ The text of your question {ticket} is changed. The council has been told.").format(
            ticket=question.ticket
        )
    )
    await notifier.refresh_cards(services.session, question)
    await notifier.tell_staff(services.session, question, StaffNews.EDITED)


# -- object -------------------------------------------------------------------------------


async def object_pressed(
    query: CallbackQuery,
    callback_data: ObjectAction,
    state: FSMContext,
    services: Services,
    user: User,
) -> None:
    question = await services.questions.check_objection(callback_data.question_id, user.id)
    await query.answer()
    await state.set_state(CitizenInput.objection)
    await state.update_data(question_id=question.id)
    if isinstance(query.message, Message):
        await query.message.answer(
            ngettext(
                "Why do you not agree with the answer to {ticket}? Write your reason "
                "({minimum}–{maximum} character), or /cancel. The council will consider the "
                "question again; you can object only once.",
                "Why do you not agree with the answer to {ticket}? Write your reason "
                "({minimum}–{maximum} characters), or /cancel. The council will consider the "
                "question again; you can object only once.",
                MAX_REASON,
            ).format(ticket=question.ticket, minimum=MIN_REASON, maximum=MAX_REASON)
        )


async def objection_text(
    message: Message,
    state: FSMContext,
    services: Services,
    user: User,
    notifier: Notifier,
) -> None:
    question_id = int((await state.get_data()).get("question_id") or 0)
    try:
        question = await services.questions.object_to(question_id, user.id, message.text)
    except QuestionError as error:
        await message.answer(refusal(error))
        if error.code not in INPUT_REFUSALS:
            await state.clear()
        return
    await state.clear()
    await message.answer(
        _(
            "❗ Your objection is registered: question {ticket} is open again at the council. "
            "Expected answer by: {day}."
        ).format(ticket=question.ticket, day=format_day(question.due_date, _language(user)))
    )
    await notifier.refresh_cards(services.session, question)
    await notifier.tell_staff(services.session, question, StaffNews.OBJECTED)


def _language(user: User) -> str:
    return user.language or get_i18n().current_locale


def create_router() -> Router:
    router = Router(name=__name__)
    callback, message = router.callback_query.register, router.message.register
    anywhere = StateFilter("*")
    callback(withdraw_pressed, MyAct.filter(F.action == MyAction.WITHDRAW), anywhere)
    callback(withdraw_confirmed, MyAct.filter(F.action == MyAction.WITHDRAW_YES), anywhere)
    callback(withdraw_kept, MyAct.filter(F.action == MyAction.WITHDRAW_NO), anywhere)
    callback(edit_pressed, MyAct.filter(F.action == MyAction.EDIT), anywhere)
    callback(object_pressed, ObjectAction.filter(), anywhere)
    callback(keep_unpublished_pressed, KeepUnpublished.filter(), anywhere)
    not_command = ~F.text.startswith("/")
    message(edit_text, CitizenInput.edit, not_command)
    message(objection_text, CitizenInput.objection, not_command)
    return router
