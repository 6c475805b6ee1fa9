"""A user who talks to the bot the way a person does: sends, presses buttons, reads replies."""

import asyncio
import itertools
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiogram.types import Update

from bot.app import App
from tests.fakes import BOT_USER, FakeClock, FakeTelegram

_update_ids = itertools.count(1)
_message_ids = itertools.count(1)
_callback_ids = itertools.count(1)


@dataclass
class Reply:
    """What the user sees: a message the bot sent or edited, with its buttons."""

    text: str
    buttons: list[str]
    message: dict[str, Any]
    edited: bool = False

    def button_data(self, label: str) -> str:
        for row in self.message.get("reply_markup", {}).get("inline_keyboard", []):
            for button in row:
                if button["text"] == label:
                    return str(button["callback_data"])
        raise AssertionError(f"no button {label!r} in {self.buttons}")


class ChatUser:
    def __init__(
        self,
        app: App,
        telegram: FakeTelegram,
        user_id: int,
        first_name: str = "Alice",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> None:
        self.app = app
        self.telegram = telegram
        self.id = user_id
        self.profile: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            self.profile["last_name"] = last_name
        if username:
            self.profile["username"] = username
        if language_code:
            self.profile["language_code"] = language_code
        self._seen_calls = 0
        self.think_time = timedelta(seconds=1)
        self.chat = {"id": user_id, "type": "private", "first_name": first_name}

    # -- acting -----------------------------------------------------------------------------

    async def send(self, text: str, *, chat: dict[str, Any] | None = None, **extra: Any) -> None:
        await self._message({"text": text, **extra}, chat=chat)

    async def send_sticker(self) -> None:
        await self._message(
            {
                "sticker": {
                    "file_id": "sticker-1",
                    "file_unique_id": "usticker1",
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                }
            }
        )

    async def send_photo(self, caption: str | None = None, *, reply: Reply | None = None) -> None:
        content: dict[str, Any] = {
            "photo": [{"file_id": "photo-in-1", "file_unique_id": "up1", "width": 9, "height": 9}]
        }
        if caption is not None:
            content["caption"] = caption
        await self._message(
            _replying(content, reply), chat=reply.message["chat"] if reply else None
        )

    async def send_document(
        self, caption: str | None = None, name: str = "scan.pdf", *, reply: Reply | None = None
    ) -> None:
        content: dict[str, Any] = {
            "document": {"file_id": "doc-in-1", "file_unique_id": "ud1", "file_name": name}
        }
        if caption is not None:
            content["caption"] = caption
        await self._message(
            _replying(content, reply), chat=reply.message["chat"] if reply else None
        )

    async def send_album(
        self,
        count: int,
        caption: str | None = None,
        kind: str = "photo",
        *,
        reply: Reply | None = None,
    ) -> None:
        """An album as Telegram delivers it: one message per file, one media_group_id, the
        caption on the first; the updates arrive together, as polling hands them out."""
        group = f"album-{next(_message_ids)}"
        contents = []
        for number in range(count):
            file = {
                "file_id": f"{kind}-in-{group}-{number}",
                "file_unique_id": f"u{group}{number}",
            }
            content: dict[str, Any] = {"media_group_id": group}
            if kind == "photo":
                content["photo"] = [{**file, "width": 9, "height": 9}]
            else:
                content["document"] = {**file, "file_name": f"scan{number}.pdf"}
            if number == 0 and caption is not None:
                content["caption"] = caption
            contents.append(_replying(content, reply))
        self._seen_calls = len(self.telegram.calls)
        seen = self._seen_calls
        chat = reply.message["chat"] if reply else None
        await asyncio.gather(*(self._message(content, chat=chat) for content in contents))
        self._seen_calls = seen

    async def feed_message(
        self, content: dict[str, Any], *, chat: dict[str, Any] | None = None
    ) -> None:
        """Send any message content (voice, location...) as Telegram would deliver it."""
        await self._message(content, chat=chat)

    async def reply_to(self, reply: Reply, text: str) -> None:
        await self._message(
            {"text": text, "reply_to_message": reply.message}, chat=reply.message["chat"]
        )

    async def press(self, label: str, reply: Reply | None = None) -> None:
        """Press the inline button with this label on the newest message that has one."""
        if reply is None:
            reply = self._message_with_button(label)
        await self.press_data(reply.button_data(label), reply)

    async def press_data(self, data: str, reply: Reply | None = None) -> None:
        """Send any callback data, as a forged or stale button would."""
        message = reply.message if reply else self._any_message()
        await self.feed(
            {
                "callback_query": {
                    "id": str(next(_callback_ids)),
                    "from": self.profile,
                    "chat_instance": f"ci{self.id}",
                    "message": message,
                    "data": data,
                }
            }
        )

    async def block_bot(self) -> None:
        await self._my_chat_member("member", "kicked")

    async def unblock_bot(self) -> None:
        await self._my_chat_member("kicked", "member")

    async def feed(self, payload: dict[str, Any]) -> None:
        update = Update.model_validate(
            {"update_id": next(_update_ids), **payload}, context={"bot": self.app.bot}
        )
        self._seen_calls = len(self.telegram.calls)
        await self.app.dispatcher.feed_update(self.app.bot, update)
        # A person takes a moment per action; without it every test would look like a flood.
        if isinstance(self.app.clock, FakeClock):
            self.app.clock.advance(self.think_time)

    # -- seeing -----------------------------------------------------------------------------

    def replies(self, chat_id: int | None = None) -> list[Reply]:
        """Messages sent or edited in this chat by the last action, oldest first."""
        chat_id = self.id if chat_id is None else chat_id
        return [
            _reply(call.result, edited=call.name.startswith("edit"))
            for call in self.telegram.calls[self._seen_calls :]
            if call.error is None and call.chat_id == chat_id and _is_message(call.result)
        ]

    def last_reply(self, chat_id: int | None = None) -> Reply:
        replies = self.replies(chat_id)
        assert replies, "the bot did not answer"
        return replies[-1]

    def alerts(self) -> list[str]:
        """Texts of the pop-up answers to button presses made by the last action."""
        return [
            call.method.text
            for call in self.telegram.calls[self._seen_calls :]
            if call.name == "answerCallbackQuery" and call.method.text
        ]

    def inbox(self, chat_id: int | None = None) -> list[Reply]:
        """Everything the bot ever sent to this user (or to a group), oldest first, as it looks
        now."""
        wanted = self.id if chat_id is None else chat_id
        return [
            _reply(message)
            for (chat, _), message in sorted(self.telegram.messages.items())
            if chat == wanted
        ]

    # -- internals --------------------------------------------------------------------------

    async def _message(self, content: dict[str, Any], chat: dict[str, Any] | None = None) -> None:
        message = {
            "message_id": next(_message_ids),
            "date": int(self.app.clock.now().timestamp()),
            "chat": chat or self.chat,
            "from": self.profile,
            **content,
        }
        for field, entities in (("text", "entities"), ("caption", "caption_entities")):
            if field in content and content[field].startswith("/"):
                command = content[field].split()[0]
                message[entities] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        await self.feed({"message": message})

    async def _my_chat_member(self, old: str, new: str) -> None:
        await self.feed(
            {
                "my_chat_member": {
                    "chat": self.chat,
                    "from": self.profile,
                    "date": int(self.app.clock.now().timestamp()),
                    "old_chat_member": _member(old),
                    "new_chat_member": _member(new),
                }
            }
        )

    def _message_with_button(self, label: str) -> Reply:
        chats = {self.id}
        for (chat_id, _), message in sorted(self.telegram.messages.items(), reverse=True):
            reply = _reply(message)
            if (chat_id in chats or chat_id < 0) and label in reply.buttons:
                return reply
        raise AssertionError(f"no message with a button {label!r}")

    def _any_message(self) -> dict[str, Any]:
        for (chat_id, _), message in sorted(self.telegram.messages.items(), reverse=True):
            if chat_id == self.id:
                return message
        return {
            "message_id": 1,
            "date": 0,
            "chat": self.chat,
            "from": _bot_user(),
            "text": "old message",
        }


def _replying(content: dict[str, Any], reply: Reply | None) -> dict[str, Any]:
    return {**content, "reply_to_message": reply.message} if reply else content


def _bot_user() -> dict[str, Any]:
    return BOT_USER


def _member(status: str) -> dict[str, Any]:
    member: dict[str, Any] = {"status": status, "user": BOT_USER}
    if status == "kicked":
        member["until_date"] = 0
    return member


def _is_message(result: Any) -> bool:
    """A message sent or edited: an aiogram Message, or the JSON of one (a send whose answer
    the bot keeps as JSON, bot.telegram_session.PlainSendMessage)."""
    if isinstance(result, dict):
        return "message_id" in result and "chat" in result
    return hasattr(result, "message_id")


def _reply(message: Any, *, edited: bool = False) -> Reply:
    if not isinstance(message, dict):
        message = message.model_dump(mode="json", exclude_none=True, by_alias=True)
    buttons = [
        button["text"]
        for row in message.get("reply_markup", {}).get("inline_keyboard", [])
        for button in row
    ]
    text = message.get("text") or message.get("caption") or ""
    return Reply(text=text, buttons=buttons, message=message, edited=edited)
