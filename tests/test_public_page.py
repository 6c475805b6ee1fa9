"""The council's public page over HTTP on loopback (no browser): what it shows and never shows,
its language, its headers, its cache and its calendar feed. tests/test_public_browser.py opens
the same page in Chromium."""

import base64
import hashlib
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from html import unescape

import icalendar
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import update

from bot.app import App, create_app
from bot.web.public import PAGE_SECONDS, accepted_languages, add_public_pages, choose_language
from bot.webhook import create_web_app
from db.models import Event, EventVenue, Question
from tests import public_seed as seeded
from tests.flows import said, said_n, webhook_settings


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"public_pages": True})


@pytest.fixture
async def seed(app: App) -> seeded.Seeded:
    return await seeded.seed(app)


@pytest.fixture
async def client(app: App, seed) -> AsyncIterator[TestClient]:
    web_app = web.Application()
    add_public_pages(web_app, app)
    async with TestClient(TestServer(web_app)) as client:
        yield client


async def page(client: TestClient, path: str = "/council/1", **params: str) -> str:
    response = await client.get(path, params=params)
    assert response.status == 200, await response.text()
    return await response.text()


def visible_text(html: str) -> str:
    """The page as a reader sees it: tags out, entities decoded."""
    return unescape(re.sub(r"<[^>]+>", " ", html))


async def test_the_page_shows_what_the_council_holds_next_and_its_figures(client, seed):
    text = visible_text(await page(client, lang="en"))
    assert seeded.EVENT_TITLE in text
    assert "(Kazakhstan time, UTC+5)" in text
    assert "Central library, 10 Abay St" in text
    assert "37 places left" in text  # 40 places, 3 taken
    assert "Rural library No. 2" in text
    assert "librarians and readers" in text
    # The description is kept as Telegram HTML; the page shows its text.
    assert "The Hearing State & rural libraries." in text
    assert "Bring your questions." in text
    # Not public: cancelled, a draft, one announced later, one already held.
    for hidden in (seeded.CANCELLED_TITLE, seeded.DRAFT_TITLE, seeded.LATER_TITLE, "held last"):
        assert hidden not in text
    # Five questions came, four were answered, three of them by their date, each in 2 days;
    # one event was held, 25 + 13 came.
    for line in (
        "5 questions received",
        "4 questions answered",
        "75% of the answers given on time",
        "Median time to answer: 2 days",
        "1 event held",
        "38 people reached",
    ):
        assert line in text


async def test_the_page_speaks_kazakh_and_russian(client, app, seed):
    kk = visible_text(await page(client, lang="kk"))
    assert seeded.EVENT_TITLE_KK in kk
    assert said(app, "kk", "Upcoming events") in kk
    assert (
        said_n(app, "kk", "{count} question received", "{count} questions received", 5, count=5)
        in kk
    )
    assert "Қазақстан уақыты, UTC+5" in kk
    ru = visible_text(await page(client, lang="ru"))
    assert seeded.EVENT_TITLE_RU in ru
    assert said(app, "ru", "Upcoming events") in ru
    assert "Охват составил 38 человек" in ru
    assert "время Казахстана, UTC+5" in ru
    assert "Upcoming events" not in ru


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("kk-KZ,kk;q=0.9,ru;q=0.8,en;q=0.7", "kk"),
        ("de-DE,de;q=0.9,en-US;q=0.8,ru;q=0.5", "en"),
        ("ru;q=0.4,en;q=0.9", "en"),
        ("fr-FR, fr;q=0.9", "ru"),  # none of ours: the council's own language
        ("", "ru"),
    ],
)
async def test_the_browser_language_is_the_first_guess(client, header, expected):
    response = await client.get("/council/1", headers={"Accept-Language": header})
    assert response.headers["Content-Language"] == expected
    assert f'<html lang="{expected}">' in await response.text()
    assert response.headers["Vary"] == "Accept-Language"


async def test_a_language_asked_for_wins_over_the_browser(client):
    response = await client.get("/council/1?lang=kk", headers={"Accept-Language": "en"})
    assert response.headers["Content-Language"] == "kk"
    response = await client.get("/council/1?lang=xx", headers={"Accept-Language": "en"})
    assert response.headers["Content-Language"] == "en"


def test_accept_language_is_read_by_weight():
    assert accepted_languages("en;q=0.5, kk, ru;q=0.8, *;q=0.1, de;q=0") == ["kk", "ru", "en"]
    assert accepted_languages("ru;q=bad, en") == ["en"]
    assert choose_language(None, "ru-RU,ru;q=0.9") == "ru"
    assert choose_language(None, "KK") == "kk"
    assert choose_language(None, None) is None


async def test_the_language_switch_keeps_the_search(client):
    html = await page(client, lang="en", q="road")
    assert 'href="/council/1?lang=kk&amp;q=road"' in html
    assert 'href="/council/1?lang=ru&amp;q=road"' in html


