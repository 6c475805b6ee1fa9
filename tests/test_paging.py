"""One pagination for every paged list (/my, /inbox, /events): a page a stale button names is
kept within the pages the list has now, and the buttons turn only to pages that exist."""

from aiogram.filters.callback_data import CallbackData

from bot.services.paging import page_of
from bot.views.paging import page_buttons


class Turn(CallbackData, prefix="t"):
    page: int


async def load(offset: int, limit: int) -> list[int]:
    return list(range(23))[offset : offset + limit]


async def test_a_page_beyond_the_list_shows_its_last_page():
    page = await page_of(23, 2_147_483_647, 5, load)
    assert (page.number, page.pages, list(page.items)) == (4, 5, [20, 21, 22])
    assert (await page_of(23, -3, 5, load)).number == 0


async def test_an_empty_list_is_one_empty_page_without_buttons():
    page = await page_of(0, 7, 5, load)
    assert page.empty and page.items == [] and page.pages == 1
    assert page_buttons(page, lambda number: Turn(page=number)) == []


async def test_buttons_lead_only_to_pages_that_exist():
    def texts(page):
        buttons = page_buttons(page, lambda number: Turn(page=number))
        return [(button.text, button.callback_data) for button in buttons]

    assert texts(await page_of(23, 0, 5, load)) == [("▶️", "t:1")]
    assert texts(await page_of(23, 2, 5, load)) == [("◀️", "t:1"), ("▶️", "t:3")]
    assert texts(await page_of(23, 4, 5, load)) == [("◀️", "t:3")]


async def test_a_ring_of_cards_goes_round_from_the_last_to_the_first():
    page = await page_of(3, 2, 1, load)
    buttons = page_buttons(page, lambda number: Turn(page=number), ring=True)
    assert [(b.text, b.callback_data) for b in buttons] == [
        ("◀", "t:1"),
        ("3/3", "t:2"),
        ("▶", "t:0"),
    ]
    assert page_buttons(await page_of(1, 0, 1, load), lambda n: Turn(page=n), ring=True) == []
