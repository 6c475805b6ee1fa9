"""The app factory: production and tests build the bot the same way."""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisStorage
from aiogram.utils.i18n import I18n
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.cache import Caches
from bot.clock import Clock, SystemClock
from bot.commands import refresh_chat_menu, set_command_menus
from bot.config import Settings
from bot.i18n import StoredLanguageMiddleware, create_i18n
from bot.jobs.backup import BackupJob
from bot.jobs.broadcaster import Broadcaster
from bot.jobs.digest import DigestService
from bot.jobs.escalation import EscalationJobs
from bot.jobs.events import EventJobs
from bot.jobs.retention import RetentionJob
from bot.metrics import watch_scheduler
from bot.middlewares import (
    AlbumMiddleware,
    BlockedUserRequestMiddleware,
    CountUpdatesMiddleware,
    DatabaseMiddleware,
    FloodMiddleware,
    RetryMiddleware,
    TraceHandlerMiddleware,
    TraceRequestMiddleware,
    TraceUpdateMiddleware,
    UpdateOnceMiddleware,
    UserMiddleware,
)
from bot.ratelimit import RateLimiter, RedisRateLimiter, redis_client
from bot.services.container import Services
from bot.services.councils import CouncilService
from bot.telegram_session import JsonAiohttpSession
from bot.update_ledger import (
    DatabaseUpdateLedger,
    LocalUpdateLedger,
    RedisUpdateLedger,
    UpdateLedger,
)
from bot.views.notify import Notifier
from db.engine import create_engine, create_sessionmaker
from db.migrate import upgrade
from handlers import setup_routers

