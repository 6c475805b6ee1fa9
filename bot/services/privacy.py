"""Consent to keep personal data (Law No. 94-V): given before the first question, withdrawable."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.services.transaction import transaction
from db.models import AuditEntry, Question, User
from db.repositories.questions import QuestionRepository
from db.repositories.users import UserRepository


@dataclass(frozen=True)
class Forgotten:
    """What /privacy erased: with `withdrawn`, the consent too (else only a name kept before
    consent was asked). `named`: the questions shown with the name, whose posted cards must now
    lose it."""

    withdrawn: bool
    named: list[Question]


class PrivacyService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    @transaction
    async def consent(self, user: User, full_name: str, username: str | None) -> None:
        """Consent given: from now on the name and username Telegram shows are kept."""
        user.consent_at = self.clock.now()
        await UserRepository(self.session).remember_name(user, full_name, username)
        await self._audit(user, "consent_given")

    @transaction
    async def forget(self, user: User) -> Forgotten | None:
        """Withdraw the consent if given, else erase a name kept without it; None when there
        is nothing to erase (a stale button)."""
        if user.consent_at is not None:
            return Forgotten(withdrawn=True, named=await self._withdraw(user))
        if user.full_name or user.username:
            await self._erase(user)
            return Forgotten(withdrawn=False, named=[])
        return None

    async def _withdraw(self, user: User) -> list[Question]:
        """Erase what identifies the user and make their questions anonymous. The Telegram id
        stays, so that answers to their open questions can still reach them. Returns the
        questions that were shown with the name, whose posted cards must now lose it."""
        user.consent_at = None
        user.full_name = ""
        user.username = None
        named = await QuestionRepository(self.session).make_anonymous(user.id)
        await self._audit(user, "consent_withdrawn")
        return named

    async def _erase(self, user: User) -> None:
        """Without consent there is nothing to withdraw, but whatever identifies the user (a
        name kept before this rule) is erased all the same."""
        user.full_name = ""
        user.username = None
        await self._audit(user, "data_erased")

    async def _audit(self, user: User, action: str) -> None:
        await QuestionRepository(self.session).audit(
            AuditEntry(at=self.clock.now(), actor_id=user.id, action=action)
        )
        await self.session.flush()
