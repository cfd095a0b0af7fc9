"""Broadcast benchmark: outbox build time and memory, and the sustained send rate against the rate limit.

Drives the real code path (Broadcaster -> Pacer -> TelegramSender -> python-telegram-bot -> HTTP)
against the local Bot API double (tests/fakes/telegram_api.py, FakeBotAPI) on loopback::

    cd /work/main && .venv/bin/python bench/broadcast_bench.py [--subscribers 100000] [--limit 30]
        [--window 1.0] [--max-seconds 120] [--latency 0] [--breakdown] [--json]

Defaults are the issue's target: 100,000 subscribers at Telegram's 30 messages per 1.0 s. Sending all of
them at that pace takes ~55 minutes, so delivery is cancelled after --max-seconds (120 s) and the rate is
measured over that span (rows still queued are fine). ``--window 0.01`` compresses time (30 per 10 ms)
so that all 100,000 go through; the limit (and the per-chat spacing, per_chat = window) scale with it.

Nothing here changes the bot: see bench/README.md for measured numbers.
"""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import functools
import json
import logging
import platform
import resource
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.services.outbox import Broadcaster  # noqa: E402
from bot.core.events import IST  # noqa: E402
from bot.core.knowledge import load_knowledge  # noqa: E402
from bot.services.pacer import Pacer  # noqa: E402
from bot.channels.telegram.sender import TelegramSender  # noqa: E402
from bot.settings import Secret, Settings  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.channels.telegram.application import make_bot  # noqa: E402
from tests.fakes.telegram_api import FakeBotAPI  # noqa: E402

TOKEN = "424242:BENCH"
TARGET_SHARE = 0.95
TEXT = "Hello exporters: the UP International Trade Show opens on 25 January. Register on the portal."


def max_rss_mib() -> float:
    # Linux reports ru_maxrss in KiB, macOS in bytes.
    raw = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return raw / (1024 * 1024) if sys.platform == "darwin" else raw / 1024


class Timers:
    """Wall time per call of the steps of one send (opt-in: wraps bound methods on instances only)."""

    def __init__(self) -> None:
        self.total: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def wrap(self, obj: Any, attr: str, label: str) -> None:
        inner = getattr(obj, attr)

        @functools.wraps(inner)
        async def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return await inner(*args, **kwargs)
            finally:
                self.total[label] += time.perf_counter() - t0
                self.calls[label] += 1

        setattr(obj, attr, timed)

    def per_message(self, messages: int) -> dict[str, dict[str, float]]:
        n = max(messages, 1)
        return {label: {"calls": self.calls[label], "ms_per_message": 1000 * self.total[label] / n,
                        "ms_per_call": 1000 * self.total[label] / max(self.calls[label], 1)}
                for label in sorted(self.total, key=lambda k: -self.total[k])}


async def build_outbox(broadcaster: Broadcaster, created_by: str, when: datetime) -> tuple[int, int, float]:
    t0 = time.perf_counter()
    campaign_id, counts = await broadcaster.create_broadcast(TEXT, "all", created_by, when)
    queued = await broadcaster.confirm_broadcast(campaign_id)
    return campaign_id, queued, time.perf_counter() - t0


