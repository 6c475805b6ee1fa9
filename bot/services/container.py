"""The services of one update, handed to handlers ready-made: a handler names `services` and
uses the ones it needs (`services.questions.create(...)`); none builds a repository or commits.

Built per update by the database middleware, bound to the update's session. Each service is
made on first use, so an update pays only for the ones its handler touches."""

from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.services.audit import AuditService
from bot.services.broadcasts import BroadcastService, SubscriptionService
from bot.services.councils import CouncilService
from bot.services.events import EventService
from bot.services.privacy import PrivacyService
from bot.services.publication import PublicationService
from bot.services.questions import QuestionService
from bot.services.users import UserService


class Services:
    def __init__(self, session: AsyncSession, settings: Settings, clock: Clock) -> None:
        self.session = session
        self.settings = settings
        self.clock = clock

    @cached_property
    def questions(self) -> QuestionService:
        return QuestionService(self.session, self.settings, self.clock)

    @cached_property
    def publication(self) -> PublicationService:
        return PublicationService(self.session, self.settings, self.clock)

    @cached_property
    def events(self) -> EventService:
        return EventService(self.session, self.clock)

    @cached_property
    def broadcasts(self) -> BroadcastService:
        return BroadcastService(self.session, self.clock)

    @cached_property
    def subscriptions(self) -> SubscriptionService:
        return SubscriptionService(self.session, self.clock)

    @cached_property
    def councils(self) -> CouncilService:
        return CouncilService(self.session, self.settings, self.clock)

    @cached_property
    def privacy(self) -> PrivacyService:
        return PrivacyService(self.session, self.clock, self.settings.personal_data_retention_days)

    @cached_property
    def users(self) -> UserService:
        return UserService(self.session)

    @cached_property
    def audit(self) -> AuditService:
        return AuditService(self.session, self.settings, self.clock)
