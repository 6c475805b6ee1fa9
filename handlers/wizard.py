"""Wizards declared as a list of steps: /ask, /broadcast and /new_event each read as one.

A step says what it asks (`ask`) and how it reads an answer — typed text or a file (`read`), a
button (`pressed`), /skip, /done. The wizard keeps the answer under the step's `key` and asks the
next step; a step may take its answer without asking (`prefilled`: the only council) or not
apply at all (`applies`). The steps every wizard shares — a council, a text in each language
with /skip, a date and time, a choice of buttons — are written once, here. Adding a step to a
wizard is one entry in its list.

Answers live in the conversation state (Redis with several replicas), so they are plain JSON
values: ids, strings, lists; a moment is kept as ISO text (`moment_of`).
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import F, Router, html
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n, get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.support import LazyProxy

from bot.clock import Clock
from bot.config import LANGUAGES
from bot.i18n import in_language
from bot.services.container import Services
from bot.services.councils import Staff
from bot.services.errors import Refused
from bot.views.refusals import refusal
from db.models import Council, User

# What a prompt may be: a (lazy) translated text, or one made for the turn.
Text = Any | Callable[["Turn"], Awaitable[str]]
EXAMPLE_TIME = "06.02.2027 15:00"
USE_BUTTONS = __("Please use the buttons above, or /cancel to stop.")
SEND_TEXT = __("Please send text, or /cancel to stop.")
NO_COUNCIL = __("There is no council you can act for.")
SEND_ANNOUNCEMENT = __("Please send the text of the announcement, or /skip.")


class Again(Exception):
    """The answer cannot be taken: `text` (HTML) says why, and the step waits for another."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class Stay:
    """A step's answer that keeps the wizard at the step: it has said what comes next itself
    (the next language's text, another venue)."""


STAY = Stay()


class WizardPress(CallbackData, prefix="wz"):
    """A button of a wizard's step; pressed under any other step it is stale."""

    wizard: str
    step: int
    value: str


@dataclass
class Turn:
    """One update in a wizard: where to answer, the answers so far, and the update's data
    (the session, the clock, the user, the staff member...)."""

    message: Message
    state: FSMContext
    answers: dict[str, Any]
    env: dict[str, Any]
    ended: bool = False

    @property
    def services(self) -> Services:
        services: Services = self.env["services"]
        return services

    @property
    def clock(self) -> Clock:
        clock: Clock = self.env["clock"]
        return clock

    @property
    def user(self) -> User:
        user: User = self.env["user"]
        return user

    @property
    def i18n(self) -> I18n:
        i18n: I18n = self.env["i18n"]
        return i18n

    @property
    def language(self) -> str:
        return self.user.language or get_i18n().current_locale

    async def council(self) -> Council:
        """The council the wizard is for (the `council_id` answer)."""
        council = await self.services.councils.find(self.answers["council_id"])
        if council is None:  # deleted while the wizard ran
            raise Again(_("This button is no longer valid."))
        return council

    async def zone(self) -> ZoneInfo:
        return ZoneInfo((await self.council()).timezone)

    async def end(self, text: str | None = None, **kwargs: Any) -> None:
        """Stop the wizard here, saying `text` if given."""
        self.ended = True
        await self.state.clear()
        if text is not None:
            await self.message.answer(text, **kwargs)

    async def resume(self) -> None:
        """After `finish`: wait at the wizard's last step again for another answer (a
        publication time that passed while it was typed). Only the last step can be resumed:
        `finish` runs after it."""
        self.ended = False
        await self.state.set_state(self.env["wizard_state"])
        await self.state.set_data(self.answers)


def moment_of(answer: str | None) -> datetime | None:
    return datetime.fromisoformat(answer) if answer else None


async def say(turn: Turn, text: Text) -> str:
    """A prompt as text: a lazy translation in the user's language, or one made for the turn."""
    if isinstance(text, str | LazyProxy):
        return str(text)
    return str(await text(turn))


# -- steps -----------------------------------------------------------------------------------


