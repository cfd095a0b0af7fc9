"""Where one update's time goes in the real bot: webhook receipt, matcher, reply, the store, logging, the rest.

    .venv/bin/python bench/update_breakdown.py [--updates 600] [--postgresql] [--profile FILE] [--json]

In one process, the way ``exportbot serve`` wires it (build_channels, TelegramInbox, the Store on a fresh
SQLite file, logging set up as serve does it, to a file): ``--updates`` questions of tests/data/*.yaml, each
from a seeded user of its own, are stored through ``TelegramInbox.receive`` (what the webhook does once
Starlette has read the body), then the inbox worker answers them all, one after the other. The Bot API double
(bench/botapi_double.py) runs in a process of its own, so its work is not counted as the bot's. Each step is
timed by wrapping it (a few microseconds a call):

* receive: ``TelegramInbox.receive`` per update (check, JSON, the inbox row and its commit);
* matcher and answer: ``AnswerEngine.ask_all`` (parse, rank, decide, compose);
* reply: python-telegram-bot's ``send_message``, request out and response parsed (the round trip to the
  double included);
* SQLite: time spent waiting on aiosqlite's thread, the trips there, and the statements and commits SQLite ran
  (from its trace callback); with ``--postgresql`` the PgStore on a throwaway server (bench/throughput_bench.py's)
  instead: time spent waiting on the server, the round trips (each query asyncpg sends: a statement, BEGIN,
  COMMIT, the pool's reset of a connection given back), the commits, and the server's own CPU;
* logging: ``Logger.handle`` (filters, formatting, the write);
* the rest: ``Update.de_json``, python-telegram-bot's dispatch, the dialogue around the answer engine, the
  inbox worker.

Figures are per update (wall milliseconds while the worker runs alone: no webhook arrives meanwhile).
"""
from __future__ import annotations

import argparse
import asyncio
import functools
import json
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiosqlite  # noqa: E402
from telegram.ext import ExtBot  # noqa: E402

from bench.botapi_double import LeanBotAPI  # noqa: E402
from bench.throughput_bench import BenchPostgres, cpu_of_tree, questions  # noqa: E402
from tests import pgserver  # noqa: E402
from bot.app import build_channels  # noqa: E402
from bot.channels.telegram.inbox import TelegramInbox  # noqa: E402
from bot.core.answers import AnswerEngine  # noqa: E402
from bot.core.dialogue import UserState  # noqa: E402
from bot.core.normalise import has_devanagari  # noqa: E402
from bot.logs import setup_logging  # noqa: E402
from bot.services.runtime import Runtime  # noqa: E402
from bot.settings import Secret, Settings  # noqa: E402
from bot.store import Store  # noqa: E402

TOKEN = "4242:BREAKDOWN"


class Timer:
    """Wall time, CPU time (the whole process: both threads) and calls of wrapped functions, by label."""

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()
        self.cpu: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self._undo: list[tuple[Any, str, Any]] = []

    def wrap(self, owner: Any, name: str, label: str) -> None:
        real = getattr(owner, name)
        if asyncio.iscoroutinefunction(real):
            @functools.wraps(real)
            async def timed(*args: Any, **kw: Any) -> Any:
                started, cpu = time.perf_counter(), time.process_time()
                try:
                    return await real(*args, **kw)
                finally:
                    self.seconds[label] += time.perf_counter() - started
                    self.cpu[label] += time.process_time() - cpu
                    self.calls[label] += 1
        else:
            @functools.wraps(real)
            def timed(*args: Any, **kw: Any) -> Any:
                started, cpu = time.perf_counter(), time.process_time()
                try:
                    return real(*args, **kw)
                finally:
                    self.seconds[label] += time.perf_counter() - started
                    self.cpu[label] += time.process_time() - cpu
                    self.calls[label] += 1
        self._undo.append((owner, name, real))
        setattr(owner, name, timed)

    def wrap_simple_queries(self, owner: Any, label: str) -> None:
        """asyncpg's ``Connection.execute`` without arguments (a simple query: BEGIN, COMMIT, the pool's reset);
        with arguments it goes through ``_execute``, wrapped on its own."""
        real = owner.execute

        @functools.wraps(real)
        async def timed(con: Any, query: str, *args: Any, **kw: Any) -> Any:
            if args:
                return await real(con, query, *args, **kw)
            started, cpu = time.perf_counter(), time.process_time()
            try:
                return await real(con, query, *args, **kw)
            finally:
                self.seconds[label] += time.perf_counter() - started
                self.cpu[label] += time.process_time() - cpu
                self.calls[label] += 1
                self.calls[f"{label}:{query.split(None, 1)[0].upper().rstrip(';')}"] += 1
        self._undo.append((owner, "execute", real))
        owner.execute = timed

    def reset(self) -> None:
        self.seconds.clear()
        self.cpu.clear()
        self.calls.clear()


