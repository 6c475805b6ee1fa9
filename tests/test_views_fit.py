"""Every view fits: whatever grows with user text or with data reaches the user whole, through
a fake that refuses what Telegram refuses, in kk, ru and en, with the largest inputs the bot
accepts."""

import re
from datetime import datetime
from html import unescape

import pytest
from sqlalchemy import select

from bot.services.questions import MAX_NOTE, MAX_TEXT, Draft, QuestionService
from bot.views import Plain, pack, visible_length
from db.models import Council, Topic, User
from tests.conftest import ADMIN_ID, ALMATY
from tests.flows import said

LANGUAGES = ["kk", "ru", "en"]
# 3 000 characters that grow when escaped, with 4-byte emoji (two UTF-16 units each).


def longest(text: str, limit: int = MAX_TEXT) -> str:
    """The longest prefix the bot accepts: `limit` UTF-16 units, as Telegram counts."""
    while len(text.encode("utf-16-le")) // 2 > limit:
        text = text[:-1]
    return text.rstrip()


QUESTION = longest("Жол <жөндеу> & 😀 " * 200)
ANSWER = longest("Answer & <details> 🚧 мамыр " * 200)
REASON = longest("Себеп <b> & 😀 " * 100, MAX_NOTE)  # the longest reason for an extension
LONGEST_NAME = "Ә<" * 64  # 128 characters: the longest council or topic name accepted


def visible(texts: list[str]) -> str:
    return "".join(unescape(re.sub(r"<[^>]*>", "", text)) for text in texts)


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


async def longest_names(app) -> None:
    async with app.sessionmaker() as session:
        for row in [
            *await session.scalars(select(Council)),
            *await session.scalars(select(Topic)),
        ]:
            row.name_kk = row.name_ru = row.name_en = LONGEST_NAME
        await session.commit()


@pytest.mark.parametrize("language", LANGUAGES)
async def test_longest_question_and_answer_in_q_and_my(citizen, secretary, app, language):
    """Item 4: about 6 200 characters in /q and /my; Telegram refused, the user saw nothing."""
    saule = await secretary(language)
    alice = await citizen(language)
    await longest_names(app)
    await alice.send("/ask")
    await alice.press(alice.last_reply().buttons[0])
    await alice.send(QUESTION)
    await alice.press(said(app, language, "Show my name"))
    await alice.press(said(app, language, "No, do not publish"))
    await alice.press(said(app, language, "I agree"))
    await alice.press(said(app, language, "Send"))
    card = saule.inbox()[-1]
    assert squeezed(QUESTION) in squeezed(visible([card.text]))

    # The longest reason for an extension reaches the citizen whole, and the card, marked
    # extended, is still redrawn.
    await saule.send(f"/extend 1 +5 {REASON}")
    assert squeezed(REASON) in squeezed(visible([alice.inbox()[-1].text]))
    card = next(reply for reply in saule.inbox() if reply.text.startswith("📨"))
    assert said(app, language, "(extended)") in card.text
    assert squeezed(QUESTION) in squeezed(visible([card.text]))

    await saule.send(f"/answer 1 {ANSWER}")
    assert squeezed(ANSWER) in squeezed(visible([alice.inbox()[-1].text]))

    await saule.send("/q 1")
    view = [reply.text for reply in saule.replies()]
    assert len(view) >= 2
    assert squeezed(QUESTION) in squeezed(visible(view))
    assert squeezed(ANSWER) in squeezed(visible(view))

    await alice.send("/my")
    await alice.press(alice.last_reply().buttons[0])
    mine = alice.replies()
    assert len(mine) >= 2
    assert squeezed(QUESTION) in squeezed(visible([r.text for r in mine]))
    assert squeezed(ANSWER) in squeezed(visible([r.text for r in mine]))
    # Rating and follow-up stay under the last part.
    assert "👍" in mine[-1].buttons and all(not r.buttons for r in mine[:-1])


