"""Throughput and latency of `exportbot serve` against a bare python-telegram-bot echo bot, in one run.

    .venv/bin/python bench/throughput_bench.py [--seconds 10] [--rate 20] [--in-flight 16] [--slices 5]
        [--bot sqlite] [--bot 2@postgresql://...] [--bot sqlite/httpx] [--echo-aiohttp] [--py-spy FILE] [--json]

Both bots run as their own processes, the way they run in production: ``python -m bot serve`` (the real bot:
python-telegram-bot's Application, the inbox, the dialogue and the answer engine over knowledge/, the store)
and bench/echo_bot.py (python-telegram-bot replying with the same text, no database). Both get their updates
by **webhook** — the way ``serve`` runs behind a load balancer with several workers (with TELEGRAM_WEBHOOK_URL
set; without it ``serve`` polls, one process only) — from the lean Bot API double in bench/botapi_double.py,
which also takes their sendMessage calls. The double and this driver share one process of their own.

Each update is a real question (every ``q`` of tests/data/*.yaml, shuffled with a fixed seed) from a chat of
its own, so the first message sent to that chat is its reply; the real bot's chats are users who finished
onboarding (English or Hindi by the question's script, a district), seeded through the store beforehand.
All the bots run at once; after a warm-up each, they are driven in turn, in ``--slices`` short slices each
(echo, bot, echo, bot, ...), so that other work on a shared machine weighs on all of them alike:

* **at 20 msg/s**: updates posted at a steady ``--rate``, ``--seconds`` in all per bot; latency = from the start
  of the webhook POST to the first sendMessage for that chat, p50 / p99;
* **at saturation**: ``--in-flight`` chats each sending their next question as soon as the previous one is
  answered, ``--seconds`` in all per bot (the first quarter second of each slice left out, and each slice
  finished before the next bot's begins): the rate is answers per second, and the latency is mostly the wait
  behind the others in flight (about in-flight / rate);
* **CPU per update**: CPU seconds (user + system, all the bot's processes, from /proc) during the saturation
  slices divided by the answers in them: the work each update costs.

"Ratio to echo" divides the saturated rates; the work ratio in brackets divides the echo bot's CPU per update
by the bot's.

``--bot`` chooses the real bot's store and workers: ``sqlite`` (a fresh SQLite file), ``N@postgresql`` for N
``serve`` processes sharing a schema of their own on a throwaway PostgreSQL server this bench starts and stops
(tests/pgserver.py's, as the ``postgres`` user when run as root), or ``N@DATABASE_URL`` for N processes on a
server of your own; with several processes the double spreads the webhook posts over them round robin, as a
load balancer would; a ``/httpx`` ending (``sqlite/httpx``) runs that bot with TELEGRAM_HTTP_CLIENT=httpx
(python-telegram-bot's own backend) instead of its default aiohttp. Give it more than once for more rows. Default: ``sqlite``, ``1@postgresql`` and
``2@postgresql`` when PostgreSQL is installed (else ``sqlite`` alone, and the output says why).

Where the cores go: beside each bot's own CPU per update, the PostgreSQL server's (all its processes, during
that bot's saturation slices), this driver's and the double's (one process), and how busy the machine's cores
were (/proc/stat, every process on the machine) during them.

The echo bot uses python-telegram-bot as it comes (its httpx backend); ``--echo-aiohttp`` adds, for reference,
a row for the same echo bot on the aiohttp backend the real bot uses (the ratios stay against the first echo).
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
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.botapi_double import LeanBotAPI  # noqa: E402
from tests import pgserver  # noqa: E402
from bot.core.dialogue import UserState  # noqa: E402
from bot.core.knowledge import load_knowledge  # noqa: E402
from bot.core.normalise import has_devanagari  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.store import Store  # noqa: E402

TOKEN, SECRET = "4242:BENCH", "bench-secret"
TICKS = os.sysconf("SC_CLK_TCK")
WARM_UP = 2.0             # seconds of saturation for each bot before anything is measured
SETTLE = 0.25             # the start of each saturation slice is left out of its figures
MAX_RATE = 400            # users are seeded for a real bot answering up to this many a second


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


def cpu_of_tree(root: int | None) -> float:
    """CPU seconds of a process and its children now alive (the PostgreSQL server: postmaster and backends)."""
    if root is None:
        return 0.0
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, tail = stat.read_text().rsplit(")", 1)
        except OSError:
            continue
        fields = tail.split()
        if int(stat.parent.name) == root or int(fields[1]) == root:           # ppid
            total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all cores since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]                                               # idle, iowait
    return float(sum(values[:8]) - idle), float(sum(values[:8]))


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
    workers: int = 1
    database_cpu_ms: float = 0.0      # the PostgreSQL server's CPU milliseconds per update at saturation
    driver_cpu_ms: float = 0.0        # this driver's and the double's
    cores_ours: float = 0.0           # cores busy with the bot, the server, the driver and the double (saturation)
    cores_busy: float = 0.0           # cores busy on the whole machine meanwhile (other work included)
    extra: dict = field(default_factory=dict)


@dataclass
class Saturated:
    answers: int = 0
    seconds: float = 0.0
    cpu: float = 0.0
    database_cpu: float = 0.0
    driver_cpu: float = 0.0
    busy: float = 0.0
    ticks: float = 0.0
    latencies: list[float] = field(default_factory=list)


class Driver:
    """Sends one bot its questions through the double, from chats of its own, and measures."""

    def __init__(self, api: LeanBotAPI, texts: list[str], first_chat: int, urls: list[str], pids: list[int],
                 database_pid: int | None = None):
        self.api, self.texts, self.urls, self.pids = api, texts, urls, pids
        self.database_pid = database_pid
        self.first_chat = self.next_chat = first_chat
        self.turn = 0

    def _update(self) -> dict:
        text = self.texts[self.turn % len(self.texts)]
        self.turn += 1
        chat = self.next_chat
        self.next_chat += 1
        return self.api.make_update(chat, text, "hi" if has_devanagari(text) else "en")

    async def steady(self, rate: float, seconds: float) -> list[float]:
        """Updates at a steady rate; latencies (s) of their first replies, once all are answered."""
        self.api.targets = self.urls
        started = time.perf_counter()
        tasks = []
        for i in range(int(rate * seconds)):
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.api.deliver(self._update())))
        pendings = await asyncio.gather(*tasks)
        return await _latencies(pendings, timeout=30)

    async def saturate(self, in_flight: int, seconds: float, into: Saturated, settle: float = SETTLE) -> None:
        """``in_flight`` chats asking back to back for ``seconds``; what is answered after ``settle`` is counted
        (with the CPU the bot used meanwhile). Returns once the last questions are answered."""
        self.api.targets = self.urls
        started = time.perf_counter()
        window_start, end = started + settle, started + seconds
        done: list[tuple[float, float]] = []
        cpu: list[tuple[float, float, float, tuple[float, float]]] = []

        def mark() -> None:
            cpu.append((sum(cpu_seconds(p) for p in self.pids), cpu_of_tree(self.database_pid), time.process_time(),
                        machine_busy()))

        async def user() -> None:
            while time.perf_counter() < end:
                pending = await self.api.deliver(self._update())
                try:
                    answered = await asyncio.wait_for(asyncio.shield(pending.answered), 30)
                except asyncio.TimeoutError:
                    return
                done.append((pending.posted, answered))

        async def cpu_marks() -> None:
            await asyncio.sleep(max(0.0, window_start - time.perf_counter()))
            mark()
            await asyncio.sleep(max(0.0, end - time.perf_counter()))
            mark()

        await asyncio.gather(cpu_marks(), *(user() for _ in range(in_flight)))
        counted = [(p, a) for p, a in done if window_start <= a <= end]
        into.answers += len(counted)
        into.seconds += end - window_start
        into.cpu += cpu[1][0] - cpu[0][0]
        into.database_cpu += cpu[1][1] - cpu[0][1]
        into.driver_cpu += cpu[1][2] - cpu[0][2]
        into.busy += cpu[1][3][0] - cpu[0][3][0]
        into.ticks += cpu[1][3][1] - cpu[0][3][1]
        into.latencies += [a - p for p, a in counted]


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
    for argv, env in commands:
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


def parse_bot(spec: str) -> tuple[int, str, str]:
    """'sqlite' | 'N@postgresql' | 'N@DATABASE_URL', optionally ending '/httpx' or '/aiohttp' -> (workers,
    database url: '' for a fresh SQLite file, 'postgresql' for the throwaway server; the Bot API client)."""
    client = "aiohttp"
    for name in ("httpx", "aiohttp"):
        if spec.endswith("/" + name):
            spec, client = spec[:-len(name) - 1], name
    head, sep, rest = spec.partition("@")
    workers, url = (int(head), rest) if sep and head.isdigit() else (1, spec)
    return workers, "" if url == "sqlite" else url, client


def default_bots() -> tuple[list[str], str]:
    """SQLite, then 1 and 2 workers on a throwaway PostgreSQL server when PostgreSQL is installed; and a note
    saying why the PostgreSQL rows are missing when it is not."""
    if pgserver.find_binaries() is None:
        return ["sqlite"], ("PostgreSQL rows skipped: PostgreSQL is not installed (no initdb in "
                            "/usr/lib/postgresql/*/bin or on the PATH; `make postgres` installs it)")
    return ["sqlite", "1@postgresql", "2@postgresql"], ""


class BenchPostgres(pgserver.ThrowawayPostgres):
    """The tests' throwaway server with a production's durability: fsync on; commits not waiting for the disk
    (synchronous_commit off, as SQLite's WAL with synchronous=NORMAL)."""

    SETTINGS = ("synchronous_commit=off", "max_connections=100", "listen_addresses=127.0.0.1")

    def postmaster_pid(self) -> int | None:
        with contextlib.suppress(OSError, ValueError):
            return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
        return None


async def run(args: argparse.Namespace) -> list[Row]:
    texts = questions()
    tmp = Path(tempfile.mkdtemp(prefix="throughput-"))
    log = tmp / "bots.log"
    api = await LeanBotAPI(TOKEN).start()
    base_env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": api.base_url,
                "TELEGRAM_WEBHOOK_SECRET": SECRET, "KNOWLEDGE_DIR": str(ROOT / "knowledge"),
                "LOG_LEVEL": args.log_level, "PYTHONUNBUFFERED": "1"}
    per_bot = int((WARM_UP + args.seconds) * MAX_RATE + args.rate * args.seconds)
    bots: list[tuple[str, Driver]] = []
    processes: list[asyncio.subprocess.Process] = []
    own_cpu = time.process_time()
    server: BenchPostgres | None = None
    try:
        if any(parse_bot(spec)[1] == "postgresql" for spec in args.bot):
            binaries = pgserver.find_binaries()
            if binaries is None:
                raise SystemExit("PostgreSQL is not installed: no throwaway server for --bot N@postgresql")
            server = BenchPostgres(binaries)
            try:
                server.start()
            except (subprocess.SubprocessError, OSError, KeyError) as exc:
                server.stop()
                server = None
                detail = (getattr(exc, "stderr", b"") or b"").decode(errors="replace")[-300:]
                if not args.defaulted:
                    raise SystemExit(f"the throwaway PostgreSQL server did not start: {exc} {detail}") from None
                args.bot = [spec for spec in args.bot if parse_bot(spec)[1] != "postgresql"]
                args.note = f"PostgreSQL rows skipped: the throwaway server did not start ({exc} {detail})"
        echoes = [("echo bot (python-telegram-bot, no database)", "httpx", 10_000_000)]
        if args.echo_aiohttp:
            echoes.append(("echo bot on aiohttp (reference)", "aiohttp", 5_000_000))
        for name, client, first_chat in echoes:
            port = free_port()
            env = {**base_env, "PORT": str(port), "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook",
                   "TELEGRAM_HTTP_CLIENT": client}
            echo = await start_processes([([sys.executable, str(ROOT / "bench/echo_bot.py")], env)], [port], log)
            processes += echo
            bots.append((name, Driver(api, texts, first_chat, [env["TELEGRAM_WEBHOOK_URL"]], [p.pid for p in echo])))
        for number, spec in enumerate(args.bot, start=1):
            workers, url, client = parse_bot(spec)
            database_pid = None
            if url == "postgresql" and server is not None:
                url, database_pid = f"{server.url}?search_path=bench_{number}", server.postmaster_pid()
            bot_env = {**base_env, "EXPORTBOT_DB": str(tmp / f"bench-{number}.sqlite3"), "TELEGRAM_HTTP_CLIENT": client}
            if url:
                bot_env["DATABASE_URL"] = url
            first_chat = 10_000_000 + number * 1_000_000
            await seed_users(bot_env, range(first_chat, first_chat + per_bot), texts)
            ports = [free_port() for _ in range(workers)]
            urls = [f"http://127.0.0.1:{p}/telegram/webhook" for p in ports]
            commands = [([sys.executable, "-m", "bot", "serve"], {**bot_env, "PORT": str(p), "TELEGRAM_WEBHOOK_URL": u})
                        for p, u in zip(ports, urls)]
            started = await start_processes(commands, ports, log)
            processes += started
            store = "SQLite" if not url else "PostgreSQL" if url.startswith("postgres") else url.split("://")[0]
            bots.append((f"exportbot serve ({store}, {workers} worker{'s' if workers > 1 else ''}"
                         f"{', httpx' if client == 'httpx' else ''})",
                         Driver(api, texts, first_chat, urls, [p.pid for p in started], database_pid)))
        rows = await measure(api, bots, args)
        for row, spec in zip(rows[len(rows) - len(args.bot):], args.bot):
            row.workers = parse_bot(spec)[0]
    finally:
        await stop_processes(processes)
        await api.stop()
        if server is not None:
            server.stop()
    own_cpu = time.process_time() - own_cpu
    tracebacks = log.read_text(errors="replace").count("Traceback") if log.exists() else 0
    for row in rows:
        row.extra.update(tracebacks_in_log=tracebacks, log=str(log),
                         driver_cpu_ms=1000 * own_cpu / max(1, sum(d.next_chat - d.first_chat for _, d in bots)))
    return rows


