"""The bundled knowledge base is complete, and a clerk's mistakes are reported with file:line."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.core.entities import KnowledgeError
from bot.core.knowledge import load_knowledge

from .conftest import KNOWLEDGE

ISSUE_HS_CODES = [
    # Hathras
    "830241", "741999", "57039010", "04021010", "29061100", "57029990", "83014090", "620590", "620920",
    "570500", "570390",
    # Kanpur: leather, footwear, engineering, plastics, hosiery
    "41079900", "4201", "6401", "6402", "6403", "6404", "6405", "6406", "640510", "732599", "870423", "84772000",
    "84454090", "84462990", "84798999", "84440090", "391721", "391723", "630533", "392310", "6107", "6115",
    "6108", "6106", "6211", "6206", "610711",
]


def test_counts(kb):
    counts = kb.counts()
    assert len(kb.districts) == 75
    assert counts["odop_product"] == 110
    assert counts["scheme"] >= 20 and counts["market"] >= 15 and counts["institution"] >= 20


@pytest.mark.parametrize("code", ISSUE_HS_CODES)
def test_every_hs_code_is_present_and_answerable_both_ways(kb, engine, code):
    assert f"hs-{code}" in kb.entries
    outcome = engine.ask(f"what is {code}")
    assert outcome.matched, outcome.text
    assert code in outcome.text


def test_every_entry_has_hindi_and_a_source(kb):
    for entry in kb.entries.values():
        assert entry.source, entry.id
        assert re.search("[\u0900-\u097F]", entry.answer.hi + entry.title.hi), entry.id


@pytest.mark.parametrize("question, facts", [
    ("stall charges support for exhibitions abroad under UPEPB", ["60"]),
    ("how much of the airfare does UPEPB pay", ["50"]),
    ("samples sent abroad reimbursement", ["75"]),
    ("gateway port scheme amount per container", ["6,000"]),
    ("air freight rationalisation subsidy", ["20%"]),
    ("ODOP margin money scheme", ["25%", "20 lakh"]),
    ("common facility centre grant", ["90%"]),
    ("ODOP skill development toolkit scheme", ["10"]),
])
def test_scheme_amounts_are_answered(engine, question, facts):
    outcome = engine.ask(question)
    assert outcome.matched, outcome.text
    for fact in facts:
        assert fact in outcome.text


def test_no_made_up_contacts(kb):
    """The documents give no phone numbers or e-mails; a website is only a well-known one, said so in the source."""
    for entry in kb.by_kind("institution"):
        for key, value in entry.contacts:
            assert key not in ("phone", "email", "address"), entry.id
            assert key != "website" or "public fact" in entry.source, entry.id


# ---------------------------------------------------------------- validation

@pytest.fixture
def kbdir(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, target)
    return target


def problems_of(directory: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(directory)
    return [f"{Path(p.file).name}:{p.line}: {p.message}" for p in info.value.problems]


def write(directory: Path, name: str, text: str) -> None:
    (directory / name).write_text(text, encoding="utf-8")


SCHEME = """schemes:
  - id: test-scheme
    title: {en: Test scheme, hi: परीक्षण योजना}
    category: upepb
    answer: {en: Pays 50% of the cost., hi: लागत का 50% मिलता है।}
    source: "000_c1e05fc8fe4c4404.txt §7"
"""


def test_clean_copy_loads(kbdir):
    write(kbdir, "extra.yaml", SCHEME)
    assert "test-scheme" in load_knowledge(kbdir).entries


def test_misspelt_field_is_named_with_line_and_suggestion(kbdir):
    write(kbdir, "extra.yaml", SCHEME.replace("    source:", "    benifits: {en: x, hi: य}\n    source:"))
    assert problems_of(kbdir) == [
        "extra.yaml:6: scheme 'test-scheme': field 'benifits' is not known (known fields: id, title, short, answer, "
        "aliases, keywords, source, category, authority, sectors, district, valid_until, review_by)"]


def test_misspelt_known_field_gets_did_you_mean(kbdir):
    write(kbdir, "extra.yaml", SCHEME.replace("    answer:", "    answr:"))
    problems = problems_of(kbdir)
    assert "extra.yaml:5: scheme 'test-scheme': field 'answr' is not known (did you mean 'answer'?)" in problems
    assert "extra.yaml:2: scheme 'test-scheme': field 'answer' is missing" in problems


def test_missing_hindi(kbdir):
    write(kbdir, "extra.yaml", SCHEME.replace("hi: लागत का 50% मिलता है।", "hi: ''"))
    assert problems_of(kbdir) == ["extra.yaml:5: scheme 'test-scheme': field 'answer' has no Hindi text (hi)"]


def test_duplicate_id_names_both_places(kbdir):
    write(kbdir, "extra.yaml", SCHEME.replace("test-scheme", "upepb-gateway-port").replace("50%", "half"))
    (problem,) = problems_of(kbdir)
    assert "scheme 'upepb-gateway-port': id 'upepb-gateway-port' is used twice (also at " in problem
    assert "extra.yaml" in problem and "schemes.yaml" in problem


def test_duplicate_yaml_key(kbdir):
    write(kbdir, "extra.yaml", SCHEME.replace("    category: upepb\n", "    category: upepb\n    category: odop\n"))
    assert problems_of(kbdir) == [
        "extra.yaml:5: field 'category' appears twice in the same block (first on line 4)"]


def test_malformed_and_unquoted_hs_codes(kbdir):
    write(kbdir, "extra.yaml", """hs_codes:
  - code: "42O1"
    description: {en: Saddlery, hi: काठी}
    source: x
  - code: 04021010
    description: {en: Milk, hi: दूध}
    source: x
