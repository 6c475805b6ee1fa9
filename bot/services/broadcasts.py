"""Announcements to a council's subscribers: who gets what, in which language, and when."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import LANGUAGES, Settings
from bot.services.councils import Staff, scope_of, staff_of
from bot.services.errors import BroadcastRefusal, Refused
from bot.services.transaction import transaction
from db.models import AuditEntry, Broadcast, BroadcastStatus, Council
from db.repositories.broadcasts import BroadcastRepository, SubscriptionRepository
from db.repositories.councils import CouncilRepository
from db.repositories.questions import QuestionRepository

MAX_TEXT = 4096
MAX_CAPTION = 1024
# A broadcast that starts this much after its time was missed (the bot was down): say so.
LATE_AFTER_SECONDS = 60


class BroadcastError(Refused):
    """A broadcast that cannot be made, changed or stopped (BroadcastRefusal)."""


def pick_text(broadcast: Broadcast, language: str, default_language: str) -> str:
    """The text in the reader's language; else the council's default language; else any."""
    for candidate in (language, default_language, *LANGUAGES):
        text = broadcast.text(candidate)
        if text:
            return text
    raise BroadcastError(BroadcastRefusal.NO_TEXT)


def parse_when(text: str, tz: ZoneInfo) -> datetime | None:
    """`06.02.2027 15:00` in the council's time zone, or None if it is not such a date."""
    try:
        naive = datetime.strptime(text.strip(), "%d.%m.%Y %H:%M")
    except ValueError:
        return None
    return naive.replace(tzinfo=tz)


def check_text(text: str, with_photo: bool) -> str:
    limit = MAX_CAPTION if with_photo else MAX_TEXT
    if not text.strip():
        raise BroadcastError(BroadcastRefusal.EMPTY)
    if len(text) > limit:
        raise BroadcastError(BroadcastRefusal.TOO_LONG, length=len(text), maximum=limit)
    return text


@dataclass(frozen=True)
class BroadcastDraft:
    council_id: int
    texts: dict[str, str]
    photo_file_id: str | None
    audience_language: str | None
    scheduled_at: datetime


@dataclass(frozen=True)
class BroadcastReport:
    """A broadcast as /broadcasts lists it: its council and how many deliveries went how."""

    broadcast: Broadcast
    council: Council
    counts: dict[str, int]


class SubscriptionService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    @transaction
    async def subscribe(self, user_id: int, council_id: int) -> bool:
        return await SubscriptionRepository(self.session).set_active(
            user_id, council_id, True, self.clock.now()
        )

    @transaction
    async def subscribe_newcomer(self, user_id: int, settings: Settings) -> list[Council]:
        """A newcomer's default after picking a language. A citizen is subscribed when the
        deployment has one council; with several, the councils to offer are returned. Staff
        (secretaries, superadmins) are not subscribed: they are no audience of their own
        announcements unless they subscribe themselves with /subscribe."""
        if (await staff_of(self.session, settings, user_id)).is_staff:
            return []
        councils = await CouncilRepository(self.session).all()
        if len(councils) == 1:
            await SubscriptionRepository(self.session).set_active(
                user_id, councils[0].id, True, self.clock.now()
            )
            return []
        return councils

    @transaction
    async def unsubscribe(self, user_id: int, council_id: int) -> bool:
        return await SubscriptionRepository(self.session).set_active(
            user_id, council_id, False, self.clock.now()
        )

    async def audience(self, council: Council, language: str | None) -> int:
        """How many subscribers of `council` an announcement reaches: all of them, or only the
        readers of `language` (the council's default language for those who never chose)."""
        return await SubscriptionRepository(self.session).count_audience(
            council.id, language, council.default_language
        )

    @transaction
    async def unsubscribe_everywhere(self, user_id: int) -> None:
        subscriptions = SubscriptionRepository(self.session)
        for council_id in await subscriptions.active_councils(user_id):
            await subscriptions.set_active(user_id, council_id, False, self.clock.now())


class BroadcastService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.broadcasts = BroadcastRepository(session)

    @transaction
    async def create(self, draft: BroadcastDraft, staff: Staff) -> Broadcast:
        if not staff.can_act(draft.council_id):
            raise BroadcastError(BroadcastRefusal.NOT_FOUND)
        if not any(draft.texts.get(language) for language in LANGUAGES):
            raise BroadcastError(BroadcastRefusal.NO_TEXT)
        now = self.clock.now()
        if draft.scheduled_at < now - timedelta(seconds=5):
            raise BroadcastError(BroadcastRefusal.IN_THE_PAST)
        broadcast = await self.broadcasts.add(
            Broadcast(
                council_id=draft.council_id,
                created_by=staff.user_id,
                text_kk=draft.texts.get("kk"),
                text_ru=draft.texts.get("ru"),
                text_en=draft.texts.get("en"),
                photo_file_id=draft.photo_file_id,
                audience_language=draft.audience_language,
                status=BroadcastStatus.SCHEDULED,
                scheduled_at=max(draft.scheduled_at, now),
                created_at=now,
                progress_chat_id=staff.user_id,
            )
        )
        await self._audit(broadcast, staff.user_id, "broadcast_created")
        return broadcast

    async def reports(self, staff: Staff) -> list[BroadcastReport]:
        """The latest broadcasts of the councils a staff member works on, newest first."""
        broadcasts = await self.broadcasts.of_councils(await scope_of(self.session, staff))
        if not broadcasts:
            return []
        councils = {council.id: council for council in await CouncilRepository(self.session).all()}
        return [
            BroadcastReport(
                broadcast,
                councils[broadcast.council_id],
                await self.broadcasts.counts(broadcast.id),
            )
            for broadcast in broadcasts
        ]

    @transaction
    async def cancel(self, broadcast_id: int, staff: Staff) -> BroadcastStatus:
        """Cancel a scheduled broadcast, or stop a running one. Returns the new status."""
        broadcast = await self.broadcasts.get(broadcast_id)
        if broadcast is None or not staff.can_act(broadcast.council_id):
            raise BroadcastError(BroadcastRefusal.NOT_FOUND)
        now = self.clock.now()
        if await self.broadcasts.set_status(
            broadcast.id,
            [BroadcastStatus.SCHEDULED],
            status=BroadcastStatus.CANCELLED,
            finished_at=now,
        ):
            await self._audit(broadcast, staff.user_id, "broadcast_cancelled")
            return BroadcastStatus.CANCELLED
        if await self.broadcasts.set_status(
            broadcast.id, [BroadcastStatus.RUNNING], status=BroadcastStatus.STOPPED
        ):
            await self._audit(broadcast, staff.user_id, "broadcast_stopped")
            return BroadcastStatus.STOPPED
        raise BroadcastError(BroadcastRefusal.ALREADY_FINISHED, status=broadcast.status.value)

    async def _audit(self, broadcast: Broadcast, actor_id: int, action: str) -> None:
        await QuestionRepository(self.session).audit(
            AuditEntry(
                at=self.clock.now(),
                actor_id=actor_id,
                council_id=broadcast.council_id,
                action=action,
                detail=str(broadcast.id),
            )
        )


def is_late(broadcast: Broadcast, started_at: datetime) -> bool:
    return (started_at - broadcast.scheduled_at).total_seconds() > LATE_AFTER_SECONDS


def council_tz(council: Council) -> ZoneInfo:
    return ZoneInfo(council.timezone)
