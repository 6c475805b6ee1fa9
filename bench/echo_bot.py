"""The reference for bench/inbound.py: a bare aiogram bot that answers every message with one
message and every button press with an empty answer, polling or behind a webhook (MODE),
against TELEGRAM_API_URL. What aiogram and the network cost per update, and nothing else."""

import asyncio
import os

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web


async def echo(message: Message) -> None:
    await message.answer(message.text or "?")


async def pressed(query: CallbackQuery) -> None:
    await query.answer()


async def main() -> None:
    api = TelegramAPIServer.from_base(os.environ["TELEGRAM_API_URL"])
    bot = Bot(os.environ["BOT_TOKEN"], session=AiohttpSession(api=api))
    dispatcher = Dispatcher()
    dispatcher.message.register(echo)
    dispatcher.callback_query.register(pressed)
    if os.environ.get("MODE") == "webhook":
        app = web.Application()
        SimpleRequestHandler(dispatcher, bot, secret_token=os.environ["WEBHOOK_SECRET"]).register(
            app, path="/hook"
        )
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", int(os.environ["WEBHOOK_PORT"])).start()
        await bot.set_webhook("https://bench.example.org/hook")
        await asyncio.Event().wait()
    else:
        await dispatcher.start_polling(bot)


if __name__ == "__main__":
    import uvloop

    uvloop.run(main())
