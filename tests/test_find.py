"""/find <words>: a council's staff search their questions, answers and internal notes, in
Kazakh, Russian and English, through the database's full-text index (FTS5 on SQLite, tsvector
on PostgreSQL), which the database keeps current on every write."""

import asyncio
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from bot.services.questions import MAX_NOTE, MAX_TEXT
from bot.services.search import MAX_RESULTS, MAX_WORD, MAX_WORDS, search_words
from bot.views import MESSAGE_LIMIT, visible_length
from db.repositories import search as search_repository
from tests.chat import ChatUser
from tests.flows import GROUP, invite, said, stored

KK = "Алматы қаласындағы Абай көшесінде жолдар қашан жөнделеді?"
RU = "Когда в алматы на улице Сатпаева починят уличное освещение?"
EN = "When will the school on Abay street get its heating back?"


async def ask_text(app, user: ChatUser, language: str, question: str, anonymous=False) -> None:
    """The /ask flow in the user's language with this text, the first topic."""
    await user.send("/ask")
    await user.press(user.last_reply().buttons[0])
    await user.send(question)
    await user.press(said(app, language, "Stay anonymous" if anonymous else "Show my name"))
    await user.press(said(app, language, "No, do not publish"))
    if said(app, language, "I agree") in user.last_reply().buttons:
        await user.press(said(app, language, "I agree"))
    await user.press(said(app, language, "Send"))


def tickets(reply) -> list[str]:
    return re.findall(r"№\d{4}-\d{6}", reply.text)


async def three_questions(app, citizen) -> None:
    """№…01 in Kazakh, №…02 in Russian, №…03 in English (anonymous)."""
    aigul = await citizen("kk", "Айгүл")
    await ask_text(app, aigul, "kk", KK)
    alia = await citizen("ru", "Алия")
    await ask_text(app, alia, "ru", RU)
    alice = await citizen("en", "Alice")
    await ask_text(app, alice, "en", EN, anonymous=True)


async def test_staff_find_questions_answers_and_notes_in_three_languages(
    admin, make_user, citizen, app
):
    saule = await invite(admin, make_user, "Saule")
    await three_questions(app, citizen)

    # Cyrillic case folds: АЛМАТЫ finds "Алматы" (kk) and "алматы" (ru), newest first.
    await saule.send("/find АЛМАТЫ")
    found = saule.last_reply()
    assert found.text.startswith("2 questions found for «АЛМАТЫ», newest first:")
    assert tickets(found) == ["№2026-000002", "№2026-000001"]
    assert "<b>алматы</b>" in found.text and "<b>Алматы</b>" in found.text
    assert "🆕 new · due " in found.text
    assert found.buttons == ["🆕 №2026-000002", "🆕 №2026-000001"]

    # Each word is a prefix, every word required; Kazakh letters fold too.
    await saule.send("/find ҚАЛА абай")
    assert tickets(saule.last_reply()) == ["№2026-000001"]
    assert "<b>қаласындағы</b>" in saule.last_reply().text
    await saule.send("/find abay STREET")
    assert tickets(saule.last_reply()) == ["№2026-000003"]

    # An answer and a note are found, and say where the words were.
    await saule.send("/answer 3 The boiler was replaced on 20 November, heating is back.")
    await saule.send("/note 2 Позвонили в акимат: подрядчик назначен")
    await saule.send("/find boiler")
    assert tickets(saule.last_reply()) == ["№2026-000003"]
    assert "Answer: The <b>boiler</b> was replaced" in saule.last_reply().text
    assert "✅ answered" in saule.last_reply().text
    await saule.send("/find АКИМАТ подрядчик")
    assert tickets(saule.last_reply()) == ["№2026-000002"]
    assert "Note: Позвонили в <b>акимат</b>: <b>подрядчик</b> назначен" in (
        saule.last_reply().text
    )
    # Words from the question and from its note find it together.
    await saule.send("/find освещение акимат")
    assert tickets(saule.last_reply()) == ["№2026-000002"]

    # The button opens the question as /q shows it.
    await saule.press("🆕 №2026-000002")
    assert saule.last_reply().text.startswith("📨")
    assert "Позвонили в акимат" in saule.last_reply().text

    await saule.send("/find водопровод")
    assert saule.last_reply().text == "Nothing found for «водопровод»."
    assert saule.last_reply().buttons == []


