"""Every refusal code (bot/services/errors.py) in the user's words: one table per enum, each
complete (tests/test_refusals.py checks every code in kk, ru and en)."""

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, NamedTuple

from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.i18n import ngettext
from aiogram.utils.text_decorations import html_decoration as html

from bot.services.errors import (
    AuditRefusal,
    BroadcastRefusal,
    CaseRefusal,
    CouncilRefusal,
    EventAdminRefusal,
    EventRefusal,
    QuestionRefusal,
    Refused,
)


class Counted(NamedTuple):
    """A refusal whose words depend on a number among its details (a limit from settings)."""

    key: str
    words: Callable[[int], str]

    def text(self, details: Mapping[str, Any]) -> str:
        return self.words(int(details.get(self.key, 0)))


TEXT_TOO_LONG = Counted(
    "length",
    lambda n: ngettext(
        "The text is too long: {length} character, at most {maximum}.",
        "The text is too long: {length} characters, at most {maximum}.",
        n,
    ),
)

QUESTIONS: Mapping[QuestionRefusal, Any] = {
    QuestionRefusal.BANNED: __("You cannot send questions to this council."),
    QuestionRefusal.TOO_MANY_OPEN: Counted(
        "limit",
        lambda n: ngettext(
            "You already have {limit} question waiting for an answer. "
            "You can ask a new one when it is answered.",
            "You already have {limit} questions waiting for an answer. "
            "You can ask a new one when one of them is answered.",
            n,
        ),
    ),
    QuestionRefusal.TOO_MANY_TODAY: Counted(
        "limit",
        lambda n: ngettext(
            "You can send at most {limit} question a day. Please come back tomorrow.",
            "You can send at most {limit} questions a day. Please come back tomorrow.",
            n,
        ),
    ),
    QuestionRefusal.TOO_SHORT: Counted(
        "minimum",
        lambda n: ngettext(
            "The question is too short: at least {minimum} character, please.",
            "The question is too short: at least {minimum} characters, please.",
            n,
        ),
    ),
    QuestionRefusal.TOO_LONG: Counted(
        "length",
        lambda n: ngettext(
            "The question is too long: {length} character, at most {maximum}. Please shorten it.",
            "The question is too long: {length} characters, at most {maximum}. Please shorten it.",
            n,
        ),
    ),
    QuestionRefusal.NOT_FOUND: __("Question not found."),
    QuestionRefusal.NOT_PUBLISHED: __("This answer is no longer published."),
    QuestionRefusal.NOT_TO_PUBLISH: __(
        "{ticket} will not be published: you did not allow it, or took the permission back."
    ),
    QuestionRefusal.FAQ_NO_WORDS: __(
        "Nothing to search for: give at least one word of {minimum} or more letters or digits."
    ),
    QuestionRefusal.NOT_ANSWERED: __("This question has not been answered yet."),
    QuestionRefusal.ALREADY_RATED: __("You have already rated this answer."),
    QuestionRefusal.FOLLOWUP_USED: __("You have already sent a follow-up to this question."),
    QuestionRefusal.FOLLOWUP_OF_FOLLOWUP: __(
        "A follow-up cannot be followed up. To ask more, send a new question with /ask."
    ),
    QuestionRefusal.ALREADY_SENT: __("This question has already been sent."),
    QuestionRefusal.NOT_TEXT: __(
        "Please send text: stickers, voice messages and files cannot take its place."
    ),
    QuestionRefusal.ALREADY_TAKEN: __(
        "The council has already taken this question into work: it can no longer be withdrawn "
        "or edited."
    ),
    QuestionRefusal.ALREADY_CLOSED: __(
        "This question is already closed: it can no longer be withdrawn or edited."
    ),
    QuestionRefusal.WITHDRAWN: __("You have withdrawn this question."),
    QuestionRefusal.NOT_NEW: __(
        "Only a question the council has not taken up yet can be withdrawn or edited."
    ),
    QuestionRefusal.NOTHING_TO_OBJECT: __(
        "You can object only to an answer or a rejection, and this question has neither."
    ),
    QuestionRefusal.ALREADY_OBJECTED: __(
        "You have already objected once to this question. To ask more, send a new question "
        "with /ask."
    ),
    QuestionRefusal.OBJECTION_AFTER_FOLLOWUP: __(
        "You have sent a follow-up to this answer, so an objection is no longer possible."
    ),
    QuestionRefusal.FOLLOWUP_AFTER_OBJECTION: __(
        "You have objected to this answer, so a follow-up is no longer possible. To ask more, "
        "send a new question with /ask."
    ),
    QuestionRefusal.OBJECTION_TOO_LATE: Counted(
        "days",
        lambda n: ngettext(
            "An objection can be sent within {days} working day of the answer; that time is "
            "over. To ask again, send a new question with /ask.",
            "An objection can be sent within {days} working days of the answer; that time is "
            "over. To ask again, send a new question with /ask.",
            n,
        ),
    ),
    QuestionRefusal.REASON_TOO_SHORT: Counted(
        "minimum",
        lambda n: ngettext(
            "The reason is too short: at least {minimum} character, please.",
            "The reason is too short: at least {minimum} characters, please.",
            n,
        ),
    ),
    QuestionRefusal.FILE_TOO_BIG: __(
        "This file is too large: at most {maximum} MB each. Please send a smaller one, or "
        "describe it in the text."
    ),
    QuestionRefusal.VOICE_TOO_LONG: Counted(
        "maximum",
        lambda n: ngettext(
            "This recording is too long: at most {maximum} minute. Please record a shorter one, "
            "or write the question as text.",
            "This recording is too long: at most {maximum} minutes. Please record a shorter one, "
            "or write the question as text.",
            n,
        ),
    ),
    QuestionRefusal.REASON_TOO_LONG: Counted(
        "length",
        lambda n: ngettext(
            "The reason is too long: {length} character, at most {maximum}. Please shorten it.",
            "The reason is too long: {length} characters, at most {maximum}. Please shorten it.",
            n,
        ),
    ),
}

