"""Escalation, on the scheduler: every working day from DIGEST_HOUR (council time) each chair
gets the council's questions overdue or due by the next working day, with who holds each; every
week on SUMMARY_WEEKDAY from SUMMARY_HOUR (TIMEZONE) each superadmin gets every council's numbers
for the seven days before.

As with the secretaries' digest (bot/jobs/digest.py), the database remembers what was sent: each
report is claimed in reports_sent (a unique row per kind, reader, council and period) before it
is sent, so it goes once across replicas and restarts; when nothing reached the reader for a
reason that may pass, the claim is given back and the next wake tries again. One reader who
cannot be reached (a blocked bot) never stops the others, and the chairs' part failing never
stops the summary.
"""

import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.services.escalation import (
    ALL_COUNCILS,
    ESCALATION,
    WEEKLY,
    EscalationService,
    summary_day,
    week_before,
)
from bot.services.workdays import is_working_day
from bot.views import pack
from bot.views.escalation import escalation_lines, summary_lines
from bot.views.notify import speaking
from db.models import Council, User
from db.repositories.councils import CouncilRepository
from db.repositories.reports import ReportRepository

logger = logging.getLogger(__name__)


class EscalationJobs:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        bot: Bot,
        i18n: I18n,
        settings: Settings,
        clock: Clock,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.bot = bot
        self.i18n = i18n
        self.settings = settings
        self.clock = clock

    async def run(self) -> int:
        """The chairs' digests, then the weekly summaries: how many were sent. Either part
        failing is logged and does not keep the other from running."""
        sent = 0
        for part in (self.chairs, self.summaries):
            try:
                sent += await part()
            except Exception:
                logger.exception("escalation job %s failed", part.__name__)
        return sent

    # -- the chairs' daily digest ---------------------------------------------------------

    async def chairs(self) -> int:
        now = self.clock.now()
        async with self.sessionmaker() as session:
            councils = await CouncilRepository(session).all()
        sent = 0
        for council in councils:
            local = now.astimezone(ZoneInfo(council.timezone))
            if not is_working_day(local.date()) or local.hour < self.settings.digest_hour:
                continue
            sent += await self._council(council, local.date(), now)
        return sent

    async def _council(self, council: Council, today: date, now: datetime) -> int:
        async with self.sessionmaker() as session:
            chairs = await CouncilRepository(session).chairs(council.id)
            escalation = await EscalationService(session).escalation(council.id, today)
        sent = 0
        for chair in chairs:
            if not await self._claim(ESCALATION, chair.id, council.id, today, now):
                continue
            if not escalation:
                continue  # nothing to escalate today: nothing is sent, and the day is done
            language = chair.language or council.default_language
            with speaking(self.i18n, language):
                lines = escalation_lines(council, escalation, language)
            sent += await self._deliver(ESCALATION, chair, council.id, today, lines)
        return sent

    # -- the superadmins' weekly summary ----------------------------------------------------

    async def summaries(self) -> int:
        now = self.clock.now()
        zone = self.settings.tz
        day = summary_day(
            now.astimezone(zone), self.settings.summary_weekday, self.settings.summary_hour
        )
        if day is None or not self.settings.admin_ids:
            return 0
        start, end = week_before(day, zone)
        async with self.sessionmaker() as session:
            councils = await CouncilRepository(session).all()
            weeks = await EscalationService(session).week(councils, start, end, now)
            admins = await ReportRepository(session).users(self.settings.admin_ids)
        sent = 0
        for admin_id in sorted(self.settings.admin_ids):
            if not await self._claim(WEEKLY, admin_id, ALL_COUNCILS, day, now):
                continue
            admin = admins.get(admin_id)
            language = (admin.language if admin else None) or self.settings.default_language
            with speaking(self.i18n, language):
                lines = summary_lines(weeks, start.date(), day - timedelta(days=1), language)
            sent += await self._deliver(WEEKLY, admin or admin_id, ALL_COUNCILS, day, lines)
        return sent

    # -- claims and sending -------------------------------------------------------------------

    async def _claim(
        self, kind: str, user_id: int, scope: int, period: date, now: datetime
    ) -> bool:
        async with self.sessionmaker() as session:
            return await EscalationService(session).claim(kind, user_id, scope, period, now)

    async def _deliver(
        self, kind: str, reader: User | int, scope: int, period: date, lines: list[str]
    ) -> int:
        """Send the report in as many messages as it takes: 1 when it was sent, 0 when not
        (and the claim is given back when nothing reached the reader and it may next time)."""
        user_id = reader if isinstance(reader, int) else reader.id
        for delivered, text in enumerate(pack(lines)):
            try:
                await self.bot.send_message(user_id, text)
            except TelegramForbiddenError as exc:
                logger.info("%s report to %s not delivered: %s", kind, user_id, exc)
                return 0
            except TelegramAPIError as exc:
                logger.warning("%s report to %s not delivered: %s", kind, user_id, exc)
                if not delivered and not isinstance(exc, TelegramBadRequest):
                    async with self.sessionmaker() as session:
                        await EscalationService(session).release(kind, user_id, scope, period)
                return 0
        return 1