async def measure(api: LeanBotAPI, bots: list[tuple[str, Driver]], args: argparse.Namespace) -> list[Row]:
    for _, driver in bots:
        await driver.saturate(args.in_flight, WARM_UP, Saturated(), settle=0)
    api.webhook_errors = 0
    slice_seconds = args.seconds / args.slices
    steady: list[list[float]] = [[] for _ in bots]              # by the bot's place: two rows may share a name
    saturated = [Saturated() for _ in bots]
    for _ in range(args.slices):
        for number, (_, driver) in enumerate(bots):
            steady[number] += await driver.steady(args.rate, slice_seconds)
    spy = None
    if args.py_spy and len(bots) > 1:            # where the real bot's time goes at saturation
        spy = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).parent / "py-spy"), "record", "--nonblocking", "--gil", "--format", "raw",
            "-r", "250", "-o", args.py_spy, "-p", str(bots[1][1].pids[0]),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    for _ in range(args.slices):
        for number, (_, driver) in enumerate(bots):
            await driver.saturate(args.in_flight, slice_seconds + SETTLE, saturated[number])
    if spy is not None:
        spy.send_signal(signal.SIGINT)            # py-spy writes what it has on Ctrl-C
        await spy.wait()
    await asyncio.sleep(0.5)
    rows = []
    for number, (name, driver) in enumerate(bots):
        chats = range(driver.first_chat, driver.next_chat)
        answered = sum(1 for c in chats if api.messages.get(c))
        sat = saturated[number]
        rows.append(Row(name, rate=sat.answers / sat.seconds, cpu_ms=1000 * sat.cpu / max(1, sat.answers),
                        p50_steady=1000 * pct(steady[number], 50), p99_steady=1000 * pct(steady[number], 99),
                        p50_sat=1000 * pct(sat.latencies, 50), p99_sat=1000 * pct(sat.latencies, 99),
                        answered=answered, unanswered=len(chats) - answered,
                        messages_per_update=sum(api.messages.get(c, 0) for c in chats) / max(1, answered),
                        repeated=sum(api.repeated.get(c, 0) for c in chats), webhook_errors=api.webhook_errors,
                        database_cpu_ms=1000 * sat.database_cpu / max(1, sat.answers),
                        driver_cpu_ms=1000 * sat.driver_cpu / max(1, sat.answers),
                        cores_ours=(sat.cpu + sat.database_cpu + sat.driver_cpu) / sat.seconds,
                        cores_busy=sat.busy / TICKS / sat.seconds))
    return rows


