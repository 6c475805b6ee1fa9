"""Events for citizens: /events (upcoming events of their councils, one card a page), the card a
shared link opens (t.me/<bot>?start=event_<id>), "I will attend" (choosing the venue when there
are several, or joining the waiting list when it is full), cancelling, and the calendar file."""

import logging
from functools import lru_cache
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n, get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram.utils.text_decorations import html_decoration as html

from bot.ics import event_ics
from bot.services.container import Services
from bot.services.events import (
    EventError,
    EventService,
    Registered,
    VenueNeeded,
    pick_language,
    upcoming_leads,
)
from bot.services.paging import Page
from bot.telegram_session import PlainSendMessage
from bot.views.event_cards import (
    ATTEND,
    CALENDAR,
    LEAVE,
    EventAct,
    EventAction,
    EventsPage,
    card_text,
    places_text,
    reminder_promise,
    title_of,
    venue_text,
    when_zoned,
)
from bot.views.notify import speaking
from bot.views.paging import page_buttons
from bot.views.refusals import refusal
from db.models import Event, Registration, User
from handlers.menu import show_picker

logger = logging.getLogger(__name__)

EVENT_LINK_PREFIX = "event_"
# Where a pressed button sits: under a broadcast (answer with a new message), under a card opened
# by itself (edit it), or under the card of page N of /events (edit it, keep the page): 2 + N.
FROM_MESSAGE, FROM_CARD, FROM_PAGE = 0, 1, 2


async def event_link(bot: Bot, event_id: int) -> str:
    me = await bot.me()
    return f"https://t.me/{me.username}?start={EVENT_LINK_PREFIX}{event_id}"


async def _card(
    events: EventService,
    event: Event,
    user: User,
    source: int,
    page: Page[Event] | None = None,
) -> tuple[str, InlineKeyboardMarkup]:
    """A card in the user's language with the buttons that fit their registration."""
    card = await events.card(event, user.id)
    council, registration = card.council, card.registration
    language = user.language or council.default_language
    text = card_text(
        event, card.venues, council, language, registration=registration, place=card.place
    )
    builder = InlineKeyboardBuilder()
    if card.open:
        action = EventAction.LEAVE if registration else EventAction.GO
        builder.button(
            text=_(LEAVE) if registration else _(ATTEND),
            callback_data=EventAct(action=action, event_id=event.id, src=source),
        )
    builder.button(
        text=_(CALENDAR), callback_data=EventAct(action=EventAction.ICS, event_id=event.id)
    )
    builder.adjust(1)
    if page is not None:
        builder.row(*page_buttons(page, lambda number: EventsPage(page=number), ring=True))
    return text, builder.as_markup()


async def _page(
    events: EventService, user: User, page: int
) -> tuple[str, InlineKeyboardMarkup] | None:
    shown = await events.upcoming_for(user.id, page)
    if not shown.items:  # none, or the last one ended just now
        return None
    [event] = shown.items
    return await _card(events, event, user, FROM_PAGE + shown.number, page=shown)


async def list_events(message: Message, services: Services, user: User) -> None:
    shown = await _page(services.events, user, 0)
    if shown is None:
        await message.answer(
            _("No upcoming events yet. Announcements of new ones come here (/subscribe).")
        )
        return
    text, markup = shown
    await message.answer(text, reply_markup=markup)


async def page_pressed(
    query: CallbackQuery,
    callback_data: EventsPage,
    services: Services,
    user: User,
) -> None:
    shown = await _page(services.events, user, callback_data.page)
    await query.answer()
    if not isinstance(query.message, Message):
        return
    if shown is None:
        await query.message.edit_text(_("No upcoming events yet."))
        return
    await _edit(query.message, *shown)


async def _edit(message: Message, text: str, markup: InlineKeyboardMarkup) -> None:
    try:
        await message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as exc:
        if "not modified" not in exc.message:
            raise


async def open_link(
    message: Message,
    command: CommandObject,
    services: Services,
    state: FSMContext,
    user: User,
    i18n: I18n,
) -> None:
    """/start event_<id>: the card a council shared. A newcomer picks a language first."""
    await state.clear()
    event_id = int((command.args or "").removeprefix(EVENT_LINK_PREFIX))
    if user.language is None:
        await state.update_data(open_event=event_id)
        await show_picker(message, i18n)
        return
    await send_card(message, services.events, user, event_id)


async def _visible(message: Message, events: EventService, event_id: int) -> Event | None:
    """The event a citizen asked for, or None after telling them it is not available."""
    try:
        return await events.visible(event_id)
    except EventError as error:
        await message.answer(refusal(error))
        return None


