"""A citizen's questions: /ask (council → topic → text → similar published answers → name →
publication → consent → preview → send),
/my with each question's history, rating an answer, one follow-up, and /privacy."""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram.utils.text_decorations import html_decoration as html
from babel.dates import format_timedelta

from bot import metrics
from bot.callback_ids import CallbackId, CallbackPage
from bot.i18n import format_day
from bot.services.container import Services
from bot.services.errors import QuestionRefusal
from bot.services.questions import (
    MAX_ATTACHMENTS,
    MAX_FILE_MB,
    MAX_TEXT,
    MAX_VOICE_SECONDS,
    MIN_TEXT,
    Draft,
    QuestionError,
    check_attachment,
    check_text,
)
from bot.views import Plain, pack
from bot.views.faq import similar_buttons, similar_view
from bot.views.notify import (
    CardContext,
    FollowUpAction,
    Notifier,
    RateAction,
    answer_keyboard,
    forwarded_where,
    history_lines,
    send_files,
    status_name,
)
from bot.views.paging import page_buttons
from bot.views.refusals import refusal
from db.models import Council, QuestionStatus, User
from handlers import casework
from handlers.casework import own_question_keyboard
from handlers.menu import main_menu
from handlers.wizard import (
    STAY,
    Again,
    Choice,
    CouncilStep,
    Step,
    Turn,
    Wizard,
    WizardPress,
    options,
)

PER_PAGE = 5
E_OTINISH = "https://eotinish.kz"


class FollowUp(StatesGroup):
    text = State()


class MyPage(CallbackData, prefix="myp"):
    page: CallbackPage


class MyQuestion(CallbackData, prefix="myq"):
    question_id: CallbackId


class Withdraw(CallbackData, prefix="pdw"):
    confirm: bool


# -- /ask ---------------------------------------------------------------------------------


async def start_asking(message: Message, state: FSMContext, **env: Any) -> None:
    await ASK.start(message, state, env)


async def _all_councils(turn: Turn) -> list[Council]:
    return await turn.services.councils.all()


@dataclass
class TopicStep(Choice):
    """The council's topics; asked only of someone who may ask this council now."""

    async def prefilled(self, turn: Turn) -> Any:
        try:
            await turn.services.questions.check_can_ask(turn.user.id, await turn.council())
        except QuestionError as error:
            await turn.end(refusal(error), reply_markup=main_menu())
        return STAY

    async def choices(self, turn: Turn) -> list[tuple[str, str]]:
        topics = await turn.services.councils.topics(turn.answers["council_id"])
        return [(topic.name(turn.language), str(topic.id)) for topic in topics]

    async def pressed(self, turn: Turn, value: str) -> Any:
        return int(await super().pressed(turn, value))


async def _topic_prompt(turn: Turn) -> str:
    council = await turn.council()
    return _("Your question to: {council}\nChoose a topic:").format(
        council=html.quote(council.name(turn.language))
    )


async def _text_prompt(turn: Turn) -> str:
    return ngettext(
        "Write your question ({minimum}–{maximum} character). You may also send photos or "
        "documents (up to {megabytes} MB each), a voice message ({duration} or shorter) or a "
        "video note, with the question in the caption or as text after it.",
        "Write your question ({minimum}–{maximum} characters). You may also send photos or "
        "documents (up to {megabytes} MB each), a voice message ({duration} or shorter) or a "
        "video note, with the question in the caption or as text after it.",
        MAX_TEXT,
    ).format(
        minimum=MIN_TEXT,
        maximum=MAX_TEXT,
        megabytes=MAX_FILE_MB,
        duration=format_timedelta(
            timedelta(seconds=MAX_VOICE_SECONDS), threshold=10**9, locale=turn.language
        ),
    )


