"""The broadcast engine: sends a broadcast to its fixed recipients at the bulk rate limit, so that
nothing is lost and nothing is sent twice, even across a crash.

How a broadcast moves: SCHEDULED → (its time comes, or it was missed while the bot was down)
RUNNING → DONE, or CANCELLED before it starts, or STOPPED by a secretary while it runs.

Crash safety. When it starts, one delivery row per recipient is written (in one statement, by
the database), so the audience cannot shift and progress survives restarts. Deliveries are then
claimed a chunk at a time: marked SENDING and committed *before* any of them is handed to
Telegram, and each outcome (SENT, BLOCKED, FAILED) is committed when the chunk is done.

The one unavoidable ambiguity is a send whose answer never came back: the process died after a
delivery was marked SENDING and before its outcome was written. Telegram has no idempotency key,
so nobody can tell whether that message arrived. It is resolved towards *never twice*: on restart
such rows become UNCERTAIN, are not sent again, and are counted in the report. The window is one
chunk, kept small (about a fifth of a second of sending at the configured rate).

Replicas. Any number of processes may run this engine on one database. A broadcast is sent by
one of them at a time: the one holding its lease (`owner`, `lease_until`), taken with a
conditional UPDATE and renewed with every chunk. A process that dies stops renewing; once the
lease has run out (BROADCAST_LEASE_SECONDS), the next tick of any other process takes the
broadcast over, marks the dead one's in-flight chunk UNCERTAIN, and sends the rest. Chunks are
claimed with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so even two holders could never claim one
delivery.
"""

import asyncio
import logging
import os
import secrets
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import metrics
from bot.callback_ids import CallbackId
from bot.clock import Clock
from bot.config import Settings
from bot.i18n import format_when
from bot.ratelimit import RateLimiter, RedisRateLimiter
from bot.services.broadcasts import council_tz, is_late, pick_text
from bot.telegram_session import PlainSendMessage, PlainSendPhoto
from bot.views.event_cards import (
    ATTEND,
    CALENDAR,
    EventAct,
    EventAction,
    event_button,
    notice_keyboard,
    reminder_keyboard,
)
from bot.views.notify import speaking
from db.models import Broadcast, BroadcastKind, BroadcastStatus, Council, DeliveryStatus
from db.repositories.broadcasts import BroadcastRepository
from db.repositories.councils import CouncilRepository
from db.repositories.events import EventRepository
from db.repositories.users import UserRepository

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
BACKOFF_SECONDS = 0.5
MAX_IN_FLIGHT = 200
FAST_RATE = 200


class Unsubscribe(CallbackData, prefix="unsub"):
    council_id: CallbackId


@lru_cache(maxsize=256)
def _unsubscribe_keyboard(label: str, council_id: int) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(
        text=label, callback_data=Unsubscribe(council_id=council_id).pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def unsubscribe_keyboard(i18n: I18n, council_id: int, language: str) -> InlineKeyboardMarkup:
    return _unsubscribe_keyboard(i18n.gettext("Unsubscribe", locale=language), council_id)


class PreviewButton(CallbackData, prefix="pv"):
    """A citizen's button shown under a secretary's preview: it does nothing."""


def preview_keyboard(i18n: I18n, language: str) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(
        text=i18n.gettext("Unsubscribe", locale=language), callback_data=PreviewButton().pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def without_unsubscribe(markup: InlineKeyboardMarkup | None) -> InlineKeyboardMarkup | None:
    """The buttons under a message but Unsubscribe."""
    if markup is None:
        return None
    prefix = f"{Unsubscribe.__prefix__}:"
    rows = [
        [b for b in row if not (b.callback_data or "").startswith(prefix)]
        for row in markup.inline_keyboard
    ]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


@lru_cache(maxsize=1024)
def _event_keyboard(labels: tuple[str, str, str], event_id: int, council_id: int):
    attend, calendar, unsubscribe = labels
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                event_button(attend, EventAct(action=EventAction.GO, event_id=event_id)),
                event_button(calendar, EventAct(action=EventAction.ICS, event_id=event_id)),
            ],
            [event_button(unsubscribe, Unsubscribe(council_id=council_id))],
        ]
    )


