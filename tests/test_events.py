"""Council events: the /new_event wizard, announcements in each reader's language, registration
with places and waiting lists, reminders on the clock (also across a restart), edits and
cancellation, the calendar file, shared links, the reach report, and bad input."""

import io
import re
from collections import Counter
from datetime import UTC, datetime

import icalendar
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.app import create_app
from bot.services.broadcasts import BroadcastDraft, BroadcastService
from bot.services.councils import Staff
from db.models import (
    Broadcast,
    Event,
    EventReminder,
    EventStatus,
    EventVenue,
    Registration,
)
from tests.chat import ChatUser
from tests.conftest import ADMIN_ID
from tests.flows import ATTEND, at, new_event, received, run_jobs

pytestmark = pytest.mark.usefixtures("fake_time")


async def registrations(app) -> dict[int, tuple[str, int]]:
    """user id → (status, venue position)."""
    async with app.sessionmaker() as session:
        rows = await session.execute(
            select(Registration.user_id, Registration.status, EventVenue.position).join(
                EventVenue, EventVenue.id == Registration.venue_id
            )
        )
        return {user_id: (str(status), position) for user_id, status, position in rows}


async def press_starting(user: ChatUser, prefix: str) -> None:
    """Press the button whose label starts with `prefix` on the newest message that has one."""
    for reply in reversed(user.inbox()):
        for label in reply.buttons:
            if label.startswith(prefix):
                await user.press(label, reply)
                return
    raise AssertionError(f"no button starting with {prefix!r}")


# -- announcing --------------------------------------------------------------------------------


async def test_an_event_is_announced_to_each_subscriber_in_their_language(
    unsubscribed_admin, citizen, app, telegram
):
    aigerim = await citizen("kk", "Айгерім")
    ivan = await citizen("ru", "Иван")
    john = await citizen("en", "John")
    event_id = await new_event(
        unsubscribed_admin,
        texts={
            "kk": "Дөңгелек үстел: Еститін мемлекет\nАудандағы барлық ауылдық кітапханаларда.",
            "ru": "Круглый стол: Слышащее государство\nВо всех сельских библиотеках района.",
        },
        end="27.11.2026 17:00",
        contacts="Aigerim Sadykova | +7 701 123 45 67 | council@example.kz",
        audience={"kk": "мұғалімдер, жастар", "ru": "учителя, молодёжь"},
    )
    assert event_id == 1
    previews = [
        r.text for r in unsubscribed_admin.inbox() if r.text.startswith("Preview for readers")
    ]
    assert previews == [
        "Preview for readers in Kazakh:",
        "Preview for readers in Russian:",
        "Preview for readers in English: (no text: falls back)",
    ]
    assert "https://t.me/hearing_state_bot?start=event_1" in unsubscribed_admin.last_reply().text
    await app.broadcaster.wait()

    kk = aigerim.inbox()[-1]
    assert "Дөңгелек үстел: Еститін мемлекет" in kk.text
    # One CLDR style per language, and the zone in words.
    kk_when = "🕒 2026\u202fж. 27 қараша, 15:00–17:00 (Қазақстан уақыты, UTC+5)\n"
    assert kk_when in kk.text, "the date in Kazakh, by Babel"
    assert "Central library, 10 Abay St" in kk.text
    assert "+7 701 123 45 67" in kk.text and "council@example.kz" in kk.text
    ru = ivan.inbox()[-1]
    assert "Круглый стол: Слышащее государство" in ru.text
    assert "🕒 27 ноября 2026\u202fг., 15:00–17:00 (время Казахстана, UTC+5)\n" in ru.text
    # No English text: the council's default language (Russian) stands in, the rest in English.
    en = john.inbox()[-1]
    assert "Круглый стол: Слышащее государство" in en.text
    assert "27 November 2026, 15:00–17:00" in en.text
    assert en.buttons == [ATTEND, "📅 Add to calendar", "Unsubscribe"]
    # Who it is for, beside the text of its own language.
    assert "👥 Кімге арналған: мұғалімдер, жастар" in kk.text and "учителя" not in kk.text
    assert "👥 Для кого: учителя, молодёжь" in ru.text and "жастар" not in ru.text
    assert "For: учителя, молодёжь" in en.text
    assert received(telegram, "Слышащее государство") == Counter({ivan.id: 1, john.id: 1})

    # The report counts the announcement; the secretary also got the broadcast's report.
    await unsubscribed_admin.send("/event_report 1")
    assert "Announced to 3 subscribers" in unsubscribed_admin.last_reply().text


