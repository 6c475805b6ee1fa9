"""A council's own time zone (/council_tz, superadmins only): its questions are overdue, its
export periods begin and its events are shown by its own clock, whatever the deployment's."""

import csv
import io
import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from db.models import AuditEntry, Council, Event, Question
from tests.conftest import ADMIN_ID
from tests.flows import ask, invite, new_event, run_jobs, said, snapshot

MOSCOW = ZoneInfo("Europe/Moscow")  # UTC+3: a test zone two hours behind Kazakhstan
DUE = date(2026, 11, 24)


async def zones(app) -> dict[int, str]:
    async with app.sessionmaker() as session:
        return {council.id: council.timezone for council in await session.scalars(select(Council))}


async def craft(app, number: int, **values) -> None:
    async with app.sessionmaker() as session:
        await session.execute(update(Question).where(Question.number == number).values(**values))
        await session.commit()


async def add_council(admin) -> int:
    await admin.send("/council_add Ауыл кеңесі | Сельский совет | Village council")
    return int(re.search(r"Council (\d+)", admin.last_reply().text).group(1))


# -- setting it ------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
async def test_a_superadmin_sets_a_councils_zone(citizen, app, language):
    admin = await citizen(language, "Admin", user_id=ADMIN_ID)
    await admin.send("/council_tz 1 asia/oral")
    council = {"kk": "Қоғамдық кеңес", "ru": "Общественный совет", "en": "Public council"}
    assert admin.last_reply().text == said(
        app,
        language,
        "The time zone of {council} is now {zone}: its deadlines, reports and event times are "
        "counted in it.",
        council=council[language],
        zone="Asia/Oral",
    )
    assert await zones(app) == {1: "Asia/Oral"}
    async with app.sessionmaker() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "timezone_set"))
    assert entry.actor_id == ADMIN_ID and entry.detail == "Asia/Oral"


async def test_only_a_superadmin_may_set_it(citizen, secretary, app):
    saule = await secretary("en")
    alice = await citizen("ru")
    for person, language in ((saule, "en"), (alice, "ru")):
        await person.send("/council_tz 1 Europe/Moscow")
        assert person.last_reply().text == said(
            app, language, "This command is only for superadmins."
        )
    assert await zones(app) == {1: "Asia/Almaty"}


@pytest.mark.parametrize(
    "args", ["1 Mars/Olympus", "1 ../../etc/passwd", "1 " + "X" * 3000, "1 Asia/Almaty/Old"]
)
async def test_an_unknown_zone_is_refused_and_nothing_changes(admin, app, args):
    before = await snapshot(app)
    await admin.send(f"/council_tz {args}")
    text = admin.last_reply().text
    assert text.startswith("There is no time zone “") and text.endswith("nothing was changed.")
    assert len(text) < 300
    assert await snapshot(app) == before


@pytest.mark.parametrize("args", ["", "1", "one Asia/Oral"])
async def test_a_malformed_command_gets_its_usage(admin, app, args):
    await admin.send(f"/council_tz {args}".strip())
    assert admin.last_reply().text == (
        "Usage: /council_tz &lt;council id&gt; &lt;zone&gt;, for example /council_tz 1 Asia/Oral"
    )
    assert await zones(app) == {1: "Asia/Almaty"}


async def test_an_unknown_council_is_refused(admin, app):
    await admin.send("/council_tz 99 Asia/Oral")
    assert admin.last_reply().text == "No such council. See /councils."
    assert await zones(app) == {1: "Asia/Almaty"}


# -- its day --------------------------------------------------------------------------------


@pytest.fixture
async def two_councils(unsubscribed_admin, citizen, app):
    """Question 1 in council 1 (Asia/Oral, UTC+5), question 2 in council 2 (Europe/Moscow,
    UTC+3); both due on 24 November and both received at 20:00 UTC on 23 November: already the
    24th in Oral, still the 23rd in Moscow."""
    admin = unsubscribed_admin
    for name in ("Alice", "Berik"):
        await ask(await citizen("en", name))
    village = await add_council(admin)
    await admin.send("/council_tz 1 Asia/Oral")
    await admin.send(f"/council_tz {village} Europe/Moscow")
    received = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)
    await craft(app, 1, due_date=DUE, created_at=received)
    await craft(app, 2, due_date=DUE, created_at=received, council_id=village)
    return admin


def marks(reply) -> dict[str, str]:
    """The inbox's question buttons by ticket number."""
    return {button.split("№")[1][:11]: button for button in reply.buttons if "№" in button}


