"""Facts written once: one edit in knowledge/facts.yaml changes every answer that shows the fact, in both
languages (button labels too); a copy that could disagree with the fact is refused by `kb check` naming both
places, the line of the typed text and the line of the fact."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.core.answers import AnswerEngine
from bot.core.knowledge import load_knowledge

from .conftest import KNOWLEDGE
from .test_knowledge import kbdir, problems_of  # noqa: F401 - kbdir is a fixture: a copy of the knowledge base

SAMPLE_ANSWERS = ("upepb-schemes", "upepb-mda", "upepb-mda-samples")     # the three entries that show the samples cap
SAMPLES_CAP = 'value: {en: "₹0.50 lakh (₹50,000)", hi: "₹50,000"}'


def line_of(path: Path, text: str, after: str = "") -> int:
    """The 1-based line of the first ``text`` in ``path`` (after the first line holding ``after``)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, row in enumerate(lines) if after in row) if after else 0
    return next(i + 1 for i, row in enumerate(lines) if i >= start and text in row)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def only(problems: list[str]) -> str:
    assert len(problems) == 1, problems
    return problems[0]


def test_the_samples_cap_is_written_once_and_shown_in_every_answer(kb):
    for entry_id in SAMPLE_ANSWERS:
        entry = kb.entries[entry_id]
        assert "₹0.50 lakh (₹50,000)" in entry.answer.en and "₹50,000" in entry.answer.hi
        assert "{{" not in entry.answer.en + entry.answer.hi and "लाख (₹50,000)" not in entry.answer.hi
    assert kb.entries["upepb-mda-samples"].short.en == "Samples 75%"
    assert kb.entries["upepb-mda-samples"].short.hi == "सैंपल 75%"
    raw = (KNOWLEDGE / "schemes.yaml").read_text(encoding="utf-8")
    assert "0.50 lakh" not in raw and "₹50,000" not in raw and "Samples 75%" not in raw   # values: only in facts.yaml


def test_no_hindi_text_writes_a_figure_below_one_lakh_in_lakh(kb):
    for entry in kb.entries.values():
        assert not re.search(r"₹\s?0\.\d+ लाख", entry.answer.hi + entry.title.hi), entry.id


def test_one_edit_changes_every_answer_and_button_in_both_languages(kbdir):
    facts = kbdir / "facts.yaml"
    edit(facts, SAMPLES_CAP, 'value: {en: "₹0.55 lakh (₹55,000)", hi: "₹55,000"}')
    edit(facts, 'value: {en: "75%", hi: "75%"}', 'value: {en: "80%", hi: "80%"}')
    kb = load_knowledge(kbdir)
    for entry_id in SAMPLE_ANSWERS:
        assert "₹0.55 lakh (₹55,000)" in kb.entries[entry_id].answer.en
        assert "₹55,000" in kb.entries[entry_id].answer.hi
        assert "₹0.50 lakh" not in kb.entries[entry_id].answer.en
    assert "₹50,000" not in kb.entries["upepb-mda-samples"].answer.hi     # (₹50,000 is still the air-fare cap)
    assert kb.entries["upepb-mda-samples"].short == type(kb.entries["upepb-mda-samples"].short)("Samples 80%", "सैंपल 80%")
    answer = AnswerEngine(kb).ask("subsidy for sending samples to foreign buyers")
    assert answer.matched and "80% of the cost" in answer.text and "₹0.55 lakh (₹55,000)" in answer.text


def test_a_placeholder_naming_no_fact_is_refused_on_its_own_line(kbdir):
    schemes = kbdir / "schemes.yaml"
    edit(schemes, "{{upepb-samples-cap}} a year", "{{upepb-sample-cap}} a year")
    line = line_of(schemes, "{{upepb-sample-cap}}")
    assert only(problems_of(kbdir)) == (
        f"schemes.yaml:{line}: upepb-mda: answer (en) names the fact 'upepb-sample-cap', which is not written anywhere "
        "(did you mean '{{upepb-samples-cap}}'?)")


