"""Announcements: citizens subscribe and unsubscribe; secretaries compose a broadcast
(/broadcast: texts per language → photo → audience → when → preview → confirm), list them
(/broadcasts) and cancel or stop one (/broadcast_cancel)."""

from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n, get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram.utils.text_decorations import html_decoration as html
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_ids import CallbackId
from bot.clock import Clock
from bot.config import LANGUAGES, Settings
from bot.i18n import LANGUAGE_NAMES, format_when
from bot.jobs.broadcaster import (
    Broadcaster,
    PreviewButton,
    Unsubscribe,
    preview_keyboard,
    without_unsubscribe,
)
from bot.numbers import parse_number
from bot.services.broadcasts import (
    BroadcastDraft,
    BroadcastError,
    BroadcastService,
    SubscriptionService,
    check_text,
    parse_when,
    pick_text,
)
from bot.services.councils import Staff, scope_of
from bot.services.errors import BroadcastRefusal
from bot.views.refusals import refusal
from db.models import Broadcast, BroadcastKind, BroadcastStatus, Council, User
from db.repositories.broadcasts import BroadcastRepository, SubscriptionRepository
from db.repositories.councils import CouncilRepository
from handlers.filters import IsStaff
from handlers.menu import council_keyboard
from handlers.replies import send_lines
from handlers.staff import staff_only

KIND_ICONS = {
    BroadcastKind.ANNOUNCEMENT: "📣",
    BroadcastKind.EVENT: "📅",
    BroadcastKind.REMINDER: "⏰",
    BroadcastKind.EVENT_NOTICE: "ℹ️",
}
STATUS_NAMES = {
    BroadcastStatus.SCHEDULED: "🕒",
    BroadcastStatus.RUNNING: "📤",
    BroadcastStatus.DONE: "✅",
    BroadcastStatus.CANCELLED: "✖️",
    BroadcastStatus.STOPPED: "⏹",
}


class Compose(StatesGroup):
    council = State()
    text = State()
    photo = State()
    audience = State()
    when = State()
    confirm = State()


class ComposeCouncil(CallbackData, prefix="bcc"):
    council_id: CallbackId


class ComposeAudience(CallbackData, prefix="bca"):
    language: str  # "all" or a language code


class ComposeNow(CallbackData, prefix="bcn"):
    pass


class ComposeConfirm(CallbackData, prefix="bcf"):
    send: bool


class SubscribeTo(CallbackData, prefix="sub"):
    council_id: CallbackId


def _language(user: User | None) -> str:
    return (user.language if user else None) or get_i18n().current_locale


# -- subscribing --------------------------------------------------------------------------


async def subscribe_newcomer(
    message: Message, session: AsyncSession, clock: Clock, user: User, settings: Settings
) -> None:
    """On the first language choice: with one council, subscribe; with several, ask which.
    Staff are not subscribed: they are no audience unless they subscribe themselves."""
    offer = await SubscriptionService(session, clock).subscribe_newcomer(user.id, settings)
    if offer:
        await _offer(message, offer, user)


async def subscribe(message: Message, session: AsyncSession, clock: Clock, user: User) -> None:
    councils = await CouncilRepository(session).all()
    if len(councils) == 1:
        await _subscribe(message, session, clock, user, councils[0])
    else:
        await _offer(message, councils, user)


async def _offer(message: Message, councils: list[Council], user: User) -> None:
    await message.answer(
        _("Which council's announcements do you want to receive?"),
        reply_markup=council_keyboard(
            councils, _language(user), lambda id_: SubscribeTo(council_id=id_)
        ),
    )


async def subscribe_pressed(
    query: CallbackQuery,
    callback_data: SubscribeTo,
    session: AsyncSession,
    clock: Clock,
    user: User,
) -> None:
    council = await CouncilRepository(session).get(callback_data.council_id)
    if council is None or not isinstance(query.message, Message):
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    await query.answer()
    await _subscribe(query.message, session, clock, user, council)


async def _subscribe(
    message: Message, session: AsyncSession, clock: Clock, user: User, council: Council
) -> None:
    await SubscriptionService(session, clock).subscribe(user.id, council.id)
    await message.answer(
        _("You are subscribed to the announcements of {council}. To stop: /unsubscribe").format(
            council=html.quote(council.name(_language(user)))
        )
    )


async def unsubscribe(message: Message, session: AsyncSession, clock: Clock, user: User) -> None:
    await SubscriptionService(session, clock).unsubscribe_everywhere(user.id)
    await message.answer(_unsubscribed_text())


