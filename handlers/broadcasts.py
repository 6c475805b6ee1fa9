"""Announcements: citizens subscribe and unsubscribe; secretaries compose a broadcast
(/broadcast: texts per language → photo → audience → when → preview → confirm), list them
(/broadcasts) and cancel or stop one (/broadcast_cancel)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.text_decorations import html_decoration as html

from bot.callback_ids import CallbackId
from bot.config import LANGUAGES
from bot.i18n import format_when, in_language, zone_name
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
    check_text,
    council_tz,
    parse_when,
    pick_text,
)
from bot.services.container import Services
from bot.services.councils import Staff
from bot.services.errors import BroadcastRefusal
from bot.views.refusals import refusal
from db.models import Broadcast, BroadcastKind, BroadcastStatus, Council, User
from handlers.filters import IsStaff
from handlers.menu import council_keyboard
from handlers.replies import send_lines
from handlers.staff import staff_only
from handlers.wizard import (
    EXAMPLE_TIME,
    Again,
    Choice,
    CouncilStep,
    MomentStep,
    Step,
    TextsStep,
    Turn,
    Wizard,
    moment_of,
    options,
    staff_councils,
)

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


class SubscribeTo(CallbackData, prefix="sub"):
    council_id: CallbackId


def _language(user: User | None) -> str:
    return (user.language if user else None) or get_i18n().current_locale


# -- subscribing --------------------------------------------------------------------------


async def subscribe_newcomer(message: Message, services: Services, user: User) -> None:
    """On the first language choice: with one council, subscribe; with several, ask which.
    Staff are not subscribed: they are no audience unless they subscribe themselves."""
    offer = await services.subscriptions.subscribe_newcomer(user.id, services.settings)
    if offer:
        await _offer(message, offer, user)


async def subscribe(message: Message, services: Services, user: User) -> None:
    councils = await services.councils.all()
    if len(councils) == 1:
        await _subscribe(message, services, user, councils[0])
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
    services: Services,
    user: User,
) -> None:
    council = await services.councils.find(callback_data.council_id)
    if council is None or not isinstance(query.message, Message):
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    await query.answer()
    await _subscribe(query.message, services, user, council)


async def _subscribe(message: Message, services: Services, user: User, council: Council) -> None:
    await services.subscriptions.subscribe(user.id, council.id)
    await message.answer(
        _("You are subscribed to the announcements of {council}. To stop: /unsubscribe").format(
            council=html.quote(council.name(_language(user)))
        )
    )


async def unsubscribe(message: Message, services: Services, user: User) -> None:
    await services.subscriptions.unsubscribe_everywhere(user.id)
    await message.answer(_unsubscribed_text())


async def unsubscribe_pressed(
    query: CallbackQuery,
    callback_data: Unsubscribe,
    services: Services,
    user: User,
) -> None:
    if await services.councils.find(callback_data.council_id) is None:
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    await services.subscriptions.unsubscribe(user.id, callback_data.council_id)
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


async def compose(message: Message, state: FSMContext, **env: Any) -> None:
    await COMPOSE.start(message, state, env)


def _announcement(message: Message) -> str:
    return check_text(message.html_text, with_photo=False)


@dataclass
class PhotoStep(Step):
    """A photo to go with the texts, or /skip; with a photo every text must fit a caption."""

    async def read(self, turn: Turn, message: Message) -> Any:
        if not message.photo:
            raise Again(_("Please send a photo, or /skip."))
        try:
            for text in turn.answers["texts"].values():
                check_text(text, with_photo=True)
        except BroadcastError as error:
            raise Again(refusal(error) + "\n" + _("With a photo the limit is lower.")) from None
        return message.photo[-1].file_id


async def _audiences(_turn: Turn) -> list[tuple[str, str]]:
    return [(_("All subscribers"), "all")] + [
        (_("Only readers {in_language}").format(in_language=in_language(code)), code)
        for code in LANGUAGES
    ]


async def _when_prompt(turn: Turn) -> str:
    return _("When? Press “Send now”, or write a date and time like {example} ({tz}).").format(
        example=EXAMPLE_TIME, tz=zone_name(await turn.zone(), turn.language)
    )


def _when_hint() -> str:
    return _("Write the date and time like {example}, or press “Send now”.").format(
        example=EXAMPLE_TIME
    )


async def _when_again(_turn: Turn) -> str:
    """What a sticker or a file at the "When?" step is told."""
    return _when_hint()


def _parse_when(text: str, zone: ZoneInfo) -> datetime:
    moment = parse_when(text, zone)
    if moment is None:
        raise Again(_when_hint())
    return moment


async def _not_past(turn: Turn, moment: datetime) -> None:
    if moment <= turn.clock.now():
        raise BroadcastError(BroadcastRefusal.IN_THE_PAST)


def _audience(turn: Turn) -> str | None:
    audience: str = turn.answers["audience"]
    return None if audience == "all" else audience


async def _preview(turn: Turn) -> None:
    """Each language's message exactly as a citizen will see it."""
    council = await turn.council()
    texts = turn.answers["texts"]
    draft = Broadcast(text_kk=texts.get("kk"), text_ru=texts.get("ru"), text_en=texts.get("en"))
    audience = _audience(turn)
    for language in [audience] if audience else LANGUAGES:
        text = pick_text(draft, language, council.default_language)
        fallback = "" if texts.get(language) else " " + _("(no text: falls back)")
        await turn.message.answer(
            _("Preview for readers {in_language}:").format(in_language=in_language(language))
            + fallback
        )
        # The citizen's buttons, but inert: pressing one under a preview only says so.
        markup = preview_keyboard(turn.i18n, language)
        if photo := turn.answers.get("photo"):
            await turn.message.answer_photo(photo, caption=text, reply_markup=markup)
        else:
            await turn.message.answer(text, reply_markup=markup)