def test_an_old_figure_typed_instead_of_the_fact_is_refused_naming_both_places(kbdir):
    """The audit's case: the cap went up to ₹80,000 in facts.yaml, one answer still types the old ₹0.50 lakh."""
    facts, schemes = kbdir / "facts.yaml", kbdir / "schemes.yaml"
    edit(facts, SAMPLES_CAP, 'value: {en: "₹0.80 lakh (₹80,000)", hi: "₹80,000"}')
    edit(schemes, "max {{upepb-samples-cap}} a year (UPEPB", "max ₹0.50 lakh (₹50,000) a year (UPEPB")
    line, fact_line = line_of(schemes, "max ₹0.50 lakh (₹50,000) a year"), line_of(facts, "₹0.80 lakh (₹80,000)")
    assert re.fullmatch(
        rf"schemes\.yaml:{line}: upepb-mda-samples: answer \(en\) writes '₹0\.50 lakh \(₹50,000\)' where fact "
        rf"'upepb-samples-cap' \(\S*facts\.yaml:{fact_line}\) says ₹0\.80 lakh \(₹80,000\); write "
        r"\{\{upepb-samples-cap\}\} so users see one figure", only(problems_of(kbdir)))


def test_an_old_figure_beside_the_fact_is_refused(kbdir):
    facts, schemes = kbdir / "facts.yaml", kbdir / "schemes.yaml"
    edit(facts, SAMPLES_CAP, 'value: {en: "₹0.80 lakh (₹80,000)", hi: "₹80,000"}')
    edit(schemes, "साल में ज़्यादा से ज़्यादा {{upepb-samples-cap}} (UPEPB",
         "साल में ज़्यादा से ज़्यादा {{upepb-samples-cap}} (₹50,000) (UPEPB")
    line, fact_line = line_of(schemes, "{{upepb-samples-cap}} (₹50,000)"), line_of(facts, "₹0.80 lakh (₹80,000)")
    assert re.fullmatch(
        rf"schemes\.yaml:{line}: upepb-mda-samples: answer \(hi\) writes '₹50,000' beside \{{\{{upepb-samples-cap\}}\}}, "
        rf"but fact 'upepb-samples-cap' \(\S*facts\.yaml:{fact_line}\) says ₹80,000; delete the typed figure: the "
        r"fact's value is shown", only(problems_of(kbdir)))


def test_a_figure_several_facts_share_names_the_fact_the_answer_is_about(kbdir):
    """₹50,000 is both the samples cap and the air-fare cap; in the samples answer it is the samples cap."""
    schemes = kbdir / "schemes.yaml"
    edit(schemes, "साल में ज़्यादा से ज़्यादा {{upepb-samples-cap}} (UPEPB", "साल में ज़्यादा से ज़्यादा ₹50,000 (UPEPB")
    line, fact_line = line_of(schemes, "ज़्यादा से ज़्यादा ₹50,000 (UPEPB"), line_of(kbdir / "facts.yaml", SAMPLES_CAP)
    assert line > line_of(schemes, "- id: upepb-mda-samples")             # the Hindi text's own line, not the id's
    assert re.fullmatch(
        rf"schemes\.yaml:{line}: upepb-mda-samples: answer \(hi\) types out '₹50,000', the value of fact "
        rf"'upepb-samples-cap' \(\S*facts\.yaml:{fact_line}\); write \{{\{{upepb-samples-cap\}}\}} instead, so the two "
        "cannot disagree", only(problems_of(kbdir)))


def test_a_figure_no_answer_is_about_names_every_fact_with_that_value(kbdir):
    glossary = kbdir / "glossary.yaml"
    edit(glossary, "Sets international standards such as ISO 9001 for quality management.",
         "Sets international standards such as ISO 9001 for quality management. Fees can reach Rs 50,000.")
    message = only(problems_of(kbdir))
    assert re.fullmatch(r"glossary\.yaml:\d+: abbr-iso: explanation \(en\) types out 'Rs 50,000', the value of the facts "
                        r"'upepb-samples-cap' \(\S*facts\.yaml:12\), 'upepb-airfare-cap' \(\S*facts\.yaml:29\); write the "
                        r"placeholder of the one it means, e\.g\. \{\{upepb-samples-cap\}\}", message)


