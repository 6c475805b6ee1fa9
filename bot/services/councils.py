"""Councils, their topics, secretaries and who may act on what."""

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cache import SecretaryIds
from bot.clock import Clock
from bot.config import Settings
from bot.services.errors import CouncilRefusal, Refused
from bot.services.transaction import transaction
from db.models import AuditEntry, Council, Invite, Question, StaffRole, Topic, User
from db.repositories.councils import CouncilRepository
from db.repositories.questions import QuestionRepository
from db.repositories.users import UserRepository

DEFAULT_TOPICS: list[tuple[str, str, str]] = [
    ("Бюджет", "Бюджет", "Budget"),
    ("Тұрғын үй-коммуналдық шаруашылық", "ЖКХ", "Housing and utilities"),
    ("Жолдар және көлік", "Дороги и транспорт", "Roads and transport"),
    ("Білім беру", "Образование", "Education"),
    ("Денсаулық сақтау", "Здравоохранение", "Health"),
    ("Әлеуметтік қолдау", "Социальная поддержка", "Social support"),
    ("Басқа", "Другое", "Other"),
]
INVITE_PREFIX = "inv_"


class CouncilError(Refused):
    """A council operation that cannot be done (CouncilRefusal)."""


@dataclass(frozen=True)
class Staff:
    """What a user may do: superadmins act on every council, secretaries on their own."""

    user_id: int
    is_superadmin: bool = False
    council_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_staff(self) -> bool:
        return self.is_superadmin or bool(self.council_ids)

    def can_act(self, council_id: int) -> bool:
        return self.is_superadmin or council_id in self.council_ids


async def staff_of(
    session: AsyncSession,
    settings: Settings,
    user_id: int,
    secretaries: SecretaryIds | None = None,
) -> Staff:
    """What a user may do. With `secretaries` (who is a secretary at all, cached), a citizen's
    update costs no query; a secretary's councils are always read afresh."""
    is_superadmin = user_id in settings.admin_ids
    if (
        secretaries is not None
        and not is_superadmin
        and not await secretaries.may_be_secretary(session, user_id)
    ):
        return Staff(user_id)
    council_ids = await CouncilRepository(session).council_ids_of_secretary(user_id)
    return Staff(user_id, is_superadmin, frozenset(council_ids))


async def staff_in_chat(
    session: AsyncSession,
    settings: Settings,
    user_id: int,
    chat_id: int,
    chat_type: str,
    secretaries: SecretaryIds | None = None,
) -> Staff:
    """What a user may do as staff in one chat. In a private chat with the bot: all their role
    allows. In the staff group bound to a council: that council only, also for a superadmin, so
    nothing of another council is shown there. Anywhere else: nothing (a public group must never
    see citizens' questions because of one mistyped command)."""
    staff = await staff_of(session, settings, user_id, secretaries)
    if not staff.is_staff:
        return staff
    if chat_type == "private":
        return staff if chat_id == user_id else Staff(user_id)
    council = await CouncilRepository(session).by_staff_chat(chat_id)
    if council is None or not staff.can_act(council.id):
        return Staff(user_id)
    return Staff(user_id, council_ids=frozenset({council.id}))


async def scope_of(session: AsyncSession, staff: Staff) -> set[int]:
    """The councils a staff member works on."""
    if staff.is_superadmin:
        return {council.id for council in await CouncilRepository(session).all()}
    return set(staff.council_ids)


@cache
def _zone_names() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def known_zone(name: str) -> str | None:
    """The IANA name of a time zone as the database spells it (`asia/oral` is Asia/Oral), or
    None when there is no such zone."""
    found = _zone_names().get(name.strip().casefold())
    return found


def council_zone(council: Council) -> ZoneInfo:
    """The time zone a council's days, deadlines and event times are counted in."""
    return ZoneInfo(council.timezone)


@dataclass(frozen=True)
class CouncilDays:
    """What day it is for each council, in its own time zone: a question is overdue, a period
    begins, by its council's midnight (`default` for a council not listed)."""

    now: datetime
    zones: Mapping[int, ZoneInfo]
    default: ZoneInfo

    def zone(self, council_id: int) -> ZoneInfo:
        return self.zones.get(council_id, self.default)

    def today(self, council_id: int) -> date:
        return self.now.astimezone(self.zone(council_id)).date()

    def todays(self) -> dict[int, date]:
        return {council_id: self.today(council_id) for council_id in self.zones}

    def local_day(self, moment: datetime, council_id: int) -> date:
        return moment.astimezone(self.zone(council_id)).date()

    def overdue(self, question: Question) -> bool:
        return question.due_date < self.today(question.council_id)


