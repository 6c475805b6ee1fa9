from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import hold
from db.models import Council, Invite, Secretary, StaffRole, Topic, User
from db.repositories import affected


class CouncilRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count(Council.id))) or 0)

    async def get(self, council_id: int) -> Council | None:
        return await self.session.get(Council, council_id)

    async def all(self) -> list[Council]:
        councils = list(await self.session.scalars(select(Council).order_by(Council.id)))
        hold(self.session, *councils)  # a caller that keeps only ids gets them without a query
        return councils

    async def by_staff_chat(self, chat_id: int) -> Council | None:
        return await self.session.scalar(select(Council).where(Council.staff_chat_id == chat_id))

    async def add(self, council: Council) -> Council:
        self.session.add(council)
        await self.session.flush()
        return council

    # -- topics ---------------------------------------------------------------------------

    async def topics(self, council_id: int, *, include_hidden: bool = False) -> list[Topic]:
        query = select(Topic).where(Topic.council_id == council_id)
        if not include_hidden:
            query = query.where(Topic.is_hidden.is_(False))
        return list(await self.session.scalars(query.order_by(Topic.position, Topic.id)))

    async def topic(self, topic_id: int) -> Topic | None:
        return await self.session.get(Topic, topic_id)

    async def add_topic(self, topic: Topic) -> Topic:
        if not topic.position:
            last = await self.session.scalar(
                select(func.max(Topic.position)).where(Topic.council_id == topic.council_id)
            )
            topic.position = (last or 0) + 1
        self.session.add(topic)
        await self.session.flush()
        return topic

    # -- secretaries and invites ----------------------------------------------------------

    async def secretary_ids(self) -> set[int]:
        """Everyone who is a secretary of some council."""
        return set(await self.session.scalars(select(Secretary.user_id).distinct()))

    async def council_ids_of_secretary(self, user_id: int) -> set[int]:
        rows = await self.session.scalars(
            select(Secretary.council_id).where(Secretary.user_id == user_id)
        )
        return set(rows)

    async def secretaries(self, council_id: int) -> list[User]:
        query = (
            select(User)
            .join(Secretary, Secretary.user_id == User.id)
            .where(Secretary.council_id == council_id)
            .order_by(Secretary.added_at)
        )
        return list(await self.session.scalars(query))

    async def staff(self, council_id: int) -> list[tuple[User, StaffRole]]:
        """The council's staff with their roles, in the order they joined."""
        query = (
            select(User, Secretary.role)
            .join(Secretary, Secretary.user_id == User.id)
            .where(Secretary.council_id == council_id)
            .order_by(Secretary.added_at)
        )
        return [(user, role) for user, role in (await self.session.execute(query)).all()]

    async def chairs(self, council_id: int) -> list[User]:
        query = (
            select(User)
            .join(Secretary, Secretary.user_id == User.id)
            .where(Secretary.council_id == council_id, Secretary.role == StaffRole.CHAIR)
            .order_by(Secretary.added_at)
        )
        return list(await self.session.scalars(query))

    async def membership(self, council_id: int, user_id: int) -> Secretary | None:
        return await self.session.scalar(
            select(Secretary).where(
                Secretary.council_id == council_id, Secretary.user_id == user_id
            )
        )

    async def is_secretary(self, council_id: int, user_id: int) -> bool:
        found = await self.session.scalar(
            select(Secretary.id).where(
                Secretary.council_id == council_id, Secretary.user_id == user_id
            )
        )
        return found is not None

    async def add_secretary(
        self,
        council_id: int,
        user_id: int,
        now: datetime,
        role: StaffRole = StaffRole.SECRETARY,
    ) -> None:
        self.session.add(
            Secretary(council_id=council_id, user_id=user_id, added_at=now, role=role)
        )
        await self.session.flush()

    async def remove_secretary(self, council_id: int, user_id: int) -> bool:
        result = await self.session.execute(
            delete(Secretary).where(
                Secretary.council_id == council_id, Secretary.user_id == user_id
            )
        )
        return bool(affected(result))

    async def add_invite(self, invite: Invite) -> None:
        self.session.add(invite)
        await self.session.flush()

    async def invite(self, token: str) -> Invite | None:
        return await self.session.get(Invite, token, with_for_update=True)
