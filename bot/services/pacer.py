"""How fast broadcasts may go: at most N sends in any window overall, and one per chat per window."""
from __future__ import annotations

import asyncio
import time as _time
from typing import Awaitable, Callable


class Pacer:
    """At most ``limit`` sends in any ``window`` seconds overall, and one per ``per_chat`` seconds to a chat.

    A send is counted from when it is started until ``window`` after it *finished*: the platform
    received it somewhere in between, so however the network or the event loop delays a request,
    no window of the platform's arrivals can hold more than ``limit`` of them.
    """

    def __init__(self, limit: int, window: float = 1.0, per_chat: float = 1.0,
                 clock: Callable[[], float] = _time.monotonic,
                 sleep: Callable[[float], Awaitable[object]] = asyncio.sleep):
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit, self.window, self.per_chat = limit, window, per_chat
        self.clock, self.sleep = clock, sleep
        self._slots: list[list[float]] = []          # [time] cells: start time, then finish time
        self._last_to: dict[str, list[float]] = {}
        self._hold_until = 0.0
        self._lock = asyncio.Lock()

    def hold(self, seconds: float) -> None:
        """The platform said 'retry after N seconds': nobody sends until then."""
        self._hold_until = max(self._hold_until, self.clock() + seconds)

    async def wait(self, chat: str) -> list[float]:
        """Wait for a free slot; returns the slot, to pass to :meth:`done` when the send has finished."""
        async with self._lock:
            while True:
                now = self.clock()
                # A slot is [time, finished]: in flight it always counts; finished, for `window` afterwards.
                self._slots = [s for s in self._slots if not s[1] or now - s[0] < self.window]
                delay = self._hold_until - now
                if len(self._slots) >= self.limit:
                    finished = [s[0] for s in self._slots if s[1]]
                    # all in flight: wait a little for one to finish
                    delay = max(delay, min(finished) + self.window - now if finished else 0.002)
                last = self._last_to.get(chat)
                if last is not None and (not last[1] or now - last[0] < self.per_chat):
                    delay = max(delay, last[0] + self.per_chat - now if last[1] else 0.002)
                if delay <= 0:
                    slot = [now, 0.0]
                    self._slots.append(slot)
                    self._last_to[chat] = slot
                    if len(self._last_to) > 50_000:
                        self._last_to = {c: s for c, s in self._last_to.items()
                                         if not s[1] or now - s[0] < self.per_chat}
                    return slot
                await self.sleep(delay + 0.0005)

    def done(self, slot: list[float]) -> None:
        slot[0], slot[1] = self.clock(), 1.0
