"""Broadcasts: subscribers, per-language texts, scheduling, the rate limit, 429/403, crashes."""

import re
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.ratelimit import RateLimiter
from db.models import Broadcast, BroadcastStatus, Delivery, DeliveryStatus, Subscription, User
from tests.conftest import ADMIN_ID, ALMATY
from tests.fakes import FakeTime
from tests.flows import Crash, add_subscribers, received

# Whose copies received() leaves aside: the superadmin, and the secretaries `saule` makes.
STAFF = {ADMIN_ID}


@pytest.fixture
async def saule(citizen, make_user, fake_time):
    admin = await citizen("en", "Admin", user_id=ADMIN_ID)
    await admin.send("/invite")
    payload = re.search(r"start=(inv_[\w-]+)", admin.last_reply().text).group(1)
    person = make_user("Saule")
    await person.send(f"/start {payload}")
    await person.press("English")
    # The staff read announcements elsewhere; here they only compose and see previews.
    await admin.send("/unsubscribe")
    await person.send("/unsubscribe")
    STAFF.add(person.id)
    return person


async def compose(saule, texts: dict[str, str], *, audience="All subscribers", when=None):
    await saule.send("/broadcast")
    for language in ("kk", "ru", "en"):
        await saule.send(texts.get(language, "/skip"))
    await saule.send("/skip")  # no photo
    await saule.press(audience)
    if when is None:
        await saule.press("Send now")
    else:
        await saule.send(when)
    await saule.press("Confirm")


async def test_starting_the_bot_subscribes_and_the_button_unsubscribes(
    citizen, app, saule, telegram
):
    alice = await citizen("en")
    async with app.sessionmaker() as session:
        subscription = await session.scalar(
            select(Subscription).where(Subscription.user_id == alice.id)
        )
    assert subscription is not None and subscription.active

    await compose(saule, {"en": "Round table on Friday"})
    await app.broadcaster.wait()
    message = alice.inbox()[-1]
    assert message.text == "Round table on Friday"
    assert message.buttons == ["Unsubscribe"]
    await alice.press("Unsubscribe")
    assert alice.alerts()[0].startswith("You will no longer receive announcements.")

    await compose(saule, {"en": "Second announcement"})
    await app.broadcaster.wait()
    assert received(telegram, "Second announcement", STAFF)[alice.id] == 0

    await alice.press_data("unsub:999")  # a forged button: no such council
    assert alice.alerts() == ["This button is no longer valid."]
    await alice.send("/subscribe")
    assert alice.last_reply().text.startswith("You are subscribed to the announcements of")
    await compose(saule, {"en": "Third announcement"})
    await app.broadcaster.wait()
    assert received(telegram, "Third announcement", STAFF)[alice.id] == 1

    await alice.send("/unsubscribe")
    await compose(saule, {"en": "Fourth announcement"})
    await app.broadcaster.wait()
    assert received(telegram, "Fourth announcement", STAFF)[alice.id] == 0


async def test_each_citizen_gets_their_language_with_fallback(citizen, app, saule, telegram):
    aigerim = await citizen("kk", "Айгерім")
    ivan = await citizen("ru", "Иван")
    john = await citizen("en", "John")
    await compose(saule, {"kk": "Дөңгелек үстел жұма күні", "ru": "Круглый стол в пятницу"})
    previews = [reply.text for reply in saule.inbox() if reply.text.startswith("Preview")]
    assert previews[-3:] == [
        "Preview for readers in Kazakh:",
        "Preview for readers in Russian:",
        "Preview for readers in English: (no text: falls back)",
    ]
    await app.broadcaster.wait()
    assert aigerim.inbox()[-1].text == "Дөңгелек үстел жұма күні"
    assert aigerim.inbox()[-1].buttons == ["Жазылымнан бас тарту"]
    assert ivan.inbox()[-1].text == "Круглый стол в пятницу"
    # English is missing: the council's default language (Russian) stands in.
    assert john.inbox()[-1].text == "Круглый стол в пятницу"
    assert john.inbox()[-1].buttons == ["Unsubscribe"]


