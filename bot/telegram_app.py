"""Composition root for Telegram: builds the Application from settings. Wiring only."""
from __future__ import annotations

from telegram.ext import Application, ApplicationBuilder

from .handlers import telegram as telegram_handlers
from .runtime import Runtime
from .settings import Settings


def build_application(settings: Settings, runtime: Runtime, updater: bool = True) -> Application:
    builder = (ApplicationBuilder()
               .token(settings.telegram_token)
               .base_url(settings.telegram_api_base_url)
               .base_file_url(settings.telegram_api_base_url.replace("/bot", "/file/bot"))
               .concurrent_updates(False))
    if not updater:
        builder = builder.updater(None)
    app = builder.build()
    app.bot_data["runtime"] = runtime
    app.bot_data["admin_ids"] = settings.admin_telegram_ids
    telegram_handlers.register(app)
    return app
