"""What changed between two copies of the knowledge base, for the person who reviews a clerk's edit.

Plain data in (each file's parsed YAML, by file name), a :class:`KnowledgeDiff` out, and its text. The
comparison is on the files as written, before facts are filled in: a changed fact is one change in
facts.yaml, not a change in every answer that shows it.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

from .validate import KIND_OF_KEY, NOUN

SHOWN_MAX = 60            # longer texts are reported as changed, with their lengths, not quoted
# The field that names an item in a list section, when it has no `id` (HS codes, glossary terms, staff).
NAME_FIELDS = ("id", "code", "term", "telegram_id")


@dataclass(frozen=True)
class Item:
    """An entry (or fact, synonym, source...) as it stands in one copy."""

    file: str
    line: int
    section: str             # the file's top-level key: schemes, facts, synonyms...
    key: str                 # its id (or code, term...)
    value: Any


@dataclass(frozen=True)
class Change:
    """One item added, removed or changed; ``details`` says which fields and how."""

    file: str
    line: int
    section: str
    key: str
    title: str = ""
    details: tuple[str, ...] = ()

    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True)
class KnowledgeDiff:
    added: tuple[Change, ...] = ()
    removed: tuple[Change, ...] = ()
    changed: tuple[Change, ...] = ()
    notes: tuple[str, ...] = field(default=())    # files that appeared or disappeared

    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.notes)


def diff_knowledge(old: Mapping[str, Any], new: Mapping[str, Any]) -> KnowledgeDiff:
    """Compare two knowledge bases given as {file name: parsed YAML}."""
    notes = [f"file added: {name}" for name in sorted(set(new) - set(old))]
    notes += [f"file removed: {name}" for name in sorted(set(old) - set(new))]
    before, after = _items(old), _items(new)
    added = tuple(_change(after[k]) for k in after if k not in before)
    removed = tuple(_change(before[k]) for k in before if k not in after)
    changed = []
    for k, item in after.items():
        if k in before and before[k].value != item.value:
            changed.append(_change(item, tuple(_fields(before[k].value, item.value))))
    return KnowledgeDiff(added, removed, tuple(changed), tuple(notes))


def _items(files: Mapping[str, Any]) -> dict[tuple[str, str], Item]:
    """Every item by (section, key): list sections by each item's id, mapping sections by their keys."""
    out: dict[tuple[str, str], Item] = {}
    for name in sorted(files):
        data = files[name]
        if not isinstance(data, dict):
            continue
        for section, value in data.items():
            lines = getattr(data, "key_lines", {})
            if isinstance(value, list):
                item_lines = getattr(value, "item_lines", [])
                for i, item in enumerate(value):
                    key = next((str(item[f]) for f in NAME_FIELDS if isinstance(item, dict) and item.get(f) is not None),
                               f"item {i + 1}")
                    line = item_lines[i] if i < len(item_lines) else 0
                    out[(section, key)] = Item(name, line, section, key, item)
            elif isinstance(value, dict):
                inner = getattr(value, "key_lines", {})
                for key, item in value.items():
                    out[(section, str(key))] = Item(name, inner.get(key, lines.get(section, 0)), section, str(key), item)
    return out


def _change(item: Item, details: tuple[str, ...] = ()) -> Change:
    return Change(item.file, item.line, item.section, item.key, _title(item.value), details)


def _title(value: Any) -> str:
    if not isinstance(value, dict):
        return _short(value) if not isinstance(value, list) else ", ".join(map(str, value[:6]))
    for name in ("title", "name", "value", "description", "expansion"):
        text = value.get(name)
        if isinstance(text, dict):
            return str(text.get("en") or "")
        if text is not None:
            return str(text)
    return ""


