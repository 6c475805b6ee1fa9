"""What the bot tells people about questions, each in their own language: the receipt, the card
for the council's staff, status changes for the citizen. Sends messages, so it speaks Telegram."""

import enum
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    Message,
    ReplyParameters,
)
from aiogram.types.media_union import MediaUnion
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram.utils.text_decorations import html_decoration as html
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_ids import CallbackId
from bot.config import Settings
from bot.i18n import N_, format_day, format_when
from db.models import (
    AuditEntry,
    Council,
    Question,
    QuestionAttachment,
    QuestionStatus,
    Topic,
    User,
)
from db.repositories.councils import CouncilRepository
from db.repositories.questions import QuestionRepository
from db.repositories.users import UserRepository

logger = logging.getLogger(__name__)

STATUS_NAMES = {
    QuestionStatus.NEW: N_("new"),
    QuestionStatus.IN_PROGRESS: N_("in progress"),
    QuestionStatus.ANSWERED: N_("answered"),
    QuestionStatus.REJECTED: N_("rejected"),
    QuestionStatus.FORWARDED: N_("forwarded"),
}
STATUS_ICONS = {
    QuestionStatus.NEW: "🆕",
    QuestionStatus.IN_PROGRESS: "🔎",
    QuestionStatus.ANSWERED: "✅",
    QuestionStatus.REJECTED: "⛔",
    QuestionStatus.FORWARDED: "↪️",
}
HISTORY_ACTIONS = {
    "asked": N_("asked"),
    "followup": N_("follow-up asked"),
    "taken": N_("taken into work"),
    "answered": N_("answered"),
    "rejected": N_("rejected"),
    "rated": N_("rated"),
    "banned": N_("author banned"),
    "unbanned": N_("author unbanned"),
    "note": N_("internal note"),
    "extended": N_("answer period extended"),
    "assigned": N_("assigned"),
    "forwarded": N_("forwarded by competence"),
    "forwarded_in": N_("received by forwarding"),
}
# What a citizen sees of a question's history: never who on the staff did what, nor bans,
# nor the staff's internal notes, nor who holds it.
CITIZEN_ACTIONS = {
    "asked",
    "followup",
    "taken",
    "answered",
    "rejected",
    "rated",
    "extended",
    "forwarded",
    "forwarded_in",
}
# History lines whose detail the staff see after the action's name.
DETAILED_ACTIONS = {"note", "extended", "forwarded", "forwarded_in"}


class Outcome(enum.Enum):
    """What became of a message to a citizen, so the one who acted is told the truth."""

    DELIVERED = "delivered"
    # 403: the citizen has blocked the bot (or deleted their account).
    BLOCKED = "blocked"
    # A 5xx, a timeout, a 429 or anything else: not delivered now.
    FAILED = "failed"


class CardCommand(enum.StrEnum):
    TAKE = "take"
    ANSWER = "answer"
    REJECT = "reject"
    ASSIGN = "assign"
    EXTEND = "extend"


class CardAction(CallbackData, prefix="card"):
    action: CardCommand
    question_id: CallbackId


class AssignTo(CallbackData, prefix="asg"):
    """One secretary in the list the card's Assign button opens."""

    question_id: CallbackId
    user_id: CallbackId


@dataclass(frozen=True)
class CardContext:
    """What a question's card shows besides the question itself."""

    council: Council
    topic: Topic
    # Never for an anonymous question.
    citizen: User | None = None
    # The question this one follows up.
    parent: Question | None = None
    # The secretary who holds it.
    holder: User | None = None
    # Where it came from when another council forwarded it here.
    origin: Question | None = None
    origin_council: Council | None = None
    # Where it went when forwarded to another council of the bot.
    successor: Question | None = None
    successor_council: Council | None = None


class RateAction(CallbackData, prefix="rate"):
    question_id: CallbackId
    helpful: bool


class FollowUpAction(CallbackData, prefix="fup"):
    question_id: CallbackId


@contextmanager
def speaking(i18n: I18n, language: str) -> Iterator[None]:
    """Translate with `_()` in `language`, also outside a handler (scheduled jobs)."""
    with i18n.context(), i18n.use_locale(language):
        yield


def status_name(status: QuestionStatus) -> str:
    return f"{STATUS_ICONS[status]} {_(STATUS_NAMES[status])}"


