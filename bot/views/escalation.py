"""What a chair reads every working day (the council's questions overdue or due by the next
working day, with who holds each) and what superadmins read every week (each council's numbers).
In the current locale: the jobs call these inside `speaking(...)`."""

from datetime import date

from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as html

from bot.i18n import format_day, median_days_text
from bot.services.escalation import CouncilWeek, Escalated, Escalation
from db.models import Council


def escalation_lines(council: Council, escalation: Escalation, language: str) -> list[str]:
    lines = [
        _("🚨 Questions of {council} that need the chair's attention").format(
            council=html.quote(council.name(language))
        )
    ]
    if escalation.overdue:
        lines += ["", _("Overdue: {count}").format(count=len(escalation.overdue))]
        lines += [_line(question, language) for question in escalation.overdue]
    if escalation.due_soon:
        lines += [
            "",
            _("Due today or on the next working day: {count}").format(
                count=len(escalation.due_soon)
            ),
        ]
        lines += [_line(question, language) for question in escalation.due_soon]
    lines += ["", _("All open questions: /inbox")]
    return lines


def _line(question: Escalated, language: str) -> str:
    holder = html.quote(question.holder) if question.holder else _("unassigned")
    extended = " ⏳" if question.extended else ""
    day = format_day(question.due_date, language)
    return f"• {question.ticket} — {day}{extended} — {holder}"


def summary_lines(weeks: list[CouncilWeek], first: date, last: date, language: str) -> list[str]:
    """`first` and `last`: the week's first and last days."""
    lines = [
        _("📊 The councils' week, {first} – {last}").format(
            first=format_day(first, language), last=format_day(last, language)
        )
    ]
    for week in weeks:
        lines += [
            "",
            f"<b>{html.quote(week.council.name(language))}</b>",
            _("Answered: {answered}, of them on time: {on_time}").format(
                answered=week.answered, on_time=week.on_time
            ),
            _("Overdue now: {count}").format(count=week.overdue),
            median_days_text(week.median_days, language),
        ]
    return lines
