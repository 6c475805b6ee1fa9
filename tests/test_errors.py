"""One error path: a handler that fails unexpectedly leaves the data as it was, tells the user
in their language, and is logged once and counted."""

import logging

import pytest
from prometheus_client import REGISTRY

from bot.services.questions import QuestionService
from db.repositories.questions import QuestionRepository
from tests.flows import ask, stored

pytestmark = pytest.mark.expect_errors

HANDLER = "handlers.questions.rated"
SORRY_KK = "Бірдеңе дұрыс болмады, ештеңе өзгермеді. Қайталап көріңіз."


def failed_after_writing(original):
    async def rate(self, *args, **kwargs):
        await original(self, *args, **kwargs)  # the rating is written (not committed)...
        raise RuntimeError("the database went away")  # ...and then something breaks

    return rate


async def test_a_crash_rolls_back_and_tells_the_user(citizen, secretary, app, monkeypatch, caplog):
    saule = await secretary()
    aigerim = await citizen("kk", "Aigerim")
    await aigerim.send("/language")
    await aigerim.press("English")
    await ask(aigerim)
    await saule.send("/answer 2026-1 The repair starts in May; the contract is signed.")
    await aigerim.send("/language")
    await aigerim.press("Қазақша")
    before = REGISTRY.get_sample_value("bot_errors_total", {"handler": HANDLER}) or 0.0
    monkeypatch.setattr(QuestionRepository, "rate", failed_after_writing(QuestionRepository.rate))

    with caplog.at_level(logging.INFO):
        await aigerim.press("👍")

    assert aigerim.alerts() == [SORRY_KK]
    [question] = await stored(app)
    assert question.rating is None
    assert REGISTRY.get_sample_value("bot_errors_total", {"handler": HANDLER}) == before + 1
    [record] = [r for r in caplog.records if r.name == "handlers.errors"]
    assert record.levelno == logging.ERROR
    assert HANDLER in record.getMessage() and "RuntimeError" in record.getMessage()

    # Nothing was changed, so trying again works.
    monkeypatch.undo()
    await aigerim.press("👍")
    assert (await stored(app))[0].rating == 1


async def test_a_crash_on_a_message_answers_in_the_chat(citizen, app, monkeypatch, caplog):
    aigerim = await citizen("kk", "Aigerim")

    async def broken(*args, **kwargs):
        raise RuntimeError("broken")

    monkeypatch.setattr(QuestionService, "of_citizen", broken)
    secret = "/my"
    await aigerim.send(secret)
    assert aigerim.last_reply().text == SORRY_KK
    [record] = [r for r in caplog.records if r.name == "handlers.errors"]
    assert (
        "update " in record.getMessage()
        and "handlers.questions.my_questions" in record.getMessage()
    )


async def test_a_crash_after_a_commit_does_not_claim_nothing_changed(
    citizen, secretary, app, monkeypatch
):
    """The answer was saved and the citizen told; then the confirmation to the secretary
    failed. "Nothing was changed" would be a lie."""
    saule = await secretary()
    alice = await citizen("en")
    await ask(alice)

    from bot.views.notify import Notifier

    async def broken_refresh(*args, **kwargs):
        raise RuntimeError("cards could not be refreshed")

    monkeypatch.setattr(Notifier, "refresh_cards", broken_refresh)
    await saule.send("/answer 1 The repair starts in May; the contract is signed.")
    assert saule.last_reply().text == (
        "Something went wrong after part of this was saved. Please check the result before "
        "trying again."
    )
    assert (await stored(app))[0].resolution.startswith("The repair starts in May")
