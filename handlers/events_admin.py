"""Events for council secretaries: /new_event (texts per language → start → end → venues →
contacts → audience → preview → publish now, at a set time, or keep as a draft), /events_admin,
/event_publish, /event_edit, /event_cancel, /event_attended, /event_report, /event_registrants."""

from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import I18n, get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram.utils.text_decorations import html_decoration as html
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callback_ids import CallbackId
from bot.clock import Clock
from bot.config import LANGUAGES
from bot.i18n import LANGUAGE_NAMES, N_, format_when
from bot.jobs.broadcaster import Broadcaster
from bot.jobs.events import EventAnnouncer, EventJobs
from bot.numbers import parse_number
from bot.services.councils import Staff, scope_of
from bot.services.errors import EventAdminRefusal
from bot.services.events import (
    MAX_AUDIENCE,
    MAX_MESSAGE,
    MAX_VENUES,
    EventDraft,
    EventError,
    EventService,
    VenueDraft,
    check_description,
    check_times,
    check_title,
    parse_contacts,
    parse_moment,
    parse_venue,
)
from bot.services.export import registrant_rows, to_xlsx
from bot.views.event_cards import (
    announcement_text,
    longest_announcement,
    report_text,
    title_of,
    when_text,
)
from bot.views.refusals import refusal
from db.models import Council, Event, EventStatus, RegistrationStatus, User
from db.repositories.councils import CouncilRepository
from db.repositories.events import EventRepository
from handlers.events import event_link, tell_promoted
from handlers.filters import IsStaff
from handlers.menu import council_keyboard
from handlers.replies import send_lines
from handlers.staff import staff_only

ADMIN_EVENT_COMMANDS = (
    "new_event",
    "events_admin",
    "event_publish",
    "event_edit",
    "event_cancel",
    "event_attended",
    "event_report",
    "event_registrants",
)
EXAMPLE_TIME = "06.02.2027 15:00"


class NewEvent(StatesGroup):
    council = State()
    text = State()
    start = State()
    end = State()
    venue = State()
    contacts = State()
    audience = State()
    confirm = State()
    publish_at = State()


class NewEventCouncil(CallbackData, prefix="nec"):
    council_id: CallbackId


class Finish(StrEnum):
    NOW = "now"
    LATER = "later"
    DRAFT = "draft"
    CANCEL = "cancel"


class NewEventDone(CallbackData, prefix="ned"):
    choice: Finish


def _language(user: User | None) -> str:
    return (user.language if user else None) or get_i18n().current_locale


async def _event_and_council(
    session: AsyncSession, clock: Clock, staff: Staff, raw: str
) -> tuple[Event, Council]:
    event_id = parse_number(raw.strip().lstrip("#"))
    if event_id is None:
        raise EventError(EventAdminRefusal.NOT_FOUND)
    event = await EventService(session, clock).for_staff(event_id, staff)
    council = await CouncilRepository(session).get(event.council_id)
    assert council is not None
    return event, council


# -- /new_event ----------------------------------------------------------------------------------


async def new_event(
    message: Message, state: FSMContext, session: AsyncSession, staff: Staff, user: User
) -> None:
    await state.clear()
    council_ids = await scope_of(session, staff)
    councils = [c for c in await CouncilRepository(session).all() if c.id in council_ids]
    if len(councils) == 1:
        await _ask_text(message, state, councils[0], 0)
        return
    await state.set_state(NewEvent.council)
    await message.answer(
        _("Which council holds the event?"),
        reply_markup=council_keyboard(
            councils, _language(user), lambda id_: NewEventCouncil(council_id=id_)
        ),
    )


async def council_chosen(
    query: CallbackQuery,
    callback_data: NewEventCouncil,
    state: FSMContext,
    session: AsyncSession,
    staff: Staff,
) -> None:
    council = await CouncilRepository(session).get(callback_data.council_id)
    if council is None or not staff.can_act(council.id) or not isinstance(query.message, Message):
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    await query.answer()
    await _ask_text(query.message, state, council, 0)


async def _ask_text(message: Message, state: FSMContext, council: Council, index: int) -> None:
    await state.set_state(NewEvent.text)
    await state.update_data(council_id=council.id, tz=council.timezone)
    await _ask_language(message, state, index)


