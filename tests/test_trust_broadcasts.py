"""Issue 10's failures around announcements: staff counted and reached as subscribers, a
preview's buttons that acted, and Unsubscribe that took "I will attend" with it."""

import re
from collections import Counter

from sqlalchemy import select

from db.models import Delivery, Subscription
from tests.conftest import ADMIN_ID
from tests.flows import ATTEND, new_event


async def subscriptions(app) -> list[tuple[int, bool]]:
    async with app.sessionmaker() as session:
        rows = await session.execute(select(Subscription.user_id, Subscription.active))
        return sorted(tuple(row) for row in rows)


async def test_staff_are_not_an_audience_by_default(citizen, make_user, app, telegram, fake_time):
    """Item 12: "5 subscribers" for 3 citizens; the secretary got their own broadcast."""
    admin = await citizen("en", "Admin", user_id=ADMIN_ID)
    secretaries = []
    for name in ("Saule", "Berik"):
        await admin.send("/invite")
        payload = re.search(r"start=(inv_[\w-]+)", admin.last_reply().text).group(1)
        person = make_user(name)
        await person.send(f"/start {payload}")
        await person.press("English")
        secretaries.append(person)
    saule, berik = secretaries
    citizens = [await citizen("en", name) for name in ("Aliya", "Bolat", "Dana")]

    await saule.send("/broadcast")
    for text in ("/skip", "/skip", "Public hearing on Friday at 15:00."):
        await saule.send(text)
    await saule.send("/skip")
    await saule.press("All subscribers")
    await saule.press("Send now")
    assert saule.last_reply().text == "Send to 3 subscribers now?"

    # The preview's Unsubscribe only says it is a preview.
    before = await subscriptions(app)
    preview = next(r for r in reversed(saule.inbox()) if r.text.startswith("Public hearing"))
    await saule.press("Unsubscribe", preview)
    assert saule.alerts() == [
        "This is a preview: the buttons work in the announcement citizens receive."
    ]
    assert await subscriptions(app) == before

    await saule.press("Confirm")
    await app.broadcaster.wait()
    got = Counter(
        call.chat_id for call in telegram.sent() if "Public hearing" in (call.text or "")
    )
    for person in citizens:
        assert got[person.id] == 1
    assert got[berik.id] == 0 and got[admin.id] == 0
    assert got[saule.id] == 3, "her previews (kk, ru, en) only"
    async with app.sessionmaker() as session:
        recipients = set(await session.scalars(select(Delivery.user_id)))
    assert recipients == {person.id for person in citizens}

    # A secretary who subscribes as a citizen is counted and reached.
    await berik.send("/subscribe")
    await saule.send("/broadcast")
    for text in ("/skip", "/skip", "Second hearing."):
        await saule.send(text)
    await saule.send("/skip")
    await saule.press("All subscribers")
    await saule.press("Send now")
    assert saule.last_reply().text == "Send to 4 subscribers now?"


async def test_one_subscriber_is_counted_in_the_singular(citizen, make_user, app, fake_time):
    admin = await citizen("en", "Admin", user_id=ADMIN_ID)
    await citizen("en", "Aliya")
    await admin.send("/broadcast")
    for text in ("/skip", "/skip", "Public hearing on Friday."):
        await admin.send(text)
    await admin.send("/skip")
    await admin.press("All subscribers")
    await admin.press("Send now")
    assert admin.last_reply().text == "Send to 1 subscriber now?"


async def test_unsubscribe_under_an_announcement_keeps_attend_and_calendar(
    citizen, app, fake_time
):
    """Item 10: Unsubscribe took "I will attend" and "Add to calendar" with it."""
    admin = await citizen("en", "Admin", user_id=ADMIN_ID)
    alice = await citizen("en", "Alice")
    await new_event(admin)
    await app.broadcaster.wait()
    announcement = next(r for r in reversed(alice.inbox()) if ATTEND in r.buttons)
    assert "Unsubscribe" in announcement.buttons
    await alice.press("Unsubscribe", announcement)
    after = next(
        r for r in alice.inbox() if r.message["message_id"] == announcement.message["message_id"]
    )
    assert "Unsubscribe" not in after.buttons
    assert ATTEND in after.buttons and "📅 Add to calendar" in after.buttons
    await alice.press(ATTEND, after)
    assert alice.last_reply().text.startswith("✅ You are registered")