async def test_find_speaks_the_secretarys_language(secretary, citizen, app):
    dana = await secretary("kk", "Dana")
    boris = await secretary("ru", "Boris")
    await three_questions(app, citizen)

    await dana.send("/find жөндеу")
    assert dana.last_reply().text == said(
        app, "kk", "Nothing found for «{words}».", words="жөндеу"
    )
    await dana.send("/find жөнделеді")
    assert tickets(dana.last_reply()) == ["№2026-000001"]
    header = dana.last_reply().text.split("\n")[0]
    assert header == "«жөнделеді» бойынша 1 сұрақ табылды, ең жаңалары алдымен:"
    assert said(app, "kk", "due {day}", day="").strip() in dana.last_reply().text

    await boris.send("/find сатпаева")
    assert tickets(boris.last_reply()) == ["№2026-000002"]
    assert "новый" in boris.last_reply().text
    await boris.send("/find ...")
    assert boris.last_reply().text == said(
        app,
        "ru",
        "Nothing to search for: give at least one word of {minimum} or more letters or digits.",
        minimum=2,
    )


async def test_anonymous_questions_are_found_without_a_name(admin, make_user, citizen, app):
    saule = await invite(admin, make_user, "Saule")
    alice = await citizen("en", "Alice", last_name="Nurlanova", username="alice_n")
    await ask_text(app, alice, "en", EN, anonymous=True)
    await ask_text(app, alice, "en", "Abay street lights are off again at night.")
    await saule.send("/find abay")
    found = saule.last_reply()
    assert tickets(found) == ["№2026-000002", "№2026-000001"]
    for name in ("Alice", "Nurlanova", "alice_n"):
        assert name not in found.text and all(name not in button for button in found.buttons)


async def test_a_citizen_cannot_find(citizen, app, telegram):
    alia = await citizen("ru", "Алия")
    await ask_text(app, alia, "ru", RU)
    await alia.send("/find алматы")
    assert alia.last_reply().text == "Эта команда только для секретарей совета."
    alice = await citizen("en")
    await alice.send("/find")
    assert alice.last_reply().text == "This command is only for council secretaries."


async def test_a_secretary_finds_only_their_councils_questions(admin, make_user, citizen, app):
    await admin.send("/council_add Ауыл кеңесі | Сельский совет | Village council")
    council_b = int(re.search(r"Council (\d+)", admin.last_reply().text).group(1))
    saule = await invite(admin, make_user, "Saule", council_id=1)
    berik = await invite(admin, make_user, "Berik", council_id=council_b)
    alice = await citizen("en")
    await alice.send("/ask")
    await alice.press("Village council")
    await alice.press("Budget")
    await alice.send("The village library needs a new roof before winter.")
    await alice.press("Show my name")
    await alice.press("No, do not publish")
    await alice.press("I agree")
    await alice.press("Send")
    await alice.send("/ask")
    await alice.press("Public council")
    await alice.press("Budget")
    await alice.send("The city library needs longer opening hours.")
    await alice.press("Show my name")
    await alice.press("No, do not publish")
    await alice.press("Send")
    await berik.send("/note 1 library roof: the akimat promised a survey")

    await saule.send("/find library")
    assert tickets(saule.last_reply()) == ["№2026-000002"]
    await saule.send("/find roof")
    assert saule.last_reply().text == "Nothing found for «roof»."
    await saule.send("/find akimat survey")
    assert saule.last_reply().text == "Nothing found for «akimat survey»."
    await berik.send("/find library")
    assert tickets(berik.last_reply()) == ["№2026-000001"]
    await admin.send("/find library")
    assert tickets(admin.last_reply()) == ["№2026-000002", "№2026-000001"], "superadmins: all"

    # A forged button for the other council's question opens nothing.
    [village, _city] = await stored(app)
    await saule.press_data(f"sq:{village.id}")
    assert saule.alerts() == ["No such ticket among your council's questions."]


async def test_in_the_staff_group_find_keeps_to_its_council(admin, make_user, citizen, app):
    saule = await invite(admin, make_user, "Saule")
    await admin.send("/council_add Ауыл кеңесі | Сельский совет | Village council")
    await admin.send("/bind 1", chat=GROUP)
    alice = await citizen("en")
    await alice.send("/ask")
    await alice.press("Village council")
    await alice.press("Budget")
    await alice.send("The village library needs a new roof before winter.")
    await alice.press("Show my name")
    await alice.press("No, do not publish")
    await alice.press("I agree")
    await alice.press("Send")
    await admin.send("/find library", chat=GROUP)
    assert admin.last_reply(GROUP["id"]).text == "Nothing found for «library»."
    await saule.send("/find library", chat=GROUP)
    assert saule.last_reply(GROUP["id"]).text == "Nothing found for «library»."
    await admin.send("/find library")
    assert tickets(admin.last_reply()) == ["№2026-000001"]


