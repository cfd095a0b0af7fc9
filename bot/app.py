"""Wiring for reminders and broadcasts: a Broadcaster with a sender and a pacer per configured channel."""
from __future__ import annotations

import contextlib
import fcntl
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Iterator

from telegram import Bot

from .services.outbox import Broadcaster
from .core.entities import KnowledgeBase
from .services.pacer import Pacer
from .services.staff import HandoffDesk
from .channels.telegram.sender import TelegramSender
from .channels.whatsapp.sender import WhatsAppSender, parse_templates
from .settings import Settings
from .channels.telegram.app import make_bot
from .channels.whatsapp.client import WhatsAppClient


def make_desk(settings: Settings, runtime: Any, telegram_bot: Bot, whatsapp_client: WhatsAppClient | None = None,
              ) -> HandoffDesk:
    """Hand-offs to district staff on Telegram; answers go back on the user's channel. Users are offered it now."""
    from .channels.telegram.staff import make_notifier

    senders: dict[str, Any] = {"telegram": TelegramSender(telegram_bot)}
    if whatsapp_client is not None:
        senders["whatsapp"] = WhatsAppSender(whatsapp_client, runtime.store, parse_templates(settings.whatsapp_templates))
    desk = HandoffDesk(runtime.store, lambda: runtime.engine, settings.admin_telegram_ids, make_notifier(telegram_bot),
                       senders)
    runtime.attach_desk(desk)
    return desk


def make_broadcaster(settings: Settings, store: Any, kb: Callable[[], KnowledgeBase], *, telegram_bot: Bot | None = None,
                     whatsapp_client: WhatsAppClient | None = None, window: float = 1.0) -> Broadcaster:
    senders: dict[str, Any] = {}
    pacers: dict[str, Pacer] = {}
    if telegram_bot is not None:
        senders["telegram"] = TelegramSender(telegram_bot)
        pacers["telegram"] = Pacer(settings.telegram_rate, window=window, per_chat=window)
    if whatsapp_client is not None:
        senders["whatsapp"] = WhatsAppSender(whatsapp_client, store, parse_templates(settings.whatsapp_templates))
        pacers["whatsapp"] = Pacer(settings.whatsapp_rate, window=window, per_chat=window)
    return Broadcaster(store, kb, senders, pacers, settings.reminder_settings())


@contextlib.asynccontextmanager
async def channel_clients(settings: Settings) -> AsyncIterator[tuple[Bot | None, WhatsAppClient | None]]:
    """Telegram bot and WhatsApp client for the channels that are configured (for the command line)."""
    bot = make_bot(settings) if settings.telegram_token else None
    client = (WhatsAppClient(settings.whatsapp_api_base_url, settings.whatsapp_phone_number_id,
                             str(settings.whatsapp_token)) if settings.whatsapp_configured else None)
    try:
        if bot is not None:
            await bot.initialize()
        yield bot, client
    finally:
        if bot is not None:
            await bot.shutdown()
        if client is not None:
            await client.aclose()


@contextlib.contextmanager
def sender_lock(db_path: str | Path) -> Iterator[bool]:
    """One process at a time sends reminders and broadcasts (and recovers interrupted sends).

    Yields False when another exportbot process (a running ``serve``) holds the lock.
    """
    path = Path(f"{db_path}.sending.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