async def test_audience_of_one_language(citizen, app, saule, telegram):
    aigerim = await citizen("kk", "Айгерім")
    ivan = await citizen("ru", "Иван")
    await compose(
        saule, {"kk": "Тек қазақша", "ru": "Только по-русски"}, audience="Only readers in Kazakh"
    )
    await app.broadcaster.wait()
    assert received(telegram, "Тек қазақша", STAFF) == Counter({aigerim.id: 1})
    assert received(telegram, "Только по-русски", STAFF)[ivan.id] == 0


async def test_scheduled_broadcast_waits_for_its_time_and_can_be_cancelled(
    citizen, app, saule, clock, telegram
):
    alice = await citizen("en")
    await compose(saule, {"en": "Scheduled news"}, when="24.11.2026 15:00")
    assert saule.last_reply().text.startswith(
        "Broadcast #1 is scheduled for 24 November 2026, 15:00."
    )
    assert await app.broadcaster.tick() == []
    clock.set(datetime(2026, 11, 24, 15, 0, 30, tzinfo=ALMATY))
    assert await app.broadcaster.tick() == [1]
    await app.broadcaster.wait()
    assert received(telegram, "Scheduled news", STAFF) == Counter({alice.id: 1})

    await compose(saule, {"en": "Cancelled news"}, when="25.11.2026 10:00")
    await saule.send("/broadcast_cancel 2")
    assert saule.last_reply().text == "Broadcast #2 is cancelled; nothing was sent."
    clock.set(datetime(2026, 11, 25, 11, 0, tzinfo=ALMATY))
    assert await app.broadcaster.tick() == []
    assert received(telegram, "Cancelled news", STAFF) == Counter()


async def test_bad_input_to_the_wizard_changes_nothing(citizen, app, saule):
    alice = await citizen("en")
    await alice.send("/broadcast")
    assert alice.last_reply().text == "This command is only for council secretaries."
    await saule.send("/broadcast")
    await saule.send_sticker()
    assert saule.last_reply().text == "Please send the text of the announcement, or /skip."
    for _ in range(3):
        await saule.send("/skip")
    assert saule.last_reply().text == "Send the text in Kazakh, or /skip if there is none."
    await saule.send("Text")
    await saule.send("/skip")
    await saule.send("/skip")
    await saule.send("/skip")
    await saule.press("All subscribers")
    await saule.send("31.02.2027 15:00")
    assert saule.last_reply().text.startswith("Write the date and time like 06.02.2027 15:00")
    await saule.send("01.01.2020 10:00")
    assert saule.last_reply().text == "That time has already passed. Give a time in the future."
    await saule.send("/cancel")
    await saule.send("/broadcast_cancel 99")
    assert saule.last_reply().text == "No such broadcast among your councils'."
    async with app.sessionmaker() as session:
        assert list(await session.scalars(select(Broadcast))) == []


async def test_429_pauses_everything_and_403_is_skipped(app, saule, telegram, fake_time):
    ids = await add_subscribers(app, 40)
    blocked = ids[5]
    telegram.block(blocked)
    telegram.fail("sendMessage", chat_id=ids[20], status=429, retry_after=2)
    await compose(saule, {"ru": "Новость для всех"})
    await app.broadcaster.wait()

    got = received(telegram, "Новость для всех", STAFF)
    assert set(got) == set(ids) - {blocked}
    assert max(got.values()) == 1, "nobody twice"
    assert 2 in fake_time.sleeps, "the whole sender paused for retry_after"
    async with app.sessionmaker() as session:
        statuses = Counter(
            d.status
            for d in await session.scalars(select(Delivery).where(Delivery.broadcast_id == 1))
        )
        assert statuses == {DeliveryStatus.SENT: 39, DeliveryStatus.BLOCKED: 1}
        assert not (await session.get(User, blocked)).is_active
    report = saule.inbox()[-1].text
    assert "Recipients: 40" in report and "Delivered: 39" in report
    assert "Blocked the bot: 1" in report


