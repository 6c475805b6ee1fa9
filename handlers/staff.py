"""Council secretaries (and superadmins) at work: the inbox, one question, take, answer, reject,
ban, export and statistics — by command, from a question card's buttons, or by replying to it.

Where: in a private chat with the bot, or in the staff group bound to a council (there on that
council only); anywhere else these commands say nothing. Every action is bound to the ticket it
came from: a reply to a card acts on that card, a reply to the prompt after Answer / Reject acts
on the prompt's ticket, and in a group a message that replies to neither is never an answer."""

import asyncio
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, Filter, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    ForceReply,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram.utils.text_decorations import html_decoration as html

from bot.callback_ids import CallbackId, CallbackPage
from bot.i18n import N_, format_day, median_days_text
from bot.numbers import parse_number
from bot.services import xlsx
from bot.services.container import Services
from bot.services.councils import CouncilDays, Staff
from bot.services.errors import CaseRefusal
from bot.services.export import export_rows
from bot.services.questions import InboxFilter, QuestionError, QuestionService
from bot.services.tickets import parse_ticket
from bot.views import Plain, pack
from bot.views.charts import stats_chart
from bot.views.exports import council_slug, period_slug, question_columns, status_label
from bot.views.notify import (
    AssignTo,
    CardAction,
    CardCommand,
    Notifier,
    Outcome,
    assign_keyboard,
    card_context,
    card_keyboard,
    card_text,
    forwarded_where,
    history_lines,
    send_files,
    status_name,
)
from bot.views.paging import page_buttons
from bot.views.refusals import refusal
from bot.views.search import search_view
from db.models import Question, QuestionStatus, User
from handlers.filters import PRIVATE, IsStaff, Sent, SentContent
from handlers.replies import send_lines, send_messages

PER_PAGE = 5
STAFF_COMMANDS = (
    "inbox",
    "q",
    "take",
    "answer",
    "reject",
    "extend",
    "forward",
    "assign",
    "note",
    "find",
    "ban",
    "unban",
    "export",
    "stats",
    "audit",
    "publish",
    "unpublish",
)
# Prompts after Answer / Reject remembered per person and chat; older ones are forgotten.
MAX_PROMPTS = 10


class StaffPrompt(StatesGroup):
    # At least one prompt waits for its reply; in a private chat a plain message answers the
    # latest one.
    pending = State()


@dataclass(frozen=True)
class Prompt:
    """The message that asked for an answer or a reason, and the ticket it is about."""

    message_id: int
    action: CardCommand  # ANSWER or REJECT
    question_id: int


class InboxPage(CallbackData, prefix="inb"):
    page: CallbackPage


class FilteredInboxPage(CallbackData, prefix="inbf"):
    page: CallbackPage
    # Which questions: "mine", "free" (unassigned), "late" (overdue), "t<id>,<id>" (topics).
    only: str


class StaffView(CallbackData, prefix="sq"):
    question_id: CallbackId


def _replied(message: Message) -> Message | None:
    """The message this one replies to, unless this one is a command (or a file captioned
    with one)."""
    if (message.text or message.caption or "").startswith("/"):
        return None
    return message.reply_to_message


class IsCardReply(Filter):
    """A reply to one of the bot's question cards: hands the handler that `question`."""

    async def __call__(self, message: Message, services: Services) -> bool | dict[str, Any]:
        replied = _replied(message)
        if replied is None:
            return False
        question = await services.questions.by_card(message.chat.id, replied.message_id)
        return {"question": question} if question is not None else False


class IsPromptReply(Filter):
    """A reply to one of this person's Answer / Reject prompts: hands the handler that
    `prompt`."""

    async def __call__(self, message: Message, state: FSMContext) -> bool | dict[str, Any]:
        replied = _replied(message)
        if replied is None:
            return False
        prompt = await _prompt(state, replied.message_id)
        return {"prompt": prompt} if prompt is not None else False


class IsReplyToBot(Filter):
    """A reply to any message of the bot (a command is not a reply)."""

    async def __call__(self, message: Message, bot: Bot) -> bool:
        replied = _replied(message)
        if replied is None or replied.from_user is None:
            return False
        return replied.from_user.id == (await bot.me()).id


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
        await message.answer(refusal(error))
        return None


async def staff_view(
    services: Services, question: Question, language: str
) -> tuple[list[str], InlineKeyboardMarkup | None]:
    """A question as the staff see it: the card, then its history with who did what."""
    case = await services.questions.case(question)
    # The card's lines are each whole HTML (its user text is escaped), so they pack safely.
    card = card_text(question, await card_context(services.session, question), language)
    parts: list[str | Plain] = [*card.split("\n")]
    # The history travels with a forwarded question: first where it was before.
    origin = case.origin
    while origin is not None:
        parts += [
            "",
            _("History at {council} ({ticket}):").format(
                council=html.quote(origin.council.name(language)), ticket=origin.question.ticket
            ),
        ]
        parts += history_lines(
            origin.history,
            language,
            ZoneInfo(origin.council.timezone),
            names=origin.names,
            citizen_id=question.citizen_id,
        )
        origin = origin.origin
    parts += ["", _("History:")]
    parts += history_lines(
        case.history,
        language,
        ZoneInfo(case.council.timezone),
        names=case.names,
        citizen_id=question.citizen_id,
    )
    if question.status in (QuestionStatus.ANSWERED, QuestionStatus.REJECTED):
        label = _("Answer:") if question.status == QuestionStatus.ANSWERED else _("Reason:")
        parts += ["", label, Plain(question.resolution or "")]
        if count := len(await services.questions.files(question, "answer")):
            parts.append(
                ngettext(
                    "📎 {count} file with the answer: below",
                    "📎 {count} files with the answer: below",
                    count,
                ).format(count=count)
            )
    elif question.objected_at is not None and question.resolution:
        # Reopened by the citizen's objection: what they objected to.
        parts += ["", _("Earlier answer or reason:"), Plain(question.resolution)]
    return pack(parts), card_keyboard(question)


