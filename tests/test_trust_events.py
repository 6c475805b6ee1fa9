"""Issue 10's failures around events, as they were reproduced: reminders promised and never
sent, and a long title that kept a waiting citizen from hearing they got the place."""

from collections import Counter

import pytest

from tests.flows import ATTEND, at, new_event, received, run_jobs

pytestmark = pytest.mark.usefixtures("fake_time")


def reminders(telegram) -> Counter:
    return received(telegram, "⏰ Reminder")


async def test_an_event_published_30_minutes_ahead_promises_no_reminder(
    unsubscribed_admin, citizen, app, clock, telegram
):
    """Item 9: "reminders will come before the start", and none came."""
    alice = await citizen("en")
    await new_event(unsubscribed_admin, start="23.11.2026 10:30")  # it is 10:00
    await run_jobs(app)
    await alice.press(ATTEND)
    assert alice.last_reply().text.endswith("No reminder will come before the start.")
    for minute in (1, 10, 29):
        clock.set(at(23, 10, minute))
        await run_jobs(app)
    assert reminders(telegram) == Counter()


async def test_an_event_published_10_hours_ahead_promises_and_sends_the_1_hour_one(
    unsubscribed_admin, citizen, app, clock, telegram
):
    alice = await citizen("en")
    await new_event(unsubscribed_admin, start="23.11.2026 20:00")
    await run_jobs(app)
    clock.set(at(23, 10, 5))
    await run_jobs(app)
    await alice.press(ATTEND)
    assert alice.last_reply().text.endswith("A reminder will come 1 hour before the start.")
    clock.set(at(23, 18, 59))
    await run_jobs(app)
    assert reminders(telegram) == Counter()
    clock.set(at(23, 19, 0, 1))
    await run_jobs(app)
    await run_jobs(app)
    assert reminders(telegram) == Counter({alice.id: 1})


async def test_a_registration_after_the_24_hour_mark_gets_the_next_one(
    unsubscribed_admin, citizen, app, clock, telegram
):
    alice = await citizen("en", "Alice")
    bob = await citizen("en", "Bob")
    await new_event(unsubscribed_admin)  # 27 November 15:00, published four days ahead
    await app.broadcaster.wait()
    await alice.press(ATTEND)
    assert alice.last_reply().text.endswith(
        "Reminders will come 1 day before the start and 1 hour before the start."
    )
    clock.set(at(26, 15, 0, 1))
    await run_jobs(app)
    await bob.press(ATTEND)  # after the 24-hour reminder went out
    assert bob.last_reply().text.endswith("A reminder will come 1 hour before the start.")
    clock.set(at(27, 14, 0, 1))
    await run_jobs(app)
    assert reminders(telegram) == Counter({alice.id: 2, bob.id: 1})


async def test_a_moved_event_promises_what_its_new_time_will_bring(
    unsubscribed_admin, citizen, app, clock, telegram
):
    alice = await citizen("en", "Alice")
    carol = await citizen("en", "Carol")
    await new_event(unsubscribed_admin)
    await app.broadcaster.wait()
    await alice.press(ATTEND)
    clock.set(at(26, 15, 0, 1))
    await run_jobs(app)
    assert reminders(telegram) == Counter({alice.id: 1})
    await unsubscribed_admin.send("/event_edit 1 start 27.11.2026 16:00")  # one hour later
    await app.broadcaster.wait()
    await carol.press(ATTEND)
    # The new 24-hour mark (26 November 16:00) is still ahead: both are promised and sent.
    assert carol.last_reply().text.endswith(
        "Reminders will come 1 day before the start and 1 hour before the start."
    )
    clock.set(at(26, 16, 0, 1))
    await run_jobs(app)
    clock.set(at(27, 15, 0, 1))
    await run_jobs(app)
    await run_jobs(app)
    assert reminders(telegram) == Counter({alice.id: 3, carol.id: 2})


async def test_cancelling_under_a_long_title_still_moves_the_waiting_list_up(
    unsubscribed_admin, citizen, app, telegram
):
    """Item 18: the pop-up with a 200-character title was refused after the database had moved
    the first waiting citizen up, and that citizen never heard of it."""
    title = "Қоғамдық тыңдау — " * 12
    title = title[:200]
    alice = await citizen("en", "Alice")
    bob = await citizen("en", "Bob")
    await new_event(
        unsubscribed_admin, texts={"en": title}, venues=("Village club | 1 School St | 1",)
    )
    await app.broadcaster.wait()
    await alice.press(ATTEND)
    await bob.press(ATTEND)
    await alice.press("Cancel my registration")
    assert alice.alerts() == ["Your registration is cancelled."]
    assert bob.inbox()[-1].text.startswith("🎉 A place has freed up: you are now registered")


async def test_a_moved_event_sends_no_late_reminder_for_a_mark_already_past(
    unsubscribed_admin, citizen, app, clock, telegram
):
    """Moved 30 minutes later after the 24-hour reminder went out: the new 24-hour mark is
    already behind, so it is neither promised nor sent late; the 1-hour one comes once."""
    alice = await citizen("en", "Alice")
    bob = await citizen("en", "Bob")
    await new_event(unsubscribed_admin)
    await app.broadcaster.wait()
    await alice.press(ATTEND)
    clock.set(at(26, 15, 0, 1))
    await run_jobs(app)
    assert reminders(telegram) == Counter({alice.id: 1})
    clock.set(at(26, 16))
    await unsubscribed_admin.send("/event_edit 1 start 27.11.2026 15:30")
    await app.broadcaster.wait()
    await run_jobs(app)
    assert reminders(telegram) == Counter({alice.id: 1}), "no late 24-hour reminder"
    await bob.press(ATTEND)
    assert bob.last_reply().text.endswith("A reminder will come 1 hour before the start.")
    clock.set(at(27, 14, 30, 1))
    await run_jobs(app)
    await run_jobs(app)
    assert reminders(telegram) == Counter({alice.id: 2, bob.id: 1})
