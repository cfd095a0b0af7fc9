"""Matcher speed: knowledge load + index time, and milliseconds per question (p50 / p95 / max).

    .venv/bin/python bench/matcher_bench.py [--rounds 5]

Target: well under a few milliseconds per question on the 2-core machine.
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import yaml

from bot.core.answers import AnswerEngine
from bot.core.knowledge import load_knowledge

ROOT = Path(__file__).resolve().parent.parent
SETS = [ROOT / "tests/data/extra_questions.yaml", ROOT / "../shared/eval/dev_questions.yaml"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    engine = AnswerEngine(load_knowledge(ROOT / "knowledge"))
    load = time.perf_counter() - started
    questions = [item["q"] for path in SETS if path.exists() for item in yaml.safe_load(path.read_text("utf-8"))]
    timings = []
    for _ in range(args.rounds):
        for q in questions:
            t = time.perf_counter()
            engine.ask(q)
            timings.append(1000 * (time.perf_counter() - t))
    timings.sort()
    print(f"knowledge load + index: {load:.2f} s ({len(engine.kb.entries)} entries)")
    print(f"{len(timings)} questions: p50 {statistics.median(timings):.2f} ms, "
          f"p95 {timings[int(0.95 * len(timings))]:.2f} ms, max {timings[-1]:.2f} ms")


if __name__ == "__main__":
    main()