async def make_questions(app, settings, citizen_id: int, count: int) -> None:
    settings.max_questions_per_day = settings.max_open_questions = count + 1
    async with app.sessionmaker() as session:
        council = (await session.scalars(select(Council))).first()
        topic = (await session.scalars(select(Topic))).first()
        user = await session.get(User, citizen_id)
        service = QuestionService(session, settings, app.clock)
        for number in range(count):
            await service.create(
                user, council, Draft(council.id, topic.id, f"Question number {number}", False)
            )
        await session.commit()


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_busy_councils_digest_arrives_whole(
    citizen, secretary, app, clock, settings, telegram, language
):
    """Item 19: ~110 due questions made the digest too long, and the day was lost for good;
    a council name with `<` lost it too."""
    saule = await secretary(language)
    alice = await citizen("en")
    await make_questions(app, settings, alice.id, 130)
    async with app.sessionmaker() as session:
        council = (await session.scalars(select(Council))).first()
        council.name_kk = council.name_ru = council.name_en = "Council <of> Almaty & Co"
        await session.commit()
    clock.set(datetime(2026, 12, 14, 9, 30, tzinfo=ALMATY))  # the due day, a Monday
    assert await app.digests.run() == 1
    digest = [t for t in telegram.texts(saule.id) if t.startswith(("☀️", "•"))]
    assert len(digest) >= 2
    text = visible(digest)
    assert "Council <of> Almaty & Co" in text
    for number in range(1, 131):
        assert f"№2026-{number:06d}" in text


async def test_a_digest_that_could_not_be_sent_is_tried_again(
    citizen, secretary, app, clock, settings, telegram
):
    saule = await secretary()
    alice = await citizen("en")
    await make_questions(app, settings, alice.id, 3)
    clock.set(datetime(2026, 12, 14, 9, 30, tzinfo=ALMATY))
    telegram.fail("sendMessage", chat_id=saule.id, status=502, description="Bad Gateway")
    assert await app.digests.run() == 0
    assert await app.digests.run() == 1, "the next wake sends it"
    assert await app.digests.run() == 0, "and only once"


@pytest.mark.parametrize("language", LANGUAGES)
async def test_help_and_stats_fit(citizen, app, settings, language):
    admin = await citizen(language, "Admin", user_id=ADMIN_ID)
    await admin.send("/help")
    assert len(admin.replies()) >= 1
    settings.max_questions_per_day = settings.max_open_questions = 100
    async with app.sessionmaker() as session:
        council = (await session.scalars(select(Council))).first()
        user = await session.get(User, admin.id)
        service = QuestionService(session, settings, app.clock)
        for number in range(60):
            name = f"{number:02d}" + "Т<" * 63
            topic = Topic(council_id=council.id, name_kk=name, name_ru=name, name_en=name)
            session.add(topic)
            await session.flush()
            await service.create(
                user, council, Draft(council.id, topic.id, "A question here.", True)
            )
        await session.commit()
    await admin.send("/stats")
    text = visible([reply.text for reply in admin.replies()])
    for number in range(60):
        assert f"{number:02d}Т<Т<" in text


def test_pack_keeps_tags_whole_and_counts_what_telegram_counts():
    parts = ["<b>Title</b>", Plain("a" * 5000), "&lt;" * 100]
    messages = pack(parts, limit=4096)
    assert all(visible_length(m) <= 4096 for m in messages)
    assert messages[0].startswith("<b>Title</b>")
    assert visible(messages).replace("\n", "") == "Title" + "a" * 5000 + "<" * 100
    emoji = pack([Plain("😀" * 3000)])
    assert len(emoji) == 2 and all(visible_length(m) <= 4096 for m in emoji)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_largest_event_card_fits(citizen, app, language, telegram):
    """The longest title, description, contacts and audience, 30 venues with the longest
    names and addresses: the announcement and the card with places left fit, in every
    language, also for someone on the waiting list."""
    from tests.test_events import ATTEND, new_event

    admin = await citizen("en", "Admin", user_id=ADMIN_ID)
    alice = await citizen(language, "Alice")
    bob = await citizen(language, "Bob")
    venue = "Н" * 150 + " | " + "А" * 250 + " | 1"
    event_id = await new_event(
        admin,
        texts={lang: "Т" * 200 + "\n" + ("Сипаттама. " * 140)[:1490] for lang in LANGUAGES},
        venues=(venue,) * 30,
        contacts=" | ".join(["К" * 190, "+7 701 000 00 00", "council@example.kz"]),
        audience="Ж" * 300,
    )
    assert event_id, admin.last_reply().text
    await app.broadcaster.wait()
    for person in (alice, bob):
        await person.press(app.i18n.gettext(ATTEND, locale=language))
        await person.press(person.last_reply().buttons[0])  # venue 1
    await bob.send("/events")
    card = bob.last_reply()
    assert "Т" * 200 in card.text
    assert visible_length(card.text) <= 4096


