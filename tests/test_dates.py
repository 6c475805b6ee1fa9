"""Dates, numbers, zones and counts as each language writes them (CLDR via Babel, ngettext)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import create_i18n, format_number, format_when, zone_name
from bot.services.errors import QuestionRefusal, Refused
from bot.views.event_cards import format_lead
from bot.views.refusals import refusal_alert

ALMATY = ZoneInfo("Asia/Almaty")
MOMENT = datetime(2027, 2, 6, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("kk", "2027\u202fж. 6 ақпан, 15:00"),
        ("ru", "6 февраля 2027\u202fг., 15:00"),
        ("en", "6 February 2027, 15:00"),
    ],
)
def test_one_date_time_style_per_language(language, expected):
    assert format_when(MOMENT, language, ALMATY) == expected


@pytest.mark.parametrize(("language", "expected"), [("kk", "2,5"), ("ru", "2,5"), ("en", "2.5")])
def test_decimals_use_the_locales_separator(language, expected):
    assert format_number(2.5, language) == expected
    assert format_number(3.0, language) == "3"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("kk", "Қазақстан уақыты, UTC+5"),
        ("ru", "время Казахстана, UTC+5"),
        ("en", "Kazakhstan time, UTC+5"),
    ],
)
def test_a_kazakhstan_zone_is_named_in_words(language, expected):
    i18n = create_i18n("en")
    with i18n.context(), i18n.use_locale(language):
        assert zone_name(ALMATY, language, MOMENT) == expected
        assert zone_name(ZoneInfo("Europe/Berlin"), language, MOMENT) == "UTC+1"
        assert zone_name(ZoneInfo("Asia/Kolkata"), language, MOMENT) == "UTC+5:30"


@pytest.mark.parametrize(
    ("language", "hour", "day"),
    [("kk", "1 сағат", "1 күн"), ("ru", "1 час", "1 день"), ("en", "1 hour", "1 day")],
)
def test_one_hour_not_sixty_minutes(language, hour, day):
    assert format_lead(3600, language) == hour
    assert format_lead(86400, language) == day


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (1, "У вас уже 1 вопрос ждёт ответа."),
        (2, "У вас уже 2 вопроса ждут ответа."),
        (5, "У вас уже 5 вопросов ждут ответа."),
        (21, "У вас уже 21 вопрос ждёт ответа."),
    ],
)
def test_a_limit_from_settings_is_counted_in_russian(limit, expected):
    i18n = create_i18n("en")
    with i18n.context(), i18n.use_locale("ru"):
        shown = refusal_alert(Refused(QuestionRefusal.TOO_MANY_OPEN, limit=limit))
    assert shown.startswith(expected)


@pytest.mark.parametrize(
    ("language", "one", "two"),
    [
        (
            "en",
            "You can send at most 1 question a day.",
            "You can send at most 2 questions a day.",
        ),
        ("kk", "Күніне ең көбі 1 сұрақ", "Күніне ең көбі 2 сұрақ"),
    ],
)
def test_a_limit_is_counted_in_kazakh_and_english(language, one, two):
    i18n = create_i18n("en")
    with i18n.context(), i18n.use_locale(language):
        assert refusal_alert(Refused(QuestionRefusal.TOO_MANY_TODAY, limit=1)).startswith(one)
        assert refusal_alert(Refused(QuestionRefusal.TOO_MANY_TODAY, limit=2)).startswith(two)
