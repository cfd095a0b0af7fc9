"""Ranking questions against the knowledge base.

One function, :meth:`Index.rank`, returns scored matches. The index is built
once per knowledge base: every title, alias, keyword and product word of an
entry becomes a small bag of canonical tokens. A question is normalised the
same way (Hindi and Hinglish words are mapped to English ones through
``knowledge/synonyms.yaml``, typos are corrected against the index's own
vocabulary with rapidfuzz) and scored by how much of the question an entry
explains, weighted by how rare each word is.
"""
from __future__ import annotations

import gc
import heapq
import math
import re
from array import array
from bisect import bisect_left
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache, wraps
from itertools import accumulate, chain, repeat
from typing import Iterable

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from .entities import Entry, KnowledgeBase
from .normalise import HINGLISH_MARKERS, OFF_TOPIC, OFF_TOPIC_PHRASES, STOPWORDS, normalise as _normalise, skeleton
from .normalise import _DIGIT_LETTER, _NON_WORD, _THOUSANDS, join_initials
from .spelling import KNOWN_WORDS, drops_only_vowels, plausible_edit, romanisation_fits


def normalise(text: str) -> str:
    """:func:`bot.core.normalise.normalise`, without its Unicode steps for ASCII text (where they change nothing)."""
    if not text.isascii():
        return _normalise(text)
    return " ".join(_DIGIT_LETTER.sub(" ", _NON_WORD.sub(" ", _THOUSANDS.sub("", join_initials(text).lower()))).split())

# Words appended to every document of an entry of this kind: what the kind answers.
KIND_TOKENS = {
    "hs_code": ("hs",),
    "market": ("market",),
    "district": ("odop", "district", "make"),
    "glossary": ("abbreviation",),
    "institution": (),
    "scheme": ("scheme",),
    "topic": (),
}
HS_NUMBER = re.compile(r"^\d{4,8}$")
PREFIX_WEIGHT = 0.85
KIND_BONUS = 0.12
KIND_STEP_BACK = 0.04   # an HS-code or market entry when the question asks for neither (see _score)
TITLE_BONUS = 0.03
UNKNOWN_SHARE = 0.6
SKELETON_MIN = 3      # a consonant skeleton this long is specific enough to bridge scripts
INTENT_WORDS = frozenset({"hs", "market"})
EXACT_CODE_BONUS = 0.1
DOC_SHARE = 0.6      # share of the best single alias in an entry's score; the rest is the whole entry's coverage
RERANK = 12           # candidates re-scored by phrasing
SHAPE_WEIGHT = 0.1    # weight of that letter-level likeness
COMMON_DOCS = 1000    # a word in more documents than this is scored per entry, not walked document by document
WEAK_LIST = 2000      # a common word in more entries than this is added last to a question with other common words
CORRECTIONS_CACHED = 50_000   # typo corrections remembered (the cache is emptied when full)
WORDS_CACHED = 200_000        # canonical forms of words remembered by Canon


@dataclass(frozen=True)
class Match:
    entry: Entry
    score: float


@dataclass(frozen=True)
class Query:
    """A question as the matcher understood it (kept for logs and tests)."""

    text: str
    tokens: tuple[str, ...]          # canonical content tokens
    unknown: tuple[str, ...]         # tokens the knowledge base has never seen
    off_topic: bool
    off_topic_words: tuple[str, ...] = ()
    weights: tuple[float, ...] = ()          # per token: 1 in a question sentence, less in the words around it
    unknown_weights: tuple[float, ...] = ()

    def weight(self, i: int) -> float:
        return self.weights[i] if i < len(self.weights) else 1.0

    def unknown_weight(self, i: int) -> float:
        return self.unknown_weights[i] if i < len(self.unknown_weights) else 1.0


# Hindi plural and oblique endings (जूता / जूते / जूतों -> जूत), longest first.
HINDI_SUFFIXES = ("ियों", "ियाँ", "ियां", "ाओं", "ाएं", "ाएँ", "ों", "ें", "ाँ", "ां", "ीं", "ी", "े", "ा", "ो")


def stem(token: str) -> str:
    if not token.isascii():
        for suffix in HINDI_SUFFIXES:
            if token.endswith(suffix) and len(token) - len(suffix) >= 2:
                return token[: -len(suffix)]
        return token
    if token.isdigit() or len(token) <= 3:
        return token
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    if token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


# Words that say what is asked, not what about: a question made only of these leans on the sentences around it.
ASKING = frozenset("hs market apply contact document eligible subsidy scheme register assistance benefit use buy sell import export"
                   " plan proposal district".split())

# A long message: the sentences that ask count fully, the ones around them (who the user is, what they make)
# count this much, so they can settle a tie but not drown the question.
CONTEXT_WEIGHT = 0.35
WEAK_QUESTION_CONTEXT = 0.8   # ... and this much when the question itself names only what is asked
_SENTENCE_END = re.compile(r"(?<=[.?!।\n])\s*|\n+")
_CLAUSE_END = re.compile(r"(?<=[.?!।,;])\s+|\n+")
QUESTION_WORDS = frozenset("""
what whats which who whom whose where when why how tell explain
kya kyaa kaise kese kaisa kitna kitni kitne kaun kon konsa konsi kaunsa kaunsi kahan kaha kahaan kab kis kise kisko
kisse kisase kin batao bataye bataiye bataen btao btaye bta bata milega milegi milenge hoga hogi chahiye
क्या कैसे कैसा कितना कितनी कितने कौन कौनसा कौनसी कहाँ कहां कब किस किसे किसको किन बताइए बताओ बताएं बताएँ बताइये
मिलेगा मिलेगी होगा होगी चाहिए
""".split())


# Words that open a yes/no question ("Can a medium unit also claim it", "Is there a scheme").
_AUX_FIRST = frozenset("is are can could does do did should shall will would may any please pls plz".split())


# "I want to know ...", "please tell me ...", "mujhe jaanna hai ...": a request is a question too.
_REQUEST = re.compile(r"\b(want to know|like to know|need to know|wish to know|tell me|let me know|please tell|"
                      r"jaanna hai|janna hai|jaanna chahta|janna chahta|jankari chahiye|jaankari chahiye)\b|"
                      r"(जानना है|जानना चाहता|जानना चाहती|जानकारी चाहिए)")


# A clause that says what the user wants or needs is part of the question ("packaging improve karna hai, ...").
_WANTS = re.compile(r"\b(want|wants|wanted|need|needs|would like|wish|planning|plan to|looking for|"
                    r"karna hai|karna h|krna hai|krna h|karni hai|karni h|krni hai|krni h|karne hai|karne h|"
                    r"chahta|chahti|chahte|chahiye)\b|करना है|करनी है|करने हैं|चाहता|चाहती|चाहते|चाहिए")


def _asks(sentence: str) -> bool:
    if sentence.rstrip().endswith("?"):
        return True
    if _REQUEST.search(sentence.lower()):
        return True
    words = normalise(sentence).split()
    while words and words[0] in ("and", "so", "but", "also", "then", "aur", "to", "toh", "और", "तो"):
        words = words[1:]
    return bool(words) and (words[0] in _AUX_FIRST or bool(QUESTION_WORDS.intersection(words)))


# Abbreviations whose full stop ends no sentence ("iec no.", "Rs. 500", "govt.").
_ABBREVIATION = re.compile(r"\b(no|nos|rs|sr|st|govt|dept|etc|approx|vs|mr|mrs|dr|ltd|pvt|co|min|max|qty|kg)\.",
                           re.IGNORECASE)


def sentence_weights(text: str) -> list[tuple[str, float]]:
    """The sentences of a message with their weight: the questions 1, the rest :data:`CONTEXT_WEIGHT`.

    A message of one sentence, or one in which no sentence reads as a question, counts whole. (The last few
    messages' are remembered: the answer engine asks for a message's sentences more than once.)
    """
    return list(_sentence_weights(text))


