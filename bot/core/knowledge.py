"""The knowledge base: YAML files under knowledge/, validated once into frozen objects.

A clerk's mistake never reaches users: :func:`load_knowledge` either returns a
complete :class:`KnowledgeBase` or the full list of problems, each naming the
file, the line, the entry and the field.
"""
from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

from . import yamlmarks
from .compose import compose_entries
from .entities import KnowledgeBase, KnowledgeError, Problem
from .events import parse_events
from .facts import check_texts, fill_facts
from .normalise import with_plurals
from .validate import Checker, Raw, check_references, read_file


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_knowledge(directory: str | Path) -> KnowledgeBase:
    """Read and validate every ``*.yaml`` file; raise :class:`KnowledgeError` with all problems."""
    directory = Path(directory)
    problems: list[Problem] = []
    raw = Raw()
    files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
    if not files:
        raise KnowledgeError([Problem(_display_path(directory), 0, "no knowledge files (*.yaml) found here")])
    for path in files:
        shown = _display_path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            problems.append(Problem(shown, 1, f"the file is not UTF-8 text ({exc.reason}); save it as UTF-8"))
            continue
        data, yaml_problems = yamlmarks.load(text)
        problems.extend(Problem(shown, p.line, p.message) for p in yaml_problems)
        if data is None:
            if not yaml_problems:
                problems.append(Problem(shown, 1, "the file is empty"))
            continue
        raw.lines[shown] = text.splitlines()
        read_file(shown, data, raw, Checker(shown, problems))
    kb = _assemble(raw, problems, directory)
    if problems:
        raise KnowledgeError(problems)
    return kb



def _assemble(raw: Raw, problems: list[Problem], directory: Path) -> KnowledgeBase:
    known = check_references(raw, problems)
    check_texts(raw, problems)
    entries = fill_facts(compose_entries(raw, problems), raw.facts, problems)
    events = parse_events(raw.events, known, problems)
    return KnowledgeBase(
        entries=MappingProxyType(entries), districts=MappingProxyType(raw.districts),
        sectors=MappingProxyType(raw.sectors), synonyms=MappingProxyType(with_plurals(raw.synonyms)),
        sources=MappingProxyType(raw.sources), events=tuple(events), directory=str(directory),
        staff=MappingProxyType(raw.staff), reviews=tuple(raw.reviews))
