"""Shared fixtures: the bundled knowledge base, loaded once per test session and shared by every test that can."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.answers import AnswerEngine
from bot.core.dialogue import Dialogue
from bot.core.entities import KnowledgeBase
from bot.core.knowledge import load_knowledge

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge(KNOWLEDGE)


@pytest.fixture(scope="session")
def engine(kb: KnowledgeBase) -> AnswerEngine:
    return AnswerEngine(kb)


@pytest.fixture(scope="session")
def dialogue(engine: AnswerEngine) -> Dialogue:
    return Dialogue(engine)