async def test_publishing_at_a_set_time_and_drafts(
    unsubscribed_admin, citizen, app, clock, telegram
):
    alice = await citizen("en")
    first = await new_event(unsubscribed_admin, choice="Publish at a set time")
    assert first == 0, "it asks for the time first"
    # A time that cannot be the publication's is refused, and the wizard waits for another.
    await unsubscribed_admin.send("01.11.2026 09:00")
    assert unsubscribed_admin.last_reply().text == (
        "That time has already passed. Give a time in the future."
    )
    await unsubscribed_admin.send("28.11.2026 09:00")
    assert unsubscribed_admin.last_reply().text == "The event must be published before it starts."
    await unsubscribed_admin.send("24.11.2026 09:00")
    assert unsubscribed_admin.last_reply().text.startswith(
        "Event #1 will be published and announced at 24 November 2026, 09:00."
    )
    await run_jobs(app)
    assert received(telegram, "Round table") == Counter()
    await alice.send("/events")
    assert alice.last_reply().text.startswith("No upcoming events yet.")

    clock.set(at(24, 9, 0, 5))
    await run_jobs(app)
    assert received(telegram, "Round table") == Counter({alice.id: 1})
    await run_jobs(app)
    assert received(telegram, "Round table") == Counter({alice.id: 1}), "announced once"

    draft = await new_event(
        unsubscribed_admin,
        texts={"en": "Budget hearing"},
        choice="Save as draft",
        start="30.11.2026 11:00",
    )
    assert unsubscribed_admin.last_reply().text.startswith(
        f"Event #{draft} is saved as a draft. To publish it: /event_publish {draft}"
    )
    await run_jobs(app)
    assert received(telegram, "Budget hearing") == Counter()
    await alice.send(f"/start event_{draft}")
    assert alice.last_reply().text == "This event is not available."
    await unsubscribed_admin.send(f"/event_publish {draft}")
    await app.broadcaster.wait()
    assert received(telegram, "Budget hearing") == Counter({alice.id: 1})
    await unsubscribed_admin.send(f"/event_publish {draft}")
    assert (
        unsubscribed_admin.last_reply().text
        == "Only a draft can be published; this event already is."
    )


# -- registering -------------------------------------------------------------------------------


async def test_register_cancel_and_the_waiting_list(unsubscribed_admin, citizen, app, telegram):
    alice = await citizen("en", "Alice")
    bob = await citizen("en", "Bob")
    carol = await citizen("ru", "Carol")
    await new_event(unsubscribed_admin, venues=("Village club | 1 School St | 1",))
    await app.broadcaster.wait()

    await alice.press(ATTEND)
    assert alice.last_reply().text.startswith("✅ You are registered for «Round table».")
    await bob.press(ATTEND)
    assert bob.last_reply().text.startswith(
        "⏳ All places at Village club, 1 School St are taken. You are on the waiting list for "
        "«Round table», number 1."
    )
    await carol.press_data("ev:go:1:0:0")
    assert await registrations(app) == {
        alice.id: ("registered", 1),
        bob.id: ("waiting", 1),
        carol.id: ("waiting", 1),
    }
    await alice.press(ATTEND)
    assert alice.last_reply().text == (
        "You are already registered for «Round table».\n📍 Village club, 1 School St\n"
        "🕒 27 November 2026, 15:00 (Kazakhstan time, UTC+5)\n"
        "Reminders will come 1 day before the start and 1 hour before the start."
    )

    # Alice cancels: Bob, first in line, gets the place and a message; Carol moves up.
    await alice.press("Cancel my registration")
    assert alice.alerts() == ["Your registration is cancelled."]
    assert bob.inbox()[-1].text.startswith(
        "🎉 A place has freed up: you are now registered for «Round table»."
    )
    assert await registrations(app) == {
        alice.id: ("cancelled", 1),
        bob.id: ("registered", 1),
        carol.id: ("waiting", 1),
    }
    await carol.send("/events")
    assert "номер — 1" in carol.last_reply().text, "Carol reads Russian"
    await alice.press("Cancel my registration")
    assert alice.alerts() == ["You are not registered for this event."]

    # Alice comes back: the place is Bob's now, so she queues behind Carol.
    await alice.press(ATTEND)
    assert "number 2" in alice.last_reply().text
    async with app.sessionmaker() as session:
        venue = await session.scalar(select(EventVenue))
    assert venue.taken == 1


async def waiting_at_venues(app) -> dict[int, tuple[int, int]]:
    """venue position → (its waiting count, the waiting registrations counted)."""
    async with app.sessionmaker() as session:
        venues = list(await session.scalars(select(EventVenue).order_by(EventVenue.position)))
        counted = dict(
            (
                await session.execute(
                    select(Registration.venue_id, func.count())
                    .where(Registration.status == "waiting")
                    .group_by(Registration.venue_id)
                )
            ).all()
        )
    return {venue.position: (venue.waiting, counted.get(venue.id, 0)) for venue in venues}


