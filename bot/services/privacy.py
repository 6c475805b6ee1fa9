"""Consent to keep personal data (Law No. 94-V): given before the first question, withdrawable."""

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from db.models import AuditEntry, User
from db.repositories.questions import QuestionRepository


class PrivacyService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def consent(self, user: User) -> None:
        user.consent_at = self.clock.now()
        await self._audit(user, "consent_given")

    async def withdraw(self, user: User) -> None:
        """Erase what identifies the user and make their questions anonymous. The Telegram id
        stays, so that answers to their open questions can still reach them."""
        user.consent_at = None
        user.full_name = ""
        user.username = None
        await QuestionRepository(self.session).make_anonymous(user.id)
        await self._audit(user, "consent_withdrawn")

    async def _audit(self, user: User, action: str) -> None:
        await QuestionRepository(self.session).audit(
            AuditEntry(at=self.clock.now(), actor_id=user.id, action=action)
        )
        await self.session.flush()
