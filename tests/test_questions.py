"""A citizen's question from /ask to a rated answer, and the secretary's side of it."""

from datetime import date, datetime

from prometheus_client import REGISTRY
from sqlalchemy import func, select

from db.models import AuditEntry, Question, QuestionStatus, User
from tests.conftest import ALMATY
from tests.flows import QUESTION, ask, stored


async def test_ask_gives_a_receipt_with_ticket_and_due_date(citizen, secretary, app, clock):
    counted = REGISTRY.get_sample_value("bot_questions_total") or 0.0
    saule = await secretary()
    alice = await citizen("en")
    await ask(alice)

    receipt = alice.last_reply().text
    assert "Your question is registered." in receipt
    assert "Ticket: №2026-000001" in receipt
    assert "Topic: Roads and transport" in receipt
    # Monday 23 November 2026 + 15 working days.
    assert "Expected answer by: 14 December 2026" in receipt
    [question] = await stored(app)
    assert question.due_date == date(2026, 12, 14)
    assert question.text == QUESTION
    assert question.status == QuestionStatus.NEW
    assert REGISTRY.get_sample_value("bot_questions_total") == counted + 1, "/metrics counts it"

    card = saule.inbox()[-1]
    assert "📨 Question №2026-000001" in card.text
    assert "From: Alice" in card.text
    assert card.buttons == ["Take", "Answer", "Reject", "Assign", "Extend"]


async def test_whole_path_take_answer_rate(citizen, secretary, app):
    saule = await secretary()
    alice = await citizen("en")
    await ask(alice)
    await saule.press("Take")
    assert alice.inbox()[-1].text == "🔎 Your question №2026-000001 has been taken into work."

    await saule.send("/answer 2026-1 The repair starts in May; the contract is signed.")
    answer = alice.inbox()[-1]
    assert "The repair starts in May" in answer.text
    assert answer.buttons == ["👍", "👎", "Ask a follow-up", "❗ I do not agree"]

    await alice.press("👍")
    assert alice.alerts() == ["Thank you for your rating!"]
    [question] = await stored(app)
    assert question.status == QuestionStatus.ANSWERED
    assert question.rating == 1

    await alice.press_data(answer.button_data("👎"), answer)
    assert alice.alerts() == ["You have already rated this answer."]
    assert (await stored(app))[0].rating == 1


async def test_answer_by_replying_to_the_card(citizen, secretary, app):
    saule = await secretary()
    alice = await citizen("en")
    await ask(alice)
    card = saule.inbox()[-1]
    await saule.reply_to(card, "Yes, the school road is in the 2027 plan.")
    confirmation, refreshed = saule.replies()
    assert confirmation.text == "The answer to №2026-000001 has been sent to the citizen."
    assert "the school road is in the 2027 plan" in alice.inbox()[-1].text
    # The card itself now shows the new status and offers no more actions.
    assert refreshed.edited and refreshed.message["message_id"] == card.message["message_id"]
    assert "answered" in refreshed.text
    assert refreshed.buttons == []


async def test_rejection_reaches_the_citizen_with_the_reason(citizen, secretary, app):
    saule = await secretary()
    alice = await citizen("en")
    await ask(alice)
    await saule.send("/reject №2026-000001 This is a matter for the district akimat.")
    text = alice.inbox()[-1].text
    assert "⛔ Your question №2026-000001 was rejected." in text
    assert "Reason: This is a matter for the district akimat." in text
    [question] = await stored(app)
    assert question.status == QuestionStatus.REJECTED

    await saule.send("/answer 1 Too late")
    assert saule.last_reply().text == "This question has already been rejected."
    assert (await stored(app))[0].resolution == "This is a matter for the district akimat."


async def test_reject_from_the_card_asks_for_a_reason(citizen, secretary, app):
    saule = await secretary()
    alice = await citizen("en")
    await ask(alice)
    await saule.press("Reject")
    assert saule.last_reply().text == (
        "Reply to this message with the reason for rejecting №2026-000001 (or /cancel)."
    )
    await saule.send("Duplicate of an earlier question.")
    assert "Reason: Duplicate of an earlier question." in alice.inbox()[-1].text


