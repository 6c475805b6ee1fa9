"""Escalation: a council's chair (invited like a secretary, in the role *chair*) gets every
working day the council's questions overdue or due by the next working day, with who holds each;
superadmins get every week each council's numbers. Both once, whatever restarts, and one reader
who cannot be reached never stops the others."""

import re
from datetime import date, datetime

import pytest
from aiogram.utils.text_decorations import html_decoration as html
from sqlalchemy import select, update

from bot.app import create_app
from bot.i18n import format_day
from bot.jobs.escalation import EscalationJobs
from bot.services.questions import Draft, QuestionService
from db.models import Council, Invite, Question, QuestionStatus, Secretary, StaffRole, Topic, User
from tests.conftest import ADMIN_ID, ALMATY
from tests.flows import ask, invite, said, said_n, stored

BUTTONS = {"kk": "Қазақша", "ru": "Русский", "en": "English"}


async def invite_chair(admin, make_user, name: str, language: str, council_id: int | None = None):
    """The superadmin's one-time link in the role of chair, opened by a new person."""
    await admin.send(f"/invite {council_id} chair" if council_id else "/invite chair")
    payload = re.search(r"start=(inv_[\w-]+)", admin.last_reply().text).group(1)
    person = make_user(name)
    await person.send(f"/start {payload}")
    welcome, picker = person.replies()
    assert picker.buttons == ["Қазақша", "Русский", "English"]
    assert welcome.text.startswith("Теперь вы председатель"), "DEFAULT_LANGUAGE until they pick"
    await person.press(BUTTONS[language])
    return person


async def craft(app, number: int, **values) -> None:
    """Set a question's fields straight in the database (dates, status, council)."""
    async with app.sessionmaker() as session:
        await session.execute(update(Question).where(Question.number == number).values(**values))
        await session.commit()


async def roles(app, council_id: int = 1) -> dict[int, StaffRole]:
    async with app.sessionmaker() as session:
        rows = await session.scalars(select(Secretary).where(Secretary.council_id == council_id))
        return {row.user_id: StaffRole(row.role) for row in rows}


async def add_council(admin) -> int:
    await admin.send("/council_add Ауыл кеңесі | Сельский совет | Village council")
    return int(re.search(r"\d+", admin.last_reply().text).group(0))


def reports(telegram, user_id: int, mark: str) -> list[str]:
    return [text for text in telegram.texts(user_id) if text.startswith(mark)]


