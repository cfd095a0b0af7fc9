"""Reports for district staff: what users asked and did not get, and how the bot is used.

Plain functions over the store's rows, so the command line, Telegram and a
later browser console print the same numbers. ``districts`` is the reader's
scope: None for a state admin (everything), else the district ids they serve.
"""
from __future__ import annotations

import csv
import io
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from rapidfuzz import fuzz, process

from ..core.answers import AnswerEngine
from ..core.entities import KnowledgeBase
from ..core.normalise import normalise

NEAR_DUPLICATE = 85          # rapidfuzz token_set_ratio at or above which two questions are one group
KIND_LABEL = {"declined": "declined", "unpicked": "did-you-mean not picked", "thumbs_down": "👎"}


@dataclass(frozen=True)
class Asked:
    id: int
    text: str
    lang: str
    channel: str
    district: str | None
    kind: str                      # declined | unpicked | thumbs_down
    note: str | None
    entry_id: str | None
    asked_at: float


@dataclass(frozen=True)
class Group:
    items: tuple[Asked, ...]
    closest: tuple[tuple[str, float], ...] = ()     # (entry id, score), best first

    @property
    def key(self) -> int:
        """A stable handle for buttons: the id of the group's first question."""
        return min(a.id for a in self.items)

    @property
    def text(self) -> str:
        return Counter(a.text.strip() for a in self.items).most_common(1)[0][0]

    @property
    def count(self) -> int:
        return len(self.items)

    def tally(self, attr: str) -> list[tuple[str, int]]:
        return Counter(getattr(a, attr) or "-" for a in self.items).most_common()

    @property
    def variants(self) -> list[str]:
        return [t for t in dict.fromkeys(a.text.strip() for a in self.items) if t != self.text]

    @property
    def notes(self) -> list[str]:
        return [n for n in dict.fromkeys(a.note for a in self.items if a.note)]


@dataclass(frozen=True)
class UnansweredReport:
    since: float
    districts: frozenset[str] | None
    groups: tuple[Group, ...]
    todo: tuple[dict[str, Any], ...] = ()
    waiting: tuple[dict[str, Any], ...] = ()          # hand-offs nobody has answered yet
    now: float = field(default_factory=time.time)


def kind_of(row: dict[str, Any]) -> str:
    if row.get("feedback") == 0:
        return "thumbs_down"
    if row["outcome"] == "suggest":
        return "unpicked"
    return "declined"


def group_questions(items: Sequence[Asked], threshold: int = NEAR_DUPLICATE) -> list[list[Asked]]:
    """Near-duplicate questions together (same words in any order, a word more or less, typos), biggest first."""
    by_text: dict[str, list[Asked]] = {}
    for a in items:
        by_text.setdefault(normalise(a.text) or a.text.strip().lower(), []).append(a)
    groups: list[list[Asked]] = []
    heads: list[str] = []
    for text, same in sorted(by_text.items(), key=lambda kv: (-len(kv[1]), kv[1][0].id)):
        found = process.extractOne(text, heads, scorer=fuzz.token_set_ratio, score_cutoff=threshold) if heads else None
        if found is not None and _similar_length(text, found[0]):
            groups[found[2]].extend(same)
        else:
            heads.append(text)
            groups.append(list(same))
    groups.sort(key=lambda g: (-len(g), min(a.id for a in g)))
    return groups


def _similar_length(a: str, b: str) -> bool:
    """token_set_ratio calls 'iec' and 'iec camp date in agra' the same; a group wants comparable questions."""
    wa, wb = len(a.split()), len(b.split())
    return min(wa, wb) / max(wa, wb) >= 0.5


def closest_entries(engine: AnswerEngine, text: str, limit: int = 3) -> tuple[tuple[str, float], ...]:
    _, matches = engine.index.rank(text, limit=limit)
    return tuple((m.entry.id, round(m.score, 3)) for m in matches if m.score > 0)


async def unanswered(store: Any, engine: AnswerEngine, since: float,
                     districts: frozenset[str] | None = None) -> UnansweredReport:
    rows = await store.asked(since, districts, problems_only=True)
    items = [Asked(r["id"], r["text"], r["lang"], r["channel"], r["district"], kind_of(r), r["note"], r["entry_id"],
                   r["asked_at"]) for r in rows]
    groups = tuple(Group(tuple(g), closest_entries(engine, g[0].text)) for g in group_questions(items))
    todo = tuple(await store.todo_list(districts))
    waiting = tuple(await store.handoffs(status="open", districts=districts))
    return UnansweredReport(since, districts, groups, todo, waiting, now=store.clock())


def find_group(report: UnansweredReport, key: int) -> Group | None:
    return next((g for g in report.groups if g.key == key or any(a.id == key for a in g.items)), None)


def find_text(report: UnansweredReport, text: str) -> Group | None:
    """The group a question belongs to (same words, or near enough to the group's question)."""
    wanted = normalise(text)
    for g in report.groups:
        if any(normalise(a.text) == wanted for a in g.items):
            return g
    for g in report.groups:
        near = normalise(g.text)
        if fuzz.token_set_ratio(wanted, near) >= NEAR_DUPLICATE and _similar_length(wanted, near):
            return g
    return None


