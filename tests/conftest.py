"""Shared fixtures: the bundled knowledge base, loaded once per test session and shared by every test that can."""
from __future__ import annotations

import io
import logging
import os
import re
from pathlib import Path

import pytest

from bot.core.answers import AnswerEngine
from bot.core.dialogue import Dialogue
from bot.core.entities import KnowledgeBase
from bot.core.knowledge import load_knowledge
from bot.logs import ScrubPersonalData, quiet_http_logs
from bot.settings import Settings

from . import pgserver

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
STORE_KINDS = ("sqlite", "postgresql")
_SERVER = pytest.StashKey["pgserver.ThrowawayPostgres | None"]()


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


# ---------------------------------------------------------------- PostgreSQL (tests/pgserver.py)

def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "both_stores: the test runs on SQLite and again on PostgreSQL")
    if hasattr(config, "workerinput"):         # an xdist worker: the controller started the server
        return
    config.stash[_SERVER] = pgserver.start_for_the_run()
    if os.environ.get("EXPORTBOT_REQUIRE_POSTGRES") == "1" and pgserver.skip_reason() is not None:
        raise pytest.UsageError(f"EXPORTBOT_REQUIRE_POSTGRES=1 but {pgserver.skip_reason()}")


def pytest_unconfigure(config: pytest.Config) -> None:
    server = config.stash.get(_SERVER, None)
    if server is not None:
        server.stop()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config):
    """After the short summary: whether the PostgreSQL tests ran."""
    yield
    if hasattr(config, "workerinput"):
        return
    reason = pgserver.skip_reason()
    if reason is not None:
        terminalreporter.write_line(f"PostgreSQL tests SKIPPED: {reason}", yellow=True, bold=True)
    elif config.stash.get(_SERVER, None) is not None:
        terminalreporter.write_line("PostgreSQL tests ran on a throwaway server (started in "
                                    f"{os.environ.get('EXPORTBOT_TEST_POSTGRES_STARTUP', '?')} s)")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked both_stores and using ``store_kind`` run once per store."""
    if "store_kind" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_stores"):
        metafunc.parametrize("store_kind", STORE_KINDS)


@pytest.fixture
def store_kind() -> str:
    """The store a test's bot runs on: SQLite, unless the test is marked both_stores (then each in turn)."""
    return "sqlite"


def on_store(settings: Settings, kind: str) -> Settings:
    """The settings with their database on that kind of store: SQLite at ``settings.db_path``, or a PostgreSQL
    schema of the run's server named after that path (the same database every time, for restarts)."""
    if kind == "sqlite":
        return settings
    return settings.with_database(pgserver.database_url(str(settings.db_path)))