@pytest.mark.parametrize("typed", ["Rs 50,000", "Rs. 50000", "50,000 rupees", "₹ 50000", "₹0.5 lakh", "Rs 0.50 lakh"])
def test_every_spelling_of_a_facts_value_is_caught(kbdir, typed):
    schemes = kbdir / "schemes.yaml"
    edit(schemes, "max {{upepb-samples-cap}} a year (UPEPB", f"max {typed} a year (UPEPB")
    line = line_of(schemes, f"max {typed} a year")
    message = only(problems_of(kbdir))
    assert message.startswith(f"schemes.yaml:{line}: upepb-mda-samples: answer (en) types out '{typed}', the value of "
                              "fact 'upepb-samples-cap' (")


def test_a_fact_whose_english_changed_but_not_its_hindi_is_refused(kbdir):
    facts = kbdir / "facts.yaml"
    edit(facts, SAMPLES_CAP, 'value: {en: "₹0.80 lakh (₹80,000)", hi: "₹50,000"}')
    line = line_of(facts, "₹0.80 lakh (₹80,000)")
    assert only(problems_of(kbdir)) == (
        f"facts.yaml:{line}: fact 'upepb-samples-cap': the English value '₹0.80 lakh (₹80,000)' gives ₹0.80 lakh, "
        "which the Hindi value '₹50,000' does not; change both so they say the same")


def test_a_fact_in_hindi_below_one_lakh_is_written_as_people_say_it(kbdir):
    facts = kbdir / "facts.yaml"
    edit(facts, SAMPLES_CAP, 'value: {en: "₹0.50 lakh (₹50,000)", hi: "₹0.50 लाख"}')
    assert only(problems_of(kbdir)) == (
        f"facts.yaml:{line_of(facts, '₹0.50 लाख')}: fact 'upepb-samples-cap' (hi) writes '₹0.50 लाख': in Hindi write "
        "it as people say it, ₹50,000")


def test_a_rounded_copy_beside_a_placeholder_is_refused(kbdir):
    hs = kbdir / "hs_codes.yaml"
    edit(hs, "{{hathras-brass-exports}} (about {{hathras-brass-exports:crore}})", "{{hathras-brass-exports}} (about ₹49.3 crore)")
    line, fact_line = line_of(hs, "(about ₹49.3 crore)"), line_of(kbdir / "facts.yaml", "₹49,26,06,560")
    assert re.fullmatch(
        rf"hs_codes\.yaml:{line}: hs-741999: exports \(en\) writes '₹49\.3 crore' beside \{{\{{hathras-brass-exports\}}\}}: "
        rf"a copy of fact 'hathras-brass-exports' \(\S*facts\.yaml:{fact_line}\) typed out; write "
        r"\{\{hathras-brass-exports:crore\}\} for the rounded figure, so it follows the fact", only(problems_of(kbdir)))


def test_the_rounded_figure_follows_the_fact(kbdir):
    facts = kbdir / "facts.yaml"
    edit(facts, 'value: {en: "₹49,26,06,560", hi: "₹49,26,06,560 (लगभग ₹49.3 करोड़)"}',
         'value: {en: "₹52,10,00,000", hi: "₹52,10,00,000 (लगभग ₹52.1 करोड़)"}')
    answer = load_knowledge(kbdir).entries["hs-741999"].answer
    assert "Hathras: ₹52,10,00,000 (about ₹52.1 crore) in FY 2020-21 (DGFT)." in answer.en
    assert "₹52,10,00,000 (लगभग ₹52.1 करोड़) का निर्यात" in answer.hi


