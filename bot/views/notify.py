"""What the bot tells people about questions, each in their own language: the receipt, the card
for the council's staff, status changes for the citizen. Sends messages, so it speaks Telegram."""

import enum
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    Message,
    ReplyParameters,
)
from aiogram.types.media_union import MediaUnion
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram.utils.text_decorations import html_decoration as html
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_ids import CallbackId
from bot.config import Settings
from bot.i18n import N_, format_day, format_when
from bot.views import MESSAGE_LIMIT, visible_length
from db.models import (
    TAKEABLE_STATUSES,
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

# What a card keeps for the reason of an objection when the question's text is as long as
# can be: the rest of the reason is in the ticket's history (/q).
REASON_ROOM = 300
# What the citizen's notice of a publication shows of the published wording, in UTF-16 units:
# all of a wording as long as one may be (MAX_TEXT, 3 000) with room for the notice's other
# lines; cut should that limit grow.
PUBLISHED_WORDING_SHOWN = 3600

# One entry per status, in both tables (a status missing here fails /stats and /my): a new
# status such as "forwarded" gets its name and its icon here.
STATUS_NAMES = {
    QuestionStatus.NEW: N_("new"),
    QuestionStatus.IN_PROGRESS: N_("in progress"),
    QuestionStatus.ANSWERED: N_("answered"),
    QuestionStatus.REJECTED: N_("rejected"),
    QuestionStatus.FORWARDED: N_("forwarded"),
    QuestionStatus.WITHDRAWN: N_("withdrawn"),
    QuestionStatus.REOPENED: N_("reopened"),
}
STATUS_ICONS = {
    QuestionStatus.NEW: "🆕",
    QuestionStatus.IN_PROGRESS: "🔎",
    QuestionStatus.ANSWERED: "✅",
    QuestionStatus.REJECTED: "⛔",
    QuestionStatus.FORWARDED: "↪️",
    QuestionStatus.WITHDRAWN: "↩️",
    QuestionStatus.REOPENED: "🔁",
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
    "released": N_("no longer held: the secretary left the council"),
    "forwarded": N_("forwarded by competence"),
    "forwarded_in": N_("received by forwarding"),
    "withdrawn": N_("withdrawn by the citizen"),
    "edited": N_("text changed by the citizen"),
    "objected": N_("objection: reopened"),
    "published": N_("published in /faq"),
    "publish_edited": N_("published wording changed"),
    "unpublished": N_("removed from /faq"),
    "consent_withdrawn": N_("the citizen no longer allows publication"),
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
    "withdrawn",
    "edited",
    "objected",
    "published",
    "publish_edited",
    "unpublished",
    "consent_withdrawn",
}
# Actions whose detail follows the line: for the staff only, or for the citizen too.
STAFF_DETAIL_ACTIONS = {
    "note",
    "extended",
    "edited",
    "objected",
    "forwarded",
    "forwarded_in",
    "published",
    "publish_edited",
}
CITIZEN_DETAIL_ACTIONS = {"objected", "forwarded"}


class Outcome(enum.Enum):
    """What became of a message to a citizen, so the one who acted is told the truth."""

    DELIVERED = "delivered"
    # 403: the citizen has blocked the bot (or deleted their account).
    BLOCKED = "blocked"
    # A 5xx, a timeout, a 429 or anything else: not delivered now.
    FAILED = "failed"
    # The text arrived, but not (all of) the files under it.
    PARTIAL = "partial"


class CardCommand(enum.StrEnum):
    TAKE = "take"
    ANSWER = "answer"
    REJECT = "reject"
    ASSIGN = "assign"
    EXTEND = "extend"
    PUBLISH = "publish"
    UNPUBLISH = "unpublish"


class CardAction(CallbackData, prefix="card"):
    action: CardCommand
    question_id: CallbackId


class AssignTo(CallbackData, prefix="asg"):
    """One secretary in the list the card's Assign button opens, and who held the question
    when the list was made (0: nobody), so a stale list cannot undo a newer change."""

    question_id: CallbackId
    user_id: CallbackId
    holder: CallbackId = 0


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
    # The files sent with the question (listed on the card, sent under it).
    attachments: Sequence[QuestionAttachment] = ()


class RateAction(CallbackData, prefix="rate"):
    question_id: CallbackId
    helpful: bool


class FollowUpAction(CallbackData, prefix="fup"):
    question_id: CallbackId


class KeepUnpublished(CallbackData, prefix="nopub"):
    """ "Do not publish": the citizen takes back their consent to publication."""

    question_id: CallbackId


def keep_unpublished_button(question: Question) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=_("🚫 Do not publish"),
        callback_data=KeepUnpublished(question_id=question.id).pack(),
    )


