"""The table files' columns and names in the reader's language (the rows come from
bot/services/export.py and bot/views/audit.py; bot/services/xlsx.py writes them)."""

from collections.abc import Iterable
from datetime import date

from aiogram.utils.i18n import gettext as _

from bot.services.xlsx import Column
from bot.views.notify import STATUS_NAMES
from db.models import QuestionStatus


def status_label(status: QuestionStatus) -> str:
    """A status as a cell holds it: a word, without the card's emoji."""
    return _(STATUS_NAMES[status])


def question_columns() -> list[Column]:
    return [
        Column(_("Ticket")),
        Column(_("Council")),
        Column(_("Topic")),
        Column(_("Received")),
        Column(_("Due")),
        Column(_("Status")),
        Column(_("Taken")),
        Column(_("Closed")),
        Column(_("Answer or reason"), wrap=True),
        Column(_("Rating")),
        Column(_("Days to answer")),
        Column(_("Citizen")),
        Column(_("Question"), wrap=True),
        Column(_("Follow-up to")),
        Column(_("Extended")),
        Column(_("Extension reason"), wrap=True),
        Column(_("Held by")),
        Column(_("Forwarded to")),
        Column(_("Forwarded from")),
        Column(_("Files with the answer")),
        Column(_("Edited")),
        Column(_("Objection"), wrap=True),
    ]


def registrant_columns() -> list[Column]:
    return [
        Column(_("No.")),
        Column(_("Venue")),
        Column(_("Status")),
        Column(_("Waiting list")),
        Column(_("Name")),
        Column(_("Username")),
        Column(_("Registered at")),
    ]


def audit_columns() -> list[Column]:
    return [
        Column(_("Time")),
        Column(_("Council")),
        Column(_("Who")),
        Column(_("Action")),
        Column(_("Ticket or event")),
        Column(_("Details"), wrap=True),
    ]


def council_slug(council_ids: Iterable[int]) -> str:
    """The council in a file name, ASCII-safe: its id; several councils are "councils"."""
    ids = sorted(set(council_ids))
    return f"council-{ids[0]}" if len(ids) == 1 else "councils"


def period_slug(start: date | None, end: date) -> str:
    """The period in a file name: both days included; from the beginning when start is None."""
    return f"{start:%Y-%m-%d}_{end:%Y-%m-%d}" if start else f"to-{end:%Y-%m-%d}"