async def test_blocked_users_are_skipped_and_counted(app, saule, telegram):
    ids = await add_subscribers(app, 5)
    async with app.sessionmaker() as session:
        (await session.get(User, ids[0])).is_active = False
        await session.commit()
    await compose(saule, {"ru": "Объявление"})
    await app.broadcaster.wait()
    assert set(received(telegram, "Объявление", STAFF)) == set(ids[1:])
    assert "Blocked the bot: 1" in saule.inbox()[-1].text


async def test_other_errors_are_retried_then_failed(app, saule, telegram, fake_time):
    ids = await add_subscribers(app, 3)
    telegram.fail(
        "sendMessage", chat_id=ids[0], status=500, description="Internal Server Error", times=1
    )
    telegram.fail(
        "sendMessage", chat_id=ids[1], status=500, description="Internal Server Error", times=5
    )
    await compose(saule, {"ru": "Повтор"})
    await app.broadcaster.wait()
    got = received(telegram, "Повтор", STAFF)
    assert got[ids[0]] == 1 and got[ids[1]] == 0 and got[ids[2]] == 1
    async with app.sessionmaker() as session:
        failed = await session.scalar(select(Delivery).where(Delivery.user_id == ids[1]))
    assert failed.status == DeliveryStatus.FAILED and failed.attempts == 3
    assert "Internal Server Error" in failed.error
    assert "Failed: 1" in saule.inbox()[-1].text


async def test_progress_is_edited_and_ends_with_the_report(app, saule, telegram):
    await add_subscribers(app, 30)
    app.broadcaster.chunk = 5
    await compose(saule, {"ru": "Прогресс"})
    await app.broadcaster.wait()
    progress_id = next(
        r.message["message_id"] for r in saule.inbox() if r.text.startswith("📣 Broadcast #1")
    )
    edits = [
        call
        for call in telegram.calls
        if call.name == "editMessageText" and call.method.message_id == progress_id
    ]
    assert len(edits) >= 6
    assert "Sent: 30 of 30" in edits[-1].method.text and "finished" in edits[-1].method.text
    assert saule.inbox()[-1].text.startswith("✅ Broadcast #1 is finished.")


async def test_stop_a_running_broadcast(app, saule, telegram):
    await add_subscribers(app, 30)
    app.broadcaster.chunk = 5

    async def stop_after_ten(call):
        if (
            call.name == "sendMessage"
            and call.text == "Остановить"
            and len(received(telegram, "Остановить", STAFF)) == 10
        ):
            telegram.on_call = None
            await saule.send("/broadcast_cancel 1")

    telegram.on_call = stop_after_ten
    await compose(saule, {"ru": "Остановить"})
    await app.broadcaster.wait()
    assert sum(received(telegram, "Остановить", STAFF).values()) == 10
    async with app.sessionmaker() as session:
        assert (await session.get(Broadcast, 1)).status == BroadcastStatus.STOPPED
    assert saule.inbox()[-1].text.startswith("⏹ Broadcast #1 was stopped.")
    assert "Not sent (stopped): 20" in saule.inbox()[-1].text


async def test_resume_after_a_crash_sends_nobody_twice(
    app, saule, telegram, settings, clock, fake_time
):
    ids = await add_subscribers(app, 50)
    app.broadcaster.chunk = 7

    async def crash_at_23(call):
        ours = call.name == "sendMessage" and call.text == "Не дважды"
        if ours and sum(received(telegram, "Не дважды", STAFF).values()) == 23:
            telegram.on_call = None
            raise Crash

    telegram.on_call = crash_at_23
    await compose(saule, {"ru": "Не дважды"})
    await app.broadcaster.wait()  # the sending task died of the Crash
    async with app.sessionmaker() as session:
        statuses = Counter(d.status for d in await session.scalars(select(Delivery)))
    assert statuses[DeliveryStatus.SENDING] > 0, "the crash left a chunk half-sent"

    restarted = create_app(settings, clock=clock, session=telegram)
    await restarted.start(run_scheduler=False)
    restarted.broadcaster.progress_seconds = 0
    # The dead process's lease still holds: nobody else sends until it has run out.
    sent_before = sum(received(telegram, "Не дважды", STAFF).values())
    await restarted.broadcaster.tick()
    await restarted.broadcaster.wait()
    assert sum(received(telegram, "Не дважды", STAFF).values()) == sent_before
    clock.advance(seconds=settings.broadcast_lease_seconds + 1)
    assert await restarted.broadcaster.tick() == [1]
    await restarted.broadcaster.wait()
    await restarted.stop()

    got = received(telegram, "Не дважды", STAFF)
    assert max(got.values()) == 1, "nobody received it twice"
    async with app.sessionmaker() as session:
        rows = list(await session.scalars(select(Delivery)))
    uncertain = {d.user_id for d in rows if d.status == DeliveryStatus.UNCERTAIN}
    assert 0 < len(uncertain) <= 7, "at most one chunk is ambiguous"
    assert set(got) | uncertain == set(ids), "everyone else got it exactly once"
    assert all(d.status in (DeliveryStatus.SENT, DeliveryStatus.UNCERTAIN) for d in rows)
    report = saule.inbox()[-1].text
    assert f"Unknown (the bot stopped while sending; not sent again): {len(uncertain)}" in report


