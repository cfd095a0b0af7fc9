"""What every channel shares at run time: the live knowledge base and the store.

The knowledge base is swapped whole under a lock on reload; a broken edit
leaves the old one live and returns the problems for the admin to see.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .answers import AnswerEngine
from .conversation import Conversation
from .dialogue import Dialogue
from .knowledge import KnowledgeBase, KnowledgeError, Problem, load_knowledge


@dataclass
class Runtime:
    knowledge_dir: Path
    store: Any
    dialogue: Dialogue
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @classmethod
    def create(cls, knowledge_dir: Path, store: Any) -> "Runtime":
        kb = load_knowledge(knowledge_dir)
        return cls(knowledge_dir, store, Dialogue(AnswerEngine(kb)))

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
            return []
