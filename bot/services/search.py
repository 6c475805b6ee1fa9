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


# -- similar published answers (/ask, /faq <words>) -----------------------------------------
# Whatever the citizen wrote is turned into search terms: each word of letters cut to its first
# STEM letters and searched as a prefix (Kazakh and Russian inflect the end of a word: дорогу,
# дороги → дорог*; жолдарды, жолдар → жолда*, and a shorter word is itself a prefix: жол*),
# numbers as they are (school №12 is not school №120), the words that every question has left
# out. Any term may match (OR); the database ranks the matches (bm25 on SQLite, ts_rank on
# PostgreSQL) and the service keeps those that share enough terms with the question.
STEM = 5
MIN_TERM = 3
MAX_TERMS = 12

# Words nearly every question holds, in kk, ru and en: they would match everything and rank
# nothing. Compared after case folding, whole words only.
_STOP_WORDS = """
    және мен пен бен да де та те ма ме ба бе па пе ғой қой ше бар жоқ бұл осы сол ол біз
    сіз сен мен менің біздің сіздің оның олар қашан неге неліктен қалай қандай қай қайда кім
    не нені неше қанша үшін туралы бойынша дейін кейін бері арқылы емес еді екен болады бола
    болған болса болып болмай керек мүмкін рахмет сәлеметсіз сәлем өтінемін
    қазір әлі тағы да ғана жылы жыл
    и в во на с со к ко по о об от до за из у же ли не ни но а или что чтобы как когда где
    почему зачем какой какая какие каких кто это эти этот эта тот та те так там тут здесь
    уже еще ещё бы был была были будет будут быть есть нет да мы вы я он она они нам вам нас
    вас их его ее её мой наш ваш свой для при про через над под между после перед очень
    можно нужно надо ли пожалуйста здравствуйте спасибо скажите подскажите вопрос также
    the a an and or but of to in on at by for from with about into over after before is are
    was were be been being will would can could should shall may might must do does did
    have has had what when where why how which who whom whose this that these those there
    here it its our your their my we you they he she i me us them not no yes please hello
    thanks thank question any some
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())


def similar_terms(text: str | None) -> list[str]:
    """The search terms of a question: stems of its words (prefixes) and its numbers, without
    stop words, each once, at most MAX_TERMS. A term of letters ends in `*` (a prefix)."""
    terms: list[str] = []
    for word in _WORD.findall(unicodedata.normalize("NFC", text or "")):
        word = word.casefold()
        if word in STOP_WORDS:
            continue
        if word.isdecimal():
            # Numbers of buildings, schools, routes: the number itself.
            term = word[:MAX_WORD]
        elif len(word) < MIN_TERM:
            continue
        else:
            term = word[:STEM] + "*"
        if term not in terms:
            terms.append(term)
        if len(terms) == MAX_TERMS:
            break
    return terms


def shares(terms: list[str], text: str) -> int:
    """How many of the terms the text holds (a prefix term at the start of a word)."""
    words = {word.casefold() for word in _WORD.findall(unicodedata.normalize("NFC", text))}
    count = 0
    for term in terms:
        if term.endswith("*"):
            stem = term[:-1]
            count += any(word.startswith(stem) for word in words)
        else:
            count += term in words
    return count


def enough_shared(terms: list[str]) -> int:
    """How many terms a published answer must share with the question to be shown: two when
    the question has three or more, else one."""
    return 1 if len(terms) < 3 else 2
