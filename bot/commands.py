"""The command menus Telegram shows: one per Telegram language for everyone, and one per chat in
the language the user picked, with the staff's and the superadmins' commands for them."""

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from aiogram.utils.i18n import I18n

from bot.config import LANGUAGES
from bot.i18n import N_
from bot.services.container import Services

logger = logging.getLogger(__name__)

CITIZEN_COMMANDS: list[tuple[str, str]] = [
    ("start", N_("Start and main menu")),
    ("ask", N_("Ask the public council a question")),
    ("my", N_("My questions and answers")),
    ("faq", N_("Answers the council has published")),
    ("events", N_("Upcoming events of the council")),
    ("privacy", N_("Your personal data and consent")),
    ("my_data", N_("A copy of everything the bot holds about you")),
    ("delete_me", N_("Erase your personal data")),
    ("subscribe", N_("Receive the council's announcements")),
    ("unsubscribe", N_("Stop the announcements")),
    ("help", N_("What the bot can do")),
    ("language", N_("Change the language")),
    ("cancel", N_("Cancel the current action")),
]
# Shown in /help to those who may use them, and in the chat menu of the staff.
STAFF_COMMANDS: list[tuple[str, str]] = [
    (
        "inbox",
        N_("[mine | unassigned | overdue | <topic>] — open questions, soonest deadline first"),
    ),
    ("q", N_("<ticket> — one question with its history")),
    ("take", N_("<ticket> — take into work")),
    ("answer", N_("<ticket> <text> — answer (or reply to a question card)")),
    ("reject", N_("<ticket> <reason> — reject")),
    ("extend", N_("<ticket> <date or +N> <reason> — extend the answer period, with a reason")),
    ("forward", N_("<ticket> <council or body> | <reason> — forward by competence")),
    ("assign", N_("<ticket> <secretary> — give the question to a secretary to hold")),
    ("note", N_("<ticket> <text> — an internal note, seen only by the staff")),
    ("find", N_("<words> — search questions, answers and notes")),
    ("publish", N_("<ticket> [| <wording>] — publish an answer in /faq, if the citizen allows")),
    ("unpublish", N_("<ticket> — remove an answer from /faq")),
    ("ban", N_("<ticket> — bar the author from asking this council")),
    ("unban", N_("<ticket> — lift the ban")),
    ("export", N_("[YYYY-MM-DD YYYY-MM-DD] — questions as XLSX and CSV")),
    ("stats", N_("statistics")),
    ("audit", N_("[<days> | <ticket>] — who did what and when (last 7 days), and as XLSX")),
    ("broadcast", N_("announce to subscribers, now or at a set time")),
    ("broadcasts", N_("broadcasts with their figures")),
    ("broadcast_cancel", N_("<id> — cancel a scheduled broadcast or stop a running one")),
    ("new_event", N_("announce an event: texts, time, venues, contacts")),
    ("events_admin", N_("the council's events with their registrations")),
    ("event_publish", N_("<id> [DD.MM.YYYY HH:MM] — publish a draft, now or later")),
    ("event_edit", N_("<id> <field> <value> — change the time, a venue, a text…")),
    ("event_cancel", N_("<id> <reason> — cancel; everyone registered is told")),
    ("event_attended", N_("<id> <number> … — how many came, one number per venue")),
    ("event_report", N_("<id> — announced, registered, reminded, came: the reach")),
    ("event_registrants", N_("<id> — the list of registrants (XLSX)")),
]
ADMIN_COMMANDS: list[tuple[str, str]] = [
    ("councils", N_("list councils")),
    ("council_add", N_("<kk> | <ru> | <en> — add a council")),
    ("topics", N_("[council] — list topics")),
    ("topic_add", N_("<council> <kk> | <ru> | <en> — add a topic")),
    ("topic_rename", N_("<topic> <kk> | <ru> | <en> — rename a topic")),
    ("topic_hide", N_("<topic> — hide a topic; /topic_show brings it back")),
    ("topic_show", N_("<topic> — show a hidden topic again")),
    ("invite", N_("[council] [chair] — one-time link that makes a secretary or the chair")),
    ("secretaries", N_("[council] — list secretaries and chairs")),
    ("revoke", N_("<user id> [council] — remove a secretary")),
    ("bind", N_("[council] — in a group: post new questions there")),
    ("council_tz", N_("<council> <zone> — the council's time zone, e.g. Asia/Almaty")),
]


def citizen_commands(i18n: I18n, locale: str) -> list[BotCommand]:
    return [
        BotCommand(command=command, description=i18n.gettext(description, locale=locale))
        for command, description in CITIZEN_COMMANDS
    ]


async def set_command_menus(bot: Bot, i18n: I18n, default_language: str) -> None:
    scope = BotCommandScopeAllPrivateChats()
    for language in LANGUAGES:
        await bot.set_my_commands(
            citizen_commands(i18n, language), scope=scope, language_code=language
        )
    # Users whose Telegram language is none of ours see the deployment's default language.
    await bot.set_my_commands(citizen_commands(i18n, default_language), scope=scope)


def chat_commands(
    i18n: I18n, locale: str, *, staff: bool = False, superadmin: bool = False
) -> list[BotCommand]:
    """One chat's menu: the citizens' commands, then the staff's, then the superadmins'."""
    pairs = list(CITIZEN_COMMANDS)
    if staff or superadmin:
        pairs += STAFF_COMMANDS
    if superadmin:
        pairs += ADMIN_COMMANDS
    return [
        BotCommand(command=command, description=i18n.gettext(description, locale=locale))
        for command, description in pairs
    ]


async def set_chat_menu(
    bot: Bot,
    i18n: I18n,
    chat_id: int,
    locale: str,
    *,
    staff: bool = False,
    superadmin: bool = False,
) -> bool:
    """Show this private chat its menu in the language its user picked, whatever language their
    Telegram app speaks. A menu is a convenience: when Telegram refuses it, that is logged and
    whatever asked for it goes on. True when it was set."""
    commands = chat_commands(i18n, locale, staff=staff, superadmin=superadmin)
    try:
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id=chat_id))
    except TelegramAPIError as exc:
        logger.warning("the command menu of chat %s was not set: %s", chat_id, exc)
        return False
    return True


async def refresh_chat_menu(
    bot: Bot, i18n: I18n, services: Services, user_id: int, locale: str | None = None
) -> bool:
    """Set a user's chat menu for what they are now (a citizen, a secretary or chair, a
    superadmin), in `locale` or else the language they picked; nothing before they picked one
    (Telegram's per-language menus serve them until then)."""
    locale = locale or await services.users.language_of(user_id)
    if locale is None:
        return False
    staff = await services.councils.staff_of(user_id)
    return await set_chat_menu(
        bot,
        i18n,
        user_id,
        locale,
        staff=bool(staff.council_ids),
        superadmin=staff.is_superadmin,
    )
