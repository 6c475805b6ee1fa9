"""A citizen's questions: /ask (council → topic → text → name → consent → preview → send),
/my with each question's history, rating an answer, one follow-up, and /privacy."""

import secrets
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram.utils.text_decorations import html_decoration as html
from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics
from bot.callback_ids import CallbackId, CallbackPage
from bot.clock import Clock
from bot.config import Settings
from bot.i18n import format_day
from bot.services.errors import QuestionRefusal
from bot.services.privacy import PrivacyService
from bot.services.questions import (
    MAX_ATTACHMENTS,
    MAX_TEXT,
    MIN_TEXT,
    Draft,
    QuestionError,
    QuestionService,
    check_text,
)
from bot.views import Plain, pack
from bot.views.notify import (
    FollowUpAction,
    Notifier,
    RateAction,
    answer_keyboard,
    history_lines,
    status_name,
)
from bot.views.paging import page_buttons
from bot.views.refusals import refusal, refusal_alert
from db.models import Council, QuestionStatus, User
from db.repositories.councils import CouncilRepository
from db.repositories.questions import QuestionRepository
from handlers.menu import council_keyboard, main_menu

PER_PAGE = 5
E_OTINISH = "https://eotinish.kz"


class Ask(StatesGroup):
    council = State()
    topic = State()
    text = State()
    anonymity = State()
    consent = State()
    confirm = State()


class FollowUp(StatesGroup):
    text = State()


class AskCouncil(CallbackData, prefix="ac"):
    council_id: CallbackId


class AskTopic(CallbackData, prefix="at"):
    topic_id: CallbackId


class AskName(CallbackData, prefix="an"):
    anonymous: bool


class AskConsent(CallbackData, prefix="acs"):
    agree: bool


class AskConfirm(CallbackData, prefix="acf"):
    send: bool


class MyPage(CallbackData, prefix="myp"):
    page: CallbackPage


class MyQuestion(CallbackData, prefix="myq"):
    question_id: CallbackId


class Withdraw(CallbackData, prefix="pdw"):
    confirm: bool


# -- /ask ---------------------------------------------------------------------------------


async def start_asking(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    user: User,
) -> None:
    await state.clear()
    councils = await CouncilRepository(session).all()
    if not councils:
        await message.answer(_("Questions cannot be sent yet: no council is set up."))
        return
    if len(councils) == 1:
        await _choose_topic(message, state, session, settings, clock, user, councils[0])
        return
    markup = council_keyboard(councils, _language(user), lambda id_: AskCouncil(council_id=id_))
    await state.set_state(Ask.council)
    await message.answer(_("Which council is your question for?"), reply_markup=markup)


async def council_chosen(
    query: CallbackQuery,
    callback_data: AskCouncil,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    user: User,
) -> None:
    council = await CouncilRepository(session).get(callback_data.council_id)
    await query.answer()
    if council is None or not isinstance(query.message, Message):
        await _stale(query)
        return
    await query.message.edit_reply_markup(reply_markup=None)
    await _choose_topic(query.message, state, session, settings, clock, user, council)


async def _choose_topic(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    user: User,
    council: Council,
) -> None:
    try:
        await QuestionService(session, settings, clock).check_can_ask(user.id, council)
    except QuestionError as error:
        await state.clear()
        await message.answer(refusal(error), reply_markup=main_menu())
        return
    topics = await CouncilRepository(session).topics(council.id)
    builder = InlineKeyboardBuilder()
    for topic in topics:
        builder.button(text=topic.name(_language(user)), callback_data=AskTopic(topic_id=topic.id))
    builder.adjust(2)
    await state.set_state(Ask.topic)
    await state.update_data(council_id=council.id)
    await message.answer(
        _("Your question to: {council}\nChoose a topic:").format(
            council=html.quote(council.name(_language(user)))
        ),
        reply_markup=builder.as_markup(),
    )


