"""What people read about an event, each in their own language: the card, the announcement, the
reminders, the change and cancellation notices, the reach report; and the buttons under them.

Everything typed by a secretary (titles, venues, contacts) is escaped here; descriptions are
stored as Telegram HTML with the text already escaped (formatting kept)."""

from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as html
from babel.dates import format_time, format_timedelta
from babel.lists import format_list

from bot.callback_ids import CallbackId, CallbackPage
from bot.config import LANGUAGES
from bot.i18n import N_, format_when, zone_name
from bot.services.events import Change, EventReport, pick_language
from db.models import Council, Event, EventStatus, EventVenue, Registration, RegistrationStatus

# Venues listed on a card, in characters: a round table in forty rural libraries still fits
# into one Telegram message; the rest are counted and offered when registering.
VENUES_BUDGET = 1000

ATTEND = N_("✋ I will attend")
LEAVE = N_("Cancel my registration")
CALENDAR = N_("📅 Add to calendar")
OPEN = N_("Open the event")


class EventAction(StrEnum):
    GO = "go"  # I will attend (the only venue)
    VENUE = "venue"  # I will attend, at this venue
    LEAVE = "leave"
    ICS = "ics"  # the calendar file
    OPEN = "open"  # the card


class EventAct(CallbackData, prefix="ev"):
    action: EventAction
    event_id: CallbackId
    venue_id: CallbackId = 0
    # Where the button is (see handlers/events.py): decides whether the card is redrawn.
    src: CallbackId = 0


class EventsPage(CallbackData, prefix="evp"):
    page: CallbackPage


def tz_of(council: Council) -> ZoneInfo:
    return ZoneInfo(council.timezone)


def when_text(event: Event, language: str, tz: ZoneInfo) -> str:
    """`2027 ж. 6 ақпан, 15:00–17:00`, or a span of days."""
    return _when_text(event.starts_at, event.ends_at, language, tz)


@lru_cache(maxsize=1024)  # a wave of registrations is told the same time thousands of times
def _when_text(starts_at: datetime, ends_at: datetime | None, language: str, tz: ZoneInfo) -> str:
    start = format_when(starts_at, language, tz)
    if ends_at is None:
        return start
    if ends_at.astimezone(tz).date() == starts_at.astimezone(tz).date():
        end = format_time(ends_at, "HH:mm", tzinfo=tz, locale=language)
        return f"{start}–{end}"
    return f"{start} – {format_when(ends_at, language, tz)}"


def when_zoned(event: Event, language: str, tz: ZoneInfo) -> str:
    """The time on an event's card, with its zone in words: `… 15:00 (Kazakhstan time, UTC+5)`."""
    return f"{when_text(event, language, tz)} ({zone_name(tz, language, event.starts_at)})"


def title_of(event: Event, language: str, council: Council) -> str:
    return html.quote(event.title(pick_language(event, language, council.default_language)) or "")


def venue_text(venue: EventVenue) -> str:
    text = html.quote(venue.name)
    if venue.address:
        text += ", " + html.quote(venue.address)
    return text


def places_text(venue: EventVenue) -> str:
    if venue.capacity is None:
        return ""
    free = max(venue.capacity - venue.taken, 0)
    if free == 0:
        return " · " + _("full, waiting list open")
    return " · " + ngettext("{count} place left", "{count} places left", free).format(count=free)


def contacts_text(event: Event) -> str | None:
    parts = [
        html.quote(part)
        for part in (event.contact_person, event.contact_phones, event.contact_email)
        if part
    ]
    return ", ".join(parts) if parts else None


def card_text(
    event: Event,
    venues: list[EventVenue],
    council: Council,
    language: str,
    *,
    registration: Registration | None = None,
    place: int | None = None,
    with_places: bool = True,
) -> str:
    """The event as a citizen sees it, in `language` (the texts fall back like broadcasts)."""
    tz = tz_of(council)
    text_language = pick_language(event, language, council.default_language)
    lines = [f"📅 <b>{html.quote(event.title(text_language) or '')}</b>"]
    if event.status == EventStatus.CANCELLED:
        lines.append(
            _("❌ Cancelled. Reason: {reason}").format(
                reason=html.quote(event.cancel_reason or "")
            )
        )
    lines.append(_("🕒 {when}").format(when=when_zoned(event, language, tz)))
    lines.append(_("🏛 {council}").format(council=html.quote(council.name(language))))
    if len(venues) == 1:
        venue = venues[0]
        lines.append(
            _("📍 {venue}").format(venue=venue_text(venue))
            + (places_text(venue) if with_places else "")
        )
    else:
        lines.append(_("📍 Venues ({count}):").format(count=len(venues)))
        used = 0
        for shown, venue in enumerate(venues):
            line = f"{venue.position}. {venue_text(venue)}"
            line += places_text(venue) if with_places else ""
            if used + len(line) > VENUES_BUDGET:
                lines.append(_("… and {count} more").format(count=len(venues) - shown))
                break
            used += len(line)
            lines.append(line)
    if audience := event.audience(text_language):
        lines.append(_("👥 For: {audience}").format(audience=html.quote(audience)))
    if contacts := contacts_text(event):
        lines.append(_("☎️ Contacts: {contacts}").format(contacts=contacts))
    description = event.description(text_language)
    if description:
        lines += ["", description]
    if registration is not None and registration.status == RegistrationStatus.REGISTERED:
        lines += ["", _("✅ You are registered.")]
    elif registration is not None and registration.status == RegistrationStatus.WAITING:
        lines += ["", _("⏳ You are on the waiting list, number {place}.").format(place=place)]
    return "\n".join(lines)


