"""Prometheus metrics, served at /metrics (webhook mode, or HEALTH_PORT when polling). Each is
counted where the thing happens: updates in a dispatcher middleware, questions when one is
registered, deliveries by the broadcast engine, scheduler lag by a listener on APScheduler."""

import time
from collections import deque
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from apscheduler.events import EVENT_JOB_SUBMITTED, JobSubmissionEvent
from apscheduler.schedulers.base import BaseScheduler
from prometheus_client import Counter, Gauge

# The broadcast rate is the deliveries of the last RATE_WINDOW seconds, per second.
RATE_WINDOW = 10.0

UPDATES = Counter("bot_updates_total", "Telegram updates handled, by type.", ["type"])
DUPLICATE_UPDATES = Counter(
    "bot_duplicate_updates_total", "Updates Telegram delivered again, skipped."
)
ERRORS = Counter(
    "bot_errors_total", "Updates a handler failed on unexpectedly, by handler.", ["handler"]
)
RETRIES = Counter(
    "bot_update_retries_total",
    "Updates handled again after a failure that passes, by the failure.",
    ["error"],
)
QUESTIONS = Counter("bot_questions_total", "Questions citizens registered with a council.")
DELIVERIES = Counter("bot_deliveries_total", "Broadcast deliveries, by outcome.", ["outcome"])
BROADCAST_RATE = Gauge(
    "bot_broadcast_rate", f"Broadcast deliveries per second over the last {RATE_WINDOW:g} s."
)
SCHEDULER_LAG = Gauge(
    "bot_scheduler_lag_seconds",
    "How late the scheduler started a job's last run, by job.",
    ["job"],
)
LAST_BACKUP = Gauge(
    "bot_last_backup_timestamp_seconds",
    "When the last scheduled SQLite backup was taken (Unix time); 0: none since start.",
)

_recent: deque[float] = deque()


def _forget_old(now: float) -> None:
    while _recent and _recent[0] < now - RATE_WINDOW:
        _recent.popleft()


def _broadcast_rate() -> float:
    _forget_old(time.monotonic())
    return len(_recent) / RATE_WINDOW


BROADCAST_RATE.set_function(_broadcast_rate)


def count_deliveries(outcomes: Iterable[str]) -> None:
    now = time.monotonic()
    for outcome in outcomes:
        DELIVERIES.labels(outcome).inc()
        _recent.append(now)
    _forget_old(now)


def watch_scheduler(scheduler: BaseScheduler) -> None:
    def submitted(event: Any) -> None:
        assert isinstance(event, JobSubmissionEvent)
        if event.scheduled_run_times:
            late = datetime.now(UTC) - event.scheduled_run_times[-1]
            SCHEDULER_LAG.labels(event.job_id).set(max(late.total_seconds(), 0.0))

    scheduler.add_listener(submitted, EVENT_JOB_SUBMITTED)