async def test_the_waiting_count_follows_every_change_and_numbers_the_newcomer(
    unsubscribed_admin, citizen, app
):
    """A citizen put on a waiting list hears their number from the venue's waiting count
    (migration 0016), which the database keeps through presses, cancellations, promotions,
    moves between venues, a bigger hall and a deleted citizen."""
    alice, bob, carol, dana = [
        await citizen("en", name) for name in ("Alice", "Bob", "Carol", "Dana")
    ]
    await new_event(
        unsubscribed_admin,
        venues=("Library of Akkol | Akkol village | 1", "Saryozek | Main St | 1"),
    )
    await app.broadcaster.wait()

    async def attend(user: ChatUser, venue: str) -> str:
        await user.press(ATTEND)
        await press_starting(user, venue)
        return user.last_reply().text

    assert (await attend(alice, "1. ")).startswith("✅ You are registered")
    assert "number 1." in await attend(bob, "1. ")
    assert "number 2." in await attend(carol, "1. ")
    assert "number 3." in await attend(dana, "1. ")
    assert await waiting_at_venues(app) == {1: (3, 3), 2: (0, 0)}

    await carol.press("Cancel my registration")  # a waiting citizen leaves
    assert await waiting_at_venues(app) == {1: (2, 2), 2: (0, 0)}
    await alice.press("Cancel my registration")  # the place goes to Bob, first in line
    assert bob.inbox()[-1].text.startswith("🎉 A place has freed up")
    assert await waiting_at_venues(app) == {1: (1, 1), 2: (0, 0)}
    await dana.send("/events")
    assert "number 1" in dana.last_reply().text, "Dana moved up"

    # Dana moves to Saryozek and takes its place; Carol comes back and waits there.
    assert (await attend(dana, "2. ")).startswith("✅ You are registered")
    assert await waiting_at_venues(app) == {1: (0, 0), 2: (0, 0)}
    assert "number 1." in await attend(carol, "2. ")
    assert "number 1." in await attend(alice, "1. ")
    assert await waiting_at_venues(app) == {1: (1, 1), 2: (1, 1)}

    await unsubscribed_admin.send("/event_edit 1 capacity 2 2")  # a bigger hall: Carol is in
    assert carol.inbox()[-1].text.startswith("🎉 A place has freed up")
    assert await waiting_at_venues(app) == {1: (1, 1), 2: (0, 0)}

    await alice.send("/delete_me")
    await alice.press("Delete my data")
    assert await waiting_at_venues(app) == {1: (0, 0), 2: (0, 0)}


async def test_capacity_is_per_venue_and_the_citizen_picks_one(unsubscribed_admin, citizen, app):
    alice = await citizen("en", "Alice")
    bob = await citizen("en", "Bob")
    await new_event(
        unsubscribed_admin,
        venues=("Library of Akkol | Akkol village | 1", "Library of Saryozek | Saryozek | 5"),
    )
    await app.broadcaster.wait()
    await alice.press(ATTEND)
    assert alice.last_reply().text == "Which venue will you come to?"
    assert alice.last_reply().buttons == [
        "1. Library of Akkol · 1 place left",
        "2. Library of Saryozek · 5 places left",
    ]
    await press_starting(alice, "1. Library of Akkol")
    assert alice.last_reply().text.startswith("✅ You are registered")
    await bob.press(ATTEND)
    assert bob.last_reply().buttons[0] == "1. Library of Akkol · full, waiting list open"
    await press_starting(bob, "1. Library of Akkol")
    assert "waiting list" in bob.last_reply().text
    # Bob would rather have a seat in Saryozek: choosing it moves his registration there.
    await bob.press(ATTEND)
    await press_starting(bob, "2. Library of Saryozek")
    assert bob.last_reply().text.startswith("✅ You are registered")
    assert await registrations(app) == {alice.id: ("registered", 1), bob.id: ("registered", 2)}
    # A venue of another event is refused, and changes nothing.
    await bob.press_data("ev:venue:1:999:0")
    assert bob.alerts() == ["This event is not available."]
    assert await registrations(app) == {alice.id: ("registered", 1), bob.id: ("registered", 2)}


async def test_events_list_pages_and_the_card_shows_the_registration(
    unsubscribed_admin, citizen, app
):
    alice = await citizen("en")
    await new_event(unsubscribed_admin, texts={"en": "Later event"}, start="30.11.2026 10:00")
    await new_event(unsubscribed_admin, texts={"en": "Sooner event"}, start="26.11.2026 10:00")
    await app.broadcaster.wait()
    await alice.send("/events")
    card = alice.last_reply()
    assert card.text.startswith("📅 <b>Sooner event</b>") and "Later event" not in card.text
    assert card.buttons == [ATTEND, "📅 Add to calendar", "◀", "1/2", "▶"]
    await alice.press(ATTEND, card)
    card = alice.inbox()[-2]
    assert "✅ You are registered." in card.text
    assert card.buttons[0] == "Cancel my registration"
    await alice.press("▶", card)
    assert "Later event" in alice.last_reply().text
    assert alice.last_reply().edited


async def test_a_shared_link_opens_the_card(unsubscribed_admin, citizen, make_user, app):
    await new_event(unsubscribed_admin)
    await app.broadcaster.wait()
    newcomer = make_user("Dana", language_code="kk")
    await newcomer.send("/start event_1")
    assert newcomer.last_reply().buttons == ["Қазақша", "Русский", "English"]
    await newcomer.press("English")
    card = newcomer.last_reply()
    assert "Round table" in card.text and card.buttons[0] == ATTEND

    alice = await citizen("en")
    await alice.send("/start event_1")
    assert "Round table" in alice.last_reply().text
    await alice.send("/start event_999")
    assert alice.last_reply().text == "This event is not available."


