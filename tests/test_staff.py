"""Councils, secretaries and superadmins: scopes, the staff group, export, statistics, digest."""

import csv
import io
import re
from datetime import datetime

from openpyxl import load_workbook
from sqlalchemy import select

from bot.app import create_app
from bot.i18n import format_day
from bot.services.workdays import add_working_days
from db.models import Council, Question, QuestionStatus
from tests.chat import ChatUser
from tests.conftest import ADMIN_ID, ALMATY
from tests.flows import GROUP, ask, ask_in, invite, stored
from tests.sheets import assert_office_sheet, open_sheet
from tests.telegram_rules import visible_text


async def test_invite_links_work_once(admin, make_user):
    saule = await invite(admin, make_user, "Saule")
    await admin.send("/invite")
    payload = re.search(r"start=(inv_[\w-]+)", admin.last_reply().text).group(1)
    assert admin.last_reply().text.startswith("A one-time link")
    assert "https://t.me/hearing_state_bot?start=inv_" in admin.last_reply().text
    berik = make_user("Berik")
    await berik.send(f"/start {payload}")
    mallory = make_user("Mallory")
    await mallory.send(f"/start {payload}")
    assert mallory.last_reply().text == (
        "Эта ссылка-приглашение недействительна или уже использована."
    ), "in DEFAULT_LANGUAGE: Mallory has not picked one"
    await admin.send("/secretaries")
    listing = admin.last_reply().text
    assert "Saule" in listing and "Berik" in listing and "Mallory" not in listing
    await admin.send(f"/revoke {saule.id}")
    await saule.send("/inbox")
    assert saule.last_reply().text == "This command is only for council secretaries."


async def test_a_secretary_acts_only_on_their_own_council(admin, make_user, citizen, app):
    await admin.send("/council_add Ауыл кеңесі | Сельский совет | Village council")
    council_b = int(re.search(r"Council (\d+)", admin.last_reply().text).group(1))
    saule = await invite(admin, make_user, "Saule", council_id=1)
    berik = await invite(admin, make_user, "Berik", council_id=council_b)

    alice = await citizen("en")
    await alice.send("/ask")
    assert alice.last_reply().buttons == ["Public council", "Village council"]
    await alice.press("Village council")
    await alice.press("Budget")
    await alice.send("A question for the village council.")
    await alice.press("Show my name")
    await alice.press("No, do not publish")
    await alice.press("I agree")
    await alice.press("Send")
    [question] = await stored(app)
    assert question.council_id == council_b
    assert any("A question for the village council." in r.text for r in berik.inbox())
    assert not any("village council." in r.text for r in saule.inbox())

    for command in ("/take 1", "/answer 1 Not mine", "/reject 1 Not mine", "/q 1", "/ban 1"):
        await saule.send(command)
        assert saule.last_reply().text == "No such ticket among your council's questions."
    await saule.press_data(f"card:take:{question.id}")
    assert saule.alerts() == ["No such ticket among your council's questions."]
    assert (await stored(app))[0].status == QuestionStatus.NEW

    await admin.send("/take 1")
    assert (await stored(app))[0].status == QuestionStatus.IN_PROGRESS, "superadmins act on all"


async def test_staff_group_gets_the_cards(admin, make_user, citizen, app, telegram):
    saule = await invite(admin, make_user, "Saule")
    await admin.send("/bind", chat=GROUP)
    assert admin.last_reply(GROUP["id"]).text.startswith("New questions to")
    alice = await citizen("en")
    await ask(alice)
    assert not any("📨" in text for text in telegram.texts(saule.id)), "not privately"
    [card] = [reply for reply in saule.inbox(GROUP["id"]) if "📨" in reply.text]
    # The group reads the council's default language.
    assert card.text.startswith("📨 Вопрос №2026-000001")
    assert card.buttons == ["В работу", "Ответить", "Отклонить", "Назначить", "Продлить срок"]

    # A member of the group who is not a secretary cannot act.
    stranger = make_user("Stranger")
    await stranger.press("В работу", card)
    assert stranger.alerts() == ["Это могут делать только секретари совета."]
    # Someone who is not a superadmin cannot re-bind the group.
    await stranger.send("/bind", chat=GROUP)
    assert stranger.replies(GROUP["id"]) == []

    await saule.reply_to(card, "Answered from the staff group.")
    assert "Answered from the staff group." in alice.inbox()[-1].text


