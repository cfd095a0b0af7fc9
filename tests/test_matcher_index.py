"""The matcher's fast paths give what the plain ones give: the index build's batch canonicalisation, the word-by-word
phrase synonyms, and the per-entry rows and bounds of common words (on today's knowledge base and a grown one)."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings, strategies as st

from bench.synthetic_kb import synthetic_kb
from bot.core import matching
from bot.core.entities import KnowledgeBase
from bot.core.matching import Canon, Index

# Letters, digits and marks that normalise() folds, joins or splits: Devanagari with nukta, chandrabindu, danda and
# its digits, zero-width joiners, thousands separators, Unicode spaces and line breaks, a Turkish dotted I.
ALPHABET = ("abhsxyzAHS0159 ,.-/'\n\t\u00a0\u2003\u2028"
            "कखगजडफयनमरसहािीुेोंँ़क़ज़ड़।॥०१९\u200c\u200dİΣ")


@pytest.fixture(scope="module")
def canon(kb: KnowledgeBase) -> Canon:
    return Canon(dict(kb.synonyms))


def phrase_texts(kb: KnowledgeBase) -> list[str]:
    return sorted(v for v in kb.synonyms if " " in v)


@st.composite
def texts(draw, phrases: list[str]) -> str:
    parts = draw(st.lists(st.one_of(st.text(ALPHABET, max_size=12), st.sampled_from(phrases)), max_size=6))
    return draw(st.sampled_from((" ", "  ", ", ", "\n", "-"))).join(parts)


def test_batch_canonicalisation_is_the_plain_one(kb, canon):
    @settings(max_examples=300, deadline=None)
    @given(st.lists(texts(phrase_texts(kb)), max_size=8))
    def check(batch):
        assert canon.contents(batch) == {t: tuple(canon.content(t)) for t in batch}

    check()


def test_batch_canonicalisation_of_every_text_of_the_knowledge_base(kb, canon):
    every = list(dict.fromkeys(text for e in kb.entries.values() for text, _ in Index._texts(e)))
    assert canon.contents(every) == {t: tuple(canon.content(t)) for t in every}


def test_phrases_are_replaced_as_a_regex_of_them_longest_first_would(kb, canon):
    pattern = re.compile(r"(?<!\S)(" + "|".join(re.escape(p) for p in sorted(canon.phrases, key=len, reverse=True))
                         + r")(?!\S)")

    def by_regex(words: list[str]) -> list[str]:
        return pattern.sub(lambda m: " " + canon.phrases[m.group(1)].replace("-", "") + " ", " ".join(words)).split()

    vocabulary = sorted({w for p in canon.phrases for w in p.split()}) + ["leather", "kanpur", "x"]

    @settings(max_examples=500, deadline=None)
    @given(st.lists(st.sampled_from(vocabulary), max_size=10))
    def check(words):
        assert canon._phrased(words) == by_regex(words)

    check()
    # "free trade agreement" is one phrase, longer than "free trade" or "trade agreement".
    assert canon._phrased("free trade agreement hs code".split()) == ["fta", "hs"]
    assert canon._phrased("trade fair free trade".split()) == ["fair", "fta"]


def ranked(index: Index, questions: list[str]) -> list[list[tuple[str, float]]]:
    return [[(m.entry.id, m.score) for m in index.rank(q, 12)[1]] for q in questions]


QUESTIONS = [
    "HS code for leather saddlery", "Which product is 29061100?", "odop of kanpur", "export subsidy for MSME",
    "market development assistance air fare", "चमड़े के जूते का एचएस कोड", "moradabad brass market kaun sa hai",
    "scheme", "hs", "I make carpets in Bhadohi. Which countries buy them?", "lethr prdcts xport subsdy",
]


@pytest.mark.parametrize("size", [0, 3000])
def test_common_words_rank_as_walking_every_document_would(kb, monkeypatch, size):
    """Words in many documents are scored through per-entry rows and bounds, and the words in very many entries
    of a longer question are added last; with every word rare the matcher walks every document. Both rank the
    same entries with the same scores."""
    if size:
        kb = synthetic_kb(kb, size)
    questions = QUESTIONS + [e.title.en for e in list(kb.entries.values())[::max(1, len(kb.entries) // 40)]]
    questions += [" ".join(QUESTIONS[i:i + 3]) for i in range(0, len(QUESTIONS), 3)]
    monkeypatch.setattr(matching, "COMMON_DOCS", 10**9)
    walked = ranked(Index(kb), questions)
    monkeypatch.setattr(matching, "COMMON_DOCS", 3)
    bounded = Index(kb)
    assert len(bounded._common) > 50
    assert ranked(bounded, questions) == walked
    # The commonest words added last, to the entries still in the running or (when they could lift others) to all.
    monkeypatch.setattr(matching, "WEAK_LIST", 20)
    added: list[str] = []
    add_weak = Index._add_weak
    monkeypatch.setattr(Index, "_add_weak", lambda self, bound, words, *rest: (added.extend(words),
                                                                             add_weak(self, bound, words, *rest)))
    assert ranked(bounded, questions) == walked
    assert added