async def test_the_calendar_file_has_the_right_instant(unsubscribed_admin, citizen, app, telegram):
    alice = await citizen("en")
    await new_event(unsubscribed_admin, end="28.11.2026 18:00")
    await app.broadcaster.wait()
    await alice.press("📅 Add to calendar")
    [call] = telegram.sent(alice.id, name="sendDocument")
    assert call.method.document.filename == "event-1.ics"
    calendar = icalendar.Calendar.from_ical(call.method.document.data)
    [entry] = calendar.walk("VEVENT")
    start = entry.decoded("dtstart")
    assert start.astimezone(UTC) == datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    assert str(start.tzinfo) == "Asia/Almaty"
    assert entry.decoded("dtend").astimezone(UTC) == datetime(2026, 11, 28, 13, 0, tzinfo=UTC)
    assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Almaty"]
    assert str(entry["location"]) == "Central library, 10 Abay St"
    assert str(entry["url"]) == "https://t.me/hearing_state_bot?start=event_1"
    assert str(entry["summary"]) == "Round table"


# -- reminders ---------------------------------------------------------------------------------


async def test_reminders_at_the_lead_times_once_also_across_a_restart(
    unsubscribed_admin, citizen, app, clock, settings, telegram
):
    alice = await citizen("en", "Alice")
    bob = await citizen("en", "Bob")  # not registered: no reminders
    await new_event(unsubscribed_admin)
    await app.broadcaster.wait()
    await alice.press(ATTEND)

    def reminders() -> Counter:
        return received(telegram, "⏰ Reminder")

    clock.set(at(26, 14, 59, 59))
    await run_jobs(app)
    assert reminders() == Counter()
    clock.set(at(26, 15, 0, 1))
    await run_jobs(app)
    assert reminders() == Counter({alice.id: 1})
    text = telegram.texts(alice.id)[-1]
    assert text.startswith("⏰ Reminder: «Round table» starts in 1 day.")
    await run_jobs(app)
    assert reminders() == Counter({alice.id: 1})

    # The bot restarts: nothing is sent again, and the 1-hour reminder still comes.
    restarted = create_app(settings, clock=clock, session=telegram)
    restarted.broadcaster.limiter = app.broadcaster.limiter
    await restarted.start(run_scheduler=False)
    clock.set(at(26, 18))
    await run_jobs(restarted)
    assert reminders() == Counter({alice.id: 1})
    clock.set(at(27, 14, 0, 30))
    await run_jobs(restarted)
    await run_jobs(restarted)
    assert reminders() == Counter({alice.id: 2})
    assert telegram.texts(alice.id)[-1].startswith("⏰ Reminder: «Round table» starts in 1 hour.")
    await restarted.stop()
    assert bob.id not in reminders()


async def test_missed_reminders_send_only_the_nearest_and_none_after_the_start(
    unsubscribed_admin, citizen, app, clock, telegram
):
    alice = await citizen("en")
    await new_event(unsubscribed_admin)
    await app.broadcaster.wait()
    await alice.press(ATTEND)
    # The bot was down from before the 24-hour mark until 30 minutes before the start.
    clock.set(at(27, 14, 30))
    await run_jobs(app)
    assert received(telegram, "⏰ Reminder") == Counter({alice.id: 1})
    async with app.sessionmaker() as session:
        rows = (await session.scalars(select(EventReminder))).all()
    assert sorted((r.lead_seconds, r.sent) for r in rows) == [(3600, True), (86400, False)]

    # Another event whose reminders were all missed: after its start, nothing is sent.
    await new_event(unsubscribed_admin, texts={"en": "Evening forum"}, start="27.11.2026 18:00")
    await app.broadcaster.wait()
    await alice.press(ATTEND)
    clock.set(at(27, 18, 5))
    await run_jobs(app)
    assert received(telegram, "⏰ Reminder: «Evening forum»") == Counter()


async def test_lead_times_in_minutes_and_seconds_per_event(
    unsubscribed_admin, citizen, app, clock, telegram
):
    alice = await citizen("en")
    await new_event(unsubscribed_admin, start="23.11.2026 12:00")
    await app.broadcaster.wait()
    await alice.press(ATTEND)
    await unsubscribed_admin.send("/event_edit 1 reminders 10m,30s")
    assert unsubscribed_admin.last_reply().text == "Event #1 is changed."
    await run_jobs(app)
    assert received(telegram, "⏰ Reminder") == Counter(), "1h before came and went unused"
    clock.set(at(23, 11, 50, 0))
    await run_jobs(app)
    clock.set(at(23, 11, 59, 30))
    await run_jobs(app)
    clock.set(at(23, 11, 59, 45))
    await run_jobs(app)
    assert received(telegram, "⏰ Reminder") == Counter({alice.id: 2})
    await unsubscribed_admin.send("/event_edit 1 reminders 5x")
    assert unsubscribed_admin.last_reply().text.startswith("Write the reminders like 24h,1h")


