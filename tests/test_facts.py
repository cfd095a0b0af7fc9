"""Facts written once: one edit in knowledge/facts.yaml changes every answer that shows the fact, in both
languages; a placeholder naming no fact, a fact written twice, or a fact's amount typed out elsewhere is a
problem with file and line."""
from __future__ import annotations

import re

from bot.core.answers import AnswerEngine
from bot.core.knowledge import load_knowledge

from .conftest import KNOWLEDGE
from .test_knowledge import kbdir, problems_of  # noqa: F401 - kbdir is a fixture: a copy of the knowledge base

SAMPLE_ANSWERS = ("upepb-schemes", "upepb-mda", "upepb-mda-samples")     # the three entries that show the samples cap


def test_the_samples_cap_is_written_once_and_shown_in_every_answer(kb):
    for entry_id in SAMPLE_ANSWERS:
        entry = kb.entries[entry_id]
        assert "₹0.50 lakh (₹50,000)" in entry.answer.en and "₹0.50 लाख (₹50,000)" in entry.answer.hi
        assert "{{" not in entry.answer.en + entry.answer.hi
    raw = (KNOWLEDGE / "schemes.yaml").read_text(encoding="utf-8")
    assert "0.50 lakh" not in raw and "0.50 लाख" not in raw      # the value itself stands only in facts.yaml


def test_one_edit_changes_every_answer_in_both_languages(kbdir):
    facts = kbdir / "facts.yaml"
    text = facts.read_text(encoding="utf-8").replace(
        'value: {en: "₹0.50 lakh (₹50,000)", hi: "₹0.50 लाख (₹50,000)"}',
        'value: {en: "₹0.55 lakh (₹55,000)", hi: "₹0.55 लाख (₹55,000)"}')
    facts.write_text(text, encoding="utf-8")
    kb = load_knowledge(kbdir)
    for entry_id in SAMPLE_ANSWERS:
        assert "₹0.55 lakh (₹55,000)" in kb.entries[entry_id].answer.en
        assert "₹0.55 लाख (₹55,000)" in kb.entries[entry_id].answer.hi
        assert "₹0.50 lakh" not in kb.entries[entry_id].answer.en
    answer = AnswerEngine(kb).ask("subsidy for sending samples to foreign buyers")
    assert answer.matched and "₹0.55 lakh (₹55,000)" in answer.text


def test_a_placeholder_naming_no_fact_is_refused_with_file_and_line(kbdir):
    schemes = kbdir / "schemes.yaml"
    schemes.write_text(schemes.read_text(encoding="utf-8").replace(
        "{{upepb-samples-cap}} a year", "{{upepb-sample-cap}} a year", 1), encoding="utf-8")
    problems = problems_of(kbdir)
    assert len(problems) == 1
    assert re.fullmatch(r"schemes\.yaml:\d+: upepb-mda: answer \(en\) names the fact 'upepb-sample-cap', which is not "
                        r"written anywhere \(did you mean '\{\{upepb-samples-cap\}\}'\?\)", problems[0])


def test_a_copy_of_a_fact_typed_out_is_refused_naming_both_places(kbdir):
    schemes = kbdir / "schemes.yaml"
    schemes.write_text(schemes.read_text(encoding="utf-8").replace(
        "max {{upepb-samples-cap}} a year (UPEPB", "max ₹0.50 lakh (₹50,000) a year (UPEPB", 1), encoding="utf-8")
    problems = problems_of(kbdir)
    assert len(problems) == 1
    assert re.fullmatch(r"schemes\.yaml:\d+: upepb-mda-samples: answer \(en\) types out '₹0\.50 lakh \(₹50,000\)', the "
                        r"value of fact 'upepb-samples-cap' \(facts\.yaml\); write \{\{upepb-samples-cap\}\} instead, "
                        r"so the two cannot disagree", problems[0])


def test_a_fact_written_twice_is_refused(kbdir):
    facts = kbdir / "facts.yaml"
    facts.write_text(facts.read_text(encoding="utf-8") + (
        '  - id: upepb-samples-cap\n    value: {en: "₹1 lakh", hi: "₹1 लाख"}\n    source: "000_c1e05fc8fe4c4404.txt §7"\n'),
        encoding="utf-8")
    problems = problems_of(kbdir)
    assert any(re.fullmatch(r"facts\.yaml:\d+: fact 'upepb-samples-cap' is written twice \(also at .*facts\.yaml:\d+\); "
                            r"each fact lives in one place", p) for p in problems), problems