async def _send_to_how_many(turn: Turn) -> str:
    council = await turn.council()
    count = await turn.services.subscriptions.audience(council, _audience(turn))
    if when := moment_of(turn.answers["when"]):
        return ngettext(
            "Send to {count} subscriber at {when}?",
            "Send to {count} subscribers at {when}?",
            count,
        ).format(count=count, when=format_when(when, turn.language, ZoneInfo(council.timezone)))
    return ngettext(
        "Send to {count} subscriber now?", "Send to {count} subscribers now?", count
    ).format(count=count)


async def _create(turn: Turn) -> None:
    if turn.answers["confirm"] != "send":
        await turn.message.answer(_("Cancelled. Nothing was sent."))
        return
    scheduled = moment_of(turn.answers["when"])
    draft = BroadcastDraft(
        council_id=turn.answers["council_id"],
        texts=turn.answers["texts"],
        photo_file_id=turn.answers.get("photo"),
        audience_language=_audience(turn),
        scheduled_at=scheduled or turn.clock.now(),
    )
    try:
        broadcast = await turn.services.broadcasts.create(draft, turn.env["staff"])
    except BroadcastError as error:
        await turn.message.answer(refusal(error))
        return
    if scheduled is not None:
        when = format_when(broadcast.scheduled_at, turn.language, await turn.zone())
        await turn.message.answer(
            _("Broadcast #{id} is scheduled for {when}. To cancel: /broadcast_cancel {id}").format(
                id=broadcast.id, when=when
            )
        )
        return
    await turn.message.answer(
        _("Broadcast #{id} is starting. To stop it: /broadcast_cancel {id}").format(
            id=broadcast.id
        )
    )
    broadcaster: Broadcaster = turn.env["broadcaster"]
    await broadcaster.tick()


COMPOSE = Wizard(
    "bc",
    [
        CouncilStep(
            "council_id",
            prompt=__("Which council is the broadcast from?"),
            councils=staff_councils,
        ),
        TextsStep(
            "texts",
            prompt=__("Send the text {in_language}, or /skip if there is none."),
            parse=_announcement,
            missing=lambda: BroadcastError(BroadcastRefusal.NO_TEXT),
        ),
        PhotoStep("photo", prompt=__("Send a photo to go with the text, or /skip."), skip=True),
        Choice("audience", prompt=__("Who should receive it?"), options=_audiences),
        MomentStep(
            "when",
            prompt=_when_prompt,
            parse=_parse_when,
            check=_not_past,
            now=__("Send now"),
            not_text=_when_again,
        ),
        Choice(
            "confirm",
            prompt=_send_to_how_many,
            intro=_preview,
            options=options((__("Confirm"), "send"), (__("Cancel"), "cancel")),
            columns=2,
        ),
    ],
    finish=_create,
)


# -- listing and cancelling ---------------------------------------------------------------


async def list_broadcasts(message: Message, services: Services, staff: Staff, user: User) -> None:
    reports = await services.broadcasts.reports(staff)
    if not reports:
        await message.answer(_("No broadcasts yet. To make one: /broadcast"))
        return
    lines = [_("Broadcasts, newest first:")]
    for report in reports:
        broadcast, counts = report.broadcast, report.counts
        total = sum(counts.values())
        when = format_when(broadcast.scheduled_at, _language(user), council_tz(report.council))
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
    services: Services,
    staff: Staff,
) -> None:
    broadcast_id = parse_number((command.args or "").strip().lstrip("#"))
    if broadcast_id is None:
        await message.answer(html.quote(_("Usage: /broadcast_cancel <id>")))
        return
    status = await services.broadcasts.cancel(broadcast_id, staff)
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
    message = staff.message.register
    message(compose, Command("broadcast"), StateFilter("*"))
    message(list_broadcasts, Command("broadcasts"), StateFilter("*"))
    message(cancel_broadcast, Command("broadcast_cancel"), StateFilter("*"))
    staff.include_router(COMPOSE.router())

    others = Router(name=f"{__name__}.others")
    others.message.register(
        staff_only,
        Command("broadcast", "broadcasts", "broadcast_cancel"),
        StateFilter("*"),
    )
    router.include_routers(staff, others)
    return router
