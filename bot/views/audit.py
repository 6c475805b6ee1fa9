"""The audit log as the staff read it, in their language: lines for a chat (escaped, long
details shortened) and rows for the XLSX file (whole)."""

from collections.abc import Callable
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.text_decorations import html_decoration as html

from bot.config import LANGUAGES
from bot.i18n import N_, format_when
from bot.services.audit import Actor, AuditLine, AuditLog
from bot.views import Plain
from bot.views.notify import HISTORY_ACTIONS

# One name per action the services write (grep `_audit(`); an action without one is shown as
# its key, so a new action is never hidden.
AUDIT_ACTIONS = {
    **HISTORY_ACTIONS,
    "event_created": N_("event created"),
    "event_published": N_("event published"),
    "event_edited": N_("event changed"),
    "event_cancelled": N_("event cancelled"),
    "event_attended": N_("attendance recorded"),
    "event_registered": N_("registered for the event"),
    "event_unregistered": N_("event registration cancelled"),
    "broadcast_created": N_("broadcast created"),
    "broadcast_cancelled": N_("broadcast cancelled"),
    "broadcast_stopped": N_("broadcast stopped"),
    "council_created": N_("council created"),
    "topic_added": N_("topic added"),
    "topic_renamed": N_("topic renamed"),
    "topic_hidden": N_("topic hidden"),
    "topic_shown": N_("topic shown again"),
    "invite_created": N_("staff invitation made"),
    "secretary_added": N_("secretary added"),
    "chair_added": N_("chair added"),
    "secretary_revoked": N_("secretary removed"),
    "staff_chat_bound": N_("staff group bound to the council"),
    "timezone_set": N_("time zone changed"),
}
# event_registered's detail: where the citizen got in.
REGISTRATION_DETAILS = {"registered": N_("registered"), "waiting": N_("waiting")}
# A detail in a chat line is cut here (whole in the file): one line stays one line.
DETAIL_SHOWN = 200

Quote = Callable[[str], str]


def _plain(text: str) -> str:
    return text


def action_name(action: str) -> str:
    name = AUDIT_ACTIONS.get(action)
    return _(name) if name is not None else action


def who(line: AuditLine, quote: Quote = html.quote) -> str:
    if line.actor == Actor.BOT:
        return _("the bot")
    if line.actor == Actor.CITIZEN:
        citizen = _("citizen")
        return f"{citizen} ({quote(line.name)})" if line.name else citizen
    return quote(line.name or "")


def subject(line: AuditLine, language: str, quote: Quote = html.quote) -> str:
    """The ticket, the event (with its title) or the broadcast the entry is about."""
    if line.ticket is not None:
        return line.ticket
    if line.event_id is not None:
        text = _("event #{id}").format(id=line.event_id)
        if line.event is not None:
            candidates = (language, line.council.default_language, *LANGUAGES)
            title = next((t for c in candidates if (t := line.event.title(c))), None)
            if title:
                text += f" ({quote(title)})"
        return text
    if line.broadcast_id is not None:
        return _("broadcast #{id}").format(id=line.broadcast_id)
    return ""


def detail(line: AuditLine, language: str) -> str:
    if line.action == "council_created":
        # The service wrote the Russian name; the reader gets the council in their language.
        return line.council.name(language)
    if line.detail is None:
        return ""
    if line.action == "event_registered" and line.detail in REGISTRATION_DETAILS:
        return _(REGISTRATION_DETAILS[line.detail])
    return line.detail


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= DETAIL_SHOWN else text[: DETAIL_SHOWN - 1].rstrip() + "…"


def audit_lines(log: AuditLog, language: str) -> list[str | Plain]:
    """The log for a chat: a heading, one line per entry (newest first), and how many more
    the file holds. Each line is whole HTML, short enough to pack."""
    selection = log.selection
    if selection.question is not None:
        heading = _("Audit log of {ticket}, newest first:").format(
            ticket=selection.question.ticket
        )
    else:
        days = selection.days or 0
        heading = ngettext(
            "Audit log for the last {days} day, newest first:",
            "Audit log for the last {days} days, newest first:",
            days,
        ).format(days=days)
    if not log.lines:
        return [heading, _("No entries.")]
    parts: list[str | Plain] = [heading, _("Entries: {count}").format(count=log.total), ""]
    for line in log.lines:
        when = format_when(line.at, language, ZoneInfo(line.council.timezone))
        text = f"{when} — {who(line)}: {html.quote(action_name(line.action))}"
        about = subject(line, language)
        if about:
            text += f" · {about}"
        if log.several_councils:
            text += f" · {html.quote(line.council.name(language))}"
        more = detail(line, language)
        if more:
            text += ": " + html.quote(_shorten(more))
        parts.append(text)
    hidden = log.total - len(log.lines)
    if hidden > 0:
        parts += [
            "",
            ngettext(
                "…and {count} earlier entry: see the XLSX file.",
                "…and {count} earlier entries: see the XLSX file.",
                hidden,
            ).format(count=hidden),
        ]
    return parts


def audit_rows(log: AuditLog, language: str) -> list[list[object]]:
    """The same entries for the XLSX file (columns: bot/views/exports.py): the council's local
    time as a naive datetime, plain text, details whole."""
    return [
        [
            line.at.astimezone(ZoneInfo(line.council.timezone)).replace(tzinfo=None),
            line.council.name(language),
            who(line, _plain),
            action_name(line.action),
            subject(line, language, _plain),
            detail(line, language),
        ]
        for line in log.lines
    ]


def file_caption(log: AuditLog) -> str:
    if log.total > len(log.lines):
        return ngettext(
            "Audit log: the latest {shown} of {total} entry.",
            "Audit log: the latest {shown} of {total} entries.",
            log.total,
        ).format(shown=len(log.lines), total=log.total)
    return ngettext("Audit log: {count} entry.", "Audit log: {count} entries.", log.total).format(
        count=log.total
    )