async def unsubscribe_pressed(
    query: CallbackQuery,
    callback_data: Unsubscribe,
    session: AsyncSession,
    clock: Clock,
    user: User,
) -> None:
    if await CouncilRepository(session).get(callback_data.council_id) is None:
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    await SubscriptionService(session, clock).unsubscribe(user.id, callback_data.council_id)
    await query.answer(_unsubscribed_text(), show_alert=True)
    if isinstance(query.message, Message):
        # Only Unsubscribe goes: "I will attend" and "Add to calendar" still apply.
        await query.message.edit_reply_markup(
            reply_markup=without_unsubscribe(query.message.reply_markup)
        )


async def preview_pressed(query: CallbackQuery) -> None:
    await query.answer(
        _("This is a preview: the buttons work in the announcement citizens receive."),
        show_alert=True,
    )


def _unsubscribed_text() -> str:
    return _(
        "You will no longer receive announcements. Answers to your questions still come. "
        "To subscribe again: /subscribe"
    )


# -- composing (secretaries) --------------------------------------------------------------


async def compose(
    message: Message, state: FSMContext, session: AsyncSession, staff: Staff, user: User
) -> None:
    await state.clear()
    council_ids = sorted(await scope_of(session, staff))
    councils = [c for c in await CouncilRepository(session).all() if c.id in council_ids]
    if len(councils) == 1:
        await _ask_text(message, state, councils[0].id, 0)
        return
    markup = council_keyboard(
        councils, _language(user), lambda id_: ComposeCouncil(council_id=id_)
    )
    await state.set_state(Compose.council)
    await message.answer(_("Which council is the broadcast from?"), reply_markup=markup)


async def council_chosen(
    query: CallbackQuery,
    callback_data: ComposeCouncil,
    state: FSMContext,
    staff: Staff,
) -> None:
    if not staff.can_act(callback_data.council_id) or not isinstance(query.message, Message):
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    await query.answer()
    await _ask_text(query.message, state, callback_data.council_id, 0)


async def _ask_text(message: Message, state: FSMContext, council_id: int, index: int) -> None:
    await state.set_state(Compose.text)
    await state.update_data(council_id=council_id, index=index)
    language = LANGUAGES[index]
    await message.answer(
        _("Send the text in {language}, or /skip if there is none.").format(
            language=LANGUAGE_NAMES[language]
        )
    )


async def text_received(message: Message, state: FSMContext) -> None:
    if message.text is None:
        await message.answer(_("Please send the text of the announcement, or /skip."))
        return
    try:
        text = check_text(message.html_text, with_photo=False)
    except BroadcastError as error:
        await message.answer(refusal(error))
        return
    data = await state.get_data()
    texts = dict(data.get("texts", {}))
    texts[LANGUAGES[data["index"]]] = text
    await state.update_data(texts=texts)
    await _next_text(message, state)


async def text_skipped(message: Message, state: FSMContext) -> None:
    await _next_text(message, state)


async def _next_text(message: Message, state: FSMContext) -> None:
    data = await state.get_data()
    index = data["index"] + 1
    if index < len(LANGUAGES):
        await _ask_text(message, state, data["council_id"], index)
        return
    if not data.get("texts"):
        await message.answer(refusal(BroadcastError(BroadcastRefusal.NO_TEXT)))
        await _ask_text(message, state, data["council_id"], 0)
        return
    await state.set_state(Compose.photo)
    await message.answer(_("Send a photo to go with the text, or /skip."))


async def photo_received(message: Message, state: FSMContext) -> None:
    if not message.photo:
        await message.answer(_("Please send a photo, or /skip."))
        return
    data = await state.get_data()
    try:
        for text in data["texts"].values():
            check_text(text, with_photo=True)
    except BroadcastError as error:
        await message.answer(refusal(error) + "\n" + _("With a photo the limit is lower."))
        return
    await state.update_data(photo=message.photo[-1].file_id)
    await _ask_audience(message, state)


async def photo_skipped(message: Message, state: FSMContext) -> None:
    await _ask_audience(message, state)


async def _ask_audience(message: Message, state: FSMContext) -> None:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("All subscribers"), callback_data=ComposeAudience(language="all"))
    for code in LANGUAGES:
        builder.button(
            text=_("Only {language}").format(language=LANGUAGE_NAMES[code]),
            callback_data=ComposeAudience(language=code),
        )
    builder.adjust(1)
    await state.set_state(Compose.audience)
    await message.answer(_("Who should receive it?"), reply_markup=builder.as_markup())


