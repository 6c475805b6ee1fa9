"""The HTTP session to the Bot API: aiogram's, with requests that carry no file sent as JSON.

aiogram posts every request as a form, and aiohttp urlencodes a form's text byte by byte in
Python: about 0.25 ms of CPU for a message of Kazakh or Russian text (two bytes a letter, each
quoted as %XX), most of what sending costs. The Bot API takes application/json as well; a
request with files still goes as aiogram sends it (multipart).

Also the sends whose answer is kept as plain JSON (PlainSendMessage): aiogram turns every answer
into its objects (a Message with its chat, sender and buttons), a good part of a send's cost;
a caller that only needs to know the message was accepted sends these instead."""

import datetime
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import SendMessage, SendPhoto, TelegramMethod
from aiohttp import FormData
from aiohttp.payload import BytesPayload


class JsonAiohttpSession(AiohttpSession):
    def build_form_data(  # type: ignore[override]
        self, bot: Bot, method: TelegramMethod[Any]
    ) -> FormData | BytesPayload:
        """What aiogram's make_request posts: the request as JSON, or as its form (multipart)
        when it uploads a file."""
        body = self.json_body(bot, method)
        if body is None:
            return super().build_form_data(bot, method)
        return BytesPayload(body, content_type="application/json")

    def json_body(self, bot: Bot, method: TelegramMethod[Any]) -> bytes | None:
        """The request as a JSON object with the fields aiogram's form would carry (unset and
        empty ones left out, defaults such as parse_mode filled in); None if it uploads a file."""
        files: dict[str, Any] = {}
        fields: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self._json_value(value, bot, files)
            if prepared is not None and prepared != "":  # what the form leaves out
                fields[key] = prepared
        if files:
            return None
        return self.json_dumps(fields).encode()

    def _json_value(self, value: Any, bot: Bot, files: dict[str, Any]) -> Any:
        # A date the form sends as a string of seconds is a number in JSON.
        if isinstance(value, datetime.timedelta):
            value = datetime.datetime.now() + value
        if isinstance(value, datetime.datetime):
            return round(value.timestamp())
        return self.prepare_value(value, bot=bot, files=files, _dumps_json=False)


class PlainSendMessage(SendMessage):
    """sendMessage whose answer is kept as plain JSON, for a caller that needs only to know
    Telegram accepted the message (a broadcast, the confirmation of a press). Errors (429, 403,
    …) are raised as usual."""

    __returning__ = dict[str, Any]


class PlainSendPhoto(SendPhoto):
    __returning__ = dict[str, Any]
