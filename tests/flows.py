"""The flows tests share: asking a question, inviting a secretary, publishing an event, adding
subscribers, running the clock's jobs, reading back what was stored or sent, and the settings a
webhook replica runs with. Test modules import these from here, never from one another; the
shared fixtures (admin, secretary, fake_time...) are in conftest.py."""

import re
from collections import Counter
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot.config import Settings, load_settings
from db.base import Base
from db.models import Question, Subscription, User
from tests.chat import ChatUser
from tests.conftest import ADMIN_ID, ALMATY, TOKEN

# -- questions ---------------------------------------------------------------------------------

QUESTION = "When will the road to the village school be repaired?"


async def ask(user, text=QUESTION, *, topic="Roads and transport", anonymous=False, agree=True):
    """Walk the /ask flow in English up to the receipt."""
    await user.send("/ask")
    await user.press(topic)
    await user.send(text)
    await user.press("Stay anonymous" if anonymous else "Show my name")
    await user.press("No, do not publish")
    if "Before" in user.last_reply().text or "I agree" in user.last_reply().buttons:
        await user.press("I agree" if agree else "I do not agree")
    await user.press("Send")


async def ask_in(app, user, language: str) -> None:
    """The /ask flow in the user's language, with the first topic, name shown, consent given."""
    await user.send("/ask")
    await user.press(user.last_reply().buttons[0])
    await user.send(QUESTION)
    await user.press(said(app, language, "Show my name"))
    await user.press(said(app, language, "No, do not publish"))
    await user.press(said(app, language, "I agree"))
    await user.press(said(app, language, "Send"))


def said(app, language: str, text: str, **values: Any) -> str:
    """The catalog's text in this language; it must really be translated."""
    translated = app.i18n.gettext(text, locale=language)
    if language != "en":
        assert translated != text, f"not translated into {language}: {text!r}"
    return translated.format(**values) if values else translated


def said_n(app, language: str, singular: str, plural: str, n: int, **values: Any) -> str:
    """A count's words from the catalog in this language, for this number."""
    translated = app.i18n.gettext(singular, plural, n, locale=language)
    if language != "en":
        assert translated not in (singular, plural), f"not translated into {language}: {plural!r}"
    return translated.format(**values)


async def stored(app, **filters) -> list[Question]:
    async with app.sessionmaker() as session:
        query = select(Question).filter_by(**filters).order_by(Question.id)
        return list(await session.scalars(query))


# -- staff -------------------------------------------------------------------------------------

GROUP = {"id": -1001234567890, "type": "supergroup", "title": "Council staff"}


async def invite(admin, make_user, name: str, council_id: int | None = None) -> ChatUser:
    await admin.send("/invite" if council_id is None else f"/invite {council_id}")
    payload = re.search(r"start=(inv_[\w-]+)", admin.last_reply().text).group(1)
    person = make_user(name)
    await person.send(f"/start {payload}")
    # Not having picked a language yet, they are welcomed in DEFAULT_LANGUAGE, then get the picker.
    welcome, picker = person.replies()
    assert welcome.text.startswith("Теперь вы секретарь")
    assert picker.buttons == ["Қазақша", "Русский", "English"]
    await person.press("English")
    return person


# -- the database ------------------------------------------------------------------------------

# What changes with every update whatever it is: when we last saw the user.
VOLATILE = {"users": {"last_seen", "telegram_language", "is_active"}}


async def snapshot(app) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, but for what each update refreshes."""
    rows = {}
    async with app.sessionmaker() as session:
        for table in Base.metadata.sorted_tables:
            if table.name == "processed_updates":
                continue
            columns = [c for c in table.columns if c.name not in VOLATILE.get(table.name, set())]
            result = await session.execute(select(*columns).order_by(*table.primary_key.columns))
            rows[table.name] = [tuple(row) for row in result]
    return rows


async def add_subscribers(
    app, count: int, language: str = "ru", start: int = 500_000
) -> list[int]:
    """Many subscribers at once, straight into the database."""
    now = app.clock.now()
    ids = list(range(start, start + count))
    async with app.sessionmaker() as session:
        for user_id in ids:
            session.add(
                User(
                    id=user_id,
                    full_name=f"U{user_id}",
                    language=language,
                    first_seen=now,
                    last_seen=now,
                    is_active=True,
                )
            )
        await session.flush()
        for user_id in ids:
            session.add(Subscription(user_id=user_id, council_id=1, active=True, updated_at=now))
        await session.commit()
    return ids


class Crash(BaseException):
    """Stands for kill -9: nothing after it runs, nothing is cleaned up."""


# -- events and what was sent ------------------------------------------------------------------

ATTEND = "✋ I will attend"


async def new_event(
    secretary: ChatUser,
    *,
    texts: dict[str, str] | None = None,
    start: str = "27.11.2026 15:00",
    end: str | None = None,
    venues: tuple[str, ...] = ("Central library | 10 Abay St | 40",),
    contacts: str | None = None,
    audience: str | dict[str, str] | None = None,
    choice: str | None = "Publish now",
) -> int:
    texts = texts or {"en": "Round table\nThe Hearing State and rural libraries."}
    await secretary.send("/new_event")
    for language in ("kk", "ru", "en"):
        await secretary.send(texts.get(language, "/skip"))
    await secretary.send(start)
    await secretary.send(end or "/skip")
    for venue in venues:
        await secretary.send(venue)
    await secretary.send("/done")
    await secretary.send(contacts or "/skip")
    for language in ("kk", "ru", "en"):
        if language in texts:  # "who it is for" is asked in each language announced in
            note = audience if isinstance(audience, str) else (audience or {}).get(language)
            await secretary.send(note or "/skip")
    if choice is None:
        return 0
    await secretary.press(choice)
    found = re.search(r"Event #(\d+)", secretary.last_reply().text)
    return int(found.group(1)) if found else 0


def received(telegram, text_part: str, staff: Collection[int] = (ADMIN_ID,)) -> Counter:
    """Who got a message containing this text, and how many times, the staff aside (by default
    the superadmin; test_broadcasts passes its own staff, whose previews do not count)."""
    return Counter(
        call.chat_id
        for call in telegram.sent()
        if call.text and text_part in call.text and call.chat_id not in staff
    )


def at(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=ALMATY)


async def run_jobs(app) -> None:
    await app.events.run()
    await app.broadcaster.wait()


# -- webhook -----------------------------------------------------------------------------------

SECRET = "s3cret-Token_for-tests"
URL = "https://bot.example.org/telegram/hook"


def webhook_settings(settings: Settings, **overrides: object) -> Settings:
    values = {
        "bot_token": TOKEN,
        "database_url": settings.database_url,
        "redis_url": settings.redis_url,
        "redis_prefix": settings.redis_prefix,
        "admin_ids": str(ADMIN_ID),
        "mode": "webhook",
        "webhook_url": URL,
        "webhook_secret": SECRET,
        "_env_file": None,
        **overrides,
    }
    return load_settings(**values)
