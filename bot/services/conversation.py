"""One turn of the conversation for any channel: load the user, run the dialogue, save.

Channels (Telegram, WhatsApp, the terminal) turn their updates into an
:class:`~bot.core.dialogue.Incoming`, call :meth:`Conversation.handle`, and render
the replies. The store is passed in (anything with the methods of
:class:`bot.store.Store`), so this module holds no SQL.
"""
from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Protocol

from ..core.dialogue import Dialogue, Incoming, Logged, Reply, UserState

log = logging.getLogger("exportbot.conversation")


class StoreLike(Protocol):
    async def get_user(self, channel: str, chat_id: str): ...
    async def save_user(self, channel: str, chat_id: str, state: UserState, inbound: bool = True) -> None: ...
    async def log_question(self, channel: str, chat_id: str, q: Logged) -> int: ...
    async def record_feedback(self, channel: str, chat_id: str, entry_id: str, helpful: bool) -> bool: ...
    async def follow_event(self, channel: str, chat_id: str, event_id: str) -> None: ...
    async def unfollow_all(self, channel: str, chat_id: str) -> None: ...


class Conversation:
    def __init__(self, dialogue: Dialogue, store: StoreLike, channel: str):
        self.dialogue = dialogue
        self.store = store
        self.channel = channel

    async def state_of(self, chat_id: str) -> UserState:
        record = await self.store.get_user(self.channel, chat_id)
        return record.state if record else UserState()

    async def handle(self, chat_id: str, event: Incoming, lang_hint: str | None = None) -> tuple[Reply, ...]:
        started = time.perf_counter()
        record = await self.store.get_user(self.channel, chat_id)
        state = record.state if record else UserState()
        if record is None and event.kind in ("text", "button") and lang_hint in ("en", "hi"):
            state = replace(state, lang=lang_hint)
        turn = self.dialogue.handle(state, event)
        await self.store.save_user(self.channel, chat_id, turn.state)
        if turn.logged is not None:
            await self.store.log_question(self.channel, chat_id, turn.logged)
        if turn.feedback is not None:
            await self.store.record_feedback(self.channel, chat_id, *turn.feedback)
        if turn.follow is not None:
            await self.store.follow_event(self.channel, chat_id, turn.follow)
        if turn.stop:
            await self.store.unfollow_all(self.channel, chat_id)
        logged = turn.logged
        log.info("update channel=%s user=%s kind=%s entry=%s score=%.2f outcome=%s took=%.1fms",
                 self.channel, anonymise(self.channel, chat_id), event.kind,
                 logged.entry_id if logged else "-", logged.score if logged else 0.0,
                 logged.outcome if logged else "-", 1000 * (time.perf_counter() - started))
        return turn.replies


def anonymise(channel: str, chat_id: str) -> str:
    """A short stable pseudonym for logs, never the raw chat id or phone number."""
    import hashlib

    return hashlib.sha256(f"{channel}:{chat_id}".encode()).hexdigest()[:10]
