"""Staff actions are bound to the ticket they came from: a reply to a card acts on that card, a
reply to the prompt after Answer / Reject acts on the prompt's ticket, a plain message in a staff
group is never an answer, and /cancel works in private chats and in groups."""

import itertools
from typing import Any

from aiogram.types import ForceReply

from db.models import QuestionStatus
from tests.chat import ChatUser, Reply
from tests.flows import GROUP, ask, invite, stored

_ids = itertools.count(900_001)


def cards(user: ChatUser, chat_id: int | None = None) -> list[Reply]:
    return [reply for reply in user.inbox(chat_id) if reply.text.startswith("📨")]


async def reply_with_sticker(user: ChatUser, reply: Reply) -> None:
    message: dict[str, Any] = {
        "message_id": next(_ids),
        "date": int(user.app.clock.now().timestamp()),
        "chat": reply.message["chat"],
        "from": user.profile,
        "reply_to_message": reply.message,
        "sticker": {
            "file_id": "sticker-1",
            "file_unique_id": "usticker1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        },
    }
    await user.feed({"message": message})


async def statuses(app) -> list[QuestionStatus]:
    return [question.status for question in await stored(app)]


async def two_questions(citizen) -> tuple[ChatUser, ChatUser]:
    alice = await citizen("en", "Alice")
    bob = await citizen("en", "Bob")
    await ask(alice, "Alice asks about the bus to the school.")
    await ask(bob, "Bob asks about the street lights.")
    return alice, bob


def got(user: ChatUser, text: str) -> bool:
    return any(text in reply.text for reply in user.inbox())


async def test_a_reply_to_a_card_answers_that_card_while_an_answer_prompt_waits(
    admin, make_user, citizen, app, telegram
):
    saule = await invite(admin, make_user, "Saule")
    alice, bob = await two_questions(citizen)
    card_1, card_2 = cards(saule)

    await saule.press("Answer", card_1)
    prompt = saule.last_reply()
    assert prompt.text == "Reply to this message with the answer to №2026-000001 (or /cancel)."
    markup = telegram.sent(saule.id, "sendMessage")[-1].method.reply_markup
    assert isinstance(markup, ForceReply) and markup.selective
    assert markup.input_field_placeholder == "Answer to №2026-000001"

    # Saule changes her mind and replies to Bob's card instead.
    await saule.reply_to(card_2, "The street lights are fixed on Friday.")
    assert saule.replies()[0].text == "The answer to №2026-000002 has been sent to the citizen."
    assert got(bob, "The street lights are fixed on Friday.")
    assert not got(alice, "street lights")
    assert await statuses(app) == [QuestionStatus.NEW, QuestionStatus.ANSWERED]

    # The prompt still acts on its own ticket.
    await saule.reply_to(prompt, "The school bus runs from Monday.")
    assert got(alice, "The school bus runs from Monday.")
    assert not got(bob, "school bus")
    assert await statuses(app) == [QuestionStatus.ANSWERED, QuestionStatus.ANSWERED]


async def test_a_reply_to_a_card_while_a_reject_prompt_waits_rejects_nothing(
    admin, make_user, citizen, app
):
    saule = await invite(admin, make_user, "Saule")
    alice, bob = await two_questions(citizen)
    card_1, card_2 = cards(saule)

    await saule.press("Reject", card_1)
    await saule.reply_to(card_2, "Yes, on Friday.")
    assert await statuses(app) == [QuestionStatus.NEW, QuestionStatus.ANSWERED]
    assert not any("rejected" in reply.text for reply in alice.inbox())
    assert got(bob, "Yes, on Friday.")


async def test_each_prompt_acts_on_its_own_ticket_and_plain_text_on_the_latest(
    admin, make_user, citizen, app
):
    saule = await invite(admin, make_user, "Saule")
    alice, bob = await two_questions(citizen)
    card_1, card_2 = cards(saule)

    await saule.press("Answer", card_1)
    answer_prompt = saule.last_reply()
    await saule.press("Reject", card_2)
    reject_prompt = saule.last_reply()
    assert reject_prompt.text == (
        "Reply to this message with the reason for rejecting №2026-000002 (or /cancel)."
    )

    # A reply to the older prompt answers question 1; question 2 is not rejected with it.
    await saule.reply_to(answer_prompt, "The bus runs from Monday.")
    assert await statuses(app) == [QuestionStatus.ANSWERED, QuestionStatus.NEW]
    assert got(alice, "The bus runs from Monday.")

    # In a private chat, a plain message goes to the prompt still waiting: rejecting question 2.
    await saule.send("This is for the district akimat.")
    assert await statuses(app) == [QuestionStatus.ANSWERED, QuestionStatus.REJECTED]
    assert got(bob, "Reason: This is for the district akimat.")

    # Nothing waits any more.
    await saule.send("/cancel")
    assert saule.last_reply().text == "There is nothing to cancel."


async def test_a_sticker_in_reply_to_a_card_gets_a_clear_answer(admin, make_user, citizen, app):
    saule = await invite(admin, make_user, "Saule")
    alice = await citizen("en")
    await ask(alice)
    [card] = cards(saule)
    before = len(alice.inbox())

    await reply_with_sticker(saule, card)
    assert saule.last_reply().text == (
        "Only text, or photos and documents with the answer as their caption, can be an "
        "answer: reply to the card of №2026-000001 with them."
    )
    await saule.press("Answer", card)
    await reply_with_sticker(saule, saule.last_reply())
    assert saule.last_reply().text == "Please send text, or /cancel."
    assert await statuses(app) == [QuestionStatus.NEW]
    assert len(alice.inbox()) == before


async def test_a_reply_to_another_message_while_a_prompt_waits_is_not_an_answer(
    admin, make_user, citizen, app
):
    saule = await invite(admin, make_user, "Saule")
    alice = await citizen("en")
    await ask(alice)
    [card] = cards(saule)
    await saule.send("/inbox")
    listing = saule.last_reply()
    await saule.press("Answer", card)

    await saule.reply_to(listing, "Which one was it?")
    assert saule.last_reply().text.startswith("This is not an answer to any question.")
    assert await statuses(app) == [QuestionStatus.NEW]


async def test_in_a_staff_group_only_a_reply_is_an_answer(
    admin, make_user, citizen, app, telegram
):
    saule = await invite(admin, make_user, "Saule")
    berik = await invite(admin, make_user, "Berik")
    await admin.send("/bind", chat=GROUP)
    alice = await citizen("en")
    await ask(alice)
    [card] = cards(saule, GROUP["id"])

    await saule.press("Ответить", card)
    prompt = saule.last_reply(GROUP["id"])
    # The prompt names the one who pressed, so that only their reply field opens.
    assert prompt.text == (
        f'<a href="tg://user?id={saule.id}">Saule</a>\n'
        "Reply to this message with the answer to №2026-000001 (or /cancel)."
    )
    markup = telegram.sent(GROUP["id"], "sendMessage")[-1].method.reply_markup
    assert isinstance(markup, ForceReply) and markup.selective

    # Colleagues chat in the group; none of it is an answer, and the bot says nothing.
    for colleague in (berik, saule):
        await colleague.send("lunch at 13:00?", chat=GROUP)
        assert colleague.replies(GROUP["id"]) == []
    assert not got(alice, "lunch")
    assert await statuses(app) == [QuestionStatus.NEW]

    # A colleague's reply to Saule's prompt is not taken either: it was not theirs.
    await berik.reply_to(prompt, "lunch at 13:00?")
    assert berik.last_reply(GROUP["id"]).text.startswith("This is not an answer to any question.")
    assert await statuses(app) == [QuestionStatus.NEW]

    # Saule's own reply to her prompt is the answer.
    await saule.reply_to(prompt, "The bus runs from Monday.")
    assert saule.replies(GROUP["id"])[0].text == (
        "The answer to №2026-000001 has been sent to the citizen."
    )
    assert got(alice, "The bus runs from Monday.")


async def test_cancel_works_in_a_staff_group(admin, make_user, citizen, app):
    saule = await invite(admin, make_user, "Saule")
    berik = await invite(admin, make_user, "Berik")
    await admin.send("/bind", chat=GROUP)
    alice = await citizen("en")
    await ask(alice)
    [card] = cards(saule, GROUP["id"])

    await saule.press("Отклонить", card)
    prompt = saule.last_reply(GROUP["id"])
    await saule.send("/cancel", chat=GROUP)
    assert saule.last_reply(GROUP["id"]).text == "Cancelled."
    assert saule.last_reply(GROUP["id"]).message.get("reply_markup") is None, "no menu keyboard"

    # The cancelled prompt no longer acts.
    await saule.reply_to(prompt, "A matter for the akimat.")
    assert await statuses(app) == [QuestionStatus.NEW]
    assert not any("rejected" in reply.text for reply in alice.inbox())

    # With nothing pending, /cancel in a group says nothing.
    await berik.send("/cancel", chat=GROUP)
    assert berik.replies(GROUP["id"]) == []
    await saule.send("/cancel@hearing_state_bot", chat=GROUP)
    assert saule.replies(GROUP["id"]) == []
