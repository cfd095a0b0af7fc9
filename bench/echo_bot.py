"""The bare bot the throughput bench compares against: python-telegram-bot echoing each text, nothing else.

Set up as python-telegram-bot's own ``examples/customwebhookbot/starlettebot.py``: a Starlette route takes the
webhook POST, checks the secret header, puts ``Update.de_json(...)`` on ``application.update_queue`` and answers
200; the Application (no Updater, updates one at a time, its default) runs one ``MessageHandler`` that replies
with the same text. Same web server (uvicorn) as ``exportbot serve``; no database, no
logging beyond warnings. Reads the same variables as ``exportbot serve``:

    TELEGRAM_BOT_TOKEN, TELEGRAM_API_BASE_URL, TELEGRAM_WEBHOOK_URL, TELEGRAM_WEBHOOK_SECRET, PORT

python-telegram-bot as it comes, on its httpx backend; with TELEGRAM_HTTP_CLIENT=aiohttp (a reference row of the
bench only) on the aiohttp backend ``exportbot serve`` uses (bot/channels/telegram/transport.py).
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply with the same text."""
    assert update.message is not None and update.message.text is not None
    await update.message.reply_text(update.message.text)


async def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    env = os.environ
    builder = Application.builder().token(env["TELEGRAM_BOT_TOKEN"]).base_url(env["TELEGRAM_API_BASE_URL"])
    if env.get("TELEGRAM_HTTP_CLIENT") == "aiohttp":
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from bot.channels.telegram.transport import AiohttpRequest
        builder = builder.request(AiohttpRequest())
    application = builder.updater(None).build()
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    secret = env["TELEGRAM_WEBHOOK_SECRET"]

    async def telegram(request: Request) -> Response:
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != secret:
            return PlainTextResponse("forbidden", status_code=403)
        await application.update_queue.put(Update.de_json(await request.json(), application.bot))
        return PlainTextResponse("ok")

    async def health(_: Request) -> Response:
        return PlainTextResponse("ok")

    web = Starlette(routes=[Route("/telegram/webhook", telegram, methods=["POST"]),
                            Route("/healthz", health, methods=["GET"])])
    server = uvicorn.Server(uvicorn.Config(web, host="127.0.0.1", port=int(env["PORT"]), log_level="warning",
                                           lifespan="off"))
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with application:
        await application.bot.set_webhook(env["TELEGRAM_WEBHOOK_URL"], secret_token=secret)
        await application.start()
        task = asyncio.create_task(server.serve())
        await stop.wait()
        server.should_exit = True
        await task
        await application.stop()


if __name__ == "__main__":
    asyncio.run(main())
