"""Numbers inside callback data, bounded to what the database holds.

A forged button carrying a number beyond these bounds does not unpack, so no handler takes it and
the user is told that the button is no longer valid, instead of the query failing on overflow."""

from typing import Annotated

from pydantic import Field

from bot.numbers import INT64_MAX

# A row id, a Telegram id or a small code: 0 … 2⁶³−1.
CallbackId = Annotated[int, Field(ge=0, le=INT64_MAX)]
# A page number: multiplied by a page size it must still be a valid SQL offset.
CallbackPage = Annotated[int, Field(ge=0, le=2**31 - 1)]