async def audience_chosen(
    query: CallbackQuery,
    callback_data: ComposeAudience,
    state: FSMContext,
    session: AsyncSession,
) -> None:
    if callback_data.language not in ("all", *LANGUAGES) or not isinstance(query.message, Message):
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    await query.answer()
    audience = None if callback_data.language == "all" else callback_data.language
    await state.update_data(audience=audience)
    await state.set_state(Compose.when)
    council = await CouncilRepository(session).get((await state.get_data())["council_id"])
    assert council is not None
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Send now"), callback_data=ComposeNow())
    await query.message.answer(
        _("When? Press “Send now”, or write a date and time like {example} ({tz}).").format(
            example="06.02.2027 15:00", tz=council.timezone
        ),
        reply_markup=builder.as_markup(),
    )


async def when_now(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    i18n: I18n,
    user: User,
) -> None:
    await query.answer()
    await state.update_data(when=None)
    if isinstance(query.message, Message):
        await _preview(query.message, state, session, clock, i18n, user)


async def when_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    i18n: I18n,
    user: User,
) -> None:
    council = await CouncilRepository(session).get((await state.get_data())["council_id"])
    assert council is not None
    moment = parse_when(message.text or "", ZoneInfo(council.timezone))
    if moment is None:
        await message.answer(
            _("Write the date and time like {example}, or press “Send now”.").format(
                example="06.02.2027 15:00"
            )
        )
        return
    if moment <= clock.now():
        await message.answer(refusal(BroadcastError(BroadcastRefusal.IN_THE_PAST)))
        return
    await state.update_data(when=moment.isoformat())
    await _preview(message, state, session, clock, i18n, user)


async def _preview(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    i18n: I18n,
    user: User,
) -> None:
    """Show each language's message exactly as a citizen will see it, then ask to confirm."""
    data = await state.get_data()
    council = await CouncilRepository(session).get(data["council_id"])
    assert council is not None
    draft = Broadcast(
        text_kk=data["texts"].get("kk"),
        text_ru=data["texts"].get("ru"),
        text_en=data["texts"].get("en"),
    )
    languages = [data["audience"]] if data.get("audience") else list(LANGUAGES)
    for language in languages:
        text = pick_text(draft, language, council.default_language)
        fallback = "" if data["texts"].get(language) else " " + _("(no text: falls back)")
        await message.answer(
            _("Preview for readers of {language}:").format(language=LANGUAGE_NAMES[language])
            + fallback
        )
        # The citizen's buttons, but inert: pressing one under a preview only says so.
        markup = preview_keyboard(i18n, language)
        if data.get("photo"):
            await message.answer_photo(data["photo"], caption=text, reply_markup=markup)
        else:
            await message.answer(text, reply_markup=markup)
    audience = await SubscriptionRepository(session).count_audience(
        council.id, data.get("audience"), council.default_language
    )
    if data.get("when"):
        when = format_when(
            datetime.fromisoformat(data["when"]), _language(user), ZoneInfo(council.timezone)
        )
        question = ngettext(
            "Send to {count} subscriber at {when}?",
            "Send to {count} subscribers at {when}?",
            audience,
        ).format(count=audience, when=when)
    else:
        question = ngettext(
            "Send to {count} subscriber now?", "Send to {count} subscribers now?", audience
        ).format(count=audience)
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Confirm"), callback_data=ComposeConfirm(send=True))
    builder.button(text=_("Cancel"), callback_data=ComposeConfirm(send=False))
    builder.adjust(2)
    await state.set_state(Compose.confirm)
    await message.answer(question, reply_markup=builder.as_markup())


async def confirmed(
    query: CallbackQuery,
    callback_data: ComposeConfirm,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    staff: Staff,
    user: User,
    broadcaster: Broadcaster,
) -> None:
    data = await state.get_data()
    await state.clear()
    await query.answer()
    if not isinstance(query.message, Message):
        return
    await query.message.edit_reply_markup(reply_markup=None)
    if not callback_data.send:
        await query.message.answer(_("Cancelled. Nothing was sent."))
        return
    when = datetime.fromisoformat(data["when"]) if data.get("when") else clock.now()
    draft = BroadcastDraft(
        council_id=data["council_id"],
        texts=data["texts"],
        photo_file_id=data.get("photo"),
        audience_language=data.get("audience"),
        scheduled_at=when,
    )
    try:
        broadcast = await BroadcastService(session, clock).create(draft, staff)
    except BroadcastError as error:
        await query.message.answer(refusal(error))
        return
    if data.get("when"):
        council = await CouncilRepository(session).get(broadcast.council_id)
        assert council is not None
        await query.message.answer(
            _("Broadcast #{id} is scheduled for {when}. To cancel: /broadcast_cancel {id}").format(
                id=broadcast.id,
                when=format_when(
                    broadcast.scheduled_at, _language(user), ZoneInfo(council.timezone)
                ),
            )
        )
    else:
        await query.message.answer(
            _("Broadcast #{id} is starting. To stop it: /broadcast_cancel {id}").format(
                id=broadcast.id
            )
        )
        await broadcaster.tick()


