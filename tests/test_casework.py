"""Casework the way the law runs it: who holds a question (Take, /assign, the Assign button),
inbox filters, and forwarding by competence (APC art. 76) to another council or outside."""

import html
import re

import pytest

from bot.commands import STAFF_COMMANDS as HELP_STAFF_COMMANDS
from bot.i18n import format_day
from bot.services.councils import Staff
from bot.services.errors import CaseRefusal
from bot.services.questions import QuestionError, QuestionService
from bot.services.workdays import due_date
from db.models import QuestionStatus
from handlers.staff import STAFF_COMMANDS as ROUTED_STAFF_COMMANDS
from tests.chat import ChatUser, Reply
from tests.conftest import ADMIN_ID
from tests.flows import ask, ask_in, invite, said, snapshot, stored


def told(user: ChatUser) -> str:
    """What the bot said first to the last action (refreshed cards follow it)."""
    return user.replies()[0].text


def card(user: ChatUser) -> Reply:
    """The latest question card this user has, as it looks now."""
    return [reply for reply in user.inbox() if "📨" in reply.text][-1]


def history_of(view: str, heading: str = "History:") -> list[str]:
    """The actions under a heading of a /q view, without their times."""
    lines = view.split(heading + "\n", 1)[1].split("\n\n", 1)[0].splitlines()
    return [line.split(" — ", 1)[1] for line in lines]


async def in_russian(user: ChatUser) -> ChatUser:
    await user.send("/language")
    await user.press("Русский")
    return user


async def add_council(admin: ChatUser, names: str) -> int:
    await admin.send(f"/council_add {names}")
    return int(re.search(r"Council (\d+)", admin.last_reply().text).group(1))


# -- who holds a question ------------------------------------------------------------------


async def test_take_holds_it_and_assign_hands_it_to_a_secretary_who_is_told(
    admin, make_user, citizen, app
):
    saule = await invite(admin, make_user, "Saule")
    berik = await in_russian(await invite(admin, make_user, "Berik"))
    alice = await citizen("en")
    await ask(alice)
    assert "Held by: nobody yet" in card(saule).text
    assert card(saule).buttons == ["Take", "Answer", "Reject", "Assign", "Extend"]

    await saule.press("Take", card(saule))
    assert "Held by: Saule" in card(saule).text
    [question] = await stored(app)
    assert question.assigned_to == saule.id

    # The Assign button lists the council's secretaries; the one who holds it is marked.
    await saule.press("Assign", card(saule))
    assert told(saule) == "Who will hold №2026-000001?"
    assert saule.last_reply().buttons == ["📌 Saule", "Berik"]
    await saule.press("Berik")
    assert told(saule) == "№2026-000001 is assigned to Berik; they have been told."
    # Berik hears of it privately, in Russian, with the card he can answer by replying to.
    notice, assigned = berik.inbox()[-2:]
    assert notice.text == "📌 Saule назначил(а) вас ответственным за №2026-000001."
    assert "Ответственный: Berik" in assigned.text
    assert "Held by: Berik" in card(saule).text, "Saule's card is redrawn"

    await berik.send("/inbox mine")
    assert berik.last_reply().buttons[0].startswith("🧭 №2026-000001")
    assert berik.last_reply().buttons[0].endswith(" · 📌")
    await saule.send("/inbox mine")
    assert saule.last_reply().text == "No open questions. 🎉"
    await saule.send("/inbox")
    assert saule.last_reply().buttons[0].endswith(" · 👤")

    await saule.send("/q 1")
    assert history_of(saule.last_reply().text)[-1] == "assigned (Saule) → Berik"
    await alice.send("/my")
    await alice.press(alice.last_reply().buttons[0])
    assert "Berik" not in alice.last_reply().text and "assigned" not in alice.last_reply().text

    await berik.reply_to(assigned, "Дорогу отремонтируют в мае.")
    assert told(berik) == "Ответ на вопрос №2026-000001 отправлен гражданину."
    assert alice.inbox()[-1].text.startswith("💬 Answer to your question №2026-000001:")


