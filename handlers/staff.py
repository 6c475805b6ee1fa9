"""Council secretaries (and superadmins) at work: the inbox, one question, take, answer, reject,
ban, export and statistics — by command, from a question card's buttons, or by replying to it."""

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, Filter, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
    TelegramObject,
)
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram.utils.text_decorations import html_decoration as html
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_ids import CallbackId, CallbackPage
from bot.clock import Clock
from bot.config import Settings
from bot.i18n import format_day
from bot.notify import (
    CardAction,
    Notifier,
    card_keyboard,
    card_text,
    history_lines,
    status_name,
)
from bot.services.councils import Staff, scope_of, staff_of
from bot.services.export import export_rows, to_csv, to_xlsx
from bot.services.questions import QuestionError, QuestionService
from bot.services.tickets import parse_ticket
from db.models import Question, QuestionStatus, User
from db.repositories.councils import CouncilRepository
from db.repositories.questions import QuestionRepository
from db.repositories.users import UserRepository

PER_PAGE = 5
STAFF_COMMANDS = ("inbox", "q", "take", "answer", "reject", "ban", "unban", "export", "stats")


class StaffAnswer(StatesGroup):
    text = State()


class StaffReject(StatesGroup):
    reason = State()


class InboxPage(CallbackData, prefix="inb"):
    page: CallbackPage


class StaffView(CallbackData, prefix="sq"):
    question_id: CallbackId


class IsStaff(Filter):
    """Passes secretaries and superadmins, handing the handler their `staff` scope."""

    async def __call__(
        self, event: TelegramObject, session: AsyncSession, settings: Settings, **data: Any
    ) -> bool | dict[str, Any]:
        from_user = data.get("event_from_user")
        if from_user is None:
            return False
        staff = await staff_of(session, settings, from_user.id)
        return {"staff": staff} if staff.is_staff else False


class IsCardReply(Filter):
    """A reply to one of the bot's question cards: hands the handler that `question`."""

    async def __call__(self, message: Message, session: AsyncSession) -> bool | dict[str, Any]:
        replied = message.reply_to_message
        if replied is None or message.text is None or message.text.startswith("/"):
            return False
        question = await QuestionRepository(session).by_card(message.chat.id, replied.message_id)
        return {"question": question} if question is not None else False


def staff_refusal(error: QuestionError) -> str:
    messages = {
        "not_found": _("No such ticket among your council's questions."),
        "ambiguous": _(
            "Several years have this number ({years}): write the ticket with the year."
        ),
        "already_in_progress": _("This question is already in work."),
        "already_answered": _("This question has already been answered."),
        "already_rejected": _("This question has already been rejected."),
        "empty_answer": _("The text is empty or too short."),
        "too_long": _("The text is too long: {length} characters, at most {maximum}."),
    }
    text = messages.get(error.code, _("This cannot be done."))
    details = dict(error.details)
    if "years" in details:
        details["years"] = ", ".join(str(year) for year in details["years"])  # type: ignore[union-attr]
    return text.format(**details) if details else text


def _language(user: User | None) -> str:
    return (user.language if user else None) or get_i18n().current_locale


# -- looking things up --------------------------------------------------------------------


async def _question_from_args(
    message: Message,
    command: CommandObject,
    service: QuestionService,
    staff: Staff,
    usage: str,
    needs_text: bool = False,
) -> tuple[Question, str] | None:
    ticket, _sep, rest = (command.args or "").strip().partition(" ")
    ref = parse_ticket(ticket)
    if ref is None or (needs_text and not rest.strip()):
        await message.answer(html.quote(usage))
        return None
    try:
        return await service.find(ref, staff), rest.strip()
    except QuestionError as error:
        await message.answer(staff_refusal(error))
        return None


