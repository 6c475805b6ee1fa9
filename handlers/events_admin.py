"""Events for council secretaries: /new_event (texts per language → start → end → venues →
contacts → audience → preview → publish now, at a set time, or keep as a draft), /events_admin,
/event_publish, /event_edit, /event_cancel, /event_attended, /event_report, /event_registrants."""

import asyncio
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, Message
from aiogram.utils.i18n import I18n, get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.text_decorations import html_decoration as html

from bot.config import LANGUAGES
from bot.i18n import N_, format_when, in_language, zone_name
from bot.jobs.broadcaster import Broadcaster
from bot.jobs.events import EventAnnouncer, EventJobs
from bot.numbers import parse_number
from bot.services import xlsx
from bot.services.container import Services
from bot.services.councils import Staff
from bot.services.errors import EventAdminRefusal
from bot.services.events import (
    MAX_MESSAGE,
    MAX_VENUES,
    EventDraft,
    EventError,
    Stage,
    VenueDraft,
    check_audience,
    check_description,
    check_times,
    check_title,
    parse_contacts,
    parse_moment,
    parse_venue,
)
from bot.services.export import registrant_rows
from bot.views.charts import event_chart
from bot.views.event_cards import (
    announcement_text,
    longest_announcement,
    registered_text,
    report_text,
    title_of,
    when_text,
)
from bot.views.exports import council_slug, registrant_columns
from bot.views.refusals import refusal
from db.models import Council, Event, EventStatus, User
from handlers.events import event_link, tell_promoted
from handlers.filters import IsStaff
from handlers.replies import send_lines
from handlers.staff import staff_only
from handlers.wizard import (
    EXAMPLE_TIME,
    SEND_TEXT,
    STAY,
    Again,
    Choice,
    CouncilStep,
    MomentStep,
    Step,
    TextsStep,
    TextStep,
    Turn,
    Wizard,
    moment_of,
    options,
    staff_councils,
)

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


class Finish(StrEnum):
    NOW = "now"
    LATER = "later"
    DRAFT = "draft"
    CANCEL = "cancel"


def _language(user: User | None) -> str:
    return (user.language if user else None) or get_i18n().current_locale


def _bot(message: Message) -> Bot:
    """The bot the command came to (aiogram binds every update's objects to it)."""
    bot = message.bot
    assert bot is not None
    return bot


async def _event_and_council(services: Services, staff: Staff, raw: str) -> tuple[Event, Council]:
    """The event a command names (`12` or `#12`) and its council."""
    event_id = parse_number(raw.strip().lstrip("#"))
    if event_id is None:
        raise EventError(EventAdminRefusal.NOT_FOUND)
    return await services.events.for_staff_with_council(event_id, staff)


# -- /new_event ----------------------------------------------------------------------------------


async def new_event(message: Message, state: FSMContext, **env: Any) -> None:
    await NEW_EVENT.start(message, state, env)


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


def _announcement(message: Message) -> list[str | None]:
    title, description = split_title(message)
    return [check_title(title), check_description(description)]


async def _start_prompt(turn: Turn) -> str:
    return _("When does it start? Write the date and time like {example} ({tz}).").format(
        example=EXAMPLE_TIME, tz=zone_name(await turn.zone(), turn.language)
    )


async def _publish_prompt(turn: Turn) -> str:
    return _("When should it be published? Write the date and time like {example} ({tz}).").format(
        example=EXAMPLE_TIME, tz=zone_name(await turn.zone(), turn.language)
    )


async def _starts_in_future(turn: Turn, starts_at: datetime) -> None:
    check_times(starts_at, None, turn.clock.now())


async def _ends_after_start(turn: Turn, ends_at: datetime) -> None:
    starts_at = moment_of(turn.answers["starts_at"])
    assert starts_at is not None
    check_times(starts_at, ends_at, turn.clock.now())


@dataclass
class VenuesStep(Step):
    """Venues one message each, until /done: an event in several places (every rural library
    of a district) gets one message per venue."""

    takes_done = True

    async def read(self, turn: Turn, message: Message) -> Any:
        if message.text is None:
            raise Again(str(SEND_TEXT))
        venues = list(turn.answers.get("venue_list", []))
        if len(venues) >= MAX_VENUES:
            raise Again(
                _("That is the most venues one event can have ({count}). Send /done.").format(
                    count=MAX_VENUES
                )
            )
        venue = parse_venue(message.text)
        venues.append([venue.name, venue.address, venue.capacity])
        turn.answers["venue_list"] = venues
        await turn.message.answer(
            _("Venue {number} added: {venue}. Send another venue, or /done.").format(
                number=len(venues), venue=html.quote(venue.name)
            )
        )
        return STAY

    async def done(self, turn: Turn) -> Any:
        venues = turn.answers.get("venue_list")
        if not venues:
            raise EventError(EventAdminRefusal.NO_VENUE)
        return venues


