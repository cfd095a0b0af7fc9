"""Texts of the admin reports (/stats, /unanswered, /reload): plain functions over plain data."""
from __future__ import annotations

from typing import Any, Sequence

from ..core.entities import KnowledgeBase, Problem

MAX_PROBLEMS_SHOWN = 30


def format_stats(stats: dict[str, Any], kb: KnowledgeBase) -> str:
    def district(d: str | None) -> str:
        return kb.districts[d].name.en if d in kb.districts else "(not set)"

    asked = stats["questions_week"]
    refused = stats["refused_week"]
    rate = f"{100 * refused / asked:.0f}%" if asked else "-"
    lines = [
        f"Users: {stats['users']}",
        "By language: " + (", ".join(f"{lang or '(not set)'} {n}" for lang, n in stats["by_lang"]) or "-"),
        "By district: " + (", ".join(f"{district(d)} {n}" for d, n in stats["by_district"][:15]) or "-"),
        f"Questions today: {stats['questions_today']}; last 7 days: {asked}",
        f"Not answered (last 7 days): {refused} ({rate})",
        f"Feedback: 👍 {stats['helpful']} · 👎 {stats['not_helpful']}",
    ]
    return "\n".join(lines)


def format_unanswered(rows: Sequence[tuple[str, int]]) -> str:
    if not rows:
        return "No unanswered questions in the last 7 days."
    lines = ["Most frequent unanswered questions (last 7 days):"]
    lines += [f"{i}. {q} ({n}×)" for i, (q, n) in enumerate(rows, 1)]
    return "\n".join(lines)


def format_reload(problems: Sequence[Problem], kb: KnowledgeBase) -> str:
    if not problems:
        counts = kb.counts()
        return "Knowledge base reloaded: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    shown = [str(p) for p in problems[:MAX_PROBLEMS_SHOWN]]
    more = len(problems) - len(shown)
    tail = [f"... and {more} more"] if more > 0 else []
    return "\n".join([f"Reload refused: {len(problems)} problem(s). The previous knowledge base stays live.", *shown, *tail])
