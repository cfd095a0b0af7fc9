"""How good are the answers, and where should the bot answer, offer choices or decline?

    python bench/answer_quality.py              # the table: right / wrong / did-you-mean / declines per set
    python bench/answer_quality.py --calibrate  # fit the decision on the labelled sets, write bot/core/calibration.json

Labelled sets: our own (tests/data/*.yaml, conversation files left out) and the shared development sets
(../shared/eval/*.yaml) when they are beside the project; conversation files are played through the dialogue
for the table (each turn judged like a question) but not fitted on. A question is labelled by its `expect` groups
(the best entry is right when its answer holds every group) or `out_of_scope: true`; small-talk items are
scored by the dialogue, not here. Our held-out sets (tests/data/fresh_*.yaml) are reported but never fitted on.

The decision (bot/answers.py, Decision) is a logistic model of "the best entry is right" over a few
features of the match, and two cut-offs chosen to minimise the cost of mistakes on all labelled sets:
a wrong answer costs far more than a "did you mean", which costs a little more than a refusal.
"""
from __future__ import annotations

import argparse
import json
import math
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.answers import CALIBRATION, FEATURES, AnswerEngine, Decision, Outcome, features  # noqa: E402
from bot.core.dialogue import Dialogue, Incoming, UserState  # noqa: E402
from bot.core.knowledge import load_knowledge  # noqa: E402

SHARED = ROOT.parent / "shared" / "eval"
DOC = ROOT / "docs" / "answer-quality.md"
DEVANAGARI_DIGITS = str.maketrans("०१२३४५६७८९", "0123456789")

# What a mistake costs (a right answer costs nothing).
COST_WRONG = 6.0            # a confident wrong answer (also: answering an out-of-scope question)
COST_WRONG_SEE_ALSO = 2.5  # a wrong answer with the right entry offered beside it ("see also" buttons)
COST_SUGGEST_FIRST = 1.2    # "did you mean" with the right entry first
COST_SUGGEST_OTHER = 1.6    # ... with the right entry among the choices
COST_SUGGEST_NONE = 2.2     # ... without it
COST_DECLINE = 2.0          # a refusal of an answerable question
COST_OOS_SUGGEST = 0.8      # "did you mean" for an out-of-scope question
REALISTIC = ("dev_real", "real_")   # sets of messages as real users write them (long, Hinglish, SMS-speak)
REALISTIC_WEIGHT = 3.0
RULED = ("off_topic", "partial")     # outcomes a rule decides before the calibrated model is asked


def normalise(text: str) -> str:
    """The shared scorer's normalisation (shared/tools/eval_questions.py)."""
    text = unicodedata.normalize("NFKC", text).lower().translate(DEVANAGARI_DIGITS)
    text = re.sub(r"(?<=\d),(?=\d)", "", text).replace("₹", " ").replace("rs.", " ")
    text = re.sub(r"\blakhs\b", "lakh", re.sub(r"\blacs?\b", "lakh", text))
    return re.sub(r"\s+", " ", text)


def holds(text: str, expect: list[list[str]]) -> bool:
    answer = normalise(text)
    return all(any(normalise(alt) in answer for alt in group) for group in expect)


@dataclass
class Sample:
    set: str
    question: str
    oos: bool
    feats: tuple[float, ...]
    top: float
    right: list[bool]          # per match, best first: does its answer hold the expected facts?
    ruled: bool = False        # declined by a rule whatever the model says (off-topic words, a partial answer)


HELD_OUT = "fresh_"   # our sets written to check the bot, never to fit it: reported, not calibrated on


def question_sets() -> list[Path]:
    own = sorted((ROOT / "tests" / "data").glob("*.yaml"))
    shared = sorted(SHARED.glob("*.yaml")) if SHARED.is_dir() else []
    return own + shared


def calibration_sets() -> list[Path]:
    return [p for p in question_sets() if not p.name.startswith(HELD_OUT)]


