"""Every bad input gets a clear answer in the user's language and leaves the data as it was:
stickers, voice and files where text was expected, over-long and invisible text, forged and stale
buttons, odd numbers, staff and admin commands from citizens, commands in groups."""

import pytest

from tests.flows import ask_in, said, said_n, snapshot

VOICE = {"voice": {"file_id": "voice-1", "file_unique_id": "uv1", "duration": 3}}
LOCATION = {"location": {"latitude": 43.25, "longitude": 76.95}}
PUBLIC_GROUP = {"id": -100777, "type": "supergroup", "title": "Our district"}


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_non_text_where_nothing_is_expected(citizen, app, language):
    aigerim = await citizen(language, "Aigerim")
    before = await snapshot(app)
    hint = said(
        app, language, "I can't use this message here. Send /help or choose from the menu below."
    )
    await aigerim.send_sticker()
    assert aigerim.last_reply().text == hint
    await aigerim.feed_message(VOICE)
    assert aigerim.last_reply().text == hint
    await aigerim.feed_message(LOCATION)
    assert aigerim.last_reply().text == hint
    await aigerim.send("/nonsense")
    assert aigerim.last_reply().text == said(
        app, language, "I don't know this command. Send /help to see what I can do."
    )
    assert await snapshot(app) == before


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_bad_question_text(citizen, secretary, app, language):
    await secretary()
    aigerim = await citizen(language, "Aigerim")
    await aigerim.send("/ask")
    topic = aigerim.last_reply().buttons[0]
    await aigerim.press(topic)
    before = await snapshot(app)
    as_text = said(
        app,
        language,
        "Please send your question as text, or a photo, document, voice message or video note.",
    )
    await aigerim.send_sticker()
    assert aigerim.last_reply().text == as_text
    await aigerim.send("x" * 3001)
    assert aigerim.last_reply().text == said_n(
        app,
        language,
        "The question is too long: {length} character, at most {maximum}. Please shorten it.",
        "The question is too long: {length} characters, at most {maximum}. Please shorten it.",
        3001,
        length=3001,
        maximum=3000,
    )
    for blank in ("\u200b" * 20, "\u3164" * 20, "\u2800" * 20, " \u200b\u2060\ufeff " * 8):
        await aigerim.send(blank)
        assert aigerim.last_reply().text == said_n(
            app,
            language,
            "The question is too short: at least {minimum} character, please.",
            "The question is too short: at least {minimum} characters, please.",
            10,
            minimum=10,
        )
    assert await snapshot(app) == before


async def test_staff_and_admin_commands_from_a_citizen(citizen, secretary, app):
    await secretary()
    aigerim = await citizen("kk", "Aigerim")
    before = await snapshot(app)
    staff_only = said(app, "kk", "This command is only for council secretaries.")
    for command in ("/inbox", "/q 1", "/take 1", "/answer 1 text", "/ban 1", "/export", "/stats"):
        await aigerim.send(command)
        assert aigerim.last_reply().text == staff_only, command
    for command in ("/council_add A | B | C", "/invite", "/revoke 1 1", "/bind 1"):
        await aigerim.send(command)
        assert aigerim.last_reply().text == said(
            app, "kk", "This command is only for superadmins."
        ), command
    assert await snapshot(app) == before


@pytest.mark.parametrize(
    "data",
    [
        "zzz",
        "card:answer:abc",
        "card:answer:99999999999999999999999",
        "rate:99999999999999999999999:1",
        "myq:-1",
        "myp:99999999999999999999999",
        "fup:" + "9" * 25,
        "ac:²",
    ],
)
async def test_forged_button_data(citizen, secretary, app, data):
    await secretary()
    aigerim = await citizen("kk", "Aigerim")
    await ask_in(app, aigerim, "kk")
    before = await snapshot(app)
    await aigerim.press_data(data)
    [alert] = aigerim.alerts()
    assert alert in {
        said(app, "kk", "This button is no longer valid."),
        said(app, "kk", "Question not found."),
        said(app, "kk", "Only the council's secretaries can do this."),
    }
    assert await snapshot(app) == before


async def test_commands_in_a_public_group_say_nothing(citizen, secretary, app, telegram):
    saule = await secretary()
    alice = await citizen("en")
    await ask_in(app, alice, "en")
    before = await snapshot(app)
    calls = len(telegram.calls)
    for person in (saule, alice):
        for command in ("/inbox", "/q 1", "/export", "/stats", "/ask", "/my", "/help", "/start"):
            await person.send(command, chat=PUBLIC_GROUP)
    sent = [call for call in telegram.calls[calls:] if call.chat_id == PUBLIC_GROUP["id"]]
    assert sent == []
    assert await snapshot(app) == before


async def test_an_invisible_answer_is_refused(citizen, secretary, app):
    saule = await secretary()
    alice = await citizen("en")
    await ask_in(app, alice, "en")
    before = await snapshot(app)
    await saule.send("/answer 1 " + "\u200b\u3164\u2800" * 5)
    assert saule.last_reply().text == "The text is empty or too short."
    await saule.send("/reject 1 \u2060\u2060\u2060\u2060")
    assert saule.last_reply().text == "The text is empty or too short."
    assert await snapshot(app) == before
