"""A fake Telegram Bot API served over HTTP on loopback, for whatever crosses the network:
polling, the command line, benchmarks. Answers getUpdates from a queue and records every call.
Like Telegram, it keeps the webhook set with setWebhook (getWebhookInfo shows it) and refuses
getUpdates while one is set, until deleteWebhook."""

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes import BOT_USER
from tests.telegram_rules import TelegramRefusal, check_request


@dataclass
class FakeBotApi:
    token: str
    updates: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # How each call was sent: "application/json", "multipart/form-data", ...
    content_types: list[str] = field(default_factory=list)
    # What Telegram would have refused (too long, bad HTML, bad buttons...), with its reason.
    refusals: list[tuple[str, str]] = field(default_factory=list)
    sent: asyncio.Queue = field(default_factory=asyncio.Queue)
    # The name of every method called, as it arrives: lets a test wait for, say, setWebhook.
    methods: asyncio.Queue = field(default_factory=asyncio.Queue)
    # Callback queries already answered.
    answered: set[str] = field(default_factory=set)
    # The webhook Telegram posts to; "" when none is set (getUpdates works only then).
    webhook_url: str = ""
    # The offset of the last getUpdates: updates before it were confirmed, so no longer pending.
    confirmed: int = 0
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    base_url: str = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def push_update(self, update: dict[str, Any]) -> None:
        self.updates.append({"update_id": len(self.updates) + 1, **update})

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _json({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
        method = request.match_info["method"]
        self.content_types.append(request.content_type)
        if request.content_type == "application/json":  # Telegram takes both
            params = await request.json()
        else:
            form = dict(await request.post())
            params = {key: _decode(value) for key, value in form.items()}
        self.calls.append((method, params))
        await self.methods.put(method)
        try:
            check_request(method, params)
        except TelegramRefusal as exc:
            self.refusals.append((method, exc.description))
            return _json(
                {"ok": False, "error_code": exc.status, "description": exc.description},
                exc.status,
            )
        if method == "getMe":
            return _ok(BOT_USER)
        if method in WEBHOOK_METHODS:
            return self._webhook(method, params)
        if method == "getUpdates":
            if self.webhook_url:
                description = (
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first"
                )
                self.refusals.append((method, description))
                return _json({"ok": False, "error_code": 409, "description": description}, 409)
            # As Telegram: the updates from `offset` on, at most `limit` (1-100, default 100).
            offset = int(params.get("offset") or 0)
            self.confirmed = max(self.confirmed, offset)
            limit = min(max(int(params.get("limit") or 100), 1), 100)
            pending = [update for update in self.updates if update["update_id"] >= offset]
            if not pending:
                await asyncio.sleep(min(float(params.get("timeout") or 0), 0.2))
            return _ok(pending[:limit])
        if method == "answerCallbackQuery":
            # Telegram takes one answer per callback query.
            query_id = str(params["callback_query_id"])
            if query_id in self.answered:
                description = (
                    "Bad Request: query is too old and response timeout expired or query ID "
                    "is invalid"
                )
                self.refusals.append((method, description))
                return _json({"ok": False, "error_code": 400, "description": description}, 400)
            self.answered.add(query_id)
        if method == "sendMessage":
            message = {
                "message_id": next(self._ids),
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "from": BOT_USER,
                "text": params["text"],
            }
            await self.sent.put(message)
            return _ok(message)
        if method == "sendDocument":
            return _ok(
                {
                    "message_id": next(self._ids),
                    "date": int(time.time()),
                    "chat": {"id": int(params["chat_id"]), "type": "private"},
                    "from": BOT_USER,
                    "caption": params.get("caption"),
                }
            )
        return _ok(True)

    def pending(self) -> list[dict[str, Any]]:
        return [update for update in self.updates if update["update_id"] >= self.confirmed]

    def _webhook(self, method: str, params: dict[str, Any]) -> web.Response:
        """setWebhook, deleteWebhook and getWebhookInfo as Telegram answers them."""
        if method == "getWebhookInfo":
            info: dict[str, Any] = {
                "url": self.webhook_url,
                "has_custom_certificate": False,
                "pending_update_count": len(self.pending()),
            }
            if self.webhook_url:
                info["max_connections"] = 40
            return _ok(info)
        drop = str(params.get("drop_pending_updates", "")).lower() in {"true", "1"}
        if drop:
            self.confirmed = len(self.updates) + 1
        if method == "deleteWebhook":
            description = (
                "Webhook was deleted" if self.webhook_url else "Webhook is already deleted"
            )
            self.webhook_url = ""
            return _json({"ok": True, "result": True, "description": description})
        url = str(params.get("url") or "")
        if url and not url.startswith("https://"):
            description = "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            self.refusals.append((method, description))
            return _json({"ok": False, "error_code": 400, "description": description}, 400)
        self.webhook_url = url
        description = "Webhook was set" if url else "Webhook was deleted"
        return _json({"ok": True, "result": True, "description": description})


WEBHOOK_METHODS = {"setWebhook", "deleteWebhook", "getWebhookInfo"}


def _decode(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _ok(result: Any) -> web.Response:
    return _json({"ok": True, "result": result})


def _json(payload: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(payload, status=status)