async def test_assign_refuses_anyone_but_a_secretary_of_that_council(
    admin, make_user, citizen, app
):
    saule = await invite(admin, make_user, "Saule")
    alice = await citizen("ru", "Алия")
    await ask_in(app, alice, "ru")
    village = await add_council(admin, "Ауыл кеңесі | Сельский совет | Village council")
    berik = await invite(admin, make_user, "Berik", council_id=village)
    before = await snapshot(app)

    refused = (
        "Only a secretary of this question's council can hold it. Their names: the Assign "
        "button on the card."
    )
    for who in ("Berik", f"{berik.id}", "@nobody", "Alice", "1234567890123456789012345", "¹²³"):
        await saule.send(f"/assign 1 {who}")
        assert saule.last_reply().text == refused, who
    await saule.send("/assign 1 Saule")
    assert told(saule) == "You now hold №2026-000001."
    await saule.send("/assign 1 saule")
    assert saule.last_reply().text == "This secretary already holds this question."
    await saule.send("/assign 1")
    assert saule.last_reply().text == (
        "Usage: /assign &lt;ticket&gt; &lt;@username, id or name of a secretary&gt;"
    )
    # A forged button naming someone who is not a secretary of the council.
    await saule.press_data(f"asg:1:{berik.id}:0")
    assert saule.alerts() == [refused]
    # Berik, of another council, cannot assign this council's question at all.
    await berik.send(f"/assign 1 {saule.id}")
    assert berik.last_reply().text == "No such ticket among your council's questions."
    # A citizen is told the command is not theirs, in their language; a forged button too.
    await alice.send("/assign 1 Saule")
    assert alice.last_reply().text == "Эта команда только для секретарей совета."
    await alice.press_data(f"asg:1:{saule.id}:0")
    assert alice.alerts() == [said(app, "ru", "Only the council's secretaries can do this.")]
    [question] = await stored(app)
    assert question.assigned_to == saule.id
    after = await snapshot(app)
    assert after["questions"] != before["questions"]  # only the self-assignment changed it
    assert after["secretaries"] == before["secretaries"]


async def test_inbox_filters_keep_to_their_questions_across_pages(
    admin, make_user, citizen, app, clock, settings
):
    settings.max_open_questions = settings.max_questions_per_day = 20
    saule = await invite(admin, make_user, "Saule")
    alice = await citizen("en")
    for number in range(1, 8):
        await ask(alice, f"Road question number {number}.")
    await ask(alice, "A budget question, the eighth.", topic="Budget")
    await saule.send("/take 8")

    await saule.send("/inbox budget")
    assert [label.split(" · ")[0] for label in saule.last_reply().buttons] == ["🧭 №2026-000008"]
    await saule.send("/inbox mine")
    assert len(saule.last_reply().buttons) == 1
    await saule.send("/inbox unassigned")
    page = saule.last_reply()
    assert page.text.startswith("7 open questions, soonest deadline first (page 1 of 2).")
    assert "🧭 received in the last 3 working days" in page.text
    await saule.press("▶️", page)
    assert [b.split(" · ")[0] for b in saule.last_reply().buttons[:-1]] == [
        "🧭 №2026-000006",
        "🧭 №2026-000007",
    ], "the second page is still only the unassigned questions"

    await saule.send("/inbox overdue")
    assert saule.last_reply().text == "No open questions. 🎉"
    clock.advance(days=40)
    await saule.send("/inbox overdue")
    page = saule.last_reply()
    assert page.text.startswith("8 open questions,")
    assert "🧭" not in page.text, "long past the days for deciding competence"
    assert all(label.startswith("⚠️ №") for label in page.buttons[:-1])

    for args in ("nothing-like-this", "a" * 300, "<b>"):
        await saule.send(f"/inbox {args}")
        assert saule.last_reply().text.startswith("Usage: /inbox [mine | unassigned | overdue")
    # A forged page button with topics of another kind shows nothing it should not.
    await saule.press_data("inbf:0:t999999,abc")
    assert saule.last_reply().text == "No open questions. 🎉"


# -- forwarding by competence --------------------------------------------------------------