logger = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    bot: Bot
    dispatcher: Dispatcher
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    scheduler: AsyncIOScheduler
    i18n: I18n
    clock: Clock

    broadcaster: Broadcaster
    events: EventJobs
    caches: Caches
    # Webhook mode: the update ids taken (bot/update_ledger.py); None when polling.
    update_ledger: UpdateLedger | None = None

    @property
    def digests(self) -> DigestService:
        return DigestService(self.sessionmaker, self.bot, self.i18n, self.settings, self.clock)

    @property
    def retention(self) -> RetentionJob:
        notifier = Notifier(self.bot, self.i18n, self.settings)
        return RetentionJob(self.sessionmaker, notifier, self.settings, self.clock)

    @property
    def escalations(self) -> EscalationJobs:
        return EscalationJobs(self.sessionmaker, self.bot, self.i18n, self.settings, self.clock)

    @property
    def backup(self) -> BackupJob:
        return BackupJob(self.settings, self.clock)

    async def start(self, *, run_scheduler: bool = True) -> None:
        """Migrate, create the first council if there is none, publish the command menus and
        start the timers."""
        if isinstance(self.dispatcher.storage, RedisStorage):
            await self.dispatcher.storage.redis.ping()  # an unreachable REDIS_URL fails here
        await upgrade(self.engine)
        async with self.sessionmaker() as session:
            await CouncilService(session, self.settings, self.clock).ensure_default()
            await session.commit()
        await set_command_menus(self.bot, self.i18n, self.settings.default_language)
        await self.set_superadmin_menus()
        if self.caches.invalidations is not None:
            self.caches.invalidations.start()
        if run_scheduler:
            # Every minute, and once right away: a digest missed while the bot was down is sent.
            self.scheduler.add_job(
                self.digests.run,
                "interval",
                minutes=1,
                next_run_time=datetime.now(UTC),
                id="digests",
            )
            # The chairs' daily digests and the superadmins' weekly summaries, the same way.
            self.scheduler.add_job(
                self.escalations.run,
                "interval",
                minutes=1,
                next_run_time=datetime.now(UTC),
                id="escalations",
            )
            # Due events are announced and due reminders made; then due broadcasts start, and
            # those a dead process left running resume.
            self.scheduler.add_job(
                self.events.run,
                "interval",
                seconds=5,
                next_run_time=datetime.now(UTC),
                id="events",
            )
            # Closed questions past PERSONAL_DATA_RETENTION_DAYS lose the name, daily at 03:00.
            self.scheduler.add_job(
                self.retention.run,
                "cron",
                hour=3,
                timezone=self.settings.tz,
                id="retention",
            )
            # SQLite: a consistent copy into BACKUP_DIR daily at 02:30, the last BACKUP_KEEP kept.
            # (PostgreSQL is backed up with pg_dump, outside the bot.)
            if self.engine.dialect.name == "sqlite" and self.settings.backup_keep > 0:
                self.scheduler.add_job(
                    self.backup.run,
                    "cron",
                    hour=2,
                    minute=30,
                    timezone=self.settings.tz,
                    id="backup",
                )
            self.scheduler.add_job(self.write_last_seen, "interval", minutes=1, id="last_seen")
            if isinstance(self.update_ledger, DatabaseUpdateLedger):
                self.scheduler.add_job(self.forget_old_updates, "interval", hours=1, id="updates")
            watch_scheduler(self.scheduler)
            self.scheduler.start()

    async def poll(self, **kwargs: Any) -> None:
        """Long polling until stopped. At most MAX_UPDATES_IN_FLIGHT updates are handled at
        once: the next ones are fetched only as earlier ones finish, so a burst waits at
        Telegram instead of piling up here (and nothing fetched is dropped).

        A webhook left from running in webhook mode would make Telegram refuse getUpdates
        (409 Conflict): it is removed first, keeping the updates waiting for it."""
        await self.remove_leftover_webhook()
        await self.dispatcher.start_polling(
            self.bot,
            allowed_updates=self.dispatcher.resolve_used_update_types(),
            tasks_concurrency_limit=self.settings.max_updates_in_flight,
            **kwargs,
        )

    async def remove_leftover_webhook(self) -> None:
        info = await self.bot.get_webhook_info()
        if info.url:
            await self.bot.delete_webhook(drop_pending_updates=False)
            logger.info(
                "removed the webhook to %s left from webhook mode (%d updates waiting are kept): "
                "polling now",
                info.url,
                info.pending_update_count,
            )

    async def set_superadmin_menus(self) -> None:
        """Each superadmin who has picked a language sees their commands in their chat menu
        (one who has not gets it with the language they pick)."""
        async with self.sessionmaker() as session:
            services = Services(session, self.settings, self.clock)
            for admin_id in sorted(self.settings.admin_ids):
                await refresh_chat_menu(self.bot, self.i18n, services, admin_id)

    async def write_last_seen(self) -> None:
        await self.caches.last_seen.flush(self.sessionmaker)

    async def forget_old_updates(self) -> None:
        if isinstance(self.update_ledger, DatabaseUpdateLedger):
            await self.update_ledger.forget_old()

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self.caches.invalidations is not None:
            await self.caches.invalidations.stop()
        try:
            await self.write_last_seen()
        except Exception as exc:  # stopping goes on: last_seen is only informative
            logger.warning("could not write last_seen on the way out: %s", exc)
        await self.broadcaster.close()
        if isinstance(self.broadcaster.limiter, RedisRateLimiter):
            await self.broadcaster.limiter.redis.aclose()
        await self.dispatcher.storage.close()
        await self.bot.session.close()
        await self.engine.dispose()


def create_bot_session(settings: Settings) -> BaseSession:
    if settings.telegram_api_url:
        api = TelegramAPIServer.from_base(settings.telegram_api_url.rstrip("/"))
        return JsonAiohttpSession(api=api)
    return JsonAiohttpSession()


def create_limiter(settings: Settings) -> RateLimiter | RedisRateLimiter:
    """The bulk rate limit: this process's own, or with REDIS_URL one that all replicas share,
    so that together they never exceed BROADCAST_RATE."""
    if settings.redis_url is None:
        return RateLimiter(settings.broadcast_rate)
    return RedisRateLimiter(
        redis_client(settings.redis_url),
        settings.broadcast_rate,
        key=f"{settings.redis_prefix}:bulk",
    )


def create_update_ledger(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    limiter: RateLimiter | RedisRateLimiter,
) -> UpdateLedger:
    """Where webhook update ids are kept: in Redis when there is one (replicas share it), in
    PostgreSQL otherwise, and in memory with SQLite, which one process serves."""
    if isinstance(limiter, RedisRateLimiter):
        return RedisUpdateLedger(limiter.redis, f"{settings.redis_prefix}:update")
    if engine.dialect.name == "sqlite":
        return LocalUpdateLedger()
    return DatabaseUpdateLedger(sessionmaker, clock)