async def test_inbox_lists_open_questions_soonest_deadline_first(
    admin, make_user, citizen, clock, settings
):
    settings.max_open_questions = 10
    saule = await invite(admin, make_user, "Saule")
    alice = await citizen("en")
    for number in range(1, 8):
        await ask(alice, f"Inbox question number {number}.")
        clock.advance(days=1)
    await saule.send("/answer 2 Done.")
    await saule.send("/inbox")
    page = saule.last_reply()
    assert page.text.startswith("6 open questions, soonest deadline first (page 1 of 2).\n")
    tickets = [label.split(" · ")[0].removeprefix("🧭 ") for label in page.buttons[:-1]]
    assert tickets == [
        "№2026-000001",
        "№2026-000003",
        "№2026-000004",
        "№2026-000005",
        "№2026-000006",
    ]
    await saule.press("▶️")
    assert saule.last_reply().buttons[0].startswith("🧭 №2026-000007"), "asked today"
    await saule.press(saule.last_reply().buttons[0])
    assert "Inbox question number 7." in saule.last_reply().text


async def test_export_opens_and_holds_the_rows(admin, make_user, citizen, app, telegram):
    saule = await invite(admin, make_user, "Saule")
    alice = await citizen("en", first_name="Aliya", username="aliya_kz")
    bob = await citizen("en", first_name="Bob")
    await ask(alice, '=HYPERLINK("http://evil") named question', anonymous=False)
    await ask(bob, "An anonymous question about water.", anonymous=True)
    await saule.send("/answer 1 Answered.")
    await alice.press("👍")

    await saule.send("/export")
    xlsx_call, csv_call = telegram.sent(saule.id, "sendDocument")
    # The council and the period (from the beginning to today) in the names.
    assert xlsx_call.method.document.filename == "questions-council-1-to-2026-11-23.xlsx"
    assert csv_call.method.document.filename == "questions-council-1-to-2026-11-23.csv"
    sheet = open_sheet(xlsx_call.method.document.data)
    assert_office_sheet(sheet)
    header, first, second = list(sheet.iter_rows(values_only=True))
    assert header[:6] == ("Ticket", "Council", "Topic", "Received", "Due", "Status")
    by_name = dict(zip(header, first, strict=True))
    assert by_name["Ticket"] == "№2026-000001"
    assert by_name["Status"] == "answered"
    assert by_name["Rating"] == "👍"
    assert by_name["Citizen"] == "Aliya (@aliya_kz)"
    assert by_name["Question"].startswith("'=HYPERLINK"), "formulas are kept as text"
    assert isinstance(by_name["Received"], datetime) and isinstance(by_name["Due"], datetime)
    anonymous = dict(zip(header, second, strict=True))
    assert anonymous["Citizen"] in (None, "")
    assert "Bob" not in str(second)

    data = csv_call.method.document.data
    assert data.startswith(b"\xef\xbb\xbf"), "a byte-order mark: Excel reads UTF-8"
    records = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert list(records[0]) == list(header), "semicolons split the columns"
    assert [r["Ticket"] for r in records] == ["№2026-000001", "№2026-000002"]
    assert records[0]["Question"].startswith("'=HYPERLINK"), "formulas are kept as text"
    assert records[1]["Citizen"] == ""
    assert "Bob" not in data.decode("utf-8-sig")

    await saule.send("/export 2026-12-01 2026-12-31")
    assert telegram.sent(saule.id, "sendDocument")[-2].text == "Questions exported: 0"
    await saule.send("/export 2026-13-01 2026-12-31")
    assert saule.last_reply().text == "Usage: /export [YYYY-MM-DD YYYY-MM-DD]"