def test_a_button_label_typing_a_facts_share_is_refused(kbdir):
    schemes = kbdir / "schemes.yaml"
    edit(schemes, "en: Samples {{upepb-samples-share}}", "en: Samples 75%")
    line, fact_line = line_of(schemes, "en: Samples 75%"), line_of(kbdir / "facts.yaml", 'value: {en: "75%"')
    assert re.fullmatch(
        rf"schemes\.yaml:{line}: upepb-mda-samples: short \(en\) types out '75%', the value of fact "
        rf"'upepb-samples-share' \(\S*facts\.yaml:{fact_line}\); write \{{\{{upepb-samples-share\}}\}} instead, so the two "
        "cannot disagree", only(problems_of(kbdir)))


def test_a_button_label_too_long_once_filled_in_is_refused(kbdir):
    schemes = kbdir / "schemes.yaml"
    edit(schemes, "en: Samples {{upepb-samples-share}}", "en: Samples abroad {{upepb-samples-cap}}")
    line = line_of(schemes, "en: Samples abroad")
    assert only(problems_of(kbdir)) == (
        f"schemes.yaml:{line}: upepb-mda-samples: short (en) is 35 characters once filled in ('Samples abroad ₹0.50 "
        "lakh (₹50,000)'); a button label may have at most 20")


def test_a_fact_written_twice_is_refused(kbdir):
    facts = kbdir / "facts.yaml"
    facts.write_text(facts.read_text(encoding="utf-8") + (
        '  - id: upepb-samples-cap\n    value: {en: "₹1 lakh", hi: "₹1 लाख"}\n    source: "000_c1e05fc8fe4c4404.txt §7"\n'),
        encoding="utf-8")
    problems = problems_of(kbdir)
    assert any(re.fullmatch(r"facts\.yaml:\d+: fact 'upepb-samples-cap' is written twice \(also at .*facts\.yaml:\d+\); "
                            r"each fact lives in one place", p) for p in problems), problems


def test_an_event_typing_a_facts_amount_or_a_placeholder_is_refused(kbdir):
    """Event texts are shown as written: a fact's amount there is a copy, a placeholder would be shown raw."""
    events = kbdir / "events.yaml"
    edit(events, "help to understand export/import papers and to get your Import Export Code (IEC). For artisans",
         "help to understand export/import papers; samples repaid up to Rs 50,000. For artisans")
    edit(events, "For leather, engineering, plastic and hosiery units",
         "Samples: {{upepb-samples-share}} repaid. For leather, engineering, plastic and hosiery units")
    first, second = problems_of(kbdir)
    assert re.fullmatch(rf"events\.yaml:{line_of(events, 'samples repaid up to Rs 50,000')}: iec-camp-hathras: description "
                        r"\(en\) types out 'Rs 50,000', the value of the facts 'upepb-samples-cap' .*", first)
    assert second == (f"events.yaml:{line_of(events, 'Samples: {{upepb-samples-share}}')}: iec-camp-kanpur-nagar: "
                      "description (en) holds a placeholder, which is not filled in here; write the words without the "
                      "amount (e.g. 'ask the bot about the MDA scheme')")


def test_a_shared_figure_in_an_entry_whose_title_names_the_subject_names_that_fact(kbdir):
    """A glossary term about samples, typing ₹50,000: the samples cap (its title says samples), not the air fare."""
    glossary = kbdir / "glossary.yaml"
    glossary.write_text(glossary.read_text(encoding="utf-8") + (
        "- term: SAMPLES\n  expansion: {en: Samples sent to foreign buyers, hi: विदेशी ख़रीदार को भेजे सैंपल}\n"
        "  explanation: {en: UPEPB repays part of the cost up to Rs 50000 a year., hi: UPEPB ख़र्च का हिस्सा लौटाता है।}\n"
        "  source: \"000_c1e05fc8fe4c4404.txt §7 A\"\n"), encoding="utf-8")
    message = only(problems_of(kbdir))
    assert re.fullmatch(r"glossary\.yaml:\d+: abbr-samples: explanation \(en\) types out 'Rs 50000', the value of fact "
                        r"'upepb-samples-cap' \(\S*facts\.yaml:12\); write \{\{upepb-samples-cap\}\} instead, so the "
                        r"two cannot disagree", message), message