async def test_forward_to_another_council_makes_it_new_there_with_its_history(
    admin, make_user, citizen, app, clock
):
    saule = await invite(admin, make_user, "Saule")
    alice = await citizen("kk", "Әлия")
    await ask_in(app, alice, "kk")
    await saule.send("/note 1 Бұл ауылдың мәселесі")
    village = await add_council(admin, "Ауыл кеңесі | Сельский совет | Village council")
    berik = await in_russian(await invite(admin, make_user, "Berik", council_id=village))
    clock.advance(days=1)

    await saule.send(f"/forward 1 {village} | Вопрос о сельской дороге <ведение села>")
    assert told(saule) == (
        "№2026-000001 is forwarded to Village council (№2026-000002); the citizen has been "
        "told why."
    )
    old, new = await stored(app)
    assert old.status == QuestionStatus.FORWARDED and old.closed_at is not None
    assert (new.council_id, new.status, new.forwarded_from_id) == (
        village,
        QuestionStatus.NEW,
        old.id,
    )
    today = clock.now().astimezone(app.settings.tz).date()
    assert new.due_date == due_date(today, 15), "a deadline of its own from the forwarding day"
    assert new.text == old.text and new.citizen_id == old.citizen_id

    # The citizen is told in Kazakh: where, why, the new ticket and date.
    assert alice.inbox()[-1].text == (
        "↪️ Сіздің №2026-000001 сұрағыңыз тиесілілігі бойынша жолданды: Ауыл кеңесі "
        "(№2026-000002).\n"
        "Себебі: Вопрос о сельской дороге &lt;ведение села&gt;\n"
        f"Жаңа нөмірі — №2026-000002; жауап күтілетін күн — {format_day(new.due_date, 'kk')}."
    )
    # The village council's secretary gets the card, in Russian, with where it came from.
    assert card(berik).text.startswith("📨 Вопрос №2026-000002")
    assert "Направлен из: Общественный совет (№2026-000001)" in card(berik).text
    # Its history travels with it.
    await berik.send("/q 2")
    view = berik.last_reply().text
    before = history_of(view, "История в совете Общественный совет (№2026-000001):")
    assert before[0].startswith("задан")
    assert before[-1] == (
        "направлен по подведомственности (Saule): Вопрос о сельской дороге &lt;ведение села&gt;"
    )
    assert history_of(view, "История:")[0] == (
        "поступил по подведомственности (Saule): №2026-000001"
    )
    # The old card says where it went, and nothing more can be done to it there.
    assert "Forwarded to: Village council (№2026-000002)" in card(saule).text
    await saule.send("/take 1")
    assert saule.last_reply().text == "This question has already been forwarded."
    await saule.send("/forward 1 Akimat | again")
    assert saule.last_reply().text == "This question has already been forwarded."
    # The citizen's /my shows both, the old one as forwarded.
    await alice.send("/my")
    assert len(alice.last_reply().buttons) >= 2
    # Berik answers at the village council; Alice gets it under the new ticket.
    await berik.send("/answer 2 Дорогу отремонтирует сельский акимат.")
    assert alice.inbox()[-1].text.startswith("💬 №2026-000002")


async def test_forward_outside_the_bot_closes_it_and_bad_forwards_change_nothing(
    admin, make_user, citizen, app
):
    saule = await invite(admin, make_user, "Saule")
    alice = await citizen("ru", "Алия")
    await ask_in(app, alice, "ru")
    before = await snapshot(app)
    usage = (
        "Usage: /forward &lt;ticket&gt; &lt;council number or name, or a body outside the "
        "bot&gt; | &lt;reason&gt;"
    )
    for command, reply in [
        ("/forward 1", usage),
        ("/forward 1 Akimat of Almaty", usage),
        ("/forward 1 | no body", usage),
        (
            "/forward 1 1 | Not ours",
            "The question is already at this council: forward it to another council or body.",
        ),
        (
            "/forward 1 Public council | Not ours",
            "The question is already at this council: forward it to another council or body.",
        ),
        (
            "/forward 1 99 | Not ours",
            "There is no council number 99. To send the question outside the bot, write the "
            "body's name in words.",
        ),
        (
            "/forward 1 1234567890123456789012345 | Not ours",
            "There is no council number 1234567890123456789012345. To send the question "
            "outside the bot, write the body's name in words.",
        ),
        ("/forward 1 Akimat | ..", "The text is empty or too short."),
        (
            f"/forward 1 {'A' * 257} | Not ours",
            "The text is too long: 257 characters, at most 256.",
        ),
        ("/forward 99 Akimat | Not ours", "No such ticket among your council's questions."),
    ]:
        await saule.send(command)
        assert saule.last_reply().text == reply, command
    await alice.send("/forward 1 Akimat | Хочу сам")
    assert alice.last_reply().text == "Эта команда только для секретарей совета."
    assert await snapshot(app) == before

    await saule.send("/forward 1 Акимат Алматинской области | Вопрос о дорогах области")
    assert told(saule) == (
        "№2026-000001 is forwarded to Акимат Алматинской области; the citizen has been told why."
    )
    assert alice.inbox()[-1].text == (
        "↪️ Ваш вопрос №2026-000001 направлен по подведомственности: Акимат Алматинской "
        "области.\nПричина: Вопрос о дорогах области\nЭтот орган ответит вам сам."
    )
    [question] = await stored(app)
    assert question.status == QuestionStatus.FORWARDED
    assert question.forwarded_to == "Акимат Алматинской области"
    await alice.send("/my")
    await alice.press(alice.last_reply().buttons[0])
    assert "направлен по подведомственности" in alice.last_reply().text