async def topic_chosen(
    query: CallbackQuery, callback_data: AskTopic, state: FSMContext, session: AsyncSession
) -> None:
    data = await state.get_data()
    topic = await CouncilRepository(session).topic(callback_data.topic_id)
    if topic is None or topic.is_hidden or topic.council_id != data.get("council_id"):
        await _stale(query)
        return
    await query.answer()
    await state.update_data(topic_id=topic.id)
    await state.set_state(Ask.text)
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
        await query.message.answer(
            _(
                "Write your question ({minimum}–{maximum} characters). You may also send a photo "
                "or a document with the question in its caption."
            ).format(minimum=MIN_TEXT, maximum=MAX_TEXT)
        )


async def text_received(
    message: Message, state: FSMContext, album: list[Message] | None = None
) -> None:
    parts = album or [message]
    attachments = [found for part in parts if (found := _attachment(part)) is not None]
    captions = [part.caption for part in parts if part.caption]
    raw = (captions[0] if captions else None) if attachments else message.text
    if raw is None:
        await message.answer(
            _("Please send your question as text, or a photo or document with a caption.")
        )
        return
    try:
        text = check_text(raw)
    except QuestionError as error:
        await message.answer(refusal(error))
        return
    await state.update_data(text=text, attachments=attachments[:MAX_ATTACHMENTS])
    await state.set_state(Ask.anonymity)
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Show my name"), callback_data=AskName(anonymous=False))
    builder.button(text=_("Stay anonymous"), callback_data=AskName(anonymous=True))
    builder.adjust(1)
    await message.answer(
        _(
            "Should the council see your name? If you stay anonymous, the secretaries see neither "
            "your name nor your Telegram account."
        ),
        reply_markup=builder.as_markup(),
    )


async def anonymity_chosen(
    query: CallbackQuery,
    callback_data: AskName,
    state: FSMContext,
    session: AsyncSession,
    user: User,
) -> None:
    await query.answer()
    await state.update_data(anonymous=callback_data.anonymous)
    if not isinstance(query.message, Message):
        return
    await query.message.edit_reply_markup(reply_markup=None)
    if user.consent_at is None:
        builder = InlineKeyboardBuilder()
        builder.button(text=_("I agree"), callback_data=AskConsent(agree=True))
        builder.button(text=_("I do not agree"), callback_data=AskConsent(agree=False))
        builder.adjust(2)
        await state.set_state(Ask.consent)
        await query.message.answer(consent_notice(), reply_markup=builder.as_markup())
        return
    await _preview(query.message, state, session, user)


async def consent_given(
    query: CallbackQuery,
    callback_data: AskConsent,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    user: User,
) -> None:
    await query.answer()
    if not isinstance(query.message, Message):
        return
    await query.message.edit_reply_markup(reply_markup=None)
    if not callback_data.agree:
        await state.clear()
        await query.message.answer(
            _("Without your consent we cannot accept a question. Nothing was sent."),
            reply_markup=main_menu(),
        )
        return
    await PrivacyService(session, clock).consent(
        user, query.from_user.full_name, query.from_user.username
    )
    await _preview(query.message, state, session, user)


async def _preview(message: Message, state: FSMContext, session: AsyncSession, user: User) -> None:
    data = await state.get_data()
    councils = CouncilRepository(session)
    council = await councils.get(data["council_id"])
    topic = await councils.topic(data["topic_id"])
    if council is None or topic is None:
        await state.clear()
        await message.answer(_("This button is no longer valid."))
        return
    language = _language(user)
    author = _("anonymous") if data["anonymous"] else html.quote(user.full_name)
    lines = [
        _("Please check your question:"),
        "",
        _("Council: {council}").format(council=html.quote(council.name(language))),
        _("Topic: {topic}").format(topic=html.quote(topic.name(language))),
        _("From: {author}").format(author=author),
    ]
    if count := len(data.get("attachments") or []):
        lines.append(
            ngettext("Attachment: {count} file", "Attachments: {count} files", count).format(
                count=count
            )
        )
    lines += ["", html.quote(data["text"]), "", _not_an_appeal()]
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Send"), callback_data=AskConfirm(send=True))
    builder.button(text=_("Cancel"), callback_data=AskConfirm(send=False))
    builder.adjust(2)
    await state.update_data(key=secrets.token_hex(8))
    await state.set_state(Ask.confirm)
    await message.answer("\n".join(lines), reply_markup=builder.as_markup())