async def test_stats(admin, make_user, citizen, clock, settings):
    settings.max_questions_per_day = 10
    saule = await invite(admin, make_user, "Saule")
    alice = await citizen("en")
    for number in range(1, 5):
        await ask(alice, f"Statistics question {number}.")
    clock.advance(days=2)
    await saule.send("/answer 1 One.")
    await alice.press("👍")
    clock.advance(days=2)
    await saule.send("/answer 2 Two.")
    await alice.press("👎")
    await saule.send("/reject 3 Not ours.")
    clock.advance(days=30)
    await saule.send("/stats")
    text = saule.last_reply().text
    assert "<b>Questions: 4</b>" in text
    assert "✅ answered: 2" in text and "⛔ rejected: 1" in text and "🆕 new: 1" in text
    assert "Overdue: 1" in text
    assert "Median time to answer: 3 days" in text
    assert "Helpful answers: 50% 👍 of 2 rated" in text
    assert "• Roads and transport: 4" in text


async def test_topics_can_be_added_renamed_and_hidden(admin, citizen, app):
    await admin.send("/topic_add 1 Экология | Экология | Ecology")
    topic_id = int(re.search(r"Topic (\d+)", admin.last_reply().text).group(1))
    await admin.send(f"/topic_rename {topic_id} Қоршаған орта | Окружающая среда | Environment")
    alice = await citizen("en")
    await alice.send("/ask")
    assert "Environment" in alice.last_reply().buttons
    await admin.send(f"/topic_hide {topic_id}")
    await alice.send("/ask")
    assert "Environment" not in alice.last_reply().buttons
    await admin.send("/topic_add 1 only one name")
    assert admin.last_reply().text.startswith("Usage: /topic_add")
    await admin.send("/topic_hide 999")
    assert admin.last_reply().text == "No such topic. See /topics."


async def test_a_question_is_not_lost_when_no_secretary_exists(admin, citizen, app, telegram):
    alice = await citizen("en")
    await ask(alice)
    assert any("📨 Question №2026-000001" in (c.text or "") for c in telegram.sent(ADMIN_ID))


async def test_default_council_comes_from_the_settings(app):
    async with app.sessionmaker() as session:
        [council] = list(await session.scalars(select(Council)))
    assert (council.name_kk, council.name_ru, council.name_en) == (
        "Қоғамдық кеңес",
        "Общественный совет",
        "Public council",
    )
    assert council.timezone == "Asia/Almaty"


async def test_digest_once_per_working_day_also_across_a_restart(
    admin, make_user, citizen, app, clock, settings, telegram
):
    settings.max_questions_per_day = 10
    saule = await invite(admin, make_user, "Saule")
    alice = await citizen("en")
    await ask(alice, "A question that will be overdue.")
    clock.advance(days=25)  # Tuesday 18 December 2026, well past the due date
    clock.set(datetime(2026, 12, 18, 8, 0, tzinfo=ALMATY))
    await ask(alice, "A fresh question, due in January.")

    def digests() -> list[str]:
        return [text for text in telegram.texts(saule.id) if text.startswith("☀️")]

    assert await app.digests.run() == 0, "not before 09:00"
    clock.set(datetime(2026, 12, 18, 9, 5, tzinfo=ALMATY))
    assert await app.digests.run() == 1
    [digest] = digests()
    assert "Overdue: 1" in digest and "№2026-000001" in digest
    assert "№2026-000002" not in digest, "due in January, not within two working days"
    assert await app.digests.run() == 0

    # A restart: a new app on the same database sends nothing more that day.
    restarted = create_app(settings, clock=clock, session=telegram)
    await restarted.start(run_scheduler=False)
    clock.set(datetime(2026, 12, 18, 15, 0, tzinfo=ALMATY))
    assert await restarted.digests.run() == 0
    # Saturday: no digest. Monday, the bot was down at 09:00 and is back at 11:00: it is sent.
    clock.set(datetime(2026, 12, 19, 10, 0, tzinfo=ALMATY))
    assert await restarted.digests.run() == 0
    clock.set(datetime(2026, 12, 21, 11, 0, tzinfo=ALMATY))
    assert await restarted.digests.run() == 1
    await restarted.stop()
    assert len(digests()) == 2

    async with app.sessionmaker() as session:
        assert len(list(await session.scalars(select(Question)))) == 2


# -- what the one who acted is told -------------------------------------------------------------


def told(user: ChatUser) -> str:
    """What the bot said first to the last action (the refreshed card follows it)."""
    return user.replies()[0].text


