"""Views that fit Telegram: a text that grows with user text or with data is sent as several
messages, each within Telegram's limit, never cut inside a tag or an escape.

A view is a list of parts: HTML lines that are each valid HTML on their own (`"<b>Total</b>"`),
and `Plain` user text, escaped here and, when longer than a message, split between words.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import unescape

from aiogram.utils.text_decorations import html_decoration as html

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024

_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Plain:
    """User text: shown escaped; may be split between words across messages."""

    text: str


def visible_length(html_text: str) -> int:
    """What Telegram counts against its limits: the text after entity parsing, in UTF-16
    code units."""
    return len(unescape(_TAG.sub("", html_text)).encode("utf-16-le")) // 2


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _split_plain(text: str, limit: int) -> list[str]:
    """Raw text in pieces of at most `limit` visible units, cut after a line break or a
    space when there is one, escaped afterwards."""
    pieces = []
    while _utf16(text) > limit:
        cut = limit
        while _utf16(text[:cut]) > limit:
            cut -= 1
        window = text[:cut]
        space = max(window.rfind("\n"), window.rfind(" "))
        if space > cut // 2:
            cut = space + 1
        pieces.append(text[:cut])
        text = text[cut:]
    pieces.append(text)
    return [html.quote(piece) for piece in pieces if piece]


def pack(parts: Sequence[str | Plain], limit: int = MESSAGE_LIMIT) -> list[str]:
    """The parts joined by line breaks into as few messages as fit within `limit` each."""
    lines: list[str] = []
    for part in parts:
        if isinstance(part, Plain):
            lines += _split_plain(part.text, limit) if part.text else [""]
        else:
            if visible_length(part) > limit:
                raise ValueError("an HTML part longer than a message cannot be split safely")
            lines.append(part)
    messages: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        length = visible_length(line)
        extra = length + (1 if current else 0)
        if current and size + extra > limit:
            messages.append("\n".join(current))
            current, size = [], 0
            extra = length
        current.append(line)
        size += extra
    if current:
        messages.append("\n".join(current))
    # Telegram refuses an empty message; blank lines at a cut are dropped.
    return [message.strip("\n") for message in messages if message.strip()]
