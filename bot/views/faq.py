"""What citizens read of the published answers: /faq's topics and pages, what /faq <words>
found, one answer opened in full, and the similar answers shown during /ask. Each entry shows the
published wording only (escaped), never a ticket or a name; a list shows the start of each
wording, and every list fits one message whatever the texts (tests/test_open_answers.py)."""

import re
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram.utils.text_decorations import html_decoration as html

from bot.callback_ids import CallbackId, CallbackPage
from bot.i18n import format_day
from bot.services.paging import Page
from bot.services.publication import PublishedAnswer
from bot.views import Plain, pack
from bot.views.paging import page_buttons
from db.models import Question, Topic

# Visible characters of a wording in a list (UTF-16 units, as Telegram counts).
EXCERPT = 180
# Characters of a topic's name on its button.
TOPIC_LABEL = 40
_SPACES = re.compile(r"\s+")


class FaqTopics(CallbackData, prefix="faqs"):
    """Back to /faq's topics."""


class FaqPage(CallbackData, prefix="faqp"):
    """A page of one topic's published answers (topic 0: every topic)."""

    topic_id: CallbackId
    page: CallbackPage


class FaqOpen(CallbackData, prefix="faqo"):
    """One published answer in full. `step` is the /ask step it was shown at (0: elsewhere):
    opened there, it carries the button that goes on with the question."""

    question_id: CallbackId
    step: int = 0


def excerpt(text: str, limit: int = EXCERPT) -> str:
    """The start of a text on one line, cut between words with "…", escaped."""
    text = _SPACES.sub(" ", text).strip()
    if len(text.encode("utf-16-le")) // 2 <= limit:
        return html.quote(text)
    cut = text
    while len(cut.encode("utf-16-le")) // 2 > limit - 1:
        cut = cut[:-1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return html.quote(cut.rstrip()) + "…"


def _label(text: str, limit: int = TOPIC_LABEL) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _entries(questions: Sequence[Question], language: str) -> list[str]:
    return [
        f"<b>{number}.</b> {excerpt(question.public_text)}"
        for number, question in enumerate(questions, 1)
    ]


def _open_buttons(questions: Sequence[Question], step: int = 0) -> list[InlineKeyboardButton]:
    return [
        InlineKeyboardButton(
            text=f"📖 {number}",
            callback_data=FaqOpen(question_id=question.id, step=step).pack(),
        )
        for number, question in enumerate(questions, 1)
    ]


def topics_view(
    topics: Sequence[tuple[Topic, int]], language: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    """/faq: the topics that have published answers, with how many."""
    if not topics:
        return _("No answers have been published yet."), None
    total = sum(count for _topic, count in topics)
    text = "\n".join(
        [
            ngettext(
                "<b>Published answers</b>: {count} answer of the council to citizens' questions, "
                "published with their consent and without their names.",
                "<b>Published answers</b>: {count} answers of the council to citizens' "
                "questions, published with their consent and without their names.",
                total,
            ).format(count=total),
            html.quote(_("Choose a topic, or search: /faq <words>")),
        ]
    )
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("All, newest first ({count})").format(count=total),
        callback_data=FaqPage(topic_id=0, page=0),
    )
    for topic, count in topics:
        builder.button(
            text=f"{_label(topic.name(language))} ({count})",
            callback_data=FaqPage(topic_id=topic.id, page=0),
        )
    builder.adjust(1)
    return text, builder.as_markup()


def page_view(
    page: Page[Question], topic: Topic | None, language: str
) -> tuple[str, InlineKeyboardMarkup]:
    """One page of published answers, newest first, a button to open each."""
    where = html.quote(topic.name(language)) if topic is not None else _("all topics")
    header = _("Published answers — {topic} (page {page} of {pages}), newest first:").format(
        topic=where, page=page.number + 1, pages=page.pages
    )
    lines = [header, "", *_entries(page.items, language)]
    if page.empty:
        lines = [header, "", _("No answers are published on this topic now.")]
    builder = InlineKeyboardBuilder()
    builder.row(*_open_buttons(page.items))
    topic_id = topic.id if topic is not None else 0
    builder.row(*page_buttons(page, lambda number: FaqPage(topic_id=topic_id, page=number)))
    builder.row(InlineKeyboardButton(text=_("⬅️ Topics"), callback_data=FaqTopics().pack()))
    return "\n".join(lines), builder.as_markup()


def found_view(
    questions: Sequence[Question], words: str, language: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    """/faq <words>: the closest published answers, the best first."""
    shown = html.quote(words)
    if not questions:
        return _("No published answer found for «{words}». You can ask the council: /ask").format(
            words=shown
        ), None
    header = ngettext(
        "{count} published answer found for «{words}», the closest first:",
        "{count} published answers found for «{words}», the closest first:",
        len(questions),
    ).format(count=len(questions), words=shown)
    builder = InlineKeyboardBuilder()
    buttons = _open_buttons(questions)
    for start in range(0, len(buttons), 5):
        builder.row(*buttons[start : start + 5])
    return "\n".join([header, "", *_entries(questions, language)]), builder.as_markup()


def similar_view(questions: Sequence[Question], language: str) -> str:
    """During /ask: the published answers that look like the question just written."""
    return "\n".join(
        [
            _("💡 Maybe this answers your question: the council has already answered these."),
            "",
            *_entries(questions, language),
            "",
            _(
                "Press a number to read the answer. Your question is not sent yet: you can still "
                "go on with it."
            ),
        ]
    )


def similar_buttons(questions: Sequence[Question], step: int) -> list[InlineKeyboardButton]:
    return _open_buttons(questions, step)


def answer_view(answer: PublishedAnswer, language: str) -> list[str]:
    """A published answer in full: council, topic, day, the wording and the answer; in as many
    messages as it takes (a 3 000-character question with a 3 000-character answer takes two)."""
    question, council = answer.question, answer.council
    assert question.published_at is not None
    day = question.published_at.astimezone(ZoneInfo(council.timezone)).date()
    parts: list[str | Plain] = [
        _("🌐 <b>Published answer</b>"),
        _("Council: {council}").format(council=html.quote(council.name(language))),
        _("Topic: {topic}").format(topic=html.quote(answer.topic.name(language))),
        _("Published: {day}").format(day=format_day(day, language)),
        "",
        _("<b>Question:</b>"),
        Plain(question.public_text),
        "",
        _("<b>Answer of the council:</b>"),
        Plain(question.resolution or ""),
    ]
    return pack(parts)