# -- answers with files --------------------------------------------------------------------


async def test_an_answer_with_files_reaches_the_citizen_with_its_text(
    admin, make_user, citizen, app, telegram
):
    saule = await invite(admin, make_user, "Saule")
    alice = await citizen("ru", "Алия")
    await ask_in(app, alice, "ru")

    # A reply to the card with an album: the caption is the answer, the photos go with it.
    await saule.send_album(3, caption="Ремонт <завершён>, см. фото", reply=card(saule))
    assert told(saule) == "The answer to №2026-000001 has been sent to the citizen."
    answer = telegram.sent(alice.id, "sendMessage")[-1]
    assert answer.text.startswith("💬 Ответ на ваш вопрос №2026-000001:")
    assert "Ремонт &lt;завершён&gt;, см. фото" in answer.text
    [album] = telegram.sent(alice.id, "sendMediaGroup")
    assert len(album.method.media) == 3
    assert album.method.media[0].caption == "Файлы к ответу на №2026-000001"
    assert album.method.reply_parameters.message_id == answer.result.message_id
    [question] = await stored(app)
    assert question.status == QuestionStatus.ANSWERED

    # /q shows how many, and sends them below; the export counts them; /my shows them too.
    await saule.send("/q 1")
    assert "📎 3 files with the answer: below" in saule.replies()[0].text
    assert len(telegram.sent(saule.id, "sendMediaGroup")[-1].method.media) == 3
    await alice.send("/my")
    await alice.press(alice.last_reply().buttons[0])
    assert len(telegram.sent(alice.id, "sendMediaGroup")) == 2

    # `/answer` as the caption of a document answers with it.
    await alice.send("/ask")
    await alice.press(alice.last_reply().buttons[0])
    await alice.send("Когда отремонтируют дорогу к школе?")
    await alice.press(said(app, "ru", "Show my name"))
    await alice.press(said(app, "ru", "No, do not publish"))
    await alice.press(said(app, "ru", "Send"))
    await saule.send_document("/answer 2 Смета ремонта во вложении.", name="smeta.xlsx")
    assert told(saule) == "The answer to №2026-000002 has been sent to the citizen."
    [document] = telegram.sent(alice.id, "sendDocument")
    assert document.method.document == "doc-in-1"
    assert document.method.caption == "Файлы к ответу на №2026-000002"


async def test_files_that_cannot_be_an_answer_change_nothing(
    admin, make_user, citizen, app, telegram
):
    saule = await invite(admin, make_user, "Saule")
    alice = await citizen("en")
    await ask(alice)
    before = await snapshot(app)

    await saule.send_photo(reply=card(saule))
    assert saule.last_reply().text == (
        "Write the answer as the caption of the files: files alone are not an answer."
    )
    await saule.feed_message(
        {
            "sticker": {
                "file_id": "s1",
                "file_unique_id": "us1",
                "type": "regular",
                "width": 9,
                "height": 9,
                "is_animated": False,
                "is_video": False,
            },
            "reply_to_message": card(saule).message,
        }
    )
    assert saule.last_reply().text == (
        "Only text, or photos and documents with the answer as their caption, can be an "
        "answer: reply to the card of №2026-000001 with them."
    )
    await saule.send_photo("/reject 1 Not our question")
    assert saule.last_reply().text == "Only an answer can carry files; send the reason as text."
    # Answer pressed, then a photo with no caption to the prompt.
    await saule.press("Answer", card(saule))
    await saule.send_photo()
    assert saule.last_reply().text == (
        "Write the answer as the caption of the files: files alone are not an answer."
    )
    assert await snapshot(app) == before
    assert not telegram.sent(alice.id, "sendPhoto")

    # When the files cannot be delivered, the secretary is told the truth: the text arrived,
    # the files did not.
    telegram.fail("sendPhoto", chat_id=alice.id, status=502)
    await saule.send_photo("Answered, with a photo of the repaired road.")
    assert told(saule) == (
        "The answer to №2026-000001 reached the citizen, but its files could not be delivered "
        "now; they will see them in /my."
    )
    await alice.send("/my")
    await alice.press(alice.last_reply().buttons[0])
    [photo] = telegram.sent(alice.id, "sendPhoto")
    assert photo.method.caption == "Files with the answer to №2026-000001"


