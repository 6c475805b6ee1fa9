"""Fail when a kk/ru/en catalog is incomplete: a missing, empty or fuzzy translation,
`{placeholders}` or Telegram HTML tags that differ from the source string, or a broken tag.
Run by `make test` and so by CI.

Only the tags Telegram parses count as markup; a usage argument like `<ticket>` is words (sent
through html.quote), so a translation may and should translate it: `<талон нөмірі>`."""

import re
import string
import sys
from collections import Counter
from pathlib import Path

from babel.messages.pofile import read_po

LOCALES = Path(__file__).resolve().parent.parent / "bot" / "locales"
LANGUAGES = ("kk", "ru", "en")
# https://core.telegram.org/bots/api#html-style
TELEGRAM_TAGS = "b|strong|i|em|u|ins|s|strike|del|tg-spoiler|code|pre|blockquote|tg-emoji|a|span"
# The start of something that names a Telegram tag: `<b`, `</code`; a real tag must follow.
TAG_START = re.compile(rf"</?(?:{TELEGRAM_TAGS})(?![\w-])")
TAG = re.compile(
    rf"""</(?:{TELEGRAM_TAGS})>"""
    r"""|<(?:b|strong|i|em|u|ins|s|strike|del|tg-spoiler|code|pre)>"""
    r"""|<blockquote(?: expandable)?>"""
    r"""|<a href="[^"<>]*">"""
    r"""|<span class="tg-spoiler">"""
    r"""|<tg-emoji emoji-id="[^"<>]*">"""
    r"""|<code class="language-[\w+-]+">"""
)


def tags(text: str) -> Counter[str]:
    """Telegram's HTML tags in `text`, each as written, counted."""
    return Counter(TAG.findall(text))


def broken_tags(text: str) -> list[str]:
    """Where `text` starts a Telegram tag that is not one (`<b`, `<b class=x>`), or closes
    a tag that is not open."""
    problems = []
    for start in TAG_START.finditer(text):
        if not TAG.match(text, start.start()):
            problems.append(f"broken tag at {text[start.start() : start.start() + 12]!r}")
    stack: list[str] = []
    for tag in TAG.finditer(text):
        written = tag.group()
        tag_name = re.match(r"</?([\w-]+)", written)
        assert tag_name is not None
        if written.startswith("</"):
            if not stack or stack[-1] != tag_name.group(1):
                problems.append(f"{written} closes nothing open")
            else:
                stack.pop()
        else:
            stack.append(tag_name.group(1))
    problems += [f"<{name}> is never closed" for name in stack]
    return problems


def names(text: str) -> set[str]:
    """The `{placeholders}` of a str.format template."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def translation_problems(sources: list[str], translation: str) -> list[str]:
    """What is wrong with one translation of a message (all its source forms given)."""
    problems = []
    expected = set().union(*(names(source) for source in sources))
    try:
        found = names(translation)
    except ValueError as error:
        return [f"not a format string: {error}"]
    if found != expected:
        problems.append(f"placeholders differ: {sorted(found)} != {sorted(expected)}")
    if tags(translation) != tags(sources[0]):
        problems.append(
            f"tags differ: {sorted(tags(translation).elements())} != "
            f"{sorted(tags(sources[0]).elements())}"
        )
    return problems + broken_tags(translation)


def check(language: str, template_ids: set[str]) -> list[str]:
    path = LOCALES / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    problems = []
    seen = set()
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        seen.add(key)
        sources = [message.id] if isinstance(message.id, str) else list(message.id)
        translations = (
            [message.string] if isinstance(message.string, str) else list(message.string or ())
        )
        if message.fuzzy:
            problems.append(f"{language}: fuzzy: {key!r}")
        if not all(translations):
            problems.append(f"{language}: untranslated: {key!r}")
            continue
        for translation in translations:
            problems += [
                f"{language}: {problem} in {key!r}"
                for problem in translation_problems(sources, translation)
            ]
    problems += [f"{language}: missing: {key!r}" for key in sorted(template_ids - seen)]
    return problems


def main() -> int:
    with (LOCALES / "messages.pot").open("rb") as handle:
        template = read_po(handle)
    template_ids = {
        message.id if isinstance(message.id, str) else message.id[0]
        for message in template
        if message.id
    }
    problems = [problem for language in LANGUAGES for problem in check(language, template_ids)]
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(
            f"{len(problems)} catalog problem(s); run `make extract` and translate",
            file=sys.stderr,
        )
        return 1
    print(f"catalogs complete: {len(template_ids)} messages in {', '.join(LANGUAGES)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
