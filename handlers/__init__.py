"""One Router per feature, assembled in the order they must be tried."""

from aiogram import Router

from handlers import (
    admin,
    broadcasts,
    common,
    errors,
    events,
    events_admin,
    language,
    membership,
    questions,
    staff,
    start,
)


def setup_routers() -> Router:
    """A fresh tree of routers each call: every app (and every test) gets its own."""
    root = Router(name="handlers")
    root.include_routers(
        # Error handlers of a router see the errors of its sub-routers: this one sees all.
        errors.create_router(),
        membership.create_router(),
        admin.create_router(),
        events_admin.create_router(),
        # Before start: it takes /start event_<id>.
        events.create_router(),
        start.create_router(),
        language.create_router(),
        staff.create_router(),
        questions.create_router(),
        broadcasts.create_router(),
        # Must stay last: it answers whatever no feature router took.
        common.create_router(),
    )
    return root