class ObjectAction(CallbackData, prefix="obj"):
    """ "I do not agree" under an answer or a rejection."""

    question_id: CallbackId


class StaffNews(enum.StrEnum):
    """What the citizen did to their question that the council's staff are told of."""

    WITHDRAWN = "withdrawn"
    EDITED = "edited"
    OBJECTED = "objected"


@contextmanager
def speaking(i18n: I18n, language: str) -> Iterator[None]:
    """Translate with `_()` in `language`, also outside a handler (scheduled jobs)."""
    with i18n.context(), i18n.use_locale(language):
        yield


def status_name(status: QuestionStatus) -> str:
    return f"{STATUS_ICONS[status]} {_(STATUS_NAMES[status])}"


def card_keyboard(question: Question) -> InlineKeyboardMarkup | None:
    if question.status == QuestionStatus.ANSWERED and question.publish_consent:
        # The citizen allowed it: the answer may go to /faq, and come off it.
        published = question.published_at is not None
        label = _("Remove from /faq") if published else _("🌐 Publish in /faq")
        command = CardCommand.UNPUBLISH if published else CardCommand.PUBLISH
        builder = InlineKeyboardBuilder()
        builder.button(
            text=label, callback_data=CardAction(action=command, question_id=question.id)
        )
        return builder.as_markup()
    if not question.is_open:
        return None
    builder = InlineKeyboardBuilder()
    if question.status in TAKEABLE_STATUSES:
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
    labels = [short_name(secretary) for secretary in secretaries]
    for secretary, label in zip(secretaries, labels, strict=True):
        mark = "📌 " if secretary.id == question.assigned_to else ""
        if labels.count(label) > 1:
            # Two of the same name are told apart.
            label += f" (@{secretary.username})" if secretary.username else f" ({secretary.id})"
        builder.button(
            text=mark + label,
            callback_data=AssignTo(
                question_id=question.id,
                user_id=secretary.id,
                holder=question.assigned_to or 0,
            ),
        )
    builder.adjust(2)
    return builder.as_markup()


def short_name(user: User | None, limit: int = 24) -> str:
    """A staff member's name short enough for a button (plain text: buttons are not HTML)."""
    if user is None:
        return "—"
    name = " ".join((user.full_name or "").split()) or (user.username or str(user.id))
    return name if len(name) <= limit else name[: limit - 1] + "…"


def answer_keyboard(
    question: Question, can_follow_up: bool, can_object: bool = False
) -> InlineKeyboardMarkup | None:
    """Under an answer (rating, follow-up, objection) or a rejection (objection only)."""
    builder = InlineKeyboardBuilder()
    rate = question.rating is None and question.status == QuestionStatus.ANSWERED
    if rate:
        builder.button(text="👍", callback_data=RateAction(question_id=question.id, helpful=True))
        builder.button(text="👎", callback_data=RateAction(question_id=question.id, helpful=False))
    if can_follow_up:
        builder.button(
            text=_("Ask a follow-up"), callback_data=FollowUpAction(question_id=question.id)
        )
    if can_object:
        builder.button(
            text=_("❗ I do not agree"), callback_data=ObjectAction(question_id=question.id)
        )
    if rate:
        builder.adjust(2, 1, 1)
    else:
        builder.adjust(1)
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
    attachments = context.attachments
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
        lines += attachment_lines(attachments)
    if question.publish_consent:
        if question.published_at is not None and question.status == QuestionStatus.ANSWERED:
            lines.append(
                _("🌐 Published in /faq: {when}").format(
                    when=format_when(question.published_at, language, tz)
                )
            )
        else:
            lines.append(_("🌐 The citizen allows publishing the answer without their name"))
    if question.edited_at is not None:
        lines.append(
            _("✏️ Text changed by the citizen: {when}").format(
                when=format_when(question.edited_at, language, tz)
            )
        )
    tail = []
    if question.is_open:
        tail = ["", _("Reply to this message with the answer, or use the buttons.")]
    objection: list[str] = []
    if question.objected_at is not None and question.objection:
        objection = [
            "",
            _("❗ The citizen does not agree with the answer ({when}):").format(
                when=format_when(question.objected_at, language, tz)
            ),
        ]
    # The card is one message: the question's text is cut (with "…") only if the rest leaves
    # it no room, and the objection's reason gets what is left (both stay whole in /q).
    frame = [*lines, "", "", *objection, *([""] if objection else []), *tail]
    room = MESSAGE_LIMIT - visible_length("\n".join(frame))
    text = _fit(question.text, room - (REASON_ROOM if objection else 0))
    lines += ["", html.quote(text)]
    if objection:
        room -= len(text.encode("utf-16-le")) // 2
        lines += [*objection, html.quote(_fit(question.objection or "", room))]
    return "\n".join(lines + tail)


