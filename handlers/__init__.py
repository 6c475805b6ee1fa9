"""One Router per feature, assembled in the order they must be tried."""

from collections.abc import Callable
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import CallableObject

from handlers import (
    admin,
    audit,
    broadcasts,
    common,
    errors,
    events,
    events_admin,
    faq,
    language,
    membership,
    personal_data,
    questions,
    staff,
    start,
)
from handlers.filters import private_only


def setup_routers() -> Router:
    """A fresh tree of routers each call: every app (and every test) gets its own."""
    root = Router(name="handlers")
    root.include_routers(
        # Error handlers of a router see the errors of its sub-routers: this one sees all.
        errors.create_router(),
        common.create_first_router(),
        membership.create_router(),
        admin.create_router(),
        private_only(
            "private.events_and_start",
            events_admin.create_router(),
            # Before start: it takes /start event_<id>.
            events.create_router(),
            start.create_router(),
            language.create_router(),
        ),
        # Private chats and the bound staff groups (audit first: staff's refusal for citizens
        # covers /audit too).
        audit.create_router(),
        staff.create_router(),
        # After staff: a secretary's reply to a card in a private chat is an answer.
        private_only(
            "private.citizens",
            questions.create_router(),
            faq.create_router(),
            broadcasts.create_router(),
            personal_data.create_router(),
        ),
        # Must stay last: it answers whatever no feature router took.
        common.create_router(),
    )
    run_sync_filters_inline(root)
    return root


def run_sync_filters_inline(router: Router) -> None:
    """aiogram runs every synchronous filter in a worker thread (asyncio.to_thread), magic
    filters such as `F.chat.type == "private"` included: a thread hop each, dozens per update,
    for a comparison that takes a microsecond. Ours are all quick and pure, so they run inline."""
    for observer in router.observers.values():
        for handler in [observer._handler, *observer.handlers]:
            for event_filter in handler.filters or ():
                _inline(event_filter)
    for sub_router in router.sub_routers:
        run_sync_filters_inline(sub_router)


def _inline(callable_object: CallableObject) -> None:
    if callable_object.awaitable:
        return
    sync: Callable[..., Any] = callable_object.callback

    async def call_inline(*args: Any, **kwargs: Any) -> Any:
        return sync(*args, **kwargs)

    callable_object.callback = call_inline
    callable_object.awaitable = True