@lru_cache(maxsize=8)
def _sentence_weights(text: str) -> tuple[tuple[str, float], ...]:
    parts: list[str] = []
    for p in _SENTENCE_END.split(_ABBREVIATION.sub(r"\1", text)):
        if not p or not p.strip():
            continue
        if parts and not normalise(p):       # "??" or "!!": more marks of the sentence before
            parts[-1] += p
            continue
        # "iec no.", "Rs. 500", "govt." end no sentence: a piece of one or two words joins the next one.
        if parts and len(normalise(parts[-1]).split()) <= 2 and not parts[-1].rstrip().endswith("?"):
            parts[-1] = parts[-1] + " " + p
        else:
            parts.append(p)
    asks = [_asks(p) for p in parts]
    if len(parts) >= 2 and any(asks) and not all(asks):
        return tuple((p, 1.0 if ask else CONTEXT_WEIGHT) for p, ask in zip(parts, asks))
    # One sentence in clauses: "I have a hosiery unit in Kanpur, how do I start exporting" tells, then asks.
    clauses: list[str] = []
    for p in _CLAUSE_END.split(text):
        if clauses and len(normalise(clauses[-1]).split()) <= 2:      # "Sir, ...", "For brass, ..."
            clauses[-1] = clauses[-1] + ", " + p
        elif normalise(p):
            clauses.append(p)
    asks = [_asks(c) or bool(_WANTS.search(c.lower())) for c in clauses]
    if len(clauses) >= 2 and any(asks) and not all(asks):
        return tuple((c, 1.0 if ask else CONTEXT_WEIGHT) for c, ask in zip(clauses, asks))
    return ((text, 1.0),)