def announcement_text(
    event: Event, venues: list[EventVenue], council: Council, language: str
) -> str:
    return "\n".join(
        [
            _("📣 The council invites you"),
            "",
            card_text(event, venues, council, language, with_places=False),
            "",
            _("Press “I will attend” to register."),
        ]
    )


def longest_announcement(
    i18n: I18n, event: Event, venues: list[EventVenue], council: Council
) -> int:
    """The length of the longest language's announcement: it must fit one message."""
    longest = 0
    for language in LANGUAGES:
        with i18n.context(), i18n.use_locale(language):
            longest = max(longest, len(announcement_text(event, venues, council, language)))
    return longest


_UNITS: tuple[tuple[Literal["day", "hour", "minute", "second"], int], ...] = (
    ("day", 86_400),
    ("hour", 3_600),
    ("minute", 60),
    ("second", 1),
)


@lru_cache(maxsize=256)
def format_lead(seconds: int, language: str) -> str:
    """A lead time exactly, in the largest unit that divides it: "1 hour", "90 minutes"."""
    unit = next(name for name, size in _UNITS if seconds % size == 0)
    return format_timedelta(
        timedelta(seconds=seconds), granularity=unit, threshold=10**9, locale=language
    )


def reminder_promise(leads: tuple[int, ...], language: str) -> str:
    """What a registrant is told about reminders: exactly the lead times still to come."""
    i18n = I18n.get_current(no_error=True)
    return _reminder_promise(leads, language, i18n.current_locale if i18n else "")


@lru_cache(maxsize=512)  # a wave of registrations is told the same few sentences
def _reminder_promise(leads: tuple[int, ...], language: str, _locale: str) -> str:
    if not leads:
        return _("No reminder will come before the start.")
    times = format_list(
        [_("{lead} before the start").format(lead=format_lead(lead, language)) for lead in leads],
        locale=language,
    )
    return ngettext(
        "A reminder will come {times}.", "Reminders will come {times}.", len(leads)
    ).format(times=times)


def format_left(left: timedelta, language: str) -> str:
    """How soon, as people say it: "in 1 hour" (not "in 60 minutes" for a reminder sent a few
    seconds late), "in 1 day", "in 40 minutes"; to the minute below three hours, else roughly."""
    minutes = max(round(left.total_seconds() / 60), 1)
    if minutes % 60 and minutes >= 180:
        return format_timedelta(
            timedelta(minutes=minutes), add_direction=True, threshold=1, locale=language
        )
    unit: Literal["day", "hour", "minute"] = (
        "day" if minutes % 1440 == 0 else "hour" if minutes % 60 == 0 else "minute"
    )
    return format_timedelta(
        timedelta(minutes=minutes),
        granularity=unit,
        threshold=10**9,
        add_direction=True,
        locale=language,
    )


def reminder_text(
    event: Event, venue: EventVenue, council: Council, language: str, now: datetime
) -> str:
    tz = tz_of(council)
    left = format_left(event.starts_at - now, language)
    lines = [
        _("⏰ Reminder: «{title}» starts {left}.").format(
            title=title_of(event, language, council), left=left
        ),
        _("🕒 {when}").format(when=when_zoned(event, language, tz)),
        _("📍 {venue}").format(venue=venue_text(venue)),
    ]
    if contacts := contacts_text(event):
        lines.append(_("☎️ Contacts: {contacts}").format(contacts=contacts))
    lines += [
        "",
        _("Can't come? Cancel your registration, so that someone waiting gets the place."),
    ]
    return "\n".join(lines)


