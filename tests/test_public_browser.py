"""The council's public page in a real browser: Debian's Chromium (/usr/bin/chromium), driven
by Playwright, against the bot's own web app on a loopback port with a seeded database.

Writes a screenshot of the page in each language, council-<kk|ru|en>.png, into SCREENSHOTS_DIR
when it is set (docs/screenshots holds the committed ones), else into the test's temporary
directory. Skipped when no Chromium is installed (CI installs it, and sets REQUIRE_BROWSER=1 so
that a missing browser fails there instead)."""

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import icalendar
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.app import App
from bot.web.public import add_public_pages
from tests import public_seed as seeded
from tests.flows import said

CHROMIUM = Path("/usr/bin/chromium")


def _browser_missing() -> str | None:
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium; CI installs it)"
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    return None


MISSING = _browser_missing()
if MISSING and os.environ.get("REQUIRE_BROWSER") == "1":
    raise RuntimeError(f"REQUIRE_BROWSER=1, but {MISSING}")
pytestmark = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"public_pages": True})


@pytest.fixture
async def base_url(app: App) -> AsyncIterator[str]:
    await seeded.seed(app)
    web_app = web.Application()
    add_public_pages(web_app, app)
    server = TestServer(web_app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("")).rstrip("/")
    await server.close()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield browser
        await browser.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    # A relative SCREENSHOTS_DIR is the repository's (tests run in a temporary directory).
    asked = os.environ.get("SCREENSHOTS_DIR")
    directory = Path(__file__).resolve().parent.parent / asked if asked else tmp_path
    directory.mkdir(parents=True, exist_ok=True)
    return directory


async def phone(browser: Any, locale: str) -> Any:
    """A page as on a phone whose language is `locale` (Chromium sends it as Accept-Language)."""
    context = await browser.new_context(
        locale=locale, viewport={"width": 412, "height": 915}, device_scale_factor=1
    )
    page = await context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: page.dialogs.append(dialog.message))
    page.violations = []
    page.on(
        "console",
        lambda message: (
            page.violations.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return page


async def test_the_page_in_a_browser(app, base_url, browser, screenshots):
    page = await phone(browser, "ru-RU")
    response = await page.goto(f"{base_url}/council/1")
    assert response.status == 200
    # The browser's language is the first guess.
    assert await page.get_attribute("html", "lang") == "ru"
    assert await page.inner_text("#events-title") == said(app, "ru", "Upcoming events")
    assert seeded.EVENT_TITLE_RU in await page.inner_text("#events")

    # The language switch.
    await page.click("nav.languages >> text=English")
    assert await page.get_attribute("html", "lang") == "en"
    assert await page.inner_text("#events-title") == "Upcoming events"
    assert seeded.EVENT_TITLE in await page.inner_text("#events")
    await page.click("nav.languages >> text=Қазақша")
    assert await page.get_attribute("html", "lang") == "kk"
    assert seeded.EVENT_TITLE_KK in await page.inner_text("#events")
    await page.click("nav.languages >> text=English")

    # The search finds a published answer; the unpublished one never appears.
    await page.fill("input[name=q]", "Kaskelen road")
    await page.press("input[name=q]", "Enter")
    await page.wait_for_load_state()
    answers = await page.inner_text("#answers")
    assert seeded.PUBLISHED_ANSWER in answers
    assert seeded.UNPUBLISHED_QUESTION not in answers
    await page.fill("input[name=q]", "Ulanfence")
    await page.press("input[name=q]", "Enter")
    await page.wait_for_load_state()
    answers = await page.inner_text("#answers")
    assert "Nothing was found for «Ulanfence»." in answers
    assert "fence" not in answers.replace("«Ulanfence»", "")
    assert seeded.UNPUBLISHED_QUESTION not in await page.inner_text("body")

    # A question with HTML in it is shown as its text, and nothing runs.
    await page.goto(f"{base_url}/council/1?lang=en")
    answers = await page.inner_text("#answers")
    assert "<script>alert('x')</script>" in answers
    assert "<b>late</b>" in answers
    assert await page.locator("script").count() == 0
    assert await page.locator("#answers b").count() == 0
    assert page.dialogs == []
    assert page.violations == []  # the page's own style is allowed by its hash

    # The calendar feed the page links to parses, and holds the event.
    href = await page.get_attribute("#events a[type='text/calendar']", "href")
    feed = await page.request.get(f"{base_url}{href}")
    assert feed.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(await feed.body())
    titles = {str(entry["SUMMARY"]) for entry in calendar.walk("VEVENT")}
    assert seeded.EVENT_TITLE in titles

    # For a person to look at: the page in each language.
    for language in ("kk", "ru", "en"):
        await page.goto(f"{base_url}/council/1?lang={language}")
        path = screenshots / f"council-{language}.png"
        await page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 10_000