def parse_names(text: str) -> tuple[str, str, str] | None:
    """`Kazakh | Russian | English` — three non-empty names, each at most 128 characters."""
    parts = [part.strip() for part in (text or "").split("|")]
    if len(parts) != 3 or not all(parts) or any(len(part) > 128 for part in parts):
        return None
    return parts[0], parts[1], parts[2]


class CouncilService:
    def __init__(self, session: AsyncSession, settings: Settings, clock: Clock) -> None:
        self.session = session
        self.settings = settings
        self.clock = clock
        self.councils = CouncilRepository(session)

    # -- reading ------------------------------------------------------------------------------

    async def find(self, council_id: int) -> Council | None:
        return await self.councils.get(council_id)

    async def all(self) -> list[Council]:
        return await self.councils.all()

    async def acting_for(self, staff: Staff) -> list[Council]:
        """The councils a staff member acts for (every council, for a superadmin)."""
        council_ids = await scope_of(self.session, staff)
        return [council for council in await self.councils.all() if council.id in council_ids]

    async def topics(self, council_id: int, *, include_hidden: bool = False) -> list[Topic]:
        return await self.councils.topics(council_id, include_hidden=include_hidden)

    async def topic(self, topic_id: int) -> Topic | None:
        return await self.councils.topic(topic_id)

    async def secretaries(self, council_id: int) -> list[User]:
        return await self.councils.secretaries(council_id)

    async def staff(self, council_id: int) -> list[tuple[User, StaffRole]]:
        """The council's staff with their roles (secretary, chair)."""
        return await self.councils.staff(council_id)

    async def staff_of(self, user_id: int, secretaries: SecretaryIds | None = None) -> Staff:
        """What a user may do (see `staff_of`): with `secretaries`, a citizen costs no query."""
        return await staff_of(self.session, self.settings, user_id, secretaries)

    async def days(self, council_ids: set[int]) -> CouncilDays:
        """Today for each of these councils, in its own time zone."""
        zones = {
            council.id: council_zone(council)
            for council in await self.councils.all()
            if council.id in council_ids
        }
        return CouncilDays(self.clock.now(), zones, self.settings.tz)

    async def only(self) -> Council | None:
        """The council a command means when it names none: the only one, if there is just one."""
        every = await self.councils.all()
        return every[0] if len(every) == 1 else None

    # -- changing -----------------------------------------------------------------------------

    async def ensure_default(self) -> Council | None:
        """On first start, a single council from the settings, so the bot works out of the box."""
        if await self.councils.count():
            return None
        names = (
            self.settings.council_name_kk,
            self.settings.council_name_ru,
            self.settings.council_name_en,
        )
        return await self.create(names)

    @transaction
    async def create(self, names: tuple[str, str, str], actor_id: int | None = None) -> Council:
        council = await self.councils.add(
            Council(
                name_kk=names[0],
                name_ru=names[1],
                name_en=names[2],
                timezone=self.settings.timezone,
                default_language=self.settings.default_language,
                created_at=self.clock.now(),
            )
        )
        for position, (kk, ru, en) in enumerate(DEFAULT_TOPICS, start=1):
            await self.councils.add_topic(
                Topic(council_id=council.id, name_kk=kk, name_ru=ru, name_en=en, position=position)
            )
        await self._audit(actor_id, council.id, "council_created", names[1])
        return council

    async def council(self, council_id: int) -> Council:
        council = await self.councils.get(council_id)
        if council is None:
            raise CouncilError(CouncilRefusal.NO_COUNCIL)
        return council

    @transaction
    async def add_topic(
        self, council_id: int, names: tuple[str, str, str], actor_id: int
    ) -> Topic:
        await self.council(council_id)
        topic = await self.councils.add_topic(
            Topic(council_id=council_id, name_kk=names[0], name_ru=names[1], name_en=names[2])
        )
        await self._audit(actor_id, council_id, "topic_added", names[1])
        return topic

    @transaction
    async def rename_topic(
        self, topic_id: int, names: tuple[str, str, str], actor_id: int
    ) -> Topic:
        topic = await self._topic(topic_id)
        topic.name_kk, topic.name_ru, topic.name_en = names
        await self._audit(actor_id, topic.council_id, "topic_renamed", names[1])
        return topic

    @transaction
    async def set_topic_hidden(self, topic_id: int, hidden: bool, actor_id: int) -> Topic:
        topic = await self._topic(topic_id)
        topic.is_hidden = hidden
        action = "topic_hidden" if hidden else "topic_shown"
        await self._audit(actor_id, topic.council_id, action, topic.name_ru)
        return topic

    @transaction
    async def create_invite(
        self, council_id: int, actor_id: int, role: StaffRole = StaffRole.SECRETARY
    ) -> str:
        await self.council(council_id)
        token = secrets.token_urlsafe(16)
        await self.councils.add_invite(
            Invite(
                token=token,
                council_id=council_id,
                created_by=actor_id,
                created_at=self.clock.now(),
                role=role,
            )
        )
        await self._audit(actor_id, council_id, "invite_created", role.value)
        return f"{INVITE_PREFIX}{token}"

    @transaction
    async def accept_invite(
        self, payload: str, user: User, *, full_name: str, username: str | None
    ) -> tuple[Council, StaffRole]:
        """Use a one-time invite: whoever opens it first joins its council's staff in the
        invite's role (a member already on the staff takes that role). A secretary's name is
        kept: the council's history says who did what."""
        user_id = user.id
        invite = await self.councils.invite(payload.removeprefix(INVITE_PREFIX))
        if invite is None or invite.used_at is not None:
            raise CouncilError(CouncilRefusal.INVITE_INVALID)
        invite.used_by = user_id
        invite.used_at = self.clock.now()
        council = await self.council(invite.council_id)
        role = StaffRole(invite.role)
        member = await self.councils.membership(council.id, user_id)
        if member is None:
            await self.councils.add_secretary(council.id, user_id, self.clock.now(), role)
        else:
            member.role = role
        await UserRepository(self.session).remember_name(user, full_name, username)
        action = "chair_added" if role == StaffRole.CHAIR else "secretary_added"
        await self._audit(user_id, council.id, action, str(user_id))
        return council, role

    @transaction
    async def revoke(self, council_id: int, user_id: int, actor_id: int) -> None:
        await self.council(council_id)
        if not await self.councils.remove_secretary(council_id, user_id):
            raise CouncilError(CouncilRefusal.NOT_SECRETARY)
        await self._audit(actor_id, council_id, "secretary_revoked", str(user_id))
        # What they held is held by nobody now, and the cards in their private chat are no
        # longer kept current: the council's questions stop reaching them.
        questions = QuestionRepository(self.session)
        for question in await questions.release(council_id, user_id):
            await questions.audit(
                AuditEntry(
                    at=self.clock.now(),
                    actor_id=actor_id,
                    council_id=council_id,
                    question_id=question.id,
                    action="released",
                    detail=str(user_id),
                )
            )
        await questions.forget_cards_in(council_id, user_id)

    @transaction
    async def set_timezone(self, council_id: int, name: str, actor_id: int) -> Council:
        """The council's own time zone, by its IANA name (Asia/Almaty, Asia/Oral...): its days,
        deadlines, reports and event times are counted in it from now on."""
        zone = known_zone(name)
        if zone is None:
            raise CouncilError(CouncilRefusal.UNKNOWN_ZONE, zone=name.strip()[:64])
        council = await self.council(council_id)
        council.timezone = zone
        await self._audit(actor_id, council_id, "timezone_set", zone)
        return council

    @transaction
    async def bind(self, council_id: int, chat_id: int, actor_id: int) -> Council:
        council = await self.council(council_id)
        previous = await self.councils.by_staff_chat(chat_id)
        if previous is not None and previous.id != council_id:
            previous.staff_chat_id = None
        council.staff_chat_id = chat_id
        await self._audit(actor_id, council_id, "staff_chat_bound", str(chat_id))
        return council

    async def _topic(self, topic_id: int) -> Topic:
        topic = await self.councils.topic(topic_id)
        if topic is None:
            raise CouncilError(CouncilRefusal.NO_TOPIC)
        return topic

    async def _audit(
        self, actor_id: int | None, council_id: int, action: str, detail: str | None
    ) -> None:
        await QuestionRepository(self.session).audit(
            AuditEntry(
                at=self.clock.now(),
                actor_id=actor_id,
                council_id=council_id,
                action=action,
                detail=detail,
            )
        )