async def test_an_answer_never_carries_more_files_than_an_album_holds(
    admin, make_user, citizen, app
):
    await invite(admin, make_user, "Saule")
    alice = await citizen("en")
    await ask(alice)
    async with app.sessionmaker() as session:
        service = QuestionService(session, app.settings, app.clock)
        [question] = await stored(app)
        staff = Staff(user_id=ADMIN_ID, is_superadmin=True)
        files = [("photo", f"p{number}") for number in range(11)]
        with pytest.raises(QuestionError) as refused:
            await service.answer(question, staff, "Too many photos.", files)
        assert refused.value.code == CaseRefusal.TOO_MANY_FILES
    [question] = await stored(app)
    assert question.status == QuestionStatus.NEW


async def test_the_extend_button_asks_for_the_date_and_the_reason(
    admin, make_user, citizen, app, telegram
):
    saule = await in_russian(await invite(admin, make_user, "Saule"))
    alice = await citizen("kk", "Әлия")
    await ask_in(app, alice, "kk")
    [question] = await stored(app)
    before = await snapshot(app)

    await saule.press("Продлить срок", card(saule))
    prompt = saule.last_reply()
    assert prompt.text.startswith("Ответьте на это сообщение новой датой ответа на №2026-000001")
    await saule.reply_to(prompt, "+10")
    assert saule.last_reply().text == (
        "Укажите новую дату, а затем причину, например: +10 Запрошены сведения у акимата"
    )
    await saule.reply_to(prompt, "+99 Слишком далеко")
    assert saule.last_reply().text.startswith("Срок можно продлить не более чем")
    assert await snapshot(app) == before

    await saule.reply_to(prompt, "+10 Запрошены сведения у акимата")
    [question] = await stored(app)
    assert question.extended_at is not None
    assert told(saule).startswith("Новый срок по вопросу №2026-000001")
    assert alice.inbox()[-1].text.startswith("⏳")
    assert "Себебі: Запрошены сведения у акимата" in alice.inbox()[-1].text
    await saule.send("/stats")
    assert "Срок ответа продлён ⏳: 1" in saule.last_reply().text


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
async def test_help_lists_every_staff_command_in_the_secretarys_language(secretary, app, language):
    saule = await secretary(language)
    await saule.send("/help")
    text = "\n".join(reply.text for reply in saule.replies())
    described = dict(HELP_STAFF_COMMANDS)
    for command in ROUTED_STAFF_COMMANDS:
        assert command in described, f"/{command} is routed but not in /help"
        description = said(app, language, described[command])
        assert f"/{command} {html.escape(description, quote=False)}" in text, (command, language)


# -- who holds it: the first writer wins, names are told apart, a secretary who leaves ------


async def test_take_and_a_stale_assign_list_never_take_a_question_from_its_holder(
    admin, make_user, citizen, app
):
    saule = await invite(admin, make_user, "Saule")
    berik = await invite(admin, make_user, "Berik")
    dana = await invite(admin, make_user, "Dana")
    alice = await citizen("en")
    await ask(alice)
    await saule.send("/assign 1 Berik")
    await saule.press("Take", card(saule))
    assert saule.last_reply().text == (
        "Berik holds this question now. To give it to someone else, use /assign."
    )
    [question] = await stored(app)
    assert (question.status, question.assigned_to) == (QuestionStatus.NEW, berik.id)

    # Saule opens the list while Berik holds it; Berik hands it to Dana; Saule's list is stale.
    await saule.press("Assign", card(saule))
    stale = saule.last_reply()
    await berik.send("/assign 1 Dana")
    await saule.press("Saule", stale)
    assert told(saule) == "Dana holds this question now. To give it to someone else, use /assign."
    [question] = await stored(app)
    assert question.assigned_to == dana.id
    # A fresh list works.
    await saule.press("Assign", card(saule))
    await saule.press("Saule")
    assert told(saule) == "You now hold №2026-000001."