async def staff_view(
    session: AsyncSession, service: QuestionService, question: Question, language: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A question as the staff see it: the card, then its history with who did what."""
    councils = CouncilRepository(session)
    council = await councils.get(question.council_id)
    topic = await councils.topic(question.topic_id)
    assert council is not None and topic is not None
    users = UserRepository(session)
    citizen = None if question.anonymous else await users.get(question.citizen_id)
    parent = (
        await QuestionRepository(session).get(question.parent_id) if question.parent_id else None
    )
    entries = await service.history(question)
    actors = {entry.actor_id for entry in entries if entry.actor_id is not None}
    names = {}
    for actor_id in actors - {question.citizen_id}:
        actor = await users.get(actor_id)
        names[actor_id] = actor.full_name if actor else str(actor_id)
    lines = [card_text(question, council, topic, citizen, language, parent), "", _("History:")]
    lines += history_lines(
        entries, language, ZoneInfo(council.timezone), names=names, citizen_id=question.citizen_id
    )
    if question.status in (QuestionStatus.ANSWERED, QuestionStatus.REJECTED):
        label = _("Answer:") if question.status == QuestionStatus.ANSWERED else _("Reason:")
        lines += ["", label, html.quote(question.resolution or "")]
    return "\n".join(lines), card_keyboard(question)


# -- commands -----------------------------------------------------------------------------


async def inbox(
    message: Message,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    staff: Staff,
    user: User | None = None,
) -> None:
    text, markup = await _inbox_page(session, settings, clock, staff, user, 0)
    await message.answer(text, reply_markup=markup)


async def inbox_page(
    query: CallbackQuery,
    callback_data: InboxPage,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    staff: Staff,
    user: User | None = None,
) -> None:
    await query.answer()
    text, markup = await _inbox_page(
        session, settings, clock, staff, user, max(0, callback_data.page)
    )
    if isinstance(query.message, Message):
        await query.message.edit_text(text, reply_markup=markup)


async def _inbox_page(
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    staff: Staff,
    user: User | None,
    page: int,
) -> tuple[str, InlineKeyboardMarkup | None]:
    service = QuestionService(session, settings, clock)
    council_ids = await scope_of(session, staff)
    items, total = await service.inbox(council_ids, page, PER_PAGE)
    if total == 0:
        return _("No open questions. 🎉"), None
    pages = (total + PER_PAGE - 1) // PER_PAGE
    if page >= pages:
        page = pages - 1
        items, total = await service.inbox(council_ids, page, PER_PAGE)
    language = _language(user)
    today = clock.now().astimezone(settings.tz).date()
    builder = InlineKeyboardBuilder()
    for question in items:
        mark = "⚠️ " if question.due_date < today else ""
        builder.button(
            text=f"{mark}{question.ticket} · {format_day(question.due_date, language)}",
            callback_data=StaffView(question_id=question.id),
        )
    navigation = []
    if page > 0:
        navigation.append(("◀️", InboxPage(page=page - 1)))
    if page + 1 < pages:
        navigation.append(("▶️", InboxPage(page=page + 1)))
    for label, data in navigation:
        builder.button(text=label, callback_data=data)
    builder.adjust(*([1] * len(items)), max(len(navigation), 1))
    text = _("Open questions: {total}, soonest deadline first (page {page} of {pages}).").format(
        total=total, page=page + 1, pages=pages
    )
    return text, builder.as_markup()


async def view_pressed(
    query: CallbackQuery,
    callback_data: StaffView,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    staff: Staff,
    user: User | None = None,
) -> None:
    service = QuestionService(session, settings, clock)
    try:
        question = await service.get_for(callback_data.question_id, staff)
    except QuestionError as error:
        await query.answer(staff_refusal(error), show_alert=True)
        return
    await query.answer()
    text, markup = await staff_view(session, service, question, _language(user))
    if isinstance(query.message, Message):
        await query.message.answer(text, reply_markup=markup)


async def show_question(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    staff: Staff,
    user: User | None = None,
) -> None:
    service = QuestionService(session, settings, clock)
    found = await _question_from_args(message, command, service, staff, _("Usage: /q <ticket>"))
    if found is None:
        return
    text, markup = await staff_view(session, service, found[0], _language(user))
    await message.answer(text, reply_markup=markup)


def _status_usage(action: str) -> str:
    return {
        "take": _("Usage: /take <ticket>"),
        "answer": _("Usage: /answer <ticket> <answer text>"),
        "reject": _("Usage: /reject <ticket> <reason>"),
    }[action]


async def status_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    staff: Staff,
    notifier: Notifier,
) -> None:
    """/take <ticket>, /answer <ticket> <text>, /reject <ticket> <reason>."""
    action = command.command
    service = QuestionService(session, settings, clock)
    usage = _status_usage(action)
    needs_text = action != "take"
    found = await _question_from_args(message, command, service, staff, usage, needs_text)
    if found is not None:
        question, text = found
        await _act(message.answer, session, service, notifier, question, staff, action, text)


async def answer_by_reply(
    message: Message,
    question: Question,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    staff: Staff,
    notifier: Notifier,
) -> None:
    service = QuestionService(session, settings, clock)
    if not staff.can_act(question.council_id):
        await message.answer(staff_refusal(QuestionError("not_found")))
        return
    await _act(message.reply, session, service, notifier, question, staff, "answer", message.text)


async def _act(
    reply: Any,
    session: AsyncSession,
    service: QuestionService,
    notifier: Notifier,
    question: Question,
    staff: Staff,
    action: str,
    text: str | None = None,
) -> bool:
    """Take, answer or reject; on success tell the citizen and refresh every card."""
    try:
        if action == "take":
            await service.take(question, staff)
        elif action == "answer":
            await service.answer(question, staff, text or "")
        else:
            await service.reject(question, staff, text or "")
    except QuestionError as error:
        await reply(staff_refusal(error))
        return False
    await session.commit()
    done = {
        "take": _("{ticket} is taken into work; the citizen has been told."),
        "answer": _("The answer to {ticket} has been sent to the citizen."),
        "reject": _("{ticket} is rejected; the citizen has been told the reason."),
    }[action]
    await reply(done.format(ticket=question.ticket))
    await notifier.tell_citizen(session, question)
    await notifier.refresh_cards(session, question)
    return True


async def ban_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    staff: Staff,
) -> None:
    """/ban <ticket> and /unban <ticket>: the citizen behind it, never named."""
    service = QuestionService(session, settings, clock)
    banning = command.command == "ban"
    usage = _("Usage: /ban <ticket>") if banning else _("Usage: /unban <ticket>")
    found = await _question_from_args(message, command, service, staff, usage)
    if found is None:
        return
    question = found[0]
    if banning:
        changed = await service.ban(question, staff)
        text = (
            _("The author of {ticket} can no longer send questions to this council.")
            if changed
            else _("The author of {ticket} is already banned.")
        )
    else:
        changed = await service.unban(question, staff)
        text = (
            _("The author of {ticket} may send questions again.")
            if changed
            else _("The author of {ticket} is not banned.")
        )
    await message.answer(text.format(ticket=question.ticket))


async def export_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    settings: Settings,
    staff: Staff,
    user: User | None = None,
) -> None:
    period = _parse_period(command.args, settings.tz)
    if period is None:
        await message.answer(html.quote(_("Usage: /export [YYYY-MM-DD YYYY-MM-DD]")))
        return
    council_ids = await scope_of(session, staff)
    questions = QuestionRepository(session)
    rows = await questions.between(council_ids, *period)
    councils = {council.id: council for council in await CouncilRepository(session).all()}
    users = UserRepository(session)
    citizens = {}
    for question, _topic in rows:
        if not question.anonymous and question.citizen_id not in citizens:
            citizen = await users.get(question.citizen_id)
            if citizen is not None:
                citizens[citizen.id] = citizen
    tickets = {question.id: question.ticket for question, _topic in rows}
    table = export_rows(rows, councils, citizens, tickets, _language(user))
    stamp = (period[0] or datetime(2000, 1, 1, tzinfo=settings.tz)).strftime("%Y%m%d")
    caption = _("Questions exported: {count}").format(count=len(table))
    await message.answer_document(
        BufferedInputFile(to_xlsx(table), filename=f"questions-{stamp}.xlsx"), caption=caption
    )
    await message.answer_document(
        BufferedInputFile(to_csv(table), filename=f"questions-{stamp}.csv")
    )


def _parse_period(
    args: str | None, tz: ZoneInfo
) -> tuple[datetime | None, datetime | None] | None:
    parts = (args or "").split()
    if not parts:
        return None, None
    if len(parts) != 2:
        return None
    try:
        start, end = (date.fromisoformat(part) for part in parts)
    except ValueError:
        return None
    if end < start:
        return None
    return (
        datetime.combine(start, time(0), tzinfo=tz),
        datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz),
    )


async def stats_command(
    message: Message,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    staff: Staff,
    user: User | None = None,
) -> None:
    service = QuestionService(session, settings, clock)
    council_ids = await scope_of(session, staff)
    today = clock.now().astimezone(settings.tz).date()
    stats = await service.stats(council_ids, today)
    language = _language(user)
    total = sum(stats.by_status.values())
    lines = [_("<b>Questions: {total}</b>").format(total=total)]
    for status in QuestionStatus:
        lines.append(f"{status_name(status)}: {stats.by_status[status.value]}")
    lines.append(_("Overdue: {count}").format(count=stats.overdue))
    if stats.median_days is not None:
        lines.append(_("Median days to answer: {days}").format(days=f"{stats.median_days:g}"))
    if stats.rated:
        share = round(100 * stats.helpful / stats.rated)
        lines.append(
            _("Helpful answers: {share}% 👍 of {rated} rated").format(
                share=share, rated=stats.rated
            )
        )
    if stats.by_topic:
        lines += ["", _("By topic:")]
        lines += [
            f"• {html.quote(topic.name(language))}: {count}" for topic, count in stats.by_topic
        ]
    await message.answer("\n".join(lines))


# -- the card's buttons -------------------------------------------------------------------


async def card_pressed(
    query: CallbackQuery,
    callback_data: CardAction,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    staff: Staff,
    notifier: Notifier,
) -> None:
    service = QuestionService(session, settings, clock)
    try:
        question = await service.get_for(callback_data.question_id, staff)
    except QuestionError as error:
        await query.answer(staff_refusal(error), show_alert=True)
        return
    if callback_data.action == "take":
        await query.answer()
        await _act(_reply_in_chat(query), session, service, notifier, question, staff, "take")
        return
    if not question.is_open:
        await query.answer(
            staff_refusal(QuestionError(f"already_{question.status.value}")), show_alert=True
        )
        return
    await query.answer()
    await state.update_data(question_id=question.id)
    if callback_data.action == "answer":
        await state.set_state(StaffAnswer.text)
        prompt = _("Send the answer to {ticket} (or /cancel).")
    else:
        await state.set_state(StaffReject.reason)
        prompt = _("Send the reason for rejecting {ticket} (or /cancel).")
    if isinstance(query.message, Message):
        await query.message.answer(prompt.format(ticket=question.ticket))


def _reply_in_chat(query: CallbackQuery) -> Any:
    """Where a button was pressed, answer with a message in that chat."""

    async def reply(text: str) -> None:
        if isinstance(query.message, Message):
            await query.message.answer(text)

    return reply


async def answer_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    staff: Staff,
    notifier: Notifier,
) -> None:
    await _typed(message, state, session, settings, clock, staff, notifier, "answer")


async def reason_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    staff: Staff,
    notifier: Notifier,
) -> None:
    await _typed(message, state, session, settings, clock, staff, notifier, "reject")


async def _typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    staff: Staff,
    notifier: Notifier,
    action: str,
) -> None:
    if message.text is None:
        await message.answer(_("Please send text, or /cancel."))
        return
    service = QuestionService(session, settings, clock)
    try:
        question = await service.get_for((await state.get_data())["question_id"], staff)
    except (QuestionError, KeyError):
        await state.clear()
        await message.answer(staff_refusal(QuestionError("not_found")))
        return
    done = await _act(
        message.answer, session, service, notifier, question, staff, action, message.text
    )
    if done or question.status not in (QuestionStatus.NEW, QuestionStatus.IN_PROGRESS):
        await state.clear()


async def card_for_outsiders(query: CallbackQuery) -> None:
    await query.answer(_("Only the council's secretaries can do this."), show_alert=True)


async def staff_only(message: Message) -> None:
    await message.answer(_("This command is only for council secretaries."))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type.in_({"private", "group", "supergroup"}))

    staff = Router(name=f"{__name__}.staff")
    staff.message.filter(IsStaff())
    staff.callback_query.filter(IsStaff())
    message, callback = staff.message.register, staff.callback_query.register
    message(inbox, Command("inbox"), StateFilter("*"))
    message(show_question, Command("q"), StateFilter("*"))
    message(status_command, Command("take", "answer", "reject"), StateFilter("*"))
    message(ban_command, Command("ban", "unban"), StateFilter("*"))
    message(export_command, Command("export"), StateFilter("*"))
    message(stats_command, Command("stats"), StateFilter("*"))
    message(answer_typed, StaffAnswer.text, ~F.text.startswith("/"))
    message(reason_typed, StaffReject.reason, ~F.text.startswith("/"))
    message(answer_by_reply, IsCardReply(), StateFilter("*"))
    callback(card_pressed, CardAction.filter(), StateFilter("*"))
    callback(inbox_page, InboxPage.filter(), StateFilter("*"))
    callback(view_pressed, StaffView.filter(), StateFilter("*"))
    # Whoever is not staff: a clear refusal in private, silence in groups. (A router's own
    # handlers run before its sub-routers', so the refusal is a sub-router after `staff`.)
    others = Router(name=f"{__name__}.others")
    others.callback_query.register(card_for_outsiders, CardAction.filter())
    others.message.register(
        staff_only, Command(*STAFF_COMMANDS), F.chat.type == "private", StateFilter("*")
    )
    router.include_routers(staff, others)
    return router