async def test_a_moved_event_moves_its_reminders_and_tells_registrants(
    unsubscribed_admin, citizen, app, clock, telegram
):
    alice = await citizen("en", "Alice")
    ivan = await citizen("ru", "Иван")
    await new_event(unsubscribed_admin)
    await app.broadcaster.wait()
    await alice.press(ATTEND)
    await ivan.press_data("ev:go:1:0:0")
    clock.set(at(26, 15, 0, 1))
    await run_jobs(app)
    assert received(telegram, "⏰") == Counter({alice.id: 1, ivan.id: 1})

    await unsubscribed_admin.send("/event_edit 1 start 28.11.2026 15:00")
    assert (
        unsubscribed_admin.last_reply().text
        == "Event #1 is changed; everyone registered is being told."
    )
    await app.broadcaster.wait()
    notice = alice.inbox()[-1]
    assert notice.text.startswith("ℹ️ The event «Round table» has changed:")
    assert "New time: 28 November 2026, 15:00" in notice.text
    assert notice.buttons == ["Open the event"]
    assert "28 ноября 2026" in ivan.inbox()[-1].text, "the notice in Ivan's language"

    clock.set(at(27, 14, 0, 1))  # the old 1-hour mark: nothing
    await run_jobs(app)
    assert received(telegram, "⏰") == Counter({alice.id: 1, ivan.id: 1})
    clock.set(at(27, 15, 0, 1))  # 24 hours before the new time
    await run_jobs(app)
    assert received(telegram, "⏰") == Counter({alice.id: 2, ivan.id: 2})
    clock.set(at(28, 14, 0, 1))
    await run_jobs(app)
    assert received(telegram, "⏰") == Counter({alice.id: 3, ivan.id: 3})


async def test_a_cancelled_event_tells_everyone_and_sends_no_reminders(
    unsubscribed_admin, citizen, app, clock, telegram
):
    alice = await citizen("en", "Alice")
    bob = await citizen("en", "Bob")
    await new_event(unsubscribed_admin, venues=("Hall | | 1",))
    await app.broadcaster.wait()
    await alice.press(ATTEND)
    await bob.press(ATTEND)  # waiting
    await unsubscribed_admin.send("/event_cancel 1")
    assert (
        unsubscribed_admin.last_reply().text
        == "Give the reason: /event_cancel &lt;id&gt; &lt;reason&gt;"
    )
    await unsubscribed_admin.send("/event_cancel 1 The hall is <closed> & under repair")
    assert unsubscribed_admin.last_reply().text.startswith("Event #1 is cancelled")
    await app.broadcaster.wait()
    for person in (alice, bob):
        text = person.inbox()[-1].text
        assert text.startswith(
            "❌ The event «Round table» (27 November 2026, 15:00) is cancelled."
        )
        assert "Reason: The hall is &lt;closed&gt; &amp; under repair" in text
    for moment in (at(26, 15, 0, 1), at(27, 14, 0, 1)):
        clock.set(moment)
        await run_jobs(app)
    assert received(telegram, "⏰") == Counter()
    await alice.send("/events")
    assert alice.last_reply().text.startswith("No upcoming events yet.")
    await bob.press_data("ev:go:1:0:0")
    assert bob.alerts() == ["This event has been cancelled."]
    await unsubscribed_admin.send("/event_cancel 1 Again")
    assert unsubscribed_admin.last_reply().text == "This event has been cancelled."


# -- the report and the list -------------------------------------------------------------------


