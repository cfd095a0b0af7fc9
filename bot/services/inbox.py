"""One inbox for every channel: store first, answer from the store, retry what failed, never stall.

A channel stores each incoming update (a Telegram update, a WhatsApp message)
before the platform is told it arrived, and hands this worker a ``handle``
function. The worker answers pending rows oldest first:

* ``handle`` returns the row's final state (``done``, ``bad``, ``failed``);
* it raises :class:`Retry` when a reply could not be sent (5xx, timeout): the
  row is tried again with back-off, and only the replies not yet sent go out;
* any other error is logged once (without the user's words) and the row is
  skipped, so one bad update never holds up the others;
* a database error (disk full, locked) leaves the row pending, the user gets one
  apology, and the worker backs off instead of spinning;
* a user sending far more than a person types is throttled (one polite line),
  so other users' answers are not held up behind the flood.

Replies are stored with the row (:func:`replies_to_json`) and a count of the
messages already sent, so a restart after ``kill -9`` repeats at most the one
message that was in flight.
"""
from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections import defaultdict, deque
from typing import Any, Awaitable, Callable

from ..core.dialogue import Button, Reply
from ..store import DATABASE_ERRORS

log = logging.getLogger("exportbot.inbox")

MAX_ATTEMPTS = 10                 # 1 + 2 + 4 + ... + 60 s: about seven minutes of a failing platform
BACKOFF_FIRST, BACKOFF_MAX = 1.0, 60.0
DB_BACKOFF_MAX = 30.0
FLOOD_LIMIT, FLOOD_WINDOW = 20, 10.0   # more than 20 messages in 10 s from one chat is not a person typing
PRUNE_EVERY = 3600.0


class Retry(Exception):
    """A reply could not be sent now; try the row again later (``after`` seconds, or back-off)."""

    def __init__(self, reason: str, after: float | None = None):
        super().__init__(reason)
        self.reason, self.after = reason, after


def replies_to_json(chat_id: str, replies: tuple[Reply, ...]) -> str:
    """The replies worked out for one update, with the chat they go to (attachments base64)."""
    return json.dumps({"chat_id": chat_id, "replies": [
        {"text": r.text, "buttons": [[[b.label, b.data] for b in row] for row in r.buttons],
         "attachment": [r.attachment[0], base64.b64encode(r.attachment[1]).decode()] if r.attachment else None}
        for r in replies]}, ensure_ascii=False)


def replies_from_json(text: str) -> tuple[str, tuple[Reply, ...]]:
    data = json.loads(text)
    replies = tuple(Reply(r["text"], tuple(tuple(Button(label, d) for label, d in row) for row in r["buttons"]),
                          (r["attachment"][0], base64.b64decode(r["attachment"][1])) if r["attachment"] else None)
                    for r in data["replies"])
    return str(data["chat_id"]), replies


class Throttle:
    """Per chat: how many messages arrived in the last ``window`` seconds (by the time they were received)."""

    def __init__(self, limit: int = FLOOD_LIMIT, window: float = FLOOD_WINDOW):
        self.limit, self.window = limit, window
        self._seen: dict[str, deque[float]] = defaultdict(deque)
        self._warned: dict[str, float] = {}

    def check(self, chat_id: str, at: float) -> str:
        """'ok' to answer; 'warn' for the first message over the limit (say so once); 'drop' for the rest."""
        seen = self._seen[chat_id]
        while seen and seen[0] <= at - self.window:
            seen.popleft()
        seen.append(at)
        if len(seen) <= self.limit:
            return "ok"
        if at - self._warned.get(chat_id, -1e18) >= self.window:
            self._warned[chat_id] = at
            return "warn"
        return "drop"

    def forget_idle(self, now: float) -> None:
        for chat_id in [c for c, seen in self._seen.items() if not seen or seen[-1] <= now - self.window]:
            del self._seen[chat_id]
            self._warned.pop(chat_id, None)