# -- the role -------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_a_chair_invite_makes_a_chair_of_that_council(
    citizen, make_user, app, clock, settings, telegram, language
):
    admin = await citizen(language, "Admin", user_id=ADMIN_ID)
    await admin.send("/invite chair")
    link = re.search(r"https://t.me/\S+", admin.last_reply().text).group(0)
    assert "?start=inv_" in link
    assert admin.last_reply().text == said(
        app,
        language,
        "A one-time link that makes whoever opens it the chair of {council}: a secretary who "
        "also gets a daily list of overdue questions. Send it only to that person:\n{link}",
        council={"kk": "Қоғамдық кеңес", "ru": "Общественный совет"}[language],
        link=link,
    )
    aigerim = await invite_chair(admin, make_user, "Aigerim", language)
    assert (await roles(app))[aigerim.id] == StaffRole.CHAIR

    # A chair is council staff: she takes and answers like a secretary.
    alice = await citizen("en")
    await ask(alice)
    await aigerim.send("/take 1")
    assert (await stored(app))[0].status == QuestionStatus.IN_PROGRESS

    # /secretaries shows each one's role in the reader's language.
    saule = await invite(admin, make_user, "Saule")
    await admin.send("/secretaries")
    listing = admin.last_reply().text
    assert f"Aigerim — id {aigerim.id} — {said(app, language, 'chair')}" in listing
    assert f"Saule — id {saule.id} — {said(app, language, 'secretary')}" in listing

    # A secretary who opens a chair link becomes the chair; the council keeps one row for her.
    await admin.send("/invite chair")
    payload = re.search(r"start=(inv_[\w-]+)", admin.last_reply().text).group(1)
    await saule.send(f"/start {payload}")
    assert saule.replies()[0].text.startswith("You are now the chair of Public council")
    assert await roles(app) == {aigerim.id: StaffRole.CHAIR, saule.id: StaffRole.CHAIR}
    # And a secretary link makes a chair a secretary again.
    await admin.send("/invite")
    payload = re.search(r"start=(inv_[\w-]+)", admin.last_reply().text).group(1)
    await saule.send(f"/start {payload}")
    assert (await roles(app))[saule.id] == StaffRole.SECRETARY

    # Revoked like a secretary: no more commands.
    await admin.send(f"/revoke {aigerim.id}")
    await aigerim.send("/inbox")
    assert aigerim.last_reply().text == said(
        app, language, "This command is only for council secretaries."
    )


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_an_unknown_role_is_refused_and_no_link_is_made(citizen, app, language):
    admin = await citizen(language, "Admin", user_id=ADMIN_ID)
    usage = html.quote(said(app, language, "Usage: /invite <council id> [chair]"))
    assert "/invite &lt;" in usage and "[chair]" in usage
    no_council = said(app, language, "No such council. See /councils.")
    async with app.sessionmaker() as session:
        before = list(await session.scalars(select(Invite)))
    for command, refusal in [
        ("/invite boss", usage),
        ("/invite 1 boss", usage),
        ("/invite 1 2 chair", usage),
        ("/invite 7 chair", no_council),
    ]:
        await admin.send(command)
        assert admin.last_reply().text == refusal, command
    async with app.sessionmaker() as session:
        assert list(await session.scalars(select(Invite))) == before
    await admin.send("/invite 1 secretary")
    assert "start=inv_" in admin.last_reply().text
    async with app.sessionmaker() as session:
        [made] = list(await session.scalars(select(Invite)))
    assert made.role == StaffRole.SECRETARY


# -- the chair's digest -----------------------------------------------------------------------


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_the_chairs_digest_lists_overdue_and_due_by_the_next_working_day_with_holders(
    admin, make_user, citizen, app, clock, settings, telegram, language
):
    settings.max_questions_per_day = settings.max_open_questions = 10
    saule = await invite(admin, make_user, "Saule")
    aigerim = await invite_chair(admin, make_user, "Aigerim", language)
    alice = await citizen("en")
    for _ in range(4):
        await ask(alice)  # №1 … №4
    zhanar = await citizen("en", "Zhanar", last_name="Secretname", username="zhanar_k")
    await ask(zhanar, anonymous=True)  # №5
    await ask(alice)  # №6, moved to another council below
    await saule.send("/take 1")
    await saule.send("/answer 4 The road will be repaired in May.")
    council_b = await add_council(admin)
    berik = await invite_chair(admin, make_user, "Berik", "en", council_id=council_b)

    # Friday 4 December 2026: the next working day is Monday the 7th.
    await craft(app, 1, due_date=date(2026, 12, 2))  # overdue, held by Saule
    await craft(app, 2, due_date=date(2026, 12, 7))  # due Monday, nobody holds it
    await craft(app, 3, due_date=date(2026, 12, 8))  # due Tuesday: not yet
    await craft(app, 4, due_date=date(2026, 12, 1))  # answered: not open
    await craft(app, 5, due_date=date(2026, 12, 4))  # due today, anonymous
    await craft(app, 6, due_date=date(2026, 12, 1), council_id=council_b)

    clock.set(datetime(2026, 12, 4, 8, 59, tzinfo=ALMATY))
    assert await app.escalations.chairs() == 0, "not before DIGEST_HOUR"
    clock.set(datetime(2026, 12, 4, 9, 5, tzinfo=ALMATY))
    assert await app.escalations.chairs() == 2

    [digest] = reports(telegram, aigerim.id, "🚨")
    council = said(
        app,
        language,
        "🚨 Questions of {council} that need the chair's attention",
        council={"kk": "Қоғамдық кеңес", "ru": "Общественный совет"}[language],
    )
    unassigned = said(app, language, "unassigned")

    def line(number: int, due: date, holder: str) -> str:
        return f"• №2026-{number:06d} — {format_day(due, language)} — {holder}"

    assert digest.split("\n") == [
        council,
        "",
        said(app, language, "Overdue: {count}", count=1),
        line(1, date(2026, 12, 2), "Saule"),
        "",
        said(app, language, "Due today or on the next working day: {count}", count=2),
        line(5, date(2026, 12, 4), unassigned),
        line(2, date(2026, 12, 7), unassigned),
        "",
        said(app, language, "All open questions: /inbox"),
    ]
    for hidden in ("Zhanar", "Secretname", "zhanar_k", str(zhanar.id)):
        assert hidden not in digest, "an anonymous question never names the citizen"

    [other] = reports(telegram, berik.id, "🚨")
    assert "№2026-000006" in other and "Village council" in other
    assert "№2026-000001" not in other and "№2026-000002" not in other
    assert not reports(telegram, saule.id, "🚨"), "a plain secretary gets no chair's digest"

    # Once a day, also after a restart; nothing on Saturday.
    assert await app.escalations.chairs() == 0
    restarted = create_app(settings, clock=clock, session=telegram)
    await restarted.start(run_scheduler=False)
    clock.set(datetime(2026, 12, 4, 17, 0, tzinfo=ALMATY))
    assert await restarted.escalations.chairs() == 0
    clock.set(datetime(2026, 12, 5, 10, 0, tzinfo=ALMATY))
    assert await restarted.escalations.chairs() == 0
    # Monday: №3 is now due the next working day.
    clock.set(datetime(2026, 12, 7, 9, 0, tzinfo=ALMATY))
    assert await restarted.escalations.chairs() == 2
    await restarted.stop()
    monday = reports(telegram, aigerim.id, "🚨")[-1]
    assert line(3, date(2026, 12, 8), unassigned) in monday
    assert len(reports(telegram, aigerim.id, "🚨")) == 2


