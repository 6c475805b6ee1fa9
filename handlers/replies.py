"""Sending a view that may be longer than one Telegram message (see bot/views.py)."""

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiogram.types import InlineKeyboardMarkup

from bot.views import Plain, pack

Answer = Callable[..., Awaitable[Any]]


async def send_messages(
    answer: Answer, messages: list[str], markup: InlineKeyboardMarkup | None = None
) -> None:
    """The messages in order, the buttons under the last."""
    for number, text in enumerate(messages, 1):
        await answer(text, reply_markup=markup if number == len(messages) else None)


async def send_lines(
    answer: Answer, lines: Sequence[str | Plain], markup: InlineKeyboardMarkup | None = None
) -> None:
    """Lines of a view (a list, a report) in as many messages as they need."""
    await send_messages(answer, pack(lines), markup)