def attachment_lines(attachments: Sequence[QuestionAttachment]) -> list[str]:
    """What is under the card: photos and documents counted, voice messages and video notes
    with their lengths."""
    lines = []
    photos = sum(1 for item in attachments if item.kind == "photo")
    documents = sum(1 for item in attachments if item.kind == "document")
    if photos:
        lines.append(ngettext("• {count} photo", "• {count} photos", photos).format(count=photos))
    if documents:
        lines.append(
            ngettext("• {count} document", "• {count} documents", documents).format(
                count=documents
            )
        )
    voices = [duration_text(item.duration or 0) for item in attachments if item.kind == "voice"]
    if voices:
        lines.append(
            ngettext(
                "• 🎤 {count} voice message: {durations}",
                "• 🎤 {count} voice messages: {durations}",
                len(voices),
            ).format(count=len(voices), durations=", ".join(voices))
        )
    notes = [
        duration_text(item.duration or 0) for item in attachments if item.kind == "video_note"
    ]
    if notes:
        lines.append(
            ngettext(
                "• 📹 {count} video note: {durations}",
                "• 📹 {count} video notes: {durations}",
                len(notes),
            ).format(count=len(notes), durations=", ".join(notes))
        )
    return lines


def duration_text(seconds: int) -> str:
    """A recording's length as players show it: 0:07, 4:59, 1:02:03."""
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def _fit(text: str, budget: int) -> str:
    """`text`, cut to `budget` UTF-16 units with "…" when longer (the whole of it stays in
    the ticket's history)."""
    if len(text.encode("utf-16-le")) // 2 <= budget:
        return text
    while text and len(text.encode("utf-16-le")) // 2 > budget - 1:
        text = text[:-1]
    return text.rstrip() + "…"


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
        if entry.action in ("assigned", "released") and names is not None and entry.detail:
            assignee = int(entry.detail) if entry.detail.isdecimal() else None
            line += " → " + html.quote(names.get(assignee or 0, entry.detail))
        details = STAFF_DETAIL_ACTIONS if names is not None else CITIZEN_DETAIL_ACTIONS
        if entry.action in details and entry.detail:
            line += ": " + html.quote(entry.detail)
        lines.append(line)
    return lines


