"""Consent to keep personal data (Law No. 94-V): given before the first question, withdrawable."""

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.services.events import EventService
from bot.services.transaction import transaction
from db.models import (
    AuditEntry,
    Council,
    Event,
    EventVenue,
    Question,
    Registration,
    Subscription,
    Topic,
    User,
)
from db.repositories.privacy import PersonalDataRepository
from db.repositories.questions import QuestionRepository
from db.repositories.users import UserRepository


@dataclass(frozen=True)
class Forgotten:
    """What /privacy erased: with `withdrawn`, the consent too (else only a name kept before
    consent was asked). `named`: the questions shown with the name, whose posted cards must now
    lose it."""

    withdrawn: bool
    named: list[Question]


@dataclass(frozen=True)
class AskedQuestion:
    """A question with its whole history: the views show the citizen only their part of it
    (bot/views/notify.py CITIZEN_ACTIONS), as /my does."""

    question: Question
    council: Council
    topic: Topic
    history: list[AuditEntry]


@dataclass(frozen=True)
class MyData:
    """Everything the bot holds about one citizen (/my_data)."""

    user: User
    consents: list[AuditEntry]
    questions: list[AskedQuestion]
    registrations: list[tuple[Registration, Event, EventVenue, Council]]
    subscriptions: list[tuple[Subscription, Council]]


@dataclass(frozen=True)
class Deleted:
    """What /delete_me did: `named` questions whose posted cards must lose the name;
    `promoted` registrations of waiting citizens who got a freed place, to be told."""

    named: list[Question]
    promoted: list[Registration] = field(default_factory=list)
    registrations: int = 0
    subscriptions: int = 0


class PrivacyService:
    def __init__(self, session: AsyncSession, clock: Clock, retention_days: int = 0) -> None:
        self.session = session
        self.clock = clock
        self.retention_days = retention_days

    async def my_data(self, user: User) -> MyData:
        data = PersonalDataRepository(self.session)
        asked = await data.questions(user.id)
        histories = await data.histories([q.id for q, _c, _t in asked])
        return MyData(
            user=user,
            consents=await data.consents(user.id),
            questions=[AskedQuestion(q, c, t, histories.get(q.id, [])) for q, c, t in asked],
            registrations=await data.registrations(user.id),
            subscriptions=await data.subscriptions(user.id),
        )

    async def has_data_to_delete(self, user: User) -> bool:
        """Whether /delete_me has anything left to erase (else it was done already)."""
        data = PersonalDataRepository(self.session)
        if user.consent_at is not None or user.full_name or user.username:
            return True
        if any(s.active for s, _c in await data.subscriptions(user.id)):
            return True
        if await data.future_registrations(user.id, self.clock.now()):
            return True
        return any(not q.anonymous for q, _c, _t in await data.questions(user.id))

    @transaction
    async def delete_me(self, user: User) -> Deleted | None:
        """Erase the citizen's identity everywhere: name, username and consent; their
        questions made anonymous; registrations for events to come cancelled (the waiting
        list moves up); subscriptions ended. The Telegram id row stays: questions,
        registrations and the audit log refer to it, and answers to open questions still
        reach the citizen. None when there was nothing left to erase."""
        if not await self.has_data_to_delete(user):
            return None
        now = self.clock.now()
        data = PersonalDataRepository(self.session)
        user.consent_at = None
        user.full_name = ""
        user.username = None
        named = await QuestionRepository(self.session).make_anonymous(user.id)
        registrations = await data.future_registrations(user.id, now)
        promoted = await EventService(self.session, self.clock).leave_all(registrations, user.id)
        ended = await data.end_subscriptions(user.id, now)
        await self._audit(user, "data_deleted")
        return Deleted(named, promoted, len(registrations), ended)

    @transaction
    async def apply_retention(self) -> list[Question]:
        """Make anonymous the questions closed more than PERSONAL_DATA_RETENTION_DAYS ago
        (0: kept). Returns those made anonymous now, whose posted cards must lose the name."""
        if self.retention_days <= 0:
            return []
        cutoff = self.clock.now() - timedelta(days=self.retention_days)
        ids = await PersonalDataRepository(self.session).anonymize_closed_before(cutoff)
        questions = QuestionRepository(self.session)
        found = [await questions.get(question_id) for question_id in ids]
        for question in found:
            if question is not None:
                await self.session.refresh(question)
        return [question for question in found if question is not None]

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
