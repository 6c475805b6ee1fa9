"""Issue 10's failures on the citizen's side, each as it was reproduced: follow-ups, consent,
names, receipts."""

import pytest
from sqlalchemy import select

from bot.services.questions import Draft, QuestionError, QuestionService
from db.models import Council, Question, User
from db.repositories.questions import QuestionRepository
from tests.flows import QUESTION, ask, snapshot, stored


async def answered_with_followup(citizen, secretary):
    saule = await secretary()
    alice = await citizen("en", first_name="Aliya", username="aliya_kz")
    await ask(alice)
    await saule.send("/answer 1 In May.")
    await alice.press("Ask a follow-up")
    await alice.send("Which May, this year or next?")
    return saule, alice


async def test_a_forged_button_cannot_follow_up_a_follow_up(citizen, secretary, app):
    """Item 6: `fup:<id of a follow-up>` chained 1←2←3."""
    saule, alice = await answered_with_followup(citizen, secretary)
    _first, second = await stored(app)
    await saule.send("/answer 2 This May.")
    before = await snapshot(app)
    await alice.press_data(f"fup:{second.id}")
    assert alice.alerts() == [
        "A follow-up cannot be followed up. To ask more, send a new question with /ask."
    ]
    assert await snapshot(app) == before


async def test_registration_itself_refuses_a_chained_follow_up(citizen, secretary, app, settings):
    """The rule holds in the service when the follow-up is registered, not only when the
    button is pressed (a prompt left open, a forged state)."""
    saule, alice = await answered_with_followup(citizen, secretary)
    await saule.send("/answer 2 This May.")
    first, second = await stored(app)
    async with app.sessionmaker() as session:
        service = QuestionService(session, settings, app.clock)
        user = await session.get(User, alice.id)
        council = await session.get(Council, first.council_id)
        for parent_id in (first.id, second.id):
            draft = Draft(
                first.council_id,
                first.topic_id,
                "And which street first?",
                False,
                parent_id=parent_id,
            )
            with pytest.raises(QuestionError):
                await service.create(user, council, draft)
    assert len(await stored(app)) == 2


async def test_a_follow_up_card_keeps_its_line_after_a_status_change(citizen, secretary, app):
    """Item 11: the "Follow-up to №…" line vanished at the first refresh."""
    saule, _alice = await answered_with_followup(citizen, secretary)
    card = saule.inbox()[-1]
    assert "Follow-up to №2026-000001" in card.text
    await saule.send("/take 2")
    cards = [r.text for r in saule.inbox() if r.text.startswith("📨 Question №2026-000002")]
    assert cards and all("Follow-up to №2026-000001" in text for text in cards)
    assert "in progress" in cards[0]


async def test_withdrawing_consent_takes_the_name_off_posted_cards(citizen, secretary, app):
    """Item 7: the cards already posted kept the citizen's name."""
    saule = await secretary()
    alice = await citizen("en", first_name="Aliya", username="aliya_kz")
    await ask(alice)
    await ask(alice, "A second question about the bus stop.")
    assert sum("Aliya" in r.text for r in saule.inbox()) == 2
    await alice.send("/privacy")
    await alice.press("Withdraw consent and erase my data")
    cards = [r.text for r in saule.inbox() if r.text.startswith("📨 Question")]
    assert len(cards) == 2
    for text in cards:
        assert "Aliya" not in text and "aliya_kz" not in text
        assert "From: anonymous" in text


async def test_a_refused_card_edit_does_not_keep_the_name_on_the_others(
    citizen, secretary, app, telegram
):
    saule = await secretary()
    alice = await citizen("en", first_name="Aliya")
    await ask(alice)
    await ask(alice, "A second question about the bus stop.")
    telegram.fail("editMessageText", status=502, description="Bad Gateway")
    await alice.send("/privacy")
    await alice.press("Withdraw consent and erase my data")
    cards = [r.text for r in saule.inbox() if r.text.startswith("📨 Question")]
    assert sum("Aliya" in text for text in cards) == 1  # one edit failed, the other went


async def names(app, user_id):
    async with app.sessionmaker() as session:
        user = await session.get(User, user_id)
        return user.full_name, user.username


