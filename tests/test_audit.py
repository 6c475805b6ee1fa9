"""/audit: the staff read who did what, when, to which ticket or event — in their language, in
their councils only, a citizen never named for an anonymous question — and the same selection
as an XLSX file."""

import io
import re
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook

from db.models import AuditEntry
from tests.chat import ChatUser, Reply
from tests.conftest import ADMIN_ID
from tests.flows import ATTEND, GROUP, ask, invite, new_event, said, snapshot, stored
from tests.sheets import assert_office_sheet, open_sheet

pytestmark = pytest.mark.usefixtures("fake_time")

XLSX = "📊 XLSX file"
HEADINGS = {
    "en": "Audit log for the last 7 days, newest first:\nEntries: 8",
    "ru": "Журнал действий за последние 7 дней, сначала новые:\nЗаписей: 8",
    "kk": "Соңғы 7 күндегі әрекеттер журналы, жаңалары басында:\nЖазбалар: 8",
}
COUNCIL = {"en": "Public council", "ru": "Общественный совет", "kk": "Қоғамдық кеңес"}


async def speaking(person: ChatUser, language: str) -> ChatUser:
    await person.send("/language")
    await person.press({"kk": "Қазақша", "ru": "Русский", "en": "English"}[language])
    return person


def entries(replies: list[Reply]) -> list[str]:
    """The log's lines (one per entry), across every message it came in."""
    lines = "\n".join(reply.text for reply in replies).split("\n")
    return [line for line in lines if " — " in line]


async def two_questions(admin, make_user, citizen, language: str):
    """Saule (reading `language`) works on a signed question of Aliya's and an anonymous one
    of Bolat's."""
    saule = await speaking(await invite(admin, make_user, "Saule"), language)
    aliya = await citizen("en", "Aliya", username="aliya_kz")
    bolat = await citizen("en", "Bolat", username="bolat_kz")
    await ask(aliya, "A question with my name on it.")
    await ask(bolat, "An anonymous question about the water supply.", anonymous=True)
    await saule.send("/take 1")
    await saule.send("/note 2 Called the akimat: <b>repair</b> in May.")
    await saule.send("/answer 2 The water will be back on Friday.")
    return saule


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
async def test_a_secretary_reads_who_did_what_in_their_language(
    admin, make_user, citizen, app, language
):
    saule = await two_questions(admin, make_user, citizen, language)

    await saule.send("/audit")
    replies = saule.replies()
    text = "\n".join(reply.text for reply in replies)
    assert text.startswith(HEADINGS[language])
    assert replies[-1].buttons == [said(app, language, XLSX)]
    lines = entries(replies)
    # Newest first, local time (Almaty), the staff by name, the action in the reader's words.
    citizen_word = said(app, language, "citizen")
    answered = said(app, language, "answered")
    note = said(app, language, "internal note")
    assert lines[0].endswith(
        f"Saule: {answered} · №2026-000002: The water will be back on Friday."
    )
    assert lines[1].endswith(
        f"Saule: {note} · №2026-000002: Called the akimat: &lt;b&gt;repair&lt;/b&gt; in May."
    )
    assert lines[2].endswith(f"Saule: {said(app, language, 'taken into work')} · №2026-000001")
    asked = said(app, language, "asked")
    assert lines[3].endswith(f"— {citizen_word}: {asked} · №2026-000002"), "anonymous"
    assert lines[4].endswith(f"— {citizen_word} (Aliya): {asked} · №2026-000001"), "signed"
    day = {"kk": "2026\u202fж. 23 қараша", "ru": "23 ноября 2026\u202fг."}.get(
        language, "23 November 2026"
    )
    assert all(line.startswith(f"{day}, 10:0") for line in lines)
    # The anonymous author is never named, nor their username, anywhere in the log.
    assert "Bolat" not in text and "bolat_kz" not in text
    assert "aliya_kz" not in text


async def test_the_log_is_in_local_time_newest_first(admin, make_user, citizen, app, clock):
    saule = await two_questions(admin, make_user, citizen, "en")
    clock.advance(timedelta(days=2, hours=5))
    await saule.send("/reject 1 Outside the council's remit.")
    await saule.send("/audit №1")
    lines = entries(saule.replies())
    assert lines[0] == (
        "25 November 2026, 15:00 — Saule: rejected · №2026-000001: Outside the council's remit."
    )
    assert lines[1].startswith("23 November 2026, 10:0")
    assert len(lines) == 3
    # One day back: only what happened since yesterday at this hour.
    await saule.send("/audit 1")
    assert saule.last_reply().text == (
        "Audit log for the last 1 day, newest first:\nEntries: 1\n\n" + lines[0]
    )