def event_keyboard(
    i18n: I18n, event_id: int, council_id: int, language: str
) -> InlineKeyboardMarkup:
    """Under an event's announcement: I will attend, Add to calendar, and Unsubscribe."""
    labels = (
        i18n.gettext(ATTEND, locale=language),
        i18n.gettext(CALENDAR, locale=language),
        i18n.gettext("Unsubscribe", locale=language),
    )
    return _event_keyboard(labels, event_id, council_id)


def broadcast_keyboard(i18n: I18n, broadcast: Broadcast, language: str) -> InlineKeyboardMarkup:
    """The buttons a recipient gets, by the kind of broadcast."""
    if broadcast.event_id is not None:
        if broadcast.kind == BroadcastKind.EVENT:
            return event_keyboard(i18n, broadcast.event_id, broadcast.council_id, language)
        if broadcast.kind == BroadcastKind.REMINDER:
            return reminder_keyboard(i18n, broadcast.event_id, language)
        if broadcast.kind == BroadcastKind.EVENT_NOTICE:
            return notice_keyboard(i18n, broadcast.event_id, language)
    return unsubscribe_keyboard(i18n, broadcast.council_id, language)


@dataclass
class Progress:
    total: int = 0
    done: int = 0
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    uncertain: int = 0
    started: float = field(default_factory=time.monotonic)

    def count(self, results: list[dict[str, Any]]) -> None:
        for result in results:
            self.done += 1
            if result["status"] == DeliveryStatus.SENT:
                self.sent += 1
            elif result["status"] == DeliveryStatus.BLOCKED:
                self.blocked += 1
            else:
                self.failed += 1

    @property
    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0


