"""Start-up: wall time of `exportbot ask x` (a fresh process), and where it goes.

    .venv/bin/python bench/startup_bench.py [--runs 10]

Target: median wall time ≤ 0.5 s on the 2-core machine. Also reports the
import time of the ask path, the knowledge load and the index build measured
in one process, and checks that `ask` imports no transport.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRANSPORTS = ("telegram", "httpx", "starlette", "uvicorn", "aiosqlite")


def wall_times(runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bot", "ask", "x"], cwd=ROOT, check=True, capture_output=True)
        out.append(time.perf_counter() - started)
    return out


def in_process() -> dict[str, float]:
    code = (
        "import sys, time\n"
        "t0 = time.perf_counter()\n"
        "from bot.core.answers import AnswerEngine\n"
        "from bot.core.knowledge import load_knowledge\n"
        "t1 = time.perf_counter()\n"
        "kb = load_knowledge('knowledge')\n"
        "t2 = time.perf_counter()\n"
        "AnswerEngine(kb)\n"
        "t3 = time.perf_counter()\n"
        "import bot.cli\n"
        f"bad = [m for m in {TRANSPORTS!r} if m in sys.modules]\n"
        "print(t1 - t0, t2 - t1, t3 - t2, ','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True)
    imports, load, index, bad = (result.stdout.split(" ") + [""])[:4]
    return {"imports": float(imports), "load": float(load), "index": float(index), "transports": bad.strip()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    times = sorted(wall_times(args.runs))
    parts = in_process()
    median = statistics.median(times)
    print(f"`exportbot ask x`, {args.runs} runs: median {median:.2f} s, min {times[0]:.2f} s, max {times[-1]:.2f} s"
          f"  (target ≤ 0.50 s: {'MET' if median <= 0.5 else 'NOT MET'})")
    print(f"  core imports {parts['imports'] * 1000:.0f} ms, knowledge load {parts['load'] * 1000:.0f} ms, "
          f"index {parts['index'] * 1000:.0f} ms")
    print(f"  transports imported by the ask path: {parts['transports'] or 'none'}")


if __name__ == "__main__":
    main()
