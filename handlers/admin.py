"""Superadmins (ADMIN_IDS): councils, topics, secretaries (one-time invite links) and binding a
council's staff group. Also where an invited secretary lands: /start inv_<token>."""

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as html

from bot.cache import Caches
from bot.commands import refresh_chat_menu
from bot.numbers import parse_number
from bot.services.container import Services
from bot.services.councils import INVITE_PREFIX, CouncilError, parse_names
from bot.services.errors import CouncilRefusal
from bot.views.refusals import refusal
from db.models import Council, StaffRole, User
from handlers.filters import PRIVATE, IsSuperadmin
from handlers.menu import send_main_menu, show_picker
from handlers.replies import send_lines

ADMIN_COMMANDS = (
    "councils",
    "council_add",
    "topics",
    "topic_add",
    "topic_rename",
    "topic_hide",
    "topic_show",
    "invite",
    "secretaries",
    "revoke",
    "bind",
    "council_tz",
)


def _language() -> str:
    return get_i18n().current_locale


def _actor(message: Message) -> int:
    """Who sent the command (only superadmins' own messages get this far)."""
    assert message.from_user is not None
    return message.from_user.id


async def _council_from(
    message: Message, services: Services, raw: str | None, usage: str
) -> Council | None:
    """The council named by id, or the only one when there is just one and none is named."""
    if raw is None or not raw.strip():
        only = await services.councils.only()
        if only is None:
            await message.answer(html.quote(usage))
        return only
    council_id = parse_number(raw)
    if council_id is None:
        await message.answer(html.quote(usage))
        return None
    council = await services.councils.find(council_id)
    if council is None:
        await message.answer(refusal(CouncilError(CouncilRefusal.NO_COUNCIL)))
    return council


async def list_councils(message: Message, services: Services) -> None:
    councils = await services.councils.all()
    lines = [_("Councils:")]
    for council in councils:
        group = _("staff group bound") if council.staff_chat_id else _("no staff group")
        lines.append(f"{council.id}. {html.quote(council.name(_language()))} — {group}")
    await send_lines(message.answer, lines)


async def add_council(message: Message, command: CommandObject, services: Services) -> None:
    names = parse_names(command.args or "")
    if names is None:
        await message.answer(
            html.quote(_("Usage: /council_add <Kazakh name> | <Russian name> | <English name>"))
        )
        return
    council = await services.councils.create(names, _actor(message))
    await message.answer(
        _("Council {id} created with the default topics: {name}").format(
            id=council.id, name=html.quote(council.name(_language()))
        )
    )


async def list_topics(message: Message, command: CommandObject, services: Services) -> None:
    council = await _council_from(
        message, services, command.args, _("Usage: /topics <council id>")
    )
    if council is None:
        return
    lines = [_("Topics of {council}:").format(council=html.quote(council.name(_language())))]
    for topic in await services.councils.topics(council.id, include_hidden=True):
        hidden = " ({})".format(_("hidden")) if topic.is_hidden else ""
        lines.append(f"{topic.id}. {html.quote(topic.name(_language()))}{hidden}")
    await send_lines(message.answer, lines)


async def add_topic(message: Message, command: CommandObject, services: Services) -> None:
    usage = _("Usage: /topic_add <council id> <Kazakh> | <Russian> | <English>")
    raw, _sep, rest = (command.args or "").strip().partition(" ")
    council_id, names = parse_number(raw), parse_names(rest)
    if council_id is None or names is None:
        await message.answer(html.quote(usage))
        return
    topic = await services.councils.add_topic(
        council_id,
        names,
        _actor(message),
    )
    await message.answer(
        _("Topic {id} added: {name}").format(id=topic.id, name=html.quote(topic.name(_language())))
    )