# -- commands -----------------------------------------------------------------------------


INBOX_USAGE = N_(
    "Usage: /inbox [mine | unassigned | overdue | <topic>]\n"
    "mine: questions you hold; unassigned: nobody holds them; overdue: past their date; "
    "<topic>: part of a topic's name."
)


async def inbox(
    message: Message,
    command: CommandObject,
    services: Services,
    staff: Staff,
    user: User | None = None,
) -> None:
    """/inbox [mine | unassigned | overdue | <topic>]: open questions, soonest deadline first."""
    only = await _inbox_only(services, staff, command.args)
    if only is None:
        await message.answer(html.quote(_(INBOX_USAGE)))
        return
    text, markup = await _inbox_page(services, staff, user, 0, only)
    await message.answer(text, reply_markup=markup)


async def inbox_page(
    query: CallbackQuery,
    callback_data: InboxPage | FilteredInboxPage,
    services: Services,
    staff: Staff,
    user: User | None = None,
) -> None:
    await query.answer()
    only = callback_data.only if isinstance(callback_data, FilteredInboxPage) else ""
    text, markup = await _inbox_page(services, staff, user, callback_data.page, only)
    if isinstance(query.message, Message):
        await query.message.edit_text(text, reply_markup=markup)


async def _inbox_only(services: Services, staff: Staff, args: str | None) -> str | None:
    """The filter a /inbox argument asks for, as kept in the page buttons; None if unknown."""
    words = " ".join((args or "").split())
    keyword = words.casefold()
    if not words:
        return ""
    if keyword in {"mine", "unassigned", "overdue"}:
        return {"mine": "mine", "unassigned": "free", "overdue": "late"}[keyword]
    scope = await services.questions.scope(staff)
    # Page buttons carry one topic of each name (the same name in every council is meant),
    # within the 64 bytes of callback data.
    topics = await services.questions.topics_named(scope, words, one_per_name=True)
    if not topics or len(topics) > 5:
        return None
    return "t" + ",".join(str(topic_id) for topic_id in sorted(topics))


async def _inbox_filter(
    services: Services, council_ids: set[int], only: str, staff: Staff, days: CouncilDays
) -> InboxFilter:
    if only == "mine":
        return InboxFilter(holder=staff.user_id)
    if only == "free":
        return InboxFilter(unassigned=True)
    if only == "late":
        return InboxFilter(overdue_on=days.todays())
    if only.startswith("t"):
        ids = {parse_number(part, maximum=2**31 - 1) for part in only[1:].split(",")[:5]}
        named = await services.questions.topics_like(
            council_ids, {topic_id for topic_id in ids if topic_id is not None}
        )
        return InboxFilter(topic_ids=named)
    return InboxFilter()


def _page_button(only: str, number: int) -> InboxPage | FilteredInboxPage:
    return FilteredInboxPage(page=number, only=only) if only else InboxPage(page=number)


async def _inbox_page(
    services: Services, staff: Staff, user: User | None, page: int, only: str = ""
) -> tuple[str, InlineKeyboardMarkup | None]:
    service = services.questions
    council_ids = await service.scope(staff)
    days = await services.councils.days(council_ids)  # overdue by each council's own day
    only_these = await _inbox_filter(services, council_ids, only, staff, days)
    shown = await service.inbox(council_ids, page, PER_PAGE, only_these)
    if shown.empty:
        return _("No open questions. 🎉"), None
    language = _language(user)
    builder = InlineKeyboardBuilder()
    competence = False
    for question in shown.items:
        mark = "⚠️ " if days.overdue(question) else ""
        if service.in_competence_window(question, days):
            mark += "🧭 "
            competence = True
        extended = " ⏳" if question.extended_at is not None else ""
        held = " · 📌" if question.assigned_to == staff.user_id else ""
        held = held or (" · 👤" if question.assigned_to is not None else "")
        day = format_day(question.due_date, language)
        builder.button(
            text=f"{mark}{question.ticket} · {day}{extended}{held}",
            callback_data=StaffView(question_id=question.id),
        )
    builder.adjust(1)
    builder.row(*page_buttons(shown, partial(_page_button, only)))
    text = ngettext(
        "{total} open question, soonest deadline first (page {page} of {pages}).",
        "{total} open questions, soonest deadline first (page {page} of {pages}).",
        shown.total,
    ).format(total=shown.total, page=shown.number + 1, pages=shown.pages)
    legend = [_("📌 you hold it, 👤 another secretary holds it, ⚠️ overdue, ⏳ extended.")]
    if competence:
        window = services.settings.forward_working_days
        legend.append(
            ngettext(
                "🧭 received in the last {days} working day: decide whether it is this "
                "council's to answer, or /forward it.",
                "🧭 received in the last {days} working days: decide whether it is this "
                "council's to answer, or /forward it.",
                window,
            ).format(days=window)
        )
    return "\n".join([text, *legend]), builder.as_markup()