async def wrong_input(message: Message) -> None:
    await message.answer(_("Please use the buttons above, or /cancel to stop."))


# -- listing and cancelling ---------------------------------------------------------------


async def list_broadcasts(
    message: Message, session: AsyncSession, staff: Staff, user: User
) -> None:
    council_ids = await scope_of(session, staff)
    repo = BroadcastRepository(session)
    broadcasts = await repo.of_councils(council_ids)
    if not broadcasts:
        await message.answer(_("No broadcasts yet. To make one: /broadcast"))
        return
    councils = {c.id: c for c in await CouncilRepository(session).all()}
    lines = [_("Broadcasts, newest first:")]
    for broadcast in broadcasts:
        counts = await repo.counts(broadcast.id)
        total = sum(counts.values())
        when = format_when(
            broadcast.scheduled_at,
            _language(user),
            ZoneInfo(councils[broadcast.council_id].timezone),
        )
        lines.append(
            _(
                "#{id} {status} {when}: sent {sent}/{total}, blocked {blocked}, failed {failed}"
            ).format(
                id=broadcast.id,
                status=KIND_ICONS[broadcast.kind] + STATUS_NAMES[broadcast.status],
                when=when,
                sent=counts["sent"],
                total=total,
                blocked=counts["blocked"],
                failed=counts["failed"],
            )
        )
    await send_lines(message.answer, lines)


async def cancel_broadcast(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    clock: Clock,
    staff: Staff,
) -> None:
    broadcast_id = parse_number((command.args or "").strip().lstrip("#"))
    if broadcast_id is None:
        await message.answer(html.quote(_("Usage: /broadcast_cancel <id>")))
        return
    try:
        status = await BroadcastService(session, clock).cancel(broadcast_id, staff)
    except BroadcastError as error:
        await message.answer(refusal(error))
        return
    if status == BroadcastStatus.CANCELLED:
        await message.answer(
            _("Broadcast #{id} is cancelled; nothing was sent.").format(id=broadcast_id)
        )
    else:
        await message.answer(
            _("Broadcast #{id} is stopping; the report follows.").format(id=broadcast_id)
        )


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(subscribe, Command("subscribe"), StateFilter("*"))
    router.message.register(unsubscribe, Command("unsubscribe"), StateFilter("*"))
    router.callback_query.register(unsubscribe_pressed, Unsubscribe.filter(), StateFilter("*"))
    router.callback_query.register(preview_pressed, PreviewButton.filter(), StateFilter("*"))
    router.callback_query.register(subscribe_pressed, SubscribeTo.filter(), StateFilter("*"))

    staff = Router(name=f"{__name__}.staff")
    staff.message.filter(IsStaff())
    staff.callback_query.filter(IsStaff())
    message, callback = staff.message.register, staff.callback_query.register
    message(compose, Command("broadcast"), StateFilter("*"))
    message(list_broadcasts, Command("broadcasts"), StateFilter("*"))
    message(cancel_broadcast, Command("broadcast_cancel"), StateFilter("*"))
    callback(council_chosen, ComposeCouncil.filter(), Compose.council)
    message(text_skipped, Command("skip"), Compose.text)
    message(text_received, Compose.text, ~F.text.startswith("/"))
    message(photo_skipped, Command("skip"), Compose.photo)
    message(photo_received, Compose.photo, ~F.text.startswith("/"))
    callback(audience_chosen, ComposeAudience.filter(), Compose.audience)
    callback(when_now, ComposeNow.filter(), Compose.when)
    message(when_typed, Compose.when, ~F.text.startswith("/"))
    callback(confirmed, ComposeConfirm.filter(), Compose.confirm)
    message(
        wrong_input,
        StateFilter(Compose.council, Compose.audience, Compose.confirm),
        ~F.text.startswith("/"),
    )

    others = Router(name=f"{__name__}.others")
    others.message.register(
        staff_only,
        Command("broadcast", "broadcasts", "broadcast_cancel"),
        StateFilter("*"),
    )
    router.include_routers(staff, others)
    return router
