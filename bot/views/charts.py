"""Charts for the staff, drawn with matplotlib in the reader's language: /stats (questions per
week by status; time to answer) and the event report (registered, waiting and came per venue).

matplotlib's object API on the Agg canvas: no pyplot, no GUI, no global state, so a chart can be
drawn in a worker thread (asyncio.to_thread: a chart takes ~100 ms). Its bundled DejaVu Sans has
the Cyrillic and Kazakh letters (ә ғ қ ң ө ұ ү һ і); emoji in user text are not drawn (status
names go without their icons)."""

import io
from collections.abc import Sequence
from dataclasses import dataclass

from aiogram.utils.i18n import gettext as _
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator

from bot.services.events import EventReport
from bot.services.questions import Stats
from bot.views.notify import STATUS_NAMES
from db.models import QuestionStatus

DPI = 100
# Colour-blind safe (Okabe–Ito), one per status in the order of QuestionStatus.
STATUS_COLOURS = {
    QuestionStatus.NEW: "#0072B2",
    QuestionStatus.IN_PROGRESS: "#E69F00",
    QuestionStatus.ANSWERED: "#009E73",
    QuestionStatus.REJECTED: "#D55E00",
    QuestionStatus.FORWARDED: "#56B4E9",
    QuestionStatus.WITHDRAWN: "#999999",
    QuestionStatus.REOPENED: "#CC79A7",
}
# A venue's name under its bars is cut here.
VENUE_SHOWN = 24


@dataclass(frozen=True)
class Chart:
    png: bytes
    # Every text drawn: titles, axis labels, tick labels, legend entries (what tests read).
    texts: list[str]


def new_figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def render(figure: Figure) -> Chart:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    texts = [
        text.get_text() for text in figure.findobj(Text) if text.get_visible() and text.get_text()
    ]
    return Chart(png=buffer.getvalue(), texts=texts)


def stats_chart(stats: Stats) -> Chart | None:
    """Questions per week by status (stacked), and a histogram of days to answer; None when
    there is nothing to draw."""
    if not any(week.by_status for week in stats.weeks) and not stats.answer_days:
        return None
    figure = new_figure(8, 7.5)
    weekly, answers = figure.subplots(2, 1)
    positions = list(range(len(stats.weeks)))
    bottom = [0] * len(stats.weeks)
    for status in QuestionStatus:
        counts = [week.by_status.get(status.value, 0) for week in stats.weeks]
        if not any(counts):
            continue
        weekly.bar(
            positions,
            counts,
            bottom=bottom,
            label=_plain(_(STATUS_NAMES[status])),
            color=STATUS_COLOURS[status],
        )
        bottom = [below + count for below, count in zip(bottom, counts, strict=True)]
    weekly.set_xticks(positions, [f"{week.start:%d.%m}" for week in stats.weeks])
    weekly.set_title(_plain(_("Questions per week by status")))
    weekly.set_xlabel(_plain(_("Week beginning")))
    weekly.set_ylabel(_plain(_("Questions")))
    weekly.yaxis.set_major_locator(MaxNLocator(integer=True))
    if any(bottom):
        weekly.legend(loc="upper left", fontsize="small")
    answers.set_title(_plain(_("Time to answer")))
    if stats.answer_days:
        longest = int(max(stats.answer_days)) + 1
        answers.hist(stats.answer_days, bins=range(0, longest + 1), color="#009E73")
        answers.set_xlabel(_plain(_("Days from receipt to the answer")))
        answers.set_ylabel(_plain(_("Answers")))
        answers.yaxis.set_major_locator(MaxNLocator(integer=True))
        answers.xaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        answers.set_axis_off()
        answers.text(0.5, 0.5, _plain(_("No answers yet")), ha="center", va="center")
    return render(figure)


def event_chart(report: EventReport) -> Chart | None:
    """Registered, on the waiting list and came, per venue; None when nobody registered and
    no attendance is recorded."""
    venues = report.venues
    if not report.registered and not report.waiting and report.attended is None:
        return None
    figure = new_figure(8, 4.5)
    axes = figure.subplots()
    positions = list(range(len(venues)))
    width = 0.27
    series: list[tuple[str, Sequence[int], str]] = [
        (_("Registered"), [f.registered for f in venues], "#0072B2"),
        (_("Waiting list"), [f.waiting for f in venues], "#E69F00"),
        (_("Came"), [f.venue.attended or 0 for f in venues], "#009E73"),
    ]
    for index, (label, counts, colour) in enumerate(series):
        shift = (index - 1) * width
        axes.bar([p + shift for p in positions], counts, width, label=_plain(label), color=colour)
    axes.set_xticks(positions, [_venue_label(f.venue.position, f.venue.name) for f in venues])
    axes.set_title(_plain(_("Registered and came, by venue")))
    axes.set_ylabel(_plain(_("People")))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(fontsize="small")
    return render(figure)


def _venue_label(position: int, name: str) -> str:
    name = " ".join(name.split())
    if len(name) > VENUE_SHOWN:
        name = name[: VENUE_SHOWN - 1].rstrip() + "…"
    # Emoji and other symbols DejaVu Sans lacks would be drawn as empty boxes: left out.
    name = "".join(c for c in name if c.isalnum() or c in " .,-–—«»\"'()№/&:;!?…").strip()
    return _plain(f"{position}. {name}")


def _plain(text: str) -> str:
    # A "$" would start matplotlib's mathtext.
    return text.replace("$", r"\$")
