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

import math
import re
from dataclasses import dataclass
from typing import Iterable

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from .entities import Entry, KnowledgeBase
from .normalise import HINGLISH_MARKERS, OFF_TOPIC, OFF_TOPIC_PHRASES, STOPWORDS, normalise, skeleton

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
KIND_BONUS = 0.08
TITLE_BONUS = 0.03
UNKNOWN_SHARE = 0.6
SKELETON_MIN = 3      # a consonant skeleton this long is specific enough to bridge scripts
INTENT_WORDS = frozenset({"hs", "market"})
EXACT_CODE_BONUS = 0.1
DOC_SHARE = 0.6      # share of the best single alias in an entry's score; the rest is the whole entry's coverage
RERANK = 12           # candidates re-scored by phrasing
SHAPE_WEIGHT = 0.1    # weight of that letter-level likeness


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
ASKING = frozenset("hs market apply contact document eligible subsidy scheme register assistance benefit use".split())

# A long message: the sentences that ask count fully, the ones around them (who the user is, what they make)
# count this much, so they can settle a tie but not drown the question.
CONTEXT_WEIGHT = 0.35
_SENTENCE_END = re.compile(r"(?<=[.?!।\n])\s*|\n+")
QUESTION_WORDS = frozenset("""
what whats which who whom whose where when why how tell explain
kya kyaa kaise kese kaisa kitna kitni kitne kaun kon konsa konsi kaunsa kaunsi kahan kaha kahaan kab kis kise kisko
kin batao bataye bataiye bataen btao btaye bta bata milega milegi milenge hoga hogi chahiye
क्या कैसे कैसा कितना कितनी कितने कौन कौनसा कौनसी कहाँ कहां कब किस किसे किसको किन बताइए बताओ बताएं बताएँ बताइये
मिलेगा मिलेगी होगा होगी चाहिए
""".split())


# Words that open a yes/no question ("Can a medium unit also claim it", "Is there a scheme").
_AUX_FIRST = frozenset("is are can could does do did should shall will would may any please pls plz".split())