@pytest.mark.parametrize(
    "words",
    [
        '"',
        '"алматы',
        "алматы*",
        "*",
        "NEAR(алматы абай)",
        "NEAR/2",
        "-алматы",
        "алматы -абай",
        "(алматы OR абай)",
        "алматы AND NOT абай",
        "text:алматы",
        "{text resolution}: алматы",
        "^алматы",
        "алматы & !абай | x:*",
        "алматы <-> абай",
        "'; DROP TABLE questions; --",
        "%_%",
        "\\",
        "\u200b\u200bалматы\u200b",
        "а л м",
        "😀 🇰🇿",
        "²³ ½ жол",
    ],
)
async def test_search_syntax_is_only_text(admin, make_user, citizen, app, words):
    """Whatever is typed, no SQL error: quotes, *, -, NEAR, parentheses, column filters and
    tsquery operators are separators or plain words."""
    saule = await invite(admin, make_user, "Saule")
    aigul = await citizen("kk", "Айгүл")
    await ask_text(app, aigul, "kk", KK)
    await saule.send(f"/find {words}")
    reply = saule.last_reply().text
    terms = search_words(words)
    if not terms:
        assert reply == (
            "Nothing to search for: give at least one word of 2 or more letters or digits."
        )
    elif {term.casefold() for term in terms} <= {"алматы", "абай"}:
        assert tickets(saule.last_reply()) == ["№2026-000001"]
    else:
        assert reply.startswith("Nothing found for «") or tickets(saule.last_reply())
    assert (await stored(app))[0].text == KK


async def test_an_empty_find_shows_the_usage(secretary, app):
    saule = await secretary("en")
    boris = await secretary("ru", "Boris")
    for command in ("/find", "/find    "):
        await saule.send(command)
        assert saule.last_reply().text == "Usage: /find &lt;words&gt;"
    await boris.send("/find")
    assert boris.last_reply().text == html_quoted(said(app, "ru", "Usage: /find <words>"))
    assert "&lt;слова&gt;" in boris.last_reply().text