async def test_first_answer_wins(citizen, secretary, app):
    saule = await secretary()
    berik = await secretary(first_name="Berik")
    alice = await citizen("en")
    await ask(alice)
    await saule.send("/answer 1 First answer.")
    await berik.send("/answer 1 Second answer.")
    assert berik.last_reply().text == "This question has already been answered."
    [question] = await stored(app)
    assert question.resolution == "First answer."
    answers = [
        text for text in alice.telegram.texts(alice.id) if "Answer to your question" in text
    ]
    assert len(answers) == 1


async def test_user_text_is_escaped_everywhere(citizen, secretary, app):
    saule = await secretary()
    alice = await citizen("en", first_name="<b>Alice</b>")
    await ask(alice, "<script>alert(1)</script> & what about the <i>bus</i>?")
    card = saule.inbox()[-1].text
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt; &amp; what about the &lt;i&gt;bus&lt;/i&gt;?"
        in card
    )
    assert "From: &lt;b&gt;Alice&lt;/b&gt;" in card
    assert "<script>" not in card
    await saule.send("/answer 1 <b>bold</b> answer")
    assert "&lt;b&gt;bold&lt;/b&gt; answer" in alice.inbox()[-1].text


async def test_anonymous_question_hides_identity(citizen, secretary, app):
    saule = await secretary()
    alice = await citizen("en", first_name="Aliya", username="aliya_kz")
    await ask(alice, anonymous=True)
    card = saule.inbox()[-1].text
    assert "From: anonymous" in card
    await saule.send("/take 1")
    await saule.send("/q 1")
    view = saule.last_reply().text
    for secret in ("Aliya", "aliya_kz", str(alice.id)):
        assert secret not in card
        assert secret not in view
    assert "asked (citizen)" in view
    assert "taken into work (Saule)" in view


async def test_citizen_cannot_use_staff_commands(citizen, app):
    alice = await citizen("en")
    await ask(alice)
    for command in ("/answer 1 I answer myself", "/take 1", "/inbox", "/export"):
        await alice.send(command)
        assert alice.last_reply().text == "This command is only for council secretaries."
    await alice.send("/invite")
    assert alice.last_reply().text == "This command is only for superadmins."
    assert (await stored(app))[0].status == QuestionStatus.NEW


async def test_forged_callbacks_cannot_reach_someone_elses_question(citizen, secretary, app):
    saule = await secretary()
    alice = await citizen("en")
    await ask(alice)
    await saule.send("/answer 1 Here is the answer.")
    bob = await citizen("en", first_name="Bob")
    [question] = await stored(app)

    await bob.press_data(f"myq:{question.id}")
    assert bob.alerts() == ["Question not found."]
    await bob.press_data(f"rate:{question.id}:1")
    assert bob.alerts() == ["Question not found."]
    await bob.press_data(f"fup:{question.id}")
    assert bob.alerts() == ["Question not found."]
    await bob.press_data(f"card:answer:{question.id}")
    assert bob.alerts() == ["Only the council's secretaries can do this."]
    await bob.press_data("myq:not-a-number")
    assert bob.alerts() == ["This button is no longer valid."]
    assert "Here is the answer" not in "".join(bob.telegram.texts(bob.id))
    assert (await stored(app))[0].rating is None


async def test_limits_on_open_questions_and_per_day(citizen, secretary, app, settings, clock):
    settings.max_open_questions = 2
    settings.max_questions_per_day = 3
    await secretary()
    alice = await citizen("en")
    await ask(alice, "First question about the park.")
    await ask(alice, "Second question about the park.")
    await alice.send("/ask")
    assert alice.last_reply().text == (
        "You already have 2 questions waiting for an answer. "
        "You can ask a new one when one of them is answered."
    )
    assert len(await stored(app)) == 2

    settings.max_open_questions = 10
    await ask(alice, "Third question about the park.")
    await alice.send("/ask")
    assert alice.last_reply().text == (
        "You can send at most 3 questions a day. Please come back tomorrow."
    )
    clock.advance(days=1)
    await ask(alice, "Fourth question, the next day.")
    assert len(await stored(app)) == 4