def _announced_languages(turn: Turn) -> list[str]:
    """Who an event is for is written in each language it is announced in, and shown beside
    that language's text."""
    return [language for language in LANGUAGES if language in turn.answers["texts"]]


def draft_from(answers: dict[str, Any]) -> EventDraft:
    person, phones, email = answers.get("contacts") or [None, None, None]
    texts = answers["texts"]
    starts_at = moment_of(answers["starts_at"])
    assert starts_at is not None
    return EventDraft(
        council_id=answers["council_id"],
        titles={language: text[0] for language, text in texts.items()},
        descriptions={language: text[1] for language, text in texts.items() if text[1]},
        starts_at=starts_at,
        ends_at=moment_of(answers.get("ends_at")),
        venues=[VenueDraft(*venue) for venue in answers["venues"]],
        contact_person=person,
        contact_phones=phones,
        contact_email=email,
        audiences=answers.get("audience") or {},
    )


async def _preview(turn: Turn) -> None:
    """Each language's announcement exactly as subscribers will read it."""
    council = await turn.council()
    draft = draft_from(turn.answers)
    event, venues = draft.build(EventStatus.PUBLISHED)
    longest = longest_announcement(turn.i18n, event, venues, council)
    if longest > MAX_MESSAGE:
        # Only with everything at its longest; the description is what can give.
        await turn.message.answer(
            refusal(EventError(EventAdminRefusal.TOO_LONG, length=longest, maximum=MAX_MESSAGE))
        )
        await turn.end(_("Cancelled. Nothing was saved."))
        return
    for language in LANGUAGES:
        fallback = "" if draft.titles.get(language) else " " + _("(no text: falls back)")
        header = _("Preview for readers {in_language}:").format(in_language=in_language(language))
        with turn.i18n.use_locale(language):
            text = announcement_text(event, venues, council, language)
        await turn.message.answer(header + fallback)
        await turn.message.answer(text)


async def _later(turn: Turn) -> bool:
    return bool(turn.answers["finish"] == Finish.LATER)


async def _create(turn: Turn) -> None:
    choice = Finish(turn.answers["finish"])
    if choice == Finish.CANCEL:
        await turn.message.answer(_("Cancelled. Nothing was saved."))
        return
    publish_at = {
        Finish.NOW: turn.clock.now(),
        Finish.DRAFT: None,
        Finish.LATER: moment_of(turn.answers.get("publish_at")),
    }[choice]
    try:
        event = await turn.services.events.create(
            draft_from(turn.answers), turn.env["staff"], publish_at=publish_at
        )
    except EventError as error:
        await turn.message.answer(refusal(error))
        # A time that passed while the secretary was typing: they give another one.
        if choice == Finish.LATER and error.code in (
            EventAdminRefusal.IN_THE_PAST,
            EventAdminRefusal.PUBLISH_AFTER_START,
        ):
            await turn.resume()
        return
    now = turn.clock.now()
    await turn.message.answer(
        await _published_text(event, turn.env["bot"], turn.user, turn.services, now)
    )
    publish_at = event.publish_at
    if event.status == EventStatus.PUBLISHED and publish_at is not None and publish_at <= now:
        event_jobs: EventJobs = turn.env["event_jobs"]
        await event_jobs.run()


async def _published_text(
    event: Event, bot: Bot, user: User, services: Services, now: datetime
) -> str:
    council = await services.events.council_of(event)
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


