"""The command menus Telegram shows, one per language."""

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats
from aiogram.utils.i18n import I18n

from bot.config import LANGUAGES
from bot.i18n import N_

CITIZEN_COMMANDS: list[tuple[str, str]] = [
    ("start", N_("Start and main menu")),
    ("ask", N_("Ask the public council a question")),
    ("my", N_("My questions and answers")),
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
# Shown in /help to those who may use them; Telegram's menu keeps to the citizens' commands.
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
    ("invite", N_("[council] [chair] — one-time link that makes a secretary or the chair")),
    ("secretaries", N_("[council] — list secretaries and chairs")),
    ("revoke", N_("<user id> [council] — remove a secretary")),
    ("bind", N_("[council] — in a group: post new questions there")),
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
