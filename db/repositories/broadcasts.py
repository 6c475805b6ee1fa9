from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Table,
    and_,
    any_,
    bindparam,
    case,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Broadcast,
    BroadcastKind,
    BroadcastStatus,
    Council,
    Delivery,
    DeliveryStatus,
    Registration,
    RegistrationStatus,
    Subscription,
    User,
)
from db.repositories import affected


class SubscriptionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: int, council_id: int) -> Subscription | None:
        return await self.session.scalar(
            select(Subscription).where(
                Subscription.user_id == user_id, Subscription.council_id == council_id
            )
        )

    async def set_active(self, user_id: int, council_id: int, active: bool, now: datetime) -> bool:
        """Subscribe or unsubscribe; returns False when nothing changed."""
        subscription = await self.get(user_id, council_id)
        if subscription is None:
            self.session.add(
                Subscription(user_id=user_id, council_id=council_id, active=active, updated_at=now)
            )
        elif subscription.active == active:
            return False
        else:
            subscription.active = active
            subscription.updated_at = now
        await self.session.flush()
        return True

    async def count_audience(
        self, council_id: int, language: str | None, default_language: str
    ) -> int:
        conditions = [Subscription.council_id == council_id, Subscription.active.is_(True)]
        if language:
            conditions.append(func.coalesce(User.language, default_language) == language)
        query = (
            select(func.count(Subscription.id))
            .join(User, User.id == Subscription.user_id)
            .where(and_(*conditions))
        )
        return int(await self.session.scalar(query) or 0)

    async def active_councils(self, user_id: int) -> set[int]:
        rows = await self.session.scalars(
            select(Subscription.council_id).where(
                Subscription.user_id == user_id, Subscription.active.is_(True)
            )
        )
        return set(rows)


class BroadcastRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, broadcast: Broadcast) -> Broadcast:
        self.session.add(broadcast)
        await self.session.flush()
        return broadcast

    async def get(self, broadcast_id: int) -> Broadcast | None:
        return await self.session.get(Broadcast, broadcast_id, populate_existing=True)

    async def of_councils(self, council_ids: set[int], limit: int = 20) -> list[Broadcast]:
        query = (
            select(Broadcast)
            .where(Broadcast.council_id.in_(council_ids))
            .order_by(Broadcast.id.desc())
            .limit(limit)
        )
        return list(await self.session.scalars(query))

    async def due(self, now: datetime) -> list[Broadcast]:
        query = select(Broadcast).where(
            Broadcast.status == BroadcastStatus.SCHEDULED, Broadcast.scheduled_at <= now
        )
        return list(await self.session.scalars(query.order_by(Broadcast.scheduled_at)))

    async def running(self) -> list[Broadcast]:
        query = select(Broadcast).where(Broadcast.status == BroadcastStatus.RUNNING)
        return list(await self.session.scalars(query))

    async def status(self, broadcast_id: int) -> BroadcastStatus | None:
        return await self.session.scalar(
            select(Broadcast.status).where(Broadcast.id == broadcast_id)
        )

    async def take_lease(
        self, broadcast_id: int, owner: str, now: datetime, until: datetime
    ) -> bool:
        """Become the one process that sends this broadcast: if nobody holds it, we already do,
        or the holder's lease has run out (it died). One conditional UPDATE, so two processes
        can never both win."""
        result = await self.session.execute(
            update(Broadcast)
            .where(
                Broadcast.id == broadcast_id,
                Broadcast.status.in_([BroadcastStatus.SCHEDULED, BroadcastStatus.RUNNING]),
                or_(
                    Broadcast.owner.is_(None),
                    Broadcast.owner == owner,
                    Broadcast.lease_until < now,
                ),
            )
            .values(owner=owner, lease_until=until)
            .execution_options(synchronize_session=False)
        )
        return bool(affected(result))

    async def renew_lease(self, broadcast_id: int, owner: str, until: datetime) -> bool:
        """False when another process has taken the broadcast over."""
        result = await self.session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.owner == owner)
            .values(lease_until=until)
            .execution_options(synchronize_session=False)
        )
        return bool(affected(result))

    async def release_lease(self, broadcast_id: int, owner: str) -> None:
        await self.session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.owner == owner)
            .values(owner=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )

    async def set_status(
        self, broadcast_id: int, allowed: Sequence[BroadcastStatus], **values: Any
    ) -> bool:
        result = await self.session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.status.in_(allowed))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(affected(result))

    # -- deliveries ------------------------------------------------------------------------

    async def fix_recipients(self, broadcast: Broadcast, council: Council) -> None:
        """One delivery row per recipient, written by the database in one statement (no list of
        recipients passes through Python). Users who blocked the bot are recorded as blocked.

        Announcements go to the council's subscribers; an event's reminders to those registered
        at the venue; its change and cancellation notices to those registered or waiting, even
        if they have since unsubscribed from announcements."""
        language = func.coalesce(User.language, council.default_language)
        status = case(
            (User.is_active.is_(True), literal(DeliveryStatus.PENDING.value)),
            else_=literal(DeliveryStatus.BLOCKED.value),
        )
        columns = (literal(broadcast.id), User.id, language, status, literal(0))
        if broadcast.kind in (BroadcastKind.REMINDER, BroadcastKind.EVENT_NOTICE):
            wanted = (
                [RegistrationStatus.REGISTERED]
                if broadcast.kind == BroadcastKind.REMINDER
                else [RegistrationStatus.REGISTERED, RegistrationStatus.WAITING]
            )
            conditions = [
                Registration.event_id == broadcast.event_id,
                Registration.status.in_(wanted),
            ]
            if broadcast.venue_id is not None:
                conditions.append(Registration.venue_id == broadcast.venue_id)
            rows = (
                select(*columns)
                .select_from(Registration)
                .join(User, User.id == Registration.user_id)
                .where(and_(*conditions))
            )
        else:
            conditions = [
                Subscription.council_id == broadcast.council_id,
                Subscription.active.is_(True),
            ]
            if broadcast.audience_language:
                conditions.append(language == broadcast.audience_language)
            rows = (
                select(*columns)
                .select_from(Subscription)
                .join(User, User.id == Subscription.user_id)
                .where(and_(*conditions))
            )
        await self.session.execute(
            insert(Delivery).from_select(
                ["broadcast_id", "user_id", "language", "status", "attempts"], rows
            )
        )
        await self.session.execute(
            update(Broadcast).where(Broadcast.id == broadcast.id).values(recipients_fixed=True)
        )

    async def claim(self, broadcast_id: int, limit: int) -> list[tuple[int, int, str]]:
        """Mark the next `limit` pending deliveries as being sent, and return them. One UPDATE
        … RETURNING, so two lanes (or two processes) can never claim the same delivery. On
        PostgreSQL rows another transaction is claiming are skipped (FOR UPDATE SKIP LOCKED)
        rather than waited for and then found taken."""
        pending = (
            select(Delivery.id)
            .where(
                Delivery.broadcast_id == broadcast_id, Delivery.status == DeliveryStatus.PENDING
            )
            .order_by(Delivery.id)
            .limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            # = ANY(ARRAY(…)) runs the locking subquery once; under IN (…) the planner may rescan
            # it in a nested loop, and every rescan locks `limit` more rows.
            locked = pending.with_for_update(skip_locked=True).scalar_subquery()
            chosen = Delivery.id == any_(func.array(locked))
        else:
            chosen = Delivery.id.in_(pending.scalar_subquery())
        rows = await self.session.execute(
            update(Delivery)
            .where(chosen, Delivery.status == DeliveryStatus.PENDING)
            .values(status=DeliveryStatus.SENDING)
            .returning(Delivery.id, Delivery.user_id, Delivery.language)
            .execution_options(synchronize_session=False)
        )
        return sorted((row.id, row.user_id, row.language) for row in rows.all())

    async def record(self, results: list[dict[str, Any]]) -> None:
        """Write the outcome of sends (delivery_id, status, attempts, error, sent_at) in one
        executemany through Core: this runs once per chunk and is the engine's hot path."""
        if not results:
            return
        table = cast(Table, Delivery.__table__)
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(
                status=bindparam("b_status"),
                attempts=bindparam("b_attempts"),
                error=bindparam("b_error"),
                sent_at=bindparam("b_sent_at"),
            )
        )
        rows = [
            {
                "b_id": r["delivery_id"],
                "b_status": r["status"].value,
                "b_attempts": r["attempts"],
                "b_error": r["error"],
                "b_sent_at": r["sent_at"],
            }
            for r in results
        ]
        connection = await self.session.connection()
        await connection.execute(statement, rows)

    async def count_pending(self, broadcast_id: int) -> int:
        query = select(func.count(Delivery.id)).where(
            Delivery.broadcast_id == broadcast_id,
            Delivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING]),
        )
        return int(await self.session.scalar(query) or 0)

    async def mark_uncertain(self, broadcast_id: int) -> int:
        """After a crash: deliveries that were being sent may or may not have arrived."""
        result = await self.session.execute(
            update(Delivery)
            .where(
                Delivery.broadcast_id == broadcast_id, Delivery.status == DeliveryStatus.SENDING
            )
            .values(status=DeliveryStatus.UNCERTAIN, error="process stopped mid-send")
        )
        return affected(result)

    async def counts(self, broadcast_id: int) -> dict[str, int]:
        rows = await self.session.execute(
            select(Delivery.status, func.count(Delivery.id))
            .where(Delivery.broadcast_id == broadcast_id)
            .group_by(Delivery.status)
        )
        counts = {status.value: 0 for status in DeliveryStatus}
        for status, count in rows.all():
            counts[str(status.value if hasattr(status, "value") else status)] = count
        return counts