NEW_EVENT = Wizard(
    "ne",
    [
        CouncilStep(
            "council_id", prompt=__("Which council holds the event?"), councils=staff_councils
        ),
        TextsStep(
            "texts",
            prompt=__(
                "Send the announcement {in_language}: the title on the first line, the "
                "description below it. Or /skip if there is none in this language."
            ),
            parse=_announcement,
            missing=lambda: EventError(EventAdminRefusal.NO_TEXT),
        ),
        MomentStep("starts_at", prompt=_start_prompt, parse=parse_moment, check=_starts_in_future),
        MomentStep(
            "ends_at",
            prompt=__(
                "When does it end? Write the date and time like {example}, or /skip. "
                "A two-day event ends on its second day."
            ),
            example="07.02.2027 18:00",
            parse=parse_moment,
            check=_ends_after_start,
            skip=True,
        ),
        VenuesStep(
            "venues",
            prompt=__(
                "Where? Send a venue as: name | address | places — address and places may be "
                "left out. For example: {example}. An event in several places (every rural "
                "library of a district) gets one message per venue."
            ),
            example=__("Central library | 10 Abay St | 40"),
        ),
        TextStep(
            "contacts",
            prompt=__(
                "Contacts for participants: person, phones and e-mail, separated by |, for "
                "example {example}. Or /skip."
            ),
            example=__("Aigerim Sadykova | +7 701 123 45 67 | council@example.kz"),
            parse=lambda text: list(parse_contacts(text)),
            skip=True,
            skipped_value=[None, None, None],
        ),
        TextsStep(
            "audience",
            prompt=__(
                "Who is it for? Write it {in_language} (for example: teachers, young people, "
                "library readers), or /skip."
            ),
            parse=lambda message: check_audience(message.text or ""),
            languages=_announced_languages,
            not_text=SEND_TEXT,
        ),
        Choice(
            "finish",
            prompt=__("Publishing announces the event to the council's subscribers."),
            intro=_preview,
            options=options(
                (__("Publish now"), Finish.NOW),
                (__("Publish at a set time"), Finish.LATER),
                (__("Save as draft"), Finish.DRAFT),
                (__("Cancel"), Finish.CANCEL),
            ),
        ),
        MomentStep("publish_at", prompt=_publish_prompt, parse=parse_moment, applies_if=_later),
    ],
    finish=_create,
)


# -- managing events -----------------------------------------------------------------------------

STAGE_ICONS = {
    Stage.DRAFT: "📝",
    Stage.SCHEDULED: "🕒",
    Stage.PUBLISHED: "📢",
    Stage.HELD: "✔️",
    Stage.CANCELLED: "✖️",
}


async def list_events(message: Message, services: Services, staff: Staff, user: User) -> None:
    summaries = await services.events.overview(staff)
    if not summaries:
        await message.answer(_("No events yet. To announce one: /new_event"))
        return
    language = _language(user)
    lines = [_("Events, latest first:")]
    for summary in summaries:
        event, council = summary.event, summary.council
        lines.append(
            _("#{id} {icon} {when} — {title} ({figures})").format(
                id=event.id,
                icon=STAGE_ICONS[summary.stage],
                when=when_text(event, language, ZoneInfo(council.timezone)),
                title=title_of(event, language, council),
                figures=registered_text(summary.registered, summary.waiting),
            )
        )
    lines += ["", _("📝 draft · 🕒 to be published · 📢 published · ✔️ held · ✖️ cancelled")]
    await send_lines(message.answer, lines)


async def publish_event(
    message: Message,
    command: CommandObject,
    services: Services,
    staff: Staff,
    user: User,
    event_jobs: EventJobs,
) -> None:
    raw, _sep, when = (command.args or "").strip().partition(" ")
    if not raw:
        await message.answer(html.quote(_("Usage: /event_publish <id> [DD.MM.YYYY HH:MM]")))
        return
    event, council = await _event_and_council(services, staff, raw)
    at = parse_moment(when, ZoneInfo(council.timezone)) if when.strip() else None
    event = await services.events.publish(event.id, staff, at)
    text = await _published_text(event, _bot(message), user, services, services.clock.now())
    await message.answer(text)
    await event_jobs.run()


EDIT_USAGE = N_(
    "/event_edit <id> start DD.MM.YYYY HH:MM\n"
    "/event_edit <id> end DD.MM.YYYY HH:MM | -\n"
    "/event_edit <id> venue <n> name | address | places\n"
    "/event_edit <id> capacity <n> places | -\n"
    "/event_edit <id> text kk|ru|en title (description on the next lines)\n"
    "/event_edit <id> contacts person | phones | e-mail\n"
    "/event_edit <id> reminders 24h,1h | default | none\n"
    "/event_edit <id> audience kk|ru|en text | -"
)


async def edit_event(
    message: Message,
    command: CommandObject,
    services: Services,
    staff: Staff,
    i18n: I18n,
    broadcaster: Broadcaster,
) -> None:
    parts = (command.args or "").strip().split(maxsplit=2)
    if len(parts) < 2:
        await message.answer(_("What to change:") + "\n" + html.quote(_(EDIT_USAGE)))
        return
    raw, what = parts[0], parts[1].lower()
    value = parts[2] if len(parts) > 2 else ""
    event, council = await _event_and_council(services, staff, raw)
    edited = await services.events.edit(
        event.id, staff, what, value, ZoneInfo(council.timezone), EventAnnouncer(i18n)
    )
    for registration in edited.promoted:
        await tell_promoted(_bot(message), i18n, services.events, registration)
    if edited.notice is not None:
        text = _("Event #{id} is changed; everyone registered is being told.")
        await broadcaster.tick()
    else:
        text = _("Event #{id} is changed.")
    await message.answer(text.format(id=event.id))