async def test_ban_and_unban_without_learning_who(citizen, secretary, app):
    saule = await secretary()
    alice = await citizen("en", first_name="Aliya")
    await ask(alice, anonymous=True)
    await saule.send("/ban 1")
    reply = saule.last_reply().text
    assert reply == "The author of №2026-000001 can no longer send questions to this council."
    assert "Aliya" not in reply
    await alice.send("/ask")
    assert alice.last_reply().text == "You cannot send questions to this council."
    await saule.send("/unban 1")
    await ask(alice, "May I ask again, please?")
    assert len(await stored(app)) == 2


async def test_wrong_input_in_the_flow_gets_a_clear_answer(citizen, secretary, app):
    await secretary()
    alice = await citizen("en")
    await alice.send("/ask")
    await alice.press("Education")
    await alice.send_sticker()
    assert alice.last_reply().text == (
        "Please send your question as text, or a photo, document, voice message or video note."
    )
    await alice.send("Why?")
    assert alice.last_reply().text == (
        "The question is too short: at least 10 characters, please."
    )
    await alice.send("x" * 3001)
    assert alice.last_reply().text == (
        "The question is too long: 3001 characters, at most 3000. Please shorten it."
    )
    await alice.send("/cancel")
    assert alice.last_reply().text == "Cancelled."
    assert await stored(app) == []


async def test_photo_with_caption_reaches_the_secretary(citizen, secretary, app, telegram):
    saule = await secretary()
    alice = await citizen("en")
    await alice.send("/ask")
    await alice.press("Roads and transport")
    await alice.send_photo("The pothole on Abay street, see the photo.")
    await alice.press("Show my name")
    await alice.press("No, do not publish")
    await alice.press("I agree")
    await alice.press("Send")
    [question] = await stored(app)
    assert question.attachment_kind == "photo"
    assert question.attachment_file_id == "photo-in-1"
    photos = telegram.sent(saule.id, "sendPhoto")
    assert len(photos) == 1 and photos[0].method.photo == "photo-in-1"


async def test_consent_is_asked_once_and_stored(citizen, secretary, app, clock):
    await secretary()
    alice = await citizen("en")
    await alice.send("/ask")
    await alice.press("Budget")
    await alice.send("How is the district budget spent?")
    await alice.press("Show my name")
    await alice.press("No, do not publish")
    notice = alice.last_reply()
    assert "Your personal data" in notice.text
    assert "not a formal appeal" in notice.text and "e-Otinish" in notice.text
    agreed_at = clock.now()
    await alice.press("I agree")
    await alice.press("Send")
    async with app.sessionmaker() as session:
        assert (await session.get(User, alice.id)).consent_at == agreed_at

    await alice.send("/ask")
    await alice.press("Budget")
    await alice.send("And the budget of next year?")
    await alice.press("Show my name")
    await alice.press("No, do not publish")
    assert alice.last_reply().buttons == ["Send", "Cancel"], "no second consent notice"


async def test_refusing_consent_sends_nothing(citizen, secretary, app):
    await secretary()
    alice = await citizen("en")
    await alice.send("/ask")
    await alice.press("Budget")
    await alice.send("How is the district budget spent?")
    await alice.press("Show my name")
    await alice.press("No, do not publish")
    await alice.press("I do not agree")
    assert alice.last_reply().text.startswith("Without your consent we cannot accept")
    assert await stored(app) == []


async def test_withdrawing_consent_erases_identity(citizen, secretary, app):
    saule = await secretary()
    alice = await citizen("en", first_name="Aliya", username="aliya_kz")
    await ask(alice)
    await alice.send("/privacy")
    await alice.press("Withdraw consent and erase my data")
    async with app.sessionmaker() as session:
        user = await session.get(User, alice.id)
        assert user.consent_at is None and user.full_name == "" and user.username is None
    await alice.send("/help")
    await saule.send("/q 1")
    assert "Aliya" not in saule.last_reply().text
    assert "From: anonymous" in saule.last_reply().text


