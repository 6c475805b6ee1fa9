"""Open answers (issue 16, in the bot): the citizen's consent to publish, a secretary publishing,
editing the published wording and unpublishing, /faq, and the similar published answers shown
before a question is sent — in several languages, through the strict fake."""

import re
from datetime import timedelta

import pytest
from aiogram import html
from sqlalchemy import func, select, text

from bot.services.questions import MAX_TEXT
from bot.services.search import CANDIDATE_BUDGET, candidate_terms
from bot.views.faq import FaqOpen
from db.models import AuditEntry, Question, QuestionStatus, User
from db.repositories.published import PublishedRepository
from tests.flows import invite, said, said_n, stored
from tests.test_views_fit import longest

ROAD = "When will the road on Abay street near school 12 be repaired?"
ROAD_ANSWER = "The akimat will repair the road on Abay street in May; the contract is signed."
ROAD_AGAIN = "Is the repair of Abay street road near the school planned this year?"
ROAD_KK = "Абай көшесіндегі 12-мектептің жанындағы жол қашан жөнделеді?"
ROAD_KK_ANSWER = "Абай көшесіндегі жол мамыр айында жөнделеді, келісімшартқа қол қойылды."
ROAD_KK_AGAIN = "Абай көшесіндегі мектеп жанындағы жолды жөндеу жоспарланған ба?"
# The author of the answers published straight in the database.
AUTHOR = 700_000_001
# The default council's topics, as stored (not catalog entries).
ROADS = {"kk": "Жолдар және көлік", "ru": "Дороги и транспорт", "en": "Roads and transport"}
UTILITIES = {"kk": "Тұрғын үй-коммуналдық шаруашылық", "ru": "ЖКХ", "en": "Housing and utilities"}


async def ask_with(app, user, language: str, text: str, *, publish: str | None, topic=None):
    """/ask in the user's language up to the receipt; `publish` is the answer to the new step:
    "yes", "no", or None for /skip."""
    await user.send("/ask")
    await user.press(topic or ROADS[language])
    await user.send(text)
    if said(app, language, "➡️ Go on with my question") in user.last_reply().buttons:
        await user.press(said(app, language, "➡️ Go on with my question"))
    await user.press(said(app, language, "Show my name"))
    if publish == "yes":
        await user.press(said(app, language, "Yes, publish without my name"))
    elif publish == "no":
        await user.press(said(app, language, "No, do not publish"))
    else:
        await user.send("/skip")
    if said(app, language, "I agree") in user.last_reply().buttons:
        await user.press(said(app, language, "I agree"))
    await user.press(said(app, language, "Send"))


async def publish_directly(app, texts: list[tuple[str, str]], *, council_id=1, topic_id=3):
    """Answered and published questions straight in the database (the triggers index them)."""
    now = app.clock.now()
    async with app.sessionmaker() as session:
        if await session.get(User, AUTHOR) is None:
            session.add(User(id=AUTHOR, full_name="", first_seen=now, last_seen=now))
            await session.flush()
        number = await session.scalar(select(func.count(Question.id))) or 0
        number += 900
        for text, answer in texts:
            number += 1
            session.add(
                Question(
                    year=2026,
                    number=number,
                    council_id=council_id,
                    topic_id=topic_id,
                    citizen_id=AUTHOR,
                    anonymous=True,
                    text=text,
                    status=QuestionStatus.ANSWERED,
                    created_at=now,
                    due_date=now.date(),
                    closed_at=now,
                    resolution=answer,
                    publish_consent=True,
                    published_at=now,
                )
            )
            now += timedelta(minutes=1)
        await session.commit()


def card_of(secretary) -> object:
    return next(reply for reply in reversed(secretary.inbox()) if reply.text.startswith("📨"))


async def audit_actions(app, question_id: int) -> list[tuple[str, str | None]]:
    async with app.sessionmaker() as session:
        rows = await session.execute(
            select(AuditEntry.action, AuditEntry.detail)
            .where(AuditEntry.question_id == question_id)
            .order_by(AuditEntry.id)
        )
        return [tuple(row) for row in rows]


