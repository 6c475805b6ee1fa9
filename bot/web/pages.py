"""What the public pages say, in the reader's language: every word is translated here (the
templates only place them), dates and numbers as CLDR writes them, the council's time zone in
words. Called inside an I18n context set to the page's language (bot/web/public.py).

Values are plain text: the templates escape everything (Jinja autoescape), so nothing here
quotes HTML; an event's description, kept as Telegram HTML, is reduced to its text first."""

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from babel.numbers import format_percent

from bot.config import LANGUAGES
from bot.i18n import LANGUAGE_NAMES, format_day, median_days_text
from bot.ics import plain
from bot.services.events import pick_language
from bot.services.public import CouncilFigures, PublicAnswer, PublicEvent
from bot.views.event_cards import places_text, reach_line, tz_of, when_zoned
from db.models import Council

EVENT_LINK_PREFIX = "event_"  # as handlers/events.py reads t.me/<bot>?start=event_<id>


def council_path(council_id: int) -> str:
    return f"/council/{council_id}"


def calendar_path(council_id: int) -> str:
    return f"/council/{council_id}/calendar.ics"


def event_path(council_id: int, event_id: int) -> str:
    return f"/council/{council_id}/event/{event_id}.ics"


def _languages(path: str, language: str, query: str = "") -> list[dict[str, Any]]:
    links = []
    for code in LANGUAGES:
        params = {"lang": code} | ({"q": query} if query else {})
        links.append(
            {
                "code": code,
                "name": LANGUAGE_NAMES[code],
                "href": f"{path}?{urlencode(params)}",
                "current": code == language,
            }
        )
    return links


def _common(
    language: str, title: str, path: str, bot_username: str | None, query: str = ""
) -> dict[str, Any]:
    return {
        "language": language,
        "title": title,
        "language_label": _("Language"),
        "languages": _languages(path, language, query),
        "ask_link": {
            "href": f"https://t.me/{bot_username}",
            "label": _("Ask the council a question in Telegram"),
        }
        if bot_username
        else None,
        "footer": _(
            "The public page of the council's Telegram bot: read-only, with no personal data. "
            "It is refreshed every minute."
        ),
    }


def councils_page(
    councils: Sequence[Council], language: str, bot_username: str | None
) -> dict[str, Any]:
    heading = _("Public councils")
    return _common(language, heading, "/councils", bot_username) | {
        "heading": heading,
        "intro": _(
            "Choose a council to see its events, its answers to citizens' questions and its "
            "figures."
        ),
        "empty": _("No councils yet."),
        "councils": [
            {
                "name": council.name(language),
                "href": f"{council_path(council.id)}?{urlencode({'lang': language})}",
            }
            for council in councils
        ],
    }


def not_found_page(language: str, bot_username: str | None) -> dict[str, Any]:
    heading = _("There is no such council.")
    return _common(language, heading, "/councils", bot_username) | {
        "heading": heading,
        "intro": _("It may have been removed, or the address has a mistake in it."),
        "empty": "",
        "councils": [
            {"name": _("All councils"), "href": f"/councils?{urlencode({'lang': language})}"}
        ],
    }


def council_page(
    council: Council,
    language: str,
    *,
    events: Sequence[PublicEvent],
    answers: Sequence[PublicAnswer],
    query: str,
    searched: bool,
    figures: CouncilFigures,
    bot_username: str | None,
) -> dict[str, Any]:
    name = council.name(language)
    path = council_path(council.id)
    return _common(language, name, path, bot_username, query) | {
        "heading": name,
        "index": {
            "href": f"/councils?{urlencode({'lang': language})}",
            "label": _("All councils"),
        },
        "events": _events(council, language, events, bot_username),
        "answers": _answers(council, language, answers, query, searched),
        "figures": {
            "heading": _("The council in figures"),
            "lines": figure_lines(figures, language),
        },
    }


def _events(
    council: Council, language: str, events: Sequence[PublicEvent], bot_username: str | None
) -> dict[str, Any]:
    tz = tz_of(council)
    items = []
    for shown in events:
        event = shown.event
        text_language = pick_language(event, language, council.default_language)
        contacts = [
            part
            for part in (event.contact_person, event.contact_phones, event.contact_email)
            if part
        ]
        items.append(
            {
                "language": text_language,
                "title": event.title(text_language) or "",
                "when": when_zoned(event, language, tz),
                "venues": [
                    {
                        "place": ", ".join(part for part in (venue.name, venue.address) if part),
                        "left": places_text(venue).removeprefix(" · "),
                    }
                    for venue in shown.venues
                ],
                "audience": event.audience(text_language),
                "contacts": ", ".join(contacts),
                "description": plain(event.description(text_language)),
                "ics": f"{event_path(council.id, event.id)}?{urlencode({'lang': language})}",
                "telegram": f"https://t.me/{bot_username}?start={EVENT_LINK_PREFIX}{event.id}"
                if bot_username
                else None,
            }
        )
    return {
        "heading": _("Upcoming events"),
        "empty": _("No events are planned yet."),
        "entries": items,
        "when": _("When"),
        "where": _("Where"),
        "audience": _("Who it is for"),
        "contacts": _("Contacts"),
        "add": _("Add to calendar"),
        "register": _("Register in Telegram"),
        "feed": {
            "href": f"{calendar_path(council.id)}?{urlencode({'lang': language})}",
            "label": _("The council's calendar"),
            "hint": _(
                "Subscribe to this link in a calendar app: events appear there, and move or "
                "disappear when the council moves or cancels them."
            ),
        },
    }


def _answers(
    council: Council, language: str, answers: Sequence[PublicAnswer], query: str, searched: bool
) -> dict[str, Any]:
    if searched and answers:
        summary = ngettext(
            "{count} answer found for «{query}»",
            "{count} answers found for «{query}»",
            len(answers),
        ).format(count=len(answers), query=query)
    elif searched:
        summary = _("Nothing was found for «{query}».").format(query=query)
    elif not answers:
        summary = _("The council has not published any answers yet.")
    else:
        summary = ""
    return {
        "heading": _("Answers to citizens' questions"),
        "action": council_path(council.id),
        "query": query,
        "label": _("Search the answers"),
        "button": _("Search"),
        "summary": summary,
        "question": _("Question"),
        "answer": _("The council's answer"),
        "entries": [
            {
                "topic": answer.topic.name(language),
                "day": format_day(answer.published_at.astimezone(tz_of(council)).date(), language),
                "question": answer.question,
                "answer": answer.answer,
            }
            for answer in answers
        ],
    }


def figure_lines(figures: CouncilFigures, language: str) -> list[str]:
    lines = [
        ngettext(
            "{count} question received", "{count} questions received", figures.received
        ).format(count=figures.received),
        ngettext(
            "{count} question answered", "{count} questions answered", figures.answered
        ).format(count=figures.answered),
    ]
    if figures.answered:
        share = format_percent(figures.on_time / figures.answered, locale=language)
        lines.append(_("{share} of the answers given on time").format(share=share))
    lines.append(median_days_text(figures.median_days, language))
    lines.append(
        ngettext("{count} event held", "{count} events held", figures.events_held).format(
            count=figures.events_held
        )
    )
    lines.append(reach_line(figures.reached))
    return lines
