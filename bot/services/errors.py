"""What the rules refuse, and why. A service raises its domain's error with a code from one of
the enums below; bot/views/refusals.py says every code in the user's language (a test checks
that none is missing in kk, ru and en), so no refusal falls back to a vague message.

Codes are split by who hears them where the words differ: a citizen's "question not found" is a
secretary's "no such ticket among your council's questions"."""

from enum import StrEnum


class Refused(Exception):
    """Something a user asked for cannot be done; `code` says why, `details` fill the message."""

    def __init__(self, code: StrEnum, **details: object) -> None:
        super().__init__(code.value)
        self.code = code
        self.details = details


class QuestionRefusal(StrEnum):
    """A citizen asking, following up or rating."""

    BANNED = "banned"
    TOO_MANY_OPEN = "too_many_open"
    TOO_MANY_TODAY = "too_many_today"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    NOT_FOUND = "not_found"
    NOT_ANSWERED = "not_answered"
    ALREADY_RATED = "already_rated"
    FOLLOWUP_USED = "followup_used"
    FOLLOWUP_OF_FOLLOWUP = "followup_of_followup"
    ALREADY_SENT = "already_sent"
    # Withdrawing or editing one's own question (only while it is new).
    NOT_TEXT = "not_text"
    ALREADY_TAKEN = "already_taken"
    ALREADY_CLOSED = "already_closed"
    WITHDRAWN = "withdrawn"
    NOT_NEW = "not_new"
    # Objecting to an answer or a rejection (once, within the deadline).
    NOTHING_TO_OBJECT = "nothing_to_object"
    ALREADY_OBJECTED = "already_objected"
    OBJECTION_AFTER_FOLLOWUP = "objection_after_followup"
    FOLLOWUP_AFTER_OBJECTION = "followup_after_objection"
    OBJECTION_TOO_LATE = "objection_too_late"
    REASON_TOO_SHORT = "reason_too_short"
    REASON_TOO_LONG = "reason_too_long"
    # Files sent with a question.
    FILE_TOO_BIG = "file_too_big"
    VOICE_TOO_LONG = "voice_too_long"
    # Published answers (/faq).
    NOT_PUBLISHED = "not_published"
    FAQ_NO_WORDS = "faq_no_words"
    # Taking back the consent to publication: not given, or taken back already.
    NOT_TO_PUBLISH = "not_to_publish"


class CaseRefusal(StrEnum):
    """A secretary working on a question."""

    NOT_FOUND = "not_found"
    AMBIGUOUS = "ambiguous"
    NOT_TAKEN = "not_taken"
    ALREADY_IN_PROGRESS = "already_in_progress"
    ALREADY_ANSWERED = "already_answered"
    ALREADY_REJECTED = "already_rejected"
    EMPTY_ANSWER = "empty_answer"
    TOO_LONG = "too_long"
    EXTENSION_BAD_DATE = "extension_bad_date"
    EXTENSION_NOT_LATER = "extension_not_later"
    EXTENSION_TOO_LONG = "extension_too_long"
    EXTENSION_NO_REASON = "extension_no_reason"
    ALREADY_FORWARDED = "already_forwarded"
    NOT_A_SECRETARY = "not_a_secretary"
    ALREADY_ASSIGNED = "already_assigned"
    FORWARD_SAME_COUNCIL = "forward_same_council"
    FORWARD_NO_COUNCIL = "forward_no_council"
    TOO_MANY_FILES = "too_many_files"
    FILES_WITHOUT_TEXT = "files_without_text"
    FILES_ONLY_WITH_ANSWER = "files_only_with_answer"
    HELD_BY_ANOTHER = "held_by_another"
    SECRETARY_AMBIGUOUS = "secretary_ambiguous"
    WITHDRAWN = "withdrawn"
    REOPENED = "reopened"
    SEARCH_NO_WORDS = "search_no_words"
    # Publishing an answered question (/publish, /unpublish).
    PUBLISH_NOT_ANSWERED = "publish_not_answered"
    PUBLISH_NO_CONSENT = "publish_no_consent"
    ALREADY_PUBLISHED = "already_published"
    NOT_PUBLISHED = "not_published"
    PUBLISH_NAMES_CITIZEN = "publish_names_citizen"
    PUBLISH_CONTACTS = "publish_contacts"
    ANSWER_NAMES_CITIZEN = "answer_names_citizen"


class EventRefusal(StrEnum):
    """A citizen opening an event or registering for it."""

    NOT_AVAILABLE = "not_available"
    CANCELLED = "cancelled"
    REGISTRATION_CLOSED = "registration_closed"
    NOT_REGISTERED = "not_registered"
    DONE_ALREADY = "done_already"


class EventAdminRefusal(StrEnum):
    """A secretary creating, editing, publishing, cancelling or reporting on an event."""

    NOT_FOUND = "not_found"
    NO_TEXT = "no_text"
    NO_VENUE = "no_venue"
    EMPTY = "empty"
    TOO_LONG = "too_long"
    BAD_TIME = "bad_time"
    IN_THE_PAST = "in_the_past"
    END_BEFORE_START = "end_before_start"
    PUBLISH_AFTER_START = "publish_after_start"
    STARTED = "started"
    OVER = "over"
    CANCELLED = "cancelled"
    NOT_DRAFT = "not_draft"
    BAD_VENUE = "bad_venue"
    BAD_CAPACITY = "bad_capacity"
    BAD_EMAIL = "bad_email"
    BAD_VENUE_NUMBER = "bad_venue_number"
    BAD_LANGUAGE = "bad_language"
    BAD_REMINDERS = "bad_reminders"
    BAD_FIELD = "bad_field"
    NO_REASON = "no_reason"
    NOT_HELD = "not_held"
    NOT_STARTED = "not_started"
    ATTENDED_COUNT = "attended_count"
    BAD_NUMBER = "bad_number"


class BroadcastRefusal(StrEnum):
    NOT_FOUND = "not_found"
    NO_TEXT = "no_text"
    EMPTY = "empty"
    TOO_LONG = "too_long"
    IN_THE_PAST = "in_the_past"
    ALREADY_FINISHED = "already_finished"


class CouncilRefusal(StrEnum):
    NO_COUNCIL = "no_council"
    NO_TOPIC = "no_topic"
    INVITE_INVALID = "invite_invalid"
    NOT_SECRETARY = "not_secretary"
    UNKNOWN_ZONE = "unknown_zone"


class AuditRefusal(StrEnum):
    """A staff member reading the audit log (/audit)."""

    BAD_DAYS = "bad_days"
    BAD_ARGUMENT = "bad_argument"


# Every enum of codes, for the catalog test and the views.
REFUSAL_CODES: tuple[type[StrEnum], ...] = (
    QuestionRefusal,
    CaseRefusal,
    EventRefusal,
    EventAdminRefusal,
    BroadcastRefusal,
    CouncilRefusal,
    AuditRefusal,
)
