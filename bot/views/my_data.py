"""/my_data: what the bot holds about a citizen, as JSON (for machines: UTF-8, ISO 8601 times in
UTC, stable English keys and values) and as XLSX (for people: one sheet per section, headers and
values in the citizen's language, times as date cells in Kazakhstan time)."""

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _

from bot.i18n import N_
from bot.services.events import pick_language
from bot.services.privacy import AskedQuestion, MyData
from bot.services.xlsx import Column, Sheet, to_workbook
from bot.views.notify import (
    CITIZEN_ACTIONS,
    CITIZEN_DETAIL_ACTIONS,
    HISTORY_ACTIONS,
    STATUS_NAMES,
)
from db.models import AuditEntry, RegistrationStatus

REGISTRATION_NAMES = {
    RegistrationStatus.REGISTERED: N_("registered"),
    RegistrationStatus.WAITING: N_("on the waiting list"),
    RegistrationStatus.CANCELLED: N_("cancelled"),
}
CONSENT_NAMES = {
    "consent_given": N_("consent given"),
    "consent_withdrawn": N_("consent withdrawn"),
    "data_erased": N_("name and username erased"),
    "data_deleted": N_("data deleted at the citizen's request"),
}


# The rating's detail is the stars the citizen gave.
CITIZEN_DETAILS = CITIZEN_DETAIL_ACTIONS | {"rated"}


def _citizens_part(asked: AskedQuestion) -> list[AuditEntry]:
    """What the citizen may see of the history, as /my shows it: never who on the staff acted,
    their notes, bans or who holds the question."""
    return [
        entry
        for entry in asked.history
        if entry.action in CITIZEN_ACTIONS and entry.action in HISTORY_ACTIONS
    ]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def to_json(data: MyData) -> bytes:
    user = data.user
    document: dict[str, Any] = {
        "profile": {
            "telegram_id": user.id,
            "name": user.full_name or None,
            "username": user.username,
            "language": user.language,
            "telegram_language": user.telegram_language,
            "first_seen": _iso(user.first_seen),
            "last_seen": _iso(user.last_seen),
            "active": user.is_active,
        },
        "consent": {
            "given_at": _iso(user.consent_at),
            "history": [{"at": _iso(e.at), "action": e.action} for e in data.consents],
        },
        "questions": [
            {
                "ticket": asked.question.ticket,
                "council": asked.council.name(user.language or "ru"),
                "topic": asked.topic.name(user.language or "ru"),
                "anonymous": asked.question.anonymous,
                "text": asked.question.text,
                "status": asked.question.status.value,
                "asked_at": _iso(asked.question.created_at),
                "due_date": asked.question.due_date.isoformat(),
                "closed_at": _iso(asked.question.closed_at),
                "answer_or_reason": asked.question.resolution,
                "forwarded_to": asked.question.forwarded_to,
                "objection": asked.question.objection,
                "rating": asked.question.rating,
                # Publication in /faq: whether the citizen allowed it, and the wording shown.
                "publish_allowed": asked.question.publish_consent,
                "published_at": (
                    _iso(asked.question.published_at) if asked.question.is_published else None
                ),
                "published_wording": (
                    asked.question.public_text if asked.question.is_published else None
                ),
                "history": [
                    {
                        "at": _iso(entry.at),
                        "action": entry.action,
                        **(
                            {"detail": entry.detail}
                            if entry.action in CITIZEN_DETAILS and entry.detail
                            else {}
                        ),
                    }
                    for entry in _citizens_part(asked)
                ],
            }
            for asked in data.questions
        ],
        "event_registrations": [
            {
                "event": event.title(
                    pick_language(event, user.language or "ru", council.default_language)
                ),
                "council": council.name(user.language or "ru"),
                "starts_at": _iso(event.starts_at),
                "venue": venue.name,
                "status": registration.status.value,
                "registered_at": _iso(registration.queued_at),
                "updated_at": _iso(registration.updated_at),
            }
            for registration, event, venue, council in data.registrations
        ],
        "subscriptions": [
            {
                "council": council.name(user.language or "ru"),
                "active": subscription.active,
                "updated_at": _iso(subscription.updated_at),
            }
            for subscription, council in data.subscriptions
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def table(title: str, headers: list[str], rows: list[list[object]]) -> Sheet:
    """A sheet whose free-text columns (the question, the answer, details) wrap."""
    long = {_("Question"), _("Answer or reason"), _("Details")}
    return Sheet(title, [Column(header, wrap=header in long) for header in headers], rows)


def to_xlsx(data: MyData, language: str, tz: ZoneInfo) -> bytes:
    """Headers and values in the current locale (the citizen's), set by the caller."""
    user = data.user

    def local(moment: datetime | None) -> datetime | None:
        return moment.astimezone(tz).replace(tzinfo=None) if moment is not None else None

    yes, no = _("yes"), _("no")
    sheets = [
        table(
            _("Profile"),
            [_("Field"), _("Value")],
            [
                [_("Telegram id"), user.id],
                [_("Name"), user.full_name],
                [_("Username"), user.username or ""],
                [_("Language"), user.language or ""],
                [_("Telegram app language"), user.telegram_language or ""],
                [_("First seen"), local(user.first_seen)],
                [_("Last seen"), local(user.last_seen)],
                [_("Active"), yes if user.is_active else no],
                [_("Consent given"), local(user.consent_at)],
            ],
        ),
        table(
            _("Consents"),
            [_("Time"), _("What")],
            [[local(e.at), _(CONSENT_NAMES.get(e.action, e.action))] for e in data.consents],
        ),
        table(
            _("Questions"),
            [
                _("Ticket"),
                _("Council"),
                _("Topic"),
                _("Anonymous"),
                _("Question"),
                _("Status"),
                _("Asked"),
                _("Answer due"),
                _("Closed"),
                _("Answer or reason"),
                _("Rating"),
                _("Publication allowed"),
                _("Published in /faq"),
            ],
            [
                [
                    a.question.ticket,
                    a.council.name(language),
                    a.topic.name(language),
                    yes if a.question.anonymous else no,
                    a.question.text,
                    _(STATUS_NAMES[a.question.status]),
                    local(a.question.created_at),
                    a.question.due_date,
                    local(a.question.closed_at),
                    a.question.resolution or "",
                    a.question.rating,
                    yes if a.question.publish_consent else no,
                    local(a.question.published_at) if a.question.is_published else None,
                ]
                for a in data.questions
            ],
        ),
        table(
            _("History"),
            [_("Ticket"), _("Time"), _("What happened"), _("Details")],
            [
                [
                    a.question.ticket,
                    local(entry.at),
                    _(HISTORY_ACTIONS[entry.action]),
                    entry.detail if entry.action in CITIZEN_DETAILS and entry.detail else "",
                ]
                for a in data.questions
                for entry in _citizens_part(a)
            ],
        ),
        table(
            _("Registrations"),
            [_("Event"), _("Council"), _("Starts"), _("Venue"), _("Status"), _("Registered")],
            [
                [
                    event.title(pick_language(event, language, council.default_language)) or "",
                    council.name(language),
                    local(event.starts_at),
                    venue.name,
                    _(REGISTRATION_NAMES[registration.status]),
                    local(registration.queued_at),
                ]
                for registration, event, venue, council in data.registrations
            ],
        ),
        table(
            _("Subscriptions"),
            [_("Council"), _("Subscribed"), _("Changed")],
            [
                [council.name(language), yes if s.active else no, local(s.updated_at)]
                for s, council in data.subscriptions
            ],
        ),
    ]
    return to_workbook(sheets, language)
