"""An entry's (or a fact's) texts and aliases as a form, and the form written back into its YAML file.

ruamel.yaml reads the file in round-trip mode (comments, key order and
quoting kept); the changed values are set on it, keeping each value's style
(a ``|-`` block stays a block, a quoted text stays quoted), and the file is
dumped. Only the edited item's lines are then taken from the dump and put in
place of its old lines, so every line outside the item stays byte-identical
whatever ruamel would re-flow. The edited folder is checked in a staging copy
with the same validator as ``kb check``; each problem is given to the field it
is about (by its words, else by its line), and nothing is written while there
is one. The knowledge files stay the source of truth and stay hand-editable.
"""
from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import (DoubleQuotedScalarString, FoldedScalarString, LiteralScalarString,
                                      SingleQuotedScalarString)

from ..core.answers import AnswerEngine
from ..core.entities import Entry, KnowledgeBase, KnowledgeError, Problem
from ..core.facts import PLACEHOLDER
from ..core.knowledge import load_knowledge

TEXT_KEYS = ("title", "name", "short", "answer", "description", "exports", "expansion", "explanation", "authority",
             "value")
MULTILINE = ("answer", "exports", "explanation", "description")
ALIAS_LANGS = ("en", "hi", "hinglish")
FIELD_WORDS = re.compile(r"\b(" + "|".join(TEXT_KEYS) + r") \((en|hi)\)")
FIELD_NO_TEXT = re.compile(r"field '(\w+)' has no \w+ text \((en|hi)\)")
FIELD_DOTTED = re.compile(r"field '(\w+)\.(\w+)'")
FIELD_NAMED = re.compile(r"field '(\w+)'")


class EditError(Exception):
    """Why an item cannot be read or written; ``reason`` missing | unwritable | conflict (changed on disk)."""

    def __init__(self, message: str, reason: str = "missing", file: str = ""):
        super().__init__(message)
        self.reason = reason
        self.file = file


@dataclass(frozen=True)
class FormField:
    key: str            # answer.en, aliases.hinglish, value.hi
    name: str           # answer, aliases, value
    lang: str           # en | hi | hinglish
    value: str          # the text; aliases one per line
    multiline: bool


@dataclass(frozen=True)
class Form:
    item_id: str
    file: str
    section: str        # the file's section: topics, schemes, facts...
    fields: tuple[FormField, ...]
    facts: tuple[str, ...] = ()          # the facts the texts name ({{fact-id}})

    def value(self, key: str) -> str:
        return next((f.value for f in self.fields if f.key == key), "")


@dataclass
class EditResult:
    form: Form
    changed: bool = False
    written: bool = False
    problems: dict[str, list[str]] = field(default_factory=dict)     # field key -> messages beside it
    general: list[str] = field(default_factory=list)                 # problems that are about no one field
    preview: dict[str, str] = field(default_factory=dict)            # lang -> the answer as a phone shows it
    kb: KnowledgeBase | None = None                                   # the knowledge base with the edit (when clean)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.general


def _yaml(text: str) -> YAML:
    """A round-trip YAML whose dump indents sequences the way this file does."""
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 100000                     # never fold a long line
    first = re.search(r"^( *)- ", text, re.M)
    if first is not None and first.group(1) == "":
        y.indent(mapping=2, sequence=2, offset=0)
    else:
        y.indent(mapping=2, sequence=4, offset=2)
    return y


def _item_id(section: str, item: CommentedMap) -> str | None:
    if "id" in item:
        return str(item["id"])
    if section == "hs_codes" and "code" in item:
        return f"hs-{item['code']}"
    return None


def _locate(data: Any, item_id: str) -> tuple[str, int, CommentedMap] | None:
    if not isinstance(data, CommentedMap):
        return None
    for section, value in data.items():
        if isinstance(value, CommentedSeq):
            for i, item in enumerate(value):
                if isinstance(item, CommentedMap) and _item_id(section, item) == item_id:
                    return str(section), i, item
    return None


