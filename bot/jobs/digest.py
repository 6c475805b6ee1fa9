"""The morning digest: every working day at DIGEST_HOUR in the council's time zone, each secretary
gets the questions due within two working days and those overdue.

The database, not the scheduler, remembers what was sent: a secretary's digest for a day is
claimed (a unique row) before it is sent, so a restart neither repeats it nor, once the hour has
passed, forgets it. The one ambiguity: a crash after the claim and before Telegram answered loses
that day's digest rather than risk sending it twice — the inbox still shows everything.

A long digest (a busy council) comes in several messages, each within Telegram's limit. When
nothing reached the secretary for a reason that may pass (a 5xx, a timeout, a 429), the day's
claim is given back and the next wake (a minute later) tries again; a blocked bot or a digest
cut off after its first part is not retried.
"""

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as html
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.i18n import format_day
from bot.services.workdays import add_working_days, is_working_day
from bot.views import pack
from bot.views.notify import speaking
from db.models import Council, DigestSent, Question, User
from db.repositories.councils import CouncilRepository
from db.repositories.questions import QuestionRepository

logger = logging.getLogger(__name__)

DUE_SOON_WORKING_DAYS = 2


class DigestService:
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
        """Send every digest that is due now and not yet sent. Returns how many were sent."""
        now = self.clock.now()
        sent = 0
        async with self.sessionmaker() as session:
            councils = await CouncilRepository(session).all()
        for council in councils:
            local = now.astimezone(ZoneInfo(council.timezone))
            if not is_working_day(local.date()) or local.hour < self.settings.digest_hour:
                continue
            sent += await self._council(council, local, now)
        return sent

    async def _council(self, council: Council, local: datetime, now: datetime) -> int:
        today = local.date()
        last_day = add_working_days(today, DUE_SOON_WORKING_DAYS)
        async with self.sessionmaker() as session:
            secretaries = await CouncilRepository(session).secretaries(council.id)
            questions = await QuestionRepository(session).due_by(council.id, last_day)
        sent = 0
        for secretary in secretaries:
            if not await self._claim(council.id, secretary.id, today, now):
                continue
            if not questions:
                continue
            outcome = await self._send(council, secretary, questions, today)
            if outcome == "sent":
                sent += 1
            elif outcome == "retry":
                # Nothing reached them and it may next time: the day is given back.
                await self._release(council.id, secretary.id, today)
        return sent

    async def _release(self, council_id: int, user_id: int, day) -> None:
        async with self.sessionmaker() as session:
            await session.execute(
                delete(DigestSent).where(
                    DigestSent.council_id == council_id,
                    DigestSent.user_id == user_id,
                    DigestSent.day == day,
                )
            )
            await session.commit()

    async def _claim(self, council_id: int, user_id: int, day, now: datetime) -> bool:
        async with self.sessionmaker() as session:
            session.add(
                DigestSent(council_id=council_id, user_id=user_id, day=day, claimed_at=now)
            )
            try:
                await session.commit()
            except IntegrityError:
                return False
        return True

    async def _send(
        self, council: Council, secretary: User, questions: list[Question], today
    ) -> str:
        """Send the digest, in as many messages as it takes: "sent", "retry" when nothing
        reached the secretary for a reason that may pass (5xx, timeout, 429), or "failed"."""
        language = secretary.language or council.default_language
        overdue = [question for question in questions if question.due_date < today]
        soon = [question for question in questions if question.due_date >= today]
        with speaking(self.i18n, language):
            lines = [
                _("☀️ Deadlines for {council}").format(council=html.quote(council.name(language))),
            ]
            if overdue:
                lines += ["", _("Overdue: {count}").format(count=len(overdue))]
                lines += [_line(question, language) for question in overdue]
            if soon:
                lines += ["", _("Due within two working days: {count}").format(count=len(soon))]
                lines += [_line(question, language) for question in soon]
            lines += ["", _("All open questions: /inbox")]
            for delivered, text in enumerate(pack(lines)):
                try:
                    await self.bot.send_message(secretary.id, text)
                except TelegramForbiddenError as exc:
                    logger.info("digest to %s not delivered: %s", secretary.id, exc)
                    return "failed"
                except TelegramAPIError as exc:
                    logger.warning("digest to %s not delivered: %s", secretary.id, exc)
                    transient = not delivered and not isinstance(exc, TelegramBadRequest)
                    return "retry" if transient else "failed"
        return "sent"


def _line(question: Question, language: str) -> str:
    extended = " ⏳" if question.extended_at is not None else ""
    return f"• {question.ticket} — {format_day(question.due_date, language)}{extended}"
