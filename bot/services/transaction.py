"""Services own their unit of work: a service operation that changes data is committed when it
returns and rolled back when it raises (a refusal included), so that handlers never commit and
never tell a user of something that is not yet saved."""

import functools
from collections.abc import Awaitable, Callable
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession


class HasSession(Protocol):
    session: AsyncSession


S = TypeVar("S", bound=HasSession)
P = ParamSpec("P")
R = TypeVar("R")


def transaction(
    operation: Callable[Concatenate[S, P], Awaitable[R]],
) -> Callable[Concatenate[S, P], Awaitable[R]]:
    """Commit the service's session when `operation` returns; roll it back when it raises.

    An operation is one unit: it must not call another decorated operation of its own (that
    would commit half way)."""

    @functools.wraps(operation)
    async def run(service: S, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            result = await operation(service, *args, **kwargs)
        except Exception:
            await _roll_back(service.session)
            raise
        except BaseException:  # cancelled: no more waiting on the database than this
            await service.session.rollback()
            raise
        await service.session.commit()
        return result

    return run


async def _roll_back(session: AsyncSession) -> None:
    """Roll back, then read again what the update had loaded (the user, a council, an event):
    a rollback expires every loaded object, and the handler or the errors router still reads
    them (the user's language, say) to say why. Objects this operation added are gone."""
    loaded = list(session.identity_map.values())
    await session.rollback()
    for instance in loaded:
        if instance in session:
            try:
                await session.refresh(instance)
            except Exception:  # deleted meanwhile, or the database is gone: left expired
                continue
