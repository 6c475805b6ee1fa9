"""Gettext catalogs (bot/locales/), the locale of each update, and dates in the user's language."""

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.types import TelegramObject
from aiogram.utils.i18n import I18n, I18nMiddleware, gettext, ngettext
from aiogram.utils.i18n import gettext as _
from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_decimal

from bot.config import LANGUAGES

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "messages"
# Each language's own name, for the picker and "Language: …" (always shown in that language).
LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, with an explicit locale."""
    return message


# A language named inside a sentence, in the sentence's language: ru «на казахском языке»,
# kk «қазақ тілінде» (never «на языке Қазақша»).
IN_LANGUAGE = {"kk": N_("in Kazakh"), "ru": N_("in Russian"), "en": N_("in English")}


def in_language(code: str) -> str:
    """`in Kazakh` in the current locale, for `{in_language}` in a sentence."""
    return gettext(IN_LANGUAGE[code])


class CatalogsNotCompiledError(RuntimeError):
    pass


def create_i18n(default_language: str) -> I18n:
    missing = [
        lang
        for lang in LANGUAGES
        if not (LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo").exists()
    ]
    if missing:
        raise CatalogsNotCompiledError(
            f"catalogs for {', '.join(missing)} are not compiled: run `make catalogs` "
            "(pybabel compile -d bot/locales -D messages)"
        )
    return I18n(path=LOCALES_DIR, default_locale=default_language, domain=DOMAIN)


class StoredLanguageMiddleware(I18nMiddleware):
    """The locale is the language the user picked and we stored, never Telegram's guess.

    aiogram's FSMI18nMiddleware keeps it in FSM data, which `state.clear()` wipes.
    """

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        user = data.get("user")
        if user is not None and user.language:
            return str(user.language)
        return self.i18n.default_locale


def cldr(language: str) -> str:
    """The CLDR locale a language's dates are written in: English as in Britain, day first."""
    return "en_GB" if language == "en" else language


def format_when(moment: datetime, locale: str, tz: ZoneInfo) -> str:
    """A moment as the locale's CLDR long date and its short time, joined the locale's way:
    `2027 ж. 6 ақпан, 15:00`, `6 февраля 2027 г., 15:00`, `6 February 2027, 15:00`."""
    local = moment.astimezone(tz)
    pattern = Locale.parse(cldr(locale)).datetime_formats["long"]
    return str(pattern).format(
        format_time(local, "HH:mm", locale=locale), format_day(local, locale)
    )


def format_day(day: date, locale: str) -> str:
    """A calendar date in the locale's long form: `2027 ж. 6 ақпан`, `6 февраля 2027 г.`."""
    return format_date(day, "long", locale=cldr(locale))


def format_number(value: float, locale: str) -> str:
    """A number with the locale's decimal separator: `2,5` in kk and ru, `2.5` in en."""
    return format_decimal(value, format="#,##0.#", locale=locale)


def median_days_text(days: float | None, locale: str) -> str:
    """`Median time to answer: 2,5 days` in `locale`. ngettext chooses by a whole
    number: a fraction takes the form 2 takes (the form CLDR gives fractions in kk, ru and en:
    «2,5 дня», "2.5 days")."""
    if days is None:
        return _("Median time to answer: no answers yet", locale=locale)
    form = int(days) if days == int(days) else 2
    return ngettext(
        "Median time to answer: {days} day",
        "Median time to answer: {days} days",
        form,
        locale=locale,
    ).format(days=format_number(days, locale))


# Kazakhstan's zones are named in words; any other zone by its offset alone.
_KAZAKHSTAN_ZONES = frozenset(
    {
        "Asia/Almaty",
        "Asia/Aqtau",
        "Asia/Aqtobe",
        "Asia/Atyrau",
        "Asia/Oral",
        "Asia/Qostanay",
        "Asia/Qyzylorda",
    }
)


def zone_name(tz: ZoneInfo, language: str, at: datetime | None = None) -> str:
    """A time zone as people name it: "Kazakhstan time, UTC+5", «время Казахстана, UTC+5»."""
    offset = (at or datetime.now(tz)).astimezone(tz).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    hours, rest = divmod(abs(minutes), 60)
    utc = "UTC" + ("-" if minutes < 0 else "+") + str(hours) + (f":{rest:02d}" if rest else "")
    if tz.key not in _KAZAKHSTAN_ZONES:
        return utc
    return _("Kazakhstan time, {utc}", locale=language).format(utc=utc)