async def rename_topic(message: Message, command: CommandObject, services: Services) -> None:
    usage = _("Usage: /topic_rename <topic id> <Kazakh> | <Russian> | <English>")
    raw, _sep, rest = (command.args or "").strip().partition(" ")
    topic_id, names = parse_number(raw), parse_names(rest)
    if topic_id is None or names is None:
        await message.answer(html.quote(usage))
        return
    topic = await services.councils.rename_topic(
        topic_id,
        names,
        _actor(message),
    )
    await message.answer(
        _("Topic {id} renamed: {name}").format(
            id=topic.id, name=html.quote(topic.name(_language()))
        )
    )


async def hide_topic(message: Message, command: CommandObject, services: Services) -> None:
    await _set_hidden(message, command, services, hidden=True)


async def show_topic(message: Message, command: CommandObject, services: Services) -> None:
    await _set_hidden(message, command, services, hidden=False)


async def _set_hidden(
    message: Message,
    command: CommandObject,
    services: Services,
    *,
    hidden: bool,
) -> None:
    topic_id = parse_number(command.args)
    if topic_id is None:
        await message.answer(
            html.quote(_("Usage: /topic_hide <topic id> or /topic_show <topic id>"))
        )
        return
    topic = await services.councils.set_topic_hidden(
        topic_id,
        hidden,
        _actor(message),
    )
    text = (
        _("Topic {id} is hidden from citizens.")
        if hidden
        else _("Topic {id} is shown to citizens.")
    )
    await message.answer(text.format(id=topic.id))


def role_name(role: StaffRole) -> str:
    """A staff role in the reader's language."""
    return _("chair") if role == StaffRole.CHAIR else _("secretary")


def _split_role(args: str | None) -> tuple[str | None, StaffRole]:
    """`[council id] [chair|secretary]`: the role word is last and optional (a secretary)."""
    words = (args or "").split()
    if words and words[-1].lower() in {role.value for role in StaffRole}:
        return " ".join(words[:-1]) or None, StaffRole(words[-1].lower())
    return args, StaffRole.SECRETARY


async def invite(
    message: Message,
    command: CommandObject,
    services: Services,
    bot: Bot,
) -> None:
    raw, role = _split_role(command.args)
    council = await _council_from(message, services, raw, _("Usage: /invite <council id> [chair]"))
    if council is None:
        return
    payload = await services.councils.create_invite(council.id, _actor(message), role)
    me = await bot.me()
    link = f"https://t.me/{me.username}?start={payload}"
    if role == StaffRole.CHAIR:
        text = _(
            "A one-time link that makes whoever opens it the chair of {council}: a secretary "
            "who also gets a daily list of overdue questions. Send it only to that person:\n{link}"
        )
    else:
        text = _(
            "A one-time link that makes whoever opens it a secretary of {council}. "
            "Send it only to that person:\n{link}"
        )
    await message.answer(text.format(council=html.quote(council.name(_language())), link=link))


async def list_secretaries(message: Message, command: CommandObject, services: Services) -> None:
    council = await _council_from(
        message, services, command.args, _("Usage: /secretaries <council id>")
    )
    if council is None:
        return
    people = await services.councils.staff(council.id)
    lines = [_("Secretaries of {council}:").format(council=html.quote(council.name(_language())))]
    if not people:
        lines.append(_("none yet — send an /invite link"))
    for person, role in people:
        username = f" @{html.quote(person.username)}" if person.username else ""
        lines.append(
            f"• {html.quote(person.full_name)}{username} — id {person.id} — {role_name(role)}"
        )
    lines.append(html.quote(_("To remove one: /revoke <user id> [council id]")))
    await send_lines(message.answer, lines)


async def revoke(message: Message, command: CommandObject, services: Services, bot: Bot) -> None:
    usage = _("Usage: /revoke <user id> [council id]")
    raw, _sep, rest = (command.args or "").strip().partition(" ")
    user_id = parse_number(raw)
    if user_id is None:
        await message.answer(html.quote(usage))
        return
    council = await _council_from(message, services, rest or None, usage)
    if council is None:
        return
    await services.councils.revoke(
        council.id,
        user_id,
        _actor(message),
    )
    # Back to the citizens' menu (or what their other councils still give them).
    await refresh_chat_menu(bot, get_i18n(), services, user_id)
    await message.answer(
        _("The user is no longer a secretary of {council}.").format(
            council=html.quote(council.name(_language()))
        )
    )


