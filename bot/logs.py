"""Logging setup; the bot token never reaches a log line."""

import logging
import sys


class RedactFilter(logging.Filter):
    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secret:
            return True
        message = record.getMessage()
        if self.secret in message:
            record.msg = message.replace(self.secret, "<BOT_TOKEN>")
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            if self.secret in text:
                record.exc_info = None
                record.exc_text = text.replace(self.secret, "<BOT_TOKEN>")
        return True


def setup_logging(level: str, token: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactFilter(token))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiogram logs a line for every update it handles ("Update id=… is handled"): at INFO that
    # is thousands of lines a minute in a wave, and CPU on the hot path. Only at DEBUG.
    debug = logging.getLevelName(level) <= logging.DEBUG
    logging.getLogger("aiogram.event").setLevel(logging.DEBUG if debug else logging.WARNING)
