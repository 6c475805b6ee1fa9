"""Every kind of button, forged: someone else's ids, ids that do not exist, malformed data,
stale buttons after the state moved on. Each gets a clear refusal and changes nothing."""

import pytest

from tests.flows import ask_in, new_event, snapshot

REFUSALS = {
    "This button is no longer valid.",
    "Question not found.",
    "Only the council's secretaries can do this.",
    "This is a preview: the buttons work in the announcement citizens receive.",
    "This event is not available.",
    "You are not registered for this event.",
    "No upcoming events yet.",  # a forged page of a list that is empty
}

# Bob is a citizen. Question 1 is Alice's, answered; event 1 is published; council 1 exists.
FORGED = [
    # Someone else's question: rate, follow up, open, staff card actions and views.
    "rate:1:1",
    "rate:1:0",
    "fup:1",
    "myq:1",
    "card:take:1",
    "card:answer:1",
    "card:reject:1",
    "sq:1",
    "inb:0",
    "mya:w:1",
    "mya:wy:1",
    "mya:wn:1",
    "mya:e:1",
    "obj:1",
    "dme:y:100002",  # Alice's /delete_me confirmation, pressed by Bob
    "dme:n:100002",
    # Ids that do not exist.
    "rate:999:1",
    "fup:999",
    "myq:999",
    "card:answer:999",
    "unsub:999",
    "ev:go:999:0:0",
    "ev:leave:999:0:0",
    "ev:ics:999:0:0",
    "ev:open:999:0:0",
    "evp:999",
    "sub:999",
    # Malformed data.
    "rate:x:1",
    "rate:1:maybe",
    "card:burn:1",
    "mya:x:1",
    "obj:x",
    "card:answer:",
    "ev:explode:1:0:0",
    "dme:x:1",
    "dme:y:alice",
    "lang:xx",
    "myp:-5",
    "",
    "😀" * 16,
    # Stale wizard buttons: the conversation they belonged to is over.
    "ac:1",
    "at:1",
    "an:1",
    "acs:1",
    "acf:1",
    "pdw:1",
    "bcc:1",
    "bca:all",
    "bcn:1",
    "bcf:1",
    "nec:1",
    "ned:now",
    "pv",
]


@pytest.fixture
async def scene(citizen, secretary, app):
    saule = await secretary()
    alice = await citizen("en", "Alice")
    await ask_in(app, alice, "en")
    await saule.send("/answer 1 The repair starts in May.")
    bob = await citizen("en", "Bob")
    await new_event(saule, choice="Save as draft")
    return bob


@pytest.mark.parametrize("data", FORGED)
async def test_a_forged_button_is_refused_and_changes_nothing(scene, app, data):
    bob = scene
    before = await snapshot(app)
    await bob.press_data(data)
    said = bob.alerts() or [reply.text for reply in bob.replies()]
    assert said, f"no answer to {data!r}"
    assert set(said) <= REFUSALS, said
    assert await snapshot(app) == before