async def test_the_secretary_is_told_whether_the_citizen_got_it(
    admin, make_user, citizen, app, telegram
):
    saule = await invite(admin, make_user, "Saule")
    alice = await citizen("en")
    for number in (1, 2, 3):
        await ask(alice, f"Question number {number} about the park.")

    # A 5xx (or a timeout, or a 429) on the way to the citizen.
    telegram.fail("sendMessage", chat_id=alice.id, status=500)
    await saule.send("/answer 1 The park opens in May.")
    assert told(saule) == (
        "The answer to №2026-000001 is saved, but could not be delivered to the citizen now; "
        "they will see it in /my."
    )
    telegram.fail("sendMessage", chat_id=alice.id, status=429, retry_after=5)
    await saule.press("Take")
    assert told(saule) == "№2026-000003 is taken into work, but the citizen could not be told now."

    # The citizen has blocked the bot.
    telegram.block(alice.id)
    await saule.send("/reject 2 A matter for the akimat.")
    assert told(saule) == (
        "№2026-000002 is rejected and saved, but the citizen has blocked the bot and was not told."
    )
    await saule.send("/answer 3 It opens in May.")
    assert told(saule) == (
        "The answer to №2026-000003 is saved, but the citizen has blocked the bot and did not "
        "get it."
    )
    statuses = [question.status for question in await stored(app)]
    assert statuses == [QuestionStatus.ANSWERED, QuestionStatus.REJECTED, QuestionStatus.ANSWERED]


async def test_a_failed_card_refresh_does_not_stop_the_others(
    admin, make_user, citizen, app, telegram
):
    saule = await invite(admin, make_user, "Saule")
    berik = await invite(admin, make_user, "Berik")
    dana = await invite(admin, make_user, "Dana")
    alice = await citizen("en")
    await ask(alice)
    telegram.fail("editMessageText", chat_id=saule.id, status=502)
    telegram.fail("editMessageText", chat_id=berik.id, status=429, retry_after=3)
    await dana.send("/answer 1 The road is repaired in May.")
    assert told(dana) == "The answer to №2026-000001 has been sent to the citizen."
    [card] = [reply for reply in dana.inbox() if reply.text.startswith("📨")]
    assert "✅ answered" in card.text and card.buttons == []


# -- /ban is no oracle --------------------------------------------------------------------------