async def test_an_unknown_council_is_not_found(client):
    response = await client.get("/council/999", headers={"Accept-Language": "kk"})
    assert response.status == 404
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Language"] == "kk"
    for path in (
        "/council/abc",
        "/council/0",
        "/council/99999999999",
        "/council/999/calendar.ics",
    ):
        assert (await client.get(path)).status == 404, path


async def test_the_index_lists_the_councils(client, app):
    text = visible_text(await page(client, "/councils", lang="kk"))
    assert "Қоғамдық кеңес" in text
    assert 'href="/council/1?lang=kk"' in await page(client, "/councils", lang="kk")


async def test_headers_allow_nothing_from_elsewhere(client):
    response = await client.get("/council/1?lang=en")
    html = await response.text()
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "unsafe-inline" not in csp and "script-src" not in csp
    [style] = re.findall(r"<style>(.*?)</style>", html, re.S)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert "<script" not in html
    assert not re.search(r"\b(src|srcset)=", html)
    # The only absolute links lead to the bot in Telegram.
    assert {link.split("?")[0] for link in re.findall(r'href="(https?://[^"]+)"', html)} == {
        "https://t.me/hearing_state_bot"
    }


async def test_whatever_is_typed_is_shown_as_text(client, app):
    async with app.sessionmaker() as session:
        await session.execute(
            update(Event)
            .where(Event.title_en == seeded.EVENT_TITLE)
            .values(title_en='Hearing <img src=x onerror="alert(1)"> & "buses"')
        )
        await session.execute(
            update(EventVenue)
            .where(EventVenue.name == "Central library")
            .values(name="<script>alert(2)</script>")
        )
        await session.commit()
    html = await page(client, lang="en", q='"><script>alert(3)</script>')
    assert "<img" not in html and "<script" not in html
    assert "Hearing &lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; &#34;buses&#34;" in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert 'value="&#34;&gt;&lt;script&gt;alert(3)&lt;/script&gt;"' in html
    # A published question with HTML in it.
    html = await page(client, lang="en")
    assert (
        "Why is &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; the bus &lt;b&gt;late&lt;/b&gt;"
        in html
    )


async def test_nothing_personal_reaches_the_page(client, app):
    pages = [
        await page(client, lang=language, q=query)
        for language in ("kk", "ru", "en")
        for query in ("", "Qwertynote", "Ulanfence", "aigerim", "road")
    ]
    for html in pages:
        for secret in (
            seeded.CITIZEN_NAME,
            "Aigerim",
            seeded.CITIZEN_USERNAME,
            str(seeded.CITIZEN_ID),
            seeded.NOTE,
            seeded.UNPUBLISHED_QUESTION,
            seeded.UNPUBLISHED_ANSWER,
            "Openquest",
            "2026-000001",
            "№",
        ):
            # The search box repeats what was typed; the rest of the page must not.
            body = re.sub(r'value="[^"]*"|«[^»]*»', "", html)
            assert secret not in body, secret


async def test_the_page_is_cached_for_a_minute(client, app, clock):
    assert "Evening hearing" not in await page(client, lang="en")
    async with app.sessionmaker() as session:
        now = clock.now()
        event = Event(
            council_id=1,
            created_by=1,
            title_en="Evening hearing",
            starts_at=now + timedelta(days=2),
            status="published",
            publish_at=now,
            created_at=now,
            updated_at=now,
        )
        session.add(event)
        await session.flush()
        session.add(EventVenue(event_id=event.id, position=1, name="Hall"))
        await session.commit()
    clock.advance(seconds=59)
    assert "Evening hearing" not in await page(client, lang="en")
    # Another language (or search) is another page, made afresh.
    assert "Evening hearing" in await page(client, lang="ru")
    clock.advance(seconds=2)
    assert "Evening hearing" in await page(client, lang="en")


def feed_events(body: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(entry["SUMMARY"]): entry for entry in calendar.walk("VEVENT")}