# -- consent ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["kk", "en"])
async def test_the_consent_step_asks_and_its_default_is_no(citizen, app, language):
    alice = await citizen(language)
    await alice.send("/ask")
    await alice.press(ROADS[language])
    await alice.send(ROAD)
    await alice.press(said(app, language, "Show my name"))
    prompt = alice.last_reply()
    assert prompt.buttons == [
        said(app, language, "No, do not publish"),
        said(app, language, "Yes, publish without my name"),
    ]
    assert "/skip" in prompt.text
    await alice.send("/skip")
    await alice.press(said(app, language, "I agree"))
    assert (
        said(app, language, "Publish with the answer: {choice}").format(
            choice=said(app, language, "no, it stays between you and the council")
        )
        in alice.last_reply().text
    )
    await alice.press(said(app, language, "Send"))
    [question] = await stored(app)
    assert question.publish_consent is False

    await ask_with(app, alice, language, ROAD + " Again.", publish="yes")
    assert [q.publish_consent for q in await stored(app)] == [False, True]


# -- publishing ------------------------------------------------------------------------------


async def test_publishing_is_refused_without_consent_in_the_secretarys_language(
    citizen, secretary, app
):
    saule = await secretary("ru")
    alice = await citizen("en")
    await ask_with(app, alice, "en", ROAD, publish="no")
    await saule.send("/answer 1 " + ROAD_ANSWER)
    assert card_of(saule).buttons == []
    await saule.send("/publish 1")
    assert saule.last_reply().text == said(
        app, "ru", "The citizen did not allow this question to be published, so it cannot be."
    )
    assert (await stored(app))[0].published_at is None


@pytest.mark.parametrize("language", ["ru", "en"])
async def test_publish_edit_the_wording_and_unpublish(citizen, secretary, app, language):
    saule = await secretary(language)
    alice = await citizen(language, "Aliya")
    await ask_with(app, alice, language, ROAD, publish="yes")
    await saule.send("/publish 1")
    assert saule.last_reply().text == said(
        app, language, "Only an answered question can be published."
    )

    await saule.send("/answer 1 " + ROAD_ANSWER)
    card = card_of(saule)
    assert card.buttons == [said(app, language, "🌐 Publish in /faq")]
    await saule.press(said(app, language, "🌐 Publish in /faq"), card)
    assert (
        said(
            app,
            language,
            "{ticket} and its answer are published in /faq, without the citizen's name:",
        ).format(ticket="№2026-000001")
        in saule.replies()[0].text
    )
    [question] = await stored(app)
    assert question.published_at is not None and question.published_text is None
    assert card_of(saule).buttons == [said(app, language, "Remove from /faq")]

    # The wording is changed; the question's own text stays, the audit log has both steps.
    await saule.send("/publish 2026-1 | When will the road near the school be repaired?")
    assert (
        said(app, language, "The published wording of {ticket} is changed:").format(
            ticket="№2026-000001"
        )
        in saule.last_reply().text
    )
    [question] = await stored(app)
    assert question.text == ROAD
    assert question.published_text == "When will the road near the school be repaired?"
    await saule.send("/publish 1 | When will the road near the school be repaired?")
    already = said(
        app,
        language,
        "This question is already published in these words. To change them: /publish <ticket> "
        "| <new wording>",
    )
    assert saule.last_reply().text == html.quote(already)

    # Anyone reads it in /faq: the edited wording and the council's answer, nobody's name.
    bob = await citizen(language, "Bob")
    await bob.send("/faq")
    await bob.press(said(app, language, "All, newest first ({count})", count=1))
    listing = bob.last_reply()
    assert "near the school" in listing.text and "Abay" not in listing.text
    await bob.press("📖 1")
    opened = bob.last_reply().text
    assert "When will the road near the school be repaired?" in opened
    assert ROAD_ANSWER in opened
    assert "Aliya" not in opened and str(alice.id) not in opened and "№2026" not in opened
    stale = listing

    await saule.send("/unpublish 1")
    assert saule.replies()[0].text == said(
        app, language, "{ticket} is removed from /faq. To publish it again: /publish {ticket}"
    ).format(ticket="№2026-000001")
    await saule.send("/unpublish 1")
    assert saule.last_reply().text == said(app, language, "This question is not published.")
    await bob.send("/faq")
    assert bob.last_reply().text == said(app, language, "No answers have been published yet.")
    await bob.press("📖 1", stale)
    assert bob.alerts() == [said(app, language, "This answer is no longer published.")]

    actions = await audit_actions(app, question.id)
    assert [action for action, _detail in actions][-3:] == [
        "published",
        "publish_edited",
        "unpublished",
    ]
    assert ("publish_edited", "When will the road near the school be repaired?") in actions
    # The citizen's history says so too, in their language.
    assert question.text == (await stored(app))[0].text


