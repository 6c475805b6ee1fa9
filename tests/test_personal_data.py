"""A citizen's own data (Law No. 94-V): /my_data sends it as JSON and XLSX, /delete_me erases
the identity everywhere after a confirmation, and closed questions past the retention period
lose the name — checked down to the rows and to the cards the staff see."""

import io
import json
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from bot.jobs.retention import RetentionJob
from bot.views.notify import Notifier
from db.models import (
    Question,
    QuestionStatus,
    Registration,
    Subscription,
    User,
)
from tests.flows import QUESTION, ask, ask_in, new_event, said, stored

pytestmark = pytest.mark.usefixtures("fake_time")

ANSWER = "The road will be repaired in May."
NOTE = "Secret staff note about the contractor."


async def documents(telegram, chat_id):
    sent = telegram.sent(chat_id, "sendDocument")
    return [(call.method.document.data, call.method.caption) for call in sent]


async def user_row(app, user_id) -> User:
    async with app.sessionmaker() as session:
        return await session.get(User, user_id)


async def registration_of(app, event_id, user_id) -> str:
    async with app.sessionmaker() as session:
        registration = await session.scalar(
            select(Registration).filter_by(event_id=event_id, user_id=user_id)
        )
        return registration.status.value


async def subscribed(app, user_id) -> bool:
    async with app.sessionmaker() as session:
        subscription = await session.scalar(select(Subscription).filter_by(user_id=user_id))
        return subscription.active


async def answered_with_note(secretary, citizen, app, language):
    saule = await secretary()
    aliya = await citizen(language, first_name="Aliya", username="aliya_kz")
    await ask_in(app, aliya, language)
    await saule.send("/take 1")
    await saule.send(f"/note 1 {NOTE}")
    await saule.send(f"/answer 1 {ANSWER}")
    return saule, aliya


# -- /my_data -----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_my_data_as_json_and_xlsx(secretary, citizen, app, telegram, language):
    saule, aliya = await answered_with_note(secretary, citizen, app, language)
    await new_event(saule)
    await app.broadcaster.wait()
    await aliya.press_data("ev:go:1:0:0")

    await aliya.send("/my_data")
    (json_file, json_caption), (xlsx_file, xlsx_caption) = await documents(telegram, aliya.id)
    assert json_caption == said(
        app, language, "Everything the bot holds about you, in a machine-readable file (JSON)."
    )
    assert xlsx_caption == said(
        app, language, "The same data as a spreadsheet (XLSX), one sheet per section."
    )

    data = json.loads(json_file.decode("utf-8"))
    assert data["profile"]["telegram_id"] == aliya.id
    assert data["profile"]["name"] == "Aliya" and data["profile"]["username"] == "aliya_kz"
    assert data["profile"]["language"] == language
    assert data["consent"]["given_at"].startswith("2026-11-23T")
    assert [e["action"] for e in data["consent"]["history"]] == ["consent_given"]
    [question] = data["questions"]
    assert question["text"] == QUESTION and question["answer_or_reason"] == ANSWER
    assert question["status"] == "answered"
    assert [e["action"] for e in question["history"]] == ["asked", "taken", "answered"]
    [registration] = data["event_registrations"]
    assert registration["event"] == "Round table" and registration["status"] == "registered"
    assert registration["starts_at"] == "2026-11-27T10:00:00+00:00"
    [subscription] = data["subscriptions"]
    assert subscription["active"] is True
    raw = json_file.decode("utf-8")
    assert "Saule" not in raw and NOTE not in raw and "note" not in raw

    book = load_workbook(io.BytesIO(xlsx_file))
    assert book.sheetnames == [
        said(app, language, name)
        for name in ("Profile", "Consents", "Questions", "History", "Registrations")
    ] + [said(app, language, "Subscriptions")]
    questions = book[said(app, language, "Questions")]
    header = [cell.value for cell in questions[1]]
    assert header[4] == said(app, language, "Question")
    # The office writer's table: bold frozen header with a filter, the question wrapped.
    assert questions["A1"].font.bold and questions.freeze_panes == "A2"
    assert questions.auto_filter.ref and questions.cell(2, 5).alignment.wrap_text
    row = [cell.value for cell in questions[2]]
    assert row[0] == "№2026-000001" and row[4] == QUESTION and row[9] == ANSWER
    assert row[5] == said(app, language, "answered")
    assert questions.cell(2, 7).is_date and questions.cell(2, 8).is_date
    consents = book[said(app, language, "Consents")]
    assert consents.cell(2, 1).is_date
    assert consents.cell(2, 2).value == said(app, language, "consent given")
    registrations = book[said(app, language, "Registrations")]
    assert registrations.cell(2, 1).value == "Round table"
    assert registrations.cell(2, 5).value == said(app, language, "registered")
    cells = str([list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets])
    assert "Saule" not in cells and NOTE not in cells
    assert said(app, language, "internal note") not in cells