async def view_pressed(
    query: CallbackQuery,
    callback_data: StaffView,
    services: Services,
    staff: Staff,
    user: User | None = None,
) -> None:
    question = await services.questions.get_for(callback_data.question_id, staff)
    await query.answer()
    messages, markup = await staff_view(services, question, _language(user))
    if isinstance(query.message, Message):
        await send_messages(query.message.answer, messages, markup)
        await _send_case_files(services, query.message, question)


async def show_question(
    message: Message,
    command: CommandObject,
    services: Services,
    staff: Staff,
    user: User | None = None,
) -> None:
    usage = _("Usage: /q <ticket>")
    found = await _question_from_args(message, command, services.questions, staff, usage)
    if found is None:
        return
    messages, markup = await staff_view(services, found[0], _language(user))
    await send_messages(message.answer, messages, markup)
    await _send_case_files(services, message, found[0])


async def _send_case_files(services: Services, where: Message, question: Question) -> None:
    """Under /q: the files sent with the question, then those sent with its answer."""
    if where.bot is None:
        return
    for part, caption in (
        ("question", _("Attachment to {ticket}")),
        ("answer", _("Files with the answer to {ticket}")),
    ):
        files = await services.questions.files(question, part)
        if files:
            text = caption.format(ticket=question.ticket)
            await send_files(where.bot, where.chat.id, files, text)


def _status_usage(action: str) -> str:
    return {
        "take": _("Usage: /take <ticket>"),
        "answer": _("Usage: /answer <ticket> <answer text>"),
        "reject": _("Usage: /reject <ticket> <reason>"),
    }[action]


async def status_command(
    message: Message,
    command: CommandObject,
    sent: Sent,
    services: Services,
    staff: Staff,
    notifier: Notifier,
) -> None:
    """/take <ticket>, /answer <ticket> <text>, /reject <ticket> <reason>. `/answer` may be the
    caption of photos or documents (an album too), which then go with the answer."""
    action = command.command
    usage = _status_usage(action)
    needs_text = action != "take"
    if sent.files and action != "answer":
        raise QuestionError(CaseRefusal.FILES_ONLY_WITH_ANSWER)
    found = await _question_from_args(
        message, command, services.questions, staff, usage, needs_text
    )
    if found is not None:
        question, text = found
        await _act(message.answer, services, notifier, question, staff, action, text, sent.files)


async def _act(
    reply: Any,
    services: Services,
    notifier: Notifier,
    question: Question,
    staff: Staff,
    action: str,
    text: str | None = None,
    files: tuple[tuple[str, str], ...] = (),
) -> bool:
    """Take, answer (with any files) or reject; on success tell the citizen, refresh every card,
    and tell the one who acted what reached the citizen."""
    service = services.questions
    try:
        if action == "take":
            await service.take(question, staff)
        elif action == "answer":
            await service.answer(question, staff, text or "", files)
        else:
            await service.reject(question, staff, text or "")
    except QuestionError as error:
        await reply(refusal(error))
        return False
    can_follow_up = action == "answer" and await service.can_follow_up(question)
    outcome = await notifier.tell_citizen(services.session, question, can_follow_up)
    await reply(_confirmation(action, outcome).format(ticket=question.ticket))
    await notifier.refresh_cards(services.session, question)
    return True


def _confirmation(action: str, outcome: Outcome) -> str:
    """What the one who acted is told: saved, and whether the citizen got it."""
    if outcome == Outcome.PARTIAL:
        return _(
            "The answer to {ticket} reached the citizen, but its files could not be delivered "
            "now; they will see them in /my."
        )
    if outcome == Outcome.DELIVERED:
        return {
            "take": _("{ticket} is taken into work; the citizen has been told."),
            "answer": _("The answer to {ticket} has been sent to the citizen."),
            "reject": _("{ticket} is rejected; the citizen has been told the reason."),
        }[action]
    if outcome == Outcome.BLOCKED:
        return {
            "take": _(
                "{ticket} is taken into work, but the citizen has blocked the bot and was not "
                "told."
            ),
            "answer": _(
                "The answer to {ticket} is saved, but the citizen has blocked the bot and did not "
                "get it."
            ),
            "reject": _(
                "{ticket} is rejected and saved, but the citizen has blocked the bot and was not "
                "told."
            ),
        }[action]
    return {
        "take": _("{ticket} is taken into work, but the citizen could not be told now."),
        "answer": _(
            "The answer to {ticket} is saved, but could not be delivered to the citizen now; "
            "they will see it in /my."
        ),
        "reject": _(
            "{ticket} is rejected and saved, but the citizen could not be told now; they will see "
            "the reason in /my."
        ),
    }[action]