async def confirmed(
    query: CallbackQuery,
    callback_data: AskConfirm,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    user: User,
    notifier: Notifier,
) -> None:
    data = await state.get_data()
    await state.clear()
    await query.answer()
    if not isinstance(query.message, Message):
        return
    await query.message.edit_reply_markup(reply_markup=None)
    if not callback_data.send:
        await query.message.answer(_("Cancelled. Nothing was sent."), reply_markup=main_menu())
        return
    council = await CouncilRepository(session).get(data["council_id"])
    if council is None:
        await _stale(query)
        return
    draft = Draft(
        council_id=council.id,
        topic_id=data["topic_id"],
        text=data["text"],
        anonymous=data["anonymous"],
        attachments=tuple((kind, file_id) for kind, file_id in data.get("attachments") or []),
        key=data.get("key"),
    )
    await _register(query.message, session, settings, clock, user, council, draft, notifier)


async def _register(
    message: Message,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    user: User,
    council: Council,
    draft: Draft,
    notifier: Notifier,
) -> None:
    try:
        question = await QuestionService(session, settings, clock).create(user, council, draft)
    except QuestionError as error:
        await message.answer(refusal(error), reply_markup=main_menu())
        return
    # The question is safe in the database before anyone is told about it.
    metrics.QUESTIONS.inc()
    topic = await CouncilRepository(session).topic(question.topic_id)
    assert topic is not None
    # Neither waits on the other: a receipt that fails (5xx, timeout, 429, blocked) never keeps
    # the question from the council, nor a failed card the receipt from the citizen.
    await notifier.receipt(message, question, council, topic, _language(user))
    await notifier.post_card(session, question)


# -- follow-up ----------------------------------------------------------------------------


async def follow_up_pressed(
    query: CallbackQuery,
    callback_data: FollowUpAction,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    user: User,
) -> None:
    service = QuestionService(session, settings, clock)
    try:
        question = await service.check_followup(callback_data.question_id, user.id)
    except QuestionError as error:
        await query.answer(refusal_alert(error), show_alert=True)
        return
    await query.answer()
    await state.set_state(FollowUp.text)
    await state.update_data(parent_id=question.id)
    if isinstance(query.message, Message):
        await query.message.answer(
            _("Write your follow-up to {ticket} ({minimum}–{maximum} characters).").format(
                ticket=question.ticket, minimum=MIN_TEXT, maximum=MAX_TEXT
            )
        )


async def follow_up_text(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    user: User,
    notifier: Notifier,
) -> None:
    if message.text is None:
        await message.answer(_("Please send your follow-up as text."))
        return
    service = QuestionService(session, settings, clock)
    try:
        text = check_text(message.text)
        parent = await service.check_followup((await state.get_data())["parent_id"], user.id)
    except QuestionError as error:
        await message.answer(refusal(error))
        if error.code not in {QuestionRefusal.TOO_SHORT, QuestionRefusal.TOO_LONG}:
            await state.clear()
        return
    await state.clear()
    council = await CouncilRepository(session).get(parent.council_id)
    assert council is not None
    draft = Draft(
        council_id=council.id,
        topic_id=parent.topic_id,
        text=text,
        anonymous=parent.anonymous,
        parent_id=parent.id,
    )
    await _register(message, session, settings, clock, user, council, draft, notifier)


# -- rating -------------------------------------------------------------------------------


