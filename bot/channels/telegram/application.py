"""Builds Telegram's Application (and a plain Bot for the command line) from settings. Wiring only."""
from __future__ import annotations

from telegram import Bot
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from ...services.runtime import Runtime
from ...settings import Settings
from . import handlers as telegram_handlers
from .context import BotData
from .transport import make_request


def make_bot(settings: Settings) -> Bot:
    """A plain Bot (for the command line's broadcasts) with the same base URL and networking."""
    return Bot(str(settings.telegram_token), base_url=settings.telegram_api_base_url,
               request=make_request(settings.telegram_http_client))


def build_application(settings: Settings, runtime: Runtime, updater: bool = True) -> Application:
    """The Application with its handlers registered; the composition root (bot/app.py) adds the broadcaster."""
    builder = (ApplicationBuilder()
               .context_types(ContextTypes(bot_data=BotData))
               .token(settings.telegram_token)
               .base_url(settings.telegram_api_base_url)
               .base_file_url(settings.telegram_api_base_url.replace("/bot", "/file/bot"))
               .concurrent_updates(False)
               .request(make_request(settings.telegram_http_client))
               .get_updates_request(make_request(settings.telegram_http_client)))
    if not updater:
        builder = builder.updater(None)
    app = builder.build()
    app.bot_data.runtime = runtime
    app.bot_data.admin_ids = settings.admin_telegram_ids
    telegram_handlers.register(app)
    return app
