"""/find's answer: one entry per question found — ticket, status, due date, and a short snippet
of the text where the first word was found (the question, its answer or reason, or a note),
escaped, the words found in bold — with a button per question that opens it. Never a name: an
anonymous question's entry looks like any other. Ten entries with the widest snippets still
fit one message."""

import re
from collections.abc import Callable, Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram.utils.text_decorations import html_decoration as html

from bot.i18n import format_day
from bot.services.search import Found, SearchResult
from bot.views.notify import STATUS_ICONS, status_name
from db.models import Question, QuestionStatus

# Visible characters (UTF-16 units, as Telegram counts) of a snippet, and how many of them
# come before the first word found.
SNIPPET = 160
LEAD = 50
_SPACES = re.compile(r"\s+")


def _finder(words: Sequence[str]) -> re.Pattern[str]:
    """A word that starts with one of `words` (a whole word, however it ends)."""
    alternatives = "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![^\W_])(?:{alternatives})[^\W_]*", re.IGNORECASE)


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _window(text: str, start: int) -> tuple[str, bool, bool]:
    """At most SNIPPET units of `text` from about `start`, cut between words where it can;
    and whether something was left out before and after."""
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + LEAD // 2 else start
    end = start
    while end < len(text) and _utf16(text[start : end + 1]) <= SNIPPET:
        end += 1
    if end < len(text):
        space = text.rfind(" ", start, end)
        if space > start + SNIPPET // 2:
            end = space
    return text[start:end].strip(), start > 0, end < len(text)


def snippet(text: str, words: Sequence[str]) -> str | None:
    """HTML: the part of `text` around the first word found, escaped, the words found in bold;
    None when no word is in it."""
    text = _SPACES.sub(" ", text).strip()
    finder = _finder(words)
    first = finder.search(text)
    if first is None:
        return None
    # From the beginning when the first word found shows there; else a little before it.
    start = 0 if _utf16(text[: first.end()]) <= SNIPPET - LEAD else max(0, first.start() - LEAD)
    window, before, after = _window(text, start)
    parts, position = [], 0
    for found in finder.finditer(window):
        parts.append(html.quote(window[position : found.start()]))
        parts.append(f"<b>{html.quote(found.group())}</b>")
        position = found.end()
    parts.append(html.quote(window[position:]))
    return ("…" if before else "") + "".join(parts) + ("…" if after else "")


def _excerpt(found: Found, words: Sequence[str]) -> str:
    """Where the words were found: the question, then its answer or reason, then its notes;
    the question's beginning when the index matched what the words do not show (a folded
    accent, say)."""
    question = found.question
    if (shown := snippet(question.text, words)) is not None:
        return shown
    if question.resolution and (shown := snippet(question.resolution, words)) is not None:
        label = _("Answer:") if question.status == QuestionStatus.ANSWERED else _("Reason:")
        return f"{label} {shown}"
    for note in found.notes:
        if (shown := snippet(note, words)) is not None:
            label = _("Note:")
            return f"{label} {shown}"
    window, _before, after = _window(_SPACES.sub(" ", question.text).strip(), 0)
    return html.quote(window) + ("…" if after else "")


def _entry(found: Found, words: Sequence[str], language: str) -> str:
    question = found.question
    due = _("due {day}").format(day=format_day(question.due_date, language))
    return (
        f"<b>{question.ticket}</b> · {status_name(question.status)} · {due}\n"
        f"{_excerpt(found, words)}"
    )


def search_view(
    result: SearchResult,
    language: str,
    opens: Callable[[Question], CallbackData],
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The answer to /find, with a button per question made by `opens`."""
    words = html.quote(" ".join(result.words))
    count = len(result.found)
    if not count:
        return _("Nothing found for «{words}».").format(words=words), None
    if result.more:
        header = ngettext(
            "The {count} newest question found for «{words}»; more match: add a word to "
            "narrow the search.",
            "The {count} newest questions found for «{words}»; more match: add a word to "
            "narrow the search.",
            count,
        ).format(count=count, words=words)
    else:
        header = ngettext(
            "{count} question found for «{words}», newest first:",
            "{count} questions found for «{words}», newest first:",
            count,
        ).format(count=count, words=words)
    entries = [_entry(found, result.words, language) for found in result.found]
    builder = InlineKeyboardBuilder()
    for found in result.found:
        question = found.question
        builder.button(
            text=f"{STATUS_ICONS[question.status]} {question.ticket}",
            callback_data=opens(question),
        )
    builder.adjust(2)
    return "\n\n".join([header, *entries]), builder.as_markup()
