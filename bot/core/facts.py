"""Facts written once: an amount, a share, a cap or a date lives in knowledge/facts.yaml, and every
answer that shows it writes ``{{fact-id}}`` where the value goes.

A clerk who changes a cap changes it in one place and every answer, in both languages, follows; a
placeholder naming no fact is a problem with its file and line, like any other mistake.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import replace
from typing import Any, Mapping

from .entities import REVIEW_FIELDS, Entry, Problem, Review, Text
from .yamlmarks import MarkedDict, MarkedList

PLACEHOLDER = re.compile(r"\{\{\s*([a-z0-9]+(?:-[a-z0-9]+)*)\s*\}\}")


def read_facts(value: Any, line: int, facts: dict[str, Text], ids: dict[str, str], shown: str, check: Any,
               reviews: list[Review]) -> None:
    """Read the `facts:` section: a list of `{id, value: {en, hi}, source}`."""
    if not isinstance(value, MarkedList):
        check.add(line, "section 'facts' must be a list of facts, each starting with '- id: ...'")
        return
    for i, item in enumerate(value):
        item_line = value.item_lines[i]
        if not isinstance(item, MarkedDict):
            check.add(item_line, f"fact {i + 1} must be a block of fields (id: ..., value: ..., source: ...)")
            continue
        check.fields(item, f"fact {i + 1}", ("id", "value", "source", "note", *REVIEW_FIELDS), ("id", "value", "source"))
        ident = check.ident(item, "id", "fact")
        text = check.text(item, "value", f"fact '{ident or i + 1}'")
        check.string(item, "source", f"fact '{ident or i + 1}'")
        if ident is None or text is None:
            continue
        if ident in facts:
            check.add(item_line, f"fact '{ident}' is written twice (also at {ids.get('fact:' + ident)}); "
                                 "each fact lives in one place")
            continue
        for lang, val in (("en", text.en), ("hi", text.hi)):
            if PLACEHOLDER.search(val):
                check.add(item_line, f"fact '{ident}' ({lang}) holds a placeholder; write the value itself")
        facts[ident] = text
        reviews.extend(check.review_dates(item, f"fact '{ident}'", f"fact '{ident}'"))
        ids["fact:" + ident] = f"{shown}:{item_line}"


def fill_facts(entries: dict[str, Entry], facts: Mapping[str, Text], problems: list[Problem]) -> dict[str, Entry]:
    """Every ``{{fact-id}}`` in an entry's title and answer replaced by the fact's value in that language.

    An amount of a fact typed out instead of its placeholder is a copy that will drift: it is a problem too.
    """
    amounts = {ident: fact for ident, fact in facts.items() if "₹" in fact.en}
    out: dict[str, Entry] = {}
    for key, entry in entries.items():
        fields = {}
        for name in ("title", "answer"):
            text: Text = getattr(entry, name)
            for ident, fact in amounts.items():
                for lang, typed, val in (("en", text.en, fact.en), ("hi", text.hi, fact.hi)):
                    if val and val in typed:
                        file, _, line = (entry.location or "?:0").rpartition(":")
                        problems.append(Problem(file or "?", int(line) if line.isdigit() else 0,
                                                f"{entry.id}: {name} ({lang}) types out '{val}', the value of fact "
                                                f"'{ident}' (facts.yaml); write {{{{{ident}}}}} instead, so the two "
                                                "cannot disagree"))
            if "{{" not in text.en and "{{" not in text.hi:
                continue
            fields[name] = Text(_fill(text.en, "en", entry, name, facts, problems),
                                _fill(text.hi, "hi", entry, name, facts, problems))
        out[key] = replace(entry, **fields) if fields else entry
    return out


def _fill(text: str, lang: str, entry: Entry, field: str, facts: Mapping[str, Text], problems: list[Problem]) -> str:
    def value(m: re.Match[str]) -> str:
        ident = m.group(1)
        fact = facts.get(ident)
        if fact is not None:
            return fact.get(lang)
        close = difflib.get_close_matches(ident, list(facts), n=1, cutoff=0.6)
        hint = f" (did you mean '{{{{{close[0]}}}}}'?)" if close else " (facts live in facts.yaml)"
        file, _, line = (entry.location or "?:0").rpartition(":")
        problems.append(Problem(file or "?", int(line) if line.isdigit() else 0,
                                f"{entry.id}: {field} ({lang}) names the fact '{ident}', which is not written "
                                f"anywhere{hint}"))
        return m.group(0)
    filled = PLACEHOLDER.sub(value, text)
    if "{{" in filled and not PLACEHOLDER.search(filled):
        file, _, line = (entry.location or "?:0").rpartition(":")
        if "{{" in PLACEHOLDER.sub("", text):
            problems.append(Problem(file or "?", int(line) if line.isdigit() else 0,
                                    f"{entry.id}: {field} ({lang}) has '{{{{' without a fact id and '}}}}'"))
    return filled