def card_keyboard(question: Question) -> InlineKeyboardMarkup | None:
    if not question.is_open:
        return None
    builder = InlineKeyboardBuilder()
    if question.status == QuestionStatus.NEW:
        builder.button(
            text=_("Take"),
            callback_data=CardAction(action=CardCommand.TAKE, question_id=question.id),
        )
    builder.button(
        text=_("Answer"),
        callback_data=CardAction(action=CardCommand.ANSWER, question_id=question.id),
    )
    builder.button(
        text=_("Reject"),
        callback_data=CardAction(action=CardCommand.REJECT, question_id=question.id),
    )
    builder.button(
        text=_("Assign"),
        callback_data=CardAction(action=CardCommand.ASSIGN, question_id=question.id),
    )
    builder.button(
        text=_("Extend"),
        callback_data=CardAction(action=CardCommand.EXTEND, question_id=question.id),
    )
    builder.adjust(3 if question.status == QuestionStatus.NEW else 2, 2)
    return builder.as_markup()


def assign_keyboard(question: Question, secretaries: list[User]) -> InlineKeyboardMarkup:
    """The council's secretaries, one button each; the one who holds it is marked."""
    builder = InlineKeyboardBuilder()
    for secretary in secretaries:
        mark = "📌 " if secretary.id == question.assigned_to else ""
        builder.button(
            text=mark + short_name(secretary),
            callback_data=AssignTo(question_id=question.id, user_id=secretary.id),
        )
    builder.adjust(2)
    return builder.as_markup()


def short_name(user: User | None, limit: int = 24) -> str:
    """A staff member's name short enough for a button (plain text: buttons are not HTML)."""
    if user is None:
        return "—"
    name = " ".join((user.full_name or "").split()) or (user.username or str(user.id))
    return name if len(name) <= limit else name[: limit - 1] + "…"


def answer_keyboard(question: Question, can_follow_up: bool) -> InlineKeyboardMarkup | None:
    builder = InlineKeyboardBuilder()
    if question.rating is None:
        builder.button(text="👍", callback_data=RateAction(question_id=question.id, helpful=True))
        builder.button(text="👎", callback_data=RateAction(question_id=question.id, helpful=False))
    if can_follow_up:
        builder.button(
            text=_("Ask a follow-up"), callback_data=FollowUpAction(question_id=question.id)
        )
    builder.adjust(2, 1)
    return builder.as_markup() if builder.buttons else None


def author_line(question: Question, citizen: User | None) -> str:
    """The citizen's name for the staff, or "anonymous" and nothing that could identify them."""
    if question.anonymous or citizen is None:
        return _("anonymous")
    name = html.quote(citizen.full_name or "—")
    if citizen.username:
        name += f" (@{html.quote(citizen.username)})"
    return name


def card_text(question: Question, context: CardContext, language: str) -> str:
    council, topic, citizen, parent = (
        context.council,
        context.topic,
        context.citizen,
        context.parent,
    )
    tz = ZoneInfo(council.timezone)
    lines = [
        _("📨 Question {ticket}").format(ticket=question.ticket),
        _("Council: {council}").format(council=html.quote(council.name(language))),
        _("Topic: {topic}").format(topic=html.quote(topic.name(language))),
        _("Received: {when}").format(when=format_when(question.created_at, language, tz)),
        _("Answer due: {day}").format(day=format_day(question.due_date, language))
        + (" " + _("(extended)") if question.extended_at is not None else ""),
        _("Status: {status}").format(status=status_name(question.status)),
        _("From: {author}").format(author=author_line(question, citizen)),
    ]
    if parent is not None:
        lines.append(_("Follow-up to {ticket}").format(ticket=parent.ticket))
    if context.origin is not None and context.origin_council is not None:
        lines.append(
            _("Forwarded from: {council} ({ticket})").format(
                council=html.quote(context.origin_council.name(language)),
                ticket=context.origin.ticket,
            )
        )
    if question.status == QuestionStatus.FORWARDED:
        lines.append(
            _("Forwarded to: {where}").format(where=forwarded_where(question, context, language))
        )
    elif question.is_open:
        holder = html.quote(context.holder.full_name) if context.holder else _("nobody yet")
        lines.append(_("Held by: {name}").format(name=holder))
    if question.attachment_kind:
        lines.append(_("📎 Attached files: below this card"))
    lines += ["", html.quote(question.text)]
    if question.is_open:
        lines += ["", _("Reply to this message with the answer, or use the buttons.")]
    return "\n".join(lines)


