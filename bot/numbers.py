"""Numbers as people type them into commands: ASCII digits only, within what the database holds.

`str.isdigit()` also passes superscripts ("²") that `int()` then refuses, and an id of twenty
digits overflows a 64-bit column: both used to end a command with no reply."""

import re

INT64_MAX = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_number(text: str | None, maximum: int = INT64_MAX) -> int | None:
    """A whole number from 0 to `maximum` written in ASCII digits (spaces around are fine),
    or None for anything else."""
    text = (text or "").strip()
    if _DIGITS.fullmatch(text) is None:
        return None
    value = int(text)
    return value if value <= maximum else None