async def test_no_name_is_kept_without_consent(citizen, secretary, app):
    """Item 16: the name was stored at first contact, before any consent."""
    await secretary()
    alice = await citizen("en", first_name="Aliya", username="aliya_kz")
    assert await names(app, alice.id) == ("", None)
    await alice.send("/ask")
    await alice.press("Budget")
    await alice.send("How is the district budget spent?")
    await alice.press("Show my name")
    await alice.press("No, do not publish")
    await alice.press("I do not agree")
    assert await names(app, alice.id) == ("", None)
    # With consent, the name is kept, as the notice says.
    await ask(alice)
    assert await names(app, alice.id) == ("Aliya", "aliya_kz")


async def test_privacy_erases_a_name_kept_before_the_rule(citizen, app):
    alice = await citizen("en", first_name="Aliya", username="aliya_kz")
    async with app.sessionmaker() as session:  # as an older version stored it
        user = await session.get(User, alice.id)
        user.full_name, user.username = "Aliya", "aliya_kz"
        await session.commit()
    app.caches.forget(alice.id)  # a running bot would have read it from the database
    await alice.send("/privacy")
    await alice.press("Erase my name and username")
    assert alice.last_reply().text == "We erased your name and username."
    assert await names(app, alice.id) == ("", None)


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 502, "description": "Bad Gateway"},
        {"status": 429, "retry_after": 3},
        {"status": 403},
        {"timeout": True},
    ],
)
async def test_a_failed_receipt_never_hides_the_question(
    citizen, secretary, app, telegram, failure
):
    """Item 17: the receipt went first, and when it failed no secretary was ever told."""
    saule = await secretary()
    berik = await secretary(first_name="Berik")
    alice = await citizen("en")
    await alice.send("/ask")
    await alice.press("Roads and transport")
    await alice.send(QUESTION)
    await alice.press("Show my name")
    await alice.press("No, do not publish")
    await alice.press("I agree")
    telegram.fail("sendMessage", chat_id=alice.id, **failure)
    await alice.press("Send")
    assert len(await stored(app)) == 1
    for secretary_ in (saule, berik):
        assert secretary_.inbox()[-1].text.startswith("📨 Question №2026-000001")


async def test_a_failed_card_keeps_it_from_nobody_else(citizen, secretary, app, telegram):
    saule = await secretary()
    berik = await secretary(first_name="Berik")
    alice = await citizen("en")
    telegram.fail("sendMessage", chat_id=saule.id, status=502, description="Bad Gateway")
    await ask(alice)
    assert "Your question is registered." in alice.last_reply().text
    assert berik.inbox()[-1].text.startswith("📨 Question №2026-000001")
    async with app.sessionmaker() as session:
        assert len(list(await session.scalars(select(Question)))) == 1


async def test_an_album_is_one_question_with_all_its_photos(citizen, secretary, app, telegram):
    """Item 14: every photo but the first was lost, and each of the others got "use the
    buttons above"."""
    saule = await secretary()
    alice = await citizen("en")
    await alice.send("/ask")
    await alice.press("Roads and transport")
    await alice.send_album(4, caption="The potholes on Abay street, four photos.")
    prompts = [r.text for r in alice.inbox() if r.text.startswith("Should the council")]
    assert len(prompts) == 1
    assert not any("buttons above" in r.text for r in alice.inbox())
    await alice.press("Show my name")
    await alice.press("No, do not publish")
    await alice.press("I agree")
    assert "Attachments: 4 files" in alice.inbox()[-1].text
    await alice.press("Send")
    [question] = await stored(app)
    async with app.sessionmaker() as session:
        files = await QuestionRepository(session).attachments(question.id)
    assert len({f.file_id for f in files}) == 4
    assert all(f.kind == "photo" for f in files)
    [album] = telegram.sent(saule.id, "sendMediaGroup")
    assert [item.media for item in album.method.media] == [f.file_id for f in files]
    card = next(r for r in saule.inbox() if r.text.startswith("📨 Question"))
    assert "📎 Attached files: below this card" in card.text


async def test_an_album_of_documents_and_a_single_file(citizen, secretary, app, telegram):
    saule = await secretary()
    alice = await citizen("en")
    await alice.send("/ask")
    await alice.press("Roads and transport")
    await alice.send_album(2, caption="Two scanned letters about the road.", kind="document")
    await alice.press("Show my name")
    await alice.press("No, do not publish")
    await alice.press("I agree")
    await alice.press("Send")
    [album] = telegram.sent(saule.id, "sendMediaGroup")
    assert [item.type for item in album.method.media] == ["document", "document"]