async def ban_command(
    message: Message,
    command: CommandObject,
    services: Services,
    staff: Staff,
) -> None:
    """/ban <ticket> and /unban <ticket>: the citizen behind it, never named. The answers depend
    only on the ticket named (see QuestionService.ban)."""
    service = services.questions
    banning = command.command == "ban"
    usage = _("Usage: /ban <ticket>") if banning else _("Usage: /unban <ticket>")
    found = await _question_from_args(message, command, service, staff, usage)
    if found is None:
        return
    question = found[0]
    if banning:
        await service.ban(question, staff)
        text = _("The author of {ticket} can no longer send questions to this council.")
    elif await service.unban(question, staff):
        text = _(
            "The ban through {ticket} is lifted. If its author is banned through another ticket "
            "too, that ban still holds."
        )
    else:
        text = _("No ban was made through {ticket}.")
    await message.answer(text.format(ticket=question.ticket))


async def extend_command(
    message: Message,
    command: CommandObject,
    services: Services,
    staff: Staff,
    notifier: Notifier,
    user: User | None = None,
) -> None:
    """/extend <ticket> <DD.MM.YYYY or +N> <reason>: a reasoned extension; the citizen is told
    at once, and the one who acted whether it reached them."""
    usage = _("Usage: /extend <ticket> <DD.MM.YYYY or +N working days> <reason>")
    found = await _question_from_args(
        message, command, services.questions, staff, usage, needs_text=True
    )
    if found is None:
        return
    question, rest = found
    when, reason = _date_and_reason(rest)
    if not reason.strip():
        await message.answer(html.quote(usage))
        return
    await _extend(message.answer, services, notifier, question, staff, when, reason)


def _date_and_reason(text: str) -> tuple[str, str]:
    """The new date and the reason, split at the first space or line break."""
    parts = text.split(maxsplit=1)
    return (parts[0] if parts else ""), (parts[1] if len(parts) > 1 else "")


async def _extend(
    reply: Any,
    services: Services,
    notifier: Notifier,
    question: Question,
    staff: Staff,
    when: str,
    reason: str,
) -> None:
    """Extend, tell the citizen, tell the one who acted whether it reached them, redraw the
    cards."""
    await services.questions.extend(question, staff, when, reason)
    outcome = await notifier.tell_extension(services.session, question)
    day = format_day(question.due_date, get_i18n().current_locale)
    text = {
        Outcome.DELIVERED: _("{ticket} is now due {day}; the citizen has been told why."),
        Outcome.BLOCKED: _(
            "{ticket} is now due {day}, but the citizen has blocked the bot and was not told."
        ),
        Outcome.FAILED: _(
            "{ticket} is now due {day}, but the citizen could not be told now; they will see "
            "the new date in /my."
        ),
    }[outcome]
    await reply(text.format(ticket=question.ticket, day=day))
    await notifier.refresh_cards(services.session, question)


async def note_command(
    message: Message, command: CommandObject, services: Services, staff: Staff
) -> None:
    """/note <ticket> <text>: an internal note, in the ticket's history for the staff only."""
    usage = _("Usage: /note <ticket> <text>")
    found = await _question_from_args(
        message, command, services.questions, staff, usage, needs_text=True
    )
    if found is None:
        return
    question, text = found
    await services.questions.note(question, staff, text)
    await message.answer(
        _("Note added to {ticket}. Only the council's staff see it.").format(
            ticket=question.ticket
        )
    )


async def assign_command(
    message: Message,
    command: CommandObject,
    services: Services,
    staff: Staff,
    notifier: Notifier,
    user: User | None = None,
) -> None:
    """/assign <ticket> <secretary>: @username, Telegram id or full name of a secretary of the
    question's council. The assignee is told privately."""
    usage = _("Usage: /assign <ticket> <@username, id or name of a secretary>")
    found = await _question_from_args(
        message, command, services.questions, staff, usage, needs_text=True
    )
    if found is None:
        return
    question, who = found
    assignee = await services.questions.assignee(question, who)
    await _assign(message.answer, services, notifier, question, staff, assignee, user)


async def _assign(
    reply: Any,
    services: Services,
    notifier: Notifier,
    question: Question,
    staff: Staff,
    assignee: User,
    user: User | None,
    seen_holder: tuple[int | None] | None = None,
) -> None:
    """Assign, tell the assignee (unless it is oneself), refresh the cards, and tell the one who
    acted whether the assignee got word."""
    await services.questions.assign(question, staff, assignee.id, seen_holder)
    name = html.quote(assignee.full_name)
    if assignee.id == staff.user_id:
        text = _("You now hold {ticket}.")
    else:
        outcome = await notifier.tell_assignee(services.session, question, user)
        text = {
            Outcome.DELIVERED: _("{ticket} is assigned to {name}; they have been told."),
            Outcome.BLOCKED: _(
                "{ticket} is assigned to {name}, but they have blocked the bot and were not told."
            ),
            Outcome.FAILED: _(
                "{ticket} is assigned to {name}, but they could not be told now; it is in their "
                "/inbox mine."
            ),
        }[outcome]
    await reply(text.format(ticket=question.ticket, name=name))
    await notifier.refresh_cards(services.session, question)


