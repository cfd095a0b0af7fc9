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
from collections import Counter
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
                    for raw in raws:
                        if raw not in word:
                            word[raw] = tuple(t for t in self._word(raw) if t not in STOPWORDS)
                    written[w] = tuple(chain.from_iterable(map(word.__getitem__, raws)))
                found = tuple(chain.from_iterable(map(written.__getitem__, split)))
            if phrasing and not phrasing.isdisjoint(split):
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
        entry_docs: list[tuple[tuple[frozenset[str], ...], tuple[float, ...]] | None] = []
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
            entry_docs.append((tuple(map(tuple, docs)), tuple(docs.values())))
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
        self._build_postings(entry_docs)
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

    def _build_postings(self, entry_docs: list[tuple[tuple[frozenset[str], ...], tuple[float, ...]] | None]) -> None:
        idf = self.idf
        doc_freq = Counter(chain.from_iterable(chain.from_iterable(docs for docs, _ in entry_docs)))
        common = sorted(t for t, c in doc_freq.items() if c > COMMON_DOCS)
        self._common = common
        self._bit = {t: 1 << b for b, t in enumerate(common)}
        bit = self._bit
        # Documents with a rare word, found through postings (see _first_step): per document its entry, weight, sum of
        # own idf, kind (its group of kind words) and mask of common words (as a number in ``_masks``).
        self._kind_groups: list[tuple[str, ...]] = sorted(set(KIND_TOKENS.values()) | {()})
        postings: dict[str, array] = {t: array("i") for t in doc_freq if t not in bit}
        doc_entry = array("i")
        doc_weight = array("d")
        doc_own = array("d")
        doc_kind = array("b")
        doc_mask = array("i")
        mask_number: dict[int, int] = {}   # a document's mask of common words, numbered (see _masks)
        # Per entry, its documents with a common word as (mask of common words, weight, own idf); of those
        # with the same mask and weight only the smallest own idf can score best.
        self._rows: list[tuple[int | float, ...]] = []
        # Per common word and kind: the entries that have it, and upper bounds of what the word can add to each
        # one's score (per unit of the word's weight in the question): base, per unit of the kind's words' weight,
        # and when it is the only common word the entry has.
        self._lists: dict[str, dict[int, tuple[array, array, array, array]]] = {t: {} for t in common}
        masks: dict[int, int] = {}   # one int object per distinct mask
        mask_words: dict[int, list[str]] = {}
        # Per token: its idf (0 for a code prefix) and its bit (0 for a rare word). While the entries of a kind go
        # through, the kind's words have an idf of 0 in ``own_idf``: a document's sum is then the sum of its own
        # words (adding 0.0 changes no sum). A document's words are distinct, so the sum of their bits is its mask.
        token_info = {t: (idf.get(t, 0.0), bit.get(t, 0), postings.get(t)) for t in doc_freq}
        zeroed: tuple[str, ...] = ()
        mask_info: dict[tuple[str, ...], dict[int, tuple[list[str], list[float], bool, float]]] = {}
        list_appends: list[dict[str, tuple]] = [{} for _ in self._kinds]
        kind_common_words = {k: tuple(t for t in k if t in bit) for k in self._kind_groups}
        # What a word adds through the whole entry and its title: (1 - DOC_SHARE) * (t in toks) + TITLE_BONUS * (t in title)
        rests = [[(1 - DOC_SHARE) * a + TITLE_BONUS * b for b in (False, True)] for a in (False, True)]
        kind_group = self._kind_groups.index(zeroed)
        d = 0
        for i in range(len(entry_docs)):
            docs, doc_weights = entry_docs[i]
            entry_docs[i] = None   # its documents are freed as we go
            kind_words = KIND_TOKENS.get(self.entries[i].kind, ())
            if kind_words != zeroed:
                for t in zeroed:
                    if t in token_info:
                        token_info[t] = (idf.get(t, 0.0), *token_info[t][1:])
                for t in kind_words:
                    if t in token_info:
                        token_info[t] = (0.0, *token_info[t][1:])
                zeroed = kind_words
                kind_group = self._kind_groups.index(kind_words)
            rows: dict[tuple[int, float], float] = {}
            first = d
            for toks, weight in zip(docs, doc_weights):
                own = 0.0
                mask = 0
                rare = False
                for t in toks:
                    x, b, ds = token_info[t]
                    own += x
                    if b:
                        mask |= b
                    else:
                        ds.append(d)
                        rare = True
                if rare:
                    d += 1
                    doc_weight.append(weight)
                    doc_own.append(own)
                    doc_mask.append(mask_number.setdefault(mask, len(mask_number)))
                if mask:
                    key = (mask, weight)
                    low = rows.get(key)
                    if low is None:
                        interned = masks.get(mask)
                        if interned is None:   # a new mask: its words, in the order of their bits
                            interned = masks[mask] = mask
                            mask_words[mask] = sorted(filter(bit.__contains__, toks))
                        rows[interned, weight] = own
                    elif own < low:
                        rows[key] = own
            doc_entry.extend(repeat(i, d - first))
            doc_kind.extend(repeat(kind_group, d - first))
            self._rows.append(tuple(chain.from_iterable(map(tuple.__add__, rows, zip(rows.values())))))   # flat
            if not rows:
                continue
            # What each common word can add to the entry's best document, per unit of its query weight. A row
            # scores w * G * (0.75 + 0.25 * cd) / total with G = Gk + Gown (kind and own words of the question
            # in it), cd = min(1, Gown / own) <= rho (its common own words' share of own), and Gk * cd <= Gk * Gown
            # / own, so a kind word adds at most 0.75 w and an own word w * (0.75 + 0.25 * rho) ("base") plus
            # 0.25 * w / own ("per_kind") times Gk, the weight of the entry's kind words in the question (worked
            # out per question); with no own words cd is 1 and every word adds w. When t is the only common word
            # of the question the entry has, cd <= idf(t) / own ("alone").
            bounds: dict[str, list[float]] = {}    # per common word: [base, per_kind, alone]
            infos = mask_info.setdefault(kind_words, {})
            kind_factor_max = -1.0   # every document of an entry has its kind's words: one maximum for them all
            for (mask, weight), own in rows.items():
                info = infos.get(mask)
                if info is None:
                    words = mask_words[mask]
                    own_words = [t for t in words if t not in kind_words]
                    info = infos[mask] = (own_words, [idf.get(t, 0.0) for t in own_words], len(own_words) < len(words),
                                          sum(idf.get(t, 0.0) for t in own_words))
                own_words, own_idfs, has_kind, own_common = info
                if not own_words:   # only kind words
                    kind_factor = weight * 0.75 if own else weight
                    if kind_factor > kind_factor_max:
                        kind_factor_max = kind_factor
                    continue
                if own:
                    rho = own_common / own
                    own_factor = weight * (0.75 + 0.25 * (rho if rho < 1.0 else 1.0))
                    kind_factor = weight * 0.75
                    kind_share = 0.25 * weight / own
                    for t, x in zip(own_words, own_idfs):
                        x /= own
                        f = weight * (0.75 + 0.25 * (x if x < 1.0 else 1.0))
                        b = bounds.get(t)
                        if b is None:
                            bounds[t] = [own_factor, kind_share, f]
                            continue
                        if own_factor > b[0]:
                            b[0] = own_factor
                        if kind_share > b[1]:
                            b[1] = kind_share
                        if f > b[2]:
                            b[2] = f
                else:
                    own_factor = kind_factor = weight
                    for t in own_words:
                        b = bounds.get(t)
                        if b is None:
                            bounds[t] = [weight, 0.0, weight]
                            continue
                        if weight > b[0]:
                            b[0] = weight
                        if weight > b[2]:
                            b[2] = weight
                if has_kind and kind_factor > kind_factor_max:
                    kind_factor_max = kind_factor
            for t in kind_common_words[kind_words]:   # (alone, a kind word adds as much)
                bounds[t] = [kind_factor_max, 0.0, kind_factor_max]
            toks, title = self.entry_tokens[i], self.title_tokens[i]
            kind_i = self._kind_of[i]
            kind_appends = list_appends[kind_i]
            for t, (f, per_kind, alone) in bounds.items():
                rest = rests[t in toks][t in title]
                appends = kind_appends.get(t)
                if appends is None:
                    lists = self._lists[t][kind_i] = (array("i"), array("d"), array("d"), array("d"))
                    appends = kind_appends[t] = tuple(a.append for a in lists)
                add_entry, add_limit, add_per_kind, add_alone = appends
                add_entry(i)
                add_limit(DOC_SHARE * f + rest)
                add_per_kind(DOC_SHARE * per_kind)
                add_alone(DOC_SHARE * alone + rest)
        del masks, mask_info
        self._masks: list[int] = list(mask_number)     # by number
        del mask_number
        # ... and as bytes, a row per mask: the common word of bit b is bit b % 8 of byte b // 8.
        width = max(1, (len(common) + 7) // 8)
        self._mask_bytes = np.frombuffer(b"".join(m.to_bytes(width, "little") for m in self._masks),
                                         dtype=np.uint8).reshape(len(self._masks), width)
        self._doc_arrays(doc_entry, doc_weight, doc_own, doc_kind, doc_mask, postings)
        # For the words in very many entries: how many have each, and per kind its highest bounds (see rank_query).
        self._list_size = {t: sum(len(group[0]) for group in groups.values()) for t, groups in self._lists.items()}
        self._list_high = {t: {kind_i: (max(limits), max(per_kind)) for kind_i, (_, limits, per_kind, _) in groups.items()}
                           for t, groups in self._lists.items()}

    def _doc_arrays(self, doc_entry: array, doc_weight: array, doc_own: array, doc_kind: array, doc_mask: array,
                    postings: dict[str, array]) -> None:
        """The documents with a rare word as arrays, for the question's first step: per rare word, the documents that
        hold it (``_post_docs[_post_ptr[k]:_post_ptr[k + 1]]``, ascending; k = ``_tok_id[word]``); per document its
        entry (ascending too), weight, own idf, group of kind words and mask of common words."""
        def of(values: array, dtype: type) -> np.ndarray:
            return np.frombuffer(values, dtype=dtype) if len(values) else np.zeros(0, dtype=dtype)

        self._doc_entry = of(doc_entry, np.int32)
        self._doc_weight = of(doc_weight, np.float64)
        self._doc_kind = of(doc_kind, np.int8)
        self._doc_mask = of(doc_mask, np.int32)
        # Own idf, divided by: where it is 0 (``_doc_ownless``) it is 1 here and 1 is added to the quotient (then cd
        # is 1 whatever the question holds: min(1, x + 1)).
        own = of(doc_own, np.float64)
        self._doc_ownless = own == 0
        own[self._doc_ownless] = 1.0
        self._doc_own = own
        self._tok_id = {t: k for k, t in enumerate(postings)}
        self._post_ptr = [0, *accumulate(map(len, postings.values()))]
        self._post_docs = (np.concatenate([np.frombuffer(a, dtype=np.int32) for a in postings.values() if len(a)])
                           if self._post_ptr[-1] else np.zeros(0, dtype=np.int32))
        # Per kind word: which groups of kind words hold it (it does not count as the document's own word there).
        self._kind_has = {t: np.array([t in group for group in self._kind_groups])
                          for group in self._kind_groups for t in group}

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
