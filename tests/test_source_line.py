"""The source line under an answer: one short line on a phone (the document's short name and its section),
whole words and whole section names only, in the user's language; the full reference is one tap away."""
from __future__ import annotations

import re
from dataclasses import replace
from types import MappingProxyType

import pytest

from bot.core.entities import PUBLIC_FACT, SECTION_WORDS_HI, SOURCE_LINE_MAX, Text

ENGLISH_FIXED = re.compile(r"\b(?:answer|Table|Annexure|Preface|Foreword|foreword|Abbreviations|Contents|more|public)\b")


def test_a_note_in_brackets_is_never_cut_into_the_line(kb):
    source = ("004_99a42b6aa4e8d950.txt (incl. land bank, 4.50 lakh jobs, growth target for 500 districts); "
              "000_c1e05fc8fe4c4404.txt §3.1 Table 4; 001_d5a0bd73c2c85799.txt §3.1 Table 3")
    assert kb.source_line(source, "en") == "Article: Districts as Export Hubs initiative + 2 more"
    assert kb.source_line(source, "hi") == "लेख: हर ज़िले को निर्यात केंद्र बनाने की पहल + 2 और"
    source = "002_1037e49476b89701.txt (quality, Agra lab); 003_1bf44794b0f16cac.txt answer (c); 000_c1e05fc8fe4c4404.txt §8"
    assert kb.source_line(source, "en") == "Interview: ODOP helped UP's exports rise 38% + 2 more"
    assert kb.source_line(source, "hi") == "इंटरव्यू: ODOP से उत्तर प्रदेश का निर्यात 38% बढ़ा + 2 और"


@pytest.mark.parametrize("source, en, hi", [
    ("003_1bf44794b0f16cac.txt answer (b) and Annexure-II", "Lok Sabha starred question 155, answer (b)",
     "लोक सभा में सवाल नंबर 155, उत्तर (b)"),
    ("003_1bf44794b0f16cac.txt (d); 002_1037e49476b89701.txt", "Lok Sabha starred question 155, answer (d) + 1 more",
     "लोक सभा में सवाल नंबर 155, उत्तर (d) + 1 और"),
    ("003_1bf44794b0f16cac.txt Annexure-II I. ODOP Margin Money Scheme; 001_d5a0bd73c2c85799.txt §7.8",
     "Lok Sabha starred question 155, Annexure-II + 1 more", "लोक सभा में सवाल नंबर 155, अनुलग्नक-II + 1 और"),
    ("000_c1e05fc8fe4c4404.txt Table 4 Major exportable product", "District Export Action Plan, Hathras, Table 4",
     "ज़िला निर्यात कार्य योजना, हाथरस, तालिका 4"),
    ("000_c1e05fc8fe4c4404.txt Preface, §1; 001_d5a0bd73c2c85799.txt Preface", "District Export Action Plan, Hathras, "
     "Preface + 1 more", "ज़िला निर्यात कार्य योजना, हाथरस, प्रस्तावना + 1 और"),
    ("001_d5a0bd73c2c85799.txt §4.3.1 Table 4 HS codes for Leather Products", "District Export Action Plan, Kanpur "
     "Nagar, §4.3.1", "ज़िला निर्यात कार्य योजना, कानपुर नगर, §4.3.1"),
    ("000_c1e05fc8fe4c4404.txt §5.4 c (Quality Improvement)", "District Export Action Plan, Hathras, §5.4",
     "ज़िला निर्यात कार्य योजना, हाथरस, §5.4"),
    ("public fact: RoDTEP replaced MEIS from 1 January 2021", "well-known public fact", "जानी-मानी सार्वजनिक जानकारी"),
])
def test_the_section_is_a_whole_label_in_the_users_language(kb, source, en, hi):
    assert kb.source_line(source, "en") == en
    assert kb.source_line(source, "hi") == hi


def test_a_title_too_long_for_a_phone_is_cut_after_a_whole_word(kb):
    long = Text("A very long document title about exports from Uttar Pradesh (with a note in brackets) and more",
                "निर्यात के बारे में एक बहुत लंबा दस्तावेज़ जिसका नाम फ़ोन की एक लाइन में नहीं आता और आगे भी चलता है")
    kb = replace(kb, sources=MappingProxyType({**kb.sources, "999_long.txt": long}))
    line = kb.source_line("999_long.txt §2; 000_c1e05fc8fe4c4404.txt §3", "en")
    assert len(line) <= SOURCE_LINE_MAX and line.endswith("… + 1 more") and "(" not in line
    assert line == "A very long document title about exports from… + 1 more"
    hi = kb.source_line("999_long.txt §2; 000_c1e05fc8fe4c4404.txt §3", "hi")
    assert hi == "निर्यात के बारे में एक बहुत लंबा दस्तावेज़ जिसका नाम… + 1 और" and len(hi) <= SOURCE_LINE_MAX


def test_every_entrys_source_line_fits_a_phone_in_both_languages(kb):
    """Over every entry: balanced brackets, at most the phone length, no word cut, no English in Hindi."""
    for entry in kb.entries.values():
        for lang in ("en", "hi"):
            line = kb.source_line(entry.source, lang)
            assert line and len(line) <= SOURCE_LINE_MAX, (entry.id, lang, line)
            assert line.count("(") == line.count(")"), (entry.id, lang, line)
            assert "…" not in line and not re.search(r", \(|\($|,$", line), (entry.id, lang, line)
            known = set(" ".join([*(t.get(lang) for t in kb.sources.values()), *PUBLIC_FACT.values(),
                                  *SECTION_WORDS_HI, *SECTION_WORDS_HI.values()]).replace(",", " ").split())
            for word in re.sub(r" \+ \d+ (?:more|और)$", "", line).replace(",", " ").split():
                assert word in known or re.fullmatch(r"§\d[\d.]*[a-h]?|\([a-h]\)|\d+|(?:Annexure|अनुलग्नक)-[IVX]+",
                                                     word), (entry.id, lang, word)
            if lang == "hi":
                assert not ENGLISH_FIXED.search(line), (entry.id, line)
