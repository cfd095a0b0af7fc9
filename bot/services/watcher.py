"""Live edits: notice a change under the knowledge directory and put it live, or say why not.

A polling watcher (no extra dependency, works on every file system and in
containers): every couple of seconds it hashes the knowledge files. A new
fingerprint that has stayed the same for one more look (an editor may save in
steps) is reloaded through :meth:`Runtime.reload`; a change that fails
validation never goes live, and its problems are reported once, through the
``report`` callback (the log, and the staff on Telegram when it runs).
``request()`` forces a reload now (``/reload``, ``exportbot kb reload``).
"""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable, Sequence

from ..core.entities import Problem
from .runtime import Runtime, fingerprint

log = logging.getLogger("exportbot.watcher")
MAX_PROBLEMS_SHOWN = 30

Report = Callable[[str], Awaitable[None]]


def reload_text(problems: Sequence[Problem], counts: dict[str, int] | None, why: str) -> str:
    """The message to staff after a reload: what went live, or every file:line problem and what stays live."""
    if not problems:
        summary = ", ".join(f"{n} {k}" for k, n in sorted((counts or {}).items()))
        return f"Knowledge base reloaded ({why}): {summary}"
    shown = [str(p) for p in problems[:MAX_PROBLEMS_SHOWN]]
    more = len(problems) - len(shown)
    tail = [f"... and {more} more"] if more > 0 else []
    return "\n".join([f"Reload refused ({why}): {len(problems)} problem(s). The previous knowledge base stays live.",
                      *shown, *tail])


class KnowledgeWatcher:
    def __init__(self, runtime: Runtime, report: Report | None = None, interval: float = 2.0):
        self.runtime = runtime
        self.report = report
        self.interval = interval
        self._forced = asyncio.Event()
        self._pending = ""                  # a new fingerprint seen once, waiting to be seen again

    def request(self) -> None:
        """Reload at the next moment (safe to call from a signal handler)."""
        self._forced.set()

    async def check_once(self) -> list[Problem] | None:
        """One look: reload when the files changed and settled; None when nothing was done."""
        seen = await asyncio.to_thread(fingerprint, self.runtime.knowledge_dir)
        if not self.runtime.changed(seen):
            self._pending = ""
            return None
        if seen != self._pending:
            self._pending = seen            # look once more before loading a file that may be half saved
            return None
        self._pending = ""
        return await self.reload("files changed")

    async def reload(self, why: str) -> list[Problem]:
        problems = await self.runtime.reload()
        text = reload_text(problems, self.runtime.kb.counts() if not problems else None, why)
        if problems:
            for problem in problems:
                log.error("%s", problem)
            log.error("knowledge edit refused (%s): %d problem(s); the previous knowledge base stays live",
                      why, len(problems))
        else:
            log.info("knowledge base reloaded (%s)", why)
        if self.report is not None:
            try:
                await self.report(text)
            except Exception:  # noqa: BLE001 - telling staff must never stop the watcher
                log.exception("could not report the reload")
        return problems

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                if self._forced.is_set():
                    self._forced.clear()
                    await self.reload("reload requested")
                else:
                    await self.check_once()
            except Exception:  # noqa: BLE001 - the watcher must outlive one bad look
                log.exception("knowledge watcher failed; looking again in %.0fs", self.interval)
            waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._forced.wait())]
            try:
                await asyncio.wait(waits, timeout=self.interval, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waits:
                    w.cancel()