async def forward_command(
    message: Message,
    command: CommandObject,
    services: Services,
    staff: Staff,
    notifier: Notifier,
    user: User | None = None,
) -> None:
    """/forward <ticket> <council № or name | body outside the bot> | <reason>: forwarding by
    competence (APC art. 76). The citizen is told where and why; another council of the bot gets
    it as a new question with its own deadline."""
    found = await _question_from_args(
        message, command, services.questions, staff, _(FORWARD_USAGE), needs_text=True
    )
    if found is None:
        await _list_councils(message, services, user)
        return
    question, rest = found
    target, separator, reason = _split_forward(rest)
    if not separator or not target or not reason:
        await message.answer(html.quote(_(FORWARD_USAGE)))
        await _list_councils(message, services, user)
        return
    forwarded = await services.questions.forward(question, staff, target, reason)
    context = await card_context(services.session, question)
    outcome = await notifier.tell_forward(services.session, question, context)
    where = forwarded_where(question, context, _language(user))
    text = {
        Outcome.DELIVERED: _("{ticket} is forwarded to {where}; the citizen has been told why."),
        Outcome.BLOCKED: _(
            "{ticket} is forwarded to {where}, but the citizen has blocked the bot and was not "
            "told."
        ),
        Outcome.FAILED: _(
            "{ticket} is forwarded to {where}, but the citizen could not be told now; they will "
            "see it in /my."
        ),
    }[outcome]
    await message.answer(text.format(ticket=question.ticket, where=where))
    await notifier.refresh_cards(services.session, question)
    if forwarded.successor is not None:
        await notifier.post_card(services.session, forwarded.successor)


FORWARD_USAGE = N_(
    "Usage: /forward <ticket> <council number or name, or a body outside the bot> | <reason>"
)


def _split_forward(rest: str) -> tuple[str, str, str]:
    """Where and why, split at the first "|" (or the first line break)."""
    for separator in ("|", "\n"):
        target, found, reason = rest.partition(separator)
        if found:
            return target.strip(), found, reason.strip()
    return rest.strip(), "", ""


async def _list_councils(message: Message, services: Services, user: User | None) -> None:
    language = _language(user)
    councils = await services.councils.all()
    if len(councils) < 2:
        return
    lines: list[str | Plain] = [_("Councils in the bot:")]
    lines += [f"{c.id}. {html.quote(c.name(language))}" for c in councils]
    await send_lines(message.answer, lines)


async def find_command(
    message: Message,
    command: CommandObject,
    services: Services,
    staff: Staff,
    user: User | None = None,
) -> None:
    """/find <words>: the newest questions of one's councils whose text, answer or notes hold
    every word; a button opens each."""
    if not (command.args or "").strip():
        await message.answer(html.quote(_("Usage: /find <words>")))
        return
    result = await services.questions.search(staff, command.args or "")
    text, markup = search_view(
        result, _language(user), lambda question: StaffView(question_id=question.id)
    )
    await message.answer(text, reply_markup=markup)


# -- publishing answers ---------------------------------------------------------------------


async def publish_command(
    message: Message,
    command: CommandObject,
    services: Services,
    staff: Staff,
    notifier: Notifier,
) -> None:
    """/publish <ticket> publishes an answered question its citizen allowed to be published, in
    its own words; /publish <ticket> | <wording> in the secretary's words (to leave out personal
    details), also to change the wording of one published already."""
    usage = _("Usage: /publish <ticket> or /publish <ticket> | <wording without personal details>")
    ticket, bar, wording = (command.args or "").partition("|")
    ref = parse_ticket(ticket)
    if ref is None or (bar and not wording.strip()):
        await message.answer(html.quote(usage))
        return
    question = await services.questions.find(ref, staff)
    await _publish(message.answer, services, notifier, question, staff, wording if bar else None)


async def unpublish_command(
    message: Message,
    command: CommandObject,
    services: Services,
    staff: Staff,
    notifier: Notifier,
) -> None:
    ref = parse_ticket(command.args or "")
    if ref is None:
        await message.answer(html.quote(_("Usage: /unpublish <ticket>")))
        return
    question = await services.questions.find(ref, staff)
    await _unpublish(message.answer, services, notifier, question, staff)


async def publish_pressed(
    query: CallbackQuery,
    callback_data: CardAction,
    services: Services,
    staff: Staff,
    notifier: Notifier,
) -> None:
    question = await services.questions.get_for(callback_data.question_id, staff)
    reply = _reply_in_chat(query)
    if callback_data.action == CardCommand.PUBLISH:
        await _publish(reply, services, notifier, question, staff, None)
    else:
        await _unpublish(reply, services, notifier, question, staff)
    await query.answer()


async def _publish(
    reply: Any,
    services: Services,
    notifier: Notifier,
    question: Question,
    staff: Staff,
    wording: str | None,
) -> None:
    done = await services.publication.publish(question, staff, wording)
    published = done.question
    told = await notifier.tell_published(services.session, published, done.edited)
    if done.edited:
        head = _("The published wording of {ticket} is changed:")
    else:
        head = _("{ticket} and its answer are published in /faq, without the citizen's name:")
    parts: list[str | Plain] = [
        head.format(ticket=published.ticket),
        "",
        Plain(published.public_text),
        "",
        html.quote(
            _(
                "To change the wording: /publish {ticket} | <wording>. To remove it from /faq: "
                "/unpublish {ticket}"
            ).format(ticket=published.ticket)
        ),
        _told_of_publication(told),
    ]
    await send_lines(reply, parts)
    await notifier.refresh_cards(services.session, published)


