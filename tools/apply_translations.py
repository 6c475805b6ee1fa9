"""Write translations from JSON files into the kk/ru/en catalogs, after `make extract`.

    .venv/bin/python tools/apply_translations.py new-strings.json [more.json ...]

Each file maps a msgid to its translations:

    {"Ticket {ticket} was closed.": {"kk": "…", "ru": "…"},
     "{count} subscriber": {"plural": "{count} subscribers",
                            "kk": ["…", "…"], "ru": ["…", "…", "…"]}}

English takes the msgid (and the plural) as written. A msgid that is not in the catalogs (not
extracted yet, or gone) is reported and skipped. Then `make catalogs` and `make check-catalogs`.
"""

import io
import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

LOCALES = Path(__file__).resolve().parent.parent / "bot" / "locales"


def main(paths: list[str]) -> int:
    wanted: dict[str, dict] = {}
    for path in paths:
        wanted.update(json.loads(Path(path).read_text(encoding="utf-8")))
    missing = set(wanted)
    for language in ("kk", "ru", "en"):
        po_path = LOCALES / language / "LC_MESSAGES" / "messages.po"
        with po_path.open("rb") as f:
            catalog = read_po(f, locale=language)
        for msgid, entry in wanted.items():
            message = catalog.get(msgid)
            if message is None:
                continue
            missing.discard(msgid)
            # A plural in the code (ngettext) is a plural in the catalog, even when its two
            # English forms are the same words.
            plural = entry.get("plural") if message.pluralizable else None
            if language == "en":
                message.string = (msgid, plural) if plural else msgid
            elif plural:
                message.string = tuple(entry[language])
            else:
                forms = entry[language]
                message.string = forms if isinstance(forms, str) else forms[0]
            message.flags.discard("fuzzy")
        written = io.BytesIO()  # the whole catalog first: a failure leaves the file as it was
        write_po(written, catalog, width=76, sort_output=True, omit_header=False)
        po_path.write_bytes(written.getvalue())
    for msgid in sorted(missing):
        print(f"not in the catalogs: {msgid!r}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
