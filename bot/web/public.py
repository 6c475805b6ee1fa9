"""Each council's public page, served by the bot's own aiohttp server (PUBLIC_PAGES=true): the
webhook server, or in polling mode the one on HEALTH_PORT. Read-only, in kk, ru and en.

Routes (GET; `?lang=kk|ru|en`, else the browser's Accept-Language, else the council's
language):
- /councils — every council, linked;
- /council/<id> — its events still to come, its published answers (`?q=` searches them), its
  figures;
- /council/<id>/calendar.ics — its calendar feed (iCalendar) to subscribe to;
- /council/<id>/event/<event id>.ics — one event's file, "add to calendar".

This module speaks HTTP: it picks the language, asks bot/services/public.py for the data, has
bot/web/pages.py put it into words, renders a template (autoescaped: every value is text) and
caches the result briefly. Pages load nothing from elsewhere and run no script: the
Content-Security-Policy allows the page's own inline style (by its hash) and nothing else."""

import asyncio
import base64
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Generic, TypeVar

from aiohttp import web
from babel import negotiate_locale
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from bot.app import App
from bot.clock import Clock
from bot.config import LANGUAGES
from bot.ics import calendar_ics, event_entry
from bot.services.events import pick_language
from bot.services.public import CouncilFigures, PublicAnswer, PublicEvent, PublicService
from bot.web import pages
from db.models import Council

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
# How long a page (or a calendar) is served from memory, and how long browsers and proxies may
# keep it: a change shows within a minute.
PAGE_SECONDS = 60
# Pages kept at once (council × language × search); the least recently used go first.
MAX_CACHED = 512
# A search is cut to this many characters.
MAX_QUERY = 200
# Waiting for Telegram to say the bot's username (links to the bot, calendar UIDs).
USERNAME_TIMEOUT = 3.0
_ID = r"{council_id:[1-9][0-9]{0,8}}"

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """A few hundred values, each for `seconds` by the app's clock; least recently used out."""

    def __init__(self, clock: Clock, seconds: float, size: int) -> None:
        self.clock = clock
        self.ttl = timedelta(seconds=seconds)
        self.size = size
        self.entries: OrderedDict[K, tuple[datetime, V]] = OrderedDict()

    def get(self, key: K) -> V | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if self.clock.now() >= expires:
            del self.entries[key]
            return None
        self.entries.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self.entries[key] = (self.clock.now() + self.ttl, value)
        self.entries.move_to_end(key)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)

    async def get_or_make(self, key: K, make: Callable[[], Awaitable[V]]) -> V:
        value = self.get(key)
        if value is None:
            value = await make()
            self.put(key, value)
        return value


@dataclass(frozen=True)
class Rendered:
    body: bytes
    content_type: str
    language: str
    status: int = 200
    filename: str | None = None


def accepted_languages(header: str | None) -> list[str]:
    """The language tags of an Accept-Language header, most wanted first (q=0 left out)."""
    ranked = []
    for position, part in enumerate((header or "").split(",")[:32]):
        tag, _, parameters = part.strip().partition(";")
        weight = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        tag = tag.strip()
        if tag and tag != "*" and weight > 0:
            ranked.append((-weight, position, tag))
    return [tag for _, _, tag in sorted(ranked)]


def choose_language(asked: str | None, accept_language: str | None) -> str | None:
    """`?lang=` when it names one of ours; else the first of the browser's languages we have
    (`ru-RU` is ru); else None (the council's own language)."""
    if asked in LANGUAGES:
        return asked
    found = negotiate_locale(accepted_languages(accept_language), LANGUAGES, sep="-", aliases={})
    return found.lower() if found else None


def search_text(raw: str | None) -> str:
    """The search as typed, its spaces squeezed, at most MAX_QUERY characters."""
    return " ".join((raw or "")[:MAX_QUERY].split())


