"""The filters that say where and for whom a router works, written once: feature routers are
included under a parent that carries them (handlers/__init__.py), not repeated on handlers."""

from dataclasses import dataclass
from typing import Any

from aiogram import F, Router
from aiogram.filters import Filter
from aiogram.types import Message, TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cache import Caches
from bot.config import Settings
from bot.services.councils import staff_in_chat

# A message in a private chat, and a button under a message in one.
PRIVATE = F.chat.type == "private"
PRIVATE_BUTTON = F.message.chat.type == "private"


def private_only(name: str, *routers: Router) -> Router:
    """A parent router that lets only private chats through to `routers`, in their order."""
    parent = Router(name=name)
    parent.message.filter(PRIVATE)
    parent.callback_query.filter(PRIVATE_BUTTON)
    parent.include_routers(*routers)
    return parent


class IsSuperadmin(Filter):
    """A superadmin (ADMIN_IDS), in any chat."""

    async def __call__(self, event: TelegramObject, settings: Settings, **data: Any) -> bool:
        from_user = data.get("event_from_user")
        return from_user is not None and from_user.id in settings.admin_ids


class IsStaff(Filter):
    """Passes secretaries and superadmins where they may act as staff: a private chat, or the
    staff group bound to their council. Hands the handler their `staff` scope in this chat."""

    async def __call__(
        self, event: TelegramObject, session: AsyncSession, settings: Settings, **data: Any
    ) -> bool | dict[str, Any]:
        from_user = data.get("event_from_user")
        chat = data.get("event_chat")
        if from_user is None or chat is None:
            return False
        caches: Caches | None = data.get("caches")
        staff = await staff_in_chat(
            session,
            settings,
            from_user.id,
            chat.id,
            chat.type,
            caches.secretaries if caches is not None else None,
        )
        return {"staff": staff} if staff.is_staff else False


@dataclass(frozen=True)
class Sent:
    """What a message brings: its text (or its album's caption) and its files."""

    text: str | None
    # (kind, file_id): "photo" or "document"; an album gives up to ten.
    files: tuple[tuple[str, str], ...] = ()


def file_of(message: Message) -> tuple[str, str] | None:
    """The photo (its largest size) or document of a message, as (kind, file_id)."""
    if message.photo:
        return "photo", message.photo[-1].file_id
    if message.document:
        return "document", message.document.file_id
    return None


class SentContent(Filter):
    """Hands the handler `sent`: the text and the files of this message, or of its whole album
    (see AlbumMiddleware). Always passes."""

    async def __call__(
        self, message: Message, album: list[Message] | None = None
    ) -> dict[str, Any]:
        parts = album or [message]
        files = tuple(found for part in parts if (found := file_of(part)) is not None)
        text = message.text
        if text is None:
            text = next((part.caption for part in parts if part.caption), None)
        return {"sent": Sent(text, files)}