def find_file(knowledge_dir: Path, item_id: str, hint: str | None = None) -> Path | None:
    """The file holding the item: ``hint`` (an entry's location) when given, else found by its id line."""
    if hint:
        path = knowledge_dir / Path(hint.rpartition(":")[0] or hint).name
        if path.is_file():
            return path
    code = item_id.removeprefix("hs-")
    pattern = re.compile(rf"^\s*(-\s+)?(id:\s*['\"]?{re.escape(item_id)}|code:\s*['\"]?{re.escape(code)})['\"]?\s*(#.*)?$",
                         re.M)
    for path in sorted(knowledge_dir.glob("*.yaml")):
        if pattern.search(path.read_text(encoding="utf-8")):
            return path
    return None


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _form_of(path: Path, section: str, item: CommentedMap, item_id: str) -> Form:
    fields: list[FormField] = []
    for key in TEXT_KEYS:
        value = item.get(key)
        if isinstance(value, CommentedMap):
            for lang in ("en", "hi"):
                fields.append(FormField(f"{key}.{lang}", key, lang, _text(value.get(lang)).strip(), key in MULTILINE))
    if section != "facts" and ("aliases" in item or any(f.name in ("title", "name") for f in fields)):
        aliases = item.get("aliases")
        if isinstance(aliases, CommentedSeq):
            fields.append(FormField("aliases.all", "aliases", "", "\n".join(map(str, aliases)), True))
        else:
            aliases = aliases if isinstance(aliases, CommentedMap) else {}
            for lang in ALIAS_LANGS:
                fields.append(FormField(f"aliases.{lang}", "aliases", lang,
                                        "\n".join(str(a) for a in (aliases.get(lang) or [])), True))
    if "source" in item and not isinstance(item["source"], (CommentedMap, CommentedSeq)):
        fields.append(FormField("source", "source", "", _text(item["source"]).strip(), False))
    facts = tuple(dict.fromkeys(m.group(1) for f in fields if f.name in TEXT_KEYS
                                for m in PLACEHOLDER.finditer(f.value)))
    return Form(item_id, path.name, section, tuple(fields), facts)


def read_form(knowledge_dir: Path, item_id: str, hint: str | None = None) -> Form:
    path = find_file(knowledge_dir, item_id, hint)
    if path is None:
        raise EditError(f"no entry or fact '{item_id}' in {knowledge_dir}")
    text = path.read_text(encoding="utf-8")
    found = _locate(_yaml(text).load(text), item_id)
    if found is None:
        raise EditError(f"no entry or fact '{item_id}' in {path.name}")
    section, _, item = found
    return _form_of(path, section, item, item_id)


def _styled(old: Any, new: str) -> Any:
    if "\n" in new or isinstance(old, (LiteralScalarString, FoldedScalarString)):
        return LiteralScalarString(new)
    if isinstance(old, DoubleQuotedScalarString):
        return DoubleQuotedScalarString(new)
    if isinstance(old, SingleQuotedScalarString):
        return SingleQuotedScalarString(new)
    return new


# Characters a YAML file may not hold (control characters but tab and newline, lone surrogates, U+FFFE/U+FFFF):
# a form that carries them (pasted from a PDF or a word processor) loses them instead of failing.
UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")


def _clean(text: str, multiline: bool) -> str:
    text = UNWRITABLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    if not multiline:
        text = " ".join(text.split())
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


def _apply(item: CommentedMap, form: Form, values: Mapping[str, str]) -> bool:
    """Set the form's new values on the item; True when anything changed."""
    changed = False
    for f in form.fields:
        if f.key not in values:
            continue
        new = _clean(values[f.key], f.multiline)
        if new == f.value:
            continue
        changed = True
        if f.name == "aliases":
            wanted = [line.strip() for line in new.split("\n") if line.strip()]
            if f.key == "aliases.all":
                seq = item["aliases"]
            else:
                holder = item.get("aliases")
                if not isinstance(holder, CommentedMap):
                    holder = CommentedMap()
                    item["aliases"] = holder
                seq = holder.get(f.lang)
                if not isinstance(seq, CommentedSeq):
                    if not wanted:
                        continue
                    seq = CommentedSeq()
                    holder[f.lang] = seq
            kept = {str(a): a for a in seq}         # an unchanged alias keeps its quoting
            seq[:] = [kept.get(a, a) for a in wanted]
            if not wanted and f.key != "aliases.all":
                del item["aliases"][f.lang]
            continue
        if f.name == "source":
            item["source"] = _styled(item["source"], new)
            continue
        parent = item[f.name]
        if "\n" in new and parent.fa.flow_style():
            parent.fa.set_block_style()
        parent[f.lang] = _styled(parent.get(f.lang), new)
    return changed