class PublicPages:
    """What the routes share: the app, the templates, the caches, the headers."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.pages: TtlCache[tuple[Any, ...], Rendered] = TtlCache(
            app.clock, PAGE_SECONDS, MAX_CACHED
        )
        # Figures count every question of a council: once a minute, whatever is searched.
        self.figures: TtlCache[int, CouncilFigures] = TtlCache(app.clock, PAGE_SECONDS, 256)
        css = (HERE / "style.css").read_text(encoding="utf-8")
        self.css = Markup(css)  # ours, and it holds no "</style>"
        digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
        self.csp = (
            f"default-src 'none'; style-src 'sha256-{digest}'; form-action 'self'; "
            "base-uri 'none'; frame-ancestors 'none'"
        )
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=True,
            undefined=StrictUndefined,
            auto_reload=False,
        )
        self.username: str | None = None

    async def bot_username(self) -> str | None:
        """The bot's username for links to it; None while Telegram cannot be asked."""
        if self.username is None:
            try:
                async with asyncio.timeout(USERNAME_TIMEOUT):
                    self.username = (await self.app.bot.me()).username
            except Exception as exc:  # the page goes on without the links
                logger.warning("public page: the bot's username is unknown: %s", exc)
        return self.username

    def html(self, template: str, context: dict[str, Any], status: int = 200) -> Rendered:
        body = self.templates.get_template(template).render(page=context, css=self.css)
        return Rendered(body.encode(), "text/html", context["language"], status)

    def response(self, rendered: Rendered, *, vary: bool = True) -> web.Response:
        response = web.Response(
            body=rendered.body,
            status=rendered.status,
            content_type=rendered.content_type,
            charset="utf-8",
        )
        headers = response.headers
        headers["Content-Security-Policy"] = self.csp
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        headers["X-Frame-Options"] = "DENY"
        headers["Content-Language"] = rendered.language
        if rendered.status == 200:
            headers["Cache-Control"] = f"public, max-age={PAGE_SECONDS}"
        else:
            headers["Cache-Control"] = "no-store"
        if vary:
            headers["Vary"] = "Accept-Language"
        if rendered.filename:
            headers["Content-Disposition"] = f'inline; filename="{rendered.filename}"'
        return response

    @contextmanager
    def use_language(self, language: str) -> Iterator[None]:
        """Gettext in `language` while a page is put into words."""
        with self.app.i18n.context(), self.app.i18n.use_locale(language):
            yield

    # -- reading ---------------------------------------------------------------------------

    async def council_data(
        self, council_id: int, query: str
    ) -> tuple[Council, list[PublicEvent], list[PublicAnswer], CouncilFigures] | None:
        app = self.app
        async with app.sessionmaker() as session:
            service = PublicService(session, app.settings, app.clock)
            council = await service.council(council_id)
            if council is None:
                return None
            events = await service.upcoming(council)
            answers = await service.answers(council, query)
            figures = await self.figures.get_or_make(council.id, lambda: service.figures(council))
        return council, events, answers, figures

    async def not_found(self, language: str | None) -> web.Response:
        language = language or self.app.settings.default_language
        username = await self.bot_username()
        with self.use_language(language):
            context = pages.not_found_page(language, username)
        return self.response(self.html("councils.html", context, status=404))


PAGES_KEY = web.AppKey("public_pages", PublicPages)


def add_public_pages(web_app: web.Application, app: App) -> None:
    """The public pages' routes on this web server; nothing when PUBLIC_PAGES is off."""
    if not app.settings.public_pages:
        return
    web_app[PAGES_KEY] = PublicPages(app)
    web_app.router.add_get("/councils", councils_index)
    web_app.router.add_get(f"/council/{_ID}", council_page)
    web_app.router.add_get(f"/council/{_ID}/calendar.ics", council_calendar)
    web_app.router.add_get(
        f"/council/{_ID}/event/{{event_id:[1-9][0-9]{{0,8}}}}.ics", event_calendar
    )


# -- routes ------------------------------------------------------------------------------------