async def start_double() -> tuple[asyncio.subprocess.Process, str]:
    """The Bot API double in a process of its own; (process, base URL). It stops when its stdin closes."""
    process = await asyncio.create_subprocess_exec(sys.executable, str(ROOT / "bench/botapi_double.py"), TOKEN,
                                                   stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    assert process.stdout is not None
    base_url = (await asyncio.wait_for(process.stdout.readline(), 30)).decode().strip()
    return process, base_url


async def run(updates: int, profile: str = "", postgresql: bool = False) -> dict[str, Any]:
    server = None
    if postgresql:
        binaries = pgserver.find_binaries()
        if binaries is None:
            raise SystemExit("PostgreSQL is not installed (`make postgres`)")
        server = BenchPostgres(binaries)
        server.start()
    try:
        return await _run(updates, profile, server)
    finally:
        if server is not None:
            server.stop()


async def _run(updates: int, profile: str, server: BenchPostgres | None) -> dict[str, Any]:
    double, base_url = await start_double()
    api = LeanBotAPI(TOKEN)                       # here only to write the updates
    tmp = Path(tempfile.mkdtemp(prefix="breakdown-"))
    settings = Settings(knowledge_dir=ROOT / "knowledge", db_path=tmp / "bot.sqlite3", telegram_token=Secret(TOKEN),
                        telegram_api_base_url=base_url)
    setup_logging("INFO", [TOKEN])
    log_file = open(tmp / "bot.log", "w", encoding="utf-8")
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(log_file)
    texts = questions()[:updates]
    if server is not None:
        import asyncpg

        from bot.store_pg import PgStore
        store: Any = await PgStore(f"{server.url}?search_path=breakdown").open()
    else:
        store = await Store(settings.db_path).open()
    runtime = Runtime.create(settings.knowledge_dir, store)
    districts = sorted(runtime.kb.districts)
    chats = list(range(20_000_000, 20_000_000 + len(texts)))
    for i, (chat, text) in enumerate(zip(chats, texts)):
        await store.save_user("telegram", str(chat), UserState(lang="hi" if has_devanagari(text) else "en",
                                                               district=districts[i % len(districts)],
                                                               subscription="none"))
    channels = build_channels(settings, runtime, telegram_updater=False)
    application = channels.telegram
    assert application is not None
    inbox = TelegramInbox(application, store)
    await application.initialize()
    statements: Counter[str] = Counter()

    def trace(sql: str) -> None:
        statements["statements"] += 1
        word = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
        if word in ("COMMIT", "BEGIN"):
            statements[word.lower()] += 1

    timer = Timer()
    if server is not None:
        timer.wrap(asyncpg.connection.Connection, "_execute", "sqlite")
        timer.wrap_simple_queries(asyncpg.connection.Connection, "sqlite")
    else:
        await store.db.set_trace_callback(trace)
        timer.wrap(aiosqlite.core.Connection, "_execute", "sqlite")
    database_pid = server.postmaster_pid() if server is not None else None
    try:
        # Warm-up (caches, connections), not counted.
        warm = 30
        for chat, text in zip(chats[:warm], texts[:warm]):
            await inbox.receive(api.make_update(chat, text))
        await inbox.worker.run_once()
        timer.wrap(TelegramInbox, "receive", "receive")
        timer.wrap(AnswerEngine, "ask_all", "matcher")
        timer.wrap(ExtBot, "send_message", "reply")
        timer.wrap(logging.Logger, "handle", "logging")
        timer.reset()
        statements.clear()
        measured = list(zip(chats[warm:], texts[warm:]))
        started, cpu = time.perf_counter(), time.process_time()
        for chat, text in measured:
            await inbox.receive(api.make_update(chat, text, "hi" if has_devanagari(text) else "en"))
        received, received_cpu = time.perf_counter() - started, time.process_time() - cpu
        if server is not None:
            statements.update(commit=timer.calls["sqlite:COMMIT"])
        receipt = {"sqlite": timer.seconds["sqlite"], "trips": timer.calls["sqlite"], **statements}
        timer.reset()
        statements.clear()
        profiler = None
        if profile:
            import cProfile
            profiler = cProfile.Profile()
            profiler.enable()
        started, cpu, server_cpu = time.perf_counter(), time.process_time(), cpu_of_tree(database_pid)
        await inbox.worker.run_once()
        answered, answered_cpu = time.perf_counter() - started, time.process_time() - cpu
        server_cpu = cpu_of_tree(database_pid) - server_cpu
        if server is not None:
            statements.update(statements=timer.calls["sqlite"], commit=timer.calls["sqlite:COMMIT"])
        counts = await store.inbox_counts("telegram")
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile)
    finally:
        for owner, name, real in reversed(timer._undo):
            setattr(owner, name, real)
        await application.shutdown()
        await store.close()
        assert double.stdin is not None
        double.stdin.close()
        await double.wait()
        log_file.close()
    n = len(measured)
    unanswered = len(chats) - counts.get("done", 0)
    per = {k: 1000 * v / n for k, v in timer.seconds.items()}
    per_cpu = {k: 1000 * v / n for k, v in timer.cpu.items()}
    parts = ("matcher", "reply", "sqlite", "logging")
    rest = 1000 * answered / n - sum(per.get(k, 0.0) for k in parts)
    rest_cpu = 1000 * answered_cpu / n - sum(per_cpu.get(k, 0.0) for k in parts)
    return {
        "updates": n, "unanswered": unanswered, "store": "PostgreSQL" if server is not None else "SQLite",
        "server_cpu_ms": 1000 * server_cpu / n,
        "receive_ms": 1000 * received / n, "receive_sqlite_ms": 1000 * receipt["sqlite"] / n,
        "receive_trips": receipt["trips"] / n, "receive_commits": receipt.get("commit", 0) / n,
        "answer_ms": 1000 * answered / n, "matcher_ms": per.get("matcher", 0.0), "reply_ms": per.get("reply", 0.0),
        "messages": timer.calls["reply"] / n, "sqlite_ms": per.get("sqlite", 0.0),
        "trips": timer.calls["sqlite"] / n, "statements": statements["statements"] / n,
        "commits": statements["commit"] / n, "logging_ms": per.get("logging", 0.0),
        "log_lines": timer.calls["logging"] / n, "rest_ms": rest,
        "queries": {k.split(":", 1)[1]: v / n for k, v in timer.calls.items() if k.startswith("sqlite:")},
        "cpu": {"receive": 1000 * received_cpu / n, "answer": 1000 * answered_cpu / n,
                **{k: per_cpu.get(k, 0.0) for k in parts}, "rest": rest_cpu},
    }