async def send_card(message: Message, events: EventService, user: User, event_id: int) -> None:
    event = await _visible(message, events, event_id)
    if event is None:
        return
    text, markup = await _card(events, event, user, FROM_CARD)
    await message.answer(text, reply_markup=markup)


async def attend_pressed(
    query: CallbackQuery,
    callback_data: EventAct,
    services: Services,
    user: User,
    bot: Bot,
    i18n: I18n,
) -> None:
    """I will attend: a place, or the waiting list (EventService.register); with several
    venues and none named, which venue."""
    message = await _card_message(query)
    if message is None:
        return
    venue_id = callback_data.venue_id if callback_data.action == EventAction.VENUE else None
    events = services.events
    try:
        result = await events.register(callback_data.event_id, user.id, venue_id)
    except VenueNeeded:
        await query.answer()
        await _ask_venue(message, events, callback_data)
        return
    # Whoever got a place hears of it first: nothing said to the presser can keep it from them.
    if result.promoted is not None:
        await tell_promoted(bot, i18n, events, result.promoted)
    await query.answer()
    promise = await _promise(services, result, _language(user))
    await _tell_registered(bot, message, events, user, result, callback_data, promise)
    await _refresh(message, events, user, callback_data)


async def leave_pressed(
    query: CallbackQuery,
    callback_data: EventAct,
    services: Services,
    user: User,
    bot: Bot,
    i18n: I18n,
) -> None:
    message = await _card_message(query)
    if message is None:
        return
    events = services.events
    promoted = await events.unregister(callback_data.event_id, user.id)
    if promoted is not None:
        await tell_promoted(bot, i18n, events, promoted)
    # No title here: a pop-up holds 200 characters, a title up to the wizard's limit.
    await query.answer(_("Your registration is cancelled."), show_alert=True)
    await _refresh(message, events, user, callback_data)


async def calendar_pressed(
    query: CallbackQuery,
    callback_data: EventAct,
    services: Services,
    user: User,
    bot: Bot,
) -> None:
    message = await _card_message(query)
    if message is None:
        return
    await query.answer()
    await _send_calendar(message, services.events, user, bot, callback_data.event_id)
    await _refresh(message, services.events, user, callback_data)


async def open_pressed(
    query: CallbackQuery, callback_data: EventAct, services: Services, user: User
) -> None:
    message = await _card_message(query)
    if message is None:
        return
    await query.answer()
    await send_card(message, services.events, user, callback_data.event_id)


async def _card_message(query: CallbackQuery) -> Message | None:
    """The message the pressed button is under, or None after saying the button is too old
    (Telegram no longer gives messages older than 48 hours)."""
    if isinstance(query.message, Message):
        return query.message
    await query.answer(_("This button is no longer valid."), show_alert=True)
    return None


async def _refresh(message: Message, events: EventService, user: User, pressed: EventAct) -> None:
    """Redraw the card the button was under, so it shows the registration as it is now."""
    if pressed.src == FROM_CARD:
        event = await events.find(pressed.event_id)
        if event is not None:
            await _edit(message, *await _card(events, event, user, FROM_CARD))
    elif pressed.src >= FROM_PAGE:
        shown = await _page(events, user, pressed.src - FROM_PAGE)
        if shown is not None:
            await _edit(message, *shown)


def _language(user: User) -> str:
    return user.language or get_i18n().current_locale


async def _ask_venue(message: Message, events: EventService, pressed: EventAct) -> None:
    venues = await events.venues(pressed.event_id)
    builder = InlineKeyboardBuilder()
    for venue in venues:
        builder.button(
            text=f"{venue.position}. {venue.name}{places_text(venue)}"[:120],
            callback_data=EventAct(
                action=EventAction.VENUE,
                event_id=pressed.event_id,
                venue_id=venue.id,
                src=pressed.src,
            ),
        )
    builder.adjust(1)
    await message.answer(_("Which venue will you come to?"), reply_markup=builder.as_markup())


async def _promise(services: Services, result: Registered, language: str) -> str:
    event = await services.events.event_of(result)
    leads = upcoming_leads(event, services.settings.reminder_leads, services.clock.now())
    return reminder_promise(leads, language)