def history_lines(
    entries: list[AuditEntry],
    language: str,
    tz: ZoneInfo,
    *,
    names: dict[int, str] | None = None,
    citizen_id: int | None = None,
) -> list[str]:
    """History, one line per event. Staff see who acted (the citizen only as "citizen")."""
    lines = []
    for entry in entries:
        if names is None and entry.action not in CITIZEN_ACTIONS:
            continue
        if entry.action not in HISTORY_ACTIONS:
            continue
        line = f"{format_when(entry.at, language, tz)} — {_(HISTORY_ACTIONS[entry.action])}"
        if entry.action == "rated" and entry.detail:
            line += f" {entry.detail}"
        if names is not None and entry.actor_id is not None:
            if entry.actor_id == citizen_id:
                line += " ({})".format(_("citizen"))
            else:
                line += f" ({html.quote(names.get(entry.actor_id, str(entry.actor_id)))})"
        if entry.action == "assigned" and names is not None and entry.detail:
            assignee = int(entry.detail) if entry.detail.isdecimal() else None
            line += " → " + html.quote(names.get(assignee or 0, entry.detail))
        if entry.action in DETAILED_ACTIONS and entry.detail and names is not None:
            line += ": " + html.quote(entry.detail)
        lines.append(line)
    return lines


def forwarded_where(question: Question, context: CardContext, language: str) -> str:
    """Where a forwarded question went, as HTML: the other council and the new ticket, or the
    body outside the bot."""
    if context.successor is not None and context.successor_council is not None:
        council = html.quote(context.successor_council.name(language))
        return f"{council} ({context.successor.ticket})"
    return html.quote(question.forwarded_to or "—")


async def card_context(session: AsyncSession, question: Question) -> CardContext:
    """What a card shows besides the question: council, topic, the citizen (never for an
    anonymous question), the question it follows up, who holds it, where it came from or
    went."""
    councils = CouncilRepository(session)
    questions = QuestionRepository(session)
    users = UserRepository(session)
    council = await councils.get(question.council_id)
    topic = await councils.topic(question.topic_id)
    assert council is not None and topic is not None
    context = CardContext(
        council=council,
        topic=topic,
        citizen=None if question.anonymous else await users.get(question.citizen_id),
        parent=await questions.get(question.parent_id) if question.parent_id else None,
        holder=await users.get(question.assigned_to) if question.assigned_to else None,
    )
    if question.forwarded_from_id is not None:
        origin = await questions.get(question.forwarded_from_id)
        if origin is not None:
            context = replace(
                context, origin=origin, origin_council=await councils.get(origin.council_id)
            )
    if question.status == QuestionStatus.FORWARDED:
        successor = await questions.forwarded_from(question.id)
        if successor is not None:
            context = replace(
                context,
                successor=successor,
                successor_council=await councils.get(successor.council_id),
            )
    return context