async def _ask_language(message: Message, state: FSMContext, index: int) -> None:
    await state.update_data(index=index)
    await message.answer(
        _(
            "Send the announcement in {language}: the title on the first line, the description "
            "below it. Or /skip if there is none in this language."
        ).format(language=LANGUAGE_NAMES[LANGUAGES[index]])
    )


def split_title(message: Message) -> tuple[str, str | None]:
    """The first line is the title (plain); the rest is the description, its formatting kept."""
    text = message.text or ""
    first, newline, rest = text.partition("\n")
    if not newline or not rest.strip():
        return first, None
    offset = len((first + newline).encode("utf-16-le")) // 2
    entities = [
        entity.model_copy(update={"offset": entity.offset - offset})
        for entity in message.entities or []
        if entity.offset >= offset
    ]
    return first, html.unparse(rest, entities)


async def text_received(message: Message, state: FSMContext) -> None:
    if message.text is None:
        await message.answer(_("Please send the text of the announcement, or /skip."))
        return
    title, description = split_title(message)
    try:
        title = check_title(title)
        description = check_description(description)
    except EventError as error:
        await message.answer(refusal(error))
        return
    data = await state.get_data()
    texts = dict(data.get("texts", {}))
    texts[LANGUAGES[data["index"]]] = [title, description]
    await state.update_data(texts=texts)
    await _next_text(message, state)


async def text_skipped(message: Message, state: FSMContext) -> None:
    await _next_text(message, state)


async def _next_text(message: Message, state: FSMContext) -> None:
    data = await state.get_data()
    index = data["index"] + 1
    if index < len(LANGUAGES):
        await _ask_language(message, state, index)
        return
    if not data.get("texts"):
        await message.answer(refusal(EventError(EventAdminRefusal.NO_TEXT)))
        await _ask_language(message, state, 0)
        return
    await state.set_state(NewEvent.start)
    await message.answer(
        _("When does it start? Write the date and time like {example} ({tz}).").format(
            example=EXAMPLE_TIME, tz=data["tz"]
        )
    )


async def start_received(message: Message, state: FSMContext, clock: Clock) -> None:
    data = await state.get_data()
    try:
        starts_at = parse_moment(message.text or "", ZoneInfo(data["tz"]))
        check_times(starts_at, None, clock.now())
    except EventError as error:
        await message.answer(refusal(error))
        return
    await state.update_data(starts_at=starts_at.isoformat())
    await state.set_state(NewEvent.end)
    await message.answer(
        _(
            "When does it end? Write the date and time like {example}, or /skip. "
            "A two-day event ends on its second day."
        ).format(example="07.02.2027 18:00")
    )


async def end_received(message: Message, state: FSMContext, clock: Clock) -> None:
    data = await state.get_data()
    starts_at = datetime.fromisoformat(data["starts_at"])
    try:
        ends_at = parse_moment(message.text or "", ZoneInfo(data["tz"]))
        check_times(starts_at, ends_at, clock.now())
    except EventError as error:
        await message.answer(refusal(error))
        return
    await state.update_data(ends_at=ends_at.isoformat())
    await _ask_venue(message, state)


async def end_skipped(message: Message, state: FSMContext) -> None:
    await state.update_data(ends_at=None)
    await _ask_venue(message, state)


async def _ask_venue(message: Message, state: FSMContext) -> None:
    await state.set_state(NewEvent.venue)
    await message.answer(
        _(
            "Where? Send a venue as: name | address | places — address and places may be left "
            "out. For example: {example}. An event in several places (every rural library of "
            "a district) gets one message per venue."
        ).format(example=html.quote("Central library | 10 Abay St | 40"))
    )


async def venue_received(message: Message, state: FSMContext) -> None:
    data = await state.get_data()
    venues = list(data.get("venues", []))
    if len(venues) >= MAX_VENUES:
        await message.answer(
            _("That is the most venues one event can have ({count}). Send /done.").format(
                count=MAX_VENUES
            )
        )
        return
    try:
        venue = parse_venue(message.text or "")
    except EventError as error:
        await message.answer(refusal(error))
        return
    venues.append([venue.name, venue.address, venue.capacity])
    await state.update_data(venues=venues)
    await message.answer(
        _("Venue {number} added: {venue}. Send another venue, or /done.").format(
            number=len(venues), venue=html.quote(venue.name)
        )
    )