async def test_the_calendar_feed_follows_moves_and_cancellations(client, app, clock, seed):
    response = await client.get("/council/1/calendar.ics?lang=en")
    assert response.status == 200
    assert response.content_type == "text/calendar"
    calendar = icalendar.Calendar.from_ical(await response.read())
    assert str(calendar["X-WR-CALNAME"]) == "Public council"
    events = feed_events(await response.read())
    assert set(events) == {seeded.EVENT_TITLE, seeded.CANCELLED_TITLE, "A hearing held last week"}
    entry = events[seeded.EVENT_TITLE]
    assert str(entry["UID"]) == f"event-{seed.event_id}@hearing_state_bot"
    assert str(entry["STATUS"]) == "CONFIRMED"
    assert entry["DTSTART"].dt == clock.now() + timedelta(days=4)
    assert str(entry["DTSTART"].dt.tzinfo) == "Asia/Almaty"
    assert "Central library, 10 Abay St" in str(entry["LOCATION"])
    first_sequence = int(entry["SEQUENCE"])
    cancelled = events[seeded.CANCELLED_TITLE]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) > 0

    # The council moves the event by a day: same UID, later start, higher SEQUENCE.
    moved_at = clock.advance(minutes=5)
    starts_at = entry["DTSTART"].dt + timedelta(days=1)
    async with app.sessionmaker() as session:
        await session.execute(
            update(Event)
            .where(Event.id == seed.event_id)
            .values(
                starts_at=starts_at, ends_at=starts_at + timedelta(hours=2), updated_at=moved_at
            )
        )
        await session.commit()
    moved = feed_events(await (await client.get("/council/1/calendar.ics?lang=en")).read())
    entry = moved[seeded.EVENT_TITLE]
    assert str(entry["UID"]) == f"event-{seed.event_id}@hearing_state_bot"
    assert entry["DTSTART"].dt == starts_at
    assert int(entry["SEQUENCE"]) > first_sequence
    assert entry["LAST-MODIFIED"].dt == moved_at


async def test_the_feed_speaks_the_language_asked_for(client):
    body = await (await client.get("/council/1/calendar.ics?lang=ru")).read()
    assert seeded.EVENT_TITLE_RU in feed_events(body)
    assert "Общественный совет" in str(icalendar.Calendar.from_ical(body)["X-WR-CALNAME"])


async def test_each_event_has_its_own_calendar_file(client, seed):
    response = await client.get(f"/council/1/event/{seed.event_id}.ics?lang=en")
    assert response.status == 200
    assert (
        response.headers["Content-Disposition"] == f'inline; filename="event-{seed.event_id}.ics"'
    )
    assert set(feed_events(await response.read())) == {seeded.EVENT_TITLE}
    html = await page(client, lang="en")
    assert f'href="/council/1/event/{seed.event_id}.ics?lang=en"' in html
    assert 'href="/council/1/calendar.ics?lang=en"' in html
    for hidden in (seed.draft_event_id, 9999):
        assert (await client.get(f"/council/1/event/{hidden}.ics")).status == 404
    # An event is found only under its own council.
    assert (await client.get(f"/council/2/event/{seed.event_id}.ics")).status == 404


async def test_the_webhook_server_serves_the_pages_only_when_asked(
    settings, clock, telegram, storage
):
    for enabled, status in ((True, 200), (False, 404)):
        app = create_app(
            webhook_settings(settings, public_pages=enabled),
            clock=clock,
            session=telegram,
            storage=storage,
        )
        await app.start(run_scheduler=False)
        try:
            async with TestClient(TestServer(create_web_app(app))) as client:
                assert (await client.get("/council/1")).status == status
                assert (await client.get("/healthz")).status == 200
        finally:
            await app.stop()


async def test_published_answers_are_listed_and_searched(client, app):
    text = visible_text(await page(client, lang="en"))
    assert seeded.PUBLISHED_QUESTION in text and seeded.PUBLISHED_ANSWER in text
    assert seeded.HTML_ANSWER in text
    # The wording published, never the citizen's own (it has their name).
    assert seeded.ORIGINAL_QUESTION not in text
    assert seeded.UNPUBLISHED_QUESTION not in text and seeded.UNPUBLISHED_ANSWER not in text

    found = visible_text(await page(client, lang="en", q="Kaskelen road"))
    assert "1 answer found for «Kaskelen road»" in found
    assert seeded.PUBLISHED_ANSWER in found and seeded.HTML_ANSWER not in found
    found = visible_text(await page(client, lang="ru", q="Kaskelen"))
    assert (
        said_n(
            app,
            "ru",
            "{count} answer found for «{query}»",
            "{count} answers found for «{query}»",
            1,
            count=1,
            query="Kaskelen",
        )
        in found
    )
    # Words only an unpublished question, the citizen's original wording or an internal note
    # hold find nothing.
    for words in ("Ulanfence", "Qwertynote", "Zhaksylykova"):
        found = visible_text(await page(client, lang="en", q=words))
        assert f"Nothing was found for «{words}»." in found
        assert seeded.PUBLISHED_ANSWER not in found


async def test_an_unpublished_answer_leaves_the_page(client, app, clock, seed):
    assert seeded.PUBLISHED_ANSWER in await page(client, lang="en", q="Kaskelen")
    async with app.sessionmaker() as session:
        await session.execute(
            update(Question)
            .where(Question.id == seed.published_ids[0])
            .values(published_at=None, published_by=None)
        )
        await session.commit()
    clock.advance(seconds=PAGE_SECONDS)
    assert seeded.PUBLISHED_ANSWER not in await page(client, lang="en", q="Kaskelen")
    assert seeded.PUBLISHED_ANSWER not in await page(client, lang="en")
    assert seeded.HTML_ANSWER in visible_text(await page(client, lang="en"))