def _asks(sentence: str) -> bool:
    if sentence.rstrip().endswith("?"):
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

    A message of one sentence, or one in which no sentence reads as a question, counts whole.
    """
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
    if len(parts) < 2:
        return [(text, 1.0)]
    asks = [_asks(p) for p in parts]
    if not any(asks) or all(asks):
        return [(text, 1.0)]
    return [(p, 1.0 if ask else CONTEXT_WEIGHT) for p, ask in zip(parts, asks)]


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
        self._phrase_re = (
            re.compile(r"(?<!\S)(" + "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True)) + r")(?!\S)")
            if phrases else None)

    def tokens(self, text: str) -> list[str]:
        norm = normalise(text)
        if self._phrase_re is not None:
            norm = self._phrase_re.sub(lambda m: " " + self.phrases[m.group(1)].replace("-", "") + " ", norm)
        out: list[str] = []
        for raw in norm.split():
            if raw in STOPWORDS:
                continue
            token = stem(raw)
            mapped = self.words.get(token) or self.words.get(raw)
            if mapped == "-":
                continue
            if mapped:
                out.extend(stem(t) for t in mapped.split())
            else:
                out.append(token)
        return out

    def content(self, text: str) -> list[str]:
        return [t for t in self.tokens(text) if t not in STOPWORDS]


class Index:
    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.canon = Canon(dict(kb.synonyms))
        self.entries: list[Entry] = list(kb.entries.values())
        self.position = {e.id: i for i, e in enumerate(self.entries)}
        self._spoken: dict[str, frozenset[str]] = {}
        self.docs: list[tuple[int, frozenset[str], float]] = []   # (entry index, tokens, weight)
        self.entry_phrases: list[list[str]] = []
        self.title_tokens: list[frozenset[str]] = [
            frozenset(self.canon.content(e.title.en)) | frozenset(self.canon.content(e.title.hi)) for e in self.entries]
        for i, entry in enumerate(self.entries):
            self.entry_phrases.append([])
            for text, weight in self._texts(entry):
                content = self.canon.content(text)
                if content and weight == 1.0:
                    self.entry_phrases[i].append(" ".join(content))
                toks = frozenset(content) | frozenset(KIND_TOKENS.get(entry.kind, ()))
                if toks:
                    self.docs.append((i, toks, weight))
            for code in entry.codes if entry.kind == "hs_code" else ():
                self.docs.append((i, frozenset({code, "hs"}), 1.0))
                prefixes = {code[:n] for n in (4, 6) if n < len(code)}
                if prefixes:
                    self.docs.append((i, frozenset(prefixes | {"hs"}), PREFIX_WEIGHT))
        # Document frequency counted per entry, so a word in many aliases of one entry stays rare.
        df: dict[str, int] = {}
        self.entry_tokens: list[frozenset[str]] = [frozenset() for _ in self.entries]
        union: dict[int, set[str]] = {}
        for i, toks, weight in self.docs:
            if weight == PREFIX_WEIGHT:   # a code's prefixes match a typed heading, not the entry as a whole
                union.setdefault(i, set())
                continue
            union.setdefault(i, set()).update(toks)
        for i, toks in union.items():
            self.entry_tokens[i] = frozenset(toks)
            for t in toks:
                df[t] = df.get(t, 0) + 1
        n = max(len(self.entries), 1)
        self.idf = {t: math.log(1 + n / c) for t, c in df.items()}
        # A word the knowledge base has never seen counts against a match, but less than a known word:
        # people wrap questions in words of their own ("mera gaon hathras me hai, yaha ka odop?").
        median = sorted(self.idf.values())[len(self.idf) // 2] if self.idf else 1.0
        self.unknown_weight = UNKNOWN_SHARE * median
        self.postings: dict[str, list[int]] = {}
        for d, (_, toks, _) in enumerate(self.docs):
            for t in toks:
                self.postings.setdefault(t, []).append(d)
        self.vocab = sorted(self.idf)
        self._latin_vocab = [t for t in self.vocab if t.isascii() and not t.isdigit() and len(t) >= 3]
        self._deva_vocab = [t for t in self.vocab if not t.isascii()]
        # Hinglish words that stand in the index only in Devanagari: matched by their consonants.
        by_skeleton: dict[str, set[str]] = {}
        for t in self._deva_vocab:
            sk = skeleton(t)
            if len(sk) >= SKELETON_MIN:
                by_skeleton.setdefault(sk, set()).add(t)
        self._skeletons = {sk: next(iter(ts)) for sk, ts in by_skeleton.items() if len(ts) == 1}

    @staticmethod
    def _texts(entry: Entry) -> Iterable[tuple[str, float]]:
        yield entry.title.en, 1.0
        yield entry.title.hi, 1.0
        for alias in entry.aliases:
            yield alias, 1.0
        for kw in entry.keywords:
            yield kw, 0.9
        if entry.kind == "market":
            yield " ".join(entry.countries), 0.8
        if entry.kind == "institution" and entry.district:
            yield entry.district.replace("-", " "), 0.8

    # ------------------------------------------------------------ query side

    def parse(self, text: str, sentences: list[tuple[str, float]] | None = None) -> Query:
        """Understand a message; ``sentences`` (text, weight) overrides how its sentences are weighted."""
        norm = normalise(text)
        raw_tokens = norm.split()
        sentences = sentences if sentences is not None else sentence_weights(text)
        # Off-topic words count where the user asks, not in what they tell about themselves.
        asked = " ".join(normalise(s) for s, w in sentences if w == 1.0)
        off_words = tuple(t for t in asked.split() if t in OFF_TOPIC or stem(t) in OFF_TOPIC)
        off_words += tuple(m.group(0) for m in OFF_TOPIC_PHRASES.finditer(asked))
        off = bool(off_words)
        hinglish = any(t in HINGLISH_MARKERS for t in raw_tokens)
        tokens: dict[str, float] = {}
        unknown: dict[str, float] = {}
        for sentence, weight in sentences:
            for t in self.canon.content(sentence):
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
        # what is asked, its subject is in the sentences around it, which then count fully.
        asked = [t for t, w in tokens.items() if w == 1.0]
        if len(sentences) > 1 and all(t in ASKING for t in asked):
            tokens = dict.fromkeys(tokens, 1.0)
            unknown = dict.fromkeys(unknown, 1.0)
        # Keep order, drop repeats.
        return Query(text, tuple(tokens), tuple(unknown), off, off_words, tuple(tokens.values()),
                     tuple(unknown.values()))

    def _correct(self, token: str, hinglish: bool = False) -> str | None:
        """The index word a typo most likely meant: one edit for short words, two for long ones."""
        if HS_NUMBER.match(token) or token.isdigit() or len(token) < 5:
            return None
        choices = self._latin_vocab if token.isascii() else self._deva_vocab
        allowed = 1 if len(token) < 8 else 2
        best = process.extractOne(token, choices, scorer=OSA.distance, score_cutoff=allowed)
        if best is None:
            # A romanised Hindi word known only in Devanagari -- only in a Hinglish sentence, so an
            # English word ("operate") is never read as a Hindi one (प्रति).
            if token.isascii() and hinglish:
                return self._skeletons.get(skeleton(token))
            return None
        # A typo keeps the first letter almost always; this avoids "gold" -> "cold".
        if best[0][0] != token[0]:
            return None
        return best[0]

    def speaks_of(self, entry_id: str) -> frozenset[str]:
        """Every canonical word of the entry, its answer text included (worked out when first asked for)."""
        cached = self._spoken.get(entry_id)
        if cached is None:
            entry = self.entries[self.position[entry_id]]
            cached = self.entry_tokens[self.position[entry_id]] | frozenset(
                self.canon.content(entry.answer.en + " " + entry.answer.hi))
            self._spoken[entry_id] = cached
        return cached

    def covers(self, entry_id: str, words: tuple[str, ...]) -> bool:
        """Does the entry itself speak of these words (e.g. rainfall in a district profile)?"""
        i = self.position.get(entry_id)
        if i is None:
            return False
        toks = self.entry_tokens[i]
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
        weights = {t: self.idf[t] * query.weight(i) for i, t in enumerate(query.tokens)}
        total = sum(weights.values()) + self.unknown_weight * sum(
            query.unknown_weight(i) for i in range(len(query.unknown)))
        best: dict[int, float] = {}
        # An HS code typed in full names its own entry above any entry that merely mentions it.
        exact_code = {i for i, e in enumerate(self.entries) if e.kind == "hs_code" and e.codes[0] in weights}
        seen_docs: set[int] = set()
        for t in query.tokens:
            for d in self.postings.get(t, ()):
                if d in seen_docs:
                    continue
                seen_docs.add(d)
                entry_i, toks, doc_weight = self.docs[d]
                hit = [t2 for t2 in weights if t2 in toks]
                got = sum(weights[t2] for t2 in hit)
                cq = got / total
                # How much of the alias the question covers; the words every entry of its kind carries
                # ("hs", "market", "odop") count neither for nor against it.
                kind_words = KIND_TOKENS.get(self.entries[entry_i].kind, ())
                own = sum(self.idf.get(t2, 0.0) for t2 in toks if t2 not in kind_words)
                got_own = sum(weights[t2] for t2 in hit if t2 not in kind_words)
                cd = min(1.0, got_own / own) if own else 1.0
                score = doc_weight * cq * (0.75 + 0.25 * cd)
                if entry_i in exact_code:
                    score += EXACT_CODE_BONUS
                if score > best.get(entry_i, 0.0):
                    best[entry_i] = score
        # The whole entry as one bag too: a question may combine words from several aliases.
        for entry_i in list(best):
            toks = self.entry_tokens[entry_i]
            got = sum(w for t, w in weights.items() if t in toks)
            best[entry_i] = DOC_SHARE * best[entry_i] + (1 - DOC_SHARE) * got / total
        # An entry whose title is what the question asks about wins a tie ("What is RoDTEP?").
        for entry_i in best:
            title = self.title_tokens[entry_i]
            best[entry_i] += TITLE_BONUS * sum(w for t, w in weights.items() if t in title) / total
        # A question that names what it wants ("HS code ...", "markets for ...") prefers entries of that kind.
        # An HS-code or market entry answers "which code" / "which countries"; without that word it steps back.
        for entry_i in best:
            intent = KIND_TOKENS.get(self.entries[entry_i].kind, ())[:1]
            if any(k in weights for k in intent):
                best[entry_i] += KIND_BONUS
            elif intent and intent[0] in INTENT_WORDS:
                best[entry_i] -= KIND_BONUS / 2
            # The question asks for a code or for countries, and this entry speaks of neither.
            if any(w in weights and w not in self.entry_tokens[entry_i] for w in INTENT_WORDS):
                best[entry_i] -= KIND_BONUS / 2
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:RERANK]
        # Close calls are settled by how alike the question and the entry's best phrasing are, letter by letter.
        phrase = " ".join(query.tokens)
        scored = [(i, s + SHAPE_WEIGHT * self._shape(i, phrase)) for i, s in ranked]
        scored.sort(key=lambda kv: (-kv[1], kv[0]))
        return [Match(self.entries[i], round(s, 4)) for i, s in scored[:limit]]

    def _shape(self, entry_i: int, phrase: str) -> float:
        texts = self.entry_phrases[entry_i]
        if not texts or not phrase:
            return 0.0
        best = process.extractOne(phrase, texts, scorer=fuzz.token_set_ratio)
        return best[1] / 100 if best else 0.0