async def test_a_wording_that_names_the_citizen_or_holds_contacts_is_refused(
    citizen, secretary, app
):
    saule = await secretary("en")
    alice = await citizen("en", "Aliya", last_name="Nurlanova", username="aliya_n")
    await ask_with(
        app,
        alice,
        "en",
        "I am Aliya Nurlanova from Abay street: when is the road repaired?",
        publish="yes",
    )
    await saule.send("/answer 1 " + ROAD_ANSWER)
    await saule.send("/publish 1")
    assert saule.last_reply().text.startswith("The wording names the citizen")
    await saule.send("/publish 1 | Call me at +7 701 234 56 78 about the road on Abay street")
    assert saule.last_reply().text.startswith("The wording holds contact details")
    await saule.send("/publish 1 | Write to @aliya_n about the road on Abay street, please")
    assert saule.last_reply().text.startswith("The wording holds contact details")
    assert (await stored(app))[0].published_at is None
    await saule.send("/publish 1 | When will the road on Abay street be repaired?")
    assert (await stored(app))[0].published_at is not None


async def test_bad_tickets_and_another_councils_question(admin, make_user, citizen, app):
    await admin.send("/council_add Ауыл кеңесі | Сельский совет | Village council")
    village = int(re.search(r"Council (\d+)", admin.last_reply().text).group(1))
    berik = await invite(admin, make_user, "Berik", council_id=village)
    alice = await citizen("en")
    await alice.send("/ask")
    await alice.press("Public council")
    await alice.press("Roads and transport")
    await alice.send(ROAD)
    await alice.press("Show my name")
    await alice.press("Yes, publish without my name")
    await alice.press("I agree")
    await alice.press("Send")
    await admin.send("/answer 1 " + ROAD_ANSWER)

    usage = "Usage: /publish &lt;ticket&gt; or /publish &lt;ticket&gt; | &lt;wording without"
    for typed in ("/publish", "/publish 1234567890123456789012345", "/publish ²", "/publish 1 |"):
        await berik.send(typed)
        assert berik.last_reply().text.startswith(usage), typed
    await berik.send("/unpublish ¹")
    assert berik.last_reply().text == "Usage: /unpublish &lt;ticket&gt;"
    for typed in ("/publish 1", "/unpublish 1", "/publish 77"):
        await berik.send(typed)
        assert berik.last_reply().text == "No such ticket among your council's questions."
    assert (await stored(app))[0].published_at is None


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
async def test_the_citizen_hears_of_the_publication_and_can_take_it_back(
    citizen, secretary, app, language
):
    """Published, the citizen is told in their language, in the words shown, with "Do not
    publish": pressed, the answer leaves /faq at once and can never be published again. Only
    the citizen's own button acts; the secretary hears whether the citizen was told."""
    saule = await secretary("en")
    alice = await citizen(language, "Aliya")
    bob = await citizen(language, "Bob")
    await ask_with(app, alice, language, ROAD, publish="yes")
    await saule.send("/answer 1 " + ROAD_ANSWER)
    await saule.send("/publish 1")
    assert saule.replies()[0].text.endswith(
        "The citizen has been told, and may take it off /faq with a button."
    )
    notice = alice.inbox()[-1]
    assert notice.text == "\n".join(
        [
            said(
                app,
                language,
                "🌐 Your question {ticket} and the council's answer are published in /faq, "
                "without your name, in these words:",
                ticket="№2026-000001",
            ),
            "",
            ROAD,
            "",
            said(
                app,
                language,
                "If you do not want it published, press the button: it is removed at once.",
            ),
        ]
    )
    do_not_publish = said(app, language, "🚫 Do not publish")
    assert notice.buttons == [do_not_publish]
    # The button is in /my too, under the question, while publication is allowed.
    await alice.send("/my")
    [opening] = [label for label in alice.last_reply().buttons if "№2026-000001" in label]
    await alice.press(opening)
    assert do_not_publish in alice.last_reply().buttons

    # Someone else's question: looks missing, and stays published.
    [question] = await stored(app)
    await bob.press_data(f"nopub:{question.id}")
    assert bob.alerts() == [said(app, language, "Question not found.")]
    assert (await stored(app))[0].is_published

    await alice.press(do_not_publish, notice)
    assert alice.alerts() == [
        said(
            app,
            language,
            "{ticket} is removed from /faq and will not be published again.",
            ticket="№2026-000001",
        )
    ]
    [notice_now] = [reply for reply in alice.inbox() if reply.text == notice.text]
    assert notice_now.buttons == [], "the button is gone from the notice"
    [question] = await stored(app)
    assert (question.publish_consent, question.published_at) == (False, None)
    assert ("consent_withdrawn", None) in await audit_actions(app, question.id)
    await bob.send("/faq")
    assert bob.last_reply().text == said(app, language, "No answers have been published yet.")
    assert card_of(saule).buttons == []
    await saule.send("/publish 1")
    assert saule.last_reply().text == (
        "The citizen did not allow this question to be published, so it cannot be."
    )
    # Pressed again (the old notice): said plainly, nothing changes.
    await alice.press_data(f"nopub:{question.id}")
    assert alice.alerts() == [
        said(
            app,
            language,
            "{ticket} will not be published: you did not allow it, or took the permission back.",
            ticket="№2026-000001",
        )
    ]


