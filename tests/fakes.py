"""Fakes of the outside world: the Telegram Bot API (in process) and the clock."""

import itertools
import json
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType

from tests.telegram_rules import TelegramRefusal, check_request

BOT_USER = {
    "id": 4200000001,
    "is_bot": True,
    "first_name": "Hearing State",
    "username": "hearing_state_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}

SENDING_METHODS = {
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "sendSticker",
    "sendLocation",
    "copyMessage",
    "sendMediaGroup",
    "sendVoice",
    "sendVideoNote",
}


class FakeTime:
    """Monotonic time and sleep for the rate limiter: sleeping moves time, instantly."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0)


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        self._now += delta if delta is not None else timedelta(**kwargs)
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment.astimezone(UTC)


@dataclass
class Failure:
    method: str | None
    chat_id: int | None
    status: int
    description: str
    retry_after: int | None
    times: int
    timeout: bool = False


@dataclass
class Call:
    """One API call the bot made, as Telegram would have received it."""

    name: str
    method: TelegramMethod[Any]
    result: Any = None
    error: str | None = None

    @property
    def chat_id(self) -> int | None:
        value = getattr(self.method, "chat_id", None)
        return value if isinstance(value, int) else None

    @property
    def text(self) -> str | None:
        return getattr(self.method, "text", None) or getattr(self.method, "caption", None)


class FakeTelegram(BaseSession):
    """A recording Bot API that answers like Telegram: messages get increasing ids, edits return
    the edited message, unknown messages cannot be edited; any call can be told to fail."""

    def __init__(self, clock: FakeClock | None = None) -> None:
        super().__init__()
        self.clock = clock
        self.calls: list[Call] = []
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        # Calls Telegram refused as malformed (too long, bad HTML, bad buttons...): the bot
        # sent something it must never send. The `telegram` fixture fails a test that leaves
        # any here, unless the test expected them (`expect_refusals`).
        self.refusals: list[Call] = []
        self.refusals_expected = False
        self._failures: list[Failure] = []
        self._answered: set[str] = set()
        self._ids = itertools.count(1001)
        self._files = itertools.count(1)
        # Called after every successful call: lets a test act "while" the bot is sending.
        self.on_call: Callable[[Call], Awaitable[None]] | None = None

    # -- configuring failures -------------------------------------------------------------

    def fail(
        self,
        method: str | None = None,
        *,
        chat_id: int | None = None,
        status: int = 400,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
        timeout: bool = False,
    ) -> None:
        """Make the next `times` matching calls fail (403 blocked, 429 flood, 400 bad request,
        502 and the like), or with `timeout=True` never answer (aiogram's network error)."""
        if description is None:
            description = {
                403: "Forbidden: bot was blocked by the user",
                429: f"Too Many Requests: retry after {retry_after or 1}",
                400: "Bad Request: something is wrong",
            }.get(status, "Error")
        if status == 429 and retry_after is None:
            retry_after = 1
        self._failures.append(
            Failure(method, chat_id, status, description, retry_after, times, timeout)
        )

    def expect_refusals(self) -> None:
        """This test makes the bot send what Telegram refuses, on purpose."""
        self.refusals_expected = True

    def block(self, chat_id: int) -> None:
        """The user blocked the bot: every send to them fails with 403 from now on."""
        self.fail(chat_id=chat_id, status=403, times=10**9)

    # -- what was sent --------------------------------------------------------------------

    def sent(self, chat_id: int | None = None, name: str | None = None) -> list[Call]:
        return [
            call
            for call in self.calls
            if call.error is None
            and (call.name in SENDING_METHODS if name is None else call.name == name)
            and (chat_id is None or call.chat_id == chat_id)
        ]

    def texts(self, chat_id: int) -> list[str]:
        return [call.text or "" for call in self.sent(chat_id)]

    def menu(self, chat_id: int) -> dict[str, str] | None:
        """The command menu this private chat shows now (its own, set with the chat scope):
        command -> description; None when none was set for it."""
        for call in reversed(self.calls):
            scope = getattr(call.method, "scope", None)
            if (
                call.name == "setMyCommands"
                and call.error is None
                and getattr(scope, "type", None) == "chat"
                and getattr(scope, "chat_id", None) == chat_id
            ):
                return {command.command: command.description for command in call.method.commands}  # type: ignore[attr-defined]
        return None

    # -- BaseSession -----------------------------------------------------------------------

    async def close(self) -> None:
        pass

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncGenerator[bytes, None]:
        yield b""

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        name = method.__api_method__
        call = Call(name=name, method=method)
        self.calls.append(call)
        failure = self._take_failure(name, call.chat_id)
        if failure is not None and failure.timeout:
            call.error = "Request timeout error"
            raise TelegramNetworkError(method, "Request timeout error")
        payload: dict[str, Any]
        if failure is not None:
            payload = {
                "ok": False,
                "error_code": failure.status,
                "description": failure.description,
            }
            if failure.retry_after is not None:
                payload["parameters"] = {"retry_after": failure.retry_after}
        else:
            try:
                check_request(name, self.params(bot, method))
                self._answer_once(name, method)
            except TelegramRefusal as exc:
                self.refusals.append(call)
                payload = {"ok": False, "error_code": exc.status, "description": exc.description}
            else:
                try:
                    payload = {"ok": True, "result": self._result(name, method)}
                except TelegramRefusal as exc:  # "message to edit not found" and the like
                    payload = {
                        "ok": False,
                        "error_code": exc.status,
                        "description": exc.description,
                    }
        status = payload.get("error_code", 200)
        call.error = payload.get("description")
        response = self.check_response(bot, method, status, json.dumps(payload))
        call.result = response.result
        if self.on_call is not None:
            await self.on_call(call)
        return response.result  # type: ignore[return-value]

    def _answer_once(self, name: str, method: TelegramMethod[Any]) -> None:
        """Telegram takes one answer per callback query: a second one is refused."""
        if name != "answerCallbackQuery":
            return
        query_id = str(method.callback_query_id)  # type: ignore[attr-defined]
        if query_id in self._answered:
            raise TelegramRefusal(
                "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        self._answered.add(query_id)

    def params(self, bot: Bot, method: TelegramMethod[Any]) -> dict[str, Any]:
        """The call's parameters as plain values, the way the request would carry them."""
        return {
            key: self.prepare_value(value, bot, {}, _dumps_json=False)
            for key, value in method.model_dump(warnings=False).items()
            if value is not None
        }

    def _take_failure(self, name: str, chat_id: int | None) -> Failure | None:
        for failure in self._failures:
            if failure.times <= 0:
                continue
            if failure.method not in (None, name):
                continue
            if failure.chat_id is not None and failure.chat_id != chat_id:
                continue
            if failure.method is None and name not in SENDING_METHODS | {"editMessageText"}:
                continue
            failure.times -= 1
            return failure
        return None

    def _now(self) -> int:
        moment = self.clock.now() if self.clock else datetime.now(UTC)
        return int(moment.timestamp())

    def _markup(self, method: TelegramMethod[Any]) -> dict[str, Any] | None:
        markup = getattr(method, "reply_markup", None)
        if markup is None or not hasattr(markup, "inline_keyboard"):
            return None
        return markup.model_dump(mode="json", exclude_none=True)

    def _new_message(self, method: TelegramMethod[Any], **content: Any) -> dict[str, Any]:
        chat_id = method.chat_id  # type: ignore[attr-defined]
        message = {
            "message_id": next(self._ids),
            "date": self._now(),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": BOT_USER,
            **content,
        }
        if chat_id < 0:
            message["chat"]["title"] = "Staff"
        if (markup := self._markup(method)) is not None:
            message["reply_markup"] = markup
        self.messages[(chat_id, message["message_id"])] = message
        return message

    def _file(self, prefix: str) -> dict[str, Any]:
        number = next(self._files)
        return {"file_id": f"{prefix}-{number}", "file_unique_id": f"u{prefix}{number}"}

    def _result(self, name: str, method: TelegramMethod[Any]) -> Any:
        if name == "getMe":
            return BOT_USER
        if name == "sendMessage":
            return self._new_message(method, text=method.text)  # type: ignore[attr-defined]
        if name == "sendPhoto":
            photo = {**self._file("photo"), "width": 800, "height": 600}
            return self._new_message(method, photo=[photo], caption=method.caption)  # type: ignore[attr-defined]
        if name == "sendDocument":
            document = getattr(method, "document", None)
            filename = getattr(document, "filename", None) or "file"
            return self._new_message(
                method,
                document={**self._file("doc"), "file_name": filename},
                caption=method.caption,  # type: ignore[attr-defined]
            )
        if name == "sendVoice":
            voice = {**self._file("voice"), "duration": 1}
            return self._new_message(method, voice=voice, caption=method.caption)  # type: ignore[attr-defined]
        if name == "sendVideoNote":
            note = {**self._file("note"), "length": 240, "duration": 1}
            return self._new_message(method, video_note=note)
        if name == "sendMediaGroup":
            return [self._media_message(method, item) for item in method.media]  # type: ignore[attr-defined]
        if name == "copyMessage":
            return {"message_id": next(self._ids)}
        if name in {"editMessageText", "editMessageReplyMarkup", "editMessageCaption"}:
            return self._edit(name, method)
        if method.__returning__ is bool:
            return True
        raise NotImplementedError(f"the fake Bot API does not know {name}")

    def _media_message(self, method: TelegramMethod[Any], item: Any) -> dict[str, Any]:
        group = f"album-{method.chat_id}-{len(self.calls)}"  # type: ignore[attr-defined]
        if item.type == "photo":
            content: dict[str, Any] = {
                "photo": [{**self._file("photo"), "width": 800, "height": 600}]
            }
        else:
            filename = getattr(item.media, "filename", None) or "file"
            content = {"document": {**self._file("doc"), "file_name": filename}}
        if item.caption:
            content["caption"] = item.caption
        return self._new_message(method, media_group_id=group, **content)

    def _edit(self, name: str, method: TelegramMethod[Any]) -> Any:
        if getattr(method, "inline_message_id", None):
            return True
        key = (method.chat_id, method.message_id)  # type: ignore[attr-defined]
        message = self.messages.get(key)
        if message is None:
            raise TelegramRefusal("Bad Request: message to edit not found")
        updated = dict(message)
        if name == "editMessageText":
            updated["text"] = method.text  # type: ignore[attr-defined]
        if name == "editMessageCaption":
            updated["caption"] = method.caption  # type: ignore[attr-defined]
        markup = self._markup(method)
        if markup is not None:
            updated["reply_markup"] = markup
        else:
            updated.pop("reply_markup", None)
        if updated == message:
            raise TelegramRefusal(
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message"
            )
        updated["edit_date"] = self._now()
        self.messages[key] = updated
        return updated