class Notifier:
    def __init__(self, bot: Bot, i18n: I18n, settings: Settings) -> None:
        self.bot = bot
        self.i18n = i18n
        self.settings = settings
        self.default_language = settings.default_language

    async def post_card(self, session: AsyncSession, question: Question) -> int:
        """Post a new question to the staff group, or else to every secretary privately (or,
        with no secretary yet, to the superadmins). Returns how many chats got it."""
        context = await card_context(session, question)
        council = context.council
        councils = CouncilRepository(session)
        targets: list[tuple[int, str]] = []
        if council.staff_chat_id is not None:
            targets.append((council.staff_chat_id, council.default_language))
        else:
            for secretary in await councils.secretaries(council.id):
                targets.append((secretary.id, secretary.language or council.default_language))
        if not targets:
            # Nobody to read it yet: the superadmins see it rather than nobody.
            users = UserRepository(session)
            for admin_id in sorted(self.settings.admin_ids):
                admin = await users.get(admin_id)
                targets.append((admin_id, (admin and admin.language) or council.default_language))
        attachments = await QuestionRepository(session).attachments(question.id)
        posted = 0
        for chat_id, language in targets:
            with speaking(self.i18n, language):
                text = card_text(question, context, language)
                message = await self._send(chat_id, text, card_keyboard(question))
                if message is None:
                    continue
                await QuestionRepository(session).add_card(
                    question.id, chat_id, message.message_id
                )
                posted += 1
                if attachments:
                    caption = _("Attachment to {ticket}").format(ticket=question.ticket)
                    await send_files(self.bot, chat_id, attachments, caption, message.message_id)
        return posted

    async def refresh_cards(self, session: AsyncSession, question: Question) -> None:
        """After a status change, update every card so nobody acts on a stale one."""
        context = await card_context(session, question)
        council = context.council
        for card in await QuestionRepository(session).cards(question.id):
            language = council.default_language
            if card.chat_id > 0:
                user = await UserRepository(session).get(card.chat_id)
                language = (user.language if user else None) or council.default_language
            with speaking(self.i18n, language):
                try:
                    await self.bot.edit_message_text(
                        text=card_text(question, context, language),
                        chat_id=card.chat_id,
                        message_id=card.message_id,
                        reply_markup=card_keyboard(question),
                    )
                except TelegramAPIError as exc:
                    logger.info("card %s in chat %s not refreshed: %s", card.id, card.chat_id, exc)

    async def receipt(
        self, message: Message, question: Question, council: Council, topic: Topic, language: str
    ) -> None:
        text = "\n".join(
            [
                _("✅ Your question is registered."),
                _("Ticket: {ticket}").format(ticket=question.ticket),
                _("Council: {council}").format(council=html.quote(council.name(language))),
                _("Topic: {topic}").format(topic=html.quote(topic.name(language))),
                _("Expected answer by: {day}").format(day=format_day(question.due_date, language)),
                "",
                _("You will get the answer here. Your questions: /my"),
            ]
        )
        try:
            await message.answer(text)
        except TelegramAPIError as exc:
            # The question is saved and /my shows it; the council must still hear of it.
            logger.warning("receipt of question %s not delivered: %s", question.id, exc)

    async def tell_citizen(self, session: AsyncSession, question: Question) -> Outcome:
        """Tell the citizen, in their language, what just happened to their question; say
        whether it reached them."""
        citizen = await UserRepository(session).get(question.citizen_id)
        if citizen is None:
            return Outcome.FAILED
        language = citizen.language or self.default_language
        with speaking(self.i18n, language):
            markup = None
            if question.status == QuestionStatus.IN_PROGRESS:
                text = _("🔎 Your question {ticket} has been taken into work.").format(
                    ticket=question.ticket
                )
            elif question.status == QuestionStatus.ANSWERED:
                can_follow_up = (
                    question.parent_id is None
                    and await QuestionRepository(session).followup_of(question.id) is None
                )
                text = "\n".join(
                    [
                        _("💬 Answer to your question {ticket}:").format(ticket=question.ticket),
                        "",
                        html.quote(question.resolution or ""),
                        "",
                        _("Was this helpful?"),
                    ]
                )
                markup = answer_keyboard(question, can_follow_up)
            elif question.status == QuestionStatus.REJECTED:
                text = "\n".join(
                    [
                        _("⛔ Your question {ticket} was rejected.").format(
                            ticket=question.ticket
                        ),
                        _("Reason: {reason}").format(reason=html.quote(question.resolution or "")),
                    ]
                )
            else:
                raise ValueError(f"nothing to tell about a {question.status} question")
            files = []
            if question.status == QuestionStatus.ANSWERED:
                files = await QuestionRepository(session).attachments(question.id, "answer")
            return await self._tell(citizen, question, text, markup, files)

    async def tell_extension(self, session: AsyncSession, question: Question) -> Outcome:
        """Tell the citizen, in their language, the new answer date and the reason for it."""
        citizen = await UserRepository(session).get(question.citizen_id)
        if citizen is None:
            return Outcome.FAILED
        language = citizen.language or self.default_language
        with speaking(self.i18n, language):
            text = "\n".join(
                [
                    _(
                        "⏳ The answer period for your question {ticket} is extended to {day}."
                    ).format(ticket=question.ticket, day=format_day(question.due_date, language)),
                    _("Reason: {reason}").format(
                        reason=html.quote(question.extension_reason or "")
                    ),
                ]
            )
            return await self._tell(citizen, question, text)

    async def tell_forward(
        self, session: AsyncSession, question: Question, context: CardContext
    ) -> Outcome:
        """Tell the citizen, in their language, where their question was forwarded and why, and,
        when another council of the bot got it, its new ticket and answer date."""
        citizen = await UserRepository(session).get(question.citizen_id)
        if citizen is None:
            return Outcome.FAILED
        language = citizen.language or self.default_language
        with speaking(self.i18n, language):
            lines = [
                _("↪️ Your question {ticket} has been forwarded by competence to {where}.").format(
                    ticket=question.ticket, where=forwarded_where(question, context, language)
                ),
                _("Reason: {reason}").format(reason=html.quote(question.resolution or "")),
            ]
            if context.successor is not None:
                lines.append(
                    _("Its new ticket is {ticket}; expected answer by {day}.").format(
                        ticket=context.successor.ticket,
                        day=format_day(context.successor.due_date, language),
                    )
                )
            else:
                lines.append(_("That body will answer you itself."))
            return await self._tell(citizen, question, "\n".join(lines))

    async def tell_assignee(
        self, session: AsyncSession, question: Question, assigned_by: User | None
    ) -> Outcome:
        """Tell the secretary who now holds a question, in their language, privately."""
        if question.assigned_to is None:
            return Outcome.FAILED
        assignee = await UserRepository(session).get(question.assigned_to)
        if assignee is None:
            return Outcome.FAILED
        context = await card_context(session, question)
        language = assignee.language or context.council.default_language
        with speaking(self.i18n, language):
            notice = _("📌 {name} has assigned {ticket} to you.").format(
                name=html.quote(assigned_by.full_name if assigned_by else "—"),
                ticket=question.ticket,
            )
            try:
                await self.bot.send_message(assignee.id, notice)
            except TelegramForbiddenError:
                return Outcome.BLOCKED
            except TelegramAPIError as exc:
                logger.warning("assignment of %s not delivered: %s", question.id, exc)
                return Outcome.FAILED
            # Then the card itself, kept current like every card; replying to it answers.
            text = card_text(question, context, language)
            card = await self._send(assignee.id, text, card_keyboard(question))
            if card is not None:
                await QuestionRepository(session).add_card(
                    question.id, assignee.id, card.message_id
                )
            return Outcome.DELIVERED

    async def _tell(
        self,
        citizen: User,
        question: Question,
        text: str,
        markup: InlineKeyboardMarkup | None = None,
        files: list[QuestionAttachment] | None = None,
    ) -> Outcome:
        """Send news of a question to its citizen, with the answer's files under it; say
        whether it all reached them."""
        try:
            message = await self.bot.send_message(citizen.id, text, reply_markup=markup)
        except TelegramForbiddenError:
            # Already marked inactive (BlockedUserRequestMiddleware).
            return Outcome.BLOCKED
        except TelegramAPIError as exc:
            logger.warning("news of %s to its citizen not delivered: %s", question.id, exc)
            return Outcome.FAILED
        if files:
            caption = _("Files with the answer to {ticket}").format(ticket=question.ticket)
            if not await send_files(self.bot, citizen.id, files, caption, message.message_id):
                return Outcome.FAILED
        return Outcome.DELIVERED

    async def _send(
        self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
    ) -> Message | None:
        try:
            return await self.bot.send_message(chat_id, text, reply_markup=markup)
        except TelegramAPIError as exc:
            # A 403 has already marked the user inactive (BlockedUserRequestMiddleware).
            logger.warning("message to chat %s not delivered: %s", chat_id, exc)
            return None


