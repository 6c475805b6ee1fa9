"""Published answers for citizens: /faq (topics, then pages newest first), /faq <words>, and one
answer opened in full — also from the similar answers shown during /ask, where the opened answer
carries the buttons that go on with the question or stop there."""

from aiogram import Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import get_i18n

from bot.services.container import Services
from bot.views.faq import (
    FaqOpen,
    FaqPage,
    FaqTopics,
    answer_view,
    found_view,
    page_view,
    topics_view,
)
from db.models import User
from handlers.questions import ANSWERED_ALREADY, ASK, GO_ON
from handlers.replies import send_messages
from handlers.wizard import WizardPress

PER_PAGE = 5


def _language(user: User) -> str:
    return user.language or get_i18n().current_locale


async def faq_command(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    services: Services,
    user: User,
) -> None:
    """/faq: the topics with published answers; /faq <words>: the closest answers."""
    await state.clear()
    words = (command.args or "").strip()
    language = _language(user)
    if words:
        found = await services.publication.search(user.id, words)
        text, markup = found_view(found, words, language)
    else:
        text, markup = topics_view(await services.publication.topics(user.id), language)
    await message.answer(text, reply_markup=markup)


async def topics_pressed(query: CallbackQuery, services: Services, user: User) -> None:
    await query.answer()
    text, markup = topics_view(await services.publication.topics(user.id), _language(user))
    if isinstance(query.message, Message):
        await query.message.edit_text(text, reply_markup=markup)


async def page_pressed(
    query: CallbackQuery, callback_data: FaqPage, services: Services, user: User
) -> None:
    topic = None
    if callback_data.topic_id:
        topic = await services.councils.topic(callback_data.topic_id)
    page = await services.publication.page(
        user.id, topic.id if topic is not None else None, callback_data.page, PER_PAGE
    )
    await query.answer()
    text, markup = page_view(page, topic, _language(user))
    if isinstance(query.message, Message):
        await query.message.edit_text(text, reply_markup=markup)


async def open_pressed(
    query: CallbackQuery,
    callback_data: FaqOpen,
    state: FSMContext,
    services: Services,
    user: User,
) -> None:
    answer = await services.publication.read(callback_data.question_id)
    await query.answer()
    if not isinstance(query.message, Message):
        return
    markup = None
    step = callback_data.step
    if step and 0 < step < len(ASK.states) and await state.get_state() == ASK.states[step].state:
        # Opened from the similar answers of a question being written: go on from here too.
        markup = InlineKeyboardMarkup(
            inline_keyboard=[
                [_wizard_button(str(label), step, value)]
                for label, value in ((GO_ON, "go"), (ANSWERED_ALREADY, "answered"))
            ]
        )
    await send_messages(query.message.answer, answer_view(answer, _language(user)), markup)


def _wizard_button(label: str, step: int, value: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=label, callback_data=WizardPress(wizard=ASK.name, step=step, value=value).pack()
    )


def create_router() -> Router:
    router = Router(name=__name__)
    anywhere = StateFilter("*")
    router.message.register(faq_command, Command("faq"), anywhere)
    router.callback_query.register(topics_pressed, FaqTopics.filter(), anywhere)
    router.callback_query.register(page_pressed, FaqPage.filter(), anywhere)
    router.callback_query.register(open_pressed, FaqOpen.filter(), anywhere)
    return router