def _district_names(kb: KnowledgeBase, tally: Iterable[tuple[str, int]]) -> str:
    return ", ".join(f"{kb.districts[d].name.en if d in kb.districts else '(not set)'} {n}" for d, n in tally)


def _title(kb: KnowledgeBase, entry_id: str) -> str:
    entry = kb.entries.get(entry_id)
    return entry.title.en if entry else entry_id


def _ago(now: float, then: float) -> str:
    hours = (now - then) / 3600
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.0f} days"


def unanswered_text(report: UnansweredReport, kb: KnowledgeBase, limit: int = 10) -> str:
    days = max(1, round((report.now - report.since) / 86400))
    scope = "all districts" if report.districts is None else _district_names(kb, ((d, 0) for d in sorted(
        report.districts))).replace(" 0", "")
    total = sum(g.count for g in report.groups)
    lines = [f"Not answered, last {days} days ({scope}): {total} question(s) in {len(report.groups)} group(s)"]
    if not report.groups:
        lines.append("Nothing: every question got an answer nobody marked 👎.")
    for i, g in enumerate(report.groups[:limit], 1):
        kinds = ", ".join(f"{KIND_LABEL[k]} {n}" for k, n in g.tally("kind"))
        lines.append(f"{i}. \"{g.text}\" ×{g.count} ({kinds}) · {_district_names(kb, g.tally('district'))} · "
                     + ", ".join(f"{lang} {n}" for lang, n in g.tally("lang")))
        if g.variants:
            lines.append("   also: " + "; ".join(f"\"{v}\"" for v in g.variants[:3]))
        if g.notes:
            lines.append("   looking for: " + "; ".join(f"\"{n}\"" for n in g.notes[:3]))
        if g.closest:
            lines.append("   closest: " + "; ".join(f"{e} ({_title(kb, e)})" for e, _ in g.closest))
    if len(report.groups) > limit:
        lines.append(f"... and {len(report.groups) - limit} more group(s) (exportbot report unanswered --csv FILE)")
    if report.todo:
        lines.append("To do (needs a new answer):")
        lines += [f"   #{t['id']} \"{t['question']}\" ×{t['count']}" for t in report.todo]
    if report.waiting:
        lines.append("Waiting for the district office (hand-offs):")
        lines += [f"   #{h['id']} {_district_names(kb, [(h['district'], 1)]).removesuffix(' 1')}, "
                  f"{_ago(report.now, h['created_at'])} ago: \"{h['question']}\"" for h in report.waiting]
    return "\n".join(lines)


CSV_FIELDS = ("type", "number", "question", "count", "declined", "unpicked", "thumbs_down", "districts", "languages",
              "channels", "looking_for", "closest_entries", "variants", "first_asked", "last_asked")


def unanswered_csv(report: UnansweredReport, kb: KnowledgeBase) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_FIELDS)
    writer.writeheader()
    for i, g in enumerate(report.groups, 1):
        kinds = dict(g.tally("kind"))
        writer.writerow({
            "type": "group", "number": i, "question": g.text, "count": g.count,
            "declined": kinds.get("declined", 0), "unpicked": kinds.get("unpicked", 0),
            "thumbs_down": kinds.get("thumbs_down", 0),
            "districts": "; ".join(f"{d} {n}" for d, n in g.tally("district")),
            "languages": "; ".join(f"{lang} {n}" for lang, n in g.tally("lang")),
            "channels": "; ".join(f"{c} {n}" for c, n in g.tally("channel")),
            "looking_for": " | ".join(g.notes), "closest_entries": "; ".join(e for e, _ in g.closest),
            "variants": " | ".join(g.variants),
            "first_asked": _iso(min(a.asked_at for a in g.items)), "last_asked": _iso(max(a.asked_at for a in g.items)),
        })
    for t in report.todo:
        writer.writerow({"type": "todo", "number": t["id"], "question": t["question"], "count": t["count"],
                         "districts": t["district"] or "", "languages": t["lang"] or "",
                         "looking_for": t["note"] or "", "first_asked": _iso(t["created_at"])})
    for h in report.waiting:
        writer.writerow({"type": "handoff", "number": h["id"], "question": h["question"], "count": 1,
                         "districts": h["district"] or "", "languages": h["lang"], "channels": h["channel"],
                         "first_asked": _iso(h["created_at"])})
    return out.getvalue()


def _iso(ts: float) -> str:
    from datetime import datetime

    from ..core.events import IST

    return datetime.fromtimestamp(ts, IST).strftime("%Y-%m-%d %H:%M")


def parse_since(text: str, now: float) -> float:
    """'7d', '24h', '30d' or a date '2027-01-01' -> a timestamp."""
    from datetime import datetime

    from ..core.events import IST

    text = text.strip().lower()
    if text[:-1].isdigit() and text[-1:] in ("d", "h"):
        return now - int(text[:-1]) * (86400 if text[-1] == "d" else 3600)
    try:
        return datetime.fromisoformat(text).replace(tzinfo=IST).timestamp()
    except ValueError:
        raise ValueError(f"'{text}' is not like 7d, 24h or 2027-01-01") from None