def _region(data: CommentedMap, section: str, index: int, total_lines: int) -> tuple[int, int]:
    """The 0-based lines [start, end) of an item of a section, comments before the next item included."""
    seq = data[section]
    start = seq.lc.item(index)[0]
    if index + 1 < len(seq):
        return start, seq.lc.item(index + 1)[0]
    keys = list(data)
    at = keys.index(section)
    return start, data.lc.key(keys[at + 1])[0] if at + 1 < len(keys) else total_lines


def _splice(old_text: str, new_dump: str, section: str, index: int) -> str:
    old_lines, new_lines = old_text.split("\n"), new_dump.split("\n")
    old_data = YAML(typ="rt").load(old_text)
    new_data = YAML(typ="rt").load(new_dump)
    a, b = _region(old_data, section, index, len(old_lines))
    c, d = _region(new_data, section, index, len(new_lines))
    region = new_lines[c:d]
    if b == len(old_lines) and d == len(new_lines):        # the last item: the file's own ending is kept
        while region and region[-1] == "":
            region.pop()
        tail = old_lines[b:]
        trailing = []
        for line in reversed(old_lines[a:b]):
            if line != "":
                break
            trailing.append("")
        return "\n".join(old_lines[:a] + region + trailing + tail)
    return "\n".join(old_lines[:a] + region + old_lines[b:])


def _spans(item: CommentedMap) -> list[tuple[int, str]]:
    """(1-based line, field key) of every editable value of the item, in line order."""
    out: list[tuple[int, str]] = []
    for key in item:
        line = item.lc.key(key)[0] + 1
        value = item[key]
        if key in TEXT_KEYS and isinstance(value, CommentedMap):
            for lang in value:
                out.append((value.lc.key(lang)[0] + 1, f"{key}.{lang}"))
        elif key == "aliases" and isinstance(value, CommentedMap):
            for lang in value:
                out.append((value.lc.key(lang)[0] + 1, f"aliases.{lang}"))
        elif key == "aliases":
            out.append((line, "aliases.all"))
        else:
            out.append((line, str(key)))
    return sorted(out)


def _field_for(problem: Problem, form: Form, spans: list[tuple[int, str]], item_line: int) -> str | None:
    keys = {f.key for f in form.fields}
    message = problem.message
    for pattern in (FIELD_WORDS, FIELD_NO_TEXT, FIELD_DOTTED):
        m = pattern.search(message)
        if m and f"{m.group(1)}.{m.group(2)}" in keys:
            return f"{m.group(1)}.{m.group(2)}"
    m = FIELD_NAMED.search(message)
    if m:
        named = [k for k in keys if k == m.group(1) or k.startswith(m.group(1) + ".")]
        if named:
            return sorted(named)[0]
    if problem.line > item_line:
        before = [key for line, key in spans if line <= problem.line]
        if before and before[-1] in keys:
            return before[-1]
    return None


def edit(knowledge_dir: Path, item_id: str, values: Mapping[str, str], *, write: bool,
         hint: str | None = None) -> EditResult:
    """Check (and with ``write``, save) the form's values for an entry or a fact.

    The whole knowledge folder is validated in a staging copy first; the file is written only when there is no
    problem anywhere, atomically, and only if nobody changed it on disk meanwhile.
    """
    path = find_file(knowledge_dir, item_id, hint)
    if path is None:
        raise EditError(f"no entry or fact '{item_id}' in {knowledge_dir}")
    original = path.read_bytes()
    text = original.decode("utf-8")
    y = _yaml(text)
    data = y.load(text)
    found = _locate(data, item_id)
    if found is None:
        raise EditError(f"no entry or fact '{item_id}' in {path.name}")
    section, index, item = found
    form = _form_of(path, section, item, item_id)
    changed = _apply(item, form, values)
    if changed:
        out = io.StringIO()
        try:
            y.dump(data, out)
        except YAMLError as exc:
            raise EditError(f"the text cannot be written into {path.name}: {exc}", "unwritable", path.name) from None
        edited = _splice(text, out.getvalue(), section, index)
    else:
        edited = text
    new_data = YAML(typ="rt").load(edited)
    _, _, new_item = _locate(new_data, item_id) or (None, None, None)
    assert new_item is not None, "the edited item is where it was"
    result = EditResult(_form_of(path, section, new_item, item_id), changed=changed)
    staging = Path(tempfile.mkdtemp(prefix=".console-edit-"))
    try:
        for other in list(knowledge_dir.glob("*.yaml")) + list(knowledge_dir.glob("*.yml")):
            shutil.copy2(other, staging / other.name)
        (staging / path.name).write_text(edited, encoding="utf-8")
        try:
            kb = load_knowledge(staging)
        except KnowledgeError as exc:
            spans = _spans(new_item)
            item_line = new_item.lc.line + 1
            for problem in exc.problems:
                name = Path(problem.file).name
                key = _field_for(problem, result.form, spans, item_line) if name == path.name else None
                if key is not None and _near_item(problem, new_data, section, index, len(edited.split("\n"))):
                    result.problems.setdefault(key, []).append(problem.message)
                else:
                    result.general.append(f"{name}:{problem.line}: {problem.message}")
            return result
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    result.kb = kb
    entry = kb.entries.get(item_id)
    if entry is not None:
        engine = AnswerEngine(kb)
        result.preview = {lang: engine.render(entry, lang) for lang in ("en", "hi")}
    if write and changed:
        if path.read_bytes() != original:
            raise EditError(f"{path.name} was changed by someone else meanwhile; open the entry again", "conflict", path.name)
        staged = path.with_name(f".{path.name}.editing")
        staged.write_text(edited, encoding="utf-8")
        os.replace(staged, path)
        result.written = True
    return result


