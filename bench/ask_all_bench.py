"""CPU time of ``AnswerEngine.ask_all`` per question, the matcher as it is beside the matcher at a git ref.

    .venv/bin/python bench/ask_all_bench.py [--ref main] [--rounds 5] [--profile]

The questions and users are bench/update_breakdown.py's (every question of tests/data/*.yaml, each from a user
with a district of their own, Hindi when the question is in Devanagari). With ``--ref`` the engine is built a
second time with ``bot/core/matching.py`` as it was at REF (answers.py stays the working tree's), and the two are
timed in alternating rounds, so that both see the same load on the machine. Figures: CPU microseconds per
question (process time), the median round and the best one, after a first round that fills the caches (shown on
its own: typo corrections and the like are worked out once per word). ``--profile`` prints a cProfile of one round of the
working tree's engine instead.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.matcher_equality import old_matching  # noqa: E402
from bench.throughput_bench import questions  # noqa: E402
from bot.core import answers  # noqa: E402
from bot.core.knowledge import load_knowledge  # noqa: E402
from bot.core.normalise import has_devanagari  # noqa: E402


def engine(kb, index_class=None) -> answers.AnswerEngine:
    real = answers.Index
    if index_class is not None:
        answers.Index = index_class
    try:
        return answers.AnswerEngine(kb)
    finally:
        answers.Index = real


def one_round(eng: answers.AnswerEngine, asks: list[tuple[str, str, str]]) -> float:
    """CPU seconds for every question once."""
    started = time.process_time()
    for q, lang, district in asks:
        eng.ask_all(q, lang, district)
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ref", default="", help="git ref of bot/core/matching.py to compare with")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    kb = load_knowledge(ROOT / "knowledge")
    districts = sorted(kb.districts)
    asks = [(q, "hi" if has_devanagari(q) else "en", districts[i % len(districts)]) for i, q in enumerate(questions())]
    engines = {"working tree": engine(kb)}
    if args.ref:
        engines[f"matching.py at {args.ref}"] = engine(kb, old_matching(args.ref).Index)
    # The first round warms the caches (typo corrections, phrasings) as a running bot has them; it is shown on its
    # own, as update_breakdown.py's fresh process sees it.
    cold = {name: one_round(eng, asks) for name, eng in engines.items()}
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(one_round, engines["working tree"], asks)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return
    seconds: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(args.rounds):
        for name, eng in engines.items():
            seconds[name].append(one_round(eng, asks))
    print(f"ask_all CPU per question, {len(asks)} questions x {args.rounds} rounds (alternating)")
    for name, values in seconds.items():
        per = [1e6 * v / len(asks) for v in values]
        print(f"  {name:32} median {statistics.median(per):7.0f} us   best {min(per):7.0f} us   "
              f"first round (cold caches) {1e6 * cold[name] / len(asks):7.0f} us")


if __name__ == "__main__":
    main()