def create_storage(settings: Settings, key_prefix: str | None = None) -> BaseStorage:
    """Conversation state: in this process's memory, or in Redis (REDIS_URL), where every
    replica sees it and it survives a restart. Nothing connects until the state is first used."""
    if settings.redis_url is None:
        return MemoryStorage()
    key_prefix = key_prefix or f"{settings.redis_prefix}:fsm"
    return RedisStorage.from_url(
        settings.redis_url, key_builder=DefaultKeyBuilder(prefix=key_prefix)
    )


def create_scheduler() -> AsyncIOScheduler:
    # The database is the source of truth for everything scheduled; APScheduler only wakes us.
    # misfire_grace_time=None: a job that wakes late still runs (the default 1 s drops it).
    return AsyncIOScheduler(
        timezone=UTC,
        job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
    )


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    session: BaseSession | None = None,
    storage: BaseStorage | None = None,
    update_ledger: UpdateLedger | None = None,
) -> App:
    clock = clock or SystemClock()
    engine = create_engine(settings.database_url, pool_size=settings.pool_size)
    sessionmaker = create_sessionmaker(engine)
    i18n = create_i18n(settings.default_language)

    bot = Bot(
        token=settings.bot_token.get_secret_value(),
        session=session or create_bot_session(settings),
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    caches = Caches()
    bot.session.middleware(TraceRequestMiddleware())
    bot.session.middleware(BlockedUserRequestMiddleware(sessionmaker, caches))

    scheduler = create_scheduler()
    broadcaster = Broadcaster(sessionmaker, bot, i18n, settings, clock, create_limiter(settings))
    events = EventJobs(sessionmaker, i18n, settings, clock, broadcaster)
    if isinstance(broadcaster.limiter, RedisRateLimiter):
        # Replicas: a user changed in one is dropped from the others' caches at once.
        caches.share(broadcaster.limiter.redis, f"{settings.redis_prefix}:users")
    dispatcher = Dispatcher(
        storage=storage or create_storage(settings),
        settings=settings,
        clock=clock,
        sessionmaker=sessionmaker,
        scheduler=scheduler,
        notifier=Notifier(bot, i18n, settings),
        broadcaster=broadcaster,
        event_jobs=events,
        i18n=i18n,
        caches=caches,
    )
    dispatcher.update.outer_middleware(TraceUpdateMiddleware())
    dispatcher.update.outer_middleware(CountUpdatesMiddleware())
    dispatcher.update.outer_middleware(AlbumMiddleware(settings.album_wait_seconds))
    dispatcher.update.outer_middleware(RetryMiddleware(settings.update_retries))
    dispatcher.update.outer_middleware(DatabaseMiddleware(sessionmaker))
    if settings.mode == "webhook":
        update_ledger = update_ledger or create_update_ledger(
            settings, engine, sessionmaker, clock, broadcaster.limiter
        )
        # Inside the retries: a retried update is still this process's to handle.
        dispatcher.update.outer_middleware(UpdateOnceMiddleware(update_ledger))
    dispatcher.update.outer_middleware(UserMiddleware(clock, settings.admin_ids, caches))
    StoredLanguageMiddleware(i18n).setup(dispatcher)
    # Behind a webhook a user's updates may reach any replica: they are counted in Redis. A
    # polling process receives every update itself (Telegram answers getUpdates to one caller
    # only), so it counts them in memory, sparing each update a Redis round trip.
    flood_redis = None
    if settings.mode == "webhook" and isinstance(broadcaster.limiter, RedisRateLimiter):
        flood_redis = broadcaster.limiter.redis
    flood = FloodMiddleware(clock, redis=flood_redis, key_prefix=f"{settings.redis_prefix}:flood")
    dispatcher.message.outer_middleware(flood)
    dispatcher.callback_query.outer_middleware(flood)
    trace = TraceHandlerMiddleware()
    for observer in (dispatcher.message, dispatcher.callback_query, dispatcher.my_chat_member):
        observer.middleware(trace)
    dispatcher.include_router(setup_routers())

    return App(
        settings=settings,
        bot=bot,
        dispatcher=dispatcher,
        engine=engine,
        sessionmaker=sessionmaker,
        scheduler=scheduler,
        i18n=i18n,
        clock=clock,
        broadcaster=broadcaster,
        events=events,
        caches=caches,
        update_ledger=update_ledger,
    )
