"""The retention job: once a day, closed questions older than PERSONAL_DATA_RETENTION_DAYS are
made anonymous (Law No. 94-V: personal data kept no longer than the notice says), and their
posted cards are drawn again without the name.

Replicas may all run it: the conditional UPDATE (only questions still named) is the claim, so
each question is made anonymous, and its cards re-rendered, by one of them."""

import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.services.privacy import PrivacyService
from bot.views.notify import Notifier

logger = logging.getLogger(__name__)


class RetentionJob:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        notifier: Notifier,
        settings: Settings,
        clock: Clock,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.notifier = notifier
        self.settings = settings
        self.clock = clock

    async def run(self) -> int:
        """Returns how many questions were made anonymous."""
        async with self.sessionmaker() as session:
            privacy = PrivacyService(
                session, self.clock, self.settings.personal_data_retention_days
            )
            questions = await privacy.apply_retention()
            for question in questions:
                await self.notifier.refresh_cards(session, question)
        if questions:
            logger.info("retention: %d closed questions made anonymous", len(questions))
        return len(questions)