async def test_the_report_adds_up(unsubscribed_admin, citizen, app, clock, telegram):
    people = [await citizen("en", f"Citizen{n}") for n in range(4)]
    telegram.block(people[3].id)
    await new_event(
        unsubscribed_admin,
        venues=("Library of Akkol | Akkol | 1", "Library of Saryozek | Saryozek | 10"),
    )
    await app.broadcaster.wait()
    await press_starting_after(people[0], "1. ")
    await press_starting_after(people[1], "1. ")  # waiting
    await press_starting_after(people[2], "2. ")
    clock.set(at(26, 15, 0, 1))
    await run_jobs(app)

    await unsubscribed_admin.send("/event_attended 1 7")
    assert (
        unsubscribed_admin.last_reply().text
        == "The event has not started yet; record attendance after it."
    )
    clock.set(at(27, 18))
    await unsubscribed_admin.send("/event_attended 1 7")
    assert unsubscribed_admin.last_reply().text == "Give one number per venue: this event has 2."
    await unsubscribed_admin.send("/event_attended 1 120 118")
    assert unsubscribed_admin.last_reply().text == "Recorded. The report: /event_report 1"
    await unsubscribed_admin.send("/event_report 1")
    report = unsubscribed_admin.last_reply().text
    assert "Announced to 4 subscribers" in report
    assert "Delivered: 3 · blocked the bot: 1 · failed: 0" in report
    assert "Registered: 2 · waiting list: 1" in report
    assert "1. Library of Akkol: 1 registered, 1 on the waiting list, 120 came" in report
    assert "2. Library of Saryozek: 1 registered, 0 on the waiting list, 118 came" in report
    assert "Reminders delivered: 2" in report
    assert "Came: 238" in report
    assert report.endswith("<b>238 people reached</b>")
    # In the council's words, in the secretary's language.
    for language, reach in (
        ("Русский", "Охват составил 238 человек"),
        ("Қазақша", "Барлығы 238 адам қамтылды"),
    ):
        await unsubscribed_admin.send("/language")
        await unsubscribed_admin.press(language)
        await unsubscribed_admin.send("/event_report 1")
        assert unsubscribed_admin.last_reply().text.endswith(f"<b>{reach}</b>")
        if language == "Русский":  # each count in its own grammatical number
            assert (
                "1. Library of Akkol — зарегистрировался 1 человек, 1 человек в листе ожидания, "
                "пришли 120 человек\n2. Library of Saryozek — зарегистрировался 1 человек, "
                "0 человек в листе ожидания, пришли 118 человек\n"
            ) in unsubscribed_admin.last_reply().text
            assert "Объявление разослано 4 подписчикам" in unsubscribed_admin.last_reply().text
    await unsubscribed_admin.send("/language")
    await unsubscribed_admin.press("English")

    await unsubscribed_admin.send("/events_admin")
    assert "#1 ✔️ 27 November 2026, 15:00 — Round table (2 registered, 1 on the waiting list)" in (
        unsubscribed_admin.last_reply().text
    )


async def press_starting_after(user: ChatUser, prefix: str) -> None:
    await user.press(ATTEND)
    await press_starting(user, prefix)


async def test_registrants_export_names_only_those_who_consented(
    unsubscribed_admin, citizen, app, telegram
):
    alice = await citizen("en", "Alice", username="alice_kz")
    bob = await citizen("en", "Bob", username="bob_kz")
    await new_event(unsubscribed_admin)
    await app.broadcaster.wait()
    await alice.send("/ask")  # Alice agrees to the personal-data notice when asking
    await alice.press("Budget")
    await alice.send("How is the district budget spent?")
    await alice.press("Show my name")
    await alice.press("No, do not publish")
    await alice.press("I agree")
    await alice.press("Send")
    await alice.press(ATTEND)
    await bob.press(ATTEND)
    await unsubscribed_admin.send("/event_registrants 1")
    [call] = telegram.sent(ADMIN_ID, name="sendDocument")
    sheet = load_workbook(io.BytesIO(call.method.document.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "No.",
        "Venue",
        "Status",
        "Waiting list",
        "Name",
        "Username",
        "Registered at",
    )
    names = {row[4]: row[5] for row in rows[1:]}
    assert names == {"Alice": "alice_kz", "not shared": None}


# -- bad input ---------------------------------------------------------------------------------


async def test_bad_input_gets_a_clear_answer_and_changes_nothing(
    unsubscribed_admin, citizen, make_user, app, telegram
):
    alice = await citizen("en")
    for command in ("/new_event", "/event_cancel 1 no", "/event_report 1", "/events_admin"):
        await alice.send(command)
        assert alice.last_reply().text == "This command is only for council secretaries."

    await unsubscribed_admin.send("/new_event")
    await unsubscribed_admin.send_sticker()
    assert (
        unsubscribed_admin.last_reply().text
        == "Please send the text of the announcement, or /skip."
    )
    await unsubscribed_admin.send("/skip")
    await unsubscribed_admin.send("/skip")
    await unsubscribed_admin.send("/skip")
    assert unsubscribed_admin.last_reply().text.startswith("Send the announcement in Kazakh")
    await unsubscribed_admin.send("Title <script>alert(1)</script> & co\nDescription")
    await unsubscribed_admin.send("/skip")
    await unsubscribed_admin.send("/skip")
    await unsubscribed_admin.send("31.02.2027 15:00")
    assert unsubscribed_admin.last_reply().text == (
        "Write the date and time like 06.02.2027 15:00; that date does not exist."
    )
    await unsubscribed_admin.send("01.01.2020 10:00")
    assert (
        unsubscribed_admin.last_reply().text
        == "That time has already passed. Give a time in the future."
    )
    await unsubscribed_admin.send("27.11.2026 15:00")
    await unsubscribed_admin.send("27.11.2026 14:00")
    assert unsubscribed_admin.last_reply().text == "The end must be after the start."
    await unsubscribed_admin.send("/skip")
    await unsubscribed_admin.send("/done")
    assert unsubscribed_admin.last_reply().text == "Add at least one venue."
    await unsubscribed_admin.send("Hall | Street | many")
    assert unsubscribed_admin.last_reply().text.startswith("Places must be a whole number")
    await unsubscribed_admin.send("Hall | Street | 30")
    await unsubscribed_admin.send("/done")
    await unsubscribed_admin.send("Person | not-an-email@ | +7 700 000 00 00")
    assert unsubscribed_admin.last_reply().text == "That e-mail address does not look right."
    await unsubscribed_admin.send("/cancel")
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count(Event.id))) == 0

    # The escaped title reaches citizens as text, never as markup.
    event_id = await new_event(
        unsubscribed_admin, texts={"kk": "Title <script>alert(1)</script> & co"}
    )
    await app.broadcaster.wait()
    assert "Title &lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in alice.inbox()[-1].text

    for command, answer in [
        ("/event_report 99", "No such event among your councils'."),
        ("/event_edit 99 start 28.11.2026 15:00", "No such event among your councils'."),
        (f"/event_edit {event_id} start 31.02.2027 10:00", "Write the date and time like"),
        (f"/event_edit {event_id} start 01.01.2020 10:00", "That time has already passed."),
        (f"/event_edit {event_id} colour red", "Unknown field."),
        (f"/event_edit {event_id} venue 5 Hall", "Give a venue number from 1 to 1."),
        (f"/event_attended {event_id} many", "Usage: /event_attended"),
        ("/event_registrants abc", "No such event among your councils'."),
    ]:
        await unsubscribed_admin.send(command)
        assert unsubscribed_admin.last_reply().text.startswith(answer), command

    # A secretary of another council cannot see or touch this council's event.
    await unsubscribed_admin.send("/council_add Ауыл кеңесі | Сельский совет | Village council")
    await unsubscribed_admin.send("/invite 2")
    payload = re.search(r"start=(inv_[\w-]+)", unsubscribed_admin.last_reply().text).group(1)
    berik = make_user("Berik")
    await berik.send(f"/start {payload}")
    await berik.press("English")
    for command in (
        f"/event_cancel {event_id} mine now",
        f"/event_edit {event_id} start 28.11.2026 15:00",
        f"/event_report {event_id}",
        f"/event_registrants {event_id}",
    ):
        await berik.send(command)
        assert berik.last_reply().text == "No such event among your councils'.", command
    async with app.sessionmaker() as session:
        event = await session.get(Event, event_id)
        assert event.status == EventStatus.PUBLISHED
        assert event.starts_at == at(27, 15)
    # Forged and stale buttons.
    await alice.press_data("ev:go:999:0:0")
    assert alice.alerts() == ["This event is not available."]
    await alice.press_data("ev:dance:1:0:0")
    assert alice.alerts() == ["This button is no longer valid."]
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count(Registration.id))) == 0
        assert await session.scalar(select(func.count(Broadcast.id))) == 1