async def venues_done(message: Message, state: FSMContext) -> None:
    data = await state.get_data()
    if not data.get("venues"):
        await message.answer(refusal(EventError(EventAdminRefusal.NO_VENUE)))
        return
    await state.set_state(NewEvent.contacts)
    await message.answer(
        _(
            "Contacts for participants: person, phones and e-mail, separated by |, for example "
            "{example}. Or /skip."
        ).format(example=html.quote("Aigerim Sadykova | +7 701 123 45 67 | council@example.kz"))
    )


async def contacts_received(message: Message, state: FSMContext) -> None:
    try:
        contacts = parse_contacts(message.text or "")
    except EventError as error:
        await message.answer(refusal(error))
        return
    await state.update_data(contacts=list(contacts))
    await _ask_audience(message, state)


async def contacts_skipped(message: Message, state: FSMContext) -> None:
    await state.update_data(contacts=[None, None, None])
    await _ask_audience(message, state)


async def _ask_audience(message: Message, state: FSMContext) -> None:
    await state.set_state(NewEvent.audience)
    await message.answer(
        _("Who is it for (for example: teachers, young people, library readers)? Or /skip.")
    )


async def audience_received(
    message: Message, state: FSMContext, session: AsyncSession, i18n: I18n
) -> None:
    text = " ".join((message.text or "").split())
    if not text or len(text) > MAX_AUDIENCE:
        await message.answer(
            refusal(EventError(EventAdminRefusal.TOO_LONG, length=len(text), maximum=MAX_AUDIENCE))
            if text
            else refusal(EventError(EventAdminRefusal.EMPTY))
        )
        return
    await state.update_data(audience=text)
    await _preview(message, state, session, i18n)


async def audience_skipped(
    message: Message, state: FSMContext, session: AsyncSession, i18n: I18n
) -> None:
    await state.update_data(audience=None)
    await _preview(message, state, session, i18n)


def draft_from(data: dict[str, Any]) -> EventDraft:
    person, phones, email = data.get("contacts") or [None, None, None]
    texts = data["texts"]
    return EventDraft(
        council_id=data["council_id"],
        titles={language: text[0] for language, text in texts.items()},
        descriptions={language: text[1] for language, text in texts.items() if text[1]},
        starts_at=datetime.fromisoformat(data["starts_at"]),
        ends_at=datetime.fromisoformat(data["ends_at"]) if data.get("ends_at") else None,
        venues=[VenueDraft(*venue) for venue in data["venues"]],
        contact_person=person,
        contact_phones=phones,
        contact_email=email,
        audience_note=data.get("audience"),
    )


async def _preview(message: Message, state: FSMContext, session: AsyncSession, i18n: I18n) -> None:
    """Each language's announcement exactly as subscribers will read it, then the choice."""
    data = await state.get_data()
    council = await CouncilRepository(session).get(data["council_id"])
    assert council is not None
    draft = draft_from(data)
    event, venues = draft.build(EventStatus.PUBLISHED)
    longest = longest_announcement(i18n, event, venues, council)
    if longest > MAX_MESSAGE:
        # Only with everything at its longest; the description is what can give.
        await message.answer(
            refusal(EventError(EventAdminRefusal.TOO_LONG, length=longest, maximum=MAX_MESSAGE))
        )
        await message.answer(_("Cancelled. Nothing was saved."))
        await state.clear()
        return
    for language in LANGUAGES:
        fallback = "" if draft.titles.get(language) else " " + _("(no text: falls back)")
        header = _("Preview for readers of {language}:").format(language=LANGUAGE_NAMES[language])
        with i18n.use_locale(language):
            text = announcement_text(event, venues, council, language)
        await message.answer(header + fallback)
        await message.answer(text)
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Publish now"), callback_data=NewEventDone(choice=Finish.NOW))
    builder.button(
        text=_("Publish at a set time"), callback_data=NewEventDone(choice=Finish.LATER)
    )
    builder.button(text=_("Save as draft"), callback_data=NewEventDone(choice=Finish.DRAFT))
    builder.button(text=_("Cancel"), callback_data=NewEventDone(choice=Finish.CANCEL))
    builder.adjust(1)
    await state.set_state(NewEvent.confirm)
    await message.answer(
        _("Publishing announces the event to the council's subscribers."),
        reply_markup=builder.as_markup(),
    )