async def test_one_tickets_history_and_another_councils_ticket(admin, make_user, citizen, app):
    saule = await two_questions(admin, make_user, citizen, "en")
    await admin.send("/council_add Ауыл кеңесі | Сельский совет | Village council")
    village = int(re.search(r"Council (\d+)", admin.last_reply().text).group(1))
    berik = await invite(admin, make_user, "Berik", council_id=village)

    await saule.send("/audit №1")
    text = saule.last_reply().text
    assert text.startswith("Audit log of №2026-000001, newest first:\nEntries: 2")
    assert "№2026-000002" not in text
    await saule.send("/audit 2026-2")
    assert "Audit log of №2026-000002" in saule.last_reply().text

    before = await snapshot(app)
    for ticket in ("№1", "#2", "2026-1"):
        await berik.send(f"/audit {ticket}")
        assert berik.last_reply().text == "No such ticket among your council's questions."
    await berik.send("/audit №99")
    assert berik.last_reply().text == "No such ticket among your council's questions."
    assert await snapshot(app) == before


async def test_another_councils_entries_never_appear(admin, make_user, citizen, app, telegram):
    await admin.send("/council_add Ауыл кеңесі | Сельский совет | Village council")
    village = int(re.search(r"Council (\d+)", admin.last_reply().text).group(1))
    saule = await invite(admin, make_user, "Saule", council_id=1)
    berik = await invite(admin, make_user, "Berik", council_id=village)
    await admin.send("/bind 1", chat=GROUP)
    dana = await citizen("en", "Dana")
    await dana.send("/ask")
    await dana.press("Village council")
    await dana.press("Budget")
    await dana.send("A question for the village council only.")
    await dana.press("Show my name")
    await dana.press("No, do not publish")
    await dana.press("I agree")
    await dana.press("Send")
    await berik.send("/take 1")
    await berik.send("/note 1 Village secret note.")

    await saule.send("/audit")
    text = "\n".join(reply.text for reply in saule.replies())
    assert "Berik" not in text and "Dana" not in text and "Village secret" not in text
    assert "№2026-000001" not in text
    await saule.press(XLSX)
    book = load_workbook(
        io.BytesIO(telegram.sent(saule.id, "sendDocument")[-1].method.document.data)
    )
    cells = str(list(book.active.iter_rows(values_only=True)))
    assert "Berik" not in cells and "Village" not in cells

    # Berik sees his council's work, and nothing of the public council's.
    await berik.send("/audit")
    text = "\n".join(reply.text for reply in berik.replies())
    assert "Berik: internal note · №2026-000001: Village secret note." in text
    assert "Saule" not in text

    # The superadmin in private: every council, each line saying which.
    await admin.send("/audit")
    text = "\n".join(reply.text for reply in admin.replies())
    assert "Berik: taken into work · №2026-000001 · Village council" in text
    assert "Saule: secretary added · Public council: Saule" in text
    # ...but in the group bound to the public council, that council only.
    await admin.send("/audit", chat=GROUP)
    text = "\n".join(reply.text for reply in admin.replies(GROUP["id"]))
    assert "Saule: secretary added: Saule" in text
    assert "Berik" not in text and "Village" not in text and "Dana" not in text
    await admin.press(XLSX, admin.replies(GROUP["id"])[-1])
    [file] = telegram.sent(GROUP["id"], "sendDocument")
    cells = str(list(load_workbook(io.BytesIO(file.method.document.data)).active.values))
    assert "Berik" not in cells and "Village" not in cells and "Saule" in cells


async def test_citizens_and_strangers_are_refused(admin, make_user, citizen, app, telegram):
    saule = await invite(admin, make_user, "Saule")
    aliya = await citizen("ru", "Aliya")
    await aliya.send("/audit")
    assert aliya.last_reply().text == "Эта команда только для секретарей совета."
    kairat = await citizen("kk", "Kairat")
    await kairat.send("/audit 7")
    assert kairat.last_reply().text == said(
        app, "kk", "This command is only for council secretaries."
    )
    # A forged file button shows them nothing.
    before = len(telegram.sent(name="sendDocument"))
    await aliya.press_data("aud:7:0")
    assert len(telegram.sent(name="sendDocument")) == before
    # A public group: silence, even for the staff.
    public = {"id": -1009999999999, "type": "supergroup", "title": "Village chat"}
    for person in (saule, admin):
        sent = len(telegram.sent())
        await person.send("/audit", chat=public)
        assert telegram.sent()[sent:] == []


