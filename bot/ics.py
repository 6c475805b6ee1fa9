"""An event as an iCalendar file (RFC 5545) that phones and mail programs add to a calendar: the
start in the council's time zone (with its VTIMEZONE), the venue, and a link back to the card."""

import html
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import icalendar

from db.models import Event, EventStatus, EventVenue


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
    """`venues` are the ones to name: the citizen's own, or all of them."""
    tz = ZoneInfo(timezone)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Hearing State bot//EN")
    calendar.add("version", "2.0")
    entry = icalendar.Event()
    entry.add("uid", f"event-{event.id}@{host}")
    entry.add("dtstamp", now)
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
    if event.status == EventStatus.CANCELLED:
        entry.add("status", "CANCELLED")
    calendar.add_component(entry)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def plain(html_text: str | None) -> str:
    """A description without its formatting tags, for calendars that show plain text."""
    if not html_text:
        return ""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))
