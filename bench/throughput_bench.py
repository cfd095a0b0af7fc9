"""Throughput and latency of `exportbot serve` against a bare python-telegram-bot echo bot, in one run.

    .venv/bin/python bench/throughput_bench.py [--seconds 10] [--rate 20] [--in-flight 16] [--rounds 2]
        [--bot sqlite] [--bot 2@postgresql://...] [--py-spy FILE] [--json]

Both bots run as their own processes, the way they run in production: ``python -m bot serve`` (the real bot:
python-telegram-bot's Application, the inbox, the dialogue and the answer engine over knowledge/, the store)
and bench/echo_bot.py (python-telegram-bot replying with the same text, no database). Both get their updates
by **webhook** — the way ``serve`` runs behind a load balancer with several workers (with TELEGRAM_WEBHOOK_URL
set; without it ``serve`` polls, one process only) — from the lean Bot API double in bench/botapi_double.py,
which also takes their sendMessage calls. The double and this driver share one process of their own.

Each update is a real question (every ``q`` of tests/data/*.yaml, shuffled with a fixed seed) from a chat of
its own, so the first message sent to that chat is its reply; the real bot's chats are users who finished
onboarding (English or Hindi by the question's script, a district), seeded through the store beforehand.
For each bot, after a warm-up:

* **at 20 msg/s**: updates posted at a steady ``--rate`` for ``--seconds``; latency = from the start of the
  webhook POST to the first sendMessage for that chat, p50 / p99;
* **at saturation**: ``--in-flight`` chats each sending their next question as soon as the previous one is
  answered, for ``--seconds`` (the first second left out): the rate is answers per second, and the latency
  is mostly the wait behind the others in flight (about in-flight / rate);
* **CPU per update**: CPU seconds (user + system, all the bot's processes, from /proc) during the saturation
  phase divided by the answers in it: the work each update costs, steadier than the rates on a shared machine.

The bots are measured in turn, ``--rounds`` times (echo, bot, echo, bot, ...), and each row is the round with
the highest saturated rate: on a machine shared with other work, the round least disturbed (every round's rate
and CPU are printed under the table). "Ratio to echo" divides the saturated rates; the work ratio in brackets
divides the echo bot's CPU per update by the bot's.

``--bot`` chooses the real bot's store and workers: ``sqlite`` (default: a fresh SQLite file), or
``N@DATABASE_URL`` for N ``serve`` processes sharing that database (the double then spreads the webhook posts
over them round robin, as a load balancer would). Give it more than once for more rows.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.botapi_double import LeanBotAPI  # noqa: E402
from bot.core.dialogue import UserState  # noqa: E402
from bot.core.knowledge import load_knowledge  # noqa: E402
from bot.core.normalise import has_devanagari  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.store import Store  # noqa: E402

TOKEN, SECRET = "4242:BENCH", "bench-secret"
TICKS = os.sysconf("SC_CLK_TCK")
WARM_UP = 2.0             # seconds of saturation before anything is measured
SETTLE = 1.0              # the first second of the saturation phase is left out of its figures


def questions() -> list[str]:
    """Every question of tests/data/*.yaml (each turn of a conversation too), shuffled the same way every run."""
    out: list[str] = []
    for path in sorted((ROOT / "tests/data").glob("*.yaml")):
        for item in yaml.safe_load(path.read_text("utf-8")) or []:
            turns = item.get("turns", [item]) if isinstance(item, dict) else []
            out += [str(turn["q"]) for turn in turns if isinstance(turn, dict) and turn.get("q")]
    out = [q for q in out if not q.startswith("/")]
    random.Random(13).shuffle(out)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS       # utime, stime


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


@dataclass
class Row:
    name: str
    rate: float = 0.0                 # answers per second at saturation
    cpu_ms: float = 0.0               # CPU milliseconds per update at saturation
    p50_steady: float = 0.0           # ms at --rate
    p99_steady: float = 0.0
    p50_sat: float = 0.0              # ms at saturation
    p99_sat: float = 0.0
    answered: int = 0                 # updates answered (all phases)
    unanswered: int = 0               # updates with no reply at the end (should be 0)
    messages_per_update: float = 0.0
    repeated: int = 0                 # messages that repeated one already sent to the chat (answered twice)
    webhook_errors: int = 0
    extra: dict = field(default_factory=dict)


class Driver:
    """Sends questions through the double to whatever bot listens, and measures."""

    def __init__(self, api: LeanBotAPI, texts: list[str], first_chat: int):
        self.api = api
        self.texts = texts
        self.next_chat = first_chat
        self.turn = 0
        self.asked: list[int] = []

    def _update(self) -> dict:
        text = self.texts[self.turn % len(self.texts)]
        self.turn += 1
        chat = self.next_chat
        self.next_chat += 1
        self.asked.append(chat)
        return self.api.make_update(chat, text, "hi" if has_devanagari(text) else "en")

    async def steady(self, rate: float, seconds: float) -> list[float]:
        """Updates at a steady rate; latencies (s) of their first replies."""
        started = time.perf_counter()
        tasks = []
        for i in range(int(rate * seconds)):
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.api.deliver(self._update())))
        pendings = await asyncio.gather(*tasks)
        return await _latencies(pendings, timeout=30)

    async def saturate(self, in_flight: int, seconds: float, pids: list[int] | None = None,
                       settle: float = SETTLE) -> tuple[float, list[float], float]:
        """``in_flight`` chats asking back to back; (answers/s, latencies, CPU s per answer) after ``settle``."""
        started = time.perf_counter()
        window_start, end = started + settle, started + seconds
        done: list[tuple[float, float]] = []
        cpu: list[float] = []

        async def user() -> None:
            while time.perf_counter() < end:
                pending = await self.api.deliver(self._update())
                try:
                    answered = await asyncio.wait_for(asyncio.shield(pending.answered), 30)
                except asyncio.TimeoutError:
                    return
                done.append((pending.posted, answered))

        async def cpu_marks() -> None:
            if pids:
                await asyncio.sleep(max(0.0, window_start - time.perf_counter()))
                cpu.append(sum(cpu_seconds(p) for p in pids))
                await asyncio.sleep(max(0.0, end - time.perf_counter()))
                cpu.append(sum(cpu_seconds(p) for p in pids))

        await asyncio.gather(cpu_marks(), *(user() for _ in range(in_flight)))
        counted = [(p, a) for p, a in done if window_start <= a <= end]
        rate = len(counted) / (end - window_start)
        per_answer = (cpu[1] - cpu[0]) / len(counted) if len(cpu) == 2 and counted else float("nan")
        return rate, [a - p for p, a in counted], per_answer


async def _latencies(pendings, timeout: float) -> list[float]:
    deadline = time.perf_counter() + timeout
    out = []
    for pending in pendings:
        with contextlib.suppress(asyncio.TimeoutError):
            answered = await asyncio.wait_for(asyncio.shield(pending.answered), max(0.01, deadline - time.perf_counter()))
            out.append(answered - pending.posted)
    return out


# ---------------------------------------------------------------- the bots


async def start_processes(commands: list[tuple[list[str], dict[str, str]]], ports: list[int], log: Path,
                          ) -> list[asyncio.subprocess.Process]:
    processes = []
    for (argv, env), port in zip(commands, ports):
        with open(log, "ab") as handle:
            processes.append(await asyncio.create_subprocess_exec(*argv, cwd=ROOT, env=env, stdout=handle,
                                                                  stderr=handle))
    for process, port in zip(processes, ports):
        deadline = time.monotonic() + 60
        while not await _healthy(port):
            if process.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{' '.join(commands[0][0])} did not start; see {log}")
            await asyncio.sleep(0.1)
    return processes


async def _healthy(port: int) -> bool:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    try:
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return (await reader.read(64)).startswith(b"HTTP/1.1 200")
    except OSError:
        return False
    finally:
        writer.close()


async def stop_processes(processes: list[asyncio.subprocess.Process]) -> None:
    for process in processes:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            await asyncio.wait_for(process.wait(), 30)
        except asyncio.TimeoutError:
            process.kill()
            await process.wait()


async def seed_users(env: dict[str, str], chats: range, texts: list[str]) -> None:
    """Users who finished onboarding, one per chat the bench will use (English or Hindi by the question), in the
    store the bot will open with this environment."""
    settings = Settings.from_env(env, dotenv=None)
    try:
        from bot.app import make_store         # type: ignore[attr-defined]  # DATABASE_URL: PostgreSQL or SQLite
        store = make_store(settings)
    except ImportError:
        store = Store(settings.db_path)
    districts = sorted(load_knowledge(ROOT / "knowledge").districts)
    async with store:
        for i, chat in enumerate(chats):
            text = texts[i % len(texts)]
            state = UserState(lang="hi" if has_devanagari(text) else "en", district=districts[i % len(districts)],
                              subscription="none")
            await store.save_user("telegram", str(chat), state)


def parse_bot(spec: str) -> tuple[int, str]:
    """'sqlite' | 'N@DATABASE_URL' -> (workers, database url or '' for a fresh SQLite file)."""
    head, sep, rest = spec.partition("@")
    workers, url = (int(head), rest) if sep and head.isdigit() else (1, spec)
    return workers, "" if url == "sqlite" else url


async def measure(name: str, api: LeanBotAPI, driver: Driver, processes: list[asyncio.subprocess.Process],
                  args: argparse.Namespace) -> Row:
    first_chat = driver.next_chat
    api.webhook_errors = 0
    pids = [p.pid for p in processes]
    await driver.saturate(args.in_flight, WARM_UP, settle=0)
    steady = await driver.steady(args.rate, args.seconds)
    spy = None
    if args.py_spy and not name.startswith("echo"):     # where the real bot's time goes at saturation
        spy = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).parent / "py-spy"), "record", "--nonblocking", "--gil", "--format", "raw", "-r", "250",
            "-o", args.py_spy, "-d", str(int(args.seconds)), "-p", str(pids[0]),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    rate, saturated, cpu = await driver.saturate(args.in_flight, args.seconds + SETTLE, pids)
    if spy is not None:
        await spy.wait()
    await asyncio.sleep(0.5)
    chats = range(first_chat, driver.next_chat)
    answered = sum(1 for c in chats if api.messages.get(c))
    return Row(name, rate=rate, cpu_ms=1000 * cpu,
               p50_steady=1000 * pct(steady, 50), p99_steady=1000 * pct(steady, 99),
               p50_sat=1000 * pct(saturated, 50), p99_sat=1000 * pct(saturated, 99),
               answered=answered, unanswered=len(chats) - answered,
               messages_per_update=sum(api.messages.get(c, 0) for c in chats) / max(1, answered),
               repeated=sum(api.repeated.get(c, 0) for c in chats),
               webhook_errors=api.webhook_errors)


async def run(args: argparse.Namespace) -> list[Row]:
    """Each round measures the echo bot, then each ``--bot``; a bot's row is its best round (see ``best``)."""
    texts = questions()
    tmp = Path(tempfile.mkdtemp(prefix="throughput-"))
    log = tmp / "bots.log"
    measured: dict[str, list[Row]] = {}
    api = await LeanBotAPI(TOKEN).start()
    driver = Driver(api, texts, first_chat=10_000_000)
    base_env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": api.base_url,
                "TELEGRAM_WEBHOOK_SECRET": SECRET, "KNOWLEDGE_DIR": str(ROOT / "knowledge"),
                "LOG_LEVEL": args.log_level, "PYTHONUNBUFFERED": "1"}
    # Seeded users for every update of a run up to 400 answers a second (beyond that, new users write).
    per_bot = int((WARM_UP + 2 * args.seconds + SETTLE) * 400)
    own_cpu = time.process_time()
    try:
        for round_ in range(args.rounds):
            port = free_port()
            env = {**base_env, "PORT": str(port), "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook"}
            processes = await start_processes([([sys.executable, str(ROOT / "bench/echo_bot.py")], env)], [port], log)
            api.targets = []
            name = "echo bot (python-telegram-bot, no database)"
            try:
                measured.setdefault(name, []).append(await measure(name, api, driver, processes, args))
            finally:
                await stop_processes(processes)
            for number, spec in enumerate(args.bot):
                workers, url = parse_bot(spec)
                bot_env = {**base_env, "EXPORTBOT_DB": str(tmp / f"bench-{round_}-{number}.sqlite3")}
                if url:
                    bot_env["DATABASE_URL"] = url
                chats = range(driver.next_chat, driver.next_chat + per_bot)
                await seed_users(bot_env, chats, texts[driver.turn % len(texts):] + texts[:driver.turn % len(texts)])
                ports = [free_port() for _ in range(workers)]
                commands = []
                for p in ports:
                    env = {**bot_env, "PORT": str(p), "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{p}/telegram/webhook"}
                    commands.append(([sys.executable, "-m", "bot", "serve"], env))
                processes = await start_processes(commands, ports, log)
                api.targets = [f"http://127.0.0.1:{p}/telegram/webhook" for p in ports] if workers > 1 else []
                store = "SQLite" if not url else url.split("://")[0]
                name = f"exportbot serve ({store}, {workers} worker{'s' if workers > 1 else ''})"
                try:
                    measured.setdefault(name, []).append(await measure(name, api, driver, processes, args))
                finally:
                    await stop_processes(processes)
    finally:
        await api.stop()
    own_cpu = time.process_time() - own_cpu
    tracebacks = log.read_text(errors="replace").count("Traceback") if log.exists() else 0
    rows = [best(runs) for runs in measured.values()]
    for row in rows:
        row.extra.update(tracebacks_in_log=tracebacks, log=str(log),
                         driver_cpu_ms=1000 * own_cpu / max(1, driver.next_chat - 10_000_000))
    return rows


def best(runs: list[Row]) -> Row:
    """The round with the highest saturated rate (on a shared machine, the one least disturbed by other work),
    with every round's rate and CPU kept beside it."""
    row = max(runs, key=lambda r: r.rate)
    row.extra["rounds"] = [(round(r.rate), round(r.cpu_ms, 2)) for r in runs]
    return row


def table(rows: list[Row], args: argparse.Namespace) -> str:
    echo = rows[0]
    lines = [f"Throughput and latency, Telegram webhook, {args.seconds:g} s per phase, best of {args.rounds} "
             f"round(s) (load average before: {args.load_before})",
             "",
             f"| bot | saturated rate | ratio to echo | CPU per update (work ratio) | p50 / p99 at {args.rate:g} msg/s "
             f"| p50 / p99 at saturation ({args.in_flight} in flight) |",
             "|---|---|---|---|---|---|"]
    for row in rows:
        ratio = row.rate / echo.rate if echo.rate else float("nan")
        work = echo.cpu_ms / row.cpu_ms if row.cpu_ms else float("nan")
        lines.append(f"| {row.name} | {row.rate:,.0f} msg/s | **{ratio:.2f}** | {row.cpu_ms:.2f} ms ({work:.2f}) "
                     f"| {row.p50_steady:.1f} / {row.p99_steady:.1f} ms | {row.p50_sat:.1f} / {row.p99_sat:.1f} ms |")
    lines.append("")
    for row in rows:
        rounds = ", ".join(f"{r} msg/s {c} ms" for r, c in row.extra["rounds"])
        lines.append(f"{row.name}: {row.answered:,} updates answered, {row.unanswered} unanswered, "
                     f"{row.messages_per_update:.2f} messages each, {row.repeated} sent twice, {row.webhook_errors} "
                     f"webhook errors; rounds: {rounds}")
    lines.append(f"the double and this driver: {rows[0].extra['driver_cpu_ms']:.2f} ms CPU per update; load average "
                 f"after: {args.load_after}; tracebacks in the bots' log: {rows[0].extra['tracebacks_in_log']}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each measured phase")
    parser.add_argument("--rate", type=float, default=20.0, help="the steady phase's messages per second")
    parser.add_argument("--in-flight", type=int, default=16, help="chats asking back to back at saturation")
    parser.add_argument("--rounds", type=int, default=2, help="echo bot and bot(s) measured in turn this many times")
    parser.add_argument("--bot", action="append", default=[],
                        help="'sqlite' (default) or N@DATABASE_URL: N serve processes on that database")
    parser.add_argument("--log-level", default="INFO", help="the real bot's LOG_LEVEL (production: INFO)")
    parser.add_argument("--py-spy", metavar="FILE", help="profile the real bot at saturation with py-spy "
                        "(pip install py-spy) into FILE (collapsed stacks)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    args.bot = args.bot or ["sqlite"]
    args.load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    rows = asyncio.run(run(args))
    args.load_after = " ".join(f"{x:.2f}" for x in os.getloadavg())
    if args.json:
        print(json.dumps([asdict(r) for r in rows], indent=1))
    else:
        print(table(rows, args))
    return 0 if all(r.unanswered == 0 and r.repeated == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
