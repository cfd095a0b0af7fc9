"""Does the matcher still rank as it did? Old and new :class:`Index` side by side on every test question.

    .venv/bin/python bench/matcher_equality.py [--ref adc5dca] [--size 0] [--top 5]

The old matcher is ``bot/core/matching.py`` at ``--ref`` (read with ``git show``). Every ``q:`` of
tests/data/*.yaml and ../shared/eval/*.yaml (and every turn's ``q`` of a conversation) is parsed
and ranked by both; the top ``--top`` entry ids and scores (to 3 decimals) must be the same, and so
must the parsed tokens, weights and unknown words. ``--size 50000`` does the same on the synthetic
knowledge base of bench/synthetic_kb.py (slow: the old index takes ~20 s to build and ~0.4 s a question).
Exit status 1 on any difference.
"""
from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core import matching  # noqa: E402
from bot.core.knowledge import load_knowledge  # noqa: E402

BASELINE = "adc5dca"   # main before the matcher was sped up


def old_matching(ref: str):
    source = subprocess.run(["git", "show", f"{ref}:bot/core/matching.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    spec = importlib.util.spec_from_loader("bot.core._matching_ref", loader=None)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "bot.core"
    sys.modules[spec.name] = module
    exec(compile(source, f"{ref}:bot/core/matching.py", "exec"), module.__dict__)
    return module


def questions() -> list[str]:
    out: list[str] = []
    files = sorted((ROOT / "tests/data").glob("*.yaml")) + sorted((ROOT / "../shared/eval").glob("*.yaml"))
    for path in files:
        for item in yaml.safe_load(path.read_text("utf-8")) or []:
            if "turns" in item:
                out += [str(turn["q"]) for turn in item["turns"] if "q" in turn]
            elif "q" in item:
                out.append(str(item["q"]))
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ref", default=BASELINE)
    parser.add_argument("--size", type=int, default=0, help="synthetic knowledge base of this many entries")
    parser.add_argument("--top", type=int, default=5)
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions")
    parser.add_argument("--common", type=int, default=0,
                        help="set matching.COMMON_DOCS (a low value sends more words through the per-entry path)")
    args = parser.parse_args()
    kb = load_knowledge(ROOT / "knowledge")
    if args.size:
        from bench.synthetic_kb import synthetic_kb
        kb = synthetic_kb(kb, args.size)
    if args.common:
        matching.COMMON_DOCS = args.common
    old = old_matching(args.ref).Index(kb)
    new = matching.Index(kb)
    qs = questions()
    if args.limit:
        qs = qs[: args.limit]
    diffs = 0
    full12 = 0
    for q in qs:
        q_old, m_old = old.rank(q, 12)
        q_new, m_new = new.rank(q, 12)
        if (q_old.tokens, q_old.weights, q_old.unknown, q_old.unknown_weights, q_old.off_topic_words) != (
                q_new.tokens, q_new.weights, q_new.unknown, q_new.unknown_weights, q_new.off_topic_words):
            diffs += 1
            print(f"PARSE DIFFERS {q!r}\n  old {q_old}\n  new {q_new}")
            continue
        a = [(m.entry.id, round(m.score, 3)) for m in m_old[: args.top]]
        b = [(m.entry.id, round(m.score, 3)) for m in m_new[: args.top]]
        if a != b:
            diffs += 1
            print(f"RANK DIFFERS {q!r}\n  old {a}\n  new {b}")
        if [(m.entry.id, m.score) for m in m_old] != [(m.entry.id, m.score) for m in m_new]:
            full12 += 1
    print(f"{len(qs)} questions, {len(kb.entries)} entries, {len(new._common)} common words: {diffs} differ in the top {args.top} "
          f"(ids and scores to 3 decimals); {full12} differ anywhere in the top 12 at full precision")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