def _told_of_publication(outcome: Outcome) -> str:
    if outcome == Outcome.DELIVERED:
        return _("The citizen has been told, and may take it off /faq with a button.")
    if outcome == Outcome.BLOCKED:
        return _("The citizen has blocked the bot and was not told.")
    return _("The citizen could not be told now; their question's history in /my shows it.")


async def _unpublish(
    reply: Any,
    services: Services,
    notifier: Notifier,
    question: Question,
    staff: Staff,
) -> None:
    unpublished = await services.publication.unpublish(question, staff)
    await reply(
        _("{ticket} is removed from /faq. To publish it again: /publish {ticket}").format(
            ticket=unpublished.ticket
        )
    )
    await notifier.refresh_cards(services.session, unpublished)


async def export_command(
    message: Message,
    command: CommandObject,
    services: Services,
    staff: Staff,
    user: User | None = None,
) -> None:
    period = _parse_period(command.args)
    if period is None:
        await message.answer(html.quote(_("Usage: /export [YYYY-MM-DD YYYY-MM-DD]")))
        return
    council_ids = await services.questions.scope(staff)
    export = await services.questions.export(council_ids, *period)
    councils = {council.id: council for council in await services.councils.all()}
    language = _language(user)
    table = export_rows(export, councils, language, status_label)
    first_day, last_day = period
    if last_day is None:
        last_day = services.clock.now().astimezone(services.settings.tz).date()
    name = f"questions-{council_slug(council_ids)}-{period_slug(first_day, last_day)}"
    columns = question_columns()
    # Thousands of rows take openpyxl a while: not on the event loop, which serves everyone.
    workbook = await asyncio.to_thread(xlsx.to_xlsx, columns, table, _("Questions"), language)
    caption = _("Questions exported: {count}").format(count=len(table))
    await message.answer_document(
        BufferedInputFile(workbook, filename=f"{name}.xlsx"), caption=caption
    )
    await message.answer_document(
        BufferedInputFile(xlsx.to_csv(columns, table, language), filename=f"{name}.csv")
    )


def _parse_period(args: str | None) -> tuple[date | None, date | None] | None:
    """`[first day] [last day]`, both included: each council counts them in its own zone."""
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
    return start, end


async def stats_command(
    message: Message,
    services: Services,
    staff: Staff,
    user: User | None = None,
) -> None:
    council_ids = await services.questions.scope(staff)
    days = await services.councils.days(council_ids)
    stats = await services.questions.stats(council_ids, days)
    language = _language(user)
    total = sum(stats.by_status.values())
    lines: list[str | Plain] = [_("<b>Questions: {total}</b>").format(total=total)]
    for status in QuestionStatus:
        lines.append(f"{status_name(status)}: {stats.by_status[status.value]}")
    lines.append(_("Overdue: {count}").format(count=stats.overdue))
    lines.append(_("Answer period extended ⏳: {count}").format(count=stats.extended))
    if stats.median_days is not None:
        lines.append(median_days_text(stats.median_days, get_i18n().current_locale))
    if stats.rated:
        share = round(100 * stats.helpful / stats.rated)
        lines.append(
            ngettext(
                "Helpful answers: {share}% 👍 of {rated} rated",
                "Helpful answers: {share}% 👍 of {rated} rated",
                stats.rated,
            ).format(share=share, rated=stats.rated)
        )
    if stats.by_topic:
        lines += ["", _("By topic:")]
        lines += [
            f"• {html.quote(topic.name(language))}: {count}" for topic, count in stats.by_topic
        ]
    # The chart first, the figures under it. Drawing takes ~100 ms: not on the event loop.
    # No questions in the weeks and no answers: no chart (the figures say so).
    chart = await asyncio.to_thread(stats_chart, stats)
    if chart is not None:
        await message.answer_photo(
            BufferedInputFile(chart.png, filename="stats.png"),
            caption=_("Questions per week by status, and time to answer"),
        )
    await send_lines(message.answer, lines)


# -- the card's buttons -------------------------------------------------------------------


async def take_pressed(
    query: CallbackQuery,
    callback_data: CardAction,
    services: Services,
    staff: Staff,
    notifier: Notifier,
) -> None:
    question = await services.questions.get_for(callback_data.question_id, staff)
    await query.answer()
    await _act(_reply_in_chat(query), services, notifier, question, staff, "take")