class Broadcaster:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        bot: Bot,
        i18n: I18n,
        settings: Settings,
        clock: Clock,
        limiter: RateLimiter | RedisRateLimiter | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.bot = bot
        self.i18n = i18n
        self.settings = settings
        self.clock = clock
        self.limiter = limiter or RateLimiter(settings.broadcast_rate)
        self.chunk_size: int | None = None
        self.progress_seconds = settings.broadcast_progress_seconds
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._closing = False
        # Who this process is among replicas, and how long its claim on a broadcast holds
        # without being renewed (it is renewed with every chunk, several times a second).
        self.replica = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"[-64:]
        self.lease = timedelta(seconds=settings.broadcast_lease_seconds)
        self._lost: set[int] = set()

    @property
    def lanes(self) -> int:
        """At high rates two lanes overlap one chunk's database work with another's sending."""
        rate = self.limiter.rate
        return 2 if rate is None or rate >= FAST_RATE else 1

    @property
    def chunk(self) -> int:
        """Deliveries a lane claims at once. All lanes together hold about a fifth of a second
        of sending (an unlimited rate counts as 1000/s), at most 200: the most that a crash
        can leave uncertain."""
        if self.chunk_size is not None:
            return self.chunk_size
        in_flight = max(1, min(MAX_IN_FLIGHT, (self.limiter.rate or 1000) // 5))
        return max(1, in_flight // self.lanes)

    @chunk.setter
    def chunk(self, size: int) -> None:
        self.chunk_size = size

    # -- waking up -------------------------------------------------------------------------

    async def tick(self) -> list[int]:
        """Start every broadcast that is due, and resume any left running by a dead process.
        Returns the ids started now. Called by the scheduler every few seconds and at start."""
        if self._closing:
            return []
        async with self.sessionmaker() as session:
            repo = BroadcastRepository(session)
            wanted = [b.id for b in await repo.running()] + [
                b.id for b in await repo.due(self.clock.now())
            ]
        started = []
        for broadcast_id in wanted:
            if broadcast_id in self._tasks and not self._tasks[broadcast_id].done():
                continue
            self._tasks[broadcast_id] = asyncio.create_task(self.run(broadcast_id))
            started.append(broadcast_id)
        return started

    async def wait(self) -> None:
        """Wait for every broadcast this process is sending (tests, graceful shutdown)."""
        while self._tasks:
            tasks = list(self._tasks.values())
            await asyncio.gather(*tasks, return_exceptions=True)
            self._tasks = {k: t for k, t in self._tasks.items() if not t.done()}

    async def close(self, grace: float = 10.0) -> None:
        """Stop claiming new chunks; let the chunk in hand finish, so nothing is left SENDING."""
        self._closing = True
        if self._tasks:
            await asyncio.wait(list(self._tasks.values()), timeout=grace)

    # -- sending one broadcast -------------------------------------------------------------

    async def run(self, broadcast_id: int) -> None:
        try:
            await self._run(broadcast_id)
        except Exception:
            logger.exception("broadcast %s failed; it will be resumed", broadcast_id)

    async def _run(self, broadcast_id: int) -> None:
        started_late = False
        async with self.sessionmaker() as session:
            repo = BroadcastRepository(session)
            broadcast = await repo.get(broadcast_id)
            if broadcast is None:
                return
            council = await CouncilRepository(session).get(broadcast.council_id)
            assert council is not None
            now = self.clock.now()
            # Only one process sends a broadcast; another takes over when its lease runs out.
            if not await repo.take_lease(broadcast.id, self.replica, now, now + self.lease):
                return
            if broadcast.status == BroadcastStatus.SCHEDULED and await self._too_late(
                session, broadcast
            ):
                await repo.set_status(
                    broadcast.id,
                    [BroadcastStatus.SCHEDULED],
                    status=BroadcastStatus.CANCELLED,
                    finished_at=now,
                )
                await session.commit()
                logger.info("broadcast %s: its event has started; not sent", broadcast.id)
                return
            if broadcast.status == BroadcastStatus.SCHEDULED:
                if not await repo.set_status(
                    broadcast.id,
                    [BroadcastStatus.SCHEDULED],
                    status=BroadcastStatus.RUNNING,
                    started_at=now,
                ):
                    return
                started_late = is_late(broadcast, now)
            elif broadcast.status != BroadcastStatus.RUNNING:
                return
            if not broadcast.recipients_fixed:
                await repo.fix_recipients(broadcast, council)
            # Whatever was being sent when the previous holder died (this process before a
            # restart, or another replica) is ambiguous: never resend.
            uncertain = await repo.mark_uncertain(broadcast.id)
            await session.commit()
            broadcast = await repo.get(broadcast.id)
            assert broadcast is not None
            counts = await repo.counts(broadcast.id)
        if uncertain:
            logger.warning(
                "broadcast %s: %s deliveries uncertain after a restart", broadcast_id, uncertain
            )

        progress = Progress(
            total=sum(counts.values()),
            sent=counts["sent"],
            failed=counts["failed"],
            blocked=counts["blocked"],
            uncertain=counts["uncertain"],
        )
        progress.done = progress.total - counts["pending"] - counts["sending"]
        already_done = progress.done
        progress.started = time.monotonic()
        if started_late:
            await self._tell_late(broadcast, council)
        await self._show_progress(broadcast, progress, already_done, final=False)
        shown = [time.monotonic()]
        async with asyncio.TaskGroup() as lanes:
            for _ in range(self.lanes):
                lanes.create_task(self._lane(broadcast, council, progress, already_done, shown))

        # Every lane has recorded its last chunk. Done, unless stopped, shutting down, or taken
        # over; the lease is given back, so on shutdown another replica resumes at once.
        lost = broadcast.id in self._lost
        self._lost.discard(broadcast.id)
        async with self.sessionmaker() as session:
            repo = BroadcastRepository(session)
            if not self._closing and not lost and await repo.count_pending(broadcast.id) == 0:
                await repo.set_status(
                    broadcast.id,
                    [BroadcastStatus.RUNNING],
                    status=BroadcastStatus.DONE,
                    finished_at=self.clock.now(),
                )
            await repo.release_lease(broadcast.id, self.replica)
            await session.commit()
            final = await repo.get(broadcast.id)
        if lost:
            logger.warning("broadcast %s was taken over by another process", broadcast.id)
            return
        if final is not None and final.status in (BroadcastStatus.DONE, BroadcastStatus.STOPPED):
            await self._show_progress(final, progress, already_done, final=True)

    async def _too_late(self, session: AsyncSession, broadcast: Broadcast) -> bool:
        """An event's announcement or reminder that could not go out before the event started
        (the bot was down) is not sent late."""
        if broadcast.kind not in (BroadcastKind.EVENT, BroadcastKind.REMINDER):
            return False
        event = await EventRepository(session).get(broadcast.event_id or 0)
        return event is None or event.starts_at <= self.clock.now()

    async def _lane(
        self,
        broadcast: Broadcast,
        council: Council,
        progress: Progress,
        already_done: int,
        shown: list[float],
    ) -> None:
        """Claim a chunk, send it, record it with the next claim; until nothing is left. With
        two lanes, one sends while the other is in the database."""
        results: list[dict[str, Any]] = []
        while True:
            # One transaction per chunk: record what the last chunk did, then claim the next.
            async with self.sessionmaker() as session:
                repo = BroadcastRepository(session)
                await repo.record(results)
                await UserRepository(session).set_inactive(
                    [r["user_id"] for r in results if r["status"] == DeliveryStatus.BLOCKED]
                )
                claimed: list[tuple[int, int, str]] = []
                status = await repo.status(broadcast.id)
                if status == BroadcastStatus.RUNNING and not self._closing:
                    if await repo.renew_lease(
                        broadcast.id, self.replica, self.clock.now() + self.lease
                    ):
                        claimed = await repo.claim(broadcast.id, self.chunk)
                    else:
                        self._lost.add(broadcast.id)
                await session.commit()
            progress.count(results)
            metrics.count_deliveries(r["status"].value for r in results)
            if not claimed:
                return
            if time.monotonic() - shown[0] >= self.progress_seconds:
                shown[0] = time.monotonic()
                await self._show_progress(broadcast, progress, already_done, final=False)
            results = list(
                await asyncio.gather(*(self._deliver(broadcast, council, row) for row in claimed))
            )

    async def _deliver(
        self, broadcast: Broadcast, council: Council, row: tuple[int, int, str]
    ) -> dict[str, Any]:
        delivery_id, user_id, language = row
        text = pick_text(broadcast, language, council.default_language)
        markup = broadcast_keyboard(self.i18n, broadcast, language)
        attempts = 0
        while True:
            await self.limiter.acquire()
            attempts += 1
            try:
                await self._send(user_id, text, broadcast.photo_file_id, markup)
            except TelegramRetryAfter as exc:
                # Everyone waits, then this same message is tried again; not counted as a try.
                await self.limiter.pause(exc.retry_after)
                attempts -= 1
                continue
            except TelegramForbiddenError as exc:
                return _result(delivery_id, user_id, DeliveryStatus.BLOCKED, attempts, exc.message)
            except (TelegramBadRequest, TelegramNotFound) as exc:
                # The request itself is wrong (chat not found, …): trying again cannot help.
                return _result(delivery_id, user_id, DeliveryStatus.FAILED, attempts, exc.message)
            except (TimeoutError, TelegramAPIError, OSError) as exc:
                if attempts >= MAX_ATTEMPTS:
                    return _result(delivery_id, user_id, DeliveryStatus.FAILED, attempts, str(exc))
                await self.limiter.sleep(BACKOFF_SECONDS * 2 ** (attempts - 1))
                continue
            return _result(
                delivery_id, user_id, DeliveryStatus.SENT, attempts, None, self.clock.now()
            )

    async def _send(
        self, chat_id: int, text: str, photo: str | None, markup: InlineKeyboardMarkup
    ) -> None:
        paid = {"allow_paid_broadcast": True} if self.settings.broadcast_paid else {}
        if photo:
            await self.bot(
                PlainSendPhoto(
                    chat_id=chat_id, photo=photo, caption=text, reply_markup=markup, **paid
                )
            )
        else:
            await self.bot(
                PlainSendMessage(chat_id=chat_id, text=text, reply_markup=markup, **paid)
            )

    # -- telling the secretary -------------------------------------------------------------

    async def _secretary_language(self, broadcast: Broadcast) -> str:
        async with self.sessionmaker() as session:
            user = await UserRepository(session).get(broadcast.created_by)
        return (user.language if user else None) or self.settings.default_language

    async def _tell_late(self, broadcast: Broadcast, council: Council) -> None:
        if broadcast.progress_chat_id is None:
            return
        language = await self._secretary_language(broadcast)
        with speaking(self.i18n, language):
            text = _(
                "⏰ Broadcast #{id} was due at {when}, while the bot was not running. "
                "It is being sent now, late."
            ).format(
                id=broadcast.id,
                when=format_when(broadcast.scheduled_at, language, council_tz(council)),
            )
            await self._notify(broadcast.progress_chat_id, text)

    async def _show_progress(
        self, broadcast: Broadcast, progress: Progress, already_done: int, *, final: bool
    ) -> None:
        if broadcast.progress_chat_id is None:
            return
        language = await self._secretary_language(broadcast)
        with speaking(self.i18n, language):
            text = progress_text(broadcast, progress, already_done, final)
            if final:
                await self._edit_progress(broadcast, text)
                await self._notify(broadcast.progress_chat_id, report_text(broadcast, progress))
                return
            await self._edit_progress(broadcast, text)

    async def _edit_progress(self, broadcast: Broadcast, text: str) -> None:
        chat_id = broadcast.progress_chat_id
        assert chat_id is not None
        try:
            if broadcast.progress_message_id is None:
                message = await self.bot.send_message(chat_id, text)
                broadcast.progress_message_id = message.message_id
                async with self.sessionmaker() as session:
                    await BroadcastRepository(session).set_status(
                        broadcast.id,
                        list(BroadcastStatus),
                        progress_message_id=message.message_id,
                    )
                    await session.commit()
            else:
                await self.bot.edit_message_text(
                    text=text, chat_id=chat_id, message_id=broadcast.progress_message_id
                )
        except TelegramAPIError as exc:
            logger.info("progress of broadcast %s not shown: %s", broadcast.id, exc)

    async def _notify(self, chat_id: int, text: str) -> None:
        try:
            await self.bot.send_message(chat_id, text)
        except TelegramAPIError as exc:
            logger.info("message to %s not delivered: %s", chat_id, exc)


def _result(
    delivery_id: int,
    user_id: int,
    status: DeliveryStatus,
    attempts: int,
    error: str | None,
    sent_at: datetime | None = None,
) -> dict[str, Any]:
    return {
        "delivery_id": delivery_id,
        "user_id": user_id,
        "status": status,
        "attempts": attempts,
        "error": error[:256] if error else None,
        "sent_at": sent_at,
    }


def progress_text(broadcast: Broadcast, progress: Progress, already_done: int, final: bool) -> str:
    total = max(progress.total, 1)
    filled = round(10 * progress.done / total)
    bar = "▓" * filled + "░" * (10 - filled)
    rate = progress.rate if progress.done > already_done else 0.0
    remaining = progress.total - progress.done
    eta = f"{int(remaining / rate) // 60}:{int(remaining / rate) % 60:02d}" if rate > 0 else "—"
    title = (
        _("📣 Broadcast #{id}: finished").format(id=broadcast.id)
        if final
        else _("📣 Broadcast #{id}: sending").format(id=broadcast.id)
    )
    return "\n".join(
        [
            title,
            f"{bar} {100 * progress.done // total}%",
            _("Sent: {sent} of {total}").format(sent=progress.sent, total=progress.total),
            _("Failed: {failed} · Blocked: {blocked}").format(
                failed=progress.failed, blocked=progress.blocked
            ),
            _("Rate: {rate}/s · Time left: {eta}").format(rate=f"{rate:.1f}", eta=eta),
        ]
    )


def report_text(broadcast: Broadcast, progress: Progress) -> str:
    lines = [
        (
            _("✅ Broadcast #{id} is finished.")
            if broadcast.status == BroadcastStatus.DONE
            else _("⏹ Broadcast #{id} was stopped.")
        ).format(id=broadcast.id),
        _("Recipients: {total}").format(total=progress.total),
        _("Delivered: {sent}").format(sent=progress.sent),
        _("Blocked the bot: {blocked}").format(blocked=progress.blocked),
        _("Failed: {failed}").format(failed=progress.failed),
    ]
    if progress.uncertain:
        lines.append(
            _("Unknown (the bot stopped while sending; not sent again): {count}").format(
                count=progress.uncertain
            )
        )
    not_sent = progress.total - progress.done
    if not_sent > 0:
        lines.append(_("Not sent (stopped): {count}").format(count=not_sent))
    return "\n".join(lines)