async def publish_or_draft_chosen(
    query: CallbackQuery,
    callback_data: NewEventDone,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    staff: Staff,
    user: User,
    bot: Bot,
    event_jobs: EventJobs,
) -> None:
    message = await _preview_done(query)
    if message is None:
        return
    publish_at = clock.now() if callback_data.choice == Finish.NOW else None
    await _create(message, state, session, clock, staff, user, bot, event_jobs, publish_at)


async def later_chosen(query: CallbackQuery, state: FSMContext) -> None:
    message = await _preview_done(query)
    if message is None:
        return
    data = await state.get_data()
    await state.set_state(NewEvent.publish_at)
    await message.answer(
        _("When should it be published? Write the date and time like {example} ({tz}).").format(
            example=EXAMPLE_TIME, tz=data["tz"]
        )
    )


async def cancel_chosen(query: CallbackQuery, state: FSMContext) -> None:
    message = await _preview_done(query)
    if message is None:
        return
    await state.clear()
    await message.answer(_("Cancelled. Nothing was saved."))


async def _preview_done(query: CallbackQuery) -> Message | None:
    """The preview's message, its buttons taken away (each works once)."""
    if not isinstance(query.message, Message):
        return None
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    return query.message


async def publish_at_received(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    staff: Staff,
    user: User,
    bot: Bot,
    event_jobs: EventJobs,
) -> None:
    data = await state.get_data()
    try:
        publish_at = parse_moment(message.text or "", ZoneInfo(data["tz"]))
    except EventError as error:
        await message.answer(refusal(error))
        return
    await _create(message, state, session, clock, staff, user, bot, event_jobs, publish_at)


async def _create(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    staff: Staff,
    user: User,
    bot: Bot,
    event_jobs: EventJobs,
    publish_at: datetime | None,
) -> None:
    data = await state.get_data()
    try:
        event = await EventService(session, clock).create(
            draft_from(data), staff, publish_at=publish_at
        )
    except EventError as error:
        await message.answer(refusal(error))
        # A time that passed while the secretary was typing: they give another one.
        if publish_at is None or error.code not in (
            EventAdminRefusal.IN_THE_PAST,
            EventAdminRefusal.PUBLISH_AFTER_START,
        ):
            await state.clear()
        return
    await state.clear()
    await message.answer(await _published_text(event, bot, user, session, clock.now()))
    if (
        event.status == EventStatus.PUBLISHED
        and event.publish_at is not None
        and event.publish_at <= clock.now()
    ):
        await event_jobs.run()


async def _published_text(
    event: Event, bot: Bot, user: User, session: AsyncSession, now: datetime
) -> str:
    council = await CouncilRepository(session).get(event.council_id)
    assert council is not None
    link = await event_link(bot, event.id)
    if event.status == EventStatus.DRAFT:
        text = _("Event #{id} is saved as a draft. To publish it: /event_publish {id}")
    elif event.publish_at is not None and event.publish_at > now:
        text = _("Event #{id} will be published and announced at {when}.")
    else:
        text = _("Event #{id} is published; the announcement is going out to subscribers.")
    when = format_when(
        event.publish_at or event.created_at, _language(user), ZoneInfo(council.timezone)
    )
    return "\n".join(
        [
            text.format(id=event.id, when=when),
            _("Link to share: {link}").format(link=link),
            _("Report: /event_report {id}").format(id=event.id),
        ]
    )


async def wrong_input(message: Message) -> None:
    await message.answer(_("Please use the buttons above, or /cancel to stop."))


async def text_expected(message: Message) -> None:
    await message.answer(_("Please send text, or /cancel to stop."))


# -- managing events -----------------------------------------------------------------------------

STATUS_ICONS = {EventStatus.DRAFT: "📝", EventStatus.PUBLISHED: "📢", EventStatus.CANCELLED: "✖️"}


