"""Shared fixtures: the bundled knowledge base, loaded once per test session and shared by every test that can."""
from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import pytest

from bot.core.answers import AnswerEngine
from bot.core.dialogue import Dialogue
from bot.core.entities import KnowledgeBase
from bot.core.knowledge import load_knowledge
from bot.logs import ScrubPersonalData, quiet_http_logs

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


PERSONAL_IN_TESTS = re.compile(r"\b(Ram|Zorawarsentinel|quokkasentinel)\b|91987650\d{4}|919812345678|HS code for saddlery")


@pytest.fixture(scope="session", autouse=True)
def whole_run_logs_hold_nothing_personal():
    """Every log line of the whole test run, as `exportbot serve` would print it, holds no name, phone number or
    message text of the test users."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setLevel(logging.INFO)
    handler.addFilter(ScrubPersonalData())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(min(level or logging.WARNING, logging.INFO))
    quiet_http_logs()
    yield
    root.removeHandler(handler)
    root.setLevel(level)
    found = sorted({m.group(0) for m in PERSONAL_IN_TESTS.finditer(out.getvalue())})
    assert not found, f"the test run's log output holds personal data: {found}"
