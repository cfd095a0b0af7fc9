"""The handlers' typed context: what they share, as attributes instead of string keys into bot_data."""
from __future__ import annotations

from telegram.ext import CallbackContext, ExtBot

from ...services.outbox import Broadcaster
from ...services.runtime import Runtime
from ...services.staff import HandoffDesk
from ...services.watcher import KnowledgeWatcher


class BotData:
    """Set once by the composition root (bot/app.py) before the first update is handled."""

    runtime: Runtime
    admin_ids: frozenset[int]
    broadcaster: Broadcaster | None         # None: reminders and broadcasts do not run in this process
    watcher: KnowledgeWatcher | None        # live edits (serve only): /reload asks it to look now
    desk: HandoffDesk | None                # hand-offs to district staff (when staff are configured)

    def __init__(self) -> None:
        self.admin_ids = frozenset()
        self.broadcaster = None
        self.watcher = None
        self.desk = None


Context = CallbackContext[ExtBot[None], dict, dict, BotData]