async def answer_or_reject_pressed(
    query: CallbackQuery,
    callback_data: CardAction,
    state: FSMContext,
    services: Services,
    staff: Staff,
) -> None:
    """Answer, Reject or Extend: a prompt the secretary replies to with the text (see
    _prompts)."""
    question = await services.questions.open_for(callback_data.question_id, staff)
    await query.answer()
    if not isinstance(query.message, Message):
        return
    if callback_data.action == CardCommand.ANSWER:
        text = _("Reply to this message with the answer to {ticket} (or /cancel).")
        placeholder = _("Answer to {ticket}")
    elif callback_data.action == CardCommand.EXTEND:
        text = _(
            "Reply to this message with the new answer date of {ticket} (DD.MM.YYYY, or +N "
            "working days) and then the reason, like: +10 Information requested from the akimat "
            "(or /cancel)."
        )
        placeholder = _("New date and reason for {ticket}")
    else:
        text = _("Reply to this message with the reason for rejecting {ticket} (or /cancel).")
        placeholder = _("Reason for rejecting {ticket}")
    text = text.format(ticket=question.ticket)
    if query.message.chat.type != "private":
        # Names the one who pressed, so that only their Telegram turns on the reply.
        text = f"{query.from_user.mention_html()}\n{text}"
    prompt = await query.message.answer(
        text,
        reply_markup=ForceReply(
            selective=True, input_field_placeholder=placeholder.format(ticket=question.ticket)
        ),
    )
    await _remember_prompt(state, Prompt(prompt.message_id, callback_data.action, question.id))


async def assign_pressed(
    query: CallbackQuery, callback_data: CardAction, services: Services, staff: Staff
) -> None:
    """Assign: the council's secretaries as buttons, under the card."""
    question = await services.questions.open_for(callback_data.question_id, staff)
    secretaries = await services.councils.secretaries(question.council_id)
    await query.answer()
    if not isinstance(query.message, Message):
        return
    if not secretaries:
        await query.message.answer(_("This council has no secretaries yet: /invite one."))
        return
    await query.message.answer(
        _("Who will hold {ticket}?").format(ticket=question.ticket),
        reply_markup=assign_keyboard(question, secretaries),
    )


async def assignee_picked(
    query: CallbackQuery,
    callback_data: AssignTo,
    services: Services,
    staff: Staff,
    notifier: Notifier,
    user: User | None = None,
) -> None:
    question = await services.questions.open_for(callback_data.question_id, staff)
    assignee = await services.questions.secretary_of(question, callback_data.user_id)
    await query.answer()
    seen = (callback_data.holder or None,)
    await _assign(_reply_in_chat(query), services, notifier, question, staff, assignee, user, seen)


def _reply_in_chat(query: CallbackQuery) -> Any:
    """Where a button was pressed, answer with a message in that chat."""

    async def reply(text: str, **kwargs: Any) -> None:
        if isinstance(query.message, Message):
            await query.message.answer(text, **kwargs)

    return reply


# -- the prompts after Answer / Reject ---------------------------------------------------------


async def _prompts(state: FSMContext) -> dict[str, list[Any]]:
    """{prompt message id: [action, question id]}, oldest first."""
    return dict((await state.get_data()).get("prompts") or {})


async def _prompt(state: FSMContext, message_id: int) -> Prompt | None:
    found = (await _prompts(state)).get(str(message_id))
    return Prompt(message_id, CardCommand(found[0]), int(found[1])) if found else None


async def _latest_prompt(state: FSMContext) -> Prompt | None:
    prompts = await _prompts(state)
    if not prompts:
        return None
    message_id = list(prompts)[-1]
    return await _prompt(state, int(message_id))


async def _remember_prompt(state: FSMContext, prompt: Prompt) -> None:
    prompts = await _prompts(state)
    prompts[str(prompt.message_id)] = [prompt.action.value, prompt.question_id]
    await state.update_data(prompts=dict(list(prompts.items())[-MAX_PROMPTS:]))
    await state.set_state(StaffPrompt.pending)


async def _forget_prompt(state: FSMContext, prompt: Prompt) -> None:
    prompts = await _prompts(state)
    prompts.pop(str(prompt.message_id), None)
    await state.update_data(prompts=prompts)
    if not prompts:
        await state.set_state(None)


async def _act_on_prompt(
    message: Message,
    prompt: Prompt,
    state: FSMContext,
    services: Services,
    staff: Staff,
    notifier: Notifier,
    sent: Sent,
) -> None:
    if sent.text is None and not sent.files:
        await message.reply(_("Please send text, or /cancel."))
        return
    if sent.files and prompt.action != CardCommand.ANSWER:
        await message.reply(refusal(QuestionError(CaseRefusal.FILES_ONLY_WITH_ANSWER)))
        return
    if sent.text is None:
        await message.reply(refusal(QuestionError(CaseRefusal.FILES_WITHOUT_TEXT)))
        return
    try:
        question = await services.questions.get_for(prompt.question_id, staff)
    except QuestionError as error:
        await _forget_prompt(state, prompt)
        await message.reply(refusal(error))
        return
    if prompt.action == CardCommand.EXTEND:
        when, reason = _date_and_reason(sent.text)
        if not reason.strip():
            raise QuestionError(CaseRefusal.EXTENSION_NO_REASON)
        await _extend(message.reply, services, notifier, question, staff, when, reason)
        await _forget_prompt(state, prompt)
        return
    done = await _act(
        message.reply, services, notifier, question, staff, prompt.action, sent.text, sent.files
    )
    if done or not question.is_open:
        await _forget_prompt(state, prompt)


# -- answering by reply ------------------------------------------------------------------------