""")
    problems = problems_of(kbdir)
    assert "extra.yaml:2: HS code '42O1': field 'code' must be 4, 6 or 8 digits, in quotes" in problems
    assert "extra.yaml:5: HS code '1057288': write the code in quotes, e.g. code: \"0402\"" in problems


def test_broken_cross_reference(kbdir):
    write(kbdir, "extra.yaml", """markets:
  - id: market-test
    title: {en: Test markets, hi: परीक्षण बाज़ार}
    answer: {en: Germany, hi: जर्मनी}
    countries: [Germany]
    hs_codes: ["9999"]
    districts: [hathras, hatras]
    source: x
""")
    problems = problems_of(kbdir)
    assert any(p.startswith("extra.yaml:6: market 'market-test': HS code '9999' is not in hs_codes.yaml")
               for p in problems)
    assert ("extra.yaml:7: market 'market-test': district id 'hatras' is not in districts.yaml "
            "(did you mean 'hathras'?)") in problems


def test_yaml_syntax_error_has_a_line(kbdir):
    write(kbdir, "extra.yaml", SCHEME.replace("    category: upepb", "    category: [upepb"))
    (problem,) = problems_of(kbdir)
    assert problem.startswith("extra.yaml:")
    assert "YAML syntax error" in problem


def test_every_problem_is_reported_not_just_the_first(kbdir):
    write(kbdir, "extra.yaml", SCHEME.replace("    category: upepb", "    category: upbep\n    colour: red"))
    problems = problems_of(kbdir)
    assert len(problems) == 2
    assert any("field 'category' must be one of upepb, odop, central, state (not 'upbep')" in p for p in problems)


def test_a_review_date_that_cannot_be_read_is_a_problem(kbdir):
    write(kbdir, "extra.yaml", SCHEME.replace("    source:", "    valid_until: 31-03-2026\n    source:"))
    assert problems_of(kbdir) == [
        "extra.yaml:6: scheme 'test-scheme': field 'valid_until' must be a date written like 2026-03-31 "
        "(not '31-03-2026')"]


def test_kb_check_warns_about_past_review_dates_and_still_passes(kbdir, capsys):
    from bot.cli import main

    write(kbdir, "extra.yaml", SCHEME.replace("    source:", "    valid_until: 2026-03-31\n    source:")
          + "  - id: later-scheme\n    title: {en: Later, hi: बाद में}\n    category: upepb\n"
            "    answer: {en: Later., hi: बाद में।}\n    review_by: 2999-01-01\n    source: \"x.txt\"\n")
    facts = kbdir / "facts.yaml"
    facts.write_text(facts.read_text(encoding="utf-8").replace(
        "  - id: upepb-samples-share\n", "  - id: upepb-samples-share\n    review_by: 2025-04-01\n", 1),
        encoding="utf-8")
    kb = load_knowledge(kbdir)
    assert {(r.what, r.field) for r in kb.reviews} == {("entry 'test-scheme'", "valid_until"),
                                                       ("entry 'later-scheme'", "review_by"),
                                                       ("fact 'upepb-samples-share'", "review_by")}
    assert main(["--knowledge", str(kbdir), "kb", "check"]) == 0
    out = capsys.readouterr().out
    warnings = [line.split("knowledge/")[-1] for line in out.splitlines() if "has passed" in line]
    assert warnings == [
        "extra.yaml:6: entry 'test-scheme': valid until 2026-03-31 has passed; please review",
        "facts.yaml:9: fact 'upepb-samples-share': review by 2025-04-01 has passed; please review"]
    assert "2 date(s) to review" in out