@dataclass
class Step:
    """One question. Subclasses override what they need; the defaults take nothing."""

    key: str
    prompt: Text = ""
    # Fills {example} in the prompt (a lazy translation when it is words, not digits).
    example: str | LazyProxy = ""
    # /skip is an answer (`skipped_value`) when set.
    skip: bool = False
    skipped_value: Any = None
    # The step is asked only when this says so (None: always).
    applies_if: Callable[[Turn], Awaitable[bool]] | None = None

    async def applies(self, turn: Turn) -> bool:
        return self.applies_if is None or await self.applies_if(turn)

    async def prompt_text(self, turn: Turn, **values: str) -> str:
        text = await say(turn, self.prompt)
        if self.example:
            values["example"] = html.quote(str(self.example))
        return text.format(**values) if values else text

    async def prefilled(self, turn: Turn) -> Any:
        """An answer that needs no asking, or STAY to ask."""
        return STAY

    async def ask(self, turn: Turn) -> None:
        await turn.message.answer(await self.prompt_text(turn), reply_markup=self.markup(turn))

    def markup(self, turn: Turn) -> InlineKeyboardMarkup | None:
        return None

    async def read(self, turn: Turn, message: Message) -> Any:
        raise Again(str(USE_BUTTONS))

    async def pressed(self, turn: Turn, value: str) -> Any:
        raise Again(_("This button is no longer valid."))

    async def taken(self, turn: Turn, answer: Any) -> Any:
        """What a pressed button's answer does once its buttons are gone (a consent is
        recorded); the answer, or STAY."""
        return answer

    async def skipped(self, turn: Turn) -> Any:
        return self.skipped_value

    async def done(self, turn: Turn) -> Any:
        """/done: only steps that take several answers have it."""
        raise Again(_("I don't know this command. Send /help to see what I can do."))

    takes_done = False


@dataclass
class TextStep(Step):
    """A line of text, checked by `parse` (which raises Refused or Again)."""

    parse: Callable[[str], Any] = str
    not_text: Text = field(default_factory=lambda: SEND_TEXT)

    async def read(self, turn: Turn, message: Message) -> Any:
        if message.text is None:
            raise Again(await say(turn, self.not_text))
        return self.parse(message.text)


@dataclass
class Choice(Step):
    """Buttons; the pressed one's value is the answer. `options` gives (label, value) pairs.
    `intro` runs before the prompt (the previews before a confirmation)."""

    options: Callable[[Turn], Awaitable[list[tuple[str, str]]]] | None = None
    columns: int = 1
    intro: Callable[[Turn], Awaitable[None]] | None = None
    wizard: str = ""
    index: int = 0

    async def choices(self, turn: Turn) -> list[tuple[str, str]]:
        assert self.options is not None
        return await self.options(turn)

    async def ask(self, turn: Turn) -> None:
        if self.intro is not None:
            await self.intro(turn)
            if turn.ended:
                return
        builder = InlineKeyboardBuilder()
        for label, value in await self.choices(turn):
            builder.button(
                text=label,
                callback_data=WizardPress(wizard=self.wizard, step=self.index, value=value),
            )
        builder.adjust(self.columns)
        await turn.message.answer(await self.prompt_text(turn), reply_markup=builder.as_markup())

    async def pressed(self, turn: Turn, value: str) -> Any:
        if value not in {value for _label, value in await self.choices(turn)}:
            raise Again(_("This button is no longer valid."))
        return value


def options(*pairs: tuple[Any, str]) -> Callable[[Turn], Awaitable[list[tuple[str, str]]]]:
    """Fixed buttons: (lazy label, value) pairs."""

    async def listed(_turn: Turn) -> list[tuple[str, str]]:
        return [(str(label), value) for label, value in pairs]

    return listed


@dataclass
class CouncilStep(Choice):
    """Which council: the only one is taken without asking; none ends the wizard with
    `none_text`. `councils` gives those the user may choose."""

    councils: Callable[[Turn], Awaitable[list[Council]]] | None = None
    none_text: Text = field(default_factory=lambda: NO_COUNCIL)

    async def _councils(self, turn: Turn) -> list[Council]:
        assert self.councils is not None
        return await self.councils(turn)

    async def choices(self, turn: Turn) -> list[tuple[str, str]]:
        return [(c.name(turn.language), str(c.id)) for c in await self._councils(turn)]

    async def prefilled(self, turn: Turn) -> Any:
        councils = await self._councils(turn)
        if not councils:
            await turn.end(await say(turn, self.none_text))
            return STAY
        return councils[0].id if len(councils) == 1 else STAY

    async def pressed(self, turn: Turn, value: str) -> Any:
        return int(await super().pressed(turn, value))


