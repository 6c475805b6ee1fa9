"""A user who blocks the bot is marked inactive, and active again when they come back."""

from aiogram import F, Router
from aiogram.filters import KICKED, MEMBER, ChatMemberUpdatedFilter
from aiogram.types import ChatMemberUpdated

from bot.services.container import Services


async def blocked(event: ChatMemberUpdated, services: Services) -> None:
    await services.users.set_active(event.from_user.id, False)


async def unblocked(event: ChatMemberUpdated, services: Services) -> None:
    await services.users.set_active(event.from_user.id, True)


def create_router() -> Router:
    router = Router(name=__name__)
    router.my_chat_member.filter(F.chat.type == "private")
    router.my_chat_member.register(blocked, ChatMemberUpdatedFilter(member_status_changed=KICKED))
    router.my_chat_member.register(
        unblocked, ChatMemberUpdatedFilter(member_status_changed=MEMBER)
    )
    return router