async def test_emoji_count_as_telegram_counts_them(citizen, secretary, app):
    """A 3 000-character limit in Python characters let 3 000 emoji through: 6 000 units, a
    card and an answer Telegram refuses. Limits count what Telegram counts."""
    saule = await secretary()
    alice = await citizen("en")
    await alice.send("/ask")
    await alice.press("Roads and transport")
    await alice.send("😀" * 1501)
    assert alice.last_reply().text == (
        "The question is too long: 3002 characters, at most 3000. Please shorten it."
    )
    await alice.send("😀" * 1500)
    await alice.press("Show my name")
    await alice.press("No, do not publish")
    await alice.press("I agree")
    await alice.press("Send")
    assert "😀" * 1500 in saule.inbox()[-1].text
    await saule.send("/answer 1 " + "🚧" * 1501)
    assert saule.last_reply().text.startswith("The text is too long")
    await saule.send("/answer 1 " + "🚧" * 1500)
    assert "🚧" * 1500 in alice.inbox()[-1].text


@pytest.mark.parametrize("language", LANGUAGES)
async def test_longest_forward_reaches_the_citizen_and_the_other_council_whole(
    citizen, secretary, make_user, app, language
):
    """Forwards with the longest reason, between councils with the longest names, of the
    longest question after the longest note, and to the longest body outside the bot: the
    citizen's notices, the card at the other council and the /q history there arrive whole."""
    saule = await secretary(language)
    alice = await citizen(language)
    for _ in range(2):
        await alice.send("/ask")
        await alice.press(alice.last_reply().buttons[0])
        await alice.send(QUESTION)
        await alice.press(said(app, language, "Show my name"))
        await alice.press(said(app, language, "No, do not publish"))
        if said(app, language, "I agree") in alice.last_reply().buttons:
            await alice.press(said(app, language, "I agree"))
        await alice.press(said(app, language, "Send"))
    await saule.send(f"/note 1 {REASON}")
    async with app.sessionmaker() as session:
        other = Council(
            name_kk="x",
            name_ru="x",
            name_en="x",
            timezone="Asia/Almaty",
            default_language=language,
            created_at=datetime.now(ALMATY),
        )
        session.add(other)
        await session.flush()
        session.add(Topic(council_id=other.id, name_kk="x", name_ru="x", name_en="x"))
        await session.commit()
    await longest_names(app)

    await saule.send(f"/forward 1 {other.id} | {REASON}")
    notice = alice.inbox()[-1].text
    assert squeezed(REASON) in squeezed(visible([notice]))
    assert squeezed(LONGEST_NAME) in squeezed(visible([notice]))
    body = longest("Орган <ә> & 😀 " * 40, 256)
    await saule.send(f"/forward 2 {body} | {REASON}")
    notice = alice.inbox()[-1].text
    assert squeezed(body) in squeezed(visible([notice]))
    assert squeezed(REASON) in squeezed(visible([notice]))

    # The other council has no secretary yet: its card went to the superadmin, who sees the
    # question whole there, and in /q the history from the first council, note included.
    admin = make_user("Admin", user_id=ADMIN_ID)
    card = next(reply for reply in admin.inbox() if "№2026-000003" in reply.text)
    assert squeezed(QUESTION) in squeezed(visible([card.text]))
    await admin.send("/q 3")
    view = [reply.text for reply in admin.replies()]
    assert squeezed(QUESTION) in squeezed(visible(view))
    assert squeezed(visible(view)).count(squeezed(REASON)) == 2, "the note and the reason"