async def test_overdue_by_each_councils_own_midnight(two_councils, app, clock):
    admin = two_councils
    # 00:30 on the 25th in Oral is 22:30 on the 24th in Moscow.
    clock.set(datetime(2026, 11, 25, 0, 30, tzinfo=ZoneInfo("Asia/Oral")))
    await admin.send("/inbox")
    shown = marks(admin.last_reply())
    assert shown["2026-000001"].startswith("⚠️ "), "past the due day in Oral"
    assert not shown["2026-000002"].startswith("⚠️"), "still the due day in Moscow"

    await admin.send("/inbox overdue")
    assert list(marks(admin.last_reply())) == ["2026-000001"]
    await admin.send("/stats")
    assert "Overdue: 1" in admin.last_reply().text

    # An hour and a half later it is the 25th in Moscow too.
    clock.set(datetime(2026, 11, 25, 0, 5, tzinfo=MOSCOW))
    await admin.send("/inbox overdue")
    assert set(marks(admin.last_reply())) == {"2026-000001", "2026-000002"}
    await admin.send("/stats")
    assert "Overdue: 2" in admin.last_reply().text


def exported(telegram, before: int) -> list[str]:
    [document] = [
        call
        for call in telegram.calls[before:]
        if call.name == "sendDocument" and call.method.document.filename.endswith(".csv")
    ]
    text = document.method.document.data.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row if "2026-0" in cell]


async def test_export_periods_follow_each_councils_day(two_councils, app, telegram):
    admin = two_councils
    before = len(telegram.calls)
    await admin.send("/export 2026-11-23 2026-11-23")
    day_23 = " ".join(exported(telegram, before))
    before = len(telegram.calls)
    await admin.send("/export 2026-11-24 2026-11-24")
    day_24 = " ".join(exported(telegram, before))
    assert "2026-000002" in day_23 and "2026-000001" not in day_23, "the 23rd in Moscow"
    assert "2026-000001" in day_24 and "2026-000002" not in day_24, "the 24th in Oral"


async def test_competence_window_counts_in_the_councils_days(two_councils, app, clock):
    """Received on the 24th in Oral, the 23rd (a Monday) in Moscow: three working days later
    the Moscow question is out of its window a day sooner."""
    admin = two_councils
    clock.set(datetime(2026, 11, 27, 12, 0, tzinfo=UTC))  # Friday
    await admin.send("/inbox")
    shown = marks(admin.last_reply())
    assert "🧭" in shown["2026-000001"]
    assert "🧭" not in shown["2026-000002"]


# -- its events -----------------------------------------------------------------------------


@pytest.mark.usefixtures("fake_time")
async def test_an_event_is_read_and_shown_in_its_councils_zone(admin, make_user, citizen, app):
    village = await add_council(admin)
    await admin.send(f"/council_tz {village} Europe/Moscow")
    saule = await invite(admin, make_user, "Saule", village)
    await new_event(saule, start="27.11.2026 15:00", choice="Save as draft")
    async with app.sessionmaker() as session:
        event = await session.scalar(select(Event).order_by(Event.id.desc()))
    assert event.council_id == village
    assert event.starts_at == datetime(2026, 11, 27, 12, 0, tzinfo=UTC), "15:00 in Moscow"
    await saule.send("/events_admin")
    assert "27 November 2026, 15:00" in "\n".join(reply.text for reply in saule.replies())


async def test_a_citizen_reads_an_events_times_with_its_councils_zone(
    admin, make_user, citizen, app, clock, telegram
):
    """Registered, reminded or told of a new time, a citizen reads the event's own clock and
    which clock it is: a village council in Moscow time is not 'Kazakhstan time'."""
    village = await add_council(admin)
    await admin.send(f"/council_tz {village} Europe/Moscow")
    saule = await invite(admin, make_user, "Saule", village)
    ivan = await citizen("ru", "Иван")
    await new_event(saule, texts={"ru": "Круглый стол\nО дорогах."}, start="27.11.2026 15:00")
    await app.broadcaster.wait()
    await ivan.send("/start event_1")  # the link the council shared
    await ivan.press("✋ Я приду")
    confirmation = ivan.last_reply().text
    assert "🕒 27 ноября 2026\u202fг., 15:00 (UTC+3)" in confirmation, confirmation

    clock.set(datetime(2026, 11, 27, 11, 0, 20, tzinfo=UTC))  # 14:00:20 in Moscow
    await run_jobs(app)
    reminder = telegram.texts(ivan.id)[-1]
    assert reminder.startswith("⏰ Напоминание: «Круглый стол» начнётся через 1 час."), reminder
    assert "🕒 27 ноября 2026\u202fг., 15:00 (UTC+3)" in reminder

    await saule.send("/event_edit 1 start 28.11.2026 10:00")
    await app.broadcaster.wait()
    notice = telegram.texts(ivan.id)[-1]
    assert "🕒 Новое время: 28 ноября 2026\u202fг., 10:00 (UTC+3)" in notice, notice
