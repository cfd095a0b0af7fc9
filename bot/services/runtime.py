"""What every channel shares at run time: the live knowledge base and the store.

The knowledge base is swapped whole under a lock on reload; a broken edit
leaves the old one live and returns the problems for the admin to see.
"""
from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

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


def fingerprint(knowledge_dir: Path) -> str:
    """A hash of every knowledge file's name and content: it changes when, and only when, a file does."""
    digest = hashlib.sha256()
    for path in sorted(list(knowledge_dir.glob("*.yaml")) + list(knowledge_dir.glob("*.yml"))):
        try:
            content = path.read_bytes()
        except OSError:                      # removed between the listing and the read: the next look sees it
            continue
        digest.update(path.name.encode() + b"\0" + content + b"\0")
    return digest.hexdigest()


@dataclass
class KnowledgeStatus:
    """What is live, and whether the files on disk differ from it (for `kb status`, admins and the log)."""

    loaded_at: float = 0.0
    live: str = ""                           # fingerprint of the files that are live
    checked_at: float = 0.0
    problems: tuple[Problem, ...] = ()       # of the files on disk, when they could not go live
    from_snapshot: bool = False              # started on the last good copy because the files were broken

    def to_json(self) -> dict[str, Any]:
        return {"loaded_at": self.loaded_at, "live": self.live, "checked_at": self.checked_at,
                "problems": [str(p) for p in self.problems], "from_snapshot": self.from_snapshot,
                "pid": os.getpid()}


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
    status_file: Path | None = None          # where `exportbot kb status` reads what a running serve has live
    status: KnowledgeStatus = field(default_factory=KnowledgeStatus)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)
    _failed: str = field(default="", repr=False)     # fingerprint of files already refused (told once)
    desk: Any = field(default=None, repr=False)      # HandoffDesk, when district staff can be reached

    @classmethod
    def create(cls, knowledge_dir: Path, store: Store, snapshot: Path | None = None,
               status_file: Path | None = None) -> "Runtime":
        """Load the knowledge base; if it is broken, fall back to the last good copy (when there is one).

        Starting on the last good copy is loud: every problem is logged, and ``status.from_snapshot``
        tells the caller to warn the admins; the watcher puts the fixed files live as soon as they check.
        """
        now = time.time()
        seen = fingerprint(knowledge_dir)
        try:
            kb = load_knowledge(knowledge_dir)
        except KnowledgeError as exc:
            if snapshot is None or not snapshot.is_dir():
                raise
            for problem in exc.problems:
                log.error("%s", problem)
            log.error("STARTED ON THE LAST GOOD COPY: %d problem(s) in %s; serving the last good knowledge base "
                      "from %s (the latest edits are NOT live) until the files are fixed", len(exc.problems),
                      knowledge_dir, snapshot)
            kb = load_knowledge(snapshot)
            status = KnowledgeStatus(now, "", now, tuple(exc.problems), from_snapshot=True)
        else:
            if snapshot is not None:
                _try_snapshot(knowledge_dir, snapshot)
            status = KnowledgeStatus(now, seen, now)
        runtime = cls(knowledge_dir, store, Dialogue(AnswerEngine(kb)), snapshot, status_file, status)
        runtime._failed = seen if status.problems else ""     # told at start-up; the watcher waits for an edit
        runtime.write_status()
        return runtime

    @property
    def kb(self) -> KnowledgeBase:
        return self.dialogue.kb

    @property
    def engine(self) -> AnswerEngine:
        return self.dialogue.engine

    def conversation(self, channel: str) -> Conversation:
        return Conversation(self.dialogue, self.store, channel, self.desk)

    def attach_desk(self, desk: Any) -> None:
        """Hand-offs to the district office are possible: users are offered them from now on."""
        self.desk = desk
        self.dialogue.offer_handoff = True

    async def reload(self) -> list[Problem]:
        """Re-read the knowledge base; on problems keep the old one and return them.

        The new knowledge base (index included) is built off the event loop and then swapped in with one
        assignment: a question is answered wholly by the old one or wholly by the new one.
        """
        async with self._lock:
            seen = await asyncio.to_thread(fingerprint, self.knowledge_dir)
            try:
                dialogue = await asyncio.to_thread(_build, self.knowledge_dir, self.desk is not None)
            except KnowledgeError as exc:
                self.status = KnowledgeStatus(self.status.loaded_at, self.status.live, time.time(),
                                              tuple(exc.problems), self.status.from_snapshot)
                self._failed = seen
                await asyncio.to_thread(self.write_status)
                return exc.problems
            self.dialogue = dialogue
            settle_heap()
            self.status = KnowledgeStatus(time.time(), seen, time.time())
            self._failed = ""
            if self.snapshot is not None:
                await asyncio.to_thread(_try_snapshot, self.knowledge_dir, self.snapshot)
            await asyncio.to_thread(self.write_status)
            return []

    def changed(self, seen: str) -> bool:
        """Whether files with this fingerprint are neither live nor already refused."""
        return seen not in (self.status.live, self._failed)

    def write_status(self) -> None:
        if self.status_file is None:
            return
        try:
            self.status_file.parent.mkdir(parents=True, exist_ok=True)
            staging = self.status_file.with_name(self.status_file.name + ".tmp")
            staging.write_text(json.dumps(self.status.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")
            staging.replace(self.status_file)
        except OSError as exc:
            log.warning("could not write %s: %s", self.status_file, exc)


def settle_heap() -> None:
    """Keep what is loaded now (the knowledge base, its index, the libraries) out of the garbage collector's
    full passes: they stay alive anyway, and walking them at every full pass cost the bot ~0.05 ms per update.
    Called once started and after each reload (which first lets go of the old knowledge base: one full pass)."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _build(knowledge_dir: Path, offer_handoff: bool = False) -> Dialogue:
    return Dialogue(AnswerEngine(load_knowledge(knowledge_dir)), offer_handoff=offer_handoff)
