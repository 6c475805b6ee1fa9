"""A citizen's question from /ask to a rated answer, and the secretary's side of it."""

import re
from datetime import date

import pytest
from sqlalchemy import select

from db.models import Question, QuestionStatus
from tests.conftest import ADMIN_ID

QUESTION = "When will the road to the village school be repaired?"


@pytest.fixture
def secretary(citizen, make_user):
    """A secretary, made the way a real one is: the superadmin's one-time invite link."""

    async def make(language: str = "en", first_name: str = "Saule"):
        admin = await citizen("en", "Admin", user_id=ADMIN_ID)
        await admin.send("/invite")
        payload = re.search(r"start=(inv_[\w-]+)", admin.last_reply().text).group(1)
        person = make_user(first_name)
        await person.send(f"/start {payload}")
        await person.press({"kk": "Қазақша", "ru": "Русский", "en": "English"}[language])
        return person

    return make


async def ask(user, text=QUESTION, *, topic="Roads and transport", anonymous=False, agree=True):
    """Walk the /ask flow in English up to the receipt."""
    await user.send("/ask")
    await user.press(topic)
    await user.send(text)
    await user.press("Stay anonymous" if anonymous else "Show my name")
    if "Before" in user.last_reply().text or "I agree" in user.last_reply().buttons:
        await user.press("I agree" if agree else "I do not agree")
    await user.press("Send")


async def stored(app, **filters) -> list[Question]:
    async with app.sessionmaker() as session:
        query = select(Question).filter_by(**filters).order_by(Question.id)
        return list(await session.scalars(query))


async def test_ask_gives_a_receipt_with_ticket_and_due_date(citizen, secretary, app, clock):
    saule = await secretary()
    alice = await citizen("en")
    await ask(alice)

    receipt = alice.last_reply().text
    assert "Your question is registered." in receipt
    assert "Ticket: №2026-000001" in receipt
    assert "Topic: Roads and transport" in receipt
    # Monday 23 November 2026 + 15 working days.
    assert "Expected answer by: December 14, 2026" in receipt
    [question] = await stored(app)
    assert question.due_date == date(2026, 12, 14)
    assert question.text == QUESTION
    assert question.status == QuestionStatus.NEW

    card = saule.inbox()[-1]
    assert "📨 Question №2026-000001" in card.text
    assert "From: Alice" in card.text
    assert card.buttons == ["Take", "Answer", "Reject"]


async def test_whole_path_take_answer_rate(citizen, secretary, app):
    saule = await secretary()
    alice = await citizen("en")
    await ask(alice)
    await saule.press("Take")
    assert alice.inbox()[-1].text == "🔎 Your question №2026-000001 has been taken into work."

    await saule.send("/answer 2026-1 The repair starts in May; the contract is signed.")
    answer = alice.inbox()[-1]
    assert "The repair starts in May" in answer.text
    assert answer.buttons == ["👍", "👎", "Ask a follow-up"]

    await alice.press("👍")
    assert alice.alerts() == ["Thank you for your rating!"]
    [question] = await stored(app)
    assert question.status == QuestionStatus.ANSWERED
    assert question.rating == 1

    await alice.press_data(answer.button_data("👎"), answer)
    assert alice.alerts() == ["You have already rated this answer."]
    assert (await stored(app))[0].rating == 1