def history_of(view: str) -> list[str]:
    """The actions in a /q view's history, without their times."""
    lines = view.split("History:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    return [line.split(" — ", 1)[1] for line in lines]


async def test_ban_answers_do_not_link_an_anonymous_ticket_to_a_name(
    admin, make_user, citizen, app
):
    saule = await invite(admin, make_user, "Saule")
    aliya = await citizen("en", "Aliya")
    bob = await citizen("en", "Bob")
    await ask(aliya, "An anonymous question from Aliya.", anonymous=True)  # №1
    await ask(aliya, "A named question from Aliya.")  # №2
    await ask(bob, "A named question from Bob.")  # №3

    await saule.send("/ban 1")
    assert saule.last_reply().text == (
        "The author of №2026-000001 can no longer send questions to this council."
    )

    async def answers(command: str) -> tuple[str, str]:
        """What Saule is told for Aliya's named ticket and for Bob's, tickets blanked out."""
        said = []
        for ticket in (2, 3):
            await saule.send(f"{command} {ticket}")
            said.append(saule.last_reply().text.replace(f"№2026-00000{ticket}", "№…"))
        return said[0], said[1]

    # Aliya's ticket and Bob's get the same answers: nothing tells who wrote №1.
    aliya_said, bob_said = await answers("/ban")
    assert (
        aliya_said
        == bob_said
        == ("The author of №… can no longer send questions to this council.")
    )
    aliya_said, bob_said = await answers("/unban")
    assert (
        aliya_said
        == bob_said
        == (
            "The ban through №… is lifted. If its author is banned through another ticket too, "
            "that ban still holds."
        )
    )
    aliya_said, bob_said = await answers("/unban")
    assert aliya_said == bob_said == "No ban was made through №…."
    aliya_said, bob_said = await answers("/q")
    assert (
        history_of(aliya_said)
        == history_of(bob_said)
        == [
            "asked (citizen)",
            "author banned (Saule)",
            "author unbanned (Saule)",
        ]
    )

    # And the ban does what it says: the one through №1 still holds for Aliya; Bob may ask.
    await aliya.send("/ask")
    assert aliya.last_reply().text == "You cannot send questions to this council."
    await ask(bob, "Bob may ask again, can he?")
    assert len(await stored(app)) == 4
    await saule.send("/unban 1")
    await ask(aliya, "Aliya may ask again too?")
    assert len(await stored(app)) == 5


# -- every usage line and refusal is HTML Telegram accepts ---------------------------------------


async def test_usage_lines_reach_the_user(admin, make_user, citizen):
    """Each command without its arguments answers with its usage, `<` and `>` escaped (the
    strict fake fails the test on anything Telegram would refuse)."""
    saule = await invite(admin, make_user, "Saule")
    await admin.send("/council_add")
    assert visible_text(admin.last_reply().text, "HTML") == (
        "Usage: /council_add <Kazakh name> | <Russian name> | <English name>"
    )
    await admin.send("/council_add")
    for command in (
        "/topic_add",
        "/topic_rename",
        "/topic_hide",
        "/revoke",
        "/revoke x",
        "/topics x",
        "/invite x",
        "/secretaries x",
        "/council_add only | two",
    ):
        await admin.send(command)
        assert visible_text(admin.last_reply().text, "HTML").startswith("Usage: /")
    for command in ("/q", "/take", "/answer", "/answer 1", "/reject 1", "/ban", "/unban"):
        await saule.send(command)
        assert visible_text(saule.last_reply().text, "HTML").startswith("Usage: /")
    for command in ("/event_publish", "/event_cancel", "/event_attended 1", "/broadcast_cancel"):
        await saule.send(command)
        assert visible_text(saule.last_reply().text, "HTML").startswith("Usage: /")
    await saule.send("/event_edit")
    assert "/event_edit <id> start DD.MM.YYYY HH:MM" in visible_text(
        saule.last_reply().text, "HTML"
    )
    await saule.send("/event_cancel 1")
    assert saule.last_reply().text == "No such event among your councils'."


# -- internal notes -----------------------------------------------------------------------------


async def test_an_internal_note_is_for_the_staff_only(admin, make_user, citizen, app):
    """A note stays in the ticket's history for the staff, in their language and escaped; the
    citizen's history never shows it; citizens and another council's secretary cannot add one."""
    saule = await invite(admin, make_user, "Saule")
    alice = await citizen("ru", "Алия")
    await ask_in(app, alice, "ru")

    await saule.send("/note 1 Called the akimat: <b>repair</b> planned for May.")
    assert (
        saule.last_reply().text == "Note added to №2026-000001. Only the council's staff see it."
    )
    await saule.send("/q 1")
    assert history_of(saule.last_reply().text)[-1] == (
        "internal note (Saule): Called the akimat: &lt;b&gt;repair&lt;/b&gt; planned for May."
    )
    await alice.send("/my")
    await alice.press(alice.last_reply().buttons[0])
    assert "akimat" not in alice.last_reply().text
    assert "заметка" not in alice.last_reply().text

    # A Kazakh-speaking secretary reads the same note with the action in Kazakh.
    dana = await invite(admin, make_user, "Dana")
    await dana.send("/language")
    await dana.press("Қазақша")
    await dana.send("/q 1")
    assert "ішкі жазба (Saule): Called the akimat" in dana.last_reply().text

    # Bad input leaves the history as it was.
    await saule.send("/note 1")
    assert saule.last_reply().text == "Usage: /note &lt;ticket&gt; &lt;text&gt;"
    await saule.send("/note 1 " + "x" * 1001)
    assert saule.last_reply().text == "The text is too long: 1001 characters, at most 1000."
    await saule.send("/note 99 A note for nobody")
    assert saule.last_reply().text == "No such ticket among your council's questions."
    await alice.send("/note 1 Мне тоже есть что сказать")
    assert alice.last_reply().text == "Эта команда только для секретарей совета."

    await admin.send("/council_add Ауыл кеңесі | Сельский совет | Village council")
    council_b = int(re.search(r"Council (\d+)", admin.last_reply().text).group(1))
    berik = await invite(admin, make_user, "Berik", council_id=council_b)
    await berik.send("/note 1 Not my council")
    assert berik.last_reply().text == "No such ticket among your council's questions."
    await saule.send("/q 1")
    notes = [line for line in history_of(saule.last_reply().text) if "note" in line]
    assert len(notes) == 1


async def test_the_longest_notes_still_fit_the_history(admin, make_user, citizen, app):
    """Five notes at the limit, each all characters HTML must escape: /q still shows every
    one, in as many messages as Telegram's 4 096 characters need."""
    saule = await invite(admin, make_user, "Saule")
    alice = await citizen("en")
    await ask(alice)
    for _ in range(5):
        await saule.send("/note 1 " + "<" * 1000)
    await saule.send("/q 1")
    shown = "\n".join(reply.text for reply in saule.replies())
    assert len(saule.replies()) > 1, "more than one message's worth"
    assert shown.count("internal note (Saule): " + "&lt;" * 1000) == 5


# -- a reasoned extension -----------------------------------------------------------------------


async def test_a_reasoned_extension_tells_the_citizen_in_their_language(
    admin, make_user, citizen, app, telegram
):
    """APC art. 76: the answer period is extended with a reason, at most two months from
    receipt; the citizen hears the new date and the reason at once, in Russian here."""
    saule = await invite(admin, make_user, "Saule")
    alice = await citizen("ru", "Алия")
    await ask_in(app, alice, "ru")
    [question] = await stored(app)
    due = question.due_date
    new_due = add_working_days(due, 10)

    await saule.send("/extend 1 +10 Запрошены сведения у акимата <района>")
    assert told(saule) == (
        f"№2026-000001 is now due {format_day(new_due, 'en')}; the citizen has been told why."
    )
    assert alice.inbox()[-1].text == (
        f"⏳ Срок ответа на ваш вопрос №2026-000001 продлён до {format_day(new_due, 'ru')}.\n"
        "Причина: Запрошены сведения у акимата &lt;района&gt;"
    )
    [question] = await stored(app)
    assert question.due_date == new_due and question.extended_at is not None

    await saule.send("/q 1")
    view = saule.last_reply().text
    assert f"Answer due: {format_day(new_due, 'en')} (extended)" in view
    assert history_of(view)[-1] == (
        "answer period extended (Saule): Запрошены сведения у акимата &lt;района&gt;"
    )
    await alice.send("/my")
    await alice.press(alice.last_reply().buttons[0])
    assert "срок ответа продлён" in alice.last_reply().text
    assert "Saule" not in alice.last_reply().text

    # Bad input changes nothing.
    for command, reply in [
        (
            "/extend 1 +10",
            "Usage: /extend &lt;ticket&gt; &lt;DD.MM.YYYY or +N working days&gt; &lt;reason&gt;",
        ),
        ("/extend 1 01.12.2026 Reason", "The new date must be later than the current one."),
        (
            "/extend 1 30.04.2027 Reason",
            "An extension may reach at most 2 months after the question was received.",
        ),
        (
            "/extend 1 soon Reason",
            "Give the new date as DD.MM.YYYY, or a number of working days to add, like +10.",
        ),
        (
            "/extend 1 +1234567890123456789012345 Reason",
            "Give the new date as DD.MM.YYYY, or a number of working days to add, like +10.",
        ),
        ("/extend 1 +1 ..", "The text is empty or too short."),
    ]:
        await saule.send(command)
        assert saule.last_reply().text == reply, command
    await alice.send("/extend 1 +1 Хочу ещё подумать")
    assert alice.last_reply().text == "Эта команда только для секретарей совета."
    [question] = await stored(app)
    assert question.due_date == new_due

    await saule.send("/export")
    xlsx = load_workbook(
        io.BytesIO(telegram.sent(saule.id, "sendDocument")[0].method.document.data)
    )
    header, row = list(xlsx.active.iter_rows(values_only=True))
    exported = dict(zip(header, row, strict=True))
    assert exported["Due"].date() == new_due
    assert exported["Extension reason"] == "Запрошены сведения у акимата <района>"
    assert exported["Extended"]

    # Within two months of receipt a second extension is allowed; after the answer, none.
    await saule.send("/extend 1 +1 One more document is awaited")
    assert told(saule).startswith("№2026-000001 is now due")
    await saule.send("/answer 1 The road is repaired in May.")
    await saule.send("/extend 1 +1 Too late")
    assert saule.last_reply().text == "This question has already been answered."