async def bind(message: Message, command: CommandObject, services: Services) -> None:
    if message.chat.type not in {"group", "supergroup"}:
        await message.answer(_("Run /bind inside the council's staff group."))
        return
    council = await _council_from(message, services, command.args, _("Usage: /bind <council id>"))
    if council is None:
        return
    await services.councils.bind(council.id, message.chat.id, _actor(message))
    await message.answer(
        _("New questions to {council} will be posted in this group.").format(
            council=html.quote(council.name(council.default_language))
        )
    )


async def accept_invite(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    services: Services,
    user: User,
    caches: Caches,
    bot: Bot,
) -> None:
    await state.clear()
    council, role = await services.councils.accept_invite(
        command.args or "",
        user,
        full_name=message.from_user.full_name if message.from_user else "",
        username=message.from_user.username if message.from_user else None,
    )
    caches.forget(user.id)  # known "not a secretary" until now, here and on other replicas
    if role == StaffRole.CHAIR:
        welcome = _(
            "You are now the chair of {council}: you act as its secretaries do, and every "
            "working day you get the list of its questions overdue or due within a working "
            "day. Your commands: /help"
        )
    else:
        welcome = _("You are now a secretary of {council}. Your commands: /help")
    await message.answer(welcome.format(council=html.quote(council.name(_language()))))
    if user.language is None:
        await show_picker(message, get_i18n())  # the menu comes with the language picked
    else:
        await refresh_chat_menu(bot, get_i18n(), services, user.id, user.language)
        await send_main_menu(message, user)


async def council_timezone(message: Message, command: CommandObject, services: Services) -> None:
    """/council_tz <council id> <zone>: the council's own time zone."""
    usage = _("Usage: /council_tz <council id> <zone>, for example /council_tz 1 Asia/Oral")
    raw, _sep, zone = (command.args or "").strip().partition(" ")
    council_id = parse_number(raw)
    if council_id is None or not zone.strip():
        await message.answer(html.quote(usage))
        return
    council = await services.councils.set_timezone(council_id, zone, _actor(message))
    await message.answer(
        _(
            "The time zone of {council} is now {zone}: its deadlines, reports and event times "
            "are counted in it."
        ).format(council=html.quote(council.name(_language())), zone=html.quote(council.timezone))
    )


async def superadmin_only(message: Message) -> None:
    await message.answer(_("This command is only for superadmins."))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(
        accept_invite,
        CommandStart(deep_link=True, magic=F.args.startswith(INVITE_PREFIX)),
        PRIVATE,
        StateFilter("*"),
    )

    admin = Router(name=f"{__name__}.superadmin")
    admin.message.filter(IsSuperadmin(), StateFilter("*"))
    admin.message.register(bind, Command("bind"))  # in the staff group it binds
    # Everything else in a private chat only: nothing about councils is said in a group.
    private = Router(name=f"{__name__}.superadmin.private")
    private.message.filter(PRIVATE)
    message = private.message.register
    message(list_councils, Command("councils"))
    message(add_council, Command("council_add"))
    message(list_topics, Command("topics"))
    message(add_topic, Command("topic_add"))
    message(rename_topic, Command("topic_rename"))
    message(hide_topic, Command("topic_hide"))
    message(show_topic, Command("topic_show"))
    message(invite, Command("invite"))
    message(list_secretaries, Command("secretaries"))
    message(revoke, Command("revoke"))
    message(council_timezone, Command("council_tz"))
    admin.include_router(private)
    # A router's own handlers run before its sub-routers', so the refusal is a sub-router too.
    others = Router(name=f"{__name__}.others")
    others.message.register(superadmin_only, Command(*ADMIN_COMMANDS), PRIVATE, StateFilter("*"))
    router.include_routers(admin, others)
    return router
