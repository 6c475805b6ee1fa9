"""The command menu of each private chat: in the language its user picked (not the one their
Telegram app speaks), with the staff's commands for secretaries and chairs and the superadmins'
for superadmins; back to the citizens' menu when the role is taken away. A menu Telegram refuses
never stops what asked for it."""

import re

from bot.commands import ADMIN_COMMANDS, CITIZEN_COMMANDS, STAFF_COMMANDS, chat_commands
from tests.conftest import ADMIN_ID
from tests.flows import said

BUTTONS = {"kk": "Қазақша", "ru": "Русский", "en": "English"}
CITIZEN = [command for command, _ in CITIZEN_COMMANDS]
STAFF = [command for command, _ in STAFF_COMMANDS]
ADMIN = [command for command, _ in ADMIN_COMMANDS]


async def test_the_menu_speaks_the_picked_language_not_telegrams(make_user, telegram, app):
    dana = make_user("Dana", language_code="ru")
    await dana.send("/start")
    assert telegram.menu(dana.id) is None, "Telegram's language menus serve her until she picks"
    await dana.press("Қазақша")
    menu = telegram.menu(dana.id)
    assert list(menu) == CITIZEN
    assert menu["language"] == said(app, "kk", "Change the language") == "Тілді ауыстыру"
    assert menu["ask"] == said(app, "kk", "Ask the public council a question")

    await dana.send("/language")
    await dana.press("English")
    assert telegram.menu(dana.id)["language"] == "Change the language"
    await dana.send("/language")
    await dana.press("Русский")
    assert telegram.menu(dana.id)["language"] == "Сменить язык"


async def invite_link(admin, extra: str = "") -> str:
    await admin.send(f"/invite {extra}".strip())
    return re.search(r"start=(inv_[\w-]+)", admin.last_reply().text).group(1)


async def test_an_invited_secretary_gets_the_staff_menu_in_their_language(
    admin, make_user, citizen, telegram, app
):
    # New to the bot: the menu comes with the language she picks after the welcome.
    saule = make_user("Saule", language_code="en")
    await saule.send(f"/start {await invite_link(admin)}")
    assert telegram.menu(saule.id) is None
    await saule.press("Қазақша")
    menu = telegram.menu(saule.id)
    assert list(menu) == CITIZEN + STAFF
    assert menu["inbox"] == said(
        app,
        "kk",
        "[mine | unassigned | overdue | <topic>] — open questions, soonest deadline first",
    )
    assert not set(ADMIN) & set(menu)

    # Already a citizen in Russian: the staff menu is set the moment the invite is opened.
    berik = await citizen("ru", "Berik")
    assert list(telegram.menu(berik.id)) == CITIZEN
    await berik.send(f"/start {await invite_link(admin, 'chair')}")
    menu = telegram.menu(berik.id)
    assert list(menu) == CITIZEN + STAFF
    assert menu["take"] == said(app, "ru", "<ticket> — take into work")


async def test_revoke_puts_the_citizens_menu_back(admin, make_user, telegram, app):
    saule = make_user("Saule")
    await saule.send(f"/start {await invite_link(admin)}")
    await saule.press("Русский")
    assert "inbox" in telegram.menu(saule.id)

    await admin.send(f"/revoke {saule.id}")
    assert admin.last_reply().text.startswith("The user is no longer a secretary")
    menu = telegram.menu(saule.id)
    assert list(menu) == CITIZEN
    assert menu["language"] == "Сменить язык", "still in the language she picked"


async def test_a_superadmin_sees_every_command_in_their_language(citizen, telegram, app):
    admin = await citizen("kk", "Admin", user_id=ADMIN_ID)
    menu = telegram.menu(admin.id)
    assert list(menu) == CITIZEN + STAFF + ADMIN
    assert menu["council_tz"] == said(
        app, "kk", "<council> <zone> — the council's time zone, e.g. Asia/Almaty"
    )
    # At every start, too (one who picked a language before this existed gets it then).
    before = len(telegram.calls)
    await app.set_superadmin_menus()
    [call] = [call for call in telegram.calls[before:] if call.name == "setMyCommands"]
    assert call.method.scope.chat_id == ADMIN_ID
    assert telegram.menu(admin.id)["councils"] == said(app, "kk", "list councils")


async def test_every_menu_keeps_to_telegrams_limits(app):
    english = chat_commands(app.i18n, "en", staff=True, superadmin=True)
    for language in BUTTONS:
        commands = chat_commands(app.i18n, language, staff=True, superadmin=True)
        assert len(commands) <= 100
        assert len({command.command for command in commands}) == len(commands)
        for command, source in zip(commands, english, strict=True):
            assert re.fullmatch(r"[a-z0-9_]{1,32}", command.command)
            assert 1 <= len(command.description) <= 256
            if language != "en":
                assert command.description != source.description, command.description


async def test_a_refused_menu_does_not_break_the_language_change(citizen, telegram, app, caplog):
    alice = await citizen("en")
    telegram.fail("setMyCommands", status=400, description="Bad Request: chat not found")
    await alice.send("/language")
    await alice.press("Қазақша")
    assert alice.replies()[-1].text == said(
        app,
        "kk",
        "Welcome back! Send /help to see what the bot can do.",
    )
    assert telegram.menu(alice.id)["language"] == "Change the language", "the old one stays"
    assert "was not set" in caplog.text
    await alice.send("/help")
    assert alice.last_reply().text.startswith(said(app, "kk", "What I can do:"))
