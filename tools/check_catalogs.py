"""Fail when a kk/ru/en catalog is incomplete: a missing, empty or fuzzy translation, or
placeholders that differ from the source string. Run by `make test` and so by CI."""

import re
import string
import sys
from pathlib import Path

from babel.messages.pofile import read_po

LOCALES = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES = ("kk", "ru", "en")
HTML_TAG = re.compile(r"</?[a-z]+>")


def placeholders(text: str) -> set[str]:
    names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    return names | set(HTML_TAG.findall(text))


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
        expected = set().union(*(placeholders(source) for source in sources))
        for translation in translations:
            if placeholders(translation) != expected:
                problems.append(
                    f"{language}: placeholders differ in {key!r}: "
                    f"{sorted(placeholders(translation))} != {sorted(expected)}"
                )
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