async def test_a_citizen_who_blocked_the_bot_is_not_said_to_be_told(
    citizen, secretary, app, telegram
):
    saule = await secretary("en")
    alice = await citizen("en", "Aliya")
    await ask_with(app, alice, "en", ROAD, publish="yes")
    await saule.send("/answer 1 " + ROAD_ANSWER)
    telegram.block(alice.id)
    await saule.send("/publish 1")
    assert saule.replies()[0].text.endswith("The citizen has blocked the bot and was not told.")
    assert (await stored(app))[0].is_published


async def test_the_longest_wording_fits_the_citizens_notice(citizen, secretary, app):
    """A wording as long as a message may be, of characters that take two UTF-16 units and
    characters HTML escapes: the notice of its publication still fits one message."""
    saule = await secretary("en")
    alice = await citizen("kk", "Aliya")
    await ask_with(app, alice, "kk", ROAD_KK, publish="yes")
    await saule.send("/answer 1 " + ROAD_ANSWER)
    wording = longest("😀😀<" * 1000, MAX_TEXT)  # as long as a wording may be
    await saule.send("/publish 1 | " + wording)
    assert saule.replies()[0].text.endswith(
        "The citizen has been told, and may take it off /faq with a button."
    )
    notice = alice.inbox()[-1]
    assert notice.buttons == [said(app, "kk", "🚫 Do not publish")]
    assert html.quote(wording) in notice.text


async def test_a_citizen_cannot_publish(citizen, app):
    alice = await citizen("ru")
    await alice.send("/publish 1")
    assert alice.last_reply().text == said(
        app, "ru", "This command is only for council secretaries."
    )


# -- /faq ------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_faq_by_topic_newest_first_paged_and_the_largest_entries_fit(
    citizen, app, telegram, language
):
    wording = longest("Жол <жөндеу> & «мектеп» 😀 " * 200)
    answer = longest("Жауап & <b>мамыр</b> 🚧 " * 200)
    await publish_directly(app, [(f"{n} {wording}", f"{n} {answer}") for n in range(7)])
    await publish_directly(app, [("Су құбыры қашан жөнделеді?", "Маусымда.")], topic_id=2)
    alice = await citizen(language)
    await alice.send("/faq")
    topics = alice.last_reply()
    assert topics.buttons == [
        said(app, language, "All, newest first ({count})", count=8),
        f"{UTILITIES[language]} (1)",
        f"{ROADS[language]} (7)",
    ]
    await alice.press(topics.buttons[2])
    first = alice.last_reply()
    assert first.edited and first.buttons[:5] == [f"📖 {n}" for n in range(1, 6)]
    assert "▶️" in first.buttons and "◀️" not in first.buttons
    # Newest first: the last published (6) leads; escaped, cut with "…".
    entries = re.findall(r"<b>\d\.</b> (\d)", first.text)
    assert entries == ["6", "5", "4", "3", "2"]
    assert "&lt;жөндеу&gt; &amp;" in first.text and "…" in first.text
    await alice.press("▶️")
    second = alice.last_reply()
    assert re.findall(r"<b>\d\.</b> (\d)", second.text) == ["1", "0"]
    await alice.press("📖 1")
    parts = alice.replies()
    # A 3 000-character question with a 3 000-character answer: two messages, nothing lost.
    assert len(parts) == 2
    whole = "".join(part.text for part in parts)
    assert whole.count("&lt;жөндеу&gt;") == wording.count("<жөндеу>")
    assert "&lt;b&gt;мамыр&lt;/b&gt;" in whole
    assert not telegram.refusals


