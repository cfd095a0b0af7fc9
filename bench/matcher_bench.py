"""Matcher speed: index build (time, memory) and milliseconds per question, beside a bare rapidfuzz floor.

    .venv/bin/python bench/matcher_bench.py [--rounds 3] [--size 50000] [--sample 0] [--ref REF]

Two knowledge bases: today's (knowledge/) and a synthetic one of ``--size`` entries grown from it
(bench/synthetic_kb.py; 0 skips it). On each:

* build: wall time of ``Index(kb)``; the tracemalloc peak of a second, traced build; the growth of
  the process's max RSS during the first one;
* ordinary questions: every ``q`` of tests/data/*.yaml and ../shared/eval/*.yaml, ``--rounds`` times
  over, each timed as ``index.rank(q, 12)`` (parse + rank, what AnswerEngine asks for). The first round
  starts with empty caches; its p99 is shown on its own as "cold";
* 1,000-character messages: 40 messages made of real long questions joined until 1,000 characters;
* floor: ``rapidfuzz.process.extractOne(question, strings)`` (WRatio) over the normalised titles,
  aliases and keywords of every entry: the cost of one bare fuzzy pass over the same strings (on a
  large base timed on every k-th question only, k = strings / 20,000).

``--ref REF`` measures ``bot/core/matching.py`` as it was at git REF instead (e.g. adc5dca, before the
matcher was sped up); ``--sample N`` times only every k-th question so that N are timed (for slow refs).
Targets (the issue): p99 <= 3 ms a question and <= 10 ms for 1,000 characters on today's knowledge base;
p99 <= 30 ms a question at 50,000 entries; build <= 5 s and <= 300 MB at 50,000.
"""
from __future__ import annotations

import argparse
import gc
import random
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapidfuzz import process  # noqa: E402

from bench.matcher_equality import old_matching, questions  # noqa: E402
from bench.synthetic_kb import synthetic_kb  # noqa: E402
from bot.core import matching  # noqa: E402
from bot.core.knowledge import load_knowledge  # noqa: E402
from bot.core.normalise import normalise  # noqa: E402

LONG = 1000


def long_messages(qs: list[str], n: int = 40, seed: int = 3) -> list[str]:
    """Messages of 1,000 characters (the engine's limit) made of real questions, the longest ones first."""
    rng = random.Random(seed)
    pool = sorted(qs, key=len, reverse=True)[:200]
    out = []
    for _ in range(n):
        parts: list[str] = []
        while sum(len(p) + 1 for p in parts) < LONG:
            parts.append(rng.choice(pool))
        out.append(" ".join(parts)[:LONG].rsplit(" ", 1)[0])
    return out


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))]


def timed(fn, items: list[str], rounds: int) -> tuple[list[float], list[float]]:
    """Milliseconds per call over all rounds, and those of the first round alone."""
    first: list[float] = []
    every: list[float] = []
    for r in range(rounds):
        for item in items:
            t = time.perf_counter()
            fn(item)
            ms = 1000 * (time.perf_counter() - t)
            every.append(ms)
            if r == 0:
                first.append(ms)
    return every, first


def measure(name: str, kb, index_class, qs: list[str], longs: list[str], rounds: int, sample: int) -> None:
    gc.collect()
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    index = index_class(kb)
    build = time.perf_counter() - t
    rss = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) / 1024
    tracemalloc.start()
    traced = index_class(kb)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    del traced
    gc.collect()
    strings = sorted({normalise(text) for e in kb.entries.values() for text, _ in index_class._texts(e)} - {""})
    if sample and len(qs) > sample:
        qs = qs[:: len(qs) // sample][:sample]
        longs = longs[: max(5, sample // 20)]
    rank = lambda q: index.rank(q, 12)  # noqa: E731
    floor = lambda q: process.extractOne(normalise(q), strings)  # noqa: E731
    q_all, q_cold = timed(rank, qs, rounds)
    l_all, l_cold = timed(rank, longs, rounds)
    # The floor scans every string for every question: on a large base, every k-th question is enough.
    step = max(1, len(strings) // 20_000)
    f_all, _ = timed(floor, qs[::step], 1)
    fl_all, _ = timed(floor, longs[::step], 1)
    print(f"\n{name}: {len(kb.entries):,} entries, {len(strings):,} strings, vocabulary {len(index.idf):,}")
    print(f"  index build {build:.2f} s, tracemalloc peak {peak:.0f} MB, max RSS +{rss:.0f} MB")
    print(f"  {'':34} {'p50':>8} {'p99':>8} {'max':>8} {'p99 cold':>9}   floor p50 / p99 (extractOne)")
    print(f"  {f'question ({len(qs)} x {rounds})':34} {pct(q_all, .5):8.2f} {pct(q_all, .99):8.2f} "
          f"{max(q_all):8.2f} {pct(q_cold, .99):9.2f}   {pct(f_all, .5):.2f} / {pct(f_all, .99):.2f} ms")
    print(f"  {f'1,000 characters ({len(longs)} x {rounds})':34} {pct(l_all, .5):8.2f} {pct(l_all, .99):8.2f} "
          f"{max(l_all):8.2f} {pct(l_cold, .99):9.2f}   {pct(fl_all, .5):.2f} / {pct(fl_all, .99):.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", type=int, default=50_000, help="synthetic knowledge base (0: none)")
    parser.add_argument("--sample", type=int, default=0, help="time only this many questions per set")
    parser.add_argument("--ref", default="", help="git ref of bot/core/matching.py to measure instead")
    args = parser.parse_args()
    index_class = old_matching(args.ref).Index if args.ref else matching.Index
    print(f"matcher: {'bot/core/matching.py at ' + args.ref if args.ref else 'working tree'}; "
          f"ms per index.rank(q, 12)")
    kb = load_knowledge(ROOT / "knowledge")
    qs = questions()
    longs = long_messages(qs)
    measure("today's knowledge base", kb, index_class, qs, longs, args.rounds, 0)
    if args.size:
        big = synthetic_kb(kb, args.size)
        measure(f"synthetic knowledge base (bench/synthetic_kb.py, {args.size:,})", big, index_class, qs, longs,
                args.rounds, args.sample)


if __name__ == "__main__":
    main()
