"""kb diff: what a reviewer sees of a clerk's edit (entries, fields, facts, synonyms)."""
from __future__ import annotations

import shutil

from bot.cli import main
from bot.core import yamlmarks
from bot.core.kbdiff import diff_knowledge, render

from .conftest import KNOWLEDGE

OLD = {
    "schemes.yaml": """schemes:
  - id: gateway-port
    title: {en: Gateway Port Scheme, hi: गेटवे पोर्ट योजना}
    answer: {en: Rail freight to the port is paid back up to a cap each year for every unit., hi: रेल भाड़ा वापस।}
    aliases: {en: [gateway port, rail freight subsidy], hi: [गेटवे पोर्ट]}
    source: "doc §7"
  - id: old-scheme
    title: {en: Old scheme, hi: पुरानी योजना}
    answer: {en: Gone., hi: बंद।}
    source: "doc §8"
""",
    "facts.yaml": """facts:
  - id: gateway-port-cap
    value: {en: "₹12 lakh", hi: "₹12 लाख"}
    source: "doc §7"
""",
    "synonyms.yaml": """synonyms:
  scheme: [yojana, skim]
""",
}
NEW = {
    "schemes.yaml": """schemes:
  - id: gateway-port
    title: {en: Gateway Port Scheme (GPS), hi: गेटवे पोर्ट योजना}
    answer: {en: Rail freight to the port is paid back up to a higher cap each year for every unit., hi: रेल भाड़ा वापस।}
    aliases: {en: [gateway port, container freight help], hi: [गेटवे पोर्ट]}
    valid_until: 2027-03-31
    source: "doc §7 B"
  - id: new-scheme
    title: {en: New scheme, hi: नई योजना}
    answer: {en: New., hi: नई।}
    source: "doc §9"
""",
    "facts.yaml": """facts:
  - id: gateway-port-cap
    value: {en: "₹15 lakh", hi: "₹15 लाख"}
    source: "doc §7"
  - id: air-freight-cap
    value: {en: "₹2 lakh", hi: "₹2 लाख"}
    source: "doc §8"
""",
    "synonyms.yaml": """synonyms:
  scheme: [yojana, skeem]
  market: [bazaar]
""",
}


def parsed(files: dict[str, str]) -> dict[str, object]:
    return {name: yamlmarks.load(text)[0] for name, text in files.items()}


def test_entries_facts_and_synonyms_added_removed_and_changed_field_by_field():
    diff = diff_knowledge(parsed(OLD), parsed(NEW))
    assert [(c.section, c.key, c.line) for c in diff.added] == [
        ("facts", "air-freight-cap", 5), ("schemes", "new-scheme", 8), ("synonyms", "market", 3)]
    assert [(c.key, c.title) for c in diff.removed] == [("old-scheme", "Old scheme")]
    changed = {c.key: c.details for c in diff.changed}
    assert changed["gateway-port"] == (
        'title (en): "Gateway Port Scheme" → "Gateway Port Scheme (GPS)"',
        'answer (en): "…up to a [+ → higher] cap each year…"',
        'aliases (en): added "container freight help"',
        'aliases (en): removed "rail freight subsidy"',
        'source: "doc §7" → "doc §7 B"',
        'valid_until added: "2027-03-31"')
    assert changed["gateway-port-cap"] == ('value (en): "₹12 lakh" → "₹15 lakh"', 'value (hi): "₹12 लाख" → "₹15 लाख"')
    assert changed["scheme"] == ('words: added "skeem"', 'words: removed "skim"')
    text = render(diff, "old", "new")
    assert "Entries: 1 added, 1 removed, 1 changed" in text and "Facts: 1 added, 1 changed" in text
    assert "  * schemes.yaml:2: scheme 'gateway-port'" in text and "  - schemes.yaml:7: scheme 'old-scheme' — Old scheme" in text


def test_no_change_says_so():
    assert diff_knowledge(parsed(OLD), parsed(OLD)).empty()
    assert render(diff_knowledge(parsed(OLD), parsed(OLD)), "a", "b") == "No differences between a and b."


def test_the_command_compares_a_copy_with_the_edited_directory(tmp_path, capsys):
    before = tmp_path / "before"
    shutil.copytree(KNOWLEDGE, before)
    facts = before / "facts.yaml"
    facts.write_text(facts.read_text(encoding="utf-8").replace('value: {en: "75%", hi: "75%"}',
                                                               'value: {en: "70%", hi: "70%"}', 1), encoding="utf-8")
    assert main(["kb", "diff", str(before), str(KNOWLEDGE)]) == 0
    out = capsys.readouterr().out
    assert "Facts: 1 changed" in out and 'value (en): "70%" → "75%"' in out and "Entries:" not in out
