"""Write a user's question into the knowledge files as an alias of an entry, touching nothing else.

ruamel.yaml reads the file in round-trip mode, which keeps comments and
records where every key and list item sits; the new alias is then inserted as
one line, copying the indentation and quoting of the alias above it. (Dumping
the whole file back through ruamel would re-flow long lines and flow-style
``{en: ..., hi: ...}`` maps, so every other line stays byte-identical only
this way.) The edited folder is validated before the edit is kept.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..core.entities import KnowledgeError, Problem
from ..core.knowledge import load_knowledge
from ..core.normalise import has_devanagari, normalise

HINGLISH = {"kya", "kaise", "kaisa", "hai", "hain", "me", "mein", "ka", "ki", "ke", "kitna", "kitni", "milta",
            "milega", "milegi", "kahan", "kaha", "kab", "kaun", "se", "par", "chahiye", "karna", "kare", "karen",
            "liye", "hota", "hoti", "nahi", "mujhe", "hum", "aur", "bhi", "wala", "wali", "batao", "bataye", "kon",
            "kese", "kaun", "paisa", "yojana", "maal", "bhejna", "bheje", "sakta", "sakte", "lena", "le"}


class AliasError(Exception):
    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or []


@dataclass(frozen=True)
class AliasEdit:
    file: Path
    line: int             # 1-based line of the new alias
    lang: str             # en | hi | hinglish
    text: str
    added: bool           # False: the entry already had this alias


def alias_language(question: str) -> str:
    if has_devanagari(question):
        return "hi"
    words = set(normalise(question).split())
    return "hinglish" if words & HINGLISH else "en"


def find_entry_file(knowledge_dir: Path, entry_id: str) -> Path | None:
    pattern = re.compile(rf"^\s*(-\s+)?id:\s*['\"]?{re.escape(entry_id)}['\"]?\s*(#.*)?$", re.M)
    for path in sorted(knowledge_dir.glob("*.yaml")):
        if pattern.search(path.read_text(encoding="utf-8")):
            return path
    return None


def _scalar(text: str, like: str, flow: bool = False) -> str:
    """The question as YAML, quoted like its neighbour when that is safe, else in double quotes (always quoted in a
    one-line ``[...]`` list)."""
    if like == "'" and "'" not in text:
        return f"'{text}'"
    if like != '"' and not flow:
        try:
            if yaml.safe_load(f"- {text}") == [text] and not text.startswith(("'", '"')):
                return text
        except yaml.YAMLError:
            pass
    return json.dumps(text, ensure_ascii=False)


def _entry(data: object, entry_id: str) -> CommentedMap | None:
    if not isinstance(data, CommentedMap):
        return None
    for section in data.values():
        if isinstance(section, CommentedSeq):
            for item in section:
                if isinstance(item, CommentedMap) and str(item.get("id")) == entry_id:
                    return item
    return None


def _insertion(lines: list[str], entry: CommentedMap, lang: str,
               question: str) -> tuple[int, list[str]] | tuple[int, list[str], int] | str:
    """(index to insert at, new lines[, how many old lines they replace]), or the reason it cannot be done."""
    aliases = entry.get("aliases")
    if aliases is None:
        anchor = next((k for k in ("keywords", "source") if k in entry), None)
        if anchor is None:
            return "the entry has no 'aliases', 'keywords' or 'source' field to place the alias near"
        at, col = entry.lc.key(anchor)
        pad = " " * col
        return at, [f"{pad}aliases:", f"{pad}  {lang}:", f"{pad}    - {_scalar(question, '')}"]
    if not isinstance(aliases, CommentedMap) or aliases.fa.flow_style():
        return "its aliases are written on one line; add the alias by hand (knowledge/README.md section 6)"
    seq = aliases.get(lang)
    if isinstance(seq, CommentedSeq) and seq.fa.flow_style():
        return _flow_insertion(lines, aliases, lang, seq, question)
    if isinstance(seq, CommentedSeq) and len(seq):
        line, col = seq.lc.item(len(seq) - 1)
        if lines[line][col:col + 1] in ("|", ">") or line + 1 < len(lines) and _continues(lines[line + 1], col):
            return "its last alias spans several lines; add the alias by hand"
        prefix = lines[line][:col]
        return line + 1, [prefix + _scalar(question, lines[line][col:col + 1])]
    # no list for this language yet: a new key after the last list, indented like its siblings
    keys = list(aliases)
    last = aliases[keys[-1]]
    key_line, key_col = aliases.lc.key(keys[-1])
    dash = 2
    if isinstance(last, CommentedSeq) and len(last) and not last.fa.flow_style():
        item_line, item_col = last.lc.item(len(last) - 1)
        dash = lines[item_line].index("-") - key_col
        end = item_line + 1
    else:
        end = key_line + 1
    if seq is not None:                 # an empty "hi: []" or "hi:" line: leave it and write the list below it
        return f"its '{lang}' list is empty or written on one line; add the alias by hand"
    return end, [f"{' ' * key_col}{lang}:", f"{' ' * (key_col + dash)}- {_scalar(question, '')}"]


def _flow_insertion(lines: list[str], aliases: CommentedMap, lang: str, seq: CommentedSeq,
                    question: str) -> tuple[int, list[str], int] | str:
    """A one-line list (``en: ["a", "b"]``): the same line with the question added before its closing bracket,
    quoted like the alias before it. (line index, [the new line], 1 line replaced), or why it cannot be done."""
    line, col = aliases.lc.value(lang)
    text = lines[line]
    if text[col:col + 1] != "[":
        return f"its '{lang}' aliases are not a plain list; add the alias by hand"
    if len(seq):
        item_line, item_col = seq.lc.item(len(seq) - 1)
        if item_line != line:
            return f"its '{lang}' list spans several lines; add the alias by hand"
        end = _scalar_end(text, item_col)
        like = text[item_col:item_col + 1]
        separator = ", "
    else:
        end, like, separator = col + 1, '"', ""
    rest = text[end:]
    if end < 0 or not rest.lstrip(" ").startswith("]"):
        return f"its '{lang}' list spans several lines; add the alias by hand"
    new = _scalar(question, like if like in ("'", '"') else '"', flow=True)
    return line, [text[:end] + separator + new + rest], 1


def _scalar_end(text: str, start: int) -> int:
    """Where a flow-list item that begins at ``start`` ends (-1 when it cannot be told)."""
    quote = text[start:start + 1]
    if quote == '"':
        i = start + 1
        while i < len(text):
            if text[i] == "\\":
                i += 2
                continue
            if text[i] == '"':
                return i + 1
            i += 1
        return -1
    if quote == "'":
        i = start + 1
        while i < len(text):
            if text[i] == "'":
                if text[i + 1:i + 2] == "'":
                    i += 2
                    continue
                return i + 1
            i += 1
        return -1
    m = re.compile(r"[^,\]]*").match(text, start)
    return len(m.group(0).rstrip(" ")) + start if m else -1


def _continues(line: str, col: int) -> bool:
    stripped = line.lstrip(" ")
    return bool(stripped) and len(line) - len(stripped) >= col and not stripped.startswith(("-", "#"))


def add_alias(knowledge_dir: Path, entry_id: str, question: str) -> AliasEdit:
    """Add ``question`` to ``entry_id``'s aliases in its YAML file; validate the folder; undo on any problem."""
    question = " ".join(question.split())
    if not question:
        raise AliasError("the question is empty")
    path = find_entry_file(knowledge_dir, entry_id)
    if path is None:
        raise AliasError(f"no entry with id '{entry_id}' in {knowledge_dir} (HS codes take product words: "
                         "add them under 'products:' by hand)")
    original = path.read_bytes()
    text = original.decode("utf-8")
    data = YAML(typ="rt").load(text)
    entry = _entry(data, entry_id)
    if entry is None:
        raise AliasError(f"entry '{entry_id}' not found in {path.name}")
    lang = alias_language(question)
    existing = entry.get("aliases") or {}
    known = {normalise(str(a)) for values in (existing.values() if isinstance(existing, dict) else [])
             for a in (values or [])}
    if normalise(question) in known:
        return AliasEdit(path, 0, lang, question, added=False)
    lines = text.split("\n")
    found = _insertion(lines, entry, lang, question)
    if isinstance(found, str):
        raise AliasError(f"{path.name}: entry '{entry_id}': {found}")
    at, new, replaced = found if len(found) == 3 else (*found, 0)
    edited = "\n".join(lines[:at] + new + lines[at + replaced:])
    staging = path.with_name(f".{path.name}.editing")
    staging.write_text(edited, encoding="utf-8")
    os.replace(staging, path)
    try:
        load_knowledge(knowledge_dir)
    except KnowledgeError as exc:
        path.write_bytes(original)
        raise AliasError(f"the edit would break the knowledge base; {path.name} is unchanged", exc.problems)
    return AliasEdit(path, at + len(new), lang, question, added=True)