async def run(args: argparse.Namespace) -> dict[str, Any]:
    n, limit, window = args.subscribers, args.limit, args.window
    allowed_rate = limit / window
    result: dict[str, Any] = {
        "config": {"subscribers": n, "limit": limit, "window_s": window, "allowed_rate_per_s": allowed_rate,
                   "max_seconds": args.max_seconds, "latency_s": args.latency,
                   "python": platform.python_version(), "machine": platform.machine()},
    }
    kb = functools.cache(lambda: load_knowledge(ROOT / "knowledge"))   # only reminders read it; broadcasts don't
    with tempfile.TemporaryDirectory(prefix="broadcast-bench-") as tmp:
        async with FakeBotAPI(token=TOKEN) as fake:
            if args.latency > 0:
                # Simulated network round trip to Telegram: the fake answers sendMessage after this long.
                real_send = fake._handlers["sendmessage"]

                async def slow_send(params: dict[str, Any], now: float) -> Any:
                    await asyncio.sleep(args.latency)
                    return await real_send(params, now)

                fake._handlers["sendmessage"] = slow_send
            store = await Store(Path(tmp) / "bench.sqlite3").open()
            settings = dataclasses.replace(Settings(), telegram_token=Secret(TOKEN),
                                           telegram_api_base_url=fake.base_url)
            bot = make_bot(settings)        # same HTTPXRequest (pool 8, TCP_NODELAY) as the command line's broadcasts
            await bot.initialize()
            sender = TelegramSender(bot)
            pacer = Pacer(limit, window=window, per_chat=window)
            broadcaster = Broadcaster(store, kb, {"telegram": sender}, {"telegram": pacer})

            # ---------------------------------------------------------------- subscribers
            t0 = time.perf_counter()
            await store.db.executemany(
                "INSERT INTO users (channel, chat_id, lang, subscription, blocked, first_seen, last_seen) "
                "VALUES ('telegram', ?, 'en', 'all', 0, 0, 0)", [(str(i),) for i in range(1, n + 1)])
            await store.db.commit()
            insert_s = time.perf_counter() - t0

            # ---------------------------------------------------------------- (1) outbox build, untraced
            when = datetime.now(IST)
            campaign_id, queued, build_s = await build_outbox(broadcaster, "bench", when)
            rss_after_build = max_rss_mib()

            # ---------------------------------------------------------------- (2) same build under tracemalloc
            # A second draft, built with tracemalloc on (it slows Python code, so the timing above is separate),
            # then cancelled so that its rows are never sent.
            tracemalloc.start()
            traced_id, traced_rows, traced_s = await build_outbox(broadcaster, "bench-traced", when)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            await store.set_campaign_status(traced_id, "cancelled")
            result["subscribers"] = {"inserted": n, "seconds": insert_s, "rows_per_s": n / insert_s}
            result["outbox_build"] = {
                "rows": queued, "seconds": build_s, "rows_per_s": queued / build_s,
                "tracemalloc_peak_mib": peak / 2**20, "traced_seconds": traced_s, "traced_rows": traced_rows,
                "max_rss_mib_after_build": rss_after_build,
            }

            # ---------------------------------------------------------------- (3) sustained send rate
            timers = Timers() if args.breakdown else None
            if timers:
                timers.wrap(pacer, "wait", "pacer.wait (incl. sleeping for the limit)")
                timers.wrap(sender, "send", "sender.send (HTTP round trip, incl. fake server)")
                timers.wrap(store, "outbox_mark", "store.outbox_mark (2 per message, commit each)")
                timers.wrap(store, "campaign", "store.campaign (re-read per row)")
                timers.wrap(store, "queued", "store.queued (500 rows a batch)")
            sends_before = len(fake.call_log)
            t0 = time.perf_counter()
            finished = True
            try:
                await asyncio.wait_for(broadcaster.deliver(campaign_id=campaign_id), timeout=args.max_seconds)
            except asyncio.TimeoutError:
                finished = False
            elapsed = time.perf_counter() - t0
            calls = [c for c in fake.call_log[sends_before:] if c["method"].lower() == "sendmessage"]
            ok = [c for c in calls if c["ok"]]
            counts = await store.outbox_counts(campaign_id)
            sent = counts.get("sent", 0)
            stamps = [c["timestamp"] for c in ok]
            span = (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0
            rate = sent / elapsed if elapsed else 0.0
            # Steady state: the pacer lets the first `limit` go at once, then sends in bursts of `limit`.
            # Measure from the first send of the 2nd burst to the first send of the last complete burst.
            i, j = limit, limit * ((len(stamps) - 1) // limit)
            steady_rate = (j - i) / (stamps[j] - stamps[i]) if j > i and stamps[j] > stamps[i] else 0.0
            max_in_window = fake.max_in_window(window)
            result["delivery"] = {
                "finished": finished, "elapsed_s": elapsed, "sent": sent, "api_calls": len(calls),
                "api_ok": len(ok), "left_queued": counts.get("queued", 0),
                "left_sending": counts.get("sending", 0), "states": counts,
                "rate_per_s": rate, "share_of_limit": rate / allowed_rate,
                "steady_rate_per_s": steady_rate, "steady_share_of_limit": steady_rate / allowed_rate,
                "first_to_last_send_s": span,
                "max_in_window": max_in_window, "limit_held": max_in_window <= limit,
                "ms_per_message_wall": 1000 * elapsed / max(sent, 1),
                "target_share": TARGET_SHARE, "target_met": rate / allowed_rate >= TARGET_SHARE,
            }
            if timers:
                result["breakdown"] = timers.per_message(len(calls))
            result["max_rss_mib"] = max_rss_mib()
            await bot.shutdown()
            await store.close()
    return result


def table(r: dict[str, Any]) -> str:
    c, s, b, d = r["config"], r["subscribers"], r["outbox_build"], r["delivery"]
    lines = [
        f"Broadcast benchmark — {c['subscribers']:,} subscribers, limit {c['limit']} per {c['window_s']} s "
        f"(= {c['allowed_rate_per_s']:,.0f} msg/s), FakeBotAPI on loopback"
        + (f", simulated latency {c['latency_s'] * 1000:.0f} ms" if c["latency_s"] else ""),
        "",
        f"  insert subscribers (executemany)   {s['seconds']:8.2f} s   {s['rows_per_s']:>12,.0f} rows/s",
        f"  build outbox (create+confirm)      {b['seconds']:8.2f} s   {b['rows_per_s']:>12,.0f} rows/s"
        f"   ({b['rows']:,} rows)",
        f"  tracemalloc peak, outbox build     {b['tracemalloc_peak_mib']:8.1f} MiB"
        f"  (traced build took {b['traced_seconds']:.2f} s)",
        f"  max RSS after build / at the end   {b['max_rss_mib_after_build']:8.1f} MiB / {r['max_rss_mib']:.1f} MiB",
        "",
    ]
    if d["finished"]:
        lines.append(f"  delivery finished: all rows sent in {d['elapsed_s']:.1f} s")
    else:
        full = c["subscribers"] / c["allowed_rate_per_s"]
        need = f"{full / 60:.0f} min" if full >= 120 else f"{full:.0f} s"
        lines.append(f"  delivery stopped after --max-seconds {c['max_seconds']:g} (sending all would take "
                     f"≥ {need} at the limit);")
        lines.append(f"  the rate below is the sustained rate over those {d['elapsed_s']:.1f} s; "
                     f"{d['left_queued']:,} rows left queued")
    lines += [
        f"  messages sent                      {d['sent']:>8,}   ({d['api_calls']:,} sendMessage calls)",
        f"  sustained rate                     {d['rate_per_s']:8.2f} msg/s = {100 * d['share_of_limit']:.1f} % "
        f"of the limit   (target ≥ {100 * d['target_share']:.0f} %: {'MET' if d['target_met'] else 'NOT MET'})",
        f"  steady rate (after first window)   {d['steady_rate_per_s']:8.2f} msg/s = "
        f"{100 * d['steady_share_of_limit']:.1f} %",
        f"  wall time per message              {d['ms_per_message_wall']:8.3f} ms",
        f"  fake server max_in_window({c['window_s']:g})    {d['max_in_window']:>8}   "
        f"(limit {c['limit']}: {'held' if d['limit_held'] else 'EXCEEDED'})",
    ]
    if "breakdown" in r:
        lines += ["", "  where the time goes (wall ms per message; calls overlap only inside pacer.wait):"]
        for label, v in r["breakdown"].items():
            lines.append(f"    {label:<52} {v['ms_per_message']:8.3f} ms   ({v['calls']:,} calls, "
                         f"{v['ms_per_call']:.3f} ms each)")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--subscribers", type=int, default=100_000)
    p.add_argument("--limit", type=int, default=30, help="messages per window (Telegram: 30 per second)")
    p.add_argument("--window", type=float, default=1.0, help="seconds; 0.01 compresses time 100x")
    p.add_argument("--max-seconds", type=float, default=120.0, help="cancel delivery after this long")
    p.add_argument("--latency", type=float, default=0.0,
                   help="simulated network round trip added by the fake to each sendMessage (seconds)")
    p.add_argument("--breakdown", action="store_true", help="time each step of a send (small overhead)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    result = asyncio.run(run(args))
    print(json.dumps(result, indent=2, default=str) if args.json else table(result))


if __name__ == "__main__":
    main()
