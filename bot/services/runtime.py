"""What every channel shares at run time: the live knowledge base and the store.

The knowledge base is swapped whole under a lock on reload; a broken edit
leaves the old one live and returns the problems for the admin to see.
"""
from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.answers import AnswerEngine
from ..core.dialogue import Dialogue
from ..core.entities import KnowledgeBase, KnowledgeError, Problem
from ..core.knowledge import load_knowledge
from .conversation import Conversation

if TYPE_CHECKING:
    from ..store import Store


log = logging.getLogger("exportbot.runtime")


def save_snapshot(knowledge_dir: Path, snapshot: Path) -> None:
    """Keep a copy of a knowledge base that loaded cleanly (swapped in whole, never half-written)."""
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".knowledge-", dir=snapshot.parent))
    try:
        for path in list(knowledge_dir.glob("*.yaml")) + list(knowledge_dir.glob("*.yml")):
            shutil.copy2(path, staging / path.name)
        load_knowledge(staging)              # the copy itself must be clean (a file may have changed meanwhile)
    except KnowledgeError:
        shutil.rmtree(staging, ignore_errors=True)
        return
    except BaseException:                    # e.g. the disk is full: leave no half-copied folder behind
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old = snapshot.with_name(snapshot.name + ".old")
    if snapshot.exists():
        shutil.rmtree(old, ignore_errors=True)
        snapshot.rename(old)
    staging.rename(snapshot)
    shutil.rmtree(old, ignore_errors=True)


def _try_snapshot(knowledge_dir: Path, snapshot: Path) -> None:
    try:
        save_snapshot(knowledge_dir, snapshot)
    except OSError as exc:       # e.g. a second process saving at the same moment: the bot runs on regardless
        log.warning("could not keep a copy of the knowledge base: %s", exc)


@dataclass
class Runtime:
    knowledge_dir: Path
    store: Store
    dialogue: Dialogue
    snapshot: Path | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @classmethod
    def create(cls, knowledge_dir: Path, store: Store, snapshot: Path | None = None) -> "Runtime":
        """Load the knowledge base; if it is broken, fall back to the last good copy (when there is one)."""
        try:
            kb = load_knowledge(knowledge_dir)
        except KnowledgeError as exc:
            if snapshot is None or not snapshot.is_dir():
                raise
            for problem in exc.problems:
                log.error("%s", problem)
            log.error("%d problem(s) in %s: serving the last good knowledge base from %s until they are fixed",
                      len(exc.problems), knowledge_dir, snapshot)
            kb = load_knowledge(snapshot)
        else:
            if snapshot is not None:
                _try_snapshot(knowledge_dir, snapshot)
        return cls(knowledge_dir, store, Dialogue(AnswerEngine(kb)), snapshot)

    @property
    def kb(self) -> KnowledgeBase:
        return self.dialogue.kb

    @property
    def engine(self) -> AnswerEngine:
        return self.dialogue.engine

    def conversation(self, channel: str) -> Conversation:
        return Conversation(self.dialogue, self.store, channel)

    async def reload(self) -> list[Problem]:
        """Re-read the knowledge base; on problems keep the old one and return them."""
        async with self._lock:
            try:
                kb = await asyncio.to_thread(load_knowledge, self.knowledge_dir)
            except KnowledgeError as exc:
                return exc.problems
            self.dialogue = Dialogue(AnswerEngine(kb))
            if self.snapshot is not None:
                await asyncio.to_thread(_try_snapshot, self.knowledge_dir, self.snapshot)
            return []
