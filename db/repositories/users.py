from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from db.models import User

# Built once: every update from a user the cache does not hold runs it.
_USERS = cast(Table, User.__table__)
_ROW = select(_USERS).where(_USERS.c.id == bindparam("user_id"))


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: int) -> User | None:
        return await self.session.get(User, user_id)

    async def row(self, user_id: int) -> dict[str, Any] | None:
        """The user's columns (a plain query: cheaper than loading the object, see attach)."""
        result = await self.session.execute(_ROW, {"user_id": user_id})
        found = result.mappings().first()
        return dict(found) if found is not None else None

    def attach(self, columns: dict[str, Any]) -> User:
        """The user as a recent copy of their row says (bot/cache.py), in this session, without
        a query: what the session changes on it is written as usual."""
        user = User(**columns)
        make_transient_to_detached(user)
        self.session.add(user)
        return user

    async def touch(
        self,
        user_id: int,
        *,
        full_name: str,
        username: str | None,
        telegram_language: str | None,
        now: datetime,
        keep_name: bool = False,
    ) -> User:
        """Create the user on first contact, or refresh what Telegram tells us about them.

        A name and username are kept only for someone whose name we may keep: a citizen who
        consented, staff (`remember_name`), or `keep_name` (superadmins). Nobody else's."""
        user = await self.get(user_id)
        if user is None:
            user = User(
                id=user_id,
                full_name=full_name if keep_name else "",
                username=username if keep_name else None,
                telegram_language=telegram_language,
                first_seen=now,
                last_seen=now,
                is_active=True,
            )
            self.session.add(user)
        else:
            # After consent was withdrawn (name erased, no consent), the name is not taken again.
            if keep_name or user.consent_at is not None or user.full_name:
                user.full_name = full_name
                user.username = username
            user.telegram_language = telegram_language
            user.is_active = True  # last_seen: bot.cache.LastSeen writes it, once a minute
        await self.session.flush()
        return user

    async def set_last_seen(self, seen: dict[int, datetime]) -> None:
        """Many users' last_seen in one statement, executed for each (user id, moment)."""
        statement = (
            update(_USERS)
            .where(_USERS.c.id == bindparam("user_id"))
            .values(last_seen=bindparam("moment"))
        )
        await self.session.execute(
            statement, [{"user_id": user_id, "moment": moment} for user_id, moment in seen.items()]
        )

    async def remember_name(self, user: User, full_name: str, username: str | None) -> None:
        user.full_name = full_name
        user.username = username
        await self.session.flush()

    async def set_language(self, user: User, language: str) -> None:
        user.language = language
        await self.session.flush()

    async def set_active(self, user_id: int, active: bool) -> None:
        await self.session.execute(update(User).where(User.id == user_id).values(is_active=active))

    async def set_inactive(self, user_ids: list[int]) -> None:
        if user_ids:
            await self.session.execute(
                update(User).where(User.id.in_(user_ids)).values(is_active=False)
            )

    async def languages(self, user_ids: list[int]) -> dict[int, str | None]:
        rows = await self.session.execute(
            select(User.id, User.language).where(User.id.in_(user_ids))
        )
        return dict(rows.tuples().all())