def staff_news_text(question: Question, news: StaffNews, language: str) -> str:
    """What the council's staff are told when the citizen withdraws, edits or objects."""
    if news == StaffNews.WITHDRAWN:
        return _(
            "↩️ The citizen has withdrawn question {ticket}: nothing more to do on it."
        ).format(ticket=question.ticket)
    if news == StaffNews.EDITED:
        return _(
            "✏️ The citizen has changed the text of question {ticket}. The card shows the new "
            "text; /q {ticket} shows the earlier one in its history."
        ).format(ticket=question.ticket)
    return "\n".join(
        [
            _(
                "❗ The citizen does not agree with the answer to {ticket}: the question is open "
                "again, answer due {day}."
            ).format(ticket=question.ticket, day=format_day(question.due_date, language)),
            _("Reason: {reason}").format(reason=html.quote(question.objection or "")),
        ]
    )


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
        attachments=await questions.attachments(question.id),
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
        targets = await self._staff_targets(session, council)
        attachments = list(context.attachments)
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

    async def _staff_targets(
        self, session: AsyncSession, council: Council
    ) -> list[tuple[int, str]]:
        """Where the council's staff read about its questions, each chat with its language: the
        bound staff group, or else every secretary privately (or, with no secretary yet, the
        superadmins)."""
        targets: list[tuple[int, str]] = []
        if council.staff_chat_id is not None:
            targets.append((council.staff_chat_id, council.default_language))
        else:
            for secretary in await CouncilRepository(session).secretaries(council.id):
                targets.append((secretary.id, secretary.language or council.default_language))
        if not targets:
            # Nobody to read it yet: the superadmins see it rather than nobody.
            users = UserRepository(session)
            for admin_id in sorted(self.settings.admin_ids):
                admin = await users.get(admin_id)
                targets.append((admin_id, (admin and admin.language) or council.default_language))
        return targets

    async def tell_staff(self, session: AsyncSession, question: Question, news: StaffNews) -> int:
        """Tell the council's staff what the citizen did to their question, where new cards go
        (see post_card), as a reply to the question's card in that chat when there is one.
        Returns how many chats got it."""
        council = await CouncilRepository(session).get(question.council_id)
        assert council is not None
        cards = {
            card.chat_id: card.message_id
            for card in await QuestionRepository(session).cards(question.id)
        }
        told = 0
        for chat_id, language in await self._staff_targets(session, council):
            with speaking(self.i18n, language):
                text = staff_news_text(question, news, language)
            card = cards.get(chat_id)
            reply = (
                ReplyParameters(message_id=card, allow_sending_without_reply=True)
                if card is not None
                else None
            )
            try:
                await self.bot.send_message(chat_id, text, reply_parameters=reply)
            except TelegramAPIError as exc:
                logger.warning(
                    "news of %s to chat %s not delivered: %s", question.id, chat_id, exc
                )
                continue
            told += 1
        return told

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

    async def tell_citizen(
        self, session: AsyncSession, question: Question, can_follow_up: bool = False
    ) -> Outcome:
        """Tell the citizen, in their language, what just happened to their question; say
        whether it reached them. `can_follow_up` (the service's rule) offers the follow-up under
        an answer."""
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
                text = "\n".join(
                    [
                        _("💬 Answer to your question {ticket}:").format(ticket=question.ticket),
                        "",
                        html.quote(question.resolution or ""),
                        "",
                        _("Was this helpful?"),
                    ]
                )
                # Just answered: the objection's deadline cannot have passed yet.
                markup = answer_keyboard(
                    question, can_follow_up, can_object=question.objected_at is None
                )
            elif question.status == QuestionStatus.REJECTED:
                text = "\n".join(
                    [
                        _("⛔ Your question {ticket} was rejected.").format(
                            ticket=question.ticket
                        ),
                        _("Reason: {reason}").format(reason=html.quote(question.resolution or "")),
                    ]
                )
                markup = answer_keyboard(
                    question, can_follow_up=False, can_object=question.objected_at is None
                )
            else:
                raise ValueError(f"nothing to tell about a {question.status} question")
            files = []
            if question.status == QuestionStatus.ANSWERED:
                files = await QuestionRepository(session).attachments(question.id, "answer")
            return await self._tell(citizen, question, text, markup, files)

    async def tell_published(
        self, session: AsyncSession, question: Question, edited: bool
    ) -> Outcome:
        """Tell the citizen, in their language, that their question is in /faq now (or that its
        published wording changed), in the words shown, with the button that takes it off."""
        citizen = await UserRepository(session).get(question.citizen_id)
        if citizen is None:
            return Outcome.FAILED
        language = citizen.language or self.default_language
        with speaking(self.i18n, language):
            if edited:
                head = _("🌐 The published wording of your question {ticket} is changed:")
            else:
                head = _(
                    "🌐 Your question {ticket} and the council's answer are published in /faq, "
                    "without your name, in these words:"
                )
            text = "\n".join(
                [
                    head.format(ticket=question.ticket),
                    "",
                    # Whole (see PUBLISHED_WORDING_SHOWN); cut only should MAX_TEXT grow.
                    html.quote(_fit(question.public_text, PUBLISHED_WORDING_SHOWN)),
                    "",
                    _("If you do not want it published, press the button: it is removed at once."),
                ]
            )
            markup = InlineKeyboardMarkup(inline_keyboard=[[keep_unpublished_button(question)]])
            return await self._tell(citizen, question, text, markup)

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
                return Outcome.PARTIAL
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
    """Files under a message: each voice message and video note as itself (a video note takes
    no caption), photos as one album, documents as another (Telegram does not mix them), a single
    file as itself. Says whether all of them arrived."""
    reply = ReplyParameters(message_id=reply_to) if reply_to is not None else None
    delivered = True
    for item in files:
        try:
            if item.kind == "voice":
                await bot.send_voice(
                    chat_id, item.file_id, caption=caption, reply_parameters=reply
                )
            elif item.kind == "video_note":
                await bot.send_video_note(chat_id, item.file_id, reply_parameters=reply)
        except TelegramAPIError as exc:
            logger.warning("a recording to chat %s not delivered: %s", chat_id, exc)
            delivered = False
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