@pytest.mark.parametrize(
    ("argument", "expected"),
    [
        ("0", "days"),
        ("367", "days"),
        ("9" * 25, "days"),
        ("123456", "days"),
        ("²", "usage"),
        ("-5", "usage"),
        ("7 days", "usage"),
        ("last week", "usage"),
        ("١٢", "usage"),
    ],
)
async def test_a_bad_argument_is_refused_clearly(admin, make_user, app, argument, expected):
    saule = await speaking(await invite(admin, make_user, "Saule"), "ru")
    before = await snapshot(app)
    await saule.send(f"/audit {argument}")
    if expected == "days":
        assert saule.last_reply().text == (
            "Укажите число дней от 1 до 366. Номер вопроса пишется со знаком № или с годом: "
            "№123 или 2026-123."
        )
    else:
        assert saule.last_reply().text == (
            "Использование: /audit [&lt;число дней&gt; | &lt;номер вопроса&gt;]: по умолчанию "
            "последние 7 "
            "дней, не больше 366; номер вопроса, например №123 или 2026-123."
        )
    assert await snapshot(app) == before


async def test_forged_file_buttons(admin, make_user, citizen, app, telegram):
    saule = await two_questions(admin, make_user, citizen, "en")
    await admin.send("/council_add Ауыл кеңесі | Сельский совет | Village council")
    village = int(re.search(r"Council (\d+)", admin.last_reply().text).group(1))
    berik = await invite(admin, make_user, "Berik", council_id=village)
    [first, _second] = await stored(app)
    await berik.press_data(f"aud:0:{first.id}")
    assert berik.alerts() == ["No such ticket among your council's questions."]
    await berik.press_data("aud:999:0")
    assert berik.alerts() == ["This button is no longer valid."]
    assert telegram.sent(berik.id, "sendDocument") == []
    await saule.press_data("aud:0:0")
    assert saule.alerts() == [
        "Give the number of days from 1 to 366. A ticket is written with № or its year: №123 "
        "or 2026-123."
    ]
    assert telegram.sent(saule.id, "sendDocument") == []


@pytest.mark.parametrize("language", ["ru", "kk"])
async def test_the_xlsx_holds_the_rows_with_translated_headers(
    admin, make_user, citizen, app, telegram, language
):
    saule = await two_questions(admin, make_user, citizen, language)
    await saule.send("/audit")
    await saule.press(said(app, language, XLSX))
    [file] = telegram.sent(saule.id, "sendDocument")
    # The council and the period (the last 7 days, both ends included) in the name.
    assert file.method.document.filename == "audit-council-1-2026-11-17_2026-11-23.xlsx"
    assert (
        file.method.caption
        == {
            "ru": "Журнал действий: 8 записей.",
            "kk": "Әрекеттер журналы: 8 жазба.",
        }[language]
    )
    sheet = open_sheet(file.method.document.data)
    assert_office_sheet(sheet)
    assert sheet["A2"].number_format == "dd.mm.yyyy hh:mm"
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header == tuple(
        said(app, language, text)
        for text in ("Time", "Council", "Who", "Action", "Ticket or event", "Details")
    )
    assert len(rows) == 8
    answered, noted, taken, anonymous, signed = rows[:5]
    # A date cell in the council's local time (the clock stands at 05:00 UTC).
    assert answered[0].replace(second=0) == datetime(2026, 11, 23, 10, 0)
    assert answered[1:] == (
        COUNCIL[language],
        "Saule",
        said(app, language, "answered"),
        "№2026-000002",
        "The water will be back on Friday.",
    )
    assert noted[3] == said(app, language, "internal note")
    assert noted[5] == "Called the akimat: <b>repair</b> in May.", "whole and unescaped"
    assert taken[2:5] == ("Saule", said(app, language, "taken into work"), "№2026-000001")
    assert anonymous[2] == said(app, language, "citizen")
    assert signed[2] == said(app, language, "citizen") + " (Aliya)"
    assert "Bolat" not in str(rows)
    assert rows[-1][3] == said(app, language, "council created")
    assert rows[-1][2] == said(app, language, "the bot")


async def test_one_tickets_file(admin, make_user, citizen, app, telegram):
    saule = await two_questions(admin, make_user, citizen, "en")
    await saule.send("/audit 2026-000002")
    await saule.press(XLSX)
    [file] = telegram.sent(saule.id, "sendDocument")
    assert file.method.document.filename == "audit-council-1-2026-000002.xlsx"
    assert file.method.caption == "Audit log: 3 entries."
    rows = list(load_workbook(io.BytesIO(file.method.document.data)).active.values)[1:]
    assert [row[3] for row in rows] == ["answered", "internal note", "asked"]