@dataclass
class QuestionTextStep(Step):
    """The question: text, or files — photos, documents (an album too), a voice message, a
    video note — with the text in a caption or in the next message. Files over the limits are
    refused as they arrive."""

    async def read(self, turn: Turn, message: Message) -> Any:
        album: list[Message] | None = turn.env.get("album")
        parts = album or [message]
        attachments = [found for part in parts if (found := _attachment(part)) is not None]
        captions = [part.caption for part in parts if part.caption]
        kept = list(turn.answers.get("attachments") or [])
        if attachments:
            if len(kept) + len(attachments) > MAX_ATTACHMENTS:
                # Nothing is dropped without a word: these files are refused, those kept stay.
                raise Again(
                    ngettext(
                        "A question can carry at most {maximum} files; {count} file is kept. "
                        "Send fewer files, or write your question as text now.",
                        "A question can carry at most {maximum} files; {count} files are kept. "
                        "Send fewer files, or write your question as text now.",
                        len(kept),
                    ).format(maximum=MAX_ATTACHMENTS, count=len(kept))
                )
            kept = [*kept, *attachments]
            if not captions:
                # A voice message or a video note has no caption: the text comes next.
                turn.answers["attachments"] = kept
                await turn.message.answer(_files_received(len(kept)))
                return STAY
        raw = captions[0] if attachments else message.text
        if raw is None:
            raise Again(
                _(
                    "Please send your question as text, or a photo, document, voice message or "
                    "video note."
                )
            )
        text = check_text(raw)
        turn.answers["attachments"] = kept
        return text


def _files_received(count: int) -> str:
    return ngettext(
        "📎 {count} file received. Now write your question as text ({minimum}–{maximum} "
        "characters): it will be sent with the file.",
        "📎 {count} files received. Now write your question as text ({minimum}–{maximum} "
        "characters): it will be sent with the files.",
        count,
    ).format(count=count, minimum=MIN_TEXT, maximum=MAX_TEXT)


@dataclass
class SimilarStep(Choice):
    """The council's published answers that look like the question just written, each with a
    button that opens it; then go on with the question, or stop there because it is answered.
    Asked only when there are some."""

    async def prefilled(self, turn: Turn) -> Any:
        found = await turn.services.publication.similar(
            turn.answers["council_id"], turn.answers["text"]
        )
        if not found:
            return "none"
        turn.env["similar_found"] = found
        return STAY

    async def ask(self, turn: Turn) -> None:
        found = turn.env["similar_found"]
        builder = InlineKeyboardBuilder()
        builder.row(*similar_buttons(found, self.index))
        for label, value in await self.choices(turn):
            builder.row(
                InlineKeyboardButton(
                    text=label,
                    callback_data=WizardPress(
                        wizard=self.wizard, step=self.index, value=value
                    ).pack(),
                )
            )
        await turn.message.answer(
            similar_view(found, turn.language), reply_markup=builder.as_markup()
        )

    async def taken(self, turn: Turn, value: Any) -> Any:
        if value == "answered":
            await turn.end(
                _("Glad the council's answer helped. Your question was not sent."),
                reply_markup=main_menu(),
            )
            return STAY
        return value


GO_ON = __("➡️ Go on with my question")
ANSWERED_ALREADY = __("✅ This answers my question")


async def _no_consent_yet(turn: Turn) -> bool:
    return turn.user.consent_at is None


@dataclass
class ConsentStep(Choice):
    """Consent to keep the citizen's data, once: without it nothing is sent."""

    async def taken(self, turn: Turn, value: Any) -> Any:
        if value != "agree":
            await turn.end(
                _("Without your consent we cannot accept a question. Nothing was sent."),
                reply_markup=main_menu(),
            )
            return STAY
        from_user = turn.env["event_from_user"]
        await turn.services.privacy.consent(turn.user, from_user.full_name, from_user.username)
        return value


async def _consent_prompt(turn: Turn) -> str:
    return consent_notice(turn.services.settings.personal_data_retention_days)


async def _preview(turn: Turn) -> str:
    """The question as the council will get it; sending it twice registers it once (`key`)."""
    council = await turn.council()
    topic = await turn.services.councils.topic(turn.answers["topic_id"])
    if topic is None:
        raise Again(_("This button is no longer valid."))
    language = turn.language
    anonymous = turn.answers["anonymous"] == "anonymous"
    author = _("anonymous") if anonymous else html.quote(turn.user.full_name)
    publish = (
        _("yes, without your name")
        if turn.answers.get("publish") == "yes"
        else _("no, it stays between you and the council")
    )
    lines = [
        _("Please check your question:"),
        "",
        _("Council: {council}").format(council=html.quote(council.name(language))),
        _("Topic: {topic}").format(topic=html.quote(topic.name(language))),
        _("From: {author}").format(author=author),
        _("Publish with the answer: {choice}").format(choice=publish),
    ]
    if count := len(turn.answers.get("attachments") or []):
        lines.append(
            ngettext("Attachment: {count} file", "Attachments: {count} files", count).format(
                count=count
            )
        )
    lines += ["", html.quote(turn.answers["text"]), "", _not_an_appeal()]
    turn.answers["key"] = secrets.token_hex(8)
    return "\n".join(lines)