CASEWORK: Mapping[CaseRefusal, Any] = {
    CaseRefusal.NOT_FOUND: __("No such ticket among your council's questions."),
    CaseRefusal.AMBIGUOUS: __(
        "Several years have this number ({years}): write the ticket with the year."
    ),
    CaseRefusal.NOT_TAKEN: __("Nobody has taken this question into work yet."),
    CaseRefusal.ALREADY_IN_PROGRESS: __("This question is already in work."),
    CaseRefusal.ALREADY_ANSWERED: __("This question has already been answered."),
    CaseRefusal.ALREADY_REJECTED: __("This question has already been rejected."),
    CaseRefusal.EMPTY_ANSWER: __("The text is empty or too short."),
    CaseRefusal.TOO_LONG: TEXT_TOO_LONG,
    CaseRefusal.EXTENSION_BAD_DATE: __(
        "Give the new date as DD.MM.YYYY, or a number of working days to add, like +10."
    ),
    CaseRefusal.EXTENSION_NO_REASON: __(
        "Give the new date and then the reason, like: +10 Information requested from the akimat"
    ),
    CaseRefusal.EXTENSION_NOT_LATER: __("The new date must be later than the current one."),
    CaseRefusal.EXTENSION_TOO_LONG: Counted(
        "months",
        lambda n: ngettext(
            "An extension may reach at most {months} month after the question was received.",
            "An extension may reach at most {months} months after the question was received.",
            n,
        ),
    ),
    CaseRefusal.ALREADY_FORWARDED: __("This question has already been forwarded."),
    CaseRefusal.NOT_A_SECRETARY: __(
        "Only a secretary of this question's council can hold it. Their names: the Assign button "
        "on the card."
    ),
    CaseRefusal.ALREADY_ASSIGNED: __("This secretary already holds this question."),
    CaseRefusal.FORWARD_SAME_COUNCIL: __(
        "The question is already at this council: forward it to another council or body."
    ),
    CaseRefusal.TOO_MANY_FILES: Counted(
        "maximum",
        lambda n: ngettext(
            "An answer can carry at most {maximum} file; this one has {count}.",
            "An answer can carry at most {maximum} files; this one has {count}.",
            n,
        ),
    ),
    CaseRefusal.FILES_WITHOUT_TEXT: __(
        "Write the answer as the caption of the files: files alone are not an answer."
    ),
    CaseRefusal.FILES_ONLY_WITH_ANSWER: __(
        "Only an answer can carry files; send the reason as text."
    ),
    CaseRefusal.HELD_BY_ANOTHER: __(
        "{name} holds this question now. To give it to someone else, use /assign."
    ),
    CaseRefusal.SECRETARY_AMBIGUOUS: __(
        "Several secretaries of this council have this name: write their @username or Telegram "
        "id, or use the Assign button on the card."
    ),
    CaseRefusal.FORWARD_NO_COUNCIL: __(
        "There is no council number {number}. To send the question outside the bot, write the "
        "body's name in words."
    ),
    CaseRefusal.WITHDRAWN: __("The citizen has withdrawn this question."),
    CaseRefusal.REOPENED: __(
        "The citizen has objected to the answer: this question is open again. Take it into "
        "work, answer or reject it."
    ),
    CaseRefusal.SEARCH_NO_WORDS: __(
        "Nothing to search for: give at least one word of {minimum} or more letters or digits."
    ),
    CaseRefusal.PUBLISH_NOT_ANSWERED: __("Only an answered question can be published."),
    CaseRefusal.PUBLISH_NO_CONSENT: __(
        "The citizen did not allow this question to be published, so it cannot be."
    ),
    CaseRefusal.ALREADY_PUBLISHED: __(
        "This question is already published in these words. To change them: /publish <ticket> "
        "| <new wording>"
    ),
    CaseRefusal.NOT_PUBLISHED: __("This question is not published."),
    CaseRefusal.PUBLISH_NAMES_CITIZEN: __(
        "The wording names the citizen (name, username or Telegram id). Publish it in your own "
        "words: /publish <ticket> | <wording>"
    ),
    CaseRefusal.PUBLISH_CONTACTS: __(
        "The wording holds contact details (a username, e-mail, phone or long number). Publish "
        "it in your own words: /publish <ticket> | <wording>"
    ),
    CaseRefusal.ANSWER_NAMES_CITIZEN: __(
        "The answer names the citizen (their name, username or Telegram id), so it cannot be "
        "published."
    ),
}