def load_items(path: Path) -> list[dict]:
    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(items, list):
        return []
    return [i for i in items if isinstance(i, dict) and "q" in i and "turns" not in i
            and not (i.get("kind") or i.get("expect_kind")) and (i.get("expect") or i.get("out_of_scope"))]


def samples(engine: AnswerEngine, paths: list[Path]) -> list[Sample]:
    out: list[Sample] = []
    for path in paths:
        for item in load_items(path):
            q = str(item["q"])
            query, matches = engine.analyse(q)
            lang = "hi" if re.search("[\u0900-\u097F]", q) else "en"
            oos = bool(item.get("out_of_scope"))
            right = [False if oos else holds(engine.render(m.entry, lang), item["expect"]) for m in matches[:3]]
            ruled = engine.ask(q).kind in RULED
            out.append(Sample(path.name, q, oos, features(engine.index, query, matches),
                              matches[0].score if matches else 0.0, right, ruled))
    return out


def weight(s: Sample) -> float:
    """Messages written the way real users write count more than our short, clean ones."""
    return REALISTIC_WEIGHT if s.set.startswith(REALISTIC) else 1.0


def fit(data: list[Sample], l2: float = 0.01, steps: int = 3000, rate: float = 1.0) -> tuple[float, list[float]]:
    """Weighted logistic regression of "the best entry is right", by gradient descent on standardised features."""
    n = len(FEATURES)
    mean = [sum(s.feats[k] for s in data) / len(data) for k in range(n)]
    std = [max(1e-6, math.sqrt(sum((s.feats[k] - mean[k]) ** 2 for s in data) / len(data))) for k in range(n)]
    xs = [[(s.feats[k] - mean[k]) / std[k] for k in range(n)] for s in data]
    ys = [1.0 if (s.right and s.right[0]) else 0.0 for s in data]
    ws = [weight(s) for s in data]
    total = sum(ws)
    bias, w = 0.0, [0.0] * n
    for _ in range(steps):
        gb, gw = 0.0, [0.0] * n
        for x, y, sw in zip(xs, ys, ws):
            z = bias + sum(wi * xi for wi, xi in zip(w, x))
            err = sw * (1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z)))) - y)
            gb += err
            for k in range(n):
                gw[k] += err * x[k]
        bias -= rate * gb / total
        w = [wi - rate * (g / total + l2 * wi) for wi, g in zip(w, gw)]
    # Back to the raw features the engine computes.
    raw = [w[k] / std[k] for k in range(n)]
    return bias - sum(raw[k] * mean[k] for k in range(n)), raw


def cost(s: Sample, p: float, answer_at: float, suggest_at: float) -> float:
    if p >= answer_at:
        if s.oos:
            return COST_WRONG
        if s.right[0]:
            return 0.0
        return COST_WRONG_SEE_ALSO if any(s.right) else COST_WRONG
    if p >= suggest_at:
        if s.oos:
            return COST_OOS_SUGGEST
        if s.right and s.right[0]:
            return COST_SUGGEST_FIRST
        return COST_SUGGEST_OTHER if any(s.right) else COST_SUGGEST_NONE
    return 0.0 if s.oos else COST_DECLINE


def calibrate(data: list[Sample]) -> Decision:
    # A question a rule declines whatever the model says teaches the model nothing and costs nothing.
    data = [s for s in data if not s.ruled]
    bias, w = fit(data)
    model = Decision(bias, tuple(w), 0.5, 0.3)
    probs = [model.probability(s.feats) for s in data]
    best: tuple[float, float, float] | None = None
    for a in [x / 100 for x in range(30, 100)]:
        for g in [x / 100 for x in range(2, int(a * 100), 2)]:
            total = sum(weight(s) * cost(s, p, a, g) for s, p in zip(data, probs))
            if best is None or total < best[0] - 1e-9:
                best = (total, a, g)
    assert best is not None
    return Decision(round(bias, 4), tuple(round(x, 4) for x in w), best[1], best[2])