async def test_registration_closes_at_the_start(unsubscribed_admin, citizen, app, clock):
    alice = await citizen("en")
    await new_event(unsubscribed_admin)
    await app.broadcaster.wait()
    clock.set(at(27, 15, 1))
    await alice.press(ATTEND)
    assert alice.alerts() == ["This event has already started; registration is closed."]
    assert await registrations(app) == {}
    await alice.send("/start event_1")
    assert alice.last_reply().buttons == ["📅 Add to calendar"], "no attend button once started"


async def test_an_announcement_too_long_for_one_message_is_refused(unsubscribed_admin, app):
    """Escaping can make text grow (`<` becomes `&lt;`): the whole announcement must still fit
    one Telegram message, or nothing is saved."""
    await new_event(
        unsubscribed_admin,
        texts={"en": "<" * 200 + "\n" + "Description. " * 110},
        contacts=" | ".join(["<" * 200, "+7 701 000 00 00", "council@example.kz"]),
        audience="<" * 300,
        choice=None,
    )
    refusal = [
        r.text for r in unsubscribed_admin.inbox() if r.text.startswith("The text is too long")
    ]
    assert refusal and refusal[-1].endswith("at most 4096.")
    assert unsubscribed_admin.last_reply().text == "Cancelled. Nothing was saved."
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count(Event.id))) == 0