async def test_a_chair_with_nothing_to_escalate_gets_nothing(
    admin, make_user, citizen, app, clock, telegram
):
    aigerim = await invite_chair(admin, make_user, "Aigerim", "en")
    alice = await citizen("en")
    await ask(alice)  # due in fifteen working days
    clock.set(datetime(2026, 11, 24, 9, 30, tzinfo=ALMATY))
    assert await app.escalations.chairs() == 0
    assert not reports(telegram, aigerim.id, "🚨")
    # Revoked, a chair gets no digest however late her council's questions are.
    await craft(app, 1, due_date=date(2026, 11, 20))
    clock.set(datetime(2026, 11, 25, 9, 30, tzinfo=ALMATY))
    await admin.send(f"/revoke {aigerim.id}")
    assert await app.escalations.chairs() == 0
    assert not reports(telegram, aigerim.id, "🚨")


# -- the superadmins' weekly summary -----------------------------------------------------------


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ALMATY)


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_the_weekly_summary_counts_each_council_once_a_week(
    citizen, app, clock, settings, telegram, language
):
    settings.max_questions_per_day = settings.max_open_questions = 10
    admin = await citizen(language, "Admin", user_id=ADMIN_ID)
    alice = await citizen("en")
    for _ in range(8):
        await ask(alice)
    council_b = await add_council(admin)
    answered, rejected = QuestionStatus.ANSWERED, QuestionStatus.REJECTED
    nov, dec = (lambda day: date(2026, 11, day)), (lambda day: date(2026, 12, day))
    # The summary of Monday 7 December covers 30 November 00:00 to 7 December 00:00, Almaty.
    # On time: 8.0 days to answer, answered a day late: 10.0 days, on time on its due day: 3.0.
    await craft(
        app,
        1,
        status=answered,
        created_at=at(nov(23), 10),
        closed_at=at(dec(1), 10),
        due_date=dec(14),
    )
    await craft(
        app,
        2,
        status=answered,
        created_at=at(nov(23), 10),
        closed_at=at(dec(3), 10),
        due_date=dec(2),
    )
    await craft(
        app,
        3,
        status=answered,
        created_at=at(nov(27), 10),
        closed_at=at(nov(30), 10),
        due_date=nov(30),
    )
    # Answered just before the week, and on the summary's own morning: neither counts.
    await craft(app, 4, status=answered, closed_at=at(nov(29), 23, 59), due_date=dec(14))
    await craft(app, 5, status=answered, closed_at=at(dec(7), 8), due_date=dec(14))
    await craft(app, 6, due_date=dec(4))  # open, overdue
    await craft(app, 7, council_id=council_b, status=rejected, closed_at=at(dec(2), 10))
    await craft(app, 8, council_id=council_b, status=QuestionStatus.IN_PROGRESS, due_date=dec(3))

    def summaries() -> list[str]:
        return reports(telegram, ADMIN_ID, "📊")

    for moment in (at(dec(6), 12), at(dec(7), 8, 59)):
        clock.set(moment)
        assert await app.escalations.summaries() == 0, moment
    clock.set(at(dec(7), 9, 0))
    assert await app.escalations.summaries() == 1
    [summary] = summaries()

    def block(name: str, answered: int, on_time: int, overdue: int, median: str) -> str:
        return "\n".join(
            [
                f"<b>{name}</b>",
                said(
                    app,
                    language,
                    "Answered: {answered}, of them on time: {on_time}",
                    answered=answered,
                    on_time=on_time,
                ),
                said(app, language, "Overdue now: {count}", count=overdue),
                median,
            ]
        )

    names = {
        "kk": ("Қоғамдық кеңес", "Ауыл кеңесі"),
        "ru": ("Общественный совет", "Сельский совет"),
    }
    first, second = names[language]
    assert summary.startswith(
        said(
            app,
            language,
            "📊 The councils' week, {first} – {last}",
            first=format_day(nov(30), language),
            last=format_day(dec(6), language),
        )
    )
    eight_days = said_n(
        app,
        language,
        "Median time to answer: {days} day",
        "Median time to answer: {days} days",
        8,
        days=8,
    )
    assert block(first, 3, 2, 1, eight_days) in summary
    no_answers = said(app, language, "Median time to answer: no answers yet")
    assert block(second, 0, 0, 1, no_answers) in summary

    # Once a week, also after a restart.
    assert await app.escalations.summaries() == 0
    restarted = create_app(settings, clock=clock, session=telegram)
    await restarted.start(run_scheduler=False)
    clock.set(at(dec(7), 18))
    assert await restarted.escalations.summaries() == 0
    clock.set(at(dec(8), 9, 30))
    assert await restarted.escalations.summaries() == 0
    clock.set(at(dec(14), 9, 30))
    assert await restarted.escalations.summaries() == 1
    await restarted.stop()
    assert len(summaries()) == 2
    # The next week counts №5 (answered on the first summary's morning, 13.9 days after it came,
    # on time); №6 and №8 are still overdue.
    # A fraction: «13,9 дня», "13.9 days", with the language's decimal separator.
    fraction = said_n(
        app,
        language,
        "Median time to answer: {days} day",
        "Median time to answer: {days} days",
        2,
        days="13.9" if language == "en" else "13,9",
    )
    assert block(first, 1, 1, 1, fraction) in summaries()[-1]
    assert block(second, 0, 0, 1, no_answers) in summaries()[-1]