async def reply_to_card(
    message: Message,
    question: Question,
    sent: Sent,
    services: Services,
    staff: Staff,
    notifier: Notifier,
) -> None:
    """A reply to a card answers that card's question, whatever else is pending: text, or
    photos and documents (an album too) with the answer as their caption."""
    try:
        services.questions.check_scope(question, staff)
    except QuestionError as error:
        await message.reply(refusal(error))
        return
    if sent.text is None and not sent.files:
        await message.reply(
            _(
                "Only text, or photos and documents with the answer as their caption, can be an "
                "answer: reply to the card of {ticket} with them."
            ).format(ticket=question.ticket)
        )
        return
    if sent.text is None:
        await message.reply(refusal(QuestionError(CaseRefusal.FILES_WITHOUT_TEXT)))
        return
    await _act(message.reply, services, notifier, question, staff, "answer", sent.text, sent.files)


async def reply_to_prompt(
    message: Message,
    prompt: Prompt,
    sent: Sent,
    state: FSMContext,
    services: Services,
    staff: Staff,
    notifier: Notifier,
) -> None:
    """A reply to a prompt acts on the prompt's ticket."""
    await _act_on_prompt(message, prompt, state, services, staff, notifier, sent)


async def typed_after_prompt(
    message: Message,
    sent: Sent,
    state: FSMContext,
    services: Services,
    staff: Staff,
    notifier: Notifier,
) -> None:
    """In a private chat, a plain message after a prompt acts on the latest prompt's ticket."""
    prompt = await _latest_prompt(state)
    if prompt is None:
        await state.set_state(None)
        await message.answer(refusal(QuestionError(CaseRefusal.NOT_FOUND)))
        return
    await _act_on_prompt(message, prompt, state, services, staff, notifier, sent)


async def stray_reply(message: Message) -> None:
    """A reply to a message of the bot that is neither a card nor this person's prompt: it is
    not taken as an answer to anything, and they are told how to answer."""
    await message.reply(
        _(
            "This is not an answer to any question. To answer one, reply to its card, or press "
            "Answer on the card and reply to my prompt."
        )
    )


async def card_for_outsiders(query: CallbackQuery) -> None:
    await query.answer(_("Only the council's secretaries can do this."), show_alert=True)


async def staff_only(message: Message) -> None:
    await message.answer(_("This command is only for council secretaries."))


def create_router() -> Router:
    router = Router(name=__name__)

    # Scope once: below here, only staff where they may act as staff (see IsStaff).
    staff = Router(name=f"{__name__}.staff")
    staff.message.filter(IsStaff())
    staff.callback_query.filter(IsStaff())
    message, callback = staff.message.register, staff.callback_query.register
    anywhere = StateFilter("*")
    message(inbox, Command("inbox"), anywhere)
    message(show_question, Command("q"), anywhere)
    message(status_command, Command("take", "answer", "reject"), SentContent(), anywhere)
    message(extend_command, Command("extend"), anywhere)
    message(forward_command, Command("forward"), anywhere)
    message(assign_command, Command("assign"), anywhere)
    message(note_command, Command("note"), anywhere)
    message(find_command, Command("find"), anywhere)
    message(ban_command, Command("ban", "unban"), anywhere)
    message(export_command, Command("export"), anywhere)
    message(stats_command, Command("stats"), anywhere)
    message(publish_command, Command("publish"), anywhere)
    message(unpublish_command, Command("unpublish"), anywhere)
    # A reply to a card wins over any pending prompt; a reply to a prompt over the latest one.
    message(reply_to_card, IsCardReply(), SentContent(), anywhere)
    message(reply_to_prompt, IsPromptReply(), SentContent(), anywhere)
    private = PRIVATE
    not_command = ~F.text.startswith("/")
    message(stray_reply, IsReplyToBot(), ~private, anywhere)
    message(stray_reply, F.reply_to_message, private, StaffPrompt.pending, not_command)
    # Only in a private chat: in a group a message that replies to nothing is never an answer.
    message(typed_after_prompt, private, StaffPrompt.pending, not_command, SentContent())
    callback(take_pressed, CardAction.filter(F.action == CardCommand.TAKE), anywhere)
    callback(
        answer_or_reject_pressed,
        CardAction.filter(
            F.action.in_({CardCommand.ANSWER, CardCommand.REJECT, CardCommand.EXTEND})
        ),
        anywhere,
    )
    callback(assign_pressed, CardAction.filter(F.action == CardCommand.ASSIGN), anywhere)
    callback(
        publish_pressed,
        CardAction.filter(F.action.in_({CardCommand.PUBLISH, CardCommand.UNPUBLISH})),
        anywhere,
    )
    callback(assignee_picked, AssignTo.filter(), anywhere)
    callback(inbox_page, InboxPage.filter(), anywhere)
    callback(inbox_page, FilteredInboxPage.filter(), anywhere)
    callback(view_pressed, StaffView.filter(), anywhere)

    # Whoever is not staff here: a clear refusal in private, silence in groups. (A router's own
    # handlers run before its sub-routers', so the refusal is a sub-router after `staff`.)
    others = Router(name=f"{__name__}.others")
    others.callback_query.register(card_for_outsiders, CardAction.filter(), anywhere)
    for staff_button in (AssignTo, StaffView, InboxPage, FilteredInboxPage):
        others.callback_query.register(card_for_outsiders, staff_button.filter(), anywhere)
    others.message.register(staff_only, Command(*STAFF_COMMANDS), private, anywhere)
    router.include_routers(staff, others)
    return router
