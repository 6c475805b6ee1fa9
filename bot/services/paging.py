"""One page of a list: the page a button asked for, kept within the pages there are now (a
button from yesterday may name a page the list no longer has)."""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    number: int  # from 0
    pages: int  # at least 1
    total: int  # items in the whole list

    @property
    def empty(self) -> bool:
        return self.total == 0


async def page_of(
    total: int,
    requested: int,
    per_page: int,
    load: Callable[[int, int], Awaitable[Sequence[T]]],
) -> Page[T]:
    """Page `requested` of a list of `total` items; `load(offset, limit)` reads its items."""
    pages = max(1, -(-total // per_page))
    number = min(max(requested, 0), pages - 1)
    items = await load(number * per_page, per_page) if total else []
    return Page(items, number, pages, total)