async def cancel_event(
    message: Message,
    command: CommandObject,
    services: Services,
    staff: Staff,
    i18n: I18n,
    broadcaster: Broadcaster,
) -> None:
    raw, _sep, reason = (command.args or "").strip().partition(" ")
    if not raw:
        await message.answer(html.quote(_("Usage: /event_cancel <id> <reason>")))
        return
    event, _council = await _event_and_council(services, staff, raw)
    cancelled = await services.events.cancel(event.id, staff, reason, EventAnnouncer(i18n))
    if cancelled.notice is not None:
        await broadcaster.tick()
    await message.answer(
        _(
            "Event #{id} is cancelled; its reminders are stopped and everyone registered is told."
        ).format(id=event.id)
    )


async def record_attended(
    message: Message, command: CommandObject, services: Services, staff: Staff
) -> None:
    parts = (command.args or "").split()
    numbers = [parse_number(part) for part in parts[1:]]
    counts = [number for number in numbers if number is not None]
    if len(parts) < 2 or len(counts) != len(numbers):
        await message.answer(
            html.quote(_("Usage: /event_attended <id> <number> (one number per venue)"))
        )
        return
    event, _council = await _event_and_council(services, staff, parts[0])
    await services.events.record_attendance(event.id, staff, counts)
    await message.answer(_("Recorded. The report: /event_report {id}").format(id=event.id))


async def show_report(
    message: Message,
    command: CommandObject,
    services: Services,
    staff: Staff,
    user: User,
) -> None:
    event, council = await _event_and_council(services, staff, command.args or "")
    report = await services.events.report(event.id, staff)
    # The chart first, the figures under it; drawing takes ~100 ms: not on the event loop.
    # Nobody registered yet: no chart.
    chart = await asyncio.to_thread(event_chart, report)
    if chart is not None:
        await message.answer_photo(
            BufferedInputFile(chart.png, filename=f"event-{event.id}.png"),
            caption=_("Event #{id}: registered and came, by venue").format(id=event.id),
        )
    await send_lines(message.answer, report_text(report, council, _language(user)).split("\n"))


async def export_registrants(
    message: Message,
    command: CommandObject,
    services: Services,
    staff: Staff,
    user: User,
) -> None:
    event, council = await _event_and_council(services, staff, command.args or "")
    registrants, venues = await services.events.registrants(event)
    rows = registrant_rows(
        registrants,
        venues,
        ZoneInfo(council.timezone),
        registered=_("registered"),
        waiting=_("waiting"),
        not_shared=_("not shared"),
    )
    language = _language(user)
    name = "event-{id}-registrants-{council}-{day}.xlsx".format(
        id=event.id,
        council=council_slug([council.id]),
        day=services.clock.now().astimezone(ZoneInfo(council.timezone)).strftime("%Y-%m-%d"),
    )
    await message.answer_document(
        BufferedInputFile(
            xlsx.to_xlsx(registrant_columns(), rows, _("Registrants"), language), filename=name
        ),
        caption=ngettext(
            "{count} person registered for event #{id}. Names are given only for those who "
            "agreed to share their personal data.",
            "{count} people registered for event #{id}. Names are given only for those who "
            "agreed to share their personal data.",
            len(rows),
        ).format(id=event.id, count=len(rows)),
    )


def create_router() -> Router:
    router = Router(name=__name__)

    staff = Router(name=f"{__name__}.staff")
    staff.message.filter(IsStaff())
    staff.callback_query.filter(IsStaff())
    message = staff.message.register
    anywhere = StateFilter("*")
    message(new_event, Command("new_event"), anywhere)
    message(list_events, Command("events_admin"), anywhere)
    message(publish_event, Command("event_publish"), anywhere)
    message(edit_event, Command("event_edit"), anywhere)
    message(cancel_event, Command("event_cancel"), anywhere)
    message(record_attended, Command("event_attended"), anywhere)
    message(show_report, Command("event_report"), anywhere)
    message(export_registrants, Command("event_registrants"), anywhere)
    staff.include_router(NEW_EVENT.router())

    others = Router(name=f"{__name__}.others")
    others.message.register(staff_only, Command(*ADMIN_EVENT_COMMANDS), anywhere)
    router.include_routers(staff, others)
    return router
