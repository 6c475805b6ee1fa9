"""Files an office can use: the exports open in a spreadsheet in the secretary's language, with
real dates and a table's form; /stats and the event report come with a PNG chart whose labels
are in the secretary's language."""

import csv
import io
import warnings
from datetime import date, datetime

import pytest

from bot.services.events import EventReport, VenueFigures
from bot.services.questions import Stats, WeekCount
from bot.views.charts import event_chart, new_figure, render, stats_chart
from db.models import EventVenue
from tests.flows import ATTEND, ask, invite, new_event, said
from tests.sheets import assert_office_sheet, open_sheet, png_size
from tests.test_audit import speaking

COLUMNS = ("Ticket", "Council", "Topic", "Received", "Due", "Status")
KAZAKH_LETTERS = "ӘәҒғҚқҢңӨөҰұҮүҺһІі"


@pytest.mark.parametrize("language", ["ru", "kk"])
async def test_the_export_opens_as_a_table_in_the_secretarys_language(
    admin, make_user, citizen, app, telegram, clock, language
):
    saule = await speaking(await invite(admin, make_user, "Saule"), language)
    alice = await citizen("en", first_name="Aliya")
    await ask(alice, "+7 701 000 00 00 is my phone; the bus stop is broken.", anonymous=False)
    await ask(alice, "An anonymous question about water.", anonymous=True)
    clock.advance(hours=36)
    await saule.send("/answer 1 Repaired.")

    await saule.send("/export 2026-11-01 2026-11-30")
    xlsx_call, csv_call = telegram.sent(saule.id, "sendDocument")
    assert xlsx_call.method.document.filename == "questions-council-1-2026-11-01_2026-11-30.xlsx"
    assert csv_call.method.document.filename == "questions-council-1-2026-11-01_2026-11-30.csv"
    sheet = open_sheet(xlsx_call.method.document.data)
    assert_office_sheet(sheet)
    header, answered, anonymous = sheet.iter_rows(values_only=True)
    assert header[:6] == tuple(said(app, language, title) for title in COLUMNS)
    row = dict(zip(header, answered, strict=True))
    assert row[said(app, language, "Status")] == said(app, language, "answered")
    assert dict(zip(header, anonymous, strict=True))[said(app, language, "Status")] == said(
        app, language, "new"
    )
    # Received on Monday 23 November at 10:00 in Almaty (05:00 UTC): a date cell, local time.
    received = row[said(app, language, "Received")]
    assert isinstance(received, datetime) and received.tzinfo is None
    assert received.replace(second=0) == datetime(2026, 11, 23, 10, 0)
    assert sheet["D2"].number_format == "dd.mm.yyyy hh:mm"
    assert sheet["E2"].number_format == "dd.mm.yyyy"
    assert row[said(app, language, "Question")].startswith("'+7"), "no formula"
    assert "Aliya" not in str(anonymous)
    # Long text wraps; its column is capped, a date's fits its content.
    question_column = header.index(said(app, language, "Question")) + 1
    letter = sheet.cell(row=2, column=question_column).column_letter
    assert sheet.cell(row=2, column=question_column).alignment.wrap_text
    assert sheet.column_dimensions[letter].width <= 62
    assert sheet.column_dimensions["D"].width >= len("dd.mm.yyyy hh:mm")

    data = csv_call.method.document.data
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].split(";")[:6] == [said(app, language, title) for title in COLUMNS]
    records = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    first = records[0]
    assert first[said(app, language, "Received")] == "23.11.2026 10:00"
    assert first[said(app, language, "Days to answer")] == "1,5", "the decimal comma"
    assert first[said(app, language, "Question")].startswith("'+7"), "no formula"
    assert records[1][said(app, language, "Citizen")] == ""


async def test_the_registrants_file_is_a_table_in_kazakh(
    unsubscribed_admin, citizen, app, telegram
):
    alice = await citizen("en", "Alice")
    await new_event(unsubscribed_admin)
    await app.broadcaster.wait()
    await alice.press(ATTEND)
    await speaking(unsubscribed_admin, "kk")
    await unsubscribed_admin.send("/event_registrants 1")
    [call] = telegram.sent(unsubscribed_admin.id, name="sendDocument")
    assert call.method.document.filename == "event-1-registrants-council-1-2026-11-23.xlsx"
    sheet = open_sheet(call.method.document.data)
    assert_office_sheet(sheet)
    header, row = sheet.iter_rows(values_only=True)
    assert header[1:4] == tuple(said(app, "kk", t) for t in ("Venue", "Status", "Waiting list"))
    assert row[2] == said(app, "kk", "registered")
    assert isinstance(row[6], datetime)
    assert row[6].replace(second=0) == datetime(2026, 11, 23, 10, 0)