class InboxWorker:
    """Answers one channel's inbox until stopped. ``handle(row)`` -> final state, or raises :class:`Retry`."""

    def __init__(self, store: Any, channel: str, handle: Callable[[Any], Awaitable[str]], *,
                 apologise: Callable[[Any], Awaitable[None]] | None = None,
                 slow_down: Callable[[Any], Awaitable[None]] | None = None,
                 throttle: Throttle | None = None, batch: int = 100, max_attempts: int = MAX_ATTEMPTS,
                 db_backoff: tuple[float, float] = (1.0, DB_BACKOFF_MAX)):
        self.store, self.channel, self.handle = store, channel, handle
        self.apologise, self.slow_down = apologise, slow_down
        self.throttle = throttle or Throttle()
        self.batch, self.max_attempts, self.db_backoff = batch, max_attempts, db_backoff
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._apologised: set[str] = set()      # rows whose user was told of a database failure (in memory: it
        self._db_failures = 0                   # is the database that fails)
        self._last_prune = 0.0
        self._waiting: list[Any] = []
        self._paused_until = 0.0                # the platform failed a send: the whole channel waits, in order
        self._retries = True                    # rows may wait for a retry (only this worker schedules them)

    def wake(self) -> None:
        self._wake.set()

    async def run_once(self) -> int:
        """Answer every row that is due now; return how many were finished.

        A send the platform failed ends the run: the platform is having trouble, so the channel pauses (see
        :meth:`run`) instead of trying every waiting row against it."""
        done = 0
        # A store shared by several workers hands out a few rows at a time, so that none hoards the backlog.
        batch = min(self.batch, self.store.claim_batch or self.batch)
        async with self._lock:
            while rows := await self.store.inbox_due(self.channel, limit=batch):
                for row in rows:
                    finished = await self._one(row)
                    if finished < 0:
                        return done
                    done += finished
                if len(rows) < batch:
                    break
        return done

    async def _one(self, row: Any) -> int:
        fresh = row.attempts == 0 and row.replies is None
        if fresh and row.chat_id:
            verdict = self.throttle.check(row.chat_id, row.received_at)
            if verdict != "ok":
                if verdict == "warn" and self.slow_down is not None:
                    try:
                        await self.slow_down(row)
                    except Exception as exc:  # noqa: BLE001 - a notice that cannot go is not worth more
                        log.info("%s: flood notice not sent (%s)", self.channel, type(exc).__name__)
                await self.store.inbox_done(self.channel, row.message_id, "throttled")
                return 1
        try:
            state = await self.handle(row)
        except Retry as exc:
            if row.attempts + 1 >= self.max_attempts:
                log.error("%s update %s: giving up after %d attempts (%s)", self.channel, _short(row.message_id),
                          row.attempts + 1, exc.reason)
                await self.store.inbox_done(self.channel, row.message_id, "failed", exc.reason)
                return 1
            delay = exc.after if exc.after is not None else min(BACKOFF_FIRST * 2 ** row.attempts, BACKOFF_MAX)
            log.warning("%s: a reply could not be sent (%s); the channel waits %.0fs and tries again",
                        self.channel, exc.reason, delay)
            await self.store.inbox_retry(self.channel, row.message_id, delay, exc.reason)
            self._retries = True
            self._paused_until = time.monotonic() + delay
            return -1
        except DATABASE_ERRORS:
            raise
        except Exception as exc:  # noqa: BLE001 - one update that breaks a handler must not stop the others
            log.error("%s update %s could not be handled (%s); skipped", self.channel, _short(row.message_id),
                      type(exc).__name__, exc_info=exc)
            state = "failed"
        await self.store.inbox_done(self.channel, row.message_id, state)
        self._apologised.discard(row.message_id)
        return 1

    async def _on_db_error(self, exc: Exception) -> float:
        """Tell the users waiting (once each) and return how long to back off."""
        self._db_failures += 1
        first, most = self.db_backoff
        delay = min(first * 2.0 ** (self._db_failures - 1), most)
        log.error("%s inbox: database error (%s); trying again in %.1fs", self.channel, exc, delay)
        if self.apologise is not None:
            for row in self._waiting:
                if row.message_id in self._apologised:
                    continue
                self._apologised.add(row.message_id)
                try:
                    await self.apologise(row)
                except Exception as exc2:  # noqa: BLE001 - the apology is best effort
                    log.info("%s: apology not sent (%s)", self.channel, type(exc2).__name__)
        return delay

    async def run(self, stop: asyncio.Event) -> None:
        """The worker: answer the inbox whenever something arrives or a retry falls due, until stopped."""
        self._wake.set()                       # first, what was stored before a restart
        while not stop.is_set():
            timeout: float | None = None
            pause = self._paused_until - time.monotonic()
            if pause > 0:
                await _wait_any(asyncio.Event(), stop, pause)
                continue
            try:
                await self._maybe_prune()
                await self.run_once()
                self._db_failures = 0
                nxt = await self.store.inbox_next_due(self.channel) if self._retries else None
                self._retries = nxt is not None
                if nxt is not None:
                    timeout = max(0.05, nxt - self.store.clock())
                if self.store.poll_seconds is not None:     # other processes share this inbox: look again soon
                    timeout = min(timeout or self.store.poll_seconds, self.store.poll_seconds)
            except DATABASE_ERRORS as exc:
                await self.store.rollback()
                try:
                    self._waiting = await self.store.inbox_due(self.channel, limit=self.batch)
                except DATABASE_ERRORS:
                    self._waiting = []
                # Back off for the whole delay (new arrivals do not cut it short): no spinning on a full disk.
                await _wait_any(asyncio.Event(), stop, await self._on_db_error(exc))
                continue
            except Exception:  # noqa: BLE001 - the worker must outlive a bad moment
                log.exception("%s inbox run failed; trying again shortly", self.channel)
                timeout = 1.0
            await _wait_any(self._wake, stop, timeout)
            self._wake.clear()

    async def _maybe_prune(self) -> None:
        now = time.monotonic()
        if now - self._last_prune < PRUNE_EVERY:
            return
        self._last_prune = now
        removed = await self.store.prune()
        self.throttle.forget_idle(self.store.clock())
        await self.store.checkpoint()
        if removed:
            log.info("%s inbox: forgot %d handled update(s) older than a week", self.channel, removed)


async def _wait_any(wake: asyncio.Event, stop: asyncio.Event, timeout: float | None) -> None:
    if wake.is_set() or stop.is_set():
        return
    waiters = {asyncio.create_task(wake.wait()), asyncio.create_task(stop.wait())}
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()


def _short(message_id: str) -> str:
    return message_id[-12:]