async def test_editing_venue_capacity_and_text(unsubscribed_admin, citizen, app, telegram):
    alice = await citizen("en", "Alice")
    bob = await citizen("en", "Bob")
    await new_event(unsubscribed_admin, venues=("Village club | 1 School St | 1",))
    await app.broadcaster.wait()
    await alice.press(ATTEND)
    await bob.press(ATTEND)
    assert await registrations(app) == {alice.id: ("registered", 1), bob.id: ("waiting", 1)}

    # A bigger hall: the first waiting gets the place, and a message.
    await unsubscribed_admin.send("/event_edit 1 capacity 1 2")
    assert unsubscribed_admin.last_reply().text == "Event #1 is changed."
    assert bob.inbox()[-1].text.startswith("🎉 A place has freed up")
    assert await registrations(app) == {alice.id: ("registered", 1), bob.id: ("registered", 1)}

    await unsubscribed_admin.send("/event_edit 1 venue 1 House of culture | 5 Abay St")
    await app.broadcaster.wait()
    for person in (alice, bob):
        assert "📍 New venue: House of culture, 5 Abay St" in person.inbox()[-1].text

    await unsubscribed_admin.send(
        "/event_edit 1 text en Budget hearing\nBring <b>questions</b> & ideas"
    )
    await app.broadcaster.wait()
    assert "📝 The title or description was updated." in alice.inbox()[-1].text
    await alice.send("/events")
    card = alice.last_reply().text
    assert card.startswith("📅 <b>Budget hearing</b>")
    assert "Bring &lt;b&gt;questions&lt;/b&gt; &amp; ideas" in card, "command text is escaped"
    assert "House of culture, 5 Abay St · 0 places left" not in card
    assert "full, waiting list open" in card

    await unsubscribed_admin.send("/event_edit 1")
    assert unsubscribed_admin.last_reply().text.startswith("What to change:")
    # Capacity and reminders concern only the council: registrants hear nothing of them.
    before = len(alice.inbox())
    await unsubscribed_admin.send("/event_edit 1 reminders 2h")
    await unsubscribed_admin.send("/event_edit 1 capacity 1 -")
    await app.broadcaster.wait()
    assert len(alice.inbox()) == before


async def test_a_press_acts_on_the_event_as_it_is_now(
    unsubscribed_admin, citizen, app, clock, telegram
):
    """A wave's presses share one reading of the event (bot/cache.py, EventSnapshots); a press
    after an edit or a cancellation still sees the event as it is now."""
    alice = await citizen("en", "Alice")
    bob = await citizen("en", "Bob")
    carol = await citizen("en", "Carol")
    await new_event(unsubscribed_admin, venues=("Village club | 1 School St | 1",))
    await app.broadcaster.wait()
    await alice.press(ATTEND)  # the event is read here, and kept for the presses that follow
    assert alice.last_reply().text.startswith("✅ You are registered for «Round table».")

    clock.advance(minutes=1)
    await unsubscribed_admin.send("/event_edit 1 venue 1 House of culture | 5 Abay St")
    await unsubscribed_admin.send("/event_edit 1 text en Budget hearing")
    await app.broadcaster.wait()
    await bob.press(ATTEND)
    confirmation = bob.last_reply().text
    assert confirmation.startswith(
        "⏳ All places at House of culture, 5 Abay St are taken. You are on the waiting list "
        "for «Budget hearing», number 1."
    )

    clock.advance(minutes=1)
    await unsubscribed_admin.send("/event_cancel 1 The hall is closed")
    await app.broadcaster.wait()
    await carol.press(ATTEND)
    assert carol.alerts() == ["This event has been cancelled."]
    assert await registrations(app) == {alice.id: ("registered", 1), bob.id: ("waiting", 1)}


async def test_a_failing_event_job_does_not_hold_up_broadcasts(
    unsubscribed_admin, citizen, app, telegram, monkeypatch
):
    alice = await citizen("en")

    async def broken() -> int:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(app.events, "publish_due", broken)
    async with app.sessionmaker() as session:
        await BroadcastService(session, app.clock).create(
            BroadcastDraft(
                council_id=1,
                texts={"en": "Water supply news"},
                photo_file_id=None,
                audience_language=None,
                scheduled_at=app.clock.now(),
            ),
            Staff(ADMIN_ID, is_superadmin=True),
        )
        await session.commit()
    await run_jobs(app)  # the scheduler's wake: publishing fails, the broadcast still goes
    assert received(telegram, "Water supply news") == Counter({alice.id: 1})


async def test_who_an_event_is_for_is_edited_per_language(unsubscribed_admin, citizen, app):
    aigerim = await citizen("kk", "Айгерім")
    ivan = await citizen("ru", "Иван")
    await new_event(
        unsubscribed_admin,
        texts={"kk": "Дөңгелек үстел\nЖолдар туралы.", "ru": "Круглый стол\nО дорогах."},
        audience={"ru": "учителя"},
    )
    await app.broadcaster.wait()

    async def cards() -> tuple[str, str]:
        await aigerim.send("/events")
        await ivan.send("/events")
        return aigerim.last_reply().text, ivan.last_reply().text

    kk, ru = await cards()
    assert "👥" not in kk and "👥 Для кого: учителя" in ru

    await unsubscribed_admin.send("/event_edit 1 audience kk мұғалімдер, <жастар>")
    await unsubscribed_admin.send("/event_edit 1 audience ru -")
    kk, ru = await cards()
    assert "👥 Кімге арналған: мұғалімдер, &lt;жастар&gt;" in kk, "escaped"
    assert "👥" not in ru

    await unsubscribed_admin.send("/event_edit 1 audience de teachers")
    assert unsubscribed_admin.last_reply().text == "Give the language as kk, ru or en."
    async with app.sessionmaker() as session:
        event = await session.get(Event, 1)
    assert (event.audience_kk, event.audience_ru, event.audience_en) == (
        "мұғалімдер, <жастар>",
        None,
        None,
    )