async def _send(turn: Turn) -> None:
    if turn.answers["confirm"] != "send":
        await turn.message.answer(_("Cancelled. Nothing was sent."), reply_markup=main_menu())
        return
    answers = turn.answers
    draft = Draft(
        council_id=answers["council_id"],
        topic_id=answers["topic_id"],
        text=answers["text"],
        anonymous=answers["anonymous"] == "anonymous",
        attachments=tuple(tuple(item) for item in answers.get("attachments") or []),
        key=answers.get("key"),
        publish_consent=answers.get("publish") == "yes",
    )
    notifier: Notifier = turn.env["notifier"]
    await _register(turn.message, turn.services, turn.user, await turn.council(), draft, notifier)


ASK = Wizard(
    "ask",
    [
        CouncilStep(
            "council_id",
            prompt=__("Which council is your question for?"),
            councils=_all_councils,
            none_text=__("Questions cannot be sent yet: no council is set up."),
        ),
        TopicStep("topic_id", prompt=_topic_prompt, columns=2),
        QuestionTextStep("text", prompt=_text_prompt),
        SimilarStep("similar", options=options((GO_ON, "go"), (ANSWERED_ALREADY, "answered"))),
        Choice(
            "anonymous",
            prompt=__(
                "Should the council see your name? If you stay anonymous, the secretaries see "
                "neither your name nor your Telegram account."
            ),
            options=options((__("Show my name"), "named"), (__("Stay anonymous"), "anonymous")),
        ),
        Choice(
            "publish",
            prompt=__(
                "May the council publish your question and its answer in /faq, so that others "
                "with the same question find the answer? Your name, username and account are "
                "never published, and a secretary may shorten the wording to leave out personal "
                "details. If you do not choose, it is not published (/skip)."
            ),
            options=options(
                (__("No, do not publish"), "no"), (__("Yes, publish without my name"), "yes")
            ),
            skip=True,
            skipped_value="no",
        ),
        ConsentStep(
            "consent",
            prompt=_consent_prompt,
            applies_if=_no_consent_yet,
            options=options((__("I agree"), "agree"), (__("I do not agree"), "disagree")),
            columns=2,
        ),
        Choice(
            "confirm",
            prompt=_preview,
            options=options((__("Send"), "send"), (__("Cancel"), "cancel")),
            columns=2,
        ),
    ],
    finish=_send,
)


async def _register(
    message: Message,
    services: Services,
    user: User,
    council: Council,
    draft: Draft,
    notifier: Notifier,
) -> None:
    try:
        question = await services.questions.create(user, council, draft)
    except QuestionError as error:
        await message.answer(refusal(error), reply_markup=main_menu())
        return
    # The question is safe in the database before anyone is told about it.
    metrics.QUESTIONS.inc()
    topic = await services.councils.topic(question.topic_id)
    assert topic is not None
    # Neither waits on the other: a receipt that fails (5xx, timeout, 429, blocked) never keeps
    # the question from the council, nor a failed card the receipt from the citizen.
    await notifier.receipt(message, question, council, topic, _language(user))
    await notifier.post_card(services.session, question)


# -- follow-up ----------------------------------------------------------------------------


async def follow_up_pressed(
    query: CallbackQuery,
    callback_data: FollowUpAction,
    state: FSMContext,
    services: Services,
    user: User,
) -> None:
    question = await services.questions.check_followup(callback_data.question_id, user.id)
    await query.answer()
    await state.set_state(FollowUp.text)
    await state.update_data(parent_id=question.id)
    if isinstance(query.message, Message):
        await query.message.answer(
            ngettext(
                "Write your follow-up to {ticket} ({minimum}–{maximum} character).",
                "Write your follow-up to {ticket} ({minimum}–{maximum} characters).",
                MAX_TEXT,
            ).format(ticket=question.ticket, minimum=MIN_TEXT, maximum=MAX_TEXT)
        )