async def councils_index(request: web.Request) -> web.Response:
    pages_ = request.app[PAGES_KEY]
    language = (
        choose_language(request.query.get("lang"), request.headers.get("Accept-Language"))
        or pages_.app.settings.default_language
    )

    async def make() -> Rendered:
        async with pages_.app.sessionmaker() as session:
            councils = await PublicService(
                session, pages_.app.settings, pages_.app.clock
            ).all_councils()
        username = await pages_.bot_username()
        with pages_.use_language(language):
            context = pages.councils_page(councils, language, username)
        return pages_.html("councils.html", context)

    return pages_.response(await pages_.pages.get_or_make(("index", language), make))


async def council_page(request: web.Request) -> web.Response:
    pages_ = request.app[PAGES_KEY]
    council_id = int(request.match_info["council_id"])
    asked = choose_language(request.query.get("lang"), request.headers.get("Accept-Language"))
    query = search_text(request.query.get("q"))
    key = ("council", council_id, asked, query)
    rendered = pages_.pages.get(key)
    if rendered is None:
        data = await pages_.council_data(council_id, query)
        if data is None:
            return await pages_.not_found(asked)
        council, events, answers, figures = data
        language = asked or council.default_language
        username = await pages_.bot_username()
        with pages_.use_language(language):
            context = pages.council_page(
                council,
                language,
                events=events,
                answers=answers,
                query=query,
                searched=bool(query),
                figures=figures,
                bot_username=username,
            )
        rendered = pages_.html("council.html", context)
        pages_.pages.put(key, rendered)
    return pages_.response(rendered)


async def council_calendar(request: web.Request) -> web.Response:
    """The feed: every event public by now (recent ones, those to come, cancelled ones), in the
    language asked for (`?lang=`), else the council's."""
    pages_ = request.app[PAGES_KEY]
    council_id = int(request.match_info["council_id"])
    asked = request.query.get("lang")
    asked = asked if asked in LANGUAGES else None
    return await _calendar(pages_, council_id, None, asked)


async def event_calendar(request: web.Request) -> web.Response:
    pages_ = request.app[PAGES_KEY]
    council_id = int(request.match_info["council_id"])
    event_id = int(request.match_info["event_id"])
    asked = request.query.get("lang")
    asked = asked if asked in LANGUAGES else None
    return await _calendar(pages_, council_id, event_id, asked)


async def _calendar(
    pages_: PublicPages, council_id: int, event_id: int | None, asked: str | None
) -> web.Response:
    key = ("calendar", council_id, event_id, asked)
    rendered = pages_.pages.get(key)
    if rendered is None:
        username = await pages_.bot_username()
        if username is None:
            # The events' UIDs name the bot: a calendar must never see them change.
            raise web.HTTPServiceUnavailable(headers={"Retry-After": "60"})
        app = pages_.app
        async with app.sessionmaker() as session:
            service = PublicService(session, app.settings, app.clock)
            council = await service.council(council_id)
            if council is None:
                raise web.HTTPNotFound
            if event_id is None:
                events = await service.calendar(council)
            else:
                found = await service.event(council, event_id)
                if found is None:
                    raise web.HTTPNotFound
                events = [found]
        language = asked or council.default_language
        now = app.clock.now()
        entries = []
        for shown in events:
            text_language = pick_language(shown.event, language, council.default_language)
            entries.append(
                event_entry(
                    shown.event,
                    shown.venues,
                    title=shown.event.title(text_language) or "",
                    description=shown.event.description(text_language),
                    timezone=council.timezone,
                    link=f"https://t.me/{username}?start={pages.EVENT_LINK_PREFIX}{shown.event.id}",
                    host=username,
                    now=now,
                )
            )
        if event_id is None:
            body = calendar_ics(entries, name=council.name(language))
            filename = f"council-{council.id}.ics"
        else:
            body = calendar_ics(entries)
            filename = f"event-{event_id}.ics"
        rendered = Rendered(body, "text/calendar", language, filename=filename)
        pages_.pages.put(key, rendered)
    return pages_.response(rendered, vary=False)