# ---------------------------------------------------------------- usage, for a district meeting

DECLINED = ("refuse", "off_topic")


@dataclass(frozen=True)
class Usage:
    since: float
    now: float
    districts: frozenset[str] | None
    per_day: tuple[tuple[str, int, int], ...]              # (YYYY-MM-DD in IST, questions, declined)
    per_district: tuple[tuple[str, int], ...]
    per_language: tuple[tuple[str, int], ...]
    top_entries: tuple[tuple[str, int], ...]
    helpful: int
    not_helpful: int
    handoffs: int
    handoffs_answered: int
    answer_hours: float | None                             # median time to a staff answer

    @property
    def questions(self) -> int:
        return sum(n for _, n, _ in self.per_day)

    @property
    def declined(self) -> int:
        return sum(d for _, _, d in self.per_day)

    @property
    def decline_rate(self) -> float:
        return self.declined / self.questions if self.questions else 0.0


async def usage(store: Any, since: float, districts: frozenset[str] | None = None) -> Usage:
    from datetime import datetime, timedelta

    from ..core.events import IST

    now = store.clock()
    rows = await store.asked(since, districts)
    days: dict[str, list[int]] = {}
    day = datetime.fromtimestamp(since, IST).date()
    last = datetime.fromtimestamp(now, IST).date()
    while day <= last:
        days[day.isoformat()] = [0, 0]
        day += timedelta(days=1)
    for r in rows:
        key = datetime.fromtimestamp(r["asked_at"], IST).date().isoformat()
        counts = days.setdefault(key, [0, 0])
        counts[0] += 1
        counts[1] += r["outcome"] in DECLINED
    handoffs = await store.handoffs(since=since, districts=districts)
    answered = [h for h in handoffs if h["status"] == "answered" and h["answered_at"]]
    waits = sorted((h["answered_at"] - h["created_at"]) / 3600 for h in answered)
    median = waits[len(waits) // 2] if waits else None
    return Usage(
        since, now, districts,
        tuple((d, c[0], c[1]) for d, c in sorted(days.items())),
        tuple(Counter(r["district"] or "-" for r in rows).most_common()),
        tuple(Counter(r["lang"] for r in rows).most_common()),
        tuple(Counter(r["entry_id"] for r in rows if r["entry_id"] and r["outcome"] not in DECLINED).most_common(10)),
        sum(r["feedback"] == 1 for r in rows), sum(r["feedback"] == 0 for r in rows),
        len(handoffs), len(answered), median)


def usage_text(u: Usage, kb: KnowledgeBase) -> str:
    scope = "all districts" if u.districts is None else ", ".join(
        kb.districts[d].name.en if d in kb.districts else d for d in sorted(u.districts))
    busiest = max(u.per_day, key=lambda d: d[1]) if u.per_day else None
    lines = [
        f"Usage {_iso(u.since)[:10]} to {_iso(u.now)[:10]} ({scope})",
        f"Questions: {u.questions}; declined {u.declined} ({100 * u.decline_rate:.0f}%)"
        + (f"; busiest day {busiest[0]} ({busiest[1]})" if busiest and busiest[1] else ""),
        "By district: " + (_district_names(kb, u.per_district[:10]) or "-"),
        "By language: " + (", ".join(f"{lang} {n}" for lang, n in u.per_language) or "-"),
        "Top answers: " + (", ".join(f"{e} {n}" for e, n in u.top_entries[:5]) or "-"),
        f"Feedback: 👍 {u.helpful} · 👎 {u.not_helpful}",
        f"Hand-offs: {u.handoffs}, answered {u.handoffs_answered}"
        + (f", median {u.answer_hours:.1f} h to answer" if u.answer_hours is not None else ""),
    ]
    return "\n".join(lines)


def usage_csv(u: Usage) -> str:
    """One table: section, name, count, declined (per day, per district, per language, top entries, totals)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("section", "name", "count", "declined"))
    for day, n, d in u.per_day:
        writer.writerow(("day", day, n, d))
    for name, n in u.per_district:
        writer.writerow(("district", name, n, ""))
    for name, n in u.per_language:
        writer.writerow(("language", name, n, ""))
    for name, n in u.top_entries:
        writer.writerow(("entry", name, n, ""))
    writer.writerow(("total", "questions", u.questions, u.declined))
    writer.writerow(("feedback", "helpful", u.helpful, ""))
    writer.writerow(("feedback", "not_helpful", u.not_helpful, ""))
    writer.writerow(("handoffs", "opened", u.handoffs, ""))
    writer.writerow(("handoffs", "answered", u.handoffs_answered, ""))
    if u.answer_hours is not None:
        writer.writerow(("handoffs", "median_hours_to_answer", f"{u.answer_hours:.2f}", ""))
    return out.getvalue()
