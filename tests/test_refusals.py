"""Every refusal a service can raise has its words, in kk, ru and en: no code falls back to a
vague "this cannot be done"."""

import string

import pytest

from bot.config import LANGUAGES
from bot.i18n import create_i18n
from bot.services.errors import REFUSAL_CODES, CaseRefusal, EventAdminRefusal, Refused
from bot.services.questions import QuestionError, status_refusal
from bot.views.refusals import TABLES, Counted, refusal, refusal_alert
from db.models import QuestionStatus

ALERT_LIMIT = 200
EVERY_CODE = [code for codes in REFUSAL_CODES for code in codes]


def test_every_enum_of_codes_has_one_table_and_every_code_a_message():
    assert set(TABLES) == set(REFUSAL_CODES)
    for codes, table in TABLES.items():
        assert set(table) == set(codes), codes.__name__


def sample_details(text: str) -> dict[str, object]:
    names = {name for _, name, _, _ in string.Formatter().parse(text) if name}
    return {name: 7 if name != "years" else [2026, 2027] for name in names}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("code", EVERY_CODE, ids=lambda code: f"{type(code).__name__}.{code}")
def test_every_code_reads_in_every_language(language, code):
    i18n = create_i18n("en")
    entry = TABLES[type(code)][code]
    if isinstance(entry, Counted):  # a limit's words follow its number
        with i18n.context(), i18n.use_locale("en"):
            source = entry.words(2)
    else:
        source = entry._args[0]  # the English msgid
    error = Refused(code, **sample_details(source))
    with i18n.context(), i18n.use_locale(language):
        shown = refusal_alert(error)
        as_html = refusal(error)
    assert shown.strip() and "{" not in shown
    # A refusal may be said in a pop-up (answerCallbackQuery), which holds 200 characters.
    assert len(shown.encode("utf-16-le")) // 2 <= ALERT_LIMIT, shown
    if language != "en":
        assert shown != source.format(**error.details), f"untranslated: {shown}"
    assert "<" not in as_html or "&lt;" in as_html


def test_a_status_that_refuses_an_action_says_which_one():
    said = {status: status_refusal(status) for status in QuestionStatus}
    assert said[QuestionStatus.ANSWERED] == CaseRefusal.ALREADY_ANSWERED
    assert len(set(said.values())) == len(QuestionStatus)


def test_arguments_named_in_a_refusal_are_escaped_in_a_message_and_plain_in_a_popup():
    i18n = create_i18n("en")
    error = QuestionError(CaseRefusal.AMBIGUOUS, years=[2026, 2027])
    with i18n.context(), i18n.use_locale("en"):
        assert "(2026, 2027)" in refusal_alert(error)
        reason = Refused(EventAdminRefusal.NO_REASON)
        assert refusal(reason) == "Give the reason: /event_cancel &lt;id&gt; &lt;reason&gt;"
        assert refusal_alert(reason) == "Give the reason: /event_cancel <id> <reason>"