async def list_events(
    message: Message, session: AsyncSession, clock: Clock, staff: Staff, user: User
) -> None:
    council_ids = await scope_of(session, staff)
    repo = EventRepository(session)
    events = await repo.of_councils(council_ids)
    if not events:
        await message.answer(_("No events yet. To announce one: /new_event"))
        return
    councils = {c.id: c for c in await CouncilRepository(session).all()}
    language = _language(user)
    lines = [_("Events, latest first:")]
    for event in events:
        council = councils[event.council_id]
        counts = await repo.registration_counts(event.id)
        icon = STATUS_ICONS[event.status]
        if event.status == EventStatus.PUBLISHED and event.announced_at is None:
            icon = "🕒"
        if event.status == EventStatus.PUBLISHED and event.starts_at <= clock.now():
            icon = "✔️"
        lines.append(
            _("#{id} {icon} {when} — {title} (registered {count}, waiting {waiting})").format(
                id=event.id,
                icon=icon,
                when=when_text(event, language, ZoneInfo(council.timezone)),
                title=title_of(event, language, council),
                count=sum(n for (_, s), n in counts.items() if s == RegistrationStatus.REGISTERED),
                waiting=sum(n for (_, s), n in counts.items() if s == RegistrationStatus.WAITING),
            )
        )
    lines += ["", _("📝 draft · 🕒 to be published · 📢 published · ✔️ held · ✖️ cancelled")]
    await send_lines(message.answer, lines)


async def publish_event(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    clock: Clock,
    staff: Staff,
    user: User,
    bot: Bot,
    event_jobs: EventJobs,
) -> None:
    raw, _sep, when = (command.args or "").strip().partition(" ")
    if not raw:
        await message.answer(html.quote(_("Usage: /event_publish <id> [DD.MM.YYYY HH:MM]")))
        return
    try:
        event, council = await _event_and_council(session, clock, staff, raw)
        at = parse_moment(when, ZoneInfo(council.timezone)) if when.strip() else None
        event = await EventService(session, clock).publish(event.id, staff, at)
    except EventError as error:
        await message.answer(refusal(error))
        return
    await message.answer(await _published_text(event, bot, user, session, clock.now()))
    await event_jobs.run()


EDIT_USAGE = N_(
    "/event_edit <id> start DD.MM.YYYY HH:MM\n"
    "/event_edit <id> end DD.MM.YYYY HH:MM | -\n"
    "/event_edit <id> venue <n> name | address | places\n"
    "/event_edit <id> capacity <n> places | -\n"
    "/event_edit <id> text kk|ru|en title (description on the next lines)\n"
    "/event_edit <id> contacts person | phones | e-mail\n"
    "/event_edit <id> reminders 24h,1h | default | none\n"
    "/event_edit <id> audience text"
)


async def edit_event(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    clock: Clock,
    staff: Staff,
    bot: Bot,
    i18n: I18n,
    broadcaster: Broadcaster,
) -> None:
    parts = (command.args or "").strip().split(maxsplit=2)
    if len(parts) < 2:
        await message.answer(_("What to change:") + "\n" + html.quote(_(EDIT_USAGE)))
        return
    raw, what = parts[0], parts[1].lower()
    value = parts[2] if len(parts) > 2 else ""
    try:
        event, council = await _event_and_council(session, clock, staff, raw)
        edited = await EventService(session, clock).edit(
            event.id, staff, what, value, ZoneInfo(council.timezone), EventAnnouncer(i18n)
        )
    except EventError as error:
        await message.answer(refusal(error))
        return
    for registration in edited.promoted:
        await tell_promoted(bot, i18n, session, registration)
    if edited.notice is not None:
        text = _("Event #{id} is changed; everyone registered is being told.")
        await broadcaster.tick()
    else:
        text = _("Event #{id} is changed.")
    await message.answer(text.format(id=event.id))


async def cancel_event(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    clock: Clock,
    staff: Staff,
    i18n: I18n,
    broadcaster: Broadcaster,
) -> None:
    raw, _sep, reason = (command.args or "").strip().partition(" ")
    if not raw:
        await message.answer(html.quote(_("Usage: /event_cancel <id> <reason>")))
        return
    try:
        event, _council = await _event_and_council(session, clock, staff, raw)
        cancelled = await EventService(session, clock).cancel(
            event.id, staff, reason, EventAnnouncer(i18n)
        )
    except EventError as error:
        await message.answer(refusal(error))
        return
    if cancelled.notice is not None:
        await broadcaster.tick()
    await message.answer(
        _(
            "Event #{id} is cancelled; its reminders are stopped and everyone registered is told."
        ).format(id=event.id)
    )


async def record_attended(
    message: Message, command: CommandObject, session: AsyncSession, clock: Clock, staff: Staff
) -> None:
    parts = (command.args or "").split()
    numbers = [parse_number(part) for part in parts[1:]]
    counts = [number for number in numbers if number is not None]
    if len(parts) < 2 or len(counts) != len(numbers):
        await message.answer(
            html.quote(_("Usage: /event_attended <id> <number> (one number per venue)"))
        )
        return
    try:
        event, _council = await _event_and_council(session, clock, staff, parts[0])
        await EventService(session, clock).record_attendance(event.id, staff, counts)
    except EventError as error:
        await message.answer(refusal(error))
        return
    await message.answer(_("Recorded. The report: /event_report {id}").format(id=event.id))