async def test_the_summary_day_and_hour_are_settings(citizen, app, clock, settings, telegram):
    settings.summary_weekday, settings.summary_hour = 4, 17  # Fridays at 17:00
    await citizen("en", "Admin", user_id=ADMIN_ID)
    clock.set(datetime(2026, 12, 7, 9, 0, tzinfo=ALMATY))
    assert await app.escalations.summaries() == 0
    clock.set(datetime(2026, 12, 11, 16, 59, tzinfo=ALMATY))
    assert await app.escalations.summaries() == 0
    clock.set(datetime(2026, 12, 11, 17, 0, tzinfo=ALMATY))
    assert await app.escalations.summaries() == 1
    first = reports(telegram, ADMIN_ID, "📊")[0]
    assert first.startswith("📊 The councils' week, 4 December 2026")


# -- one who cannot be reached stops no one else ------------------------------------------------


async def test_a_blocked_chair_stops_neither_other_chairs_nor_the_summary(
    admin, make_user, citizen, app, clock, settings, telegram, monkeypatch
):
    aigerim = await invite_chair(admin, make_user, "Aigerim", "en")
    alice = await citizen("en")
    await ask(alice)
    await ask(alice)
    council_b = await add_council(admin)
    berik = await invite_chair(admin, make_user, "Berik", "ru", council_id=council_b)
    await craft(app, 1, due_date=date(2026, 12, 1))
    await craft(app, 2, due_date=date(2026, 12, 1), council_id=council_b)
    telegram.block(aigerim.id)
    clock.set(datetime(2026, 12, 7, 9, 30, tzinfo=ALMATY))  # a Monday: digests and the summary
    assert await app.escalations.run() == 2
    assert not reports(telegram, aigerim.id, "🚨")
    assert reports(telegram, berik.id, "🚨") and reports(telegram, ADMIN_ID, "📊")
    assert await app.escalations.run() == 0, "a blocked chair is not tried again that day"

    # Even the chairs' part failing outright leaves the summary to go.
    async def broken(self) -> int:
        raise RuntimeError("the chairs' part broke")

    monkeypatch.setattr(EscalationJobs, "chairs", broken)
    clock.set(datetime(2026, 12, 14, 9, 30, tzinfo=ALMATY))
    assert await app.escalations.run() == 1
    assert len(reports(telegram, ADMIN_ID, "📊")) == 2


