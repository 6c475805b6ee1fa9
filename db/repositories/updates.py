from datetime import datetime

from sqlalchemy import bindparam, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ProcessedUpdate
from db.repositories import affected

# Every webhook update runs it: built once per dialect, bound per call.
_TAKE = {
    name: insert(ProcessedUpdate)
    .values(update_id=bindparam("update_id"), received_at=bindparam("now"))
    .on_conflict_do_nothing(index_elements=[ProcessedUpdate.update_id])
    .returning(ProcessedUpdate.update_id)
    for name, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}


class UpdateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def take(self, update_id: int, now: datetime) -> bool:
        """Record the update as taken; False when some process already took it. One insert that
        ignores a conflict, so two replicas given the same update cannot both win."""
        dialect = (
            "postgresql" if self.session.get_bind().dialect.name == "postgresql" else "sqlite"
        )
        result = await self.session.execute(_TAKE[dialect], {"update_id": update_id, "now": now})
        return result.scalar_one_or_none() is not None

    async def forget_before(self, moment: datetime) -> int:
        result = await self.session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.received_at < moment)
        )
        return affected(result)