async def test_missed_schedule_is_sent_late_with_a_note(
    citizen, app, saule, settings, clock, telegram
):
    alice = await citizen("en")
    await compose(saule, {"en": "Late news"}, when="24.11.2026 09:00")
    await app.stop()  # the bot is down when the time comes
    clock.set(datetime(2026, 11, 24, 11, 30, tzinfo=ALMATY))
    restarted = create_app(settings, clock=clock, session=telegram)
    await restarted.start(run_scheduler=False)
    assert await restarted.broadcaster.tick() == [1]
    await restarted.broadcaster.wait()
    await restarted.stop()
    assert received(telegram, "Late news", STAFF) == Counter({alice.id: 1})
    notes = [r.text for r in saule.inbox() if r.text.startswith("⏰")]
    assert notes == [
        "⏰ Broadcast #1 was due at 24 November 2026, 09:00, while the bot was not running. "
        "It is being sent now, late."
    ]


async def test_broadcasts_list(app, saule):
    await add_subscribers(app, 3)
    await compose(saule, {"ru": "Список"})
    await app.broadcaster.wait()
    await saule.send("/broadcasts")
    assert "#1 📣✅" in saule.last_reply().text
    assert "sent 3/3, blocked 0, failed 0" in saule.last_reply().text


async def test_rate_limiter_never_exceeds_the_limit_in_any_second():
    time = FakeTime()
    limiter = RateLimiter(30, window=1.0, monotonic=time.monotonic, sleep=time.sleep)
    starts = []
    for _ in range(300):
        await limiter.acquire()
        starts.append(time.now)
    busiest = max(sum(1 for t in starts if s <= t < s + 1.0) for s in starts)
    assert busiest == 30
    assert starts[-1] - starts[0] == pytest.approx(299 / 30), "evenly spaced, keeping up"

    await limiter.pause(5)
    before = time.now
    await limiter.acquire()
    assert time.now - before >= 5


async def test_unlimited_limiter_does_not_wait():
    time = FakeTime()
    limiter = RateLimiter(None, monotonic=time.monotonic, sleep=time.sleep)
    for _ in range(1000):
        await limiter.acquire()
    assert time.sleeps == []


def test_late_threshold():
    from bot.services.broadcasts import is_late

    broadcast = Broadcast(scheduled_at=datetime(2026, 11, 24, 9, 0, tzinfo=ALMATY))
    assert not is_late(broadcast, datetime(2026, 11, 24, 9, 0, 30, tzinfo=ALMATY))
    assert is_late(broadcast, datetime(2026, 11, 24, 9, 0, tzinfo=ALMATY) + timedelta(minutes=5))


async def test_photo_broadcast_keeps_formatting_and_escapes_the_rest(
    citizen, app, saule, telegram
):
    alice = await citizen("en")
    await saule.send("/broadcast")
    await saule.send("/skip")
    await saule.send("/skip")
    await saule.send(
        "Round table & <questions>", entities=[{"type": "bold", "offset": 0, "length": 11}]
    )
    await saule.send_photo()
    await saule.press("All subscribers")
    await saule.press("Send now")
    await saule.press("Confirm")
    await app.broadcaster.wait()
    [photo] = [call for call in telegram.sent(alice.id, "sendPhoto")]
    assert photo.method.photo == "photo-in-1"
    assert photo.method.caption == "<b>Round table</b> &amp; &lt;questions&gt;"
    assert photo.method.reply_markup.inline_keyboard[0][0].text == "Unsubscribe"