def report(r: dict[str, Any]) -> str:
    c = r["cpu"]
    if r["store"] == "PostgreSQL":
        return "\n".join([
            f"{r['updates']} updates, {r['unanswered']} unanswered; per update, the worker alone "
            "(wall ms, then CPU ms of the process):",
            f"  receive (webhook body -> inbox row)      {r['receive_ms']:6.2f} {c['receive']:6.2f}   PostgreSQL "
            f"{r['receive_sqlite_ms']:.2f} ms wall, {r['receive_trips']:.1f} round trips, "
            f"{r['receive_commits']:.1f} COMMITs",
            f"  answer (inbox row -> reply sent)         {r['answer_ms']:6.2f} {c['answer']:6.2f}",
            f"    matcher and answer (ask_all)           {r['matcher_ms']:6.2f} {c['matcher']:6.2f}",
            f"    reply (send_message, {r['messages']:.2f} per update) {r['reply_ms']:6.2f} {c['reply']:6.2f}",
            f"    PostgreSQL (asyncpg)                   {r['sqlite_ms']:6.2f} {c['sqlite']:6.2f}   {r['trips']:.1f} "
            f"round trips ({r['commits']:.1f} of them COMMIT); the server's CPU {r['server_cpu_ms']:.2f} ms",
            f"    logging ({r['log_lines']:.1f} lines)                   {r['logging_ms']:6.2f} {c['logging']:6.2f}",
            f"    the rest (de_json, dispatch, dialogue) {r['rest_ms']:6.2f} {c['rest']:6.2f}",
        ])
    return "\n".join([
        f"{r['updates']} updates, {r['unanswered']} unanswered; per update, the worker alone "
        "(wall ms, then CPU ms of the process: both threads):",
        f"  receive (webhook body -> inbox row)      {r['receive_ms']:6.2f} {c['receive']:6.2f}   SQLite "
        f"{r['receive_sqlite_ms']:.2f} ms wall, {r['receive_trips']:.1f} trips, {r['receive_commits']:.1f} commits",
        f"  answer (inbox row -> reply sent)         {r['answer_ms']:6.2f} {c['answer']:6.2f}",
        f"    matcher and answer (ask_all)           {r['matcher_ms']:6.2f} {c['matcher']:6.2f}",
        f"    reply (send_message, {r['messages']:.2f} per update) {r['reply_ms']:6.2f} {c['reply']:6.2f}",
        f"    SQLite                                 {r['sqlite_ms']:6.2f} {c['sqlite']:6.2f}   {r['trips']:.1f} trips "
        f"to its thread, {r['statements']:.1f} statements, {r['commits']:.1f} commits",
        f"    logging ({r['log_lines']:.1f} lines)                   {r['logging_ms']:6.2f} {c['logging']:6.2f}",
        f"    the rest (de_json, dispatch, dialogue) {r['rest_ms']:6.2f} {c['rest']:6.2f}",
    ])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=600)
    parser.add_argument("--profile", metavar="FILE", help="also write a cProfile of the answering to FILE "
                        "(the timings are then inflated by the profiler)")
    parser.add_argument("--postgresql", action="store_true", help="the PostgreSQL store on a throwaway server "
                        "instead of SQLite")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args.updates, args.profile, args.postgresql))
    print(json.dumps(result, indent=1) if args.json else report(result))
    return 0 if result["unanswered"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