async def staff_councils(turn: Turn) -> list[Council]:
    """The councils the staff member acts for."""
    staff: Staff = turn.env["staff"]
    return await turn.services.councils.acting_for(staff)


@dataclass
class TextsStep(Step):
    """A text in each language, each with /skip. `parse` reads a message into the answer for
    its language; `missing` is the refusal when every language was skipped (without it, all
    may be skipped). `languages` names the languages asked, in order (by default all three):
    say, only those an earlier answer was given in."""

    parse: Callable[[Message], Any] = str
    missing: Callable[[], Refused] | None = None
    languages: Callable[[Turn], list[str]] = lambda _turn: list(LANGUAGES)
    not_text: Text = field(default_factory=lambda: SEND_ANNOUNCEMENT)
    skip: bool = True

    async def prefilled(self, turn: Turn) -> Any:
        return STAY if self.languages(turn) else {}

    async def ask(self, turn: Turn) -> None:
        turn.answers[self.key] = {}
        await self._ask_language(turn, 0)

    async def _ask_language(self, turn: Turn, index: int) -> None:
        turn.answers[f"{self.key}_index"] = index
        language = in_language(self.languages(turn)[index])
        await turn.message.answer(await self.prompt_text(turn, in_language=language))

    async def read(self, turn: Turn, message: Message) -> Any:
        if message.text is None:
            raise Again(await say(turn, self.not_text))
        language = self.languages(turn)[turn.answers[f"{self.key}_index"]]
        turn.answers[self.key] = {**turn.answers[self.key], language: self.parse(message)}
        return await self._next(turn)

    async def skipped(self, turn: Turn) -> Any:
        return await self._next(turn)

    async def _next(self, turn: Turn) -> Any:
        index = turn.answers[f"{self.key}_index"] + 1
        if index < len(self.languages(turn)):
            await self._ask_language(turn, index)
            return STAY
        if not turn.answers[self.key] and self.missing is not None:
            await turn.message.answer(refusal(self.missing()))
            await self._ask_language(turn, 0)
            return STAY
        return turn.answers[self.key]


@dataclass
class MomentStep(Step):
    """A date and time in the council's time zone, kept as ISO text. `parse(text, zone)`
    reads it (raising Refused or Again); `check(turn, moment)` may refuse it. With `now`, a
    button answers "now" (None)."""

    parse: Callable[[str, ZoneInfo], datetime] | None = None
    check: Callable[[Turn, datetime], Awaitable[None]] | None = None
    now: Any = None
    not_text: Text = field(default_factory=lambda: SEND_TEXT)
    wizard: str = ""
    index: int = 0

    def markup(self, turn: Turn) -> InlineKeyboardMarkup | None:
        if self.now is None:
            return None
        builder = InlineKeyboardBuilder()
        builder.button(
            text=str(self.now),
            callback_data=WizardPress(wizard=self.wizard, step=self.index, value="now"),
        )
        return builder.as_markup()

    async def read(self, turn: Turn, message: Message) -> Any:
        if message.text is None:
            raise Again(await say(turn, self.not_text))
        assert self.parse is not None
        moment = self.parse(message.text, await turn.zone())
        if self.check is not None:
            await self.check(turn, moment)
        return moment.isoformat()

    async def pressed(self, turn: Turn, value: str) -> Any:
        if self.now is None or value != "now":
            raise Again(_("This button is no longer valid."))
        return None


# -- the wizard ------------------------------------------------------------------------------


