"""Logging setup; the bot token never reaches a log line.

LOG_FORMAT=text writes one readable line per record; LOG_FORMAT=json one JSON object per line
(time, level, logger, message, the exception if any, and whatever the call passed as `extra`,
such as update_id) for a log collector. At INFO the per-update, per-job and migration-context
chatter of the libraries stays out; LOG_LEVEL=DEBUG lets all of it through."""

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

# Attributes every LogRecord has: anything else on a record came from `extra=`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}

# Libraries' lines that say nothing an operator needs, at INFO: aiogram's "Update id=… is
# handled" (thousands a minute in a wave, and CPU on the hot path), APScheduler's "Running job"
# and "executed successfully" for every run of every job (tens of thousands a day) and its job
# bookkeeping at start, Alembic's plugin set-up. Their warnings and errors still show.
_QUIET = ("aiogram.event", "apscheduler", "alembic.runtime.plugins")
# Alembic's "Context impl SQLiteImpl." and "Will assume transactional DDL.", at every start;
# its "Running upgrade a -> b" lines stay (they say a migration was applied).
_ALEMBIC_CONTEXT = ("Context impl ", "Will assume ")


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


class AlembicContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(_ALEMBIC_CONTEXT)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, then `exc` and
    any extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        return json.dumps(entry, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(level: str, token: str, log_format: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    formatter = JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(formatter)
    handler.addFilter(RedactFilter(token))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    debug = logging.getLevelName(level) <= logging.DEBUG
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.DEBUG if debug else logging.WARNING)
    migration = logging.getLogger("alembic.runtime.migration")
    migration.filters[:] = [] if debug else [AlembicContextFilter()]