def _fields(old: Any, new: Any, path: str = "") -> Iterator[str]:
    """How ``old`` became ``new``, one line per field: texts per language, list items added and removed."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old) + [k for k in new if k not in old]:
            name = f"{path} ({key})" if path and str(key) in ("en", "hi", "hinglish") else \
                f"{path}.{key}" if path else str(key)
            if key not in new:
                yield f"{name} removed (was {_short(old[key])})"
            elif key not in old:
                yield f"{name} added: {_short(new[key])}"
            elif old[key] != new[key]:
                yield from _fields(old[key], new[key], name)
    elif isinstance(old, list) and isinstance(new, list) and all(not isinstance(v, (dict, list)) for v in old + new):
        gone = [v for v in old if v not in new]
        came = [v for v in new if v not in old]
        if came:
            yield f"{path or 'words'}: added " + ", ".join(_quote(v) for v in came)
        if gone:
            yield f"{path or 'words'}: removed " + ", ".join(_quote(v) for v in gone)
        if not came and not gone:
            yield f"{path or 'words'}: order changed"
    elif isinstance(old, list) and isinstance(new, list):
        yield f"{path or 'items'}: changed ({len(old)} → {len(new)} items)"
    elif isinstance(old, str) and isinstance(new, str) and max(len(old), len(new)) > SHOWN_MAX:
        yield from (f"{path}: {piece}" for piece in _text_changes(old, new))
    else:
        yield f"{path or 'value'}: {_short(old)} → {_short(new)}"


def _text_changes(old: str, new: str, context: int = 3, most: int = 4) -> list[str]:
    """The places where a long text changed, word by word, with a few words around each."""
    a, b = old.split(), new.split()
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        before, after = " ".join(a[max(0, i1 - context):i1]), " ".join(a[i2:i2 + context])
        lead = ("…" if i1 > context else "") + (before + " " if before else "")
        tail = (" " + after if after else "") + ("…" if i2 + context < len(a) else "")
        out.append(f'"{lead}[{" ".join(a[i1:i2]) or "+"} → {" ".join(b[j1:j2]) or "-"}]{tail}"')
    if not out:
        return ["line breaks or spacing changed"]
    return out[:most] + ([f"and {len(out) - most} more change(s)"] if len(out) > most else [])


def _quote(value: Any) -> str:
    return f'"{value}"'


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_short(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    text = " ".join(str(value).split())
    return _quote(text) if len(text) <= SHOWN_MAX else f"a text of {len(text)} characters"


SECTION_NAMES = {"facts": "Facts", "synonyms": "Synonyms", "sources": "Sources", "staff": "Staff",
                 "events": "Events"}


def render(diff: KnowledgeDiff, old_name: str, new_name: str) -> str:
    """The diff as text for a reviewer: entries first, then facts, synonyms and the other files."""
    if diff.empty():
        return f"No differences between {old_name} and {new_name}."
    out = [f"Knowledge changes from {old_name} to {new_name}:"]
    out += [f"  {note}" for note in diff.notes]
    groups = [("Entries", lambda c: c.section not in SECTION_NAMES)] + \
        [(title, lambda c, s=section: c.section == s) for section, title in SECTION_NAMES.items()]
    for title, belongs in groups:
        rows = [("+", c) for c in diff.added if belongs(c)] + [("-", c) for c in diff.removed if belongs(c)] + \
            [("*", c) for c in diff.changed if belongs(c)]
        if not rows:
            continue
        counts = [f"{n} {what}" for n, what in ((sum(m == "+" for m, _ in rows), "added"),
                                                (sum(m == "-" for m, _ in rows), "removed"),
                                                (sum(m == "*" for m, _ in rows), "changed")) if n]
        out.append(f"\n{title}: {', '.join(counts)}")
        for mark, c in rows:
            noun = NOUN.get(KIND_OF_KEY.get(c.section, ""), c.section)
            name = c.key if c.section in SECTION_NAMES else f"{noun} '{c.key}'"
            title_text = f" — {_clip(c.title)}" if c.title and mark != "*" else ""
            out.append(f"  {mark} {c.where()}: {name}{title_text}")
            out += [f"      {line}" for line in c.details]
    out.append("\n(+ added, - removed (line in the old copy), * changed (line in the new copy))")
    return "\n".join(out)


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SHOWN_MAX else text[: SHOWN_MAX - 1] + "…"