@pytest.mark.parametrize("language", ["ru", "en"])
async def test_faq_search_finds_word_forms_and_escapes(citizen, app, language):
    await publish_directly(
        app,
        [
            ("Когда отремонтируют <b>дорогу</b> на улице Абая?", "Дорогу отремонтируют в мае."),
            ("When will the bus route 12 run again?", "Route 12 runs again from 1 March."),
            ("Почему нет горячей воды в доме?", "Ремонт теплосети закончится в июне."),
        ],
    )
    alice = await citizen(language)
    await alice.send("/faq ремонт дороги Абая")
    found = alice.last_reply()
    assert re.findall(r"<b>\d\.</b> (\S+)", found.text)[0] == "Когда"
    assert "&lt;b&gt;дорогу&lt;/b&gt;" in found.text
    assert (
        said_n(
            app,
            language,
            "{count} published answer found for «{words}», the closest first:",
            "{count} published answers found for «{words}», the closest first:",
            len(found.buttons),
            count=len(found.buttons),
            words="ремонт дороги Абая",
        )
        in found.text
    )
    await alice.send("/faq routes")
    assert "route 12" in alice.last_reply().text
    await alice.send("/faq !!")
    assert alice.last_reply().text == (
        said(
            app,
            language,
            "Nothing to search for: give at least one word of {minimum} or more letters or "
            "digits.",
            minimum=2,
        )
    )
    await alice.send("/faq космодром")
    assert alice.last_reply().text == said(
        app, language, "No published answer found for «{words}». You can ask the council: /ask"
    ).format(words="космодром")


# -- similar answers during /ask ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "published", "answer", "asked"),
    [("en", ROAD, ROAD_ANSWER, ROAD_AGAIN), ("kk", ROAD_KK, ROAD_KK_ANSWER, ROAD_KK_AGAIN)],
)
async def test_similar_answers_are_shown_before_sending_and_the_citizen_can_still_send(
    citizen, app, language, published, answer, asked
):
    await publish_directly(app, [(published, answer), ("Бюджет туралы сұрақ", "Жауап.")])
    alice = await citizen(language)
    await alice.send("/ask")
    await alice.press(ROADS[language])
    await alice.send(asked)
    shown = alice.last_reply()
    assert (
        said(
            app,
            language,
            "💡 Maybe this answers your question: the council has already answered these.",
        )
        in shown.text
    )
    assert shown.buttons == [
        "📖 1",
        said(app, language, "➡️ Go on with my question"),
        said(app, language, "✅ This answers my question"),
    ]
    await alice.press("📖 1")
    opened = alice.last_reply()
    assert answer in opened.text
    assert opened.buttons == shown.buttons[1:]
    # Going on from the opened answer: the question goes on to be sent.
    await alice.press(said(app, language, "➡️ Go on with my question"), opened)
    assert said(app, language, "Show my name") in alice.last_reply().buttons
    await alice.press(said(app, language, "Show my name"))
    await alice.press(said(app, language, "No, do not publish"))
    await alice.press(said(app, language, "I agree"))
    await alice.press(said(app, language, "Send"))
    mine = await stored(app, citizen_id=alice.id)
    assert [q.text for q in mine] == [asked]

    # Or the answer was enough: nothing is sent.
    await alice.send("/ask")
    await alice.press(ROADS[language])
    await alice.send(asked)
    await alice.press(said(app, language, "✅ This answers my question"))
    assert alice.last_reply().text == said(
        app, language, "Glad the council's answer helped. Your question was not sent."
    )
    assert len(await stored(app, citizen_id=alice.id)) == 1