async def test_my_data_with_two_hundred_long_questions(citizen, app, telegram):
    aliya = await citizen("ru", first_name="Aliya")
    text = "Долгий вопрос. " * 200  # 3000 characters
    now = app.clock.now()
    async with app.sessionmaker() as session:
        for number in range(1, 201):
            session.add(
                Question(
                    year=2026,
                    number=number,
                    council_id=1,
                    topic_id=1,
                    citizen_id=aliya.id,
                    anonymous=True,
                    text=text,
                    status=QuestionStatus.NEW,
                    created_at=now,
                    due_date=date(2026, 12, 14),
                )
            )
        await session.commit()
    await aliya.send("/my_data")
    (json_file, _caption), (xlsx_file, _caption2) = await documents(telegram, aliya.id)
    assert len(json.loads(json_file)["questions"]) == 200
    sheet = load_workbook(io.BytesIO(xlsx_file))[said(app, "ru", "Questions")]
    assert sheet.max_row == 201 and sheet.cell(201, 5).value == text


async def test_my_data_in_a_group_is_not_answered_there(citizen, app, telegram):
    aliya = await citizen("en", first_name="Aliya")
    group = {"id": -1009999, "type": "supergroup", "title": "Village chat"}
    await aliya.send("/my_data", chat=group)
    assert telegram.sent(name="sendDocument") == []


# -- /delete_me ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["ru", "kk"])
async def test_delete_me_erases_the_identity_everywhere(
    secretary, citizen, app, telegram, clock, language
):
    saule, aliya = await answered_with_note(secretary, citizen, app, language)
    bob = await citizen("en", first_name="Bob")
    # A past event (Aliya registered) and a future one (Aliya has the one place, Bob waits).
    await new_event(saule, start="24.11.2026 15:00", venues=("Hall | 1 Abay St | 5",))
    await new_event(saule, start="27.11.2026 15:00", venues=("Village club | 1 School St | 1",))
    await app.broadcaster.wait()
    await aliya.press_data("ev:go:1:0:0")
    await aliya.press_data("ev:go:2:0:0")
    await bob.press_data("ev:go:2:0:0")
    assert await registration_of(app, 2, bob.id) == "waiting"
    clock.set(clock.now() + timedelta(days=2))  # the first event is over
    await saule.send("/event_report 1")
    report_before = saule.last_reply().text
    card = [r.text for r in saule.inbox() if r.text.startswith("📨 Question")][-1]
    assert "Aliya" in card

    await aliya.send("/delete_me")
    notice = aliya.last_reply()
    lines = [
        "<b>Delete my data</b>",
        "If you confirm:",
        "• your name and username are erased and your consent is withdrawn;",
        "• your questions become anonymous, and the secretaries' cards no longer show your name;",
        "• your registrations for events still to come are cancelled, and your place goes to "
        "the first person on the waiting list;",
        "• your subscriptions to announcements end.",
        "",
        "What the council must keep stays, without your name: the texts of questions and "
        "answers, and the counts in event reports. Your Telegram id stays in the database, "
        "never shown to secretaries, so that answers to your open questions still reach you.",
        "This cannot be undone.",
    ]
    assert notice.text == "\n".join(said(app, language, line) if line else "" for line in lines)
    assert notice.buttons == [
        said(app, language, "Delete my data"),
        said(app, language, "Keep my data"),
    ]
    await aliya.press(said(app, language, "Delete my data"))
    assert aliya.last_reply().text == said(
        app,
        language,
        "Done. Your name and username are erased, your questions are anonymous, your "
        "registrations for events to come are cancelled and your subscriptions have ended.",
    )

    row = await user_row(app, aliya.id)
    assert (row.full_name, row.username, row.consent_at) == ("", None, None)
    assert row.language == language  # kept: answers to open questions still reach her
    [question] = await stored(app)
    assert question.anonymous and question.text == QUESTION and question.resolution == ANSWER
    cards = [r.text for r in saule.inbox() if r.text.startswith("📨 Question")]
    assert cards and all("Aliya" not in text and "aliya_kz" not in text for text in cards)
    assert "From: anonymous" in cards[-1]
    # The future registration is cancelled and Bob, first in line, gets the place and is told.
    assert await registration_of(app, 2, aliya.id) == "cancelled"
    assert await registration_of(app, 2, bob.id) == "registered"
    assert bob.inbox()[-1].text.startswith("🎉 A place has freed up")
    # The past one is history: it stays, and so do the report's counts.
    assert await registration_of(app, 1, aliya.id) == "registered"
    await saule.send("/event_report 1")
    assert saule.last_reply().text == report_before
    assert not await subscribed(app, aliya.id)

    # Again: done already; the stale button too; nothing changes.
    await aliya.send("/delete_me")
    already = said(
        app, language, "Your data has already been deleted. There is nothing more to erase."
    )
    assert aliya.last_reply().text == already
    await aliya.press_data(f"dme:y:{aliya.id}")
    assert aliya.last_reply().text == already


