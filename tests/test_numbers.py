"""Odd numbers in commands and buttons: superscript digits, ids longer than 64 bits, forged page
numbers. Each gets a clear answer and leaves the database as it was."""

import pytest
from sqlalchemy import select

from bot.numbers import INT64_MAX, parse_number
from bot.services.events import EventError, parse_capacity
from db.base import Base
from tests.flows import ask, invite, new_event


async def snapshot(app) -> dict[str, list[tuple]]:
    """Every row of every table but the ones each update touches (users, processed updates)."""
    rows = {}
    async with app.sessionmaker() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in ("users", "processed_updates"):
                continue
            rows[table.name] = [tuple(row) for row in await session.execute(select(table))]
    return rows


def test_only_ascii_digits_within_64_bits_are_numbers():
    assert parse_number("42") == 42
    assert parse_number(" 7 ") == 7
    assert parse_number(str(INT64_MAX)) == INT64_MAX
    for text in ("¹", "²", "٣", "１２", "-1", "+1", "1_000", "0x10", "", None, "1.0"):
        assert parse_number(text) is None, text
    assert parse_number(str(INT64_MAX + 1)) is None
    assert parse_number("9" * 25) is None
    assert parse_number("11", maximum=10) is None
    with pytest.raises(EventError):
        parse_capacity("²")


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/invite ¹", "Usage: /invite &lt;council id&gt;"),
        ("/topics ²", "Usage: /topics &lt;council id&gt;"),
        ("/topic_hide ³", "Usage: /topic_hide &lt;topic id&gt; or /topic_show &lt;topic id&gt;"),
        ("/topic_add ² A | B | C", "Usage: /topic_add &lt;council id&gt; &lt;Kazakh&gt; |"),
        ("/revoke 99999999999999999999 1", "Usage: /revoke &lt;user id&gt; [council id]"),
        ("/revoke 1 99999999999999999999", "Usage: /revoke &lt;user id&gt; [council id]"),
        ("/secretaries 9223372036854775808", "Usage: /secretaries &lt;council id&gt;"),
        ("/event_edit ² start 01.02.2027 10:00", "No such event among your councils'."),
        ("/event_report 99999999999999999999999", "No such event among your councils'."),
        ("/event_attended 1 ²", "Usage: /event_attended &lt;id&gt; &lt;number&gt;"),
        ("/broadcast_cancel ²", "Usage: /broadcast_cancel &lt;id&gt;"),
        ("/q ²", "Usage: /q &lt;ticket&gt;"),
    ],
)
async def test_odd_numbers_in_commands_get_a_clear_answer(admin, app, command, answer):
    before = await snapshot(app)
    await admin.send(command)
    assert admin.last_reply().text.startswith(answer)
    assert await snapshot(app) == before


async def test_an_odd_venue_number_or_capacity_gets_a_clear_answer(admin, app):
    event_id = await new_event(admin, choice="Save as draft")
    before = await snapshot(app)
    await admin.send(f"/event_edit {event_id} capacity ² 5")
    assert admin.last_reply().text == "Give a venue number from 1 to 1."
    await admin.send(f"/event_edit {event_id} capacity 1 ²")
    assert (
        admin.last_reply().text
        == "Places must be a whole number from 1 to 100000, or - for no limit."
    )
    assert await snapshot(app) == before


async def test_forged_huge_numbers_in_buttons_are_no_longer_valid(admin, make_user, citizen, app):
    saule = await invite(admin, make_user, "Saule")
    alice = await citizen("en")
    await ask(alice)
    before = await snapshot(app)
    for data in (
        "myp:99999999999999999999999",
        "myp:9223372036854775807",
        "myp:-1",
        "myq:99999999999999999999",
        "rate:99999999999999999999:1",
        "fup:99999999999999999999",
        "ac:99999999999999999999",
        "evp:99999999999999999999",
        "ev:go:99999999999999999999:0:0",
        "sub:99999999999999999999",
        "unsub:99999999999999999999",
    ):
        await alice.press_data(data)
        assert alice.alerts() == ["This button is no longer valid."], data
    for data in (
        "inb:99999999999999999999",
        "sq:99999999999999999999",
        "card:take:99999999999999999999",
    ):
        await saule.press_data(data)
        assert saule.alerts() == ["This button is no longer valid."], data
    assert await snapshot(app) == before

    # The largest page a button can carry just shows the last page.
    await saule.press_data("inb:2147483647", saule.inbox()[-1])
    assert saule.last_reply().text.startswith("1 open question")
