"""The whole path with people who speak different languages: each sees their own."""

import re
from datetime import datetime

from db.models import Question, QuestionStatus
from tests.conftest import ADMIN_ID, ALMATY
from tests.flows import stored


async def test_kazakh_citizen_russian_secretary_across_independence_day(
    citizen, make_user, app, clock
):
    admin = await citizen("en", "Admin", user_id=ADMIN_ID)
    await admin.send("/invite")
    payload = re.search(r"start=(inv_[\w-]+)", admin.last_reply().text).group(1)
    sergey = make_user("Сергей")
    await sergey.send(f"/start {payload}")
    await sergey.press("Русский")

    clock.set(datetime(2026, 12, 10, 11, 0, tzinfo=ALMATY))  # Thursday, before 16 December
    dana = await citizen("kk", "Дана")
    await dana.send("/ask")
    await dana.press("Жолдар және көлік")
    await dana.send("Ауылдағы мектепке баратын жол қашан жөнделеді?")
    await dana.press("Атымды көрсету")
    await dana.press("Жоқ, жарияламаңыз")
    await dana.press("Келісемін")
    await dana.press("Жіберу")
    receipt = dana.last_reply().text
    assert receipt.startswith("✅ Сұрағыңыз тіркелді.")
    # Fifteen working days skip 16 December and the New Year holidays (1, 2 and 4 January).
    assert "Жауаптың күтілетін мерзімі: 2027\u202fж. 5 қаңтар" in receipt

    card = sergey.inbox()[-1]
    assert card.text.startswith("📨 Вопрос №2026-000001")
    assert "Тема: Дороги и транспорт" in card.text
    assert "Срок ответа: 5 января 2027\u202fг." in card.text
    assert "От: Дана" in card.text

    await sergey.press("В работу", card)
    assert dana.inbox()[-1].text == "🔎 №2026-000001 сұрағыңыз қарауға алынды."

    await sergey.reply_to(card, "Жол жөндеу 2027 жылдың мамыр айында басталады.")
    assert sergey.replies()[0].text == "Ответ на вопрос №2026-000001 отправлен гражданину."
    answer = dana.inbox()[-1]
    assert answer.text.startswith("💬 №2026-000001 сұрағыңызға жауап:")
    assert "мамыр айында басталады" in answer.text
    assert answer.text.endswith("Бұл жауап пайдалы болды ма?")
    assert answer.buttons == ["👍", "👎", "Нақтылау сұрағын қою", "❗ Келіспеймін"]

    await dana.press("👍")
    assert dana.alerts() == ["Бағаңыз үшін рахмет!"]
    [question] = await stored(app)
    assert (question.status, question.rating) == (QuestionStatus.ANSWERED, 1)

    await dana.send("/my")
    await dana.press("№2026-000001 · ✅ жауап берілді")
    history = dana.last_reply().text
    assert "2026\u202fж. 10 желтоқсан, 11:00" in history


async def test_russian_citizen_across_nauryz(citizen, make_user, app, clock):
    clock.set(datetime(2027, 3, 12, 16, 0, tzinfo=ALMATY))  # Friday before Nauryz
    ivan = await citizen("ru", "Иван")
    await ivan.send("/ask")
    await ivan.press("ЖКХ")
    await ivan.send("Когда дадут горячую воду в доме 5?")
    await ivan.press("Не показывать имя")
    await ivan.press("Нет, не публиковать")
    await ivan.press("Даю согласие")
    await ivan.press("Отправить")
    assert "Ожидаемый срок ответа: 8 апреля 2027\u202fг." in ivan.last_reply().text
    [question] = await stored(app)
    assert isinstance(question, Question) and question.anonymous