async def test_an_unpublished_answer_is_never_suggested_nor_listed(citizen, secretary, app):
    saule = await secretary("en")
    alice = await citizen("en")
    await ask_with(app, alice, "en", ROAD, publish="yes")
    await saule.send("/answer 1 " + ROAD_ANSWER)
    bob = await citizen("en", "Bob")

    async def suggested() -> bool:
        await bob.send("/ask")
        await bob.press("Roads and transport")
        await bob.send(ROAD_AGAIN)
        shown = "📖 1" in bob.last_reply().buttons
        await bob.send("/cancel")
        return shown

    assert not await suggested()
    await bob.send("/faq Abay road")
    assert bob.last_reply().text.startswith("No published answer found")
    await saule.send("/publish 1")
    assert await suggested()
    await saule.send("/unpublish 1")
    assert not await suggested()
    await bob.send("/faq")
    assert bob.last_reply().text == "No answers have been published yet."

    # Published, then the citizen objects: off /faq until published again.
    await saule.send("/publish 1")
    await alice.press("❗ I do not agree")
    await alice.send("The road was not repaired at all, nothing was done.")
    assert (await stored(app))[0].status == QuestionStatus.REOPENED
    assert not await suggested()
    await bob.send("/faq")
    assert bob.last_reply().text == "No answers have been published yet."


async def test_a_forged_open_button_shows_nothing_unpublished(citizen, secretary, app):
    saule = await secretary("en")
    alice = await citizen("en")
    await ask_with(app, alice, "en", ROAD, publish="no")
    await saule.send("/answer 1 " + ROAD_ANSWER)
    bob = await citizen("en", "Bob")
    await bob.press_data(FaqOpen(question_id=1).pack())
    assert bob.alerts() == ["This answer is no longer published."]
    assert all(ROAD_ANSWER not in reply.text for reply in bob.inbox())


# -- the rarest terms first ------------------------------------------------------------------


def test_candidate_terms_take_the_rarest_within_the_budget_and_at_least_two_found():
    terms = ["дорог*", "абая*", "ремон*", "12", "ямы*"]
    # Rare terms fit the budget; common ones are left to the ranking.
    assert candidate_terms(terms, [3000, 1, 2500, 0, 40]) == ["абая*", "12", "ямы*"]
    # Only common words: the two least common are still looked for.
    assert candidate_terms(["дорог*", "ремон*", "улиц*"], [3000, 2500, 900]) == [
        "ремон*",
        "улиц*",
    ]
    # Nothing known about any of them (no statistics yet): every term.
    assert candidate_terms(terms, [0] * 5) == terms
    assert candidate_terms(["дорог*"], [CANDIDATE_BUDGET + 1]) == ["дорог*"]


async def test_an_answer_sharing_a_rare_word_is_found_among_many_sharing_common_ones(citizen, app):
    common = [("Когда отремонтируют дорогу в селе?", "Ремонт дороги в мае.")] * 40
    await publish_directly(app, [*common, ("Ямы на улице Абая", "Ремонт улицы Абая в июне.")])
    async with app.sessionmaker() as session:
        sqlite = session.get_bind().dialect.name == "sqlite"
        if not sqlite:
            # The statistics autovacuum keeps, made now (committed, for the search's session).
            await session.execute(text("ANALYZE question_search"))
            await session.commit()
        published = PublishedRepository(session)
        road, abay = await published.frequencies(["дорог*", "абая*"], 30)
        assert road > abay
        if sqlite:
            # Counted by the index, up to the cap.
            assert (road, abay) == (30, 1)
    alice = await citizen("ru")
    await alice.send("/faq когда отремонтируют дорогу на улице Абая")
    found = [line for line in re.findall(r"<b>\d+\.</b> (.+)", alice.last_reply().text)]
    # A rare word weighs more than common ones (bm25; on PostgreSQL the rank weighted by
    # each term's rarity).
    assert found[0].startswith("Ямы на улице Абая")