def html_quoted(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_search_words_are_plain_bounded_terms():
    assert search_words('NEAR("жол" абай*) -мектеп') == ["NEAR", "жол", "абай", "мектеп"]
    assert search_words("a б c жол ЖОЛ жол") == ["жол"], "short words and repeats go"
    assert search_words("x" * 500) == ["x" * MAX_WORD]
    assert len(search_words(" ".join(f"w{n}" for n in range(50)))) == MAX_WORDS
    assert search_words("snake_case №2026-000123") == ["snake", "case", "2026", "000123"]
    assert search_words("!!! --- ***") == []


async def test_the_index_follows_every_write(admin, make_user, citizen, app):
    """The database keeps the index: a later edit of the text or of a note, a deleted note or
    question, without the service doing anything."""
    saule = await invite(admin, make_user, "Saule")
    await three_questions(app, citizen)
    await saule.send("/reject 1 Бұл сұрақ кеңестің құзыретіне жатпайды")
    await saule.send("/find құзыретіне")
    assert tickets(saule.last_reply()) == ["№2026-000001"]
    assert "Reason: Бұл сұрақ кеңестің <b>құзыретіне</b>" in saule.last_reply().text
    await saule.send("/note 3 first note about radiators")

    async with app.sessionmaker() as session:
        await session.execute(
            text("UPDATE questions SET text = 'Трамвай на Толе би' WHERE number = 2")
        )
        await session.execute(
            text(
                "UPDATE audit_log SET detail = 'second thoughts on boilers' WHERE action = 'note'"
            )
        )
        await session.commit()
    await saule.send("/find сатпаева")
    assert saule.last_reply().text == "Nothing found for «сатпаева»."
    await saule.send("/find трамвай")
    assert tickets(saule.last_reply()) == ["№2026-000002"]
    await saule.send("/find radiators")
    assert saule.last_reply().text == "Nothing found for «radiators»."
    await saule.send("/find boilers")
    assert tickets(saule.last_reply()) == ["№2026-000003"]

    async with app.sessionmaker() as session:
        await session.execute(text("DELETE FROM audit_log WHERE action = 'note'"))
        await session.commit()
    await saule.send("/find boilers")
    assert saule.last_reply().text == "Nothing found for «boilers»."

    async with app.sessionmaker() as session:
        await session.execute(text("DELETE FROM question_cards"))
        await session.execute(text("DELETE FROM audit_log WHERE question_id = 2"))
        await session.execute(text("DELETE FROM questions WHERE number = 2"))
        await session.commit()
    await saule.send("/find трамвай")
    assert saule.last_reply().text == "Nothing found for «трамвай»."


# -- the longest answer fits -------------------------------------------------------------------


def longest(text: str, limit: int = MAX_TEXT) -> str:
    while len(text.encode("utf-16-le")) // 2 > limit:
        text = text[:-1]
    return text.rstrip()


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
async def test_the_widest_results_fit_one_message(secretary, citizen, app, settings, language):
    """Eleven questions at the longest, answered at the longest, each with long notes, all
    characters HTML must escape, matched in the answer and in a note: ten entries, the header
    and their buttons fit one message; the longest query too."""
    saule = await secretary(language)
    settings.max_questions_per_day = settings.max_open_questions = MAX_RESULTS + 2
    alice = await citizen(language)
    question = longest("<Жол> & 😀 " * 400)
    answer = longest("&Answer <b> 🚧 " * 400)
    for _ in range(MAX_RESULTS + 1):
        await ask_text(app, alice, language, question)
    for number in range(1, MAX_RESULTS + 2):
        await saule.send(f"/note {number} " + longest("<нота> 😀 " * 400, MAX_NOTE))
        await saule.send(f"/answer {number} {answer}")

    for words in ("жол", "answer", "НОТА", "😀 жол answer"):
        await saule.send(f"/find {words}")
        reply = saule.last_reply()
        assert len(tickets(reply)) == MAX_RESULTS, words
        assert visible_length(reply.text) <= MESSAGE_LIMIT
        assert len(reply.buttons) == MAX_RESULTS
    # The longest message Telegram takes: /find and 4 090 characters of words, the widest
    # echoed back (eight distinct words of the longest length searched).
    words = [letter * 100 for letter in "әіңғүұқө"] + ["жол"] * 1000
    await saule.send(("/find " + " ".join(words))[:MESSAGE_LIMIT])
    searched = " ".join(letter * MAX_WORD for letter in "әіңғүұқө")
    assert saule.last_reply().text == said(
        app, language, "Nothing found for «{words}».", words=searched
    )


# -- the index under concurrent writes, and both of PostgreSQL's ways --------------------------


async def add_note(session, question_id: int, detail: str) -> None:
    await session.execute(
        text(
            "INSERT INTO audit_log (at, actor_id, council_id, question_id, action, detail) "
            "VALUES (:at, NULL, 1, :question, 'note', :detail)"
        ),
        {"at": datetime(2026, 11, 23, tzinfo=UTC), "question": question_id, "detail": detail},
    )


async def test_two_notes_written_at_once_are_both_found(admin, make_user, citizen, app):
    """Two transactions note the same question at once: the second waits for the first, and
    the document holds both notes, whichever commits first."""
    saule = await invite(admin, make_user, "Saule")
    await three_questions(app, citizen)
    [question, *_others] = await stored(app)
    async with app.sessionmaker() as first, app.sessionmaker() as second:
        await add_note(first, question.id, "alpha contractor")
        waiting = asyncio.create_task(add_note(second, question.id, "bravo inspector"))
        await asyncio.sleep(0.2)
        await first.commit()
        await waiting
        await second.commit()
    for word in ("alpha", "bravo"):
        await saule.send(f"/find {word}")
        assert tickets(saule.last_reply()) == ["№2026-000001"], word


async def test_few_and_many_matches_find_the_same_newest(
    admin, make_user, citizen, app, settings, monkeypatch
):
    """PostgreSQL takes few matches from the GIN index and walks newest first when there are
    many (db/repositories/search.py): both ways give the same questions, in the same order."""
    await admin.send("/council_add Ауыл кеңесі | Сельский совет | Village council")
    settings.max_questions_per_day = settings.max_open_questions = 20
    alice = await citizen("en")
    for number in range(12):
        council = "Public council" if number % 3 else "Village council"
        await alice.send("/ask")
        await alice.press(council)
        await alice.press("Budget")
        await alice.send(f"Street lights number {number} are broken again.")
        await alice.press("Show my name")
        await alice.press("No, do not publish")
        if "I agree" in alice.last_reply().buttons:
            await alice.press("I agree")
        await alice.press("Send")
    saule = await invite(admin, make_user, "Saule", council_id=1)

    async def results() -> tuple[list[str], list[str]]:
        await saule.send("/find street LIGHTS")
        mine = tickets(saule.last_reply())
        await admin.send("/find street lights")
        return mine, tickets(admin.last_reply())

    few = await results()
    monkeypatch.setattr(search_repository, "PROBE", 3)
    many = await results()
    assert few == many
    assert few[0] == ["№2026-0000" + f"{n:02d}" for n in (12, 11, 9, 8, 6, 5, 3, 2)]
    assert few[1] == ["№2026-0000" + f"{n:02d}" for n in range(12, 2, -1)]
    assert "more match" in admin.last_reply().text
