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
from typing import Any, Protocol

from ..core.dialogue import Dialogue, Incoming, Logged, Reply, UserState
from ..core.texts import t

log = logging.getLogger("exportbot.conversation")


class StoreLike(Protocol):
    async def get_user(self, channel: str, chat_id: str): ...
    async def save_user(self, channel: str, chat_id: str, state: UserState, inbound: bool = True) -> None: ...
    async def log_question(self, channel: str, chat_id: str, q: Logged) -> int: ...
    async def record_feedback(self, channel: str, chat_id: str, entry_id: str, helpful: bool) -> bool: ...
    async def record_feedback_note(self, channel: str, chat_id: str, note: str) -> bool: ...
    async def follow_event(self, channel: str, chat_id: str, event_id: str) -> None: ...
    async def unfollow_all(self, channel: str, chat_id: str) -> None: ...


class Conversation:
    def __init__(self, dialogue: Dialogue, store: StoreLike, channel: str, desk: Any = None):
        self.dialogue = dialogue
        self.store = store
        self.channel = channel
        self.desk = desk              # a HandoffDesk when district staff can be reached, else None

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
        if turn.note is not None:
            await self.store.record_feedback_note(self.channel, chat_id, turn.note)
        replies = turn.replies
        lang = turn.state.lang or "en"
        if turn.handoff:
            if self.desk is not None:
                replies += await self.desk.open(self.channel, chat_id, turn.state)
            else:
                replies += (Reply(t("partial_ask", lang, office=self.dialogue.engine.district_office(
                    turn.state.district, lang))),)
        elif self.desk is not None and event.kind == "command" and event.text in ("menu", "help", "start"):
            waiting = await self.desk.waiting(self.channel, chat_id, lang)
            if waiting is not None:
                replies += (waiting,)
        logged = turn.logged
        log.info("update channel=%s user=%s kind=%s entry=%s score=%.2f outcome=%s took=%.1fms",
                 self.channel, anonymise(self.channel, chat_id), event.kind,
                 logged.entry_id if logged else "-", logged.score if logged else 0.0,
                 logged.outcome if logged else "-", 1000 * (time.perf_counter() - started))
        return replies


def anonymise(channel: str, chat_id: str) -> str:
    """A short stable pseudonym for logs, never the raw chat id or phone number."""
    import hashlib

    return hashlib.sha256(f"{channel}:{chat_id}".encode()).hexdigest()[:10]
