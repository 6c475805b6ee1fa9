"""One error path: whatever a handler did not expect ends here.

The update's transaction is rolled back (the database middleware commits only when the handler
returns), the user is told in their language that nothing was changed, and the error is logged
once, with the update id and the handler, and counted in /metrics. The user's text is not logged.
A handler that failed after it had committed part of its work says so instead.
"""

import logging
from typing import Any

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot import metrics
from bot.middlewares import Trace

logger = logging.getLogger(__name__)


async def unexpected_error(event: ErrorEvent, bot: Bot, i18n: I18n, **data: Any) -> bool:
    trace: Trace | None = data.get("trace")
    handler = trace.handler if trace is not None else "unknown"
    metrics.ERRORS.labels(handler).inc()
    logger.error(
        "update %s failed in %s: %s",
        event.update.update_id,
        handler,
        type(event.exception).__name__,
        exc_info=event.exception,
    )
    user = data.get("user")
    language = (user.language if user is not None else None) or i18n.default_locale
    with i18n.context(), i18n.use_locale(language):
        if trace is not None and trace.handler_committed:
            # Part of it was saved before the failure: "nothing was changed" would be untrue.
            text = _(
                "Something went wrong after part of this was saved. Please check the result "
                "before trying again."
            )
        else:
            text = _("Something went wrong, and nothing was changed. Please try again.")
    try:
        if (query := event.update.callback_query) is not None:
            # Telegram takes one answer per query: once answered (or too old), say it in the chat.
            if trace is None or not trace.query_answered:
                try:
                    await query.answer(text, show_alert=True)
                    return True
                except TelegramBadRequest:
                    pass
            if query.message is not None:
                await bot.send_message(query.message.chat.id, text)
        elif (message := event.update.message) is not None:
            await bot.send_message(message.chat.id, text)
    except TelegramAPIError as exc:
        logger.warning(
            "could not tell update %s's user about the error: %s", event.update.update_id, exc
        )
    return True


async def user_blocked_the_bot(event: ErrorEvent) -> bool:
    """Answering someone who blocked the bot: nobody to tell, and they are already marked
    inactive (BlockedUserRequestMiddleware). The transaction is rolled back all the same."""
    logger.info("update %s: the user has blocked the bot", event.update.update_id)
    return True


def create_router() -> Router:
    router = Router(name=__name__)
    router.errors.register(user_blocked_the_bot, ExceptionTypeFilter(TelegramForbiddenError))
    router.errors.register(unexpected_error)
    return router