def ceiling(row: Row, cores: int) -> float:
    """The most this bot could answer on this machine's cores with nothing else running, from the CPU each update
    took: all of it (bot, server, driver and double) spread over every core, and each of the bot's processes on
    one core at most (one Python process runs on one core at a time)."""
    total = row.cpu_ms + row.database_cpu_ms + row.driver_cpu_ms
    if not total or not row.cpu_ms:
        return float("nan")
    return min(1000 * cores / total, 1000 * min(row.workers, cores) / row.cpu_ms)


def table(rows: list[Row], args: argparse.Namespace) -> str:
    echo = rows[0]
    lines = [f"Throughput and latency, Telegram webhook; each bot {args.seconds:g} s at {args.rate:g} msg/s and "
             f"{args.seconds:g} s at saturation, in {args.slices} slices taken in turn ({os.cpu_count()} cores; "
             f"load average before: {args.load_before})",
             "",
             f"| bot | saturated rate | ratio to echo | CPU per update (work ratio) | p50 / p99 at {args.rate:g} msg/s "
             f"| p50 / p99 at saturation ({args.in_flight} in flight) |",
             "|---|---|---|---|---|---|"]
    for row in rows:
        ratio = row.rate / echo.rate if echo.rate else float("nan")
        work = echo.cpu_ms / row.cpu_ms if row.cpu_ms else float("nan")
        lines.append(f"| {row.name} | {row.rate:,.0f} msg/s | **{ratio:.2f}** | {row.cpu_ms:.2f} ms ({work:.2f}) "
                     f"| {row.p50_steady:.1f} / {row.p99_steady:.1f} ms | {row.p50_sat:.1f} / {row.p99_sat:.1f} ms |")
    pg = {r.workers: r for r in rows[1:] if "PostgreSQL" in r.name and "httpx" not in r.name}
    if 1 in pg and 2 in pg and pg[1].rate:
        cores = os.cpu_count() or 1
        lines += ["", f"2 workers / 1 worker on PostgreSQL: **{pg[2].rate / pg[1].rate:.2f}×** "
                      f"({pg[2].rate:,.0f} / {pg[1].rate:,.0f} msg/s; target ≥ 1.6×); the most these figures allow "
                      f"on {cores} idle cores: {ceiling(pg[2], cores) / ceiling(pg[1], cores):.2f}× "
                      f"({ceiling(pg[2], cores):,.0f} / {ceiling(pg[1], cores):,.0f} msg/s)"]
    cores = os.cpu_count() or 1
    lines += ["", "Where the cores go at saturation (CPU milliseconds per update answered):", "",
              f"| bot | its processes | PostgreSQL server | driver and double | all | cores busy: these / other work "
              f"(of {cores}) | rate per core these used | ceiling on {cores} idle cores |",
              "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        total = row.cpu_ms + row.database_cpu_ms + row.driver_cpu_ms
        lines.append(f"| {row.name} | {row.cpu_ms:.2f} | {row.database_cpu_ms:.2f} | {row.driver_cpu_ms:.2f} "
                     f"| {total:.2f} | {row.cores_ours:.2f} / {max(0.0, row.cores_busy - row.cores_ours):.2f} "
                     f"| {row.rate / row.cores_ours if row.cores_ours else float('nan'):,.0f} msg/s "
                     f"| {ceiling(row, cores):,.0f} msg/s |")
    lines.append("")
    for row in rows:
        lines.append(f"{row.name}: {row.answered:,} updates answered, {row.unanswered} unanswered, "
                     f"{row.messages_per_update:.2f} messages each, {row.repeated} sent twice")
    lines.append(f"webhook errors: {rows[0].webhook_errors}; the double and this driver over the whole run: "
                 f"{rows[0].extra['driver_cpu_ms']:.2f} ms CPU per update; load average after: {args.load_after}; "
                 f"tracebacks in the bots' log: {rows[0].extra['tracebacks_in_log']}")
    if args.note:
        lines.append(args.note)
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="each bot's time in each phase")
    parser.add_argument("--rate", type=float, default=20.0, help="the steady phase's messages per second")
    parser.add_argument("--in-flight", type=int, default=16, help="chats asking back to back at saturation")
    parser.add_argument("--slices", type=int, default=5, help="each phase in this many turns per bot")
    parser.add_argument("--bot", action="append", default=[],
                        help="'sqlite', 'N@postgresql' (N serve processes on a throwaway PostgreSQL server) or "
                             "N@DATABASE_URL (on that database); default: sqlite, 1@postgresql and 2@postgresql "
                             "(the last two when PostgreSQL is installed)")
    parser.add_argument("--echo-aiohttp", action="store_true",
                        help="also an echo bot on the aiohttp backend the real bot uses (a reference row)")
    parser.add_argument("--log-level", default="INFO", help="the real bot's LOG_LEVEL (production: INFO)")
    parser.add_argument("--py-spy", metavar="FILE", help="profile the first real bot's first process at saturation "
                        "with py-spy (pip install py-spy) into FILE (collapsed stacks, samples holding the GIL)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    args.note, args.defaulted = "", not args.bot
    if not args.bot:
        args.bot, args.note = default_bots()
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
