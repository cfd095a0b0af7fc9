"""Scores the bot on our own question sets (tests/data/), written apart from the shared dev set, in English,
Hinglish and Hindi, single messages and conversations. A drop below the floor means a change made answers worse."""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from bot.core.dialogue import Dialogue, Incoming, UserState

DATA = Path(__file__).parent / "data"
DEVANAGARI_DIGITS = str.maketrans("०१२३४५६७८९", "0123456789")


def normalise(text: str) -> str:
    """The scorer's normalisation (shared/tools/eval_questions.py)."""
    text = unicodedata.normalize("NFKC", text).lower().translate(DEVANAGARI_DIGITS)
    text = re.sub(r"(?<=\d),(?=\d)", "", text).replace("₹", " ").replace("rs.", " ")
    text = re.sub(r"\blakhs\b", "lakh", re.sub(r"\blacs?\b", "lakh", text))
    return re.sub(r"\s+", " ", text)


def passes(item: dict, outcome) -> bool:
    if item.get("out_of_scope"):
        return not outcome.matched
    answer = normalise(outcome.text)
    return outcome.matched and all(any(normalise(alt) in answer for alt in group) for group in item["expect"])


@pytest.mark.parametrize("name, floor", [("extra_questions.yaml", 0.97), ("hindi_hinglish_questions.yaml", 0.96),
                                         ("blind_questions.yaml", 0.97), ("real_messages.yaml", 0.9),
                                         ("fresh_messages.yaml", 0.97), ("fresh_messages_b.yaml", 0.97),
                                         ("fresh_messages_d.yaml", 0.97), ("fresh_messages_e.yaml", 0.94),
                                         ("fresh_messages_c.yaml", 0.97), ("fresh_messages_f.yaml", 0.97),
                                         ("fresh_messages_g.yaml", 0.97), ("fresh_messages_h.yaml", 0.95),
                                         ("fresh_messages_i.yaml", 0.94)])
def test_question_set(engine, name, floor):
    items = [i for i in yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
             if not (i.get("kind") or i.get("expect_kind"))]        # small talk is scored by the dialogue
    results = {"in": [], "out": []}
    for item in items:
        results["out" if item.get("out_of_scope") else "in"].append(passes(item, engine.ask(item["q"])))
    in_rate = sum(results["in"]) / len(results["in"])
    assert len(items) >= 25
    assert all(results["out"]), "an out-of-scope question was answered"
    assert in_rate >= floor, f"in-scope {in_rate:.1%}"


@pytest.mark.parametrize("name, floor", [("real_conversations.yaml", 0.95), ("fresh_conversations.yaml", 0.97),
                                         ("fresh_conversations_b.yaml", 0.96), ("fresh_conversations_d.yaml", 0.96),
                                         ("fresh_conversations_e.yaml", 0.96), ("fresh_conversations_c.yaml", 0.96),
                                         ("fresh_conversations_g.yaml", 0.94), ("fresh_conversations_h.yaml", 0.96),
                                         ("fresh_conversations_i.yaml", 0.85)])
def test_conversation_set(engine, name, floor):
    """Every turn of every conversation, each conversation a new user, through the dialogue (follow-ups,
    small talk and language switches included)."""
    passed: list[bool] = []
    for conversation in yaml.safe_load((DATA / name).read_text(encoding="utf-8")):
        dialogue = Dialogue(engine, clock=lambda: 1_000_000.0)
        state = UserState()
        for item in conversation["turns"]:
            turn = dialogue.handle(state, Incoming("text", item["q"]))
            state = turn.state
            kind = item.get("kind") or item.get("expect_kind")
            if kind:
                assert turn.kind == kind, (item["q"], turn.kind)
                continue
            outcome = turn.outcome
            text = "\n\n".join(r.text for r in turn.replies)
            if item.get("out_of_scope"):
                assert not (outcome and outcome.matched), item["q"]
                continue
            passed.append(bool(outcome and outcome.matched) and all(
                any(normalise(alt) in normalise(text) for alt in group) for group in item["expect"]))
    rate = sum(passed) / len(passed)
    assert rate >= floor, f"turns right {rate:.1%}"