async def show_report(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    clock: Clock,
    staff: Staff,
    user: User,
) -> None:
    try:
        event, council = await _event_and_council(session, clock, staff, command.args or "")
        report = await EventService(session, clock).report(event.id, staff)
    except EventError as error:
        await message.answer(refusal(error))
        return
    await send_lines(message.answer, report_text(report, council, _language(user)).split("\n"))


async def export_registrants(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    clock: Clock,
    staff: Staff,
) -> None:
    try:
        event, council = await _event_and_council(session, clock, staff, command.args or "")
    except EventError as error:
        await message.answer(refusal(error))
        return
    repo = EventRepository(session)
    rows = registrant_rows(
        await repo.registrants(event.id),
        await repo.venues(event.id),
        ZoneInfo(council.timezone),
        registered=_("registered"),
        waiting=_("waiting"),
        not_shared=_("not shared"),
    )
    columns = [
        _("No."),
        _("Venue"),
        _("Status"),
        _("Waiting list"),
        _("Name"),
        _("Username"),
        _("Registered at"),
    ]
    await message.answer_document(
        BufferedInputFile(
            to_xlsx(rows, columns=columns, title="registrants"),
            filename=f"event-{event.id}-registrants.xlsx",
        ),
        caption=_(
            "Registrants of event #{id}: {count}. Names are given only for those who agreed to "
            "share their personal data."
        ).format(id=event.id, count=len(rows)),
    )


def create_router() -> Router:
    router = Router(name=__name__)

    staff = Router(name=f"{__name__}.staff")
    staff.message.filter(IsStaff())
    staff.callback_query.filter(IsStaff())
    message, callback = staff.message.register, staff.callback_query.register
    anywhere = StateFilter("*")
    message(new_event, Command("new_event"), anywhere)
    message(list_events, Command("events_admin"), anywhere)
    message(publish_event, Command("event_publish"), anywhere)
    message(edit_event, Command("event_edit"), anywhere)
    message(cancel_event, Command("event_cancel"), anywhere)
    message(record_attended, Command("event_attended"), anywhere)
    message(show_report, Command("event_report"), anywhere)
    message(export_registrants, Command("event_registrants"), anywhere)
    callback(council_chosen, NewEventCouncil.filter(), NewEvent.council)
    message(text_skipped, Command("skip"), NewEvent.text)
    not_command = ~F.text.startswith("/")
    message(text_received, NewEvent.text, not_command)
    message(start_received, NewEvent.start, F.text, not_command)
    message(end_skipped, Command("skip"), NewEvent.end)
    message(end_received, NewEvent.end, F.text, not_command)
    message(venues_done, Command("done"), NewEvent.venue)
    message(venue_received, NewEvent.venue, F.text, not_command)
    message(contacts_skipped, Command("skip"), NewEvent.contacts)
    message(contacts_received, NewEvent.contacts, F.text, not_command)
    message(audience_skipped, Command("skip"), NewEvent.audience)
    message(audience_received, NewEvent.audience, F.text, not_command)
    finished = NewEventDone.filter
    callback(
        publish_or_draft_chosen,
        finished(F.choice.in_({Finish.NOW, Finish.DRAFT})),
        NewEvent.confirm,
    )
    callback(later_chosen, finished(F.choice == Finish.LATER), NewEvent.confirm)
    callback(cancel_chosen, finished(F.choice == Finish.CANCEL), NewEvent.confirm)
    message(publish_at_received, NewEvent.publish_at, F.text, not_command)
    message(wrong_input, StateFilter(NewEvent.council, NewEvent.confirm), not_command)
    message(
        text_expected,
        StateFilter(
            NewEvent.start,
            NewEvent.end,
            NewEvent.venue,
            NewEvent.contacts,
            NewEvent.audience,
            NewEvent.publish_at,
        ),
        not_command,
    )

    others = Router(name=f"{__name__}.others")
    others.message.register(staff_only, Command(*ADMIN_EVENT_COMMANDS), anywhere)
    router.include_routers(staff, others)
    return router
