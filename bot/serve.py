"""`exportbot serve`: long polling, or webhooks on one ASGI server (Starlette + uvicorn).

The ASGI app carries the Telegram webhook now and is where the WhatsApp
webhook will live too, following python-telegram-bot's
``customwebhookbot/starlettebot.py`` example.
"""
from __future__ import annotations

import asyncio
import hmac
import logging
import signal
from urllib.parse import urlparse

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from .knowledge import KnowledgeError
from .logs import quiet_http_logs, setup_logging
from .runtime import Runtime
from .settings import Settings
from .store import Store
from .handlers.telegram import set_commands
from .telegram_app import build_application

log = logging.getLogger("exportbot.serve")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEFAULT_WEBHOOK_PATH = "/telegram/webhook"


def webhook_path(settings: Settings) -> str:
    path = urlparse(settings.telegram_webhook_url).path if settings.telegram_webhook_url else ""
    return path or DEFAULT_WEBHOOK_PATH


def make_asgi(settings: Settings, application: Application) -> Starlette:
    """The web app: Telegram webhook (secret checked in constant time) and a health check."""

    async def telegram_webhook(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "")
        expected = str(settings.telegram_webhook_secret)
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            return PlainTextResponse("forbidden", status_code=403)
        try:
            payload = await request.json()
            update = Update.de_json(payload, application.bot)
        except Exception:  # noqa: BLE001 - any malformed body is the sender's problem
            return PlainTextResponse("bad request", status_code=400)
        await application.update_queue.put(update)
        return PlainTextResponse("ok")

    async def health(_: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(routes=[
        Route(webhook_path(settings), telegram_webhook, methods=["POST"]),
        Route("/healthz", health, methods=["GET"]),
    ])


async def serve_async(settings: Settings, stop: asyncio.Event | None = None) -> int:
    stop = stop or asyncio.Event()
    quiet_http_logs()
    store = await Store(settings.db_path).open()
    try:
        try:
            runtime = Runtime.create(settings.knowledge_dir, store)
        except KnowledgeError as exc:
            for problem in exc.problems:
                log.error("%s", problem)
            log.error("the knowledge base has %d problem(s); not starting", len(exc.problems))
            return 1
        webhook = bool(settings.telegram_webhook_url)
        if webhook and not settings.telegram_webhook_secret:
            log.error("TELEGRAM_WEBHOOK_SECRET must be set when TELEGRAM_WEBHOOK_URL is set")
            return 1
        application = build_application(settings, runtime, updater=not webhook)
        async with application:
            await application.start()
            await set_commands(application)
            if webhook:
                await application.bot.set_webhook(settings.telegram_webhook_url,
                                                  secret_token=str(settings.telegram_webhook_secret),
                                                  allowed_updates=Update.ALL_TYPES)
                await _run_uvicorn(make_asgi(settings, application), settings.port, stop)
            else:
                assert application.updater is not None
                await application.bot.delete_webhook()
                await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
                log.info("polling %s for updates", _safe_base(settings))
                await stop.wait()
                await application.updater.stop()
            await application.stop()
        return 0
    finally:
        await store.close()


async def _run_uvicorn(app: Starlette, port: int, stop: asyncio.Event) -> None:
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="0.0.0.0", port=port, log_level="warning",
                                           lifespan="off"))
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    await stop.wait()
    server.should_exit = True
    await task


def _safe_base(settings: Settings) -> str:
    parsed = urlparse(settings.telegram_api_base_url)
    return f"{parsed.scheme}://{parsed.netloc}"


def serve(settings: Settings) -> int:
    setup_logging(settings.log_level, [str(settings.telegram_token), str(settings.telegram_webhook_secret)])
    if not settings.telegram_token:
        log.error("TELEGRAM_BOT_TOKEN is not set (put it in the environment or in .env)")
        return 1

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        return await serve_async(settings, stop)

    return asyncio.run(main())