async def follow_up_text(
    message: Message,
    state: FSMContext,
    services: Services,
    user: User,
    notifier: Notifier,
) -> None:
    if message.text is None:
        await message.answer(_("Please send your follow-up as text."))
        return
    try:
        text = check_text(message.text)
        parent = await services.questions.check_followup(
            (await state.get_data())["parent_id"], user.id
        )
    except QuestionError as error:
        await message.answer(refusal(error))
        if error.code not in {QuestionRefusal.TOO_SHORT, QuestionRefusal.TOO_LONG}:
            await state.clear()
        return
    await state.clear()
    council = await services.councils.find(parent.council_id)
    assert council is not None
    draft = Draft(
        council_id=council.id,
        topic_id=parent.topic_id,
        text=text,
        anonymous=parent.anonymous,
        parent_id=parent.id,
    )
    await _register(message, services, user, council, draft, notifier)


# -- rating -------------------------------------------------------------------------------


async def rated(
    query: CallbackQuery,
    callback_data: RateAction,
    services: Services,
    user: User,
) -> None:
    question = await services.questions.rate(
        callback_data.question_id, user.id, callback_data.helpful
    )
    await query.answer(_("Thank you for your rating!"))
    if isinstance(query.message, Message):
        service = services.questions
        can_follow_up = await service.can_follow_up(question)
        await query.message.edit_reply_markup(
            reply_markup=answer_keyboard(
                question, can_follow_up, await service.can_object(question)
            )
        )


# -- /my ----------------------------------------------------------------------------------


async def my_questions(
    message: Message,
    state: FSMContext,
    services: Services,
    user: User,
) -> None:
    await state.clear()
    text, markup = await _my_page(services, user, 0)
    await message.answer(text, reply_markup=markup)


async def my_page(
    query: CallbackQuery,
    callback_data: MyPage,
    services: Services,
    user: User,
) -> None:
    await query.answer()
    text, markup = await _my_page(services, user, max(callback_data.page, 0))
    if isinstance(query.message, Message):
        await query.message.edit_text(text, reply_markup=markup)


async def _my_page(
    services: Services, user: User, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    shown = await services.questions.of_citizen(user.id, page, PER_PAGE)
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
    services: Services,
    user: User,
) -> None:
    service = services.questions
    question = await service.own(callback_data.question_id, user.id)
    await query.answer()
    council = await services.councils.find(question.council_id)
    topic = await services.councils.topic(question.topic_id)
    assert council is not None and topic is not None
    language = _language(user)
    tz = ZoneInfo(council.timezone)
    parts: list[str | Plain] = [
        _("Question {ticket}").format(ticket=question.ticket),
        _("Council: {council}").format(council=html.quote(council.name(language))),
        _("Topic: {topic}").format(topic=html.quote(topic.name(language))),
        _("Status: {status}").format(status=status_name(question.status)),
    ]
    if question.is_open:
        parts.append(
            _("Expected answer by: {day}").format(day=format_day(question.due_date, language))
        )
    if question.status == QuestionStatus.FORWARDED:
        went = await service.successor(question)
        context = CardContext(
            council=council,
            topic=topic,
            successor=went.successor,
            successor_council=went.council,
        )
        where = forwarded_where(question, context, language)
        parts.append(_("Forwarded to: {where}").format(where=where))
    parts += [
        "",
        Plain(question.text),
        "",
        _("History:"),
        *history_lines(await service.history(question), language, tz),
    ]
    if question.objection:
        parts += ["", _("Your objection:"), Plain(question.objection)]
    if question.status == QuestionStatus.ANSWERED:
        parts += ["", _("Answer:"), Plain(question.resolution or "")]
    elif question.status == QuestionStatus.REJECTED:
        parts += ["", _("Reason:"), Plain(question.resolution or "")]
    markup = await own_question_keyboard(service, question)
    if isinstance(query.message, Message):
        # A long question with a long answer does not fit one message: it comes in several,
        # the buttons under the last.
        messages = pack(parts)
        for number, text in enumerate(messages, 1):
            await query.message.answer(
                text, reply_markup=markup if number == len(messages) else None
            )
        files = await service.files(question, "answer")
        if files and query.bot is not None:
            caption = _("Files with the answer to {ticket}").format(ticket=question.ticket)
            await send_files(query.bot, query.message.chat.id, files, caption)


# -- /privacy -----------------------------------------------------------------------------