def _near_item(problem: Problem, data: CommentedMap, section: str, index: int, total: int) -> bool:
    """Whether a problem's line lies within the edited item (a problem elsewhere in the file is not its field's)."""
    start, end = _region(data, section, index, total)
    return start + 1 <= problem.line <= end


def find_entries(kb: KnowledgeBase, engine: AnswerEngine, text: str, visible: Callable[[Entry], bool],
                 limit: int = 50, first: Callable[[Entry], bool] | None = None) -> list[Entry]:
    """Entries for a search box: best matches of the words first, then ids and titles containing them; with no
    words, every visible entry by kind and title (those ``first`` picks, e.g. the reader's district's, before the
    others)."""
    text = text.strip()
    entries = [e for e in kb.entries.values() if visible(e)]
    if not text:
        return sorted(entries, key=lambda e: (first is not None and not first(e), e.kind, e.title.en.lower()))[:limit]
    low = text.lower()
    _, matches = engine.index.rank(text, limit=limit)
    found = {m.entry.id: m.entry for m in matches if visible(m.entry)}
    for e in entries:
        if len(found) >= limit:
            break
        if low in e.id or low in e.title.en.lower() or low in e.title.hi:
            found.setdefault(e.id, e)
    return list(found.values())[:limit]


def fact_values(knowledge_dir: Path, ids: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    """fact id -> (English, Hindi) value as written in the files, for showing the facts an entry names."""
    import yaml

    wanted, out = set(ids), {}
    if not wanted:
        return out
    for path in sorted(knowledge_dir.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        if not re.search(r"^facts:", text, re.M):
            continue
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        for fact in (data or {}).get("facts") or []:
            if isinstance(fact, dict) and fact.get("id") in wanted and isinstance(fact.get("value"), dict):
                out[fact["id"]] = (str(fact["value"].get("en", "")), str(fact["value"].get("hi", "")))
    return out


def fact_users(knowledge_dir: Path, fact_id: str) -> list[str]:
    """The ids of the entries whose texts name ``{{fact_id}}`` (the answers that change with the fact)."""
    import yaml

    token = "{{" + fact_id                      # {{fact-id}} and {{fact-id:crore}}
    names_it = re.compile(r"\{\{\s*" + re.escape(fact_id) + r"\s*(?::\s*[a-z]+\s*)?\}\}")

    def names(value: Any) -> bool:
        if isinstance(value, str):
            return bool(names_it.search(value))
        if isinstance(value, dict):
            return any(names(v) for v in value.values())
        if isinstance(value, list):
            return any(names(v) for v in value)
        return False

    out: list[str] = []
    for path in sorted(knowledge_dir.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        if token not in text:
            continue
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        for section, items in (data or {}).items() if isinstance(data, dict) else ():
            for item in items if isinstance(items, list) and section != "facts" else ():
                if isinstance(item, dict) and names(item):
                    ident = item.get("id") or (f"hs-{item['code']}" if "code" in item else None)
                    if ident:
                        out.append(str(ident))
    return out