# -- charts -----------------------------------------------------------------------------------


def _stats() -> Stats:
    weeks = [WeekCount(date(2026, 11, 2), {}), WeekCount(date(2026, 11, 9), {"answered": 2})]
    weeks.append(WeekCount(date(2026, 11, 16), {"new": 1, "in_progress": 1, "answered": 1}))
    return Stats(
        by_status={},
        by_topic=[],
        median_days=2,
        overdue=0,
        rated=0,
        helpful=0,
        weeks=weeks,
        answer_days=[1.5, 2.0, 6.5],
    )


def _report() -> EventReport:
    venues = [
        VenueFigures(EventVenue(position=1, name="Орталық кітапхана 📚", attended=18), 20, 3),
        VenueFigures(EventVenue(position=2, name="Ауылдық клуб", attended=None), 7, 0),
    ]
    return EventReport(
        event=None,  # type: ignore[arg-type]
        venues=venues,
        announced=0,
        delivered=0,
        blocked=0,
        failed=0,
        reminders_sent=0,
    )


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_the_charts_speak_the_secretarys_language(app, language):
    with app.i18n.context(), app.i18n.use_locale(language):
        stats = stats_chart(_stats())
        event = event_chart(_report())
    assert stats is not None and event is not None
    assert png_size(stats.png) == (800, 750)
    assert png_size(event.png) == (800, 450)
    for text in (
        "Questions per week by status",
        "Week beginning",
        "Questions",
        "answered",
        "in progress",
        "new",
        "Time to answer",
        "Days from receipt to the answer",
        "Answers",
    ):
        assert said(app, language, text) in stats.texts, text
    assert "09.11" in stats.texts, "weeks by their Monday"
    assert "Questions" not in stats.texts and "answered" not in stats.texts
    for text in ("Registered and came, by venue", "Registered", "Waiting list", "Came", "People"):
        assert said(app, language, text) in event.texts, text
    assert "1. Орталық кітапхана" in event.texts, "the emoji left out: DejaVu has none"
    assert "2. Ауылдық клуб" in event.texts


def test_no_data_no_chart(app):
    empty = Stats({}, [], None, 0, 0, 0, weeks=[WeekCount(date(2026, 11, 16), {})])
    assert stats_chart(empty) is None
    report = _report()
    nobody = [VenueFigures(EventVenue(position=1, name="Hall", attended=None), 0, 0)]
    assert event_chart(EventReport(report.event, nobody, 0, 0, 0, 0, 0)) is None


def test_kazakh_letters_are_drawn_and_a_missing_glyph_fails():
    figure = new_figure(4, 2)
    figure.subplots().set_title(KAZAKH_LETTERS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        chart = render(figure)
    assert KAZAKH_LETTERS in chart.texts
    # The same guard catches a letter the font lacks (as pyproject's filterwarnings does).
    figure = new_figure(4, 2)
    figure.subplots().set_title("🆕")
    with warnings.catch_warnings(), pytest.raises(UserWarning, match="Glyph"):
        warnings.simplefilter("error")
        render(figure)


@pytest.mark.parametrize("language", ["kk", "en"])
async def test_stats_and_the_event_report_send_a_png(
    admin, make_user, citizen, app, telegram, clock, language
):
    saule = await speaking(await invite(admin, make_user, "Saule"), language)
    alice = await citizen("en")
    await ask(alice, "A question for the chart.")
    clock.advance(days=2)
    await saule.send("/answer 1 Answered.")
    await saule.send("/stats")
    [photo] = telegram.sent(saule.id, "sendPhoto")
    assert png_size(photo.method.photo.data) == (800, 750)
    assert photo.method.caption == said(
        app, language, "Questions per week by status, and time to answer"
    )
    assert saule.last_reply().text.startswith(
        said(app, language, "<b>Questions: {total}</b>", total=1)
    )

    await new_event(admin)
    await app.broadcaster.wait()
    await alice.press(ATTEND)
    await admin.send("/event_attended 1 1")
    await admin.send("/event_report 1")
    [photo] = telegram.sent(admin.id, "sendPhoto")
    assert png_size(photo.method.photo.data) == (800, 450)
    assert photo.method.caption == "Event #1: registered and came, by venue"