async def _tell_registered(
    bot: Bot,
    message: Message,
    events: EventService,
    user: User,
    result: Registered,
    pressed: EventAct,
    promise: str,
) -> None:
    venue = result.venue
    event = await events.event_of(result)
    council = await events.council_of_registered(result)
    language = user.language or council.default_language
    title = title_of(event, language, council)
    if result.place is None:
        lines = [
            (
                _("You are already registered for «{title}».")
                if result.already
                else _("✅ You are registered for «{title}».")
            ).format(title=title),
            _("📍 {venue}").format(venue=venue_text(venue)),
            _("🕒 {when}").format(when=when_zoned(event, language, ZoneInfo(council.timezone))),
            promise,
        ]
    else:
        lines = [
            (
                _("You are already on the waiting list for «{title}», number {place}.")
                if result.already
                else _(
                    "⏳ All places at {venue} are taken. You are on the waiting list for "
                    "«{title}», number {place}."
                )
            ).format(title=title, venue=venue_text(venue), place=result.place),
            _("If a place frees up, it is yours, and you will get a message."),
        ]
    markup = None
    if pressed.src == FROM_MESSAGE or pressed.action == EventAction.VENUE:
        markup = _registered_buttons(event.id, get_i18n().current_locale)
    # Telegram's answer is not needed: kept as JSON, cheaper than an aiogram Message (a wave).
    await bot(
        PlainSendMessage(chat_id=message.chat.id, text="\n".join(lines), reply_markup=markup)
    )


@lru_cache(maxsize=4096)
def _registered_buttons(event_id: int, locale: str) -> InlineKeyboardMarkup:
    """Cancel and Add to calendar, labelled in `locale` (the current one): built once per event
    and language, since a wave of presses asks for the same ones thousands of times."""
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_(LEAVE), callback_data=EventAct(action=EventAction.LEAVE, event_id=event_id)
    )
    builder.button(
        text=_(CALENDAR), callback_data=EventAct(action=EventAction.ICS, event_id=event_id)
    )
    builder.adjust(1)
    return builder.as_markup()


async def tell_promoted(
    bot: Bot, i18n: I18n, events: EventService, registration: Registration
) -> None:
    """The first in the waiting list got a freed place: tell them, in their language."""
    told = await events.promotion(registration)
    event, venue, user, council = told.event, told.venue, told.user, told.council
    language = user.language or council.default_language
    with speaking(i18n, language):
        text = "\n".join(
            [
                _("🎉 A place has freed up: you are now registered for «{title}».").format(
                    title=title_of(event, language, council)
                ),
                _("📍 {venue}").format(venue=venue_text(venue)),
                _("🕒 {when}").format(
                    when=when_zoned(event, language, ZoneInfo(council.timezone))
                ),
            ]
        )
        builder = InlineKeyboardBuilder()
        builder.button(
            text=_(LEAVE), callback_data=EventAct(action=EventAction.LEAVE, event_id=event.id)
        )
        try:
            await bot.send_message(user.id, text, reply_markup=builder.as_markup())
        except TelegramAPIError as exc:
            # The place stays theirs; the card and reminders show it.
            logger.info("promotion message to %s not delivered: %s", user.id, exc)


async def _send_calendar(
    message: Message, events: EventService, user: User, bot: Bot, event_id: int
) -> None:
    event = await _visible(message, events, event_id)
    if event is None:
        return
    council, venues = await events.calendar(event, user.id)
    language = pick_language(
        event, user.language or council.default_language, council.default_language
    )
    me = await bot.me()
    content = event_ics(
        event,
        venues,
        title=event.title(language) or "",
        description=event.description(language),
        timezone=council.timezone,
        link=await event_link(bot, event.id),
        host=me.username or "bot",
        now=events.clock.now(),
    )
    await message.answer_document(
        BufferedInputFile(content, filename=_("event-{id}.ics").format(id=event.id)),
        caption=_("Open the file to add «{title}» to your calendar.").format(
            title=html.quote(event.title(language) or "")
        ),
    )


async def show_pending_event(
    message: Message, services: Services, user: User, state: FSMContext
) -> None:
    """After a newcomer who came by an event link picks a language, show them that event."""
    data = await state.get_data()
    event_id = data.get("open_event")
    if event_id is not None:
        await state.update_data(open_event=None)
        await send_card(message, services.events, user, int(event_id))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(
        open_link,
        CommandStart(deep_link=True, magic=F.args.regexp(rf"^{EVENT_LINK_PREFIX}\d{{1,9}}$")),
    )
    router.message.register(list_events, Command("events"))
    router.message.register(list_events, F.text == __("📅 Events"))
    return router


def create_buttons_router() -> Router:
    """The buttons under cards and announcements. Tried before every other router
    (handlers/__init__.py): a wave presses them by the thousand, and no other router takes
    their callback data."""
    router = Router(name=f"{__name__}.buttons")
    router.callback_query.register(page_pressed, EventsPage.filter())
    router.callback_query.register(
        attend_pressed, EventAct.filter(F.action.in_({EventAction.GO, EventAction.VENUE}))
    )
    router.callback_query.register(leave_pressed, EventAct.filter(F.action == EventAction.LEAVE))
    router.callback_query.register(calendar_pressed, EventAct.filter(F.action == EventAction.ICS))
    router.callback_query.register(open_pressed, EventAct.filter(F.action == EventAction.OPEN))
    return router