@dataclass
class Wizard:
    """`steps` in order, then `finish(turn)` with every answer in `turn.answers`. `name` is the
    short code its buttons carry."""

    name: str
    steps: Sequence[Step]
    finish: Callable[[Turn], Awaitable[None]]
    states: list[State] = field(init=False)

    def __post_init__(self) -> None:
        self.states = []
        for index, step in enumerate(self.steps):
            if isinstance(step, Choice | MomentStep):
                step.wizard, step.index = self.name, index
            state = State(step.key, group_name=f"wizard_{self.name}")
            self.states.append(state)

    async def start(self, message: Message, state: FSMContext, env: dict[str, Any]) -> None:
        """Begin at the first step (whatever conversation was going on ends)."""
        await state.clear()
        turn = Turn(message, state, {}, env)
        await self._enter(turn, 0)

    async def _enter(self, turn: Turn, index: int) -> None:
        try:
            await self._ask_from(turn, index)
        except Again as again:  # what the wizard was built on is gone (a deleted council)
            await turn.end(again.text)

    async def _ask_from(self, turn: Turn, index: int) -> None:
        while index < len(self.steps):
            step = self.steps[index]
            if await step.applies(turn):
                answer = (
                    turn.answers[step.key]
                    if step.key in turn.answers
                    else await step.prefilled(turn)
                )
                if turn.ended:
                    return
                if answer is STAY:
                    await turn.state.set_state(self.states[index])
                    await step.ask(turn)
                    if not turn.ended:
                        await turn.state.set_data(turn.answers)
                    return
                turn.answers[step.key] = answer
            index += 1
        await turn.state.clear()
        turn.env["wizard_state"] = self.states[-1]
        await self.finish(turn)

    async def _answer(self, turn: Turn, index: int, read: Callable[[], Awaitable[Any]]) -> None:
        try:
            answer = await read()
        except Refused as error:
            await turn.message.answer(refusal(error))
            return
        except Again as again:
            await turn.message.answer(again.text)
            return
        if turn.ended:
            return
        if isinstance(answer, Stay):
            await turn.state.set_data(turn.answers)
            return
        turn.answers[self.steps[index].key] = answer
        await self._enter(turn, index + 1)

    async def _turn(self, message: Message, state: FSMContext, env: dict[str, Any]) -> Turn:
        return Turn(message, state, await state.get_data(), env)

    async def _index(self, state: FSMContext) -> int:
        current = await state.get_state()
        return next(i for i, s in enumerate(self.states) if s.state == current)

    async def on_message(self, message: Message, state: FSMContext, **env: Any) -> None:
        index = await self._index(state)
        turn = await self._turn(message, state, env)
        await self._answer(turn, index, lambda: self.steps[index].read(turn, message))

    async def on_skip(self, message: Message, state: FSMContext, **env: Any) -> None:
        index = await self._index(state)
        turn = await self._turn(message, state, env)
        await self._answer(turn, index, lambda: self.steps[index].skipped(turn))

    async def on_done(self, message: Message, state: FSMContext, **env: Any) -> None:
        index = await self._index(state)
        turn = await self._turn(message, state, env)
        await self._answer(turn, index, lambda: self.steps[index].done(turn))

    async def on_press(
        self, query: CallbackQuery, callback_data: WizardPress, state: FSMContext, **env: Any
    ) -> None:
        index = await self._index(state)
        if callback_data.step != index or not isinstance(query.message, Message):
            await query.answer(_("This button is no longer valid."), show_alert=True)
            return
        turn = await self._turn(query.message, state, env)
        try:
            answer = await self.steps[index].pressed(turn, callback_data.value)
        except Again as again:
            await query.answer(again.text, show_alert=True)
            return
        await query.answer()
        # A step's buttons work once.
        await query.message.edit_reply_markup(reply_markup=None)
        await self._answer(turn, index, lambda: self.steps[index].taken(turn, answer))

    def router(self) -> Router:
        """The wizard's handlers: they take updates only while one of its steps waits."""
        router = Router(name=f"wizard.{self.name}")
        every = StateFilter(*self.states)
        pairs = list(zip(self.states, self.steps, strict=True))
        if skippable := [state for state, step in pairs if step.skip]:
            router.message.register(self.on_skip, Command("skip"), StateFilter(*skippable))
        if with_done := [state for state, step in pairs if step.takes_done]:
            router.message.register(self.on_done, Command("done"), StateFilter(*with_done))
        router.message.register(self.on_message, every, ~F.text.startswith("/"))
        router.callback_query.register(
            self.on_press, WizardPress.filter(F.wizard == self.name), every
        )
        return router