async def test_double_send_registers_one_question(citizen, secretary, app):
    await secretary()
    alice = await citizen("en")
    await alice.send("/ask")
    await alice.press("Budget")
    await alice.send("How is the district budget spent?")
    await alice.press("Show my name")
    await alice.press("No, do not publish")
    await alice.press("I agree")
    preview = alice.last_reply()
    await alice.press("Send", preview)
    await alice.press("Send", preview)
    assert alice.alerts() == ["This button is no longer valid."]
    assert len(await stored(app)) == 1


async def test_my_questions_newest_first_with_history(citizen, secretary, app, clock, settings):
    settings.max_questions_per_day = 10
    saule = await secretary()
    alice = await citizen("en")
    for number in range(1, 7):
        await ask(alice, f"Question number {number} about the park.")
        await saule.send(f"/answer {number} Answer number {number}.")
        clock.advance(hours=1)
    await alice.send("/my")
    page = alice.last_reply()
    assert page.text == "Your questions, newest first (page 1 of 2):"
    assert page.buttons[0].startswith("№2026-000006")
    assert page.buttons[-1] == "▶️"
    await alice.press("▶️")
    assert alice.last_reply().buttons == ["№2026-000001 · ✅ answered", "◀️"]
    await alice.press("№2026-000001 · ✅ answered")
    view = alice.last_reply().text
    assert "Question number 1 about the park." in view
    assert "— asked" in view and "— answered" in view
    assert "Answer number 1." in view
    assert "Saule" not in view, "citizens do not see which secretary acted"


async def test_follow_up_goes_to_the_same_council_once(citizen, secretary, app):
    saule = await secretary()
    alice = await citizen("en")
    await ask(alice)
    await saule.send("/answer 1 In May.")
    await alice.press("Ask a follow-up")
    await alice.send("Which May, this year or next?")
    assert "Ticket: №2026-000002" in alice.last_reply().text
    card = saule.inbox()[-1].text
    assert "Follow-up to №2026-000001" in card
    first, second = await stored(app)
    assert second.parent_id == first.id and second.council_id == first.council_id
    await alice.press_data(f"fup:{first.id}")
    assert alice.alerts() == ["You have already sent a follow-up to this question."]


async def test_every_action_is_in_the_audit_log(citizen, secretary, app):
    saule = await secretary()
    alice = await citizen("en")
    await ask(alice)
    await saule.send("/take 1")
    await saule.send("/answer 1 Done.")
    await alice.press("👎")
    async with app.sessionmaker() as session:
        entries = list(
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.question_id.is_not(None))
                .order_by(AuditEntry.id)
            )
        )
    assert [(e.action, e.actor_id) for e in entries] == [
        ("asked", alice.id),
        ("taken", saule.id),
        ("answered", saule.id),
        ("rated", alice.id),
    ]


async def test_ticket_sequence_is_per_year(citizen, secretary, app, clock):
    await secretary()
    alice = await citizen("en")
    clock.set(datetime(2026, 12, 31, 23, 0, tzinfo=ALMATY))
    await ask(alice, "Last question of the year 2026.")
    clock.set(datetime(2027, 1, 5, 10, 0, tzinfo=ALMATY))
    await ask(alice, "First question of the year 2027.")
    async with app.sessionmaker() as session:
        tickets = [q.ticket for q in await session.scalars(select(Question).order_by(Question.id))]
        assert await session.scalar(select(func.count(Question.id))) == 2
    assert tickets == ["№2026-000001", "№2027-000001"]


async def test_answer_button_asks_for_the_text(citizen, secretary, app):
    saule = await secretary()
    alice = await citizen("en")
    await ask(alice)
    await saule.press("Answer")
    assert saule.last_reply().text == (
        "Reply to this message with the answer to №2026-000001 (or /cancel)."
    )
    await saule.send_sticker()
    assert saule.last_reply().text == "Please send text, or /cancel."
    await saule.send("The bus will run every 20 minutes from Monday.")
    assert "every 20 minutes" in alice.inbox()[-1].text
    assert (await stored(app))[0].status == QuestionStatus.ANSWERED