async def test_a_forged_delete_button_does_nothing(secretary, citizen, app):
    await secretary()
    aliya = await citizen("en", first_name="Aliya", username="aliya_kz")
    await ask(aliya)
    bob = await citizen("en", first_name="Bob")
    await ask(bob, "Where is the new bus stop?")
    await bob.press_data(f"dme:y:{aliya.id}")
    assert bob.alerts() == ["This button is no longer valid."]
    assert (await user_row(app, aliya.id)).full_name == "Aliya"
    assert (await user_row(app, bob.id)).full_name == "Bob"
    assert not any(q.anonymous for q in await stored(app))


async def test_keep_my_data_deletes_nothing(secretary, citizen, app):
    await secretary()
    aliya = await citizen("en", first_name="Aliya")
    await ask(aliya)
    await aliya.send("/delete_me")
    await aliya.press("Keep my data")
    assert aliya.last_reply().text == "Nothing was deleted."
    assert (await user_row(app, aliya.id)).full_name == "Aliya"
    assert await subscribed(app, aliya.id)


# -- retention ----------------------------------------------------------------------------------


async def test_retention_makes_only_old_closed_questions_anonymous(secretary, citizen, app, clock):
    saule = await secretary()
    aliya = await citizen("en", first_name="Aliya")
    await ask(aliya)  # №2026-000001, answered now
    await ask(aliya, "A second question, still open.")  # №2026-000002
    await saule.send(f"/answer 1 {ANSWER}")
    clock.set(clock.now() + timedelta(days=1000))
    await ask(aliya, "A third question, answered recently.")
    await saule.send(f"/answer 2029-1 {ANSWER}")
    [third] = await stored(app, year=2029)
    assert third.status == QuestionStatus.ANSWERED

    assert await app.retention.run() == 0  # 1000 days: within the 1095
    clock.set(clock.now() + timedelta(days=96))
    assert await app.retention.run() == 1
    first, second, third = await stored(app)
    assert first.anonymous and not second.anonymous and not third.anonymous
    card = [r.text for r in saule.inbox() if r.text.startswith("📨 Question №2026-000001")][-1]
    assert "Aliya" not in card and "From: anonymous" in card
    assert await app.retention.run() == 0  # claimed once

    # 0 keeps everything.
    clock.set(clock.now() + timedelta(days=5000))
    keep = app.settings.model_copy(update={"personal_data_retention_days": 0})
    job = RetentionJob(app.sessionmaker, Notifier(app.bot, app.i18n, keep), keep, app.clock)
    assert await job.run() == 0


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
async def test_the_consent_notice_states_the_retention_period(citizen, app, language):
    aliya = await citizen(language, first_name="Aliya")
    await aliya.send("/privacy")
    text = aliya.last_reply().text
    period = app.i18n.gettext(
        "• For how long: your name and username until you withdraw your consent or send "
        "/delete_me; a closed question keeps your name at most {days} day, then it stays only "
        "in anonymous form.",
        "• For how long: your name and username until you withdraw your consent or send "
        "/delete_me; a closed question keeps your name at most {days} days, then it stays only "
        "in anonymous form.",
        1095,
        locale=language,
    ).format(days=1095)
    assert period in text
    assert (
        said(
            app,
            language,
            "• How to see or delete it: /my_data sends you a copy of it; /delete_me erases it; "
            "/privacy withdraws your consent.",
        )
        in text
    )
    if language != "en":
        assert "For how long" not in text


async def test_my_data_says_whether_publication_was_allowed_and_what_was_published(
    secretary, citizen, app, telegram
):
    saule, aliya = await answered_with_note(secretary, citizen, app, "ru")
    async with app.sessionmaker() as session:
        await session.execute(update(Question).values(publish_consent=True))
        await session.commit()
    wording = "Когда отремонтируют дорогу к школе?"
    await saule.send(f"/publish 1 | {wording}")
    assert (await stored(app))[0].published_at is not None, saule.last_reply().text

    await aliya.send("/my_data")
    (json_file, _), (xlsx_file, _) = await documents(telegram, aliya.id)
    [question] = json.loads(json_file.decode("utf-8"))["questions"]
    assert question["publish_allowed"] is True
    assert question["published_wording"] == wording
    assert question["published_at"].startswith("2026-")
    sheet = load_workbook(io.BytesIO(xlsx_file))[said(app, "ru", "Questions")]
    header = [cell.value for cell in sheet[1]]
    allowed = header.index(said(app, "ru", "Publication allowed"))
    published = header.index(said(app, "ru", "Published in /faq"))
    row = [cell.value for cell in sheet[2]]
    assert row[allowed] == said(app, "ru", "yes")
    assert sheet.cell(2, published + 1).is_date
