"""MODE=webhook: Telegram posts updates to an aiohttp server; any number of replicas may serve
it behind a load balancer.

Routes: the webhook at WEBHOOK_URL's path (a request without the right
X-Telegram-Bot-Api-Secret-Token header gets 401), /healthz (200 when the database answers,
503 otherwise), /metrics (Prometheus text format) and, with PUBLIC_PAGES=true, the councils'
public pages (bot/web/public.py). In polling mode, HEALTH_PORT serves all but the webhook
(start_health_server).
"""

import asyncio
import logging
from typing import Any

from aiogram import Bot
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from bot.app import App
from bot.web.public import add_public_pages

logger = logging.getLogger(__name__)

HEALTH_TIMEOUT_SECONDS = 5.0
APP_KEY = web.AppKey("app", App)


class BoundedRequestHandler(SimpleRequestHandler):
    """At most `in_flight` updates are handled at once; a request beyond that waits its turn
    (Telegram holds the next ones back meanwhile: it sends at most max_connections at once)."""

    def __init__(self, *args: Any, in_flight: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.in_flight = asyncio.Semaphore(in_flight)

    async def _handle_request(self, bot: Bot, request: web.Request) -> web.Response:
        async with self.in_flight:
            return await super()._handle_request(bot, request)


def create_web_app(app: App) -> web.Application:
    settings = app.settings
    assert settings.webhook_secret is not None
    web_app = web.Application()
    # Handled before answering: Telegram's retry of an update whose answer was late is caught
    # by the update id (UpdateOnceMiddleware), not lost in a background task.
    BoundedRequestHandler(
        dispatcher=app.dispatcher,
        bot=app.bot,
        handle_in_background=False,
        secret_token=settings.webhook_secret.get_secret_value(),
        in_flight=settings.max_updates_in_flight,
    ).register(web_app, path=settings.webhook_path)
    setup_application(web_app, app.dispatcher, bot=app.bot)
    add_health_routes(web_app, app)
    return web_app


def add_health_routes(web_app: web.Application, app: App) -> None:
    web_app[APP_KEY] = app
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/metrics", metrics)
    # With PUBLIC_PAGES=true, the councils' public pages: on the webhook server, or on
    # HEALTH_PORT in polling mode.
    add_public_pages(web_app, app)


async def healthz(request: web.Request) -> web.Response:
    app = request.app[APP_KEY]
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS), app.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:
        logger.warning("health check: the database does not answer: %s", exc)
        return web.Response(status=503, text="database unreachable\n")
    return web.Response(text="ok\n")


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def start_health_server(app: App) -> web.AppRunner:
    """Polling mode with HEALTH_PORT: /healthz and /metrics on HEALTH_HOST:HEALTH_PORT."""
    settings = app.settings
    assert settings.health_port is not None
    web_app = web.Application()
    add_health_routes(web_app, app)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.health_host, settings.health_port).start()
    logger.info(
        "serving /healthz and /metrics on %s:%s", settings.health_host, settings.health_port
    )
    return runner


async def start_webhook(app: App) -> web.AppRunner:
    """Serve, then tell Telegram where to post (with the secret it must send back)."""
    settings = app.settings
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    runner = web.AppRunner(create_web_app(app), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
    await site.start()
    await app.bot.set_webhook(
        url=settings.webhook_url,
        secret_token=settings.webhook_secret.get_secret_value(),
        allowed_updates=app.dispatcher.resolve_used_update_types(),
        # Telegram's own bound on the requests it has open to us (1-100; its default is 40).
        max_connections=min(settings.max_updates_in_flight, 100),
    )
    logger.info(
        "serving the webhook on %s:%s%s",
        settings.webhook_host,
        settings.webhook_port,
        settings.webhook_path,
    )
    return runner


async def stop_webhook(app: App, runner: web.AppRunner) -> None:
    """Stop taking updates; the webhook stays set (other replicas, or this one after a restart,
    keep receiving) unless WEBHOOK_DELETE_ON_SHUTDOWN is true."""
    if app.settings.webhook_delete_on_shutdown:
        await app.bot.delete_webhook()
        logger.info("webhook removed")
    await runner.cleanup()