EVENTS: Mapping[EventRefusal, Any] = {
    EventRefusal.NOT_AVAILABLE: __("This event is not available."),
    EventRefusal.CANCELLED: __("This event has been cancelled."),
    EventRefusal.REGISTRATION_CLOSED: __(
        "This event has already started; registration is closed."
    ),
    EventRefusal.NOT_REGISTERED: __("You are not registered for this event."),
    EventRefusal.DONE_ALREADY: __("Done already."),
}

EVENT_ADMIN: Mapping[EventAdminRefusal, Any] = {
    EventAdminRefusal.NOT_FOUND: __("No such event among your councils'."),
    EventAdminRefusal.NO_TEXT: __("An event needs a title in at least one language."),
    EventAdminRefusal.NO_VENUE: __("Add at least one venue."),
    EventAdminRefusal.EMPTY: __("The text is empty."),
    EventAdminRefusal.TOO_LONG: TEXT_TOO_LONG,
    EventAdminRefusal.BAD_TIME: __(
        "Write the date and time like {example}; that date does not exist."
    ),
    EventAdminRefusal.IN_THE_PAST: __("That time has already passed. Give a time in the future."),
    EventAdminRefusal.END_BEFORE_START: __("The end must be after the start."),
    EventAdminRefusal.PUBLISH_AFTER_START: __("The event must be published before it starts."),
    EventAdminRefusal.STARTED: __("This event has already started."),
    EventAdminRefusal.OVER: __("This event is already over."),
    EventAdminRefusal.CANCELLED: __("This event has been cancelled."),
    EventAdminRefusal.NOT_DRAFT: __("Only a draft can be published; this event already is."),
    EventAdminRefusal.BAD_VENUE: __(
        "Write the venue as: name | address | places (address and places optional)."
    ),
    EventAdminRefusal.BAD_CAPACITY: __(
        "Places must be a whole number from 1 to {maximum}, or - for no limit."
    ),
    EventAdminRefusal.BAD_EMAIL: __("That e-mail address does not look right."),
    EventAdminRefusal.BAD_VENUE_NUMBER: __("Give a venue number from 1 to {count}."),
    EventAdminRefusal.BAD_LANGUAGE: __("Give the language as kk, ru or en."),
    EventAdminRefusal.BAD_REMINDERS: __(
        "Write the reminders like 24h,1h (or 2d, 90m, 30s), or none."
    ),
    EventAdminRefusal.BAD_FIELD: __("Unknown field. See /event_edit for the list."),
    EventAdminRefusal.NO_REASON: __("Give the reason: /event_cancel <id> <reason>"),
    EventAdminRefusal.NOT_HELD: __(
        "Attendance can be recorded only for a published event that took place."
    ),
    EventAdminRefusal.NOT_STARTED: __(
        "The event has not started yet; record attendance after it."
    ),
    EventAdminRefusal.ATTENDED_COUNT: __("Give one number per venue: this event has {count}."),
    EventAdminRefusal.BAD_NUMBER: __("Give whole numbers, zero or more."),
}