async def test_two_secretaries_of_one_name_are_told_apart(admin, make_user, citizen, app):
    first = await invite(admin, make_user, "Aigerim")
    second = await invite(admin, make_user, "Aigerim")
    alice = await citizen("en")
    await ask(alice)
    await first.send("/assign 1 Aigerim")
    assert first.last_reply().text == (
        "Several secretaries of this council have this name: write their @username or Telegram "
        "id, or use the Assign button on the card."
    )
    await first.press("Assign", card(first))
    assert first.last_reply().buttons == [f"Aigerim ({first.id})", f"Aigerim ({second.id})"]
    await first.press(f"Aigerim ({second.id})")
    [question] = await stored(app)
    assert question.assigned_to == second.id


async def test_a_secretary_who_leaves_holds_nothing_and_gets_no_more_card_updates(
    admin, make_user, citizen, app, telegram
):
    saule = await invite(admin, make_user, "Saule")
    berik = await invite(admin, make_user, "Berik")
    alice = await citizen("en")
    await ask(alice)
    await saule.send("/assign 1 Berik")
    berik_cards = [reply.text for reply in berik.inbox() if "📨" in reply.text]
    await admin.send(f"/revoke {berik.id}")
    [question] = await stored(app)
    assert question.assigned_to is None
    await saule.send("/inbox unassigned")
    assert saule.last_reply().buttons[0].startswith("🧭 №2026-000001")
    await saule.send("/q 1")
    assert history_of(saule.replies()[0].text)[-1] == (
        "no longer held: the secretary left the council (Admin) → Berik"
    )
    await saule.send("/answer 1 The road is repaired in May.")
    assert [reply.text for reply in berik.inbox() if "📨" in reply.text] == berik_cards, (
        "his cards are no longer redrawn with the citizen's question"
    )


async def test_a_superadmin_filters_the_inbox_by_a_topic_that_every_council_has(
    admin, citizen, app
):
    for number in range(2, 8):
        await add_council(admin, f"Кеңес {number} | Совет {number} | Council {number}")
    alice = await citizen("en")
    await alice.send("/ask")
    await alice.press("Council 7")
    await alice.press("Roads and transport")
    await alice.send("When will the road to the school be repaired?")
    await alice.press("Show my name")
    await alice.press("No, do not publish")
    await alice.press("I agree")
    await alice.press("Send")
    await admin.send("/inbox roads")
    assert admin.last_reply().text.startswith("1 open question,")


async def test_more_than_ten_files_with_a_question_are_refused_not_dropped(citizen, app):
    alice = await citizen("ru", "Алия")
    await alice.send("/ask")
    await alice.press(alice.last_reply().buttons[0])
    await alice.send_photo()
    await alice.send_album(10, caption="Фото ямы на дороге к школе, десять штук.")
    assert alice.last_reply().text == (
        "К вопросу можно приложить не более 10 файлов; сохранён 1 файл. Отправьте меньше "
        "файлов или напишите вопрос текстом."
    )


async def test_a_reopened_question_can_be_extended_from_the_objection(
    admin, make_user, citizen, app, clock
):
    saule = await invite(admin, make_user, "Saule")
    alice = await citizen("en")
    await ask(alice)
    clock.advance(days=55)
    await saule.send("/answer 1 The repair starts in May.")
    clock.advance(days=1)
    await alice.press("❗ I do not agree", alice.inbox()[-1])
    await alice.send("The road is still broken, nothing was repaired at all.")
    [question] = await stored(app)
    assert question.status == QuestionStatus.REOPENED
    await saule.send("/extend 1 +5\nA survey of the road is ordered")
    assert told(saule).startswith("№2026-000001 is now due")


async def test_stats_write_the_median_with_the_languages_decimal_separator(
    admin, make_user, citizen, app, clock, settings
):
    settings.max_open_questions = settings.max_questions_per_day = 5
    saule = await in_russian(await invite(admin, make_user, "Saule"))
    alice = await citizen("en")
    await ask(alice, "The first question about the road.")
    await ask(alice, "The second question about the road.")
    clock.advance(days=1)
    await saule.send("/answer 1 Готово.")
    clock.advance(days=1)
    await saule.send("/answer 2 Готово.")
    await saule.send("/stats")
    text = "\n".join(reply.text for reply in saule.replies())
    assert ": 1,5" in text and "1.5" not in text
    await saule.send("/language")
    await saule.press("English")
    await saule.send("/stats")
    assert ": 1.5" in "\n".join(reply.text for reply in saule.replies())