async def test_a_summary_that_could_not_be_sent_is_tried_again(citizen, app, clock, telegram):
    await citizen("en", "Admin", user_id=ADMIN_ID)
    clock.set(datetime(2026, 12, 7, 9, 30, tzinfo=ALMATY))
    telegram.fail("sendMessage", chat_id=ADMIN_ID, status=502, description="Bad Gateway")
    assert await app.escalations.summaries() == 0
    assert await app.escalations.summaries() == 1, "the next wake sends it"
    assert await app.escalations.summaries() == 0, "and only once"


# -- the longest reports fit ------------------------------------------------------------------

LONGEST_NAME = "Ә<" * 64  # 128 characters: the longest council name accepted
# Telegram's longest first and last names (64 each), with what grows when escaped.
LONGEST_HOLDER = ("<Сәуле & 😀>" * 6)[:64] + " " + ("Әбенова<&>" * 7)[:64]


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
async def test_the_longest_chairs_digest_and_summary_fit(
    admin, make_user, citizen, app, clock, settings, telegram, language
):
    aigerim = await invite_chair(admin, make_user, "Aigerim", language)
    saule = await invite(admin, make_user, "Saule")
    alice = await citizen("en")
    count = 150
    settings.max_questions_per_day = settings.max_open_questions = count + 1
    async with app.sessionmaker() as session:
        council = await session.get(Council, 1)
        topic = (await session.scalars(select(Topic))).first()
        user = await session.get(User, alice.id)
        service = QuestionService(session, settings, app.clock)
        for number in range(count):
            draft = Draft(1, topic.id, f"Question number {number}", False)
            await service.create(user, council, draft)
        await session.flush()
        await session.execute(update(Question).values(taken_by=saule.id, assigned_to=saule.id))
        await session.execute(
            update(User).where(User.id == saule.id).values(full_name=LONGEST_HOLDER)
        )
        for _ in range(60):
            session.add(
                Council(
                    name_kk=LONGEST_NAME,
                    name_ru=LONGEST_NAME,
                    name_en=LONGEST_NAME,
                    timezone="Asia/Almaty",
                    default_language="ru",
                    created_at=app.clock.now(),
                )
            )
        council.name_kk = council.name_ru = council.name_en = LONGEST_NAME
        await session.commit()
    clock.set(datetime(2026, 12, 14, 9, 30, tzinfo=ALMATY))  # the due day, a Monday

    seen = len(telegram.texts(aigerim.id)), len(telegram.texts(ADMIN_ID))
    assert await app.escalations.run() == 2
    digest = telegram.texts(aigerim.id)[seen[0] :]
    assert len(digest) >= 2
    text = "".join(digest)
    for number in range(1, count + 1):
        assert f"№2026-{number:06d}" in text
    assert text.count("&lt;Сәуле &amp; 😀&gt;") >= count
    summary = telegram.texts(ADMIN_ID)[seen[1] :]
    assert len(summary) >= 2
    assert "".join(summary).count("<b>Ә&lt;Ә&lt;") == 61