async def rated(
    query: CallbackQuery,
    callback_data: RateAction,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    user: User,
) -> None:
    service = QuestionService(session, settings, clock)
    try:
        question = await service.rate(callback_data.question_id, user.id, callback_data.helpful)
    except QuestionError as error:
        await query.answer(refusal_alert(error), show_alert=True)
        return
    await query.answer(_("Thank you for your rating!"))
    if isinstance(query.message, Message):
        followup = await QuestionRepository(session).followup_of(question.id)
        can_follow_up = question.parent_id is None and followup is None
        await query.message.edit_reply_markup(
            reply_markup=answer_keyboard(question, can_follow_up)
        )


# -- /my ----------------------------------------------------------------------------------


async def my_questions(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    user: User,
) -> None:
    await state.clear()
    text, markup = await _my_page(session, settings, clock, user, 0)
    await message.answer(text, reply_markup=markup)


async def my_page(
    query: CallbackQuery,
    callback_data: MyPage,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    user: User,
) -> None:
    await query.answer()
    text, markup = await _my_page(session, settings, clock, user, max(callback_data.page, 0))
    if isinstance(query.message, Message):
        await query.message.edit_text(text, reply_markup=markup)


async def _my_page(
    session: AsyncSession, settings: Settings, clock: Clock, user: User, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    shown = await QuestionService(session, settings, clock).of_citizen(user.id, page, PER_PAGE)
    if shown.empty:
        return _("You have not asked any questions yet. To ask one: /ask"), None
    builder = InlineKeyboardBuilder()
    for question in shown.items:
        builder.button(
            text=f"{question.ticket} · {status_name(question.status)}",
            callback_data=MyQuestion(question_id=question.id),
        )
    builder.adjust(1)
    builder.row(*page_buttons(shown, lambda number: MyPage(page=number)))
    text = _("Your questions, newest first (page {page} of {pages}):").format(
        page=shown.number + 1, pages=shown.pages
    )
    return text, builder.as_markup()


async def my_question(
    query: CallbackQuery,
    callback_data: MyQuestion,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    user: User,
) -> None:
    service = QuestionService(session, settings, clock)
    try:
        question = await service.own(callback_data.question_id, user.id)
    except QuestionError as error:
        await query.answer(refusal_alert(error), show_alert=True)
        return
    await query.answer()
    council = await CouncilRepository(session).get(question.council_id)
    topic = await CouncilRepository(session).topic(question.topic_id)
    assert council is not None and topic is not None
    language = _language(user)
    tz = ZoneInfo(council.timezone)
    parts: list[str | Plain] = [
        _("Question {ticket}").format(ticket=question.ticket),
        _("Council: {council}").format(council=html.quote(council.name(language))),
        _("Topic: {topic}").format(topic=html.quote(topic.name(language))),
        _("Status: {status}").format(status=status_name(question.status)),
        _("Expected answer by: {day}").format(day=format_day(question.due_date, language)),
        "",
        Plain(question.text),
        "",
        _("History:"),
        *history_lines(await service.history(question), language, tz),
    ]
    if question.status == QuestionStatus.ANSWERED:
        parts += ["", _("Answer:"), Plain(question.resolution or "")]
    elif question.status == QuestionStatus.REJECTED:
        parts += ["", _("Reason:"), Plain(question.resolution or "")]
    markup = None
    if question.status == QuestionStatus.ANSWERED:
        followup = await QuestionRepository(session).followup_of(question.id)
        markup = answer_keyboard(question, question.parent_id is None and followup is None)
    if isinstance(query.message, Message):
        # A long question with a long answer does not fit one message: it comes in several,
        # the buttons under the last.
        messages = pack(parts)
        for number, text in enumerate(messages, 1):
            await query.message.answer(
                text, reply_markup=markup if number == len(messages) else None
            )


# -- /privacy -----------------------------------------------------------------------------


async def privacy(message: Message, user: User) -> None:
    builder = InlineKeyboardBuilder()
    if user.consent_at is not None:
        builder.button(
            text=_("Withdraw consent and erase my data"), callback_data=Withdraw(confirm=True)
        )
        status = _("You gave your consent; you can withdraw it at any time.")
    else:
        status = _("You have not given your consent.")
        if user.full_name or user.username:
            builder.button(
                text=_("Erase my name and username"), callback_data=Withdraw(confirm=True)
            )
    await message.answer(
        consent_notice() + "\n\n" + status,
        reply_markup=builder.as_markup() if builder.buttons else None,
    )


async def withdraw(
    query: CallbackQuery, session: AsyncSession, clock: Clock, user: User, notifier: Notifier
) -> None:
    service = PrivacyService(session, clock)
    if user.consent_at is not None:
        named = await service.withdraw(user)
        done = _(
            "Your consent is withdrawn. We erased your name and username, and your questions "
            "are now anonymous. Answers to open questions will still reach you here."
        )
    elif user.full_name or user.username:
        named = []
        await service.erase(user)
        done = _("We erased your name and username.")
    else:
        await _stale(query)
        return
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
        await query.message.answer(done)
    # The cards already posted to the secretaries lose the name too.
    for question in named:
        await notifier.refresh_cards(session, question)


def consent_notice() -> str:
    return "\n".join(
        [
            _("<b>Your personal data</b>"),
            _(
                "• What we keep: your Telegram id, name and username, the language you chose, "
                "your questions and their answers, and the time of this consent."
            ),
            _(
                "• For how long: until you withdraw your consent; then your name and username "
                "are erased and your questions stay only in anonymous form."
            ),
            _(
                "• Who sees it: the secretaries of the council you write to. If you stay "
                "anonymous, they see neither your name nor your account."
            ),
            _("• How to delete it: send /privacy and withdraw your consent."),
            "",
            _not_an_appeal(),
        ]
    )


def _not_an_appeal() -> str:
    return _(
        "A question here is not a formal appeal under the Administrative Procedural Code of "
        "the Republic of Kazakhstan. For a formal appeal use the e-Otinish service: {url}"
    ).format(url=E_OTINISH)


# -- helpers ------------------------------------------------------------------------------


def _attachment(message: Message) -> tuple[str, str] | None:
    if message.photo:
        return "photo", message.photo[-1].file_id
    if message.document:
        return "document", message.document.file_id
    return None


def _language(user: User) -> str:
    return user.language or get_i18n().current_locale


async def _stale(query: CallbackQuery) -> None:
    await query.answer(_("This button is no longer valid."), show_alert=True)


async def _wrong_input(message: Message) -> None:
    await message.answer(_("Please use the buttons above, or /cancel to stop."))


def create_router() -> Router:
    router = Router(name=__name__)
    message, callback = router.message.register, router.callback_query.register

    message(start_asking, Command("ask"), StateFilter("*"))
    message(start_asking, F.text == __("❓ Ask a question"), StateFilter("*"))
    message(my_questions, Command("my"), StateFilter("*"))
    message(my_questions, F.text == __("📋 My questions"), StateFilter("*"))
    message(privacy, Command("privacy"))

    callback(council_chosen, AskCouncil.filter(), Ask.council)
    callback(topic_chosen, AskTopic.filter(), Ask.topic)
    message(text_received, Ask.text, ~F.text.startswith("/"))
    callback(anonymity_chosen, AskName.filter(), Ask.anonymity)
    callback(consent_given, AskConsent.filter(), Ask.consent)
    callback(confirmed, AskConfirm.filter(), Ask.confirm)
    message(
        _wrong_input,
        StateFilter(Ask.council, Ask.topic, Ask.anonymity, Ask.consent, Ask.confirm),
        ~F.text.startswith("/"),
    )

    callback(follow_up_pressed, FollowUpAction.filter(), StateFilter("*"))
    message(follow_up_text, FollowUp.text, ~F.text.startswith("/"))
    callback(rated, RateAction.filter(), StateFilter("*"))
    callback(my_page, MyPage.filter(), StateFilter("*"))
    callback(my_question, MyQuestion.filter(), StateFilter("*"))
    callback(withdraw, Withdraw.filter(), StateFilter("*"))
    return router
