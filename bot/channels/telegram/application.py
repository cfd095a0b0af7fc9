"""Builds Telegram's Application (and a plain Bot for the command line) from settings. Wiring only."""
from __future__ import annotations

import socket

from telegram import Bot
from telegram.ext import Application, ApplicationBuilder, ContextTypes
from telegram.request import HTTPXRequest

from ...services.runtime import Runtime
from ...settings import Settings
from . import handlers as telegram_handlers
from .context import BotData


# Send small requests at once: without TCP_NODELAY, Nagle's algorithm and delayed ACKs cost ~40 ms a request.
NO_DELAY = ((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),)


def make_bot(settings: Settings) -> Bot:
    """A plain Bot (for the command line's broadcasts) with the same base URL and socket options."""
    return Bot(str(settings.telegram_token), base_url=settings.telegram_api_base_url,
               request=HTTPXRequest(connection_pool_size=8, socket_options=NO_DELAY))


def build_application(settings: Settings, runtime: Runtime, updater: bool = True) -> Application:
    """The Application with its handlers registered; the composition root (bot/app.py) adds the broadcaster."""
    builder = (ApplicationBuilder()
               .context_types(ContextTypes(bot_data=BotData))
               .token(settings.telegram_token)
               .base_url(settings.telegram_api_base_url)
               .base_file_url(settings.telegram_api_base_url.replace("/bot", "/file/bot"))
               .concurrent_updates(False)
               .socket_options(NO_DELAY)
               .get_updates_socket_options(NO_DELAY))
    if not updater:
        builder = builder.updater(None)
    app = builder.build()
    app.bot_data.runtime = runtime
    app.bot_data.admin_ids = settings.admin_telegram_ids
    telegram_handlers.register(app)
    return app