def conversation_turns(engine: AnswerEngine, path: Path) -> list[tuple[dict, Outcome | None, str]]:
    """Every labelled turn of a conversation file with the outcome and text the dialogue gave it (each
    conversation a new user, as `exportbot ask --json --dialog -` plays them)."""
    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    out: list[tuple[dict, Outcome | None, str]] = []
    for conversation in items if isinstance(items, list) else []:
        if not isinstance(conversation, dict) or "turns" not in conversation:
            continue
        dialogue, state = Dialogue(engine, clock=lambda: 0.0), UserState()
        for item in conversation["turns"]:
            turn = dialogue.handle(state, Incoming("text", str(item["q"])))
            state = turn.state
            if item.get("expect") or item.get("out_of_scope"):
                out.append((item, turn.outcome, "\n\n".join(r.text for r in turn.replies)))
    return out


def table(engine: AnswerEngine, paths: list[Path]) -> str:
    rows = ["| set | in scope | right | wrong | did-you-mean, right first | did-you-mean, other | declined "
            "| out of scope | declined | answered |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for path in paths:
        results = [(item, o, o.text) for item in load_items(path) for o in [engine.ask(str(item["q"]))]]
        results = results or conversation_turns(engine, path)
        if not results:
            continue
        c = dict.fromkeys(("in", "right", "wrong", "dym1", "dym", "decl", "oos", "oos_decl", "oos_ans"), 0)
        for item, o, text in results:
            matched = o is not None and o.matched
            if item.get("out_of_scope"):
                c["oos"] += 1
                c["oos_ans" if matched else "oos_decl"] += 1
                continue
            c["in"] += 1
            if matched:
                c["right" if holds(text, item["expect"]) else "wrong"] += 1
            elif o is not None and o.kind == "suggest":
                first = o.suggestions[0] if o.suggestions else None
                ok = first is not None and holds(engine.render(first, o.lang), item["expect"])
                c["dym1" if ok else "dym"] += 1
            else:
                c["decl"] += 1
        pct = lambda k, n: f"{c[k]} ({100 * c[k] / n:.0f} %)" if n else "–"  # noqa: E731
        rows.append(f"| {path.name} | {c['in']} | {pct('right', c['in'])} | {pct('wrong', c['in'])} "
                    f"| {pct('dym1', c['in'])} | {pct('dym', c['in'])} | {pct('decl', c['in'])} "
                    f"| {c['oos']} | {pct('oos_decl', c['oos'])} | {pct('oos_ans', c['oos'])} |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibrate", action="store_true", help="fit the decision and write bot/core/calibration.json")
    parser.add_argument("--write-doc", action="store_true", help="also rewrite the table in docs/answer-quality.md")
    args = parser.parse_args()
    kb = load_knowledge(ROOT / "knowledge")
    # Calibrating starts from a neutral decision, so a calibration file of other features is no obstacle.
    engine = AnswerEngine(kb, decision=Decision(0.0, (0.0,) * len(FEATURES), 0.5, 0.3) if args.calibrate else None)
    paths = question_sets()
    if args.calibrate:
        decision = calibrate(samples(engine, calibration_sets()))
        CALIBRATION.write_text(json.dumps({"features": list(FEATURES), "bias": decision.bias,
                                           "weights": list(decision.weights), "answer_at": decision.answer_at,
                                           "suggest_at": decision.suggest_at}, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {CALIBRATION.relative_to(ROOT)}: {decision}")
        engine = AnswerEngine(kb, decision=decision)
    text = table(engine, paths)
    print(text)
    if args.write_doc or args.calibrate:
        doc = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
        start, end = "<!-- table -->", "<!-- /table -->"
        if start in doc and end in doc:
            doc = doc[:doc.index(start) + len(start)] + "\n" + text + "\n" + doc[doc.index(end):]
            DOC.write_text(doc, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
