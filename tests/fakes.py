"""Fakes of the outside world: the Telegram Bot API (in process) and the clock."""

import itertools
import json
import re
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType

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
}


ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "span",
    "tg-spoiler",
    "tg-emoji",
    "blockquote",
}


class _TelegramHtml(HTMLParser):
    """Checks text the way Telegram parses parse_mode=HTML: only its tags, balanced, and `<`,
    `>`, `&` escaped everywhere else."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            raise _ApiError(f"Bad Request: can't parse entities: Unsupported start tag {tag!r}")
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            raise _ApiError(f"Bad Request: can't parse entities: Unexpected end tag {tag!r}")

    def handle_data(self, data: str) -> None:
        if "<" in data or ">" in data:
            raise _ApiError("Bad Request: can't parse entities: unescaped < or >")

    def handle_entityref(self, name: str) -> None:
        if name not in {"lt", "gt", "amp", "quot"}:
            raise _ApiError(f"Bad Request: can't parse entities: Unsupported entity &{name};")

    def unknown_decl(self, data: str) -> None:
        raise _ApiError("Bad Request: can't parse entities")


def check_html(text: str) -> None:
    if re.search(r"&(?![a-z]+;|#\d+;|#x[0-9a-f]+;)", text, re.IGNORECASE):
        raise _ApiError("Bad Request: can't parse entities: unescaped &")
    parser = _TelegramHtml()
    parser.feed(text)
    parser.close()
    if parser.open or parser.rawdata:
        raise _ApiError("Bad Request: can't parse entities: unclosed tag or stray <")


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
        self._failures: list[Failure] = []
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
    ) -> None:
        """Make the next `times` matching calls fail (403 blocked, 429 flood, 400 bad request)."""
        if description is None:
            description = {
                403: "Forbidden: bot was blocked by the user",
                429: f"Too Many Requests: retry after {retry_after or 1}",
                400: "Bad Request: something is wrong",
            }.get(status, "Error")
        if status == 429 and retry_after is None:
            retry_after = 1
        self._failures.append(Failure(method, chat_id, status, description, retry_after, times))

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
        if failure is not None:
            payload: dict[str, Any] = {
                "ok": False,
                "error_code": failure.status,
                "description": failure.description,
            }
            if failure.retry_after is not None:
                payload["parameters"] = {"retry_after": failure.retry_after}
            call.error = failure.description
            status = failure.status
        else:
            try:
                payload = {"ok": True, "result": self._result(name, method)}
                status = 200
            except _ApiError as exc:
                payload = {"ok": False, "error_code": 400, "description": str(exc)}
                call.error = str(exc)
                status = 400
        response = self.check_response(bot, method, status, json.dumps(payload))
        call.result = response.result
        if self.on_call is not None:
            await self.on_call(call)
        return response.result  # type: ignore[return-value]

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
        text = getattr(method, "text", None) or getattr(method, "caption", None)
        if isinstance(text, str) and getattr(method, "parse_mode", None) is not None:
            check_html(text)
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
        if name == "copyMessage":
            return {"message_id": next(self._ids)}
        if name in {"editMessageText", "editMessageReplyMarkup", "editMessageCaption"}:
            return self._edit(name, method)
        if method.__returning__ is bool:
            return True
        raise NotImplementedError(f"the fake Bot API does not know {name}")

    def _edit(self, name: str, method: TelegramMethod[Any]) -> Any:
        if getattr(method, "inline_message_id", None):
            return True
        key = (method.chat_id, method.message_id)  # type: ignore[attr-defined]
        message = self.messages.get(key)
        if message is None:
            raise _ApiError("Bad Request: message to edit not found")
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
            raise _ApiError(
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message"
            )
        updated["edit_date"] = self._now()
        self.messages[key] = updated
        return updated


class _ApiError(Exception):
    pass
