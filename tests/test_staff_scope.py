"""Staff commands answer only in a private chat with a staff member or in the staff group bound
to their council, and there only about that council. Anywhere else they say nothing."""

import re

from db.models import QuestionStatus
from tests.chat import ChatUser, Reply
from tests.fakes import BOT_USER
from tests.flows import GROUP, ask, invite, stored

PUBLIC = {"id": -1009999999999, "type": "supergroup", "title": "Village chat"}
OTHER_GROUP = {"id": -1005555555555, "type": "supergroup", "title": "Village council staff"}
STAFF_COMMANDS = [
    "/inbox",
    "/q 1",
    "/take 1",
    "/answer 1 An answer typed in the wrong chat.",
    "/reject 1 A reason typed in the wrong chat.",
    "/find question",
    "/ban 1",
    "/unban 1",
    "/export",
    "/stats",
    "/audit",
]
# Secretaries' and superadmins' other commands: private only, silent in any group.
OTHER_COMMANDS = ["/councils", "/invite", "/secretaries", "/new_event", "/events_admin"]
OTHER_COMMANDS += ["/broadcast", "/broadcasts", "/event_report 1", "/help"]


async def silent_in(chat: dict, people: list[ChatUser], commands: list[str], telegram) -> None:
    for person in people:
        for command in commands:
            before = len(telegram.sent())
            await person.send(command, chat=chat)
            assert telegram.sent()[before:] == [], f"{command} answered in {chat['title']}"


async def test_staff_commands_say_nothing_in_a_group_that_is_not_bound(
    admin, make_user, citizen, app, telegram
):
    saule = await invite(admin, make_user, "Saule")
    alice = await citizen("en", "Aliya")
    await ask(alice, "A question with my name on it.")

    await silent_in(PUBLIC, [saule, admin], STAFF_COMMANDS + OTHER_COMMANDS, telegram)
    [question] = await stored(app)
    assert question.status == QuestionStatus.NEW
    assert not any("wrong chat" in reply.text for reply in alice.inbox())

    # Buttons forged in that group show nothing either.
    for data in ("inb:0", f"sq:{question.id}", f"card:take:{question.id}"):
        before = len(telegram.sent())
        await saule.press_data(data, _message_in(PUBLIC))
        assert telegram.sent()[before:] == []
        assert all("Aliya" not in alert for alert in saule.alerts())
    assert (await stored(app))[0].status == QuestionStatus.NEW


async def test_in_a_bound_group_staff_act_on_that_council_only(
    admin, make_user, citizen, app, telegram
):
    await admin.send("/council_add Ауыл кеңесі | Сельский совет | Village council")
    village = int(re.search(r"Council (\d+)", admin.last_reply().text).group(1))
    saule = await invite(admin, make_user, "Saule", council_id=1)
    berik = await invite(admin, make_user, "Berik", council_id=village)
    await admin.send("/bind 1", chat=GROUP)
    await admin.send(f"/bind {village}", chat=OTHER_GROUP)

    alice = await citizen("en", "Aliya")
    await alice.send("/ask")
    await alice.press("Village council")
    await alice.press("Budget")
    await alice.send("A question for the village council only.")
    await alice.press("Show my name")
    await alice.press("No, do not publish")
    await alice.press("I agree")
    await alice.press("Send")
    [question] = await stored(app)
    assert question.council_id == village

    # In the public council's group, the village question does not exist: not for its
    # secretary (who is not theirs), not for the superadmin.
    await silent_in(GROUP, [berik], STAFF_COMMANDS, telegram)
    await admin.send("/inbox", chat=GROUP)
    assert admin.last_reply(GROUP["id"]).text == "No open questions. 🎉"
    for command in ("/q 1", "/take 1", "/ban 1"):
        await admin.send(command, chat=GROUP)
        assert admin.last_reply(GROUP["id"]).text == (
            "No such ticket among your council's questions."
        )
    await admin.send("/export", chat=GROUP)
    assert telegram.sent(GROUP["id"], "sendDocument")[-2].text == "Questions exported: 0"
    await admin.send("/stats", chat=GROUP)
    assert "<b>Questions: 0</b>" in admin.last_reply(GROUP["id"]).text
    await admin.press_data(f"card:take:{question.id}", _message_in(GROUP))
    assert admin.alerts() == ["No such ticket among your council's questions."]
    assert (await stored(app))[0].status == QuestionStatus.NEW

    # In the village group, its own secretary works as usual, and a stranger's command is
    # silent.
    await berik.send("/inbox", chat=OTHER_GROUP)
    assert berik.last_reply(OTHER_GROUP["id"]).text.startswith("1 open question")
    await silent_in(OTHER_GROUP, [saule], ["/inbox", "/q 1"], telegram)
    await berik.send("/take 1", chat=OTHER_GROUP)
    assert (await stored(app))[0].status == QuestionStatus.IN_PROGRESS

    # In a private chat the superadmin still sees every council.
    await admin.send("/inbox")
    assert admin.last_reply().text.startswith("1 open question")


def _message_in(chat: dict) -> Reply:
    """A message of the bot in that chat, for a forged button press."""
    message = {"message_id": 1, "date": 0, "chat": chat, "from": BOT_USER, "text": "old"}
    return Reply(text="old", buttons=[], message=message)
