"""One error path: whatever a handler did not expect ends here, and so does a refusal
(bot/services/errors.py) a handler leaves to be told in the usual way.

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
from aiogram.types import ErrorEvent, MaybeInaccessibleMessage, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot import metrics
from bot.middlewares import Trace
from bot.services.errors import Refused
from bot.views.refusals import refusal, refusal_alert

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
    await _tell(event, bot, trace, text, text)
    return True


async def refused(event: ErrorEvent, bot: Bot, i18n: I18n, **data: Any) -> bool:
    """A rule refused what the user asked: nothing was saved (the update's transaction is rolled
    back), and they are told why in their language: a pop-up for a button, else a message."""
    assert isinstance(event.exception, Refused)
    trace: Trace | None = data.get("trace")
    user = data.get("user")
    language = (user.language if user is not None else None) or i18n.default_locale
    with i18n.context(), i18n.use_locale(language):
        alert, text = refusal_alert(event.exception), refusal(event.exception)
    await _tell(event, bot, trace, alert, text)
    return True


async def _tell(event: ErrorEvent, bot: Bot, trace: Trace | None, alert: str, text: str) -> None:
    """A pop-up for a button press (`alert`, plain text), else a message (`text`, HTML)."""
    try:
        if (query := event.update.callback_query) is not None:
            # Telegram takes one answer per query: once answered (or too old), say it in the chat.
            if trace is None or not trace.query_answered:
                try:
                    await query.answer(alert, show_alert=True)
                    return
                except TelegramBadRequest:
                    pass
            if query.message is not None:
                await bot.send_message(
                    query.message.chat.id, text, message_thread_id=_thread(query.message)
                )
        elif (message := event.update.message) is not None:
            await bot.send_message(message.chat.id, text, message_thread_id=_thread(message))
    except TelegramAPIError as exc:
        logger.warning(
            "could not tell update %s's user what happened: %s", event.update.update_id, exc
        )


def _thread(message: MaybeInaccessibleMessage) -> int | None:
    """The forum topic a message was written in, so the answer lands in that topic too (as
    Message.answer does): a staff group with topics keeps each topic's talk together."""
    if isinstance(message, Message) and message.is_topic_message:
        return message.message_thread_id
    return None


async def user_blocked_the_bot(event: ErrorEvent) -> bool:
    """Answering someone who blocked the bot: nobody to tell, and they are already marked
    inactive (BlockedUserRequestMiddleware). The transaction is rolled back all the same."""
    logger.info("update %s: the user has blocked the bot", event.update.update_id)
    return True


def create_router() -> Router:
    router = Router(name=__name__)
    router.errors.register(user_blocked_the_bot, ExceptionTypeFilter(TelegramForbiddenError))
    router.errors.register(refused, ExceptionTypeFilter(Refused))
    router.errors.register(unexpected_error)
    return router