async def test_events_and_unknown_actions(admin, make_user, citizen, app):
    saule = await invite(admin, make_user, "Saule")
    aliya = await citizen("en", "Aliya")
    event_id = await new_event(saule)
    await app.broadcaster.wait()
    await aliya.press(ATTEND)
    async with app.sessionmaker() as session:
        session.add(
            AuditEntry(at=app.clock.now(), actor_id=saule.id, council_id=1, action="teleported")
        )
        await session.commit()

    await saule.send("/audit")
    lines = entries(saule.replies())
    assert lines[0].endswith("Saule: teleported"), "an action without a name shows its key"
    assert lines[1].endswith(
        f"— citizen: registered for the event · event #{event_id} (Round table): registered"
    ), "a participant is never named"
    assert any(
        line.endswith(f"Saule: event published · event #{event_id} (Round table)")
        for line in lines
    )
    assert "Aliya" not in "\n".join(lines)
    await saule.send("/language")
    await saule.press("Русский")
    await saule.send("/audit")
    lines = entries(saule.replies())
    assert lines[1].endswith(
        f"— гражданин: регистрация на мероприятие · мероприятие #{event_id} (Round table): "
        "зарегистрирован"
    )


async def test_the_longest_notes_still_fit(admin, make_user, citizen, app, telegram):
    """More entries than a chat shows, each a note at the limit of characters HTML must escape:
    several messages, none over Telegram's limit, the newest 200, and the rest in the file."""
    saule = await invite(admin, make_user, "Saule")
    aliya = await citizen("en", "Aliya")
    await ask(aliya)
    for _ in range(205):
        await saule.send("/note 1 " + "<" * 1000)
    await saule.send("/audit")
    replies = saule.replies()
    assert len(replies) > 1
    lines = entries(replies)
    assert len(lines) == 200
    assert all(line.endswith(": " + "&lt;" * 199 + "…") for line in lines)
    total = 205 + 1 + 1 + 1 + 1  # notes, asked, secretary added, invitation, council created
    assert f"Entries: {total}" in replies[0].text
    assert replies[-1].text.endswith(f"…and {total - 200} earlier entries: see the XLSX file.")
    await saule.press(XLSX)
    [file] = telegram.sent(saule.id, "sendDocument")
    assert file.method.caption == f"Audit log: {total} entries."
    rows = list(load_workbook(io.BytesIO(file.method.document.data)).active.values)[1:]
    assert len(rows) == total
    assert rows[0][5] == "<" * 1000


async def test_a_withdrawn_consent_unnames_the_author_and_stays_out_of_the_log(
    admin, make_user, citizen, app
):
    """Once Aliya withdraws her consent her questions are anonymous: the log names her no
    more. Consent itself belongs to no council and is not in any council's log."""
    saule = await invite(admin, make_user, "Saule")
    aliya = await citizen("en", "Aliya", username="aliya_kz")
    await ask(aliya)
    await saule.send("/audit")
    assert "citizen (Aliya): asked · №2026-000001" in saule.last_reply().text
    await aliya.send("/privacy")
    await aliya.press("Withdraw consent and erase my data")
    await admin.send("/audit")
    text = admin.last_reply().text
    assert "citizen: asked · №2026-000001" in text
    assert "Aliya" not in text and "aliya_kz" not in text
    assert "consent" not in text


async def test_broadcasts_and_secretaries_are_named_in_the_log(admin, make_user, citizen, app):
    saule = await invite(admin, make_user, "Saule")
    await ask(await citizen("en", "Aliya"))
    [question] = await stored(app)
    async with app.sessionmaker() as session:
        session.add(
            AuditEntry(
                at=app.clock.now(),
                actor_id=saule.id,
                council_id=1,
                action="broadcast_created",
                detail="42",
            )
        )
        # Given to a secretary to hold: the detail is their id, the log says their name.
        session.add(
            AuditEntry(
                at=app.clock.now(),
                actor_id=ADMIN_ID,
                council_id=1,
                question_id=question.id,
                action="assigned",
                detail=str(saule.id),
            )
        )
        await session.commit()
    await admin.send("/audit")
    assert entries(admin.replies())[0].endswith("Admin: assigned · №2026-000001: Saule")
    await admin.send(f"/revoke {saule.id}")
    await speaking(admin, "kk")
    await admin.send("/audit")
    lines = entries(admin.replies())
    assert lines[0].endswith("Admin: хатшы шығарылды: Saule")
    assert lines[2].endswith("Saule: хабарландыру құрылды · хабарландыру #42")


async def test_a_file_beyond_its_limit_says_so(
    admin, make_user, citizen, app, telegram, monkeypatch
):
    monkeypatch.setattr("handlers.audit.FILE_ROWS", 5)
    saule = await two_questions(admin, make_user, citizen, "ru")
    await saule.send("/audit")
    await saule.press("📊 Файл XLSX")
    [file] = telegram.sent(saule.id, "sendDocument")
    assert file.method.caption == "Журнал действий: последние 5 из 8 записей."
    rows = list(load_workbook(io.BytesIO(file.method.document.data)).active.values)[1:]
    assert len(rows) == 5
    assert rows[0][3] == "ответ дан", "the newest"
