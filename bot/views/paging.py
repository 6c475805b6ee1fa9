"""The buttons that turn the pages of a paged list (bot.services.paging.Page)."""

from collections.abc import Callable
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton

from bot.services.paging import Page


def page_buttons(
    page: Page[Any], to: Callable[[int], CallbackData], *, ring: bool = False
) -> list[InlineKeyboardButton]:
    """One row: ◀️ and ▶️ where there is a page before or after; with `ring`, ◀ n/N ▶ going
    round from the last page to the first (one card a page, as /events shows them)."""
    if ring:
        if page.pages < 2:
            return []
        return [
            _button("◀", to((page.number - 1) % page.pages)),
            _button(f"{page.number + 1}/{page.pages}", to(page.number)),
            _button("▶", to((page.number + 1) % page.pages)),
        ]
    row = []
    if page.number > 0:
        row.append(_button("◀️", to(page.number - 1)))
    if page.number + 1 < page.pages:
        row.append(_button("▶️", to(page.number + 1)))
    return row


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())
