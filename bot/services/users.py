"""A user's own settings."""

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.transaction import transaction
from db.models import User
from db.repositories.users import UserRepository


class UserService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def language_of(self, user_id: int) -> str | None:
        """The language a user picked; None before they picked one (or if never seen)."""
        user = await UserRepository(self.session).get(user_id)
        return user.language if user is not None else None

    @transaction
    async def choose_language(self, user: User, language: str) -> None:
        await UserRepository(self.session).set_language(user, language)

    @transaction
    async def set_active(self, user_id: int, active: bool) -> None:
        """Whether the user can be written to: not when they blocked the bot."""
        await UserRepository(self.session).set_active(user_id, active)
