"""One turn of the conversation for any channel: load the user, run the dialogue, save.

Channels (Telegram, WhatsApp, the terminal) turn their updates into an
:class:`~bot.core.dialogue.Incoming`, call :meth:`Conversation.handle`, and render
the replies. The store is passed in (anything with the methods of
:class:`bot.store.Store`), so this module holds no SQL.
"""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import replace
from functools import lru_cache
from typing import Any, Callable, Protocol

from ..core.dialogue import Dialogue, Incoming, Logged, Reply, Turn, UserState
from ..core.texts import t

log = logging.getLogger("exportbot.conversation")


class StoreLike(Protocol):
    async def get_user(self, channel: str, chat_id: str): ...
    async def save_turn(self, channel: str, chat_id: str, state: UserState, *, logged: Logged | None = None,
                        feedback: tuple[str, bool] | None = None, follow: str | None = None, stop: bool = False,
                        note: str | None = None, replies: tuple[str, str] | None = None) -> None: ...
    async def inbox_set_replies(self, channel: str, message_id: str, replies: str) -> None: ...


class Conversation:
    def __init__(self, dialogue: Dialogue, store: StoreLike, channel: str, desk: Any = None):
        self.dialogue = dialogue
        self.store = store
        self.channel = channel
        self.desk = desk              # a HandoffDesk when district staff can be reached, else None

    async def state_of(self, chat_id: str) -> UserState:
        record = await self.store.get_user(self.channel, chat_id)
        return record.state if record else UserState()

    async def handle(self, chat_id: str, event: Incoming, lang_hint: str | None = None,
                     keep: Callable[[tuple[Reply, ...]], tuple[str, str]] | None = None) -> tuple[Reply, ...]:
        """One turn: the user's state, the dialogue, everything the turn changes saved in one transaction.

        ``keep`` is given for a stored update (the inbox): it turns the replies into (message id, record), and
        the record is saved with the turn, in the same transaction, before anything is sent. (When the question
        goes to the district office the turn is saved first, then the desk writes and tells staff, then the
        replies are recorded.)
        """
        started = time.perf_counter()
        record = await self.store.get_user(self.channel, chat_id)
        state = record.state if record else UserState()
        if record is None and event.kind in ("text", "button") and lang_hint in ("en", "hi"):
            state = replace(state, lang=lang_hint)
        turn = self.dialogue.handle(state, event)
        replies = turn.replies
        lang = turn.state.lang or "en"
        if turn.handoff and self.desk is not None:
            await self._save(chat_id, turn, None)
            replies += await self.desk.open(self.channel, chat_id, turn.state)
            if keep is not None:
                await self.store.inbox_set_replies(self.channel, *keep(replies))
        else:
            if turn.handoff:
                replies += (Reply(t("partial_ask", lang, office=self.dialogue.engine.district_office(
                    turn.state.district, lang))),)
            elif self.desk is not None and event.kind == "command" and event.text in ("menu", "help", "start"):
                waiting = await self.desk.waiting(self.channel, chat_id, lang)
                if waiting is not None:
                    replies += (waiting,)
            await self._save(chat_id, turn, keep(replies) if keep is not None else None)
        logged = turn.logged
        if log.isEnabledFor(logging.INFO):
            log.info("update channel=%s user=%s kind=%s entry=%s score=%.2f outcome=%s took=%.1fms",
                     self.channel, anonymise(self.channel, chat_id), event.kind,
                     logged.entry_id if logged else "-", logged.score if logged else 0.0,
                     logged.outcome if logged else "-", 1000 * (time.perf_counter() - started))
        return replies

    async def _save(self, chat_id: str, turn: Turn, replies: tuple[str, str] | None) -> None:
        await self.store.save_turn(self.channel, chat_id, turn.state, logged=turn.logged, feedback=turn.feedback,
                                   follow=turn.follow, stop=turn.stop, note=turn.note, replies=replies)


@lru_cache(maxsize=4096)
def anonymise(channel: str, chat_id: str) -> str:
    """A short stable pseudonym for logs, never the raw chat id or phone number."""
    return hashlib.sha256(f"{channel}:{chat_id}".encode()).hexdigest()[:10]