BROADCASTS: Mapping[BroadcastRefusal, Any] = {
    BroadcastRefusal.NOT_FOUND: __("No such broadcast among your councils'."),
    BroadcastRefusal.NO_TEXT: __("A broadcast needs a text in at least one language."),
    BroadcastRefusal.EMPTY: __("The text is empty."),
    BroadcastRefusal.TOO_LONG: TEXT_TOO_LONG,
    BroadcastRefusal.IN_THE_PAST: __("That time has already passed. Give a time in the future."),
    BroadcastRefusal.ALREADY_FINISHED: __("This broadcast has already ended."),
}

COUNCILS: Mapping[CouncilRefusal, Any] = {
    CouncilRefusal.NO_COUNCIL: __("No such council. See /councils."),
    CouncilRefusal.NO_TOPIC: __("No such topic. See /topics."),
    CouncilRefusal.INVITE_INVALID: __("This invitation link is invalid or has already been used."),
    CouncilRefusal.NOT_SECRETARY: __("This user is not a secretary of that council."),
    CouncilRefusal.UNKNOWN_ZONE: __(
        "There is no time zone “{zone}”. Give its IANA name, such as Asia/Almaty, Asia/Aqtobe "
        "or Asia/Oral; nothing was changed."
    ),
}

AUDIT: Mapping[AuditRefusal, Any] = {
    AuditRefusal.BAD_DAYS: __(
        "Give the number of days from 1 to {maximum}. A ticket is written with № or its year: "
        "№123 or 2026-123."
    ),
    AuditRefusal.BAD_ARGUMENT: Counted(
        "days",
        lambda n: ngettext(
            "Usage: /audit [<days> | <ticket>]: the last {days} day by default, at most "
            "{maximum}; a ticket such as №123 or 2026-123.",
            "Usage: /audit [<days> | <ticket>]: the last {days} days by default, at most "
            "{maximum}; a ticket such as №123 or 2026-123.",
            n,
        ),
    ),
}

TABLES: Mapping[type[StrEnum], Mapping[Any, Any]] = {
    QuestionRefusal: QUESTIONS,
    CaseRefusal: CASEWORK,
    EventRefusal: EVENTS,
    EventAdminRefusal: EVENT_ADMIN,
    BroadcastRefusal: BROADCASTS,
    CouncilRefusal: COUNCILS,
    AuditRefusal: AUDIT,
}


def refusal(error: Refused) -> str:
    """The refusal in the current user's language, as HTML for a message (the words are
    escaped: some name arguments like <id>)."""
    return html.quote(refusal_alert(error))


def refusal_alert(error: Refused) -> str:
    """The same as plain text, for a pop-up (answerCallbackQuery shows no HTML)."""
    details = dict(error.details)
    years = details.get("years")
    if isinstance(years, list | tuple):
        details["years"] = ", ".join(str(year) for year in years)
    entry = TABLES[type(error.code)][error.code]
    text = entry.text(details) if isinstance(entry, Counted) else str(entry)
    return text.format(**details) if details else text
