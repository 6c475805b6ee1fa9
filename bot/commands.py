"""The command menus Telegram shows, one per language."""

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats
from aiogram.utils.i18n import I18n

from bot.config import LANGUAGES
from bot.i18n import N_

CITIZEN_COMMANDS: list[tuple[str, str]] = [
    ("start", N_("Start and main menu")),
    ("help", N_("What the bot can do")),
    ("language", N_("Change the language")),
    ("cancel", N_("Cancel the current action")),
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