async def send_files(
    bot: Bot,
    chat_id: int,
    files: list[QuestionAttachment],
    caption: str,
    reply_to: int | None = None,
) -> bool:
    """Files under a message: photos as one album, documents as another (Telegram does not mix
    them), a single file as itself. Says whether all of them arrived."""
    reply = ReplyParameters(message_id=reply_to) if reply_to is not None else None
    delivered = True
    for kind in ("photo", "document"):
        file_ids = [item.file_id for item in files if item.kind == kind]
        try:
            if len(file_ids) == 1 and kind == "photo":
                await bot.send_photo(chat_id, file_ids[0], caption=caption, reply_parameters=reply)
            elif len(file_ids) == 1:
                await bot.send_document(
                    chat_id, file_ids[0], caption=caption, reply_parameters=reply
                )
            elif file_ids:
                media_type = InputMediaPhoto if kind == "photo" else InputMediaDocument
                media: list[MediaUnion] = [
                    media_type(media=file_id, caption=caption if number == 0 else None)
                    for number, file_id in enumerate(file_ids)
                ]
                await bot.send_media_group(chat_id, media, reply_parameters=reply)
        except TelegramAPIError as exc:
            logger.warning("files to chat %s not delivered: %s", chat_id, exc)
            delivered = False
    return delivered
