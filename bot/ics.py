"""Events as iCalendar (RFC 5545) that phones and mail programs add to a calendar: one event's
file, and a council's feed that calendar apps subscribe to. Each event has the start in the
council's time zone (with its VTIMEZONE), the venue, and a link back; its UID stays the same and
its SEQUENCE and LAST-MODIFIED grow with every change, so that a subscribed calendar moves an
event the council moved and drops (STATUS:CANCELLED) one it cancelled."""

import html
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from db.models import Event, EventStatus, EventVenue

PRODID = "-//Hearing State bot//EN"
# How often a subscribed calendar is asked to fetch the feed again (REFRESH-INTERVAL, and
# X-PUBLISHED-TTL below).
REFRESH = timedelta(hours=1)


def event_uid(event: Event, host: str) -> str:
    return f"event-{event.id}@{host}"


def sequence(event: Event) -> int:
    """The event's revision: every change moves `updated_at` on, so the seconds since it was
    made only grow (no column to keep in step)."""
    return max(int((event.updated_at - event.created_at).total_seconds()), 0)


def event_entry(
    event: Event,
    venues: list[EventVenue],
    *,
    title: str,
    description: str | None,
    timezone: str,
    link: str,
    host: str,
    now: datetime,
) -> icalendar.Event:
    """`venues` are the ones to name: the citizen's own, or all of them."""
    tz = ZoneInfo(timezone)
    entry = icalendar.Event()
    entry.add("uid", event_uid(event, host))
    entry.add("dtstamp", now)
    entry.add("last-modified", event.updated_at)
    entry.add("sequence", sequence(event))
    entry.add("dtstart", event.starts_at.astimezone(tz))
    if event.ends_at is not None:
        entry.add("dtend", event.ends_at.astimezone(tz))
    entry.add("summary", title)
    location = "; ".join(
        ", ".join(part for part in (venue.name, venue.address) if part) for venue in venues
    )
    if location:
        entry.add("location", location)
    entry.add("description", "\n\n".join(part for part in (plain(description), link) if part))
    entry.add("url", link)
    entry.add("status", "CANCELLED" if event.status == EventStatus.CANCELLED else "CONFIRMED")
    return entry


def event_ics(
    event: Event,
    venues: list[EventVenue],
    *,
    title: str,
    description: str | None,
    timezone: str,
    link: str,
    host: str,
    now: datetime,
) -> bytes:
    """One event's file."""
    entry = event_entry(
        event,
        venues,
        title=title,
        description=description,
        timezone=timezone,
        link=link,
        host=host,
        now=now,
    )
    return calendar_ics([entry])


def calendar_ics(entries: list[icalendar.Event], *, name: str | None = None) -> bytes:
    """A calendar of these events; with a `name`, a feed to subscribe to."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    if name is not None:
        calendar.add("method", "PUBLISH")
        calendar.add("x-wr-calname", name)
        calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", "PT1H")  # the same, as older apps read it
    for entry in entries:
        calendar.add_component(entry)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def plain(html_text: str | None) -> str:
    """A description without its formatting tags, for calendars that show plain text."""
    if not html_text:
        return ""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))