async def privacy(message: Message, user: User, services: Services) -> None:
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
        consent_notice(services.settings.personal_data_retention_days) + "\n\n" + status,
        reply_markup=builder.as_markup() if builder.buttons else None,
    )


async def withdraw(
    query: CallbackQuery, services: Services, user: User, notifier: Notifier
) -> None:
    forgotten = await services.privacy.forget(user)
    if forgotten is None:
        await _stale(query)
        return
    if forgotten.withdrawn:
        done = _(
            "Your consent is withdrawn. We erased your name and username, and your questions "
            "are now anonymous. Answers to open questions will still reach you here."
        )
    else:
        done = _("We erased your name and username.")
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
        await query.message.answer(done)
    # The cards already posted to the secretaries lose the name too.
    for question in forgotten.named:
        await notifier.refresh_cards(services.session, question)


def consent_notice(retention_days: int) -> str:
    return "\n".join(
        [
            _("<b>Your personal data</b>"),
            _(
                "• What we keep: your Telegram id, name and username, the language you chose, "
                "your questions and their answers, and the time of this consent."
            ),
            _retention(retention_days),
            _(
                "• Who sees it: the secretaries of the council you write to. If you stay "
                "anonymous, they see neither your name nor your account."
            ),
            _(
                "• How to see or delete it: /my_data sends you a copy of it; /delete_me erases "
                "it; /privacy withdraws your consent."
            ),
            "",
            _not_an_appeal(),
        ]
    )


def _retention(days: int) -> str:
    if days <= 0:
        return _(
            "• For how long: until you withdraw your consent or send /delete_me; then your "
            "name and username are erased and your questions stay only in anonymous form."
        )
    return ngettext(
        "• For how long: your name and username until you withdraw your consent or send "
        "/delete_me; a closed question keeps your name at most {days} day, then it stays only "
        "in anonymous form.",
        "• For how long: your name and username until you withdraw your consent or send "
        "/delete_me; a closed question keeps your name at most {days} days, then it stays only "
        "in anonymous form.",
        days,
    ).format(days=days)


def _not_an_appeal() -> str:
    return _(
        "A question here is not a formal appeal under the Administrative Procedural Code of "
        "the Republic of Kazakhstan. For a formal appeal use the e-Otinish service: {url}"
    ).format(url=E_OTINISH)


# -- helpers ------------------------------------------------------------------------------


def _attachment(message: Message) -> list[Any] | None:
    """A file of the message as [kind, file_id, seconds or None] (plain JSON for the wizard's
    state), checked against the limits."""
    found: tuple[str, str, int | None, int | None]
    if message.photo:
        found = ("photo", message.photo[-1].file_id, message.photo[-1].file_size, None)
    elif message.document:
        found = ("document", message.document.file_id, message.document.file_size, None)
    elif message.voice:
        voice = message.voice
        found = ("voice", voice.file_id, voice.file_size, voice.duration)
    elif message.video_note:
        note = message.video_note
        found = ("video_note", note.file_id, note.file_size, note.duration)
    else:
        return None
    kind, file_id, size, duration = found
    check_attachment(kind, size, duration)
    return [kind, file_id, duration]


def _language(user: User) -> str:
    return user.language or get_i18n().current_locale


async def _stale(query: CallbackQuery) -> None:
    await query.answer(_("This button is no longer valid."), show_alert=True)


def create_router() -> Router:
    router = Router(name=__name__)
    message, callback = router.message.register, router.callback_query.register

    message(start_asking, Command("ask"), StateFilter("*"))
    message(start_asking, F.text == __("❓ Ask a question"), StateFilter("*"))
    message(my_questions, Command("my"), StateFilter("*"))
    message(my_questions, F.text == __("📋 My questions"), StateFilter("*"))
    message(privacy, Command("privacy"))

    router.include_router(ASK.router())

    callback(follow_up_pressed, FollowUpAction.filter(), StateFilter("*"))
    message(follow_up_text, FollowUp.text, ~F.text.startswith("/"))
    callback(rated, RateAction.filter(), StateFilter("*"))
    callback(my_page, MyPage.filter(), StateFilter("*"))
    callback(my_question, MyQuestion.filter(), StateFilter("*"))
    callback(withdraw, Withdraw.filter(), StateFilter("*"))
    router.include_router(casework.create_router())
    return router
