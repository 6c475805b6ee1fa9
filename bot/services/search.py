"""What a secretary's /find searches for: plain words from whatever was typed. Quotes, `*`,
`-`, parentheses and the like are separators, never syntax, so no input can break the query;
operators such as NEAR or OR are only words (each word found as a prefix, all of them
required)."""

import re
import unicodedata
from dataclasses import dataclass

from db.models import Question

# A word is a run of letters and digits; shorter ones match too much to be worth a search.
MIN_WORD = 2
# A longer word is searched by its first MAX_WORD characters (as a prefix, so still found).
MAX_WORD = 64
MAX_WORDS = 8
# Results shown; one more is read to know that there are more.
MAX_RESULTS = 10

_WORD = re.compile(r"[^\W_]+")


def search_words(text: str | None) -> list[str]:
    """The distinct words of at least MIN_WORD letters or digits, at most MAX_WORDS of them."""
    words: list[str] = []
    seen: set[str] = set()
    for word in _WORD.findall(unicodedata.normalize("NFC", text or "")):
        word = word[:MAX_WORD]
        if len(word) < MIN_WORD or word.casefold() in seen:
            continue
        seen.add(word.casefold())
        words.append(word)
        if len(words) == MAX_WORDS:
            break
    return words


@dataclass(frozen=True)
class Found:
    """A question that matched, with its internal notes (a note may be what matched)."""

    question: Question
    notes: list[str]


@dataclass(frozen=True)
class SearchResult:
    words: list[str]
    # Newest first.
    found: list[Found]
    # More questions match than are shown.
    more: bool