class Canon:
    """Turns text into canonical tokens: normalise, phrase and word synonyms, stems."""

    def __init__(self, synonyms: dict[str, str]):
        self.words: dict[str, str] = {}
        phrases: dict[str, str] = {}
        for variant, canonical in synonyms.items():
            if " " in variant:
                phrases[variant] = canonical
            else:
                self.words[stem(variant)] = canonical
        self.phrases = phrases
        # A phrase is replaced word by word: at each word, the longest phrase that starts there (as a regex
        # alternation of the phrases, longest first, between spaces would), then on after it.
        self._phrases_at: dict[str, list[tuple[list[str], list[str]]]] = {}
        for p in sorted(phrases, key=len, reverse=True):
            self._phrases_at.setdefault(p.split(" ", 1)[0], []).append((p.split(" "), phrases[p].replace("-", "").split()))
        self._memo: dict[str, tuple[str, ...]] = {}
        self._phrase_starts = frozenset(self._phrases_at)
        self._phrase_pairs = frozenset(tuple(p.split(" ")[:2]) for p in phrases)

    def _phrased(self, raws: list[str]) -> list[str]:
        """The words with each synonym phrase in them replaced by its canonical words (``raws`` itself if none is)."""
        if self._phrase_pairs.isdisjoint(zip(raws, raws[1:])):    # no phrase's first two words side by side
            return raws
        out: list[str] = []
        i, n = 0, len(raws)
        while i < n:
            for words, canonical in self._phrases_at.get(raws[i], ()):
                if raws[i:i + len(words)] == words:
                    out.extend(canonical)
                    i += len(words)
                    break
            else:
                out.append(raws[i])
                i += 1
        return out

    def tokens(self, text: str) -> list[str]:
        return self.tokens_of(normalise(text).split())

    def tokens_of(self, raws: list[str]) -> list[str]:
        """:meth:`tokens` of the words of a text already normalised."""
        # Without any phrase's first word no phrase can match.
        if not self._phrase_starts.isdisjoint(raws):
            raws = self._phrased(raws)
        out: list[str] = []
        memo = self._memo
        for raw in raws:
            found = memo.get(raw)
            if found is None:
                found = self._word(raw)
                if len(memo) >= WORDS_CACHED:
                    memo.clear()
                memo[raw] = found
            out.extend(found)
        return out

    def _word(self, raw: str) -> tuple[str, ...]:
        """The canonical tokens of one normalised word (none for a stopword)."""
        if raw in STOPWORDS:
            return ()
        token = stem(raw)
        mapped = self.words.get(token) or self.words.get(raw)
        if mapped == "-":
            return ()
        if mapped:
            return tuple(stem(t) for t in mapped.split())
        return (token,)

    def content(self, text: str) -> list[str]:
        return [t for t in self.tokens(text) if t not in STOPWORDS]

    def content_of(self, raws: list[str]) -> list[str]:
        """:meth:`content` of the words of a text already normalised."""
        return [t for t in self.tokens_of(raws) if t not in STOPWORDS]

    def contents(self, texts: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """``tuple(self.content(text))`` of each distinct text, for many texts at once (the index build).

        White space ends a word for every step of :func:`normalise`, so each distinct word of the texts, as
        written, is normalised and canonicalised once; a text with a phrase's first word is put together
        word by word, as :meth:`tokens` does.
        """
        out: dict[str, tuple[str, ...]] = {}
        normal: dict[str, tuple[str, ...]] = {}      # a word as written -> its normalised words
        written: dict[str, tuple[str, ...]] = {}     # ... -> its content tokens
        phrasing: set[str] = set()                   # ... that hold a phrase's first word
        seconding: set[str] = set()                  # ... that hold a phrase's second word
        seconds = frozenset(second for _, second in self._phrase_pairs)
        word: dict[str, tuple[str, ...]] = {}        # a normalised word -> its content tokens
        starts = self._phrase_starts
        for text in texts:
            if text in out:
                continue
            split = text.split()
            try:
                found = tuple(chain.from_iterable(map(written.__getitem__, split)))
            except KeyError:
                for w in split:
                    if w in written:
                        continue
                    # (a word of ASCII letters only is just lower-cased)
                    raws = normal[w] = (w.lower(),) if w.isalpha() and w.isascii() else tuple(normalise(w).split())
                    if not starts.isdisjoint(raws):
                        phrasing.add(w)
                    if not seconds.isdisjoint(raws):
                        seconding.add(w)
                    for raw in raws:
                        if raw not in word:
                            word[raw] = tuple(t for t in self._word(raw) if t not in STOPWORDS)
                    written[w] = tuple(chain.from_iterable(map(word.__getitem__, raws)))
                found = tuple(chain.from_iterable(map(written.__getitem__, split)))
            # (a phrase needs its first two words side by side: a text without both has none)
            if phrasing and not phrasing.isdisjoint(split) and not seconding.isdisjoint(split):
                raws = list(chain.from_iterable(map(normal.__getitem__, split)))
                phrased = self._phrased(raws)
                if phrased is not raws:
                    for raw in phrased:   # a phrase's canonical words
                        if raw not in word:
                            word[raw] = tuple(t for t in self._word(raw) if t not in STOPWORDS)
                    found = tuple(chain.from_iterable(map(word.__getitem__, phrased)))
            out[text] = found
        return out


# What a text says is not there ("fittings (excluding locks with keys and hinges)", "(not durries)", "(… ताले और कब्ज़े
# इसमें नहीं)"): a question about locks is not about that entry.
_EXCLUDED = re.compile(r"\b(?:excluding|except|other than)\b[^()\[\];\n.]*|\(\s*not [^()]*\)|[^();,\n]*नहीं(?=\s*\))",
                       re.IGNORECASE)


def said(text: str) -> str:
    """The text without what it says is excluded."""
    return _EXCLUDED.sub(" ", text) if ("xcept" in text or "xcluding" in text or "other than" in text
                                        or "not" in text or "नहीं" in text) else text


def _sum_in_order(hit: frozenset[str] | list[str], weights: dict[str, float], witems: list[tuple[str, float]]) -> float:
    """The weights of the words ``hit`` (of ``weights``), summed in question order (``witems``: weights' items)."""
    if len(hit) < 2:
        return weights[next(iter(hit))] if hit else 0
    return sum([w for t, w in witems if t in hit])


def _without_gc(build):
    """Runs an index build with the cyclic garbage collector paused: the build makes millions of small tuples
    and sets that all stay alive, and would otherwise make the collector walk them all over and over."""
    @wraps(build)
    def run(*args, **kwargs):
        if not gc.isenabled():
            return build(*args, **kwargs)
        gc.disable()
        try:
            return build(*args, **kwargs)
        finally:
            gc.enable()
    return run


class Index:
    """Postings over every entry's documents (title, aliases, keywords...), built once per knowledge base.

    A question is scored against every document that shares a word with it, but a word found in more
    than :data:`COMMON_DOCS` documents ("odop", "hs", "scheme" ...) is not walked document by document:
    each entry keeps a few pre-summed rows for its common words (``_rows``), and entries reached only
    through common words are visited best-bound-first (``_lists``, per common word and kind) until none
    left can reach the top :data:`RERANK` (a threshold algorithm); the commonest words of a longer
    question are added last, to the entries still in the running (:data:`WEAK_LIST`). The scores are
    the same as a walk over every document (``tests/test_matcher_index.py``).
    """

    @_without_gc
    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.canon = Canon(dict(kb.synonyms))
        self.entries: list[Entry] = list(kb.entries.values())
        self.position = {e.id: i for i, e in enumerate(self.entries)}
        self._spoken: dict[str, frozenset[str]] = {}
        # Every distinct text (a keyword that repeats an alias, a glossary pattern) is canonicalised once, all together.
        groups = [self._text_groups(e) for e in self.entries]
        content = self.canon.contents(chain.from_iterable(texts for g in groups for texts, _ in g))
        self.title_tokens: list[tuple[str, ...]] = [     # (a tuple: a small frozenset takes 9 times the memory)
            tuple(frozenset(content[said(e.title.en)]) | frozenset(content[said(e.title.hi)])) for e in self.entries]
        # Each entry's documents, the same token set once at its highest weight (only the best one counts).
        # (all entries' documents flat: per entry how many, per document its weight and number of words, and the
        # words one after the other)
        docs_per_entry: list[int] = []
        doc_weights: list[float] = []
        doc_lens: list[int] = []
        doc_words: list[str] = []
        self._phrases: dict[int, list[str]] = {}   # an entry's weight-1 phrasings (for _finish; when first asked for)
        self.entry_tokens: list[frozenset[str]] = []
        df: Counter[str] = Counter()   # document frequency counted per entry, so a word in many aliases of one entry stays rare
        no_words: frozenset[str] = frozenset()
        for entry, entry_groups in zip(self.entries, groups):
            kind = frozenset(KIND_TOKENS.get(entry.kind, ()))
            docs: dict[frozenset[str], float] = {}
            # The groups come heaviest first, so a token set's first document has its highest weight.
            for texts, weight in entry_groups:
                sets = map(frozenset, map(content.__getitem__, texts))
                if kind:
                    sets = map(frozenset.union, sets, repeat(kind))
                if docs:
                    for toks in sets:
                        docs.setdefault(toks, weight)
                else:
                    docs = dict.fromkeys(sets, weight)
            docs.pop(no_words, None)
            union: set[str] = set().union(*docs)
            for code in entry.codes if entry.kind == "hs_code" else ():
                toks = frozenset({code, "hs"})
                docs[toks] = 1.0
                union.update(toks)
                prefixes = {code[:n] for n in (4, 6) if n < len(code)}
                if prefixes:   # a code's prefixes match a typed heading, not the entry as a whole: not in union
                    toks = frozenset(prefixes | {"hs"})
                    docs[toks] = max(docs.get(toks, 0.0), PREFIX_WEIGHT)
            docs_per_entry.append(len(docs))
            doc_weights.extend(docs.values())
            doc_lens.extend(map(len, docs))
            doc_words.extend(chain.from_iterable(docs))
            self.entry_tokens.append(frozenset(union))
            df.update(union)
        del groups, content
        n = max(len(self.entries), 1)
        self.idf = {t: math.log(1 + n / c) for t, c in df.items()}
        # A word the knowledge base has never seen counts against a match, but less than a known word:
        # people wrap questions in words of their own ("mera gaon hathras me hai, yaha ka odop?").
        median = sorted(self.idf.values())[len(self.idf) // 2] if self.idf else 1.0
        self.unknown_weight = UNKNOWN_SHARE * median
        self._kinds = sorted({e.kind for e in self.entries})
        self._kind_of = array("b", [self._kinds.index(e.kind) for e in self.entries])
        self._kind_words = [KIND_TOKENS.get(kind, ()) for kind in self._kinds]
        self._kind_array = np.frombuffer(self._kind_of, dtype=np.int8) if self.entries else np.zeros(0, dtype=np.int8)
        self._build_postings(docs_per_entry, doc_weights, doc_lens, doc_words)
        # Per kind: the word that asks for it and what an entry of it loses when that word is not asked (see
        # _score: KIND_BONUS when it is asked); the kind's common words.
        self._intents = [(KIND_TOKENS.get(kind, ())[:1] or ("",))[0] for kind in self._kinds]
        self._intents = [(intent, -KIND_STEP_BACK if intent in INTENT_WORDS else 0.0) for intent in self._intents]
        self._kind_common = [tuple(k for k in KIND_TOKENS.get(kind, ()) if k in self._bit) for kind in self._kinds]
        # An HS code typed in full names its own entry above any entry that merely mentions it.
        self._by_code: dict[str, list[int]] = {}
        for i, e in enumerate(self.entries):
            if e.kind == "hs_code":
                self._by_code.setdefault(e.codes[0], []).append(i)
        self._corrections: dict[tuple[str, bool], str | None] = {}
        self._off_stems: dict[str, bool] = {}
        self._typo_tables_built = False    # the tables below are made for the first word that needs correcting

    @_without_gc
    def _typo_tables(self) -> None:
        """The index's words by length and by consonant skeleton, for typo correction."""
        self._typo_tables_built = True
        self.vocab = sorted(self.idf)
        # A synonym's own spelling is a word a typo may mean too ("bunkr" -> bunkar -> weaving): the Latin words
        # of synonyms.yaml that stand for one index word, each with that word.
        self._meaning: dict[str, str] = {}
        for variant, canonical in self.canon.words.items():
            target = canonical.split()
            if (variant.isascii() and variant.isalpha() and len(target) == 1 and target[0] != "-"
                    and stem(target[0]) in self.idf and variant not in self.idf):
                self._meaning[variant] = stem(target[0])
        # Typo candidates by length: an edit distance of k only reaches words within k letters of the length.
        self._latin_by_len: dict[int, list[str]] = {}
        self._deva_by_len: dict[int, list[str]] = {}
        for t in self.vocab:
            if not t.isascii():
                self._deva_by_len.setdefault(len(t), []).append(t)
            elif not t.isdigit() and len(t) >= 3:
                self._latin_by_len.setdefault(len(t), []).append(t)
        for t in sorted(self._meaning):
            if len(t) >= 3:
                self._latin_by_len.setdefault(len(t), []).append(t)
        # Hinglish words that stand in the index only in Devanagari: matched by their consonants.
        by_skeleton: dict[str, set[str]] = {}
        for t in self.vocab:
            if t.isascii():
                continue
            sk = skeleton(t)
            if len(sk) >= SKELETON_MIN:
                by_skeleton.setdefault(sk, set()).add(t)
        self._skeletons = {sk: next(iter(ts)) for sk, ts in by_skeleton.items() if len(ts) == 1}
        # SMS-speak drops vowels ("lethr", "gds", "prdcts", "xport"): an English word known by its consonants,
        # when no other word of the index has the same ones.
        latin_by_skeleton: dict[str, set[str]] = {}
        for t in chain(self.vocab, sorted(self._meaning)):
            if t.isascii() and not t.isdigit() and len(t) >= 4:
                latin_by_skeleton.setdefault(skeleton(t), set()).add(t)
        # one word per skeleton (or several spellings of one word: "bunkar", "bunkaron" are both weaving)
        self._latin_skeletons = {sk: tuple(sorted(ts)) for sk, ts in latin_by_skeleton.items()
                                 if len({self._meaning.get(t, t) for t in ts}) == 1 and len(sk) >= SKELETON_MIN}

    def _build_postings(self, docs_per_entry: list[int], doc_weights: list[float], doc_lens: list[int],
                        doc_words: list[str]) -> None:
        """The index's arrays from every entry's documents, all at once (numpy over every word of every document).

        The documents come entry by entry: per entry how many, per document its weight and number of words, and
        all their words one after the other (the lists are emptied here).

        Per rare word the documents that hold it (postings); per document with a rare word its entry, weight, own
        idf, group of kind words and numbered mask of common words (see :meth:`_first_step`); per entry its rows
        of common words (``_rows``); per common word and kind the entries that have it with bounds of what it can
        add (``_lists``). The sums are made in the same order as a walk over each document's words would make
        them, so every score is the same to the last bit (``tests/test_matcher_index.py``).
        """
        idf = self.idf
        n_entries = len(docs_per_entry)
        # Every word of every document as a number (first seen, first numbered), document by document.
        number: defaultdict[str, int] = defaultdict()
        number.default_factory = number.__len__
        per_entry = np.array(docs_per_entry, dtype=np.int64)
        doc_weights_all = np.array(doc_weights, dtype=np.float64)
        lens = np.array(doc_lens, dtype=np.int64)
        tok = np.fromiter(map(number.__getitem__, doc_words), dtype=np.int32, count=len(doc_words))
        for done in (docs_per_entry, doc_weights, doc_lens, doc_words):
            done.clear()
        vocab = list(number)
        del number
        n_docs, n_words = len(lens), len(vocab)
        doc_freq = np.bincount(tok, minlength=n_words)
        common = sorted(t for t, c in zip(vocab, doc_freq.tolist()) if c > COMMON_DOCS)
        self._common = common
        self._bit = {t: 1 << b for b, t in enumerate(common)}
        bit = self._bit
        self._kind_groups: list[tuple[str, ...]] = sorted(set(KIND_TOKENS.values()) | {()})
        word_bit = np.array([bit[t].bit_length() - 1 if t in bit else -1 for t in vocab], dtype=np.int32)
        is_common = word_bit >= 0
        word_idf = np.array([idf.get(t, 0.0) for t in vocab], dtype=np.float64)
        word_of = {t: k for k, t in enumerate(vocab)}
        # Per document: its entry and that entry's group of kind words; per word of a document: its document.
        doc_entry_all = np.repeat(np.arange(n_entries, dtype=np.int32), per_entry)
        group_of_entry = np.array([self._kind_groups.index(KIND_TOKENS.get(e.kind, ())) for e in self.entries],
                                  dtype=np.int8)
        doc_group = group_of_entry[doc_entry_all] if n_docs else np.zeros(0, dtype=np.int8)
        starts = np.zeros(n_docs + 1, dtype=np.int64)
        np.cumsum(lens, out=starts[1:])
        doc_of = np.repeat(np.arange(n_docs, dtype=np.int32), lens)
        # A document's own idf: its words' idf summed in its words' order, a kind's words counting 0 in the entries
        # of that kind (a code prefix's idf is 0 too). Added position by position, longest documents first.
        x = word_idf[tok]
        kind_word = np.zeros((len(self._kind_groups), n_words), dtype=bool)   # per group of kind words, its words
        for g, words in enumerate(self._kind_groups):
            kind_word[g, [word_of[t] for t in words if t in word_of]] = True
        x[kind_word[doc_group[doc_of], tok]] = 0.0
        del kind_word
        by_length = np.argsort(-lens, kind="stable")
        sorted_lens = lens[by_length]
        sorted_starts = starts[:-1][by_length]
        own_sorted = np.zeros(n_docs)
        longest = int(sorted_lens[0]) if n_docs else 0
        reaching = np.searchsorted(-sorted_lens, -np.arange(longest), side="left").tolist()
        for j in range(longest):
            k = int(reaching[j])     # the documents with more than j words
            own_sorted[:k] += x[sorted_starts[:k] + j]
        own = np.empty(n_docs)
        own[by_length] = own_sorted
        del x, own_sorted, by_length, sorted_lens, sorted_starts
        # The documents with a rare word, numbered in order.
        tok_common = is_common[tok]
        rare_occ = ~tok_common
        doc_rare = np.bincount(doc_of[rare_occ], minlength=n_docs) > 0
        rare_number = np.cumsum(doc_rare, dtype=np.int64) - 1
        # Masks of common words: a document's words are distinct, so adding their bits is or-ing them.
        width64 = max(1, (len(common) + 63) // 64)
        mask_rows = np.zeros((n_docs, width64), dtype=np.uint64)
        common_bits = word_bit[tok[tok_common]]
        np.add.at(mask_rows, (doc_of[tok_common], common_bits >> 6),
                  np.left_shift(np.uint64(1), (common_bits & 63).astype(np.uint64)))
        del common_bits
        has_common = np.bincount(doc_of[tok_common], minlength=n_docs) > 0
        del tok_common
        distinct, mask_no = self._distinct_rows(mask_rows)
        del mask_rows
        distinct_rows = distinct.view(np.uint8).reshape(len(distinct), 8 * width64)
        raw = distinct.tobytes()
        size = 8 * width64
        self._masks: list[int] = [int.from_bytes(raw[k:k + size], "little") for k in range(0, len(raw), size)]
        width = max(1, (len(common) + 7) // 8)
        self._mask_bytes = np.ascontiguousarray(distinct_rows[:, :width])
        del distinct, distinct_rows, raw
        # Postings: per rare word (numbered in order among the rare words) its documents, ascending.
        rare_words = ~is_common
        rare_id = np.cumsum(rare_words, dtype=np.int64) - 1
        post_tok = rare_id[tok[rare_occ]]
        post_doc = rare_number[doc_of[rare_occ]].astype(np.int32)
        del rare_occ, doc_of, tok
        order = np.argsort(post_tok, kind="stable")
        self._post_docs = post_doc[order]
        counts = np.bincount(post_tok, minlength=int(rare_words.sum()))
        del order, post_tok, post_doc
        self._tok_id = {t: k for k, t in enumerate(t for t in vocab if t not in bit)}
        self._post_ptr = [0, *accumulate(counts.tolist())]
        self._doc_entry = doc_entry_all[doc_rare]
        self._doc_weight = doc_weights_all[doc_rare]
        self._doc_kind = doc_group[doc_rare]
        self._doc_mask = mask_no[doc_rare]
        # Own idf, divided by: where it is 0 (``_doc_ownless``) it is 1 here and 1 is added to the quotient (then cd
        # is 1 whatever the question holds: min(1, x + 1)).
        doc_own = own[doc_rare]
        self._doc_ownless = doc_own == 0
        doc_own[self._doc_ownless] = 1.0
        self._doc_own = doc_own
        # Per kind word: which groups of kind words hold it (it does not count as the document's own word there).
        self._kind_has = {t: np.array([t in group for group in self._kind_groups])
                          for group in self._kind_groups for t in group}
        # Rows: per entry, its documents with a common word as (mask, weight, own idf); of those with the same mask
        # and weight only the smallest own idf can score best.
        picked = np.flatnonzero(has_common)
        r_entry, r_mask, r_weight, r_own = (doc_entry_all[picked], mask_no[picked], doc_weights_all[picked],
                                            own[picked])
        weight_values, weight_rank = np.unique(r_weight, return_inverse=True)
        key = (r_entry.astype(np.int64) * len(self._masks) + r_mask) * len(weight_values) + weight_rank.reshape(-1)
        order = np.argsort(key, kind="stable")
        key = key[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = key[1:] != key[:-1]
        cuts = np.flatnonzero(first)
        low = np.minimum.reduceat(r_own[order], cuts) if len(cuts) else r_own[:0]
        taken = order[cuts]
        r_entry, r_mask, r_weight, r_own = r_entry[taken], r_mask[taken], r_weight[taken], low
        del key, cuts, taken, weight_values, weight_rank
        del order, first, picked, has_common, own, mask_no, doc_entry_all, doc_weights_all, doc_group
        masks = self._masks
        flat = list(chain.from_iterable(zip(map(masks.__getitem__, r_mask.tolist()), r_weight.tolist(),
                                            r_own.tolist())))
        cut = (3 * np.searchsorted(r_entry, np.arange(n_entries + 1))).tolist()
        self._rows: list[tuple[int | float, ...]] = [tuple(flat[a:b]) for a, b in zip(cut, cut[1:])]
        del flat
        self._build_lists(r_entry, r_mask, r_weight, r_own, group_of_entry)

    @staticmethod
    def _distinct_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The distinct rows of a 2-d uint64 array (ascending by a hash of each) and each row's number among them.

        Rows are told apart by a 64-bit hash of their words, checked: if two different rows ever hash alike, they
        are sorted as bytes instead (slower)."""
        h = np.zeros(len(rows), dtype=np.uint64)
        for column in rows.T:
            h = h * np.uint64(0x9E3779B97F4A7C15) + column      # (wraps around)
            h ^= h >> np.uint64(29)
        _, first, number = np.unique(h, return_index=True, return_inverse=True)
        number = number.reshape(-1)
        distinct = rows[first]
        if not np.array_equal(distinct[number], rows):
            as_bytes = np.ascontiguousarray(rows).view(np.dtype((np.void, rows.shape[1] * 8))).ravel()
            values, number = np.unique(as_bytes, return_inverse=True)
            distinct = np.frombuffer(values.tobytes(), dtype=np.uint64).reshape(len(values), rows.shape[1])
            number = number.reshape(-1)
        return np.ascontiguousarray(distinct), number.astype(np.int32)

    def _build_lists(self, r_entry: np.ndarray, r_mask: np.ndarray, r_weight: np.ndarray, r_own: np.ndarray,
                     group_of_entry: np.ndarray) -> None:
        """Per common word and kind: the entries that have it, and upper bounds of what the word can add to each
        one's score (per unit of the word's weight in the question): base, per unit of the kind's words' weight,
        and when it is the only common word the entry has.

        A row scores w * G * (0.75 + 0.25 * cd) / total with G = Gk + Gown (kind and own words of the question in
        it), cd = min(1, Gown / own) <= rho (its common own words' share of own), and Gk * cd <= Gk * Gown / own, so
        a kind word adds at most 0.75 w and an own word w * (0.75 + 0.25 * rho) ("base") plus 0.25 * w / own
        ("per_kind") times Gk, the weight of the entry's kind words in the question (worked out per question);
        with no own words cd is 1 and every word adds w. When t is the only common word of the question the entry
        has, cd <= idf(t) / own ("alone"). Every document of an entry has its kind's words: they add the most any
        row lets them.
        """
        idf, common, n_common = self.idf, self._common, len(self._common)
        self._lists: dict[str, dict[int, tuple[array, array, array, array]]] = {t: {} for t in common}
        # Per row its mask's own words (common words that are not its kind's), in the order of their bits.
        n_groups = len(self._kind_groups)
        pair_key = r_mask.astype(np.int64) * n_groups + group_of_entry[r_entry]
        pairs, pair_of = np.unique(pair_key, return_inverse=True)
        pair_of = pair_of.reshape(-1)
        own_ids: list[int] = []
        own_offsets = [0]
        own_common = []
        has_kind = []
        for key in pairs.tolist():
            mask, group = divmod(key, n_groups)
            kind_words = self._kind_groups[group]
            m = self._masks[mask]
            bits = []
            while m:
                low = m & -m
                bits.append(low.bit_length() - 1)
                m ^= low
            words = [common[b] for b in bits]
            own_bits = [b for b, t in zip(bits, words) if t not in kind_words]
            own_ids.extend(own_bits)
            own_offsets.append(len(own_ids))
            own_common.append(sum(idf.get(common[b], 0.0) for b in own_bits))
            has_kind.append(len(own_bits) < len(words))
        own_offsets_a = np.array(own_offsets, dtype=np.int64)
        n_own = np.diff(own_offsets_a)[pair_of]
        row_own_common = np.array(own_common, dtype=np.float64)[pair_of]
        row_has_kind = np.array(has_kind, dtype=bool)[pair_of]
        ownless = r_own == 0
        safe_own = np.where(ownless, 1.0, r_own)
        # What a kind word can add: the most of any row with only kind words or with some.
        kind_factor = np.where(ownless, r_weight, r_weight * 0.75)
        takes = (n_own == 0) | row_has_kind
        with_rows = np.zeros(len(self.entries), dtype=bool)
        with_rows[r_entry] = True
        kind_max = np.full(len(self.entries), -1.0)
        np.maximum.at(kind_max, r_entry[takes], kind_factor[takes])
        # Own words: one item per row and own word.
        rho = row_own_common / safe_own
        own_factor = np.where(ownless, r_weight, r_weight * (0.75 + 0.25 * np.minimum(rho, 1.0)))
        kind_share = np.where(ownless, 0.0, 0.25 * r_weight / safe_own)
        item_row = np.repeat(np.arange(len(r_entry)), n_own)
        within = np.arange(len(item_row)) - np.repeat(np.cumsum(n_own) - n_own, n_own)
        item_bit = np.array(own_ids, dtype=np.int64)[own_offsets_a[pair_of][item_row] + within] if len(item_row) else \
            np.zeros(0, dtype=np.int64)
        common_idf = np.array([idf.get(t, 0.0) for t in common], dtype=np.float64)
        x = common_idf[item_bit] / safe_own[item_row]
        item_f = np.where(ownless[item_row], r_weight[item_row],
                          r_weight[item_row] * (0.75 + 0.25 * np.minimum(x, 1.0)))
        item_entry = r_entry[item_row]
        # Per entry and word, the highest of each bound.
        key = item_entry.astype(np.int64) * n_common + item_bit
        order = np.argsort(key, kind="stable")
        key = key[order]
        first = np.ones(len(key), dtype=bool)
        first[1:] = key[1:] != key[:-1]
        cuts = np.flatnonzero(first)
        if len(key):
            base = np.maximum.reduceat(own_factor[item_row][order], cuts)
            per_kind = np.maximum.reduceat(kind_share[item_row][order], cuts)
            alone = np.maximum.reduceat(item_f[order], cuts)
        else:
            base = per_kind = alone = np.zeros(0)
        key = key[cuts]
        # The entries' kind words that are common, each at the entry's kind maximum.
        group_bits = [[self._bit[t].bit_length() - 1 for t in group if t in self._bit] for group in self._kind_groups]
        k_entry, k_bit = [], []
        entries_with = np.flatnonzero(with_rows)
        for i, group in zip(entries_with.tolist(), group_of_entry[entries_with].tolist()):
            for b in group_bits[group]:
                k_entry.append(i)
                k_bit.append(b)
        k_entry_a = np.array(k_entry, dtype=np.int64)
        k_max = kind_max[k_entry_a] if len(k_entry_a) else np.zeros(0)
        all_entry = np.concatenate([key // n_common, k_entry_a]).astype(np.int64)
        all_bit = np.concatenate([key % n_common, np.array(k_bit, dtype=np.int64)])
        all_base = np.concatenate([base, k_max])
        all_per_kind = np.concatenate([per_kind, np.zeros(len(k_max))])
        all_alone = np.concatenate([alone, k_max])
        # What a word adds through the whole entry and its title: (1 - DOC_SHARE) * (t in toks) + TITLE_BONUS * (t in title)
        rests = [[(1 - DOC_SHARE) * a + TITLE_BONUS * b for b in (False, True)] for a in (False, True)]
        toks, titles = self.entry_tokens, self.title_tokens
        rest = np.array([rests[common[b] in toks[i]][common[b] in titles[i]]
                         for i, b in zip(all_entry.tolist(), all_bit.tolist())], dtype=np.float64)
        limit = DOC_SHARE * all_base + rest
        per_kind_v = DOC_SHARE * all_per_kind
        alone_v = DOC_SHARE * all_alone + rest
        kind_of = np.frombuffer(self._kind_of, dtype=np.int8).astype(np.int64) if len(self._kind_of) else \
            np.zeros(0, dtype=np.int64)
        all_kind = kind_of[all_entry]
        order = np.lexsort((all_entry, all_kind, all_bit))
        all_entry, all_kind, all_bit = all_entry[order], all_kind[order], all_bit[order]
        limit, per_kind_v, alone_v = limit[order], per_kind_v[order], alone_v[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = (all_bit[1:] != all_bit[:-1]) | (all_kind[1:] != all_kind[:-1])
        block_starts = np.flatnonzero(first).tolist()
        blocks = [(int(all_bit[a]), int(all_entry[a]), int(all_kind[a]), a, b)
                  for a, b in zip(block_starts, block_starts[1:] + [len(order)])]
        blocks.sort(key=lambda blk: (blk[0], blk[1]))    # per word, its kinds in the order of their first entries
        entries_i = all_entry.astype(np.int32)

        def of(values: np.ndarray, code: str) -> array:
            out = array(code)
            out.frombytes(values.tobytes())
            return out

        for b, _, kind_i, lo, hi in blocks:
            self._lists[common[b]][kind_i] = (of(entries_i[lo:hi], "i"), of(limit[lo:hi], "d"),
                                              of(per_kind_v[lo:hi], "d"), of(alone_v[lo:hi], "d"))
        # For the words in very many entries: how many have each, and per kind its highest bounds (see rank_query).
        self._list_size = {t: sum(len(group[0]) for group in groups.values()) for t, groups in self._lists.items()}
        self._list_high = {t: {kind_i: (max(limits), max(per_kind)) for kind_i, (_, limits, per_kind, _) in groups.items()}
                           for t, groups in self._lists.items()}

    @staticmethod
    def _texts(entry: Entry) -> Iterable[tuple[str, float]]:
        for texts, weight in Index._text_groups(entry):
            for text in texts:
                yield text, weight

    @staticmethod
    def _text_groups(entry: Entry) -> list[tuple[tuple[str, ...], float]]:
        """The texts an entry is found by, with their weight, heaviest first."""
        groups = [((said(entry.title.en), said(entry.title.hi), *entry.aliases), 1.0), (entry.keywords, 0.9)]
        if entry.kind == "market":
            groups.append(((" ".join(entry.countries),), 0.8))
        if entry.kind == "institution" and entry.district:
            groups.append(((entry.district.replace("-", " "),), 0.8))
        return groups

    def _phrasings(self, entry_i: int) -> list[str]:
        """An entry's weight-1 texts as canonical words (worked out when first asked for), each as its distinct
        words in order: the token set ratio of :meth:`_shapes` reads a text as just that, and texts alike in it
        are compared once."""
        found = self._phrases.get(entry_i)
        if found is None:
            texts = (text for text, weight in self._texts(self.entries[entry_i]) if weight == 1.0)
            found = self._phrases[entry_i] = list(dict.fromkeys(
                " ".join(sorted(set(words))) for words in map(self.canon.content, texts) if words))
        return found

    # ------------------------------------------------------------ query side

    def parse(self, text: str, sentences: list[tuple[str, float]] | None = None) -> Query:
        """Understand a message; ``sentences`` (text, weight) overrides how its sentences are weighted."""
        sentences = sentences if sentences is not None else sentence_weights(text)
        norms = [normalise(s) for s, _ in sentences]     # each sentence normalised once
        raw_tokens = (norms[0] if len(sentences) == 1 and sentences[0][0] == text else normalise(text)).split()
        # Off-topic words count where the user asks, not in what they tell about themselves.
        asked = " ".join(n for n, (_, w) in zip(norms, sentences) if w == 1.0)
        off_words = self._off_topic_words(asked)
        hinglish = any(t in HINGLISH_MARKERS for t in raw_tokens)
        tokens: dict[str, float] = {}
        unknown: dict[str, float] = {}
        for n, (_, weight) in zip(norms, sentences):
            for t in self.canon.content_of(n.split()):
                if t not in self.idf:
                    fixed = self._correct(t, hinglish)
                    if not fixed:
                        unknown[t] = max(unknown.get(t, 0.0), weight)
                        continue
                    t = fixed
                tokens[t] = max(tokens.get(t, 0.0), weight)
        if tokens and all(t.isdigit() and not HS_NUMBER.match(t) for t in tokens):
            tokens = {}   # a bare small number ("1", "20") is no question
        # "I make leather saddles in Kanpur. What HS code should I use?": when the question itself names only
        # what is asked (or one word: "What is it called?"), its subject is in the sentences around it, which then
        # count nearly as much (WEAK_QUESTION_CONTEXT).
        asked = [t for t, w in tokens.items() if w == 1.0]
        if len(sentences) > 1 and (len(asked) <= 1 or all(t in ASKING for t in asked)):
            tokens = {t: max(w, WEAK_QUESTION_CONTEXT) for t, w in tokens.items()}
            unknown = {t: max(w, WEAK_QUESTION_CONTEXT) for t, w in unknown.items()}
        # Clauses of one sentence are one question as to what is off topic ("Mera passport kho gaya, naya kaise banega").
        if not off_words and len(sentences) > 1 and len([p for p in _SENTENCE_END.split(text) if normalise(p)]) < 2:
            off_words = self._off_topic_words(" ".join(norms))
        off = bool(off_words)
        # Keep order, drop repeats.
        return Query(text, tuple(tokens), tuple(unknown), off, off_words, tuple(tokens.values()),
                     tuple(unknown.values()))

    def _off_topic_words(self, text: str) -> tuple[str, ...]:
        """The off-topic words and phrases of a normalised text."""
        found = tuple(t for t in text.split() if t in OFF_TOPIC or self._off_topic_stem(t))
        return found + tuple(m.group(0) for m in OFF_TOPIC_PHRASES.finditer(text))

    def _off_topic_stem(self, word: str) -> bool:
        """Is the word's stem an off-topic word (remembered per word)?"""
        found = self._off_stems.get(word)
        if found is None:
            if len(self._off_stems) >= WORDS_CACHED:
                self._off_stems.clear()
            found = self._off_stems[word] = stem(word) in OFF_TOPIC
        return found

    def _correct(self, token: str, hinglish: bool = False) -> str | None:
        """The index word a typo most likely meant: one edit for short words, two for long ones (cached)."""
        key = (token, hinglish)
        if key in self._corrections:
            return self._corrections[key]
        if len(self._corrections) >= CORRECTIONS_CACHED:
            self._corrections.clear()
        fixed = self._corrections[key] = self._correct_uncached(token, hinglish)
        return fixed

    def _correct_uncached(self, token: str, hinglish: bool) -> str | None:
        if HS_NUMBER.match(token) or token.isdigit():
            return None
        if not self._typo_tables_built:
            self._typo_tables()
        if token in KNOWN_WORDS:
            return None
        if token.isascii() and len(token) >= 4 and sum(ch in "aeiou" for ch in token) <= 1:
            # Vowels left out, nothing else changed ("prdcts", "xport"; "belt" is no "bolt").
            for sms in self._latin_skeletons.get(skeleton(token), ()):
                if drops_only_vowels(token, sms):
                    return self._meaning.get(sms, sms)
        if len(token) < 5:
            return None
        by_len = self._latin_by_len if token.isascii() else self._deva_by_len
        allowed = 1 if len(token) < 8 else 2
        # The closest word, and of equally close ones an index word before a synonym's spelling (each length's list
        # has the index words first), then the first in alphabetical order.
        best: tuple[int, bool, str] | None = None
        meaning = self._meaning
        for n in range(len(token) - allowed, len(token) + allowed + 1):
            choices = by_len.get(n)
            if choices:
                found = process.extractOne(token, choices, scorer=OSA.distance,
                                           score_cutoff=best[0] if best else allowed)
                if found is not None and (best is None or (found[1], found[0] in meaning, found[0]) < best):
                    best = (found[1], found[0] in meaning, found[0])
        if best is None:
            # A romanised Hindi word known only in Devanagari -- only in a Hinglish sentence, so an
            # English word ("operate") is never read as a Hindi one (प्रति).
            if token.isascii() and hinglish:
                found = self._skeletons.get(skeleton(token))
                return found if found is not None and romanisation_fits(token, found) else None
            return None
        # A typo keeps the first letter almost always; this avoids "gold" -> "cold".
        word = best[2]
        if word[0] != token[0] or not plausible_edit(token, word):
            return None
        return meaning.get(word, word)

    def speaks_of(self, entry_id: str) -> frozenset[str]:
        """Every canonical word of the entry, its answer text included (worked out when first asked for)."""
        cached = self._spoken.get(entry_id)
        if cached is None:
            entry = self.entries[self.position[entry_id]]
            cached = self.entry_tokens[self.position[entry_id]] | frozenset(
                self.canon.content(said(entry.answer.en) + " " + said(entry.answer.hi)))
            self._spoken[entry_id] = cached
        return cached

    def covers(self, entry_id: str, words: tuple[str, ...]) -> bool:
        """Does the entry itself speak of these words, in its answer too (e.g. rainfall in a district profile)?"""
        if entry_id not in self.position:
            return False
        toks = self.speaks_of(entry_id)
        return all(any(tok in toks for tok in self.canon.content(w) or [w]) for w in words)

    def unknown_share(self, query: Query) -> float:
        """How much of the question (by weight) is words the knowledge base has never seen."""
        unknown = self.unknown_weight * sum(query.unknown_weight(i) for i in range(len(query.unknown)))
        total = unknown + sum(self.idf.get(t, 0.0) * query.weight(i) for i, t in enumerate(query.tokens))
        return unknown / total if total else 1.0

    def rank(self, text: str, limit: int = 5) -> tuple[Query, list[Match]]:
        query = self.parse(text)
        return query, self.rank_query(query, limit)

    def rank_query(self, query: Query, limit: int = 5) -> list[Match]:
        """The entries that fit an understood question, best first."""
        if not query.tokens:
            return []
        idf = self.idf
        if len(query.weights) == len(query.tokens):
            weights = {t: idf[t] * w for t, w in zip(query.tokens, query.weights)}
        else:
            weights = {t: idf[t] * query.weight(i) for i, t in enumerate(query.tokens)}
        total = sum(weights.values()) + self.unknown_weight * sum(
            query.unknown_weight(i) for i in range(len(query.unknown)))
        exact_code = {i for t in weights for i in self._by_code.get(t, ())}
        common = [t for t in weights if t in self._bit]          # in question order
        qmask = 0
        for t in common:
            qmask |= self._bit[t]
        # 1. Documents with a rare word of the question, scored by class (see _first_step).
        reached, rare_hits, best_scores, held_weights = self._first_step(weights, total, exact_code)
        best = dict(zip(rare_hits, best_scores.tolist()))
        # 2. An upper bound of every candidate's score: per common word of the question, its weight times what the
        # word can add to the entry (precomputed); for an entry with rare words, its best document so far and
        # what those words can add. Entries are scored exactly, best bound first, until the best bound left
        # cannot reach the RERANK-th score; so most entries that share only a common word are never scored.
        # The kind bonus or step back (see _score) of each kind, at most: a penalty for lacking an intent word is
        # left out; and the weight of each kind's words in the question.
        adjust = [KIND_BONUS if intent in weights else step_back for intent, step_back in self._intents]
        kind_weight = [sum([weights.get(k, 0.0) for k in words]) for words in self._kind_common]
        # Words in very many entries ("export", "product", "make" ...), in a question with other common words,
        # are added last: once the RERANK best of the other candidates are scored, an entry that has only such
        # words mostly cannot reach them, and the words are added only to the entries still in the running
        # (looked up by bisection in their lists) instead of walking their lists.
        weak = [t for t in common if self._list_size[t] > WEAK_LIST] if len(common) > 1 else []
        bound: dict[int, float] = {}
        self._add_common(bound, [t for t in common if t not in weak], weights, total, adjust, kind_weight,
                         len(common) == 1)
        if rare_hits:
            base = np.array(adjust)[self._kind_array[reached]]
            if bound:
                base = np.array(list(map(bound.get, rare_hits, base.tolist())))
            bound.update(zip(rare_hits, (base + DOC_SHARE * best_scores
                                         + (1 - DOC_SHARE + TITLE_BONUS) * held_weights / total).tolist()))
        for entry_i in exact_code:
            bound[entry_i] = math.inf
        sums: dict[tuple[int, str], tuple[float, float]] = {}
        witems = list(weights.items())
        intents = [w for w in INTENT_WORDS if w in weights]
        scores: dict[int, float] = {}
        top: list[tuple[float, int]] = []      # the RERANK best as (score, -entry): top[0] is the weakest

        def seed(candidates: Iterable[int]) -> None:
            """Score the RERANK best bounds among these first: most candidates' bounds fall short of the score."""
            for _, entry_i in heapq.nlargest(RERANK, [(bound[i], -i) for i in candidates]):
                entry_i = -entry_i
                del bound[entry_i]
                s = scores[entry_i] = self._score(entry_i, best.get(entry_i, 0.0), weights, total, common, qmask,
                                                  sums, entry_i in exact_code, witems, adjust, intents)
                self._keep(top, s, entry_i)

        if weak and len(bound) >= RERANK:
            seed(bound)
            floor = top[0][0] - 1e-9
            # What each word can add to any entry at most: while the words left could lift an entry that has none
            # of the others to the RERANK-th score, the one that can add most is walked after all.
            lift = {t: weights[t] / total * max(high + per_kind * kind_weight[kind_i]
                                                for kind_i, (high, per_kind) in self._list_high[t].items())
                    for t in weak}
            weak.sort(key=lift.__getitem__, reverse=True)
            walk = []
            while weak and sum(map(lift.__getitem__, weak)) + max(adjust) >= floor:
                walk.append(weak.pop(0))
            if walk:
                self._add_common(bound, walk, weights, total, adjust, kind_weight, False)
                for entry_i in scores:
                    bound.pop(entry_i, None)
            if weak:
                rest = sum(map(lift.__getitem__, weak))
                bound = {i: b for i, b in bound.items() if b + rest >= floor}
                # A bisection costs about four steps of a walk: a word in fewer entries than that is walked.
                late = [t for t in weak if self._list_size[t] <= 4 * len(bound)]
                if late:
                    self._add_common(bound, late, weights, total, adjust, kind_weight, False)
                    for entry_i in scores:
                        bound.pop(entry_i, None)
                self._add_weak(bound, [t for t in weak if t not in late], weights, total, kind_weight)
                weak = []
        if weak:
            self._add_common(bound, weak, weights, total, adjust, kind_weight, False)
        if not scores and len(bound) > 4 * len(rare_hits) and len(rare_hits) >= RERANK:
            # A first RERANK from the entries with a rare word (fewer than all candidates, and usually the best).
            seed(rare_hits)
        keys = np.fromiter(bound, dtype=np.int64, count=len(bound))
        values = np.fromiter(bound.values(), dtype=np.float64, count=len(bound))
        if scores:
            keep = values >= top[0][0] - 1e-9
            keys, values = keys[keep], values[keep]
        batch = RERANK
        while len(keys):
            # Best bound first, and of equal bounds the first entry (ties are settled by position): the batch best
            # bounds and every one equal to the last of them, in that order.
            if len(keys) > batch:
                least = np.partition(values, len(values) - batch)[len(values) - batch]
                taken = values >= least
                now_keys, now_values = keys[taken], values[taken]
                keys, values = keys[~taken], values[~taken]
            else:
                now_keys, now_values = keys, values
                keys = keys[:0]
            order = np.lexsort((now_keys, -now_values))
            for b, entry_i in zip(now_values[order].tolist(), now_keys[order].tolist()):
                if len(top) == RERANK:
                    weakest, weakest_i = top[0][0], -top[0][1]
                    if b < weakest - 1e-9 or (b <= weakest + 1e-9 and entry_i > weakest_i):
                        return self._finish(scores, query, limit)
                s = scores[entry_i] = self._score(entry_i, best.get(entry_i, 0.0), weights, total, common, qmask,
                                                  sums, entry_i in exact_code, witems, adjust, intents)
                self._keep(top, s, entry_i)
            if len(top) == RERANK and len(keys):   # drop at once what cannot reach the RERANK-th score any more
                keep = values >= top[0][0] - 1e-9
                keys, values = keys[keep], values[keep]
            batch *= 4
        return self._finish(scores, query, limit)

    def _first_step(self, weights: dict[str, float], total: float, exact_code: set[int]
                    ) -> tuple[np.ndarray, list[int], np.ndarray, np.ndarray]:
        """Every document that holds a rare word of the question, scored: the entries reached (ascending, as an
        array and a list), each one's best document's score, and (at least) the weight of the rare words found in
        its documents.

        A document scores ``weight * cq * (0.75 + 0.25 * cd)``: ``cq`` the share of the question it holds and
        ``cd`` how much of its own words the question covers (words every entry of its kind carries -- "hs",
        "market", "odop" -- count neither for nor against it), both the same for every document of its class.
        The classes' sums are added word by word in question order, as a walk over each document would add them.
        """
        bit, tok_id, ptr, post = self._bit, self._tok_id, self._post_ptr, self._post_docs
        found: list[tuple[str, float, np.ndarray]] = []
        rare: list[np.ndarray] = []
        for t, g in weights.items():
            if t in bit:
                found.append((t, g, None))
                continue
            k = tok_id.get(t)
            if k is not None:
                docs = post[ptr[k]:ptr[k + 1]]
                found.append((t, g, docs))
                rare.append(docs)
        if not rare:
            return np.zeros(0, dtype=np.int32), [], np.zeros(0), np.zeros(0)
        if len(rare) == 1:
            cands = rare[0]
        else:
            cands = np.concatenate(rare)
            cands.sort()
            keep = np.empty(len(cands), dtype=bool)
            keep[0] = True
            np.not_equal(cands[1:], cands[:-1], out=keep[1:])
            cands = cands[keep]
        n = len(cands)
        got = np.zeros(n)
        got_own = None      # the same as ``got`` until a kind word of the question is found
        kinds = self._doc_kind[cands]
        kind_has = self._kind_has
        # Which rare words (their place in ``rare_weights``, modulo 64) a document holds. In a question of more than
        # 64 rare words a bit stands for several: an entry's rare weight is then counted high, which only loosens
        # the bound it serves (rank_query, step 2).
        bits = np.zeros(n, dtype=np.uint64)
        rare_weights: list[float] = []
        masks = None
        for t, g, docs in found:
            if docs is None:    # a common word: which candidates hold it (by their masks)
                if masks is None:
                    masks = self._doc_mask[cands]
                b = bit[t].bit_length() - 1
                local = np.flatnonzero(self._mask_bytes[masks, b >> 3] & (1 << (b & 7)))
                if not len(local):
                    continue
            else:
                local = np.searchsorted(cands, docs)
                bits[local] |= np.uint64(1 << (len(rare_weights) % 64))
                rare_weights.append(g)
            has = kind_has.get(t)
            if has is not None and got_own is None:
                got_own = got.copy()
            got[local] += g
            if got_own is not None:
                got_own[local] += g if has is None else np.where(has[kinds[local]], 0.0, g)
        if got_own is None:
            got_own = got
        cd = np.minimum(1.0, got_own / self._doc_own[cands] + self._doc_ownless[cands])
        score = self._doc_weight[cands] * (got / total) * (0.75 + 0.25 * cd)
        entries = self._doc_entry[cands]
        if exact_code:
            score += np.where(np.isin(entries, list(exact_code)), EXACT_CODE_BONUS, 0.0)
        # Per entry (the documents go entry by entry): its best document and the rare words it holds.
        first = np.empty(n, dtype=bool)
        first[0] = True
        np.not_equal(entries[1:], entries[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        unique = entries[starts]
        top = np.maximum.reduceat(score, starts)
        held = np.bitwise_or.reduceat(bits, starts)
        # The rare words' weight each entry holds: bit k of ``held`` stands for the words k, k + 64, ... of
        # ``rare_weights``, all counted when it is set (an upper bound, for the bounds of rank_query's step 2).
        per_bit = [0.0] * 64
        for k, g in enumerate(rare_weights):
            per_bit[k % 64] += g
        width = min(8, (len(rare_weights) + 7) // 8)      # bytes of ``held`` in use
        hits = (np.unpackbits(held.astype("<u8", copy=False).view(np.uint8).reshape(-1, 8)[:, :width], axis=1,
                              bitorder="little")
                @ np.array(per_bit[:8 * width]))
        return unique, unique.tolist(), top, hits

    def _add_common(self, bound: dict[int, float], words: list[str], weights: dict[str, float], total: float,
                    adjust: list[float], kind_weight: list[float], alone: bool) -> None:
        """Add to each entry's bound what these common words can add to its score (and its kind's adjustment)."""
        for t in words:
            gain = weights[t] / total
            fresh = not bound
            for kind_i, (order, limits, per_kind, alone_limits) in self._lists[t].items():
                if alone:
                    limits = alone_limits
                elif kind_weight[kind_i]:
                    limits = [b + k * kind_weight[kind_i] for b, k in zip(limits, per_kind)]
                a = adjust[kind_i]
                if fresh:
                    bound.update(zip(order, map(a.__add__, map(gain.__mul__, limits))))
                    continue
                for entry_i, b in zip(order, limits):
                    bound[entry_i] = bound.get(entry_i, a) + gain * b

    def _add_weak(self, bound: dict[int, float], words: list[str], weights: dict[str, float], total: float,
                  kind_weight: list[float]) -> None:
        """Add these common words' part to the bounds of the entries already there, found in the words' lists
        (sorted by entry) by bisection."""
        kind_of = self._kind_of
        for t in words:
            gain = weights[t] / total
            groups = self._lists[t]
            for entry_i in bound:
                kind_i = kind_of[entry_i]
                group = groups.get(kind_i)
                if group is None:
                    continue
                order, limits, per_kind, _ = group
                j = bisect_left(order, entry_i)
                if j < len(order) and order[j] == entry_i:
                    kw = kind_weight[kind_i]
                    bound[entry_i] += gain * (limits[j] + per_kind[j] * kw if kw else limits[j])

    @staticmethod
    def _keep(top: list[tuple[float, int]], score: float, entry_i: int) -> None:
        if len(top) < RERANK:
            heapq.heappush(top, (score, -entry_i))
        elif (score, -entry_i) > top[0]:
            heapq.heapreplace(top, (score, -entry_i))

    def _score(self, entry_i: int, best: float, weights: dict[str, float], total: float, common: list[str],
               qmask: int, sums: dict[tuple[int, str], tuple[float, float]], exact: bool,
               witems: list[tuple[str, float]], adjust: list[float], intents: list[str]) -> float:
        """An entry's score from its best document so far (``best``) and its rows of common words; ``witems`` are
        the question's words and weights, ``adjust`` the kind bonus or step back of each kind (see below) and
        ``intents`` the question's words of :data:`INTENT_WORDS`."""
        kind_i = self._kind_of[entry_i]
        kind = self._kinds[kind_i]
        kind_words = self._kind_words[kind_i]
        rows = iter(self._rows[entry_i])
        for mask, weight, own in zip(rows, rows, rows):
            hit = mask & qmask
            if not hit:
                continue
            got, got_own = sums.get((hit, kind)) or sums.setdefault((hit, kind), (
                sum(weights[t] for t in common if self._bit[t] & hit),
                sum(weights[t] for t in common if self._bit[t] & hit and t not in kind_words)))
            cd = min(1.0, got_own / own) if own else 1.0
            score = weight * (got / total) * (0.75 + 0.25 * cd)
            if exact:
                score += EXACT_CODE_BONUS
            if score > best:
                best = score
        # The whole entry as one bag too: a question may combine words from several aliases.
        toks = self.entry_tokens[entry_i]
        score = DOC_SHARE * best + (1 - DOC_SHARE) * _sum_in_order(toks.intersection(weights), weights, witems) / total
        # An entry whose title is what the question asks about wins a tie ("What is RoDTEP?").
        title = self.title_tokens[entry_i]
        score += TITLE_BONUS * _sum_in_order([t for t in title if t in weights], weights, witems) / total
        # A question that names what it wants ("HS code ...", "markets for ...") prefers entries of that kind.
        # An HS-code or market entry answers "which code" / "which countries"; without that word it steps back
        # (``adjust``, worked out per question from ``_intents``: KIND_BONUS, -KIND_STEP_BACK or 0.0).
        score += adjust[kind_i]
        # The question asks for a code or for countries, and this entry speaks of neither.
        if intents and any(w not in toks for w in intents):
            score -= KIND_STEP_BACK
        return score

    def _finish(self, scores: dict[int, float], query: Query, limit: int) -> list[Match]:
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:RERANK]
        # Close calls are settled by how alike the question and the entry's best phrasing are, letter by letter.
        phrase = " ".join(query.tokens)
        shapes = self._shapes([i for i, _ in ranked], phrase)
        scored = [(i, s + SHAPE_WEIGHT * shape) for (i, s), shape in zip(ranked, shapes)]
        scored.sort(key=lambda kv: (-kv[1], kv[0]))
        return [Match(self.entries[i], round(s, 4)) for i, s in scored[:limit]]

    def _shapes(self, entries: list[int], phrase: str) -> list[float]:
        """Per entry, how alike the phrase and the entry's likest phrasing are (0..1, rapidfuzz's token set ratio):
        every phrasing of these entries is compared in one call."""
        lines: list[str] = []
        starts: list[int] = []
        for entry_i in entries:
            starts.append(len(lines))
            lines += self._phrasings(entry_i)
        if not lines or not phrase:
            return [0.0] * len(entries)
        ratios = process.cdist([phrase], lines, scorer=fuzz.token_set_ratio, dtype=np.float64)[0].tolist()
        ends = starts[1:] + [len(lines)]
        return [max(ratios[a:b]) / 100 if a < b else 0.0 for a, b in zip(starts, ends)]