async def test_two_lanes_at_high_rates_survive_a_crash_too(app, saule, telegram, settings, clock):
    """Unlimited rate: two lanes, each claiming its own chunks; still nobody twice."""
    ids = await add_subscribers(app, 120)
    app.broadcaster.limiter = RateLimiter(None)
    app.broadcaster.chunk = 10
    assert app.broadcaster.lanes == 2

    async def crash_at_50(call):
        ours = call.name == "sendMessage" and call.text == "Две полосы"
        if ours and sum(received(telegram, "Две полосы", STAFF).values()) == 50:
            telegram.on_call = None
            raise Crash

    telegram.on_call = crash_at_50
    await compose(saule, {"ru": "Две полосы"})
    await app.broadcaster.wait()
    restarted = create_app(settings, clock=clock, session=telegram)
    await restarted.start(run_scheduler=False)
    restarted.broadcaster.limiter = RateLimiter(None)
    restarted.broadcaster.chunk = 10
    clock.advance(
        seconds=settings.broadcast_lease_seconds + 1
    )  # the dead process's lease runs out
    await restarted.broadcaster.tick()
    await restarted.broadcaster.wait()
    await restarted.stop()
    got = received(telegram, "Две полосы", STAFF)
    async with app.sessionmaker() as session:
        rows = list(await session.scalars(select(Delivery)))
    uncertain = {d.user_id for d in rows if d.status == DeliveryStatus.UNCERTAIN}
    assert max(got.values()) == 1
    assert len(uncertain) <= 20, "at most one chunk per lane"
    assert set(got) | uncertain == set(ids)
    async with app.sessionmaker() as session:
        assert (await session.get(Broadcast, 1)).status == BroadcastStatus.DONE


async def test_the_wizard_takes_only_what_its_current_step_asks(saule, citizen, app):
    """Stickers, typed button labels, forged and old buttons, and words for a date: each gets
    a clear answer, and the /broadcast wizard stays where it was."""
    await citizen("en")
    await saule.send("/broadcast")
    await saule.send_sticker()
    assert saule.last_reply().text == "Please send the text of the announcement, or /skip."
    await saule.send("Round table on Friday")
    assert saule.last_reply().text == "Send the text in Russian, or /skip if there is none."
    await saule.send("/skip")
    await saule.send("/skip")
    await saule.send("/skip")  # no photo
    audience = saule.last_reply()
    assert audience.text == "Who should receive it?"

    await saule.send("All subscribers")
    assert saule.last_reply().text == "Please use the buttons above, or /cancel to stop."
    await saule.press_data("wz:bc:3:fr", audience)
    assert saule.alerts()[-1] == "This button is no longer valid."
    await saule.press_data("wz:bc:5:send", audience)  # the confirmation's, not yet asked
    assert saule.alerts()[-1] == "This button is no longer valid."
    await saule.press("Only readers in Kazakh", audience)
    assert saule.last_reply().text.startswith("When? Press “Send now”")
    await saule.press_data("wz:bc:3:all", audience)  # pressed again, after it was answered
    assert saule.alerts()[-1] == "This button is no longer valid."

    await saule.send("next Friday")
    assert saule.last_reply().text == (
        "Write the date and time like 06.02.2027 15:00, or press “Send now”."
    )
    await saule.send_sticker()
    assert saule.last_reply().text == (
        "Write the date and time like 06.02.2027 15:00, or press “Send now”."
    )
    await saule.press("Send now")
    assert saule.last_reply().text == "Send to 0 subscribers now?", "only Kazakh readers"
    await saule.press("Cancel")
    assert saule.last_reply().text == "Cancelled. Nothing was sent."
    async with app.sessionmaker() as session:
        assert list(await session.scalars(select(Broadcast))) == []
