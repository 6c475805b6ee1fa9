"""A citizen's first contact: the language picker, and everything after in that language."""

from sqlalchemy import select

from db.models import User

PICKER = ["Қазақша", "Русский", "English"]


async def test_new_user_gets_picker_with_nothing_preselected(make_user):
    alice = make_user()
    await alice.send("/start")
    reply = alice.last_reply()
    assert reply.buttons == PICKER
    assert "Тілді таңдаңыз" in reply.text
    assert "Выберите язык" in reply.text
    assert "Choose your language" in reply.text


async def test_picking_kazakh_then_switching_to_russian(make_user, app):
    alice = make_user()
    await alice.send("/start")
    await alice.press("Қазақша")
    edited, greeting = alice.replies()
    assert edited.edited and edited.text == "Тіл: Қазақша"
    assert greeting.text.startswith("Қош келдіңіз!")

    await alice.send("/help")
    assert alice.last_reply().text.startswith("Мен не істей аламын:")

    await alice.send("/language")
    assert alice.last_reply().buttons == PICKER
    await alice.press("Русский")
    await alice.send("/help")
    assert alice.last_reply().text.startswith("Что я умею:")

    async with app.sessionmaker() as session:
        stored = await session.scalar(select(User.language).where(User.id == alice.id))
    assert stored == "ru"


async def test_telegram_language_does_not_preselect(make_user, app):
    aset = make_user("Айгерім", language_code="kk")
    await aset.send("/start")
    assert aset.last_reply().buttons == PICKER
    async with app.sessionmaker() as session:
        user = await session.get(User, aset.id)
    assert user.language is None
    assert user.telegram_language == "kk"


async def test_returning_user_is_greeted_in_their_language(citizen):
    alice = await citizen("ru")
    await alice.send("/start")
    reply = alice.last_reply()
    assert reply.text.startswith("С возвращением!")
    assert reply.buttons == []


async def test_language_survives_cancel_of_a_flow(citizen):
    alice = await citizen("kk")
    await alice.send("/cancel")
    assert alice.last_reply().text == "Болдырмайтын ештеңе жоқ."
    await alice.send("/help")
    assert alice.last_reply().text.startswith("Мен не істей аламын:")


async def test_forged_language_code_changes_nothing(citizen, app):
    alice = await citizen("en")
    await alice.press_data("lang:xx")
    assert alice.alerts() == ["This button is no longer valid."]
    async with app.sessionmaker() as session:
        assert (await session.get(User, alice.id)).language == "en"
