"""The composition root: builds what a process runs on from settings. Wiring only, no logic.

Used by ``serve``, the command line (reminders, broadcasts), the terminal chat
and the tests, so each of them runs the same objects wired the same way.
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable

from .core.entities import KnowledgeBase
from .services.outbox import Broadcaster, Sender
from .services.pacer import Pacer
from .services.runtime import Runtime
from .services.staff import HandoffDesk
from .settings import Settings

if TYPE_CHECKING:
    from telegram import Bot
    from telegram.ext import Application

    from .channels.whatsapp.client import WhatsAppClient
    from .store import Store

# The transports are imported where they are wired, so that `exportbot ask` and `chat` never load them.


def make_store(settings: Settings, clock: Callable[[], float] = time.time) -> Store:
    """The store DATABASE_URL names (not yet opened): PostgreSQL for postgresql://…, else the SQLite file."""
    if settings.database_url:
        from .store_pg import PgStore

        return PgStore(str(settings.database_url), clock=clock)  # type: ignore[return-value]  # same contract
    from .store import Store

    return Store(settings.db_path, clock=clock)


def open_runtime(settings: Settings, store: Store, *, keep_last_good: bool = False,
                 status_file: Path | None = None) -> Runtime:
    """The live knowledge base (optionally falling back to the last good copy beside the database) and the store;
    ``status_file`` records what is live for `exportbot kb status`."""
    snapshot = settings.db_path.parent / "knowledge.last-good" if keep_last_good else None
    return Runtime.create(settings.knowledge_dir, store, snapshot=snapshot, status_file=status_file)


def channel_senders(settings: Settings, store: Store, telegram_bot: Bot | None,
                    whatsapp_client: WhatsAppClient | None) -> dict[str, Sender]:
    """A sender per configured channel: staff answers to hand-offs, and the broadcaster's deliveries."""
    senders: dict[str, Sender] = {}
    if telegram_bot is not None:
        from .channels.telegram.sender import TelegramSender

        senders["telegram"] = TelegramSender(telegram_bot)
    if whatsapp_client is not None:
        from .channels.whatsapp.sender import WhatsAppSender, parse_templates

        senders["whatsapp"] = WhatsAppSender(whatsapp_client, store, parse_templates(settings.whatsapp_templates))
    return senders


def make_desk(settings: Settings, runtime: Any, telegram_bot: Bot, whatsapp_client: WhatsAppClient | None = None,
              ) -> HandoffDesk:
    """Hand-offs to district staff on Telegram; answers go back on the user's channel. Users are offered it now."""
    from .channels.telegram.staff import make_notifier

    desk = HandoffDesk(runtime.store, lambda: runtime.engine, settings.admin_telegram_ids, make_notifier(telegram_bot),
                       channel_senders(settings, runtime.store, telegram_bot, whatsapp_client))
    runtime.attach_desk(desk)
    return desk


async def _nobody(staff_id: int, reply: Any) -> None:
    """No Telegram here to tell staff with: the console shows the hand-off instead."""
    return None


def make_console(settings: Settings, runtime: Any, *, desk: HandoffDesk | None = None,
                 broadcaster: Broadcaster | None = None, may_send: bool = False,
                 senders: dict[str, Any] | None = None) -> Any:
    """The staff console of this process: `serve`'s desk and broadcaster, or (``exportbot console``) a desk that
    answers through ``senders`` and a broadcaster that only queues (a running serve sends)."""
    from .channels.console.sessions import Sessions
    from .channels.console.web import Console

    if desk is None:
        desk = HandoffDesk(runtime.store, lambda: runtime.engine, settings.admin_telegram_ids, _nobody, senders or {})
    if broadcaster is None:
        broadcaster = make_broadcaster(settings, runtime.store, lambda: runtime.kb, may_send=False)
    sessions = Sessions(str(settings.console_secret), settings.console_session_minutes * 60.0)
    return Console(runtime, desk, broadcaster, settings.admin_telegram_ids, sessions, may_send=may_send)


def make_broadcaster(settings: Settings, store: Store, kb: Callable[[], KnowledgeBase], *,
                     telegram_bot: Bot | None = None, whatsapp_client: WhatsAppClient | None = None, may_send: bool = True,
                     window: float = 1.0) -> Broadcaster:
    """A sender and a pacer per configured channel; with ``may_send`` False (another process sends) it only queues."""
    senders = channel_senders(settings, store, telegram_bot, whatsapp_client) if may_send else {}
    rates = {"telegram": settings.telegram_rate, "whatsapp": settings.whatsapp_rate}
    pacers = {name: Pacer(rates[name], window=window, per_chat=window) for name in senders}
    return Broadcaster(store, kb, senders, pacers, settings.reminder_settings())


@dataclass(frozen=True)
class Channels:
    """The Telegram application (when configured) and the broadcaster sending through every channel."""

    telegram: Application | None
    broadcaster: Broadcaster


def build_channels(settings: Settings, runtime: Runtime, *, telegram_updater: bool = True,
                   whatsapp_client: WhatsAppClient | None = None, may_send: bool = True,
                   window: float = 1.0) -> Channels:
    """Telegram's Application (if a token is set) and one broadcaster for Telegram and WhatsApp."""
    from .channels.telegram.application import build_application

    application = (build_application(settings, runtime, updater=telegram_updater)
                   if settings.telegram_token else None)
    broadcaster = make_broadcaster(settings, runtime.store, lambda: runtime.kb,
                                   telegram_bot=application.bot if application is not None else None,
                                   whatsapp_client=whatsapp_client, may_send=may_send, window=window)
    if application is not None:
        application.bot_data.broadcaster = broadcaster
    return Channels(application, broadcaster)


@contextlib.asynccontextmanager
async def channel_clients(settings: Settings) -> AsyncIterator[tuple[Bot | None, WhatsAppClient | None]]:
    """Telegram bot and WhatsApp client for the channels that are configured (for the command line)."""
    from .channels.telegram.application import make_bot
    from .channels.whatsapp.client import WhatsAppClient

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


@contextlib.asynccontextmanager
async def sender_lock(store: Store) -> AsyncIterator[bool]:
    """One process at a time sends reminders and broadcasts (and recovers interrupted sends): a lock file beside
    the SQLite database, or an advisory lock on PostgreSQL.

    Yields False when another exportbot process (a running ``serve``) holds it.
    """
    held = await store.try_sender_lock()
    try:
        yield held
    finally:
        if held:
            await store.release_sender_lock()