def notice_text(
    event: Event,
    venues: list[EventVenue],
    council: Council,
    language: str,
    changes: list[Change],
) -> str:
    tz = tz_of(council)
    lines = [
        _("ℹ️ The event «{title}» has changed:").format(title=title_of(event, language, council))
    ]
    by_position = {venue.position: venue for venue in venues}
    for change in dict.fromkeys(changes):
        if change.what in ("start", "end"):
            lines.append(_("🕒 New time: {when}").format(when=when_zoned(event, language, tz)))
        elif change.what == "venue" and change.venue_position in by_position:
            lines.append(
                _("📍 New venue: {venue}").format(
                    venue=venue_text(by_position[change.venue_position])
                )
            )
        elif change.what == "text":
            lines.append(_("📝 The title or description was updated."))
        elif change.what == "contacts":
            lines.append(_("☎️ Contacts: {contacts}").format(contacts=contacts_text(event) or "—"))
    lines += ["", _("Your registration stays. Can't come now? Cancel it under the event.")]
    return "\n".join(dict.fromkeys(lines))


def cancelled_text(event: Event, council: Council, language: str) -> str:
    return "\n".join(
        [
            _("❌ The event «{title}» ({when}) is cancelled.").format(
                title=title_of(event, language, council),
                when=when_text(event, language, tz_of(council)),
            ),
            _("Reason: {reason}").format(reason=html.quote(event.cancel_reason or "")),
        ]
    )


def registered_text(registered: int, waiting: int) -> str:
    """`12 registered, 3 on the waiting list`, each count in its own grammatical number."""
    return ", ".join(
        [
            ngettext("{count} registered", "{count} registered", registered).format(
                count=registered
            ),
            ngettext("{count} on the waiting list", "{count} on the waiting list", waiting).format(
                count=waiting
            ),
        ]
    )


def reach_line(people: int) -> str:
    """The closing line of a council's report, in the words councils use."""
    return ngettext("{count} person reached", "{count} people reached", people).format(
        count=people
    )


def report_text(report: EventReport, council: Council, language: str) -> str:
    event = report.event
    lines = [
        _("📊 Event #{id}: «{title}»").format(
            id=event.id, title=title_of(event, language, council)
        ),
        _("🕒 {when}").format(when=when_text(event, language, tz_of(council))),
        ngettext(
            "Announced to {count} subscriber", "Announced to {count} subscribers", report.announced
        ).format(count=report.announced),
        _("Delivered: {count} · blocked the bot: {blocked} · failed: {failed}").format(
            count=report.delivered, blocked=report.blocked, failed=report.failed
        ),
        _("Registered: {count} · waiting list: {waiting}").format(
            count=report.registered, waiting=report.waiting
        ),
    ]
    if len(report.venues) > 1:
        for figures in report.venues:
            venue = figures.venue
            line = _("{number}. {venue}: {figures}").format(
                number=venue.position,
                venue=html.quote(venue.name),
                figures=registered_text(figures.registered, figures.waiting),
            )
            if venue.attended is not None:
                line += ", " + ngettext("{count} came", "{count} came", venue.attended).format(
                    count=venue.attended
                )
            lines.append(line)
    lines.append(_("Reminders delivered: {count}").format(count=report.reminders_sent))
    attended = report.attended
    if attended is None:
        lines.append(
            html.quote(
                _("Attendance not recorded yet: /event_attended {id} <number>").format(id=event.id)
            )
        )
    else:
        lines += [_("Came: {count}").format(count=attended), "", f"<b>{reach_line(attended)}</b>"]
    if event.status == EventStatus.CANCELLED:
        lines.append(
            _("❌ Cancelled. Reason: {reason}").format(
                reason=html.quote(event.cancel_reason or "")
            )
        )
    return "\n".join(lines)


# -- buttons -----------------------------------------------------------------------------------


def event_button(label: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=label, callback_data=data.pack())


@lru_cache(maxsize=1024)
def _two_buttons(
    first: tuple[str, str], second: tuple[str, str], event_id: int
) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                event_button(label, EventAct(action=EventAction(action), event_id=event_id))
                for label, action in (first, second)
            ]
        ]
    )


def reminder_keyboard(i18n: I18n, event_id: int, language: str) -> InlineKeyboardMarkup:
    return _two_buttons(
        (i18n.gettext(OPEN, locale=language), "open"),
        (i18n.gettext(LEAVE, locale=language), "leave"),
        event_id,
    )


@lru_cache(maxsize=1024)
def _one_button(label: str, event_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [event_button(label, EventAct(action=EventAction.OPEN, event_id=event_id))]
        ]
    )


def notice_keyboard(i18n: I18n, event_id: int, language: str) -> InlineKeyboardMarkup:
    return _one_button(i18n.gettext(OPEN, locale=language), event_id)
