"""The matcher's fast paths give what the plain ones give: the index build's batch canonicalisation, the word-by-word
phrase synonyms, and the per-entry rows and bounds of common words (on today's knowledge base and a grown one)."""
from __future__ import annotations

import re

import numpy as np
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


def document_words(index: Index) -> dict[int, set[str]]:
    """Each document's words, recovered from the postings (rare words) and its numbered mask (common words)."""
    words_of: dict[int, set[str]] = {}
    for t, k in index._tok_id.items():
        for d in index._post_docs[index._post_ptr[k]:index._post_ptr[k + 1]].tolist():
            words_of.setdefault(d, set()).add(t)
    for d, words in words_of.items():
        mask = index._masks[index._doc_mask[d]]
        words.update(t for t in index._common if index._bit[t] & mask)
    return words_of


def walked_first_step(index: Index, words_of: dict[int, set[str]], weights: dict[str, float], total: float,
                      exact_code: set[int]):
    """The first step of rank_query as a plain walk over every document with a rare word of the question, its sums
    made word by word in question order."""
    best: dict[int, float] = {}
    rare_hits: dict[int, float] = {}
    rare_docs = sorted({d for t in weights if t in index._tok_id
                        for d in index._post_docs[index._post_ptr[index._tok_id[t]]:
                                                  index._post_ptr[index._tok_id[t] + 1]].tolist()})
    for d in rare_docs:
        words = words_of[d]
        rare = [t for t in weights if t in words and t not in index._bit]
        if not rare:
            continue
        entry_i = int(index._doc_entry[d])
        kind_words = index._kind_groups[index._doc_kind[d]]
        hit = [t for t in weights if t in words]
        got = sum(weights[t] for t in hit)
        got_own = sum(weights[t] for t in hit if t not in kind_words)
        own = 0.0 if index._doc_ownless[d] else float(index._doc_own[d])
        cd = min(1.0, got_own / own) if own else 1.0
        score = float(index._doc_weight[d]) * (got / total) * (0.75 + 0.25 * cd)
        if entry_i in exact_code:
            score += matching.EXACT_CODE_BONUS
        best[entry_i] = max(best.get(entry_i, 0.0), score)
        rare_hits[entry_i] = rare_hits.get(entry_i, set()) | set(rare)
    return best, {i: sum(weights[t] for t in weights if t in words) for i, words in rare_hits.items()}


@pytest.mark.parametrize("size, common", [(0, 20), (0, 10**9), (2000, 20)])
def test_first_step_scores_every_document_as_a_walk_would(kb, monkeypatch, size, common):
    """The arrays of the first step (documents with a rare word of the question, scored with numpy word by word in
    question order) give exactly what a walk over those documents gives, with common words among them (found
    through the documents' masks), kind words that are not a document's own, code prefixes (own idf 0) and a
    typed code; and a question of more than 64 rare words still bounds each entry's rare weight from above."""
    if size:
        kb = synthetic_kb(kb, size)
    monkeypatch.setattr(matching, "COMMON_DOCS", common)
    index = Index(kb)
    assert len(index._common) > 10 if common < 100 else not index._common
    entries = list(kb.entries.values())
    questions = QUESTIONS + ["hs 2906", "2906 market", "odop scheme market hs district make export"]
    questions += [e.title.en + " " + e.title.hi for e in entries[::max(1, len(entries) // 30)]]
    # A long question of rare words of every rarity (in the index's own spelling, so that parse keeps them).
    rare_words = sorted((t for t in index._tok_id if t in index.idf and t.isalpha() and t.isascii()
                         and index.canon.content(t) == [t]), key=index.idf.__getitem__)
    long_rare = rare_words[:: max(1, len(rare_words) // 150)][:150]
    words_of = document_words(index)
    # Documents of code prefixes: their words are their kind's ("hs") and prefixes (own idf 0), reached through "hs"
    # when it is a rare word.
    hs_group = index._kind_groups.index(("hs",))
    ownless = {int(index._doc_entry[d]) for d in np.flatnonzero(index._doc_ownless & (index._doc_kind == hs_group))}
    assert ownless
    if "hs" in index._tok_id:
        assert ownless <= set(index._first_step({"hs": 1.0}, 2.0, set())[1])
    for q in questions + [" ".join(long_rare)]:
        query = index.parse(q)
        if not query.tokens:
            continue
        weights = {t: index.idf[t] * query.weight(i) for i, t in enumerate(query.tokens)}
        total = sum(weights.values()) + 0.5
        exact_code = {i for t in weights for i in index._by_code.get(t, ())}
        _, reached, best, held = index._first_step(weights, total, exact_code)
        want_best, want_rare = walked_first_step(index, words_of, weights, total, exact_code)
        assert dict(zip(reached, best.tolist())) == want_best, q
        assert reached == sorted(want_rare)
        rare_words = sum(1 for t in weights if t in index._tok_id)
        for entry_i, got in zip(reached, held.tolist()):
            if rare_words <= 64:
                assert got == pytest.approx(want_rare[entry_i], rel=1e-12), q
            else:
                assert got >= want_rare[entry_i] - 1e-9, q
    assert sum(1 for t in index.parse(" ".join(long_rare)).tokens if t in index._tok_id) > 64
