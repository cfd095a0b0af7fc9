"""The answer engine: one question in, one decision and the exact text out.

A confident match is answered with its source; a grey-zone match offers at
most three "did you mean" choices; anything else is refused honestly and
points to the user's District Industries Centre. No channel code here.
"""
from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from .entities import District, Entry, KnowledgeBase, OdopProduct
from .followup import (GENERIC, INTENT, MODIFIER, Topic, combine, has_subject, leans_on_previous, names_previous,
                       points_to_place, roles)
from .matching import QUESTION_WORDS, WEAK_QUESTION_CONTEXT, Index, Match, Query, said, sentence_weights
from .normalise import SUPPORT_WORDS, WEAK_OFF_TOPIC, has_devanagari, normalise, skeleton
from .texts import t

MAX_QUESTION = 1000
MAX_SUGGESTIONS = 3
ANSWER_TEXT_WEIGHT = 0.05    # credit for the share of the question an entry's answer text speaks of
# A question that asks what a word means ("what is IEC?") wants that word's own entry, not the previous answer.
DEFINING = re.compile(r"^\s*(what is|what's|whats|what are|meaning|full form)\b|\b(kya hai|kya h|kya hota|matlab|मतलब|क्या है|क्या होता)\b",
                      re.IGNORECASE)
# A phone number or e-mail address: the documents give none, so one is never made up from an entry without it.
CONTACT_DETAIL = re.compile(r"\b(phone|telephone|mobile|whatsapp|fax|e-?mail|mail id)\s*(no|number|num|id)?\b|"
                            r"\b(contact|mob)\s*(no|number)\b|(फ़ोन|फोन|मोबाइल|ईमेल|ई-मेल|व्हाट्सएप)", re.IGNORECASE)
# "my district", "mere jile", "हमारे ज़िले": the user's own district (chosen in the settings) is meant.
MY_DISTRICT = re.compile(r"\b(my|our) (own )?(district|city|town|area|zila|jila)\b|"
                         r"\b(mere|mera|meri|hamare|hamara|humare|hamre|apne|apna) (jile|zile|jila|zila|district|shahar|sheher|"
                         r"jilo|zilo|area|ilake)\b|(मेरे|मेरा|हमारे|हमारा|अपने|अपना) (ज़िले|जिले|ज़िला|जिला|शहर|इलाके)|"
                         r"^\s*(district|jile|zile|jila|zila|ज़िले|जिले) (ka|ki|ke|का|की|के)(?=\s|$)",
                         re.IGNORECASE)
# Words that say nothing about which product an HS code or markets are asked for.
PARTIAL_IGNORED = frozenset("odop product make export district foreign world buy sell".split())
# What a follow-up may ask of another place that only some places' entries give ("aur lucknow ki?" after a population).
PLACE_ASPECTS = frozenset("population area crop soil climate rainfall geography elevation othername history".split())
# Words that name where, or the document that says it ("what does the plan expect"), not what: no subject of their own.
PLACE_WORDS = frozenset("district state up city nagar plan report document".split())
# What a district's ODOP card cannot say of its product: an HS code, markets, a figure (exports, units, jobs,
# turnover...), a GI tag, a CFC, a duty. (Figures of the place itself -- population, area -- are declined as before.)
CARD_CANNOT_SAY = frozenset("""hs market growth turnover share employment unit value total number certification register
fee cost gi cfc duty""".split())
# Help asked for a district's ODOP product (a scheme, how to export): a state-wide entry gives it, not the card.
SCHEME_ASKED = frozenset("""training loan subsidy scheme apply eligible benefit assistance fee fair process register document
sample website publicity airfreight container certification stall""".split())
# ... the export costs the UP Export Promotion Bureau pays a share of ("samples bhejne par kitna milega?").
EXPORT_SUPPORT = frozenset("sample website publicity airfreight container certification stall".split())
ODOP_HELP = frozenset("training loan subsidy scheme eligible benefit assistance fee fair".split())   # ... an ODOP scheme's
# Words that ask for what a district's card gives (its ODOP, what it makes, which district) or about exporting it.
ASKS_CARD = frozenset("odop make district product list category primary secondary export".split())
# What is asked of a scheme itself: who may apply, how, with which papers, at what fee.
SCHEME_ASKS = frozenset("eligible apply document fee process procedure register who".split())
# What kind of answer is asked (not which figure of it): an entry of another kind does not answer it.
KIND_ASKED = frozenset("hs market apply contact document eligible subsidy fta register certification loan training fee "
                       "cost process procedure".split())
GUESS_MARGIN = 0.1     # how close an entry that is no guess must be to take the place of a guess at the top
# A capitalised word of an entry counts as a name it is about when at most this rare (idf; 3 entries or fewer).
NAMED_MIN_IDF = 4.5
# Where one question sentence asks a second thing: "..., and ...", "... aur ...", "... और ...".
CLAUSE_BREAK = re.compile(r"(?:,\s*|\s+)(?:and also|and|aur|और|tatha|तथा)\s+|;\s*", re.IGNORECASE)
# The state named in words the matcher drops as saying nothing ("यूपी से कुल कितना निर्यात"): a place all the same.
STATE_NAMED = re.compile(r"\b(u\.?p\.?|uttar pradesh)(?!\w)|यूपी|उत्तर प्रदेश|उ\.प्र", re.IGNORECASE)
# "This thing / product" in a question: what the user said around it.
THIS_THING = re.compile(r"\b(?:is|iss|this|these|ye|yeh) (?:cheez|chiz|cheezon|product|products|saman|samaan|item|kaam)\b|"
                        r"(?:इस|इन|यह|ये) (?:चीज़|चीज|सामान|उत्पाद|काम)", re.IGNORECASE)
# Words that say how a question is asked, not what it is about ("kaun kaun se": which ones).
HOW_ASKED = frozenset({"list"})


@dataclass(frozen=True)
class Thresholds:
    """Fixed rules around the calibrated :class:`Decision` (see docs/answer-quality.md)."""

    # The "clear lead" feature: a top score this high with the runner-up this far behind (less when very high),
    answer: float = 0.6
    margin: float = 0.05      # (also: how close runners-up are offered beside an answer, and a one-word tie)
    sure: float = 0.85
    margin_when_sure: float = 0.015
    # ... or a lower top score far ahead, in a question of two known words with few the bot has never seen.
    clear: float = 0.45
    clear_margin: float = 0.15
    clear_unknown: float = 0.4
    suggest: float = 0.3      # entries at or above this are offered as "did you mean" choices
    sure_enough: float = 0.9  # below this probability of being right, an answer always offers the runners-up
    off_topic_override: float = 1.3    # an off-topic word is refused unless the match is exceptionally strong


FEATURES = ("top", "lead", "runner_up_ratio", "known", "unknown_share", "one_word", "top_x_known", "top_x_one_word",
            "top_squared", "clear_lead", "unspoken")
UNSPOKEN_SCALE = 6.0     # the idf of a word found in about 1 entry of 400: "unspoken" is then 1
CALIBRATION = Path(__file__).with_name("calibration.json")


def without_context(index: Index, query: Query, match: Match) -> float:
    """A match's score as if the words around the question that the entry does not speak of were not there.

    In a long message the sentences about the user (who, where, what they make) count a little in the ranking;
    an entry that answers the question should not look unsure because it says nothing about the rest.
    """
    if all(query.weight(i) == 1.0 for i in range(len(query.tokens))) and all(
            query.unknown_weight(i) == 1.0 for i in range(len(query.unknown))):
        return match.score
    # A question of one word ("can I get training?") leans on who is asking: then the rest counts as it is.
    if sum(1 for i in range(len(query.tokens)) if query.weight(i) == 1.0) < 2:
        return match.score
    idf = index.idf
    total = sum(idf[tok] * query.weight(i) for i, tok in enumerate(query.tokens)) + index.unknown_weight * sum(
        query.unknown_weight(i) for i in range(len(query.unknown)))
    own = index.entry_tokens[index.position[match.entry.id]]
    missed = sum(idf[tok] * w for i, tok in enumerate(query.tokens) if (w := query.weight(i)) < 1.0 and tok not in own)
    missed += index.unknown_weight * sum(w for i in range(len(query.unknown)) if (w := query.unknown_weight(i)) < 1.0)
    return match.score * total / max(total - missed, 1e-9)


def features(index: Index, query: Query, matches: list[Match], th: Thresholds = Thresholds()) -> tuple[float, ...]:
    """What the decision looks at: the best score, its lead, how much of the question the bot knows."""
    top = without_context(index, query, matches[0]) if matches else 0.0
    second = without_context(index, query, matches[1]) if len(matches) > 1 else 0.0
    known = sum(query.weight(i) for i in range(len(query.tokens)))
    known = min(known, 6.0) / 6.0
    one_word = 1.0 if len(query.tokens) == 1 else 0.0
    unknown = index.unknown_share(query)
    # A clear lead: a good score well ahead of the next entry, in a question the bot mostly understands.
    lead = top - second
    clear = 1.0 if ((top >= th.answer and lead >= (th.margin if top < th.sure else th.margin_when_sure))
                    or (top >= th.clear and lead >= th.clear_margin and len(query.tokens) >= 2
                        and unknown <= th.clear_unknown)) else 0.0
    # The rarest word the user asks about that the best entry does not speak of, even in its answer: a near-miss
    # shares the common words with an entry and adds one of its own ("customs duty of the USA", "passport").
    spoken = index.speaks_of(matches[0].entry.id) if matches else frozenset()
    unspoken = max((index.idf[tok] for i, tok in enumerate(query.tokens)
                    if query.weight(i) == 1.0 and tok not in spoken), default=0.0)
    return (top, lead, second / top if top else 1.0, known, unknown, one_word,
            top * known, top * one_word, min(top, 1.0) ** 2, clear, min(unspoken / UNSPOKEN_SCALE, 1.0))


@dataclass(frozen=True)
class Decision:
    """How sure the best match is right, from :func:`features`: a logistic model fitted on labelled questions
    (``bench/answer_quality.py --calibrate``), and the probabilities at which the bot answers or offers choices."""

    bias: float
    weights: tuple[float, ...]
    answer_at: float       # probability the best entry is right at or above which it is answered
    suggest_at: float      # ... and at or above which "did you mean" is offered instead of a refusal

    def probability(self, feats: tuple[float, ...]) -> float:
        z = self.bias + sum(w * f for w, f in zip(self.weights, feats))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    @classmethod
    def load(cls, path: Path = CALIBRATION) -> "Decision":
        data = json.loads(path.read_text(encoding="utf-8"))
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"{path}: fitted on features {data['features']}, the engine computes {FEATURES}")
        return cls(data["bias"], tuple(data["weights"]), data["answer_at"], data["suggest_at"])


@dataclass(frozen=True)
class Outcome:
    kind: str                  # answer | suggest | partial | refuse | off_topic | empty | too_long
    question: str
    lang: str
    text: str
    entry: Entry | None = None
    score: float = 0.0
    suggestions: tuple[Entry, ...] = ()
    query: Query | None = None
    matches: tuple[Match, ...] = field(default=(), repr=False)

    @property
    def matched(self) -> bool:
        return self.kind == "answer"


def answer_language(question: str, preferred: str | None) -> str:
    """Hindi for a Devanagari question or a user who chose Hindi; English otherwise."""
    if has_devanagari(question):
        return "hi"
    return "hi" if preferred == "hi" else "en"


class AnswerEngine:
    def __init__(self, kb: KnowledgeBase, thresholds: Thresholds | None = None, decision: Decision | None = None):
        self.kb = kb
        self.index = Index(kb)
        self._answer_tokens: dict[str, frozenset[str]] = {}    # entry id -> words of its answer text (see _answer_words)
        self.thresholds = thresholds or Thresholds()
        self.decision = decision or Decision.load()
        # The canonical words of each district's ODOP products (for the honest partial answer).
        self.odop_words: list[tuple[District, OdopProduct, frozenset[str]]] = [
            (d, p, frozenset(tok for text in (p.product.en, p.product.hi, *p.words)
                             for tok in self.index.canon.content(text)))
            for d in kb.districts.values() for p in d.odop]
        # Words of district names: in a follow-up they replace the district, not the subject. A nickname that is a
        # product's word ("Pital Nagri": brass) names the product, not the district.
        product_words = frozenset().union(*(words for _, _, words in self.odop_words))
        self.district_tokens_of = {
            d.id: frozenset(tok for name in (d.name.en, d.name.hi, d.id.replace("-", " "), *d.other_names)
                            for tok in self.index.canon.content(name) if tok != "district"
                            and (tok not in product_words or tok in self.index.canon.content(d.name.en)))
            for d in kb.districts.values()}
        self.district_tokens = frozenset().union(*self.district_tokens_of.values())
        # Each way of writing each district's name, as canonical words.
        self.district_names = [(d.id, words) for d in kb.districts.values()
                               for name in (d.name.en, d.name.hi, *d.other_names)
                               if (words := frozenset(self.index.canon.content(name)))]
        # ... by one of their words (a name can only be in a question that has that word), in the order above.
        self._district_names_by_word: dict[str, list[tuple[int, str, frozenset[str]]]] = {}
        for k, (d_id, words) in enumerate(self.district_names):
            self._district_names_by_word.setdefault(min(words), []).append((k, d_id, words))
        # Words of country names: in a follow-up ("and China?") they add a country, not a new subject.
        self.country_tokens = frozenset(
            tok for e in kb.entries.values() for c in e.countries for tok in self.index.canon.content(c)
            if tok not in self.district_tokens and tok not in INTENT)
        # What a district's own fact is about: its place and its trade (the district's names, the words of its ODOP
        # products and of the entry's sector). A question naming none of them is not about that district's fact.
        sector_words = {sid: frozenset(tok for text in (sec.name.en, sec.name.hi, *sec.words)
                                       for tok in self.index.canon.content(text))
                        for sid, sec in kb.sectors.items()}
        odop_of = {}
        for d, _, words in self.odop_words:
            odop_of[d.id] = odop_of.get(d.id, frozenset()) | words
        self.anchors = {e.id: self.district_tokens_of.get(e.district, frozenset()) | odop_of.get(e.district, frozenset())
                        | sector_words.get(e.sector or "", frozenset()) | self._named_in(e)
                        for e in kb.entries.values() if e.kind == "topic" and e.district}
        # ... but words every trade shares ("products", "goods") name none, nor words of many districts' names
        # ("Nagar", the "UP" of "Mau UP").
        shared = Counter(tok for words in self.district_tokens_of.values() for tok in words)
        weak = frozenset(tok for tok, n in shared.items() if n > 3)
        self.anchors = {k: v - GENERIC - PARTIAL_IGNORED - weak for k, v in self.anchors.items()}

    def _guess(self, query: Query, entry: Entry) -> bool:
        """Is the entry a district's fact the question does not point to? One of a district's cluster that names
        neither its place nor its trade ("do I need a warehouse for export?" is not about Kanpur's raw hides), or
        one of another district than the question names ("how many schools in Hathras?" is not Lalitpur's school
        dress, unless the entry itself speaks of the named district)."""
        unanchored = entry.id in self.anchors and not self.anchors[entry.id].intersection(query.tokens)
        return unanchored or self._other_district(query, entry)

    def _names(self, tokens: set[str]) -> list[str]:
        """The districts a question names, by the longest of their names it holds ("Kanpur Dehat" names Kanpur
        Dehat, not Kanpur Nagar too)."""
        said: dict[str, frozenset[str]] = {}
        by_word = self._district_names_by_word
        found = sorted(named for t in tokens for named in by_word.get(t, ()) if named[2] <= tokens)
        for _, d_id, words in found:
            if len(words) > len(said.get(d_id, ())):
                said[d_id] = words
        return [d for d, words in said.items() if not any(words < other for other in said.values())]

    def _other_district(self, query: Query, entry: Entry) -> bool:
        place = entry.id if entry.kind == "district" else entry.district
        if place not in self.kb.districts:
            return False
        asked = {tok for i, tok in enumerate(query.tokens) if query.weight(i) == 1.0 and tok in self.district_tokens}
        named = self._names(asked)
        if not named or place in named:
            return False
        # ... unless the entry speaks of the named district by a name its own district does not share ("Kanpur").
        distinctive = frozenset().union(*(self.district_tokens_of[d] for d in named)) - self.district_tokens_of[place]
        return not distinctive & self.index.entry_tokens[self.index.position[entry.id]]

    def _named_in(self, entry: Entry) -> frozenset[str]:
        """The places and proper names an entry is about: other districts it speaks of, and the words a clerk wrote
        with a capital letter (Sadabad, Chakki Bazaar, IISTEM) that few entries share, with their Hindi spellings."""
        index = self.index
        own = index.entry_tokens[index.position[entry.id]]
        named = {tok for tok in own if tok in self.district_tokens}
        texts = [(entry.title.en, True)] + [(a, True) for a in entry.aliases] + [(k, False) for k in entry.keywords]
        for text, skip_first in texts:
            words = re.findall(r"[A-Za-z][A-Za-z0-9]*", text)
            for i, word in enumerate(words):
                if word[0].isupper() and not (skip_first and i == 0):
                    named.update(tok for tok in index.canon.content(word)
                                 if index.idf.get(tok, 0.0) >= NAMED_MIN_IDF)
        spelt = {skeleton(tok) for tok in named if tok.isascii()}
        named.update(tok for tok in own if not tok.isascii() and skeleton(tok) in spelt)
        return frozenset(named)

    # ------------------------------------------------------------ rendering

    def render(self, entry: Entry, lang: str, note: str = "") -> str:
        """An entry as a user reads it: title, key facts, an optional note, then the source."""
        body = entry.answer.get(lang).strip()
        title = entry.title.get(lang).strip()
        parts = [title, body] if title and not body.startswith(title) else [body]
        contacts = self._contacts(entry, lang)
        if contacts:
            parts.append(contacts)
        if note:
            parts.append("\n" + note)
        parts.append(t("source", lang, source=self.kb.source_line(entry.source, lang)))
        return "\n".join(p for p in parts[:-1] if p) + "\n\n" + parts[-1]

    @staticmethod
    def _contacts(entry: Entry, lang: str) -> str:
        names = {"phone": t("contact_phone", lang), "email": t("contact_email", lang),
                 "website": t("contact_website", lang), "address": t("contact_address", lang)}
        return "\n".join(f"{names[k]}: {v}" for k, v in entry.contacts)

    def district_office(self, district_id: str | None, lang: str) -> str:
        district = self.kb.districts.get(district_id or "")
        if district is None:
            return t("dic_generic", lang)
        return t("dic_named", lang, district=district.name.get(lang))

    def refusal(self, lang: str, district_id: str | None) -> str:
        return t("refuse", lang, office=self.district_office(district_id, lang))

    def suggestion_text(self, lang: str, entries: tuple[Entry, ...], district_id: str | None) -> str:
        lines = [t("did_you_mean", lang)]
        lines += [f"{i}. {e.title.get(lang)}" for i, e in enumerate(entries, 1)]
        lines.append(t("or_ask_office", lang, office=self.district_office(district_id, lang)))
        return "\n".join(lines)

    def _districts_making(self, query: Query, matches: list[Match], lang: str) -> Outcome | None:
        """'Which district makes X?' with X made in several districts: one answer listing them all."""
        if "district" not in query.tokens or not matches or matches[0].entry.kind != "district":
            return None
        top = matches[0].score
        wanted = set(query.tokens) - {"district", "odop", "make", "product"}
        if not wanted:                 # "district ka odop kya hai" names no product: which district is not said
            return None
        close = [m for m in matches if m.entry.kind == "district" and m.score >= max(self.thresholds.answer, top - 0.08)]
        # Every district whose ODOP product the question names, not only those the ranking put close.
        making = [d for d, _, words in self.odop_words if wanted <= words and d.id in self.kb.entries]
        close += [Match(self.kb.entries[d.id], top) for d in dict.fromkeys(making)
                  if d.id not in [m.entry.id for m in close]]
        if len(close) < 2:
            return None
        lines = [t("districts_making", lang)]
        for m in close:
            district = self.kb.districts[m.entry.id]
            best = max(district.odop, key=lambda p: len(wanted & set(self.index.canon.content(
                " ".join((p.product.en, p.product.hi, *p.words))))), default=None)
            product = f": {best.product.get(lang)}" if best is not None else ""
            lines.append(f"• {district.name.get(lang)}{product}")
        lines.append(t("districts_making_help", lang))
        plainest = min((m.entry.source for m in close), key=len)
        source = t("source", lang, source=self.kb.source_line(plainest, lang))
        return Outcome("answer", query.text, lang, "\n".join(lines) + "\n\n" + source, entry=close[0].entry,
                       score=top, query=query, matches=tuple(matches))

    def _districts_named(self, query: Query, matches: list[Match], lang: str) -> Outcome | None:
        """'Baghpat aur Hapur ka ODOP?': the ODOP products of each district the question names, in one answer."""
        if "odop" not in query.tokens:
            return None
        named = [self.kb.districts[d] for d in self._names(set(query.tokens))]
        # Only the districts whose own cards lead the ranking (so "Kanpur" does not also name Kanpur Dehat).
        ranked = [m.entry.id for m in matches[:len(named) + 1] if m.entry.kind == "district"]
        named = [d for d in named if d.id in ranked]
        if len(named) < 2:
            return None
        lines = [t("districts_odop", lang)]
        for d in named:
            lines.append(f"• {d.name.get(lang)}: " + "; ".join(p.product.get(lang) for p in d.odop))
        lines.append(t("districts_making_help", lang))
        plainest = min((self.kb.entries[d.id].source for d in named), key=len)
        source = t("source", lang, source=self.kb.source_line(plainest, lang))
        return Outcome("answer", query.text, lang, "\n".join(lines) + "\n\n" + source,
                       entry=self.kb.entries[named[0].id], score=matches[0].score, query=query, matches=tuple(matches))

    def _partial(self, query: Query, matches: list[Match], lang: str, district: str | None) -> Outcome | None:
        """An HS code or markets asked for a product the documents know only as a district's ODOP product.

        Says what is known (whose ODOP product it is), what is not (its code or countries), and where to ask,
        instead of showing the district card as if it answered. Reported as ``partial``: not an answer.
        """
        asked = "hs" if "hs" in query.tokens else "market" if "market" in query.tokens else None
        if asked is None or query.off_topic:
            return None
        named = [tok for tok in query.tokens if tok in self.district_tokens]
        subject = [tok for tok in query.tokens if tok not in INTENT and tok not in GENERIC and tok not in named
                   and tok not in PARTIAL_IGNORED and not tok.isdigit()]
        # What the question itself names, when it names something ("I have a tannery in Kanpur. What is the HS code
        # of leather shoes?" asks of leather shoes, not of the tannery).
        weights = dict(zip(query.tokens, query.weights))
        subject = [tok for tok in subject if weights[tok] == 1.0] or subject
        if not subject:
            return None
        # An entry of the asked kind, or any entry that speaks of the product and of the code or countries:
        # the documents know the answer, the ordinary decision takes it from here.
        kind = "hs_code" if asked == "hs" else "market"
        for m in matches:
            if m.entry.kind == "district":
                continue
            spoken = self.index.speaks_of(m.entry.id)
            # Another district's markets are not the named one's ("Agra ke joote kis desh me?" is not answered by
            # Kanpur's footwear markets); an HS code is the same wherever the product is made.
            if asked == "market" and named and (
                    (m.entry.district and not any(tok in self.district_tokens_of.get(m.entry.district, ()) for tok in named))
                    or not any(tok in spoken for tok in named)
                    or (any(tok in self.district_tokens for tok in self._title_tokens(m.entry.id))
                        and not any(tok in self._title_tokens(m.entry.id) for tok in named))):
                continue
            # (the code or the countries in what the entry says, not only in how it is asked: "where to test shoes
            # for export" asks "where to", which reads as markets)
            if all(tok in spoken for tok in subject) and (m.entry.kind == kind or self._gives(m.entry, asked)):
                return None
        found = [(d, p) for d, p, words in self.odop_words if all(tok in words for tok in subject)]
        # The product whose own name says it first ("Brass Utensils" before "Metal Industry (Brass)").
        found.sort(key=lambda dp: not set(subject) <= set(self.index.canon.content(dp[1].product.en)))
        if named:
            found = [(d, p) for d, p in found if any(tok in self.district_tokens_of[d.id] for tok in named)]
        if not found:
            return None
        districts = list(dict.fromkeys(d for d, _ in found))
        product = found[0][1].product.get(lang)
        if len(districts) == 1:
            head = t("partial_odop", lang, product=product, district=districts[0].name.get(lang))
            office = self.district_office(districts[0].id, lang)
        else:
            head = t("partial_odop_many", lang, product=product,
                     district=", ".join(d.name.get(lang) for d in districts))
            office = self.district_office(district, lang)
        missing = t("partial_no_hs" if asked == "hs" else "partial_no_markets", lang)
        plainest = min((self.kb.entries[d.id].source for d in districts if d.id in self.kb.entries), key=len,
                       default=districts[0].source)
        text = "\n".join((head, missing, t("partial_ask", lang, office=office)))
        text += "\n\n" + t("source", lang, source=self.kb.source_line(plainest, lang))
        first = self.kb.entries.get(districts[0].id)
        return Outcome("partial", query.text, lang, text, entry=first, score=matches[0].score if matches else 0.0,
                       suggestions=tuple(self.kb.entries[d.id] for d in districts[:MAX_SUGGESTIONS]
                                         if d.id in self.kb.entries),
                       query=query, matches=tuple(matches))

    def _gives(self, entry: Entry, asked: str) -> bool:
        """Does the entry's answer give what is asked, a code ("hs") or countries ("market")? Saying the word is not
        enough: "CE marking (EU) and CSA marking (Canada) ... to tap international markets" names no list of countries
        to sell locks in."""
        words = self._answer_words(entry)
        if asked == "hs":
            return bool(entry.codes) or ("hs" in words and any(len(tok) >= 4 and tok.isdigit() for tok in words))
        return bool(entry.countries) or len(self.country_tokens.intersection(words)) >= 3   # (a list of countries)

    def _answer_words(self, entry: Entry) -> frozenset[str]:
        """The canonical words of an entry's answer text alone (remembered)."""
        found = self._answer_tokens.get(entry.id)
        if found is None:
            found = self._answer_tokens[entry.id] = frozenset(
                self.index.canon.content(said(entry.answer.en) + " " + said(entry.answer.hi)))
        return found

    def _beyond_card(self, text: str, query: Query, top: Match, lang: str, district: str | None,
                     matches: list[Match]) -> Outcome | None:
        """A district's ODOP card is the best entry, but the question asks a figure or fact the card does not give
        ("Moradabad brass kis desh me jata hai", "Kushinagar banana fibre ka turnover"): say what is known (whose
        ODOP product it is), that the rest is not in the documents, and where to ask -- not the card as the answer.
        A figure of the place itself that the card does not give (its population, area) is declined."""
        if top.entry.kind != "district" or top.entry.id not in self.kb.districts:
            return None
        spoken = self.index.speaks_of(top.entry.id)
        asked = [tok for i, tok in enumerate(query.tokens) if query.weight(i) == 1.0]
        if any(tok in PLACE_ASPECTS and tok not in spoken for tok in asked):
            # A figure of the place itself the card does not give ("How many people live in Kanpur Dehat?"): declined.
            return Outcome("refuse", text, lang, self.refusal(lang, district), score=top.score, query=query,
                           matches=tuple(matches))
        missing = [tok for tok in asked if tok in CARD_CANNOT_SAY and tok not in spoken]
        # A question that asks neither what a district makes nor its ODOP, with a word the card never speaks of
        # ("Moradabad brass ka sabse bada buyer", "Lucknow me chikan ki best shop"), is not asking for the card.
        if not missing and not ASKS_CARD.intersection(query.tokens):
            missing = [tok for tok in asked if tok not in spoken and tok not in GENERIC and tok not in PLACE_WORDS
                       and tok not in self.country_tokens and not tok.isdigit()]
        if not missing:
            return None
        place = self.kb.districts[top.entry.id]
        if not place.odop:
            return None
        asked = set(query.tokens)
        product = max(place.odop, key=lambda p: len(asked & set(self.index.canon.content(
            " ".join((p.product.en, p.product.hi, *p.words))))))
        missing_line = ("partial_no_hs" if "hs" in missing else "partial_no_markets" if "market" in missing
                        else "partial_no_fact")
        text_out = "\n".join((t("partial_odop", lang, product=product.product.get(lang), district=place.name.get(lang)),
                               t(missing_line, lang), t("partial_ask", lang, office=self.district_office(place.id, lang))))
        text_out += "\n\n" + t("source", lang, source=self.kb.source_line(top.entry.source, lang))
        return Outcome("partial", text, lang, text_out, entry=top.entry, score=top.score, suggestions=(top.entry,),
                       query=query, matches=tuple(matches))

    def _odop_product_asked(self, query: Query, matches: list[Match]) -> Query | None:
        """"Meerut ka ODOP ... iska HS code?", "kanpur odop markets": an HS code or markets asked of one district's
        ODOP, naming no product, is asked of its (first) ODOP product: the question with that product's words added,
        so that the entry of that product answers, or the honest partial answer says what is not known."""
        if not ("hs" in query.tokens or "market" in query.tokens) or query.off_topic or not matches:
            return None
        if any(tok not in INTENT and tok not in GENERIC and tok not in self.district_tokens
               and tok not in PARTIAL_IGNORED and not tok.isdigit() for tok in query.tokens):
            return None
        named = self._names(set(query.tokens))
        if len(named) != 1 or matches[0].entry.id != named[0] or not self.kb.districts[named[0]].odop:
            return None
        first = self.kb.districts[named[0]].odop[0]
        extra = tuple(tok for tok in self.index.canon.content(first.product.en)
                      if tok not in query.tokens and tok not in GENERIC and tok not in PARTIAL_IGNORED)
        if not extra:
            return None
        return replace(query, tokens=query.tokens + extra, weights=tuple(query.weights) + (1.0,) * len(extra))

    # ------------------------------------------------------------ deciding

    def ask(self, question: str, lang: str | None = None, district: str | None = None,
            previous: Topic | None = None) -> Outcome:
        """Answer one message; ``previous`` is what the last answered question was about (for follow-ups)."""
        text = (question or "").strip()
        out_lang = answer_language(text, lang)
        if not text:
            return Outcome("empty", text, out_lang, t("empty", out_lang))
        if len(text) > MAX_QUESTION:
            return Outcome("too_long", text[:MAX_QUESTION], out_lang, t("too_long", out_lang, limit=MAX_QUESTION))
        query = self._home(text, self._parse(text), district, previous)
        outcome = self._decide(text, query, out_lang, district)
        outcome = self._own_district(text, query, outcome, out_lang, district)
        # A follow-up may hold a word that alone is off-topic ("population?" after a district's figures): it is read
        # with the previous question, and declined unless that entry speaks of it. Phrases ("income tax") never are.
        if previous is None or not previous.tokens or (
                query.off_topic and any(" " in w for w in query.off_topic_words)):
            return outcome
        subject = has_subject(query.tokens, self.district_tokens, self.country_tokens)
        points_back = leans_on_previous(text)
        spoken = self.index.speaks_of(previous.entry_id) if previous.entry_id in self.index.position else frozenset()
        # A short question about something the previous answer speaks of ("which airports?" after the air
        # freight scheme, "how many are under implementation?" after the CFC scheme) asks about that answer.
        # ("kaun kaun se airport?": "which ones" says how it is asked, not what about.)
        asked = tuple(t for t in query.tokens if t not in HOW_ASKED)
        within = bool(spoken) and 0 < len(query.tokens) + len(query.unknown) <= 3 and (
            (0 < len(asked) and (subject or points_back) and all(t in spoken for t in asked))
            or (not query.tokens and all(u in spoken for u in query.unknown)))
        leans = points_back or within
        # A message that names its own subject, or nothing the bot knows, and does not point back stands on its own.
        if not leans and (not query.tokens or subject):
            return outcome
        # Asking about a part of the previous answer keeps its subject; otherwise the new words take the place
        # of the previous words of the same role ("and for saddlery?").
        tokens = (tuple(dict.fromkeys(previous.tokens + query.tokens)) if within and not points_back
                  else combine(previous.tokens, query.tokens, self.district_tokens, self.country_tokens,
                               keep_subject=names_previous(text)))
        # "what about Aligarh?" after Hathras's hing: the product was the old place's ODOP, not asked of the new one
        # (it was Hathras's hing again): what is asked goes to the new place's own ODOP.
        new_places = self._names({tok for tok in query.tokens if tok in self.district_tokens})
        if new_places and all(tok in self.district_tokens for tok in query.tokens):
            old_places = self._names({tok for tok in previous.tokens if tok in self.district_tokens})
            old_odop = frozenset().union(*(words | frozenset(self.index.canon.content(p.product.en))
                                           for d, p, words in self.odop_words if d.id in old_places))
            new_odop = frozenset().union(*(words for d, _, words in self.odop_words if d.id in new_places))
            subject = [tok for tok in roles(tokens, self.district_tokens, self.country_tokens)["subject"] if tok != "odop"]
            if subject and old_places and not set(old_places) & set(new_places) and all(
                    tok in old_odop and tok not in new_odop for tok in subject):
                tokens = tuple(tok for tok in tokens if tok not in subject)
        merged = replace(query, tokens=tokens, weights=(1.0,) * len(tokens))
        follow = self._decide(text, merged, out_lang, district)
        excused = not query.off_topic or self.index.covers(previous.entry_id, query.off_topic_words)
        # ... unless the word asked is the title of an entry of its own that the previous one only lists ("air freight
        # wali me kitna milta hai?" after the overview of UPEPB's schemes is the air freight scheme's).
        own_entry = (within and follow.kind == "answer" and follow.entry is not None and bool(asked) and all(
            tok in self._title_tokens(follow.entry.id) for tok in asked)
            and not all(tok in self._title_tokens(previous.entry_id) for tok in asked))
        if (within and excused and (not points_back or follow.kind not in ("answer", "partial"))
                and follow.entry != self.kb.entries[previous.entry_id] and not DEFINING.search(text)
                and not own_entry):
            # "which airports?", "isme fees lagti hai?": the previous answer holds it (a "what is ...?" asks for the
            # word's own entry).
            entry = self.kb.entries[previous.entry_id]
            return Outcome("answer", text, out_lang, self.render(entry, out_lang), entry=entry,
                           score=follow.score, query=merged, matches=follow.matches)
        # "who is eligible?", "documents?", "fees?" right after a scheme's answer, when nothing answers it better:
        # that scheme's card holds its conditions (it was a did-you-mean of other schemes).
        previous_entry = self.kb.entries.get(previous.entry_id)
        if (previous_entry is not None and previous_entry.kind == "scheme" and follow.kind not in ("answer", "partial")
                and query.tokens and all(tok in SCHEME_ASKS for tok in query.tokens) and not query.unknown
                and outcome.kind != "answer"):
            return Outcome("answer", text, out_lang, self.render(previous_entry, out_lang), entry=previous_entry,
                           score=follow.score, query=merged, matches=follow.matches)
        # "aur lucknow ki?" after Kanpur's population: the figure asked is carried over, and an answer that does
        # not give it (Lucknow's ODOP card) is no answer to it.
        order = {"answer": 2, "partial": 2, "suggest": 1}
        chosen = follow if (leans and follow.kind in order) or order.get(follow.kind, 0) > order.get(outcome.kind, 0) \
            else outcome
        carried = [tok for tok in tokens if tok in PLACE_ASPECTS and tok not in query.tokens]
        if leans and carried and chosen.kind == "answer" and chosen.entry is not None and not all(
                tok in self.index.speaks_of(chosen.entry.id) for tok in carried):
            return Outcome("refuse", text, out_lang, self.refusal(out_lang, district), score=follow.score,
                           query=merged, matches=follow.matches)
        return chosen

    def ask_all(self, question: str, lang: str | None = None, district: str | None = None,
                previous: Topic | None = None) -> tuple[Outcome, ...]:
        """Like :meth:`ask`, but a long message that asks two things living in two entries gets both answers."""
        whole = self.ask(question, lang, district, previous)
        sentences = sentence_weights((question or "").strip())
        asked = [i for i, (_, w) in enumerate(sentences) if w == 1.0]
        if whole.kind == "partial" and len(asked) == 1:
            # "firozabad ka odop kya hai aur uska hs code?": what is known first, then the honest partial answer.
            return self._clauses(question, whole, sentences, district, previous)
        if whole.kind in ("off_topic", "partial", "too_long", "empty"):
            return (whole,)
        if len(asked) < 2:
            return self._clauses(question, whole, sentences, district, previous) if len(asked) == 1 else (whole,)
        out_lang = whole.lang
        parts: list[Outcome] = []
        for i in asked:
            # A question of less than two words of its own ("How many people can go?") leans on the one before it:
            # the answer to the whole message covers it.
            if sum(1 for tok in self.index.parse(sentences[i][0]).tokens if tok not in GENERIC) < 2:
                continue
            # This question, with what the user told about themselves around it (not the other questions).
            own = [(s, w) for j, (s, w) in enumerate(sentences) if j == i or w < 1.0]
            query = self._home(question, self.index.parse(question, own), district, previous)
            part = self._decide(question, query, out_lang, district)
            if part.kind != "answer" or any(p.entry == part.entry for p in parts):
                continue
            parts.append(part)
        if len(parts) < 2:
            return (whole,)
        if whole.kind == "answer" and whole.entry not in [p.entry for p in parts]:
            return (whole,)
        return tuple(parts)

    def _clauses(self, question: str, whole: Outcome, sentences: list[tuple[str, float]], district: str | None,
                 previous: Topic | None) -> tuple[Outcome, ...]:
        """One question sentence that asks two things ("What is the HS code of saddlery and which countries buy
        it?", "sample pe kitna milta hai aur ISO pe?"): the first clause with what the user told around it, the next
        one as a follow-up of the first; both answers when they are two entries and the whole message agrees."""
        at = next(i for i, (_, w) in enumerate(sentences) if w == 1.0)
        clauses = [c for c in CLAUSE_BREAK.split(sentences[at][0]) if c and c.strip()]
        if len(clauses) < 2:
            return (whole,)
        own_words = [[tok for tok in self.index.parse(c).tokens if tok not in GENERIC] for c in clauses]
        # Each clause says something of its own, and the first one asks ("baghpat aur hapur ka odop?" names two
        # districts in one question, which the whole message answers together).
        # A first clause that neither asks nor names what is asked joins two things asked together ("सूती कालीन और
        # मैट की कितनी यूनिट", "handles aur kabze ka hs code"): one question, not two.
        asks_first = bool(QUESTION_WORDS.intersection(normalise(clauses[0]).split())) or any(
            tok in INTENT for tok in own_words[0])
        if not all(own_words) or not asks_first:
            return (whole,)
        context = [(s, w) for j, (s, w) in enumerate(sentences) if j != at]
        if len(own_words[0]) < 2:
            # A first clause naming only what is asked ("Kya hum ODOP me aate hain?") leans on what the user said
            # around it, as a question sentence of its own would.
            context = [(s, max(w, WEAK_QUESTION_CONTEXT)) for s, w in context]
        query = self._home(question, self.index.parse(question, [(clauses[0], 1.0)] + context), district, previous)
        first = self._decide(question, query, whole.lang, district)
        if first.kind != "answer" or first.entry is None:
            return (whole,)
        parts = [first]
        for clause in clauses[1:]:
            before = parts[-1]
            topic = Topic(before.entry.id, self.topic_of(before), 0.0)
            part = self.ask("and " + clause.strip(), whole.lang, district, topic)
            if part.kind == "answer" and any(p.entry == part.entry for p in parts):
                # Read as a follow-up it is the same answer again: it may ask something else on its own
                # ("Kya hum ODOP me aate hain aur kya online bech sakte hain?").
                part = self.ask(clause.strip(), whole.lang, district)
            if part.kind == "partial" and clause is clauses[-1]:
                parts.append(replace(part, question=question))
                break
            if part.kind != "answer" or any(p.entry == part.entry for p in parts):
                return (whole,)
            parts.append(replace(part, question=question))
        if whole.kind == "answer" and whole.entry not in [p.entry for p in parts]:
            return (whole,)
        return tuple(parts)

    def _title_tokens(self, entry_id: str) -> tuple[str, ...]:
        """The words of an entry's titles, as the index keeps them."""
        index = self.index
        return index.title_tokens[index.position[entry_id]]

    def _parse(self, text: str) -> Query:
        """The message as the matcher reads it; but when its question names no subject of its own ("What HS code
        should we use and which countries import from Kanpur?" after "I make PP woven sacks."), the sentences around
        it say what it is about, and count as much as they do for a question that names only what is asked."""
        query = self.index.parse(text)
        if all(w == 1.0 for w in query.weights):
            return query
        own = roles(tuple(tok for i, tok in enumerate(query.tokens) if query.weight(i) == 1.0),
                    self.district_tokens, self.country_tokens)
        sentences = sentence_weights(text)
        asked = " ".join(s for s, w in sentences if w == 1.0)
        # ... and so do they when the question points at them ("Kya Kanpur is cheez ka bada hub hai?").
        if (own["subject"] or own["country"]) and not THIS_THING.search(asked):
            return query
        return self.index.parse(text, [(s, w if w == 1.0 else max(w, WEAK_QUESTION_CONTEXT)) for s, w in sentences])

    def asks_own_district(self, text: str, previous: Topic | None = None) -> bool:
        """Does the message speak of "my district" (or "the district" / "is jile" with no district before it)
        without naming one?"""
        if any(tok in self.district_tokens for tok in self.index.canon.content(text)):
            return False
        if MY_DISTRICT.search(text):
            return True
        earlier = previous is not None and any(tok in self.district_tokens for tok in previous.tokens)
        return not earlier and points_to_place(text)

    def _own_district(self, text: str, query: Query, outcome: Outcome, lang: str, district: str | None) -> Outcome:
        """A question that several districts' entries fit alike ("ODOP product", "pital ke bartan ka hs code"), from a
        user who chose a district and names none: their district's entry, when it answers it."""
        if (outcome.kind != "suggest" or district not in self.kb.districts
                or any(tok in self.district_tokens for tok in query.tokens)
                or not any(e.kind == "district" or e.district for e in outcome.suggestions)):
            return outcome
        extra = tuple(tok for tok in self.index.canon.content(self.kb.districts[district].name.en)
                      if tok not in query.tokens)
        homed = replace(query, tokens=query.tokens + extra, weights=tuple(query.weights) + (1.0,) * len(extra))
        again = self._decide(text, homed, lang, district)
        if again.kind == "answer" and again.entry is not None and district in (again.entry.id, again.entry.district):
            return again
        return outcome

    def _home(self, text: str, query: Query, district: str | None, previous: Topic | None = None) -> Query:
        """"What is the ODOP of my district?": the user's own district, when they chose one, joins the question."""
        if district not in self.kb.districts or not self.asks_own_district(text, previous):
            return query
        extra = tuple(tok for tok in self.index.canon.content(self.kb.districts[district].name.en)
                      if tok not in query.tokens)
        return replace(query, tokens=query.tokens + extra, weights=tuple(query.weights) + (1.0,) * len(extra))

    def topic_of(self, outcome: Outcome) -> tuple[str, ...]:
        """The words of an answered question that its answer is about (plus the district it named)."""
        if outcome.query is None or outcome.entry is None:
            return ()
        covered = self.index.speaks_of(outcome.entry.id)
        kept = tuple(t for t in outcome.query.tokens if t in covered or t in self.district_tokens)
        kept = kept or outcome.query.tokens
        # The answer's own district, when the question did not name it ("which district makes black rice?").
        place = outcome.entry.id if outcome.entry.kind == "district" else outcome.entry.district
        if place in self.kb.districts and not any(t in self.district_tokens for t in kept):
            kept += tuple(self.index.canon.content(self.kb.districts[place].name.en))
        return kept

    def _decide(self, text: str, query: Query, out_lang: str, district: str | None) -> Outcome:
        matches = self._matches(query)
        product = self._odop_product_asked(query, matches)
        if product is not None:
            return self._decide(text, product, out_lang, district)
        combined = (self._districts_making(query, matches, out_lang) or self._districts_named(query, matches, out_lang)
                    or self._partial(query, matches, out_lang, district))
        if combined is not None:
            return combined
        th = self.thresholds
        if matches and self._guess(query, matches[0].entry):
            # A guess (a district's fact the question does not point to) gives way to a close entry that is not one.
            near = [m for m in matches[1:4] if m.score >= matches[0].score - GUESS_MARGIN
                    and not self._guess(query, m.entry)]
            if near:
                matches = [near[0]] + [m for m in matches if m is not near[0]]
        matches = self._codes_together_first(query, self._speaks_of_all_first(query, matches))
        helped = self._scheme_not_card(query, matches)
        if helped is not matches and "odop" not in query.tokens:
            # Help for a district's ODOP product is asked of the ODOP schemes: the place and the product only say
            # that the product is an ODOP product.
            card = self.index.entry_tokens[self.index.position[matches[0].entry.id]]
            kept = [(tok, w) for tok, w in zip(query.tokens, query.weights)
                    if tok not in self.district_tokens and tok not in card]
            kept += [("odop", 1.0)] if ODOP_HELP.intersection(query.tokens) else []
            return self._decide(text, replace(query, tokens=tuple(t for t, _ in kept), weights=tuple(w for _, w in kept)),
                                out_lang, district)
        matches = helped
        top = matches[0] if matches else None
        if top is None:
            return Outcome("refuse", text, out_lang, self.refusal(out_lang, district), query=query)
        # Off-topic words refuse, unless the best entry itself covers them and the question says more
        # ("hathras me kitni barish hoti hai" is about the district's climate; "kal barish hogi" is not).
        on_topic_after_all = (len(query.tokens) >= 2 and top.score >= th.answer
                              and not any(" " in w for w in query.off_topic_words)    # phrases are never excused
                              and not all(w in WEAK_OFF_TOPIC for w in query.off_topic_words)   # hints: see below
                              and self.index.covers(top.entry.id, query.off_topic_words))
        # Only hint words ("rate", "today", "hotel") in a question about a scheme's support: ours after all.
        about_support = (all(w in WEAK_OFF_TOPIC for w in query.off_topic_words)
                         and bool(SUPPORT_WORDS.intersection(query.tokens)) and top.entry.kind == "scheme")
        if query.off_topic and top.score < th.off_topic_override and not on_topic_after_all and not about_support:
            return Outcome("off_topic", text, out_lang, self.refusal(out_lang, district), score=top.score,
                           query=query, matches=tuple(matches))
        if CONTACT_DETAIL.search(text) and not any(kind in ("phone", "email") for kind, _ in top.entry.contacts):
            return Outcome("off_topic", text, out_lang, self.refusal(out_lang, district), score=top.score,
                           query=query, matches=tuple(matches))
        beyond = self._beyond_card(text, query, top, out_lang, district, matches)
        if beyond is not None:
            return beyond
        sure = self.decision.probability(features(self.index, query, matches, th))
        # One word that fits several entries ("footwear", "leather") is a menu, not a question; so is a question
        # that names no subject of its own ("which countries buy it?" with nothing before it).
        named = (has_subject(query.tokens, self.district_tokens, self.country_tokens)
                 or any(tok in self.district_tokens or tok == "up" for tok in query.tokens) or bool(STATE_NAMED.search(text)))
        vague = len(query.tokens) == 1 or not named
        # A district's card for a question that names no district, with another district's card as close: a guess.
        vague = vague or (top.entry.kind == "district" and len(matches) > 1 and matches[1].entry.kind == "district"
                          and not any(tok in self.district_tokens for tok in query.tokens))
        ambiguous_word = vague and len(matches) > 1 and top.score - matches[1].score < th.margin
        # An HS code typed in full names its own entry.
        typed_code = top.entry.kind == "hs_code" and top.entry.codes[0] in query.tokens
        # A fact of one district's cluster ("Kanpur leather: a raw hide warehouse") for a question that names neither
        # the place nor the trade ("do I need a warehouse for export?") is a guess: offered, not answered.
        unanchored = self._guess(query, top.entry)
        # The markets or the code of one product for a question that names no product ("किन देशों में भेजें?",
        # "mera maal videsh me kaise bikega"): a guess at what they make -- offered, not answered.
        unanchored = unanchored or (not named and top.entry.kind in ("market", "hs_code") and not typed_code)
        # ... as is any entry for a question made only of a size, a time or an everyday word ("kitne din me milta
        # hai?" alone: how long for what?).
        unanchored = unanchored or (not named and all(tok in MODIFIER or tok in GENERIC for tok in query.tokens))
        # ... and so is the markets or code of something else than what the question names ("IEC target markets?"
        # is no engineering goods' markets): an entry of the kind asked that speaks of none of the asked subject.
        if top.entry.kind in ("market", "hs_code") and not typed_code:
            asked_subject = roles(query.tokens, self.district_tokens, self.country_tokens)["subject"]
            spoken = self.index.speaks_of(top.entry.id)
            unanchored = unanchored or (bool(asked_subject) and not any(tok in spoken for tok in asked_subject))
        defined = self._defines(text, query, matches)
        if defined is not None and defined is not top:
            top = defined
            matches = [defined] + [m for m in matches if m is not defined]
        if (sure >= self.decision.answer_at and not ambiguous_word and not unanchored) or typed_code \
                or defined is not None:
            # Close runners-up are offered beside the answer ("not this? see also ...").
            # When the bot is less than sure, the next best entries are offered whatever their distance.
            near = th.margin * 2 if sure >= th.sure_enough else top.score
            also = tuple(m.entry for m in matches[1:] if top.score - m.score < near and m.score >= th.suggest
                         )[:MAX_SUGGESTIONS - 1]
            see_also = t("see_also", out_lang, titles=" · ".join(e.title.get(out_lang) for e in also)) if also else ""
            answer = self.render(top.entry, out_lang, see_also)
            return Outcome("answer", text, out_lang, answer, entry=top.entry, score=top.score, suggestions=also,
                           query=query, matches=tuple(matches))
        # Choices about the question go first; a district's fact the question does not point to comes after them.
        offered = [m for m in matches if m.score >= th.suggest]
        choices = tuple(m.entry for m in sorted(offered, key=lambda m: self._guess(query, m.entry)))[:MAX_SUGGESTIONS]
        if choices and sure >= self.decision.suggest_at:
            return Outcome("suggest", text, out_lang, self.suggestion_text(out_lang, choices, district),
                           score=top.score, suggestions=choices, query=query, matches=tuple(matches))
        return Outcome("refuse", text, out_lang, self.refusal(out_lang, district), score=top.score,
                       query=query, matches=tuple(matches))

    def _speaks_of_all_first(self, query: Query, matches: list[Match]) -> list[Match]:
        """A close entry that speaks of what the best entry leaves out goes first: "how many people do hosiery units
        in Kanpur employ?" is the hosiery cluster's figure, not the district's MSME table that only shares "units" and
        "employment" with it. The close entry speaks of every subject word asked (a product, a trade, a scheme: not
        the place, the plan or the figure asked) and of the kind of answer asked that the best entry gives (markets,
        an HS code)."""
        if len(matches) < 2:
            return matches
        asked = tuple(tok for i, tok in enumerate(query.tokens) if query.weight(i) == 1.0 and tok not in PLACE_WORDS)
        found = roles(asked, self.district_tokens, self.country_tokens)
        subject = found["subject"]
        spoken = self.index.speaks_of(matches[0].entry.id)
        left_out = {tok for tok in asked if tok not in spoken}
        if not left_out:
            return matches
        kind = [tok for tok in found["intent"] if tok in spoken and tok in KIND_ASKED]
        # ... and is not another district's than the message names (even in the words around the question).
        named = self._names(set(query.tokens))
        for m in matches[1:4]:
            if m.score < matches[0].score - GUESS_MARGIN:
                break
            place = m.entry.id if m.entry.kind == "district" else m.entry.district
            if named and place in self.kb.districts and place not in named:
                continue
            own = self.index.speaks_of(m.entry.id)
            # (an HS code asked and left out by the best entry -- "bhadohi carpet hs code" is no carpet institute --
            # is given by a close entry with the subject and the code: a code is the same wherever the product is made)
            code = ["hs"] if "hs" in left_out else []
            covers = (any(tok in left_out for tok in subject) or bool(code and subject)) and all(
                tok in own for tok in subject + kind + code)
            if covers and not self._guess(query, m.entry):
                return [m] + [k for k in matches if k is not m]
        return matches

    def _scheme_not_card(self, query: Query, matches: list[Match]) -> list[Match]:
        """"Bareilly ka ODOP?" ... "iske liye training milti hai?", "aur loan?": help for an ODOP product is a
        state-wide scheme, not the district's card, which says nothing of training or loans."""
        if not matches or matches[0].entry.kind != "district":
            return matches
        card = self.index.speaks_of(matches[0].entry.id)
        asked = [tok for i, tok in enumerate(query.tokens)
                 if query.weight(i) == 1.0 and tok in SCHEME_ASKED and tok not in card]
        # How to do something is how to export only when exporting is asked ("iska export kaise karu"), not any
        # "kaise karu" ("saree ka online order kaise karu").
        if not asked or (not (ODOP_HELP | EXPORT_SUPPORT).intersection(asked) and "export" not in query.tokens):
            return matches
        # (a product that is the ODOP of many districts fills the ranking with their cards: the schemes are then
        # looked for by what is asked, for an ODOP product)
        def wider() -> Iterator[Match]:
            yield from matches[1:8]
            yield from self.index.rank_query(replace(query, tokens=(*asked, "odop"), weights=(1.0,) * (len(asked) + 1)),
                                             limit=5)

        for m in wider():
            if m.entry.kind != "district" and not m.entry.district \
                    and all(tok in self.index.speaks_of(m.entry.id) for tok in asked):
                return [m] + [k for k in matches if k is not m and k.entry.kind != "district"]
        return matches

    def _defines(self, text: str, query: Query, matches: list[Match]) -> Match | None:
        """"What is RoDTEP?", "iec kya hota hai", "UPEPB kya hai": one word asked to be explained, answered by the
        term's own entry: the only close one whose title holds that word, or of several, the one whose title says least
        besides ("Uttar Pradesh Export Promotion Bureau (UPEPB)", not "Export schemes of the UP Export Promotion
        Bureau")."""
        if len(query.tokens) != 1 or query.unknown or not DEFINING.search(text) or not matches:
            return None
        word = query.tokens[0]
        # (One of many codes, markets or district cards -- "HS code 830241", "Agra: ODOP products" -- is no term's
        # own entry.)
        titled = [m for m in matches[:4] if m.score >= matches[0].score - 1.5 * GUESS_MARGIN
                  and m.entry.kind not in ("hs_code", "market", "district")
                  and word in self.index.canon.content(m.entry.title.en + " " + m.entry.title.hi)]
        if len(titled) == 1:
            return titled[0] if titled[0] is matches[0] else None
        if not titled:
            return None
        extra = {m.entry.id: len(set(self.index.canon.content(m.entry.title.en)) - {word}) for m in titled}
        fewest = min(extra.values())
        own = [m for m in titled if extra[m.entry.id] == fewest]
        return own[0] if len(own) == 1 and own[0].score >= matches[0].score - GUESS_MARGIN / 2 else None

    def _codes_together_first(self, query: Query, matches: list[Match]) -> list[Match]:
        """"HS code of Kanpur's plastic products": when several HS codes fit about as well, the close entry that lists
        them all (the cluster's "HS codes used in the plan") answers, not one code picked among them."""
        if len(matches) < 3 or matches[0].entry.kind != "hs_code" or "hs" not in query.tokens:
            return matches
        top = matches[0]
        if top.entry.codes[0] in query.tokens:
            return matches
        codes = [m.entry.codes[0] for m in matches if m.entry.kind == "hs_code" and m.score >= top.score - GUESS_MARGIN]
        if len(codes) < 2:
            return matches
        for m in matches[1:6]:
            if m.score < top.score - 1.5 * GUESS_MARGIN:
                break
            spoken = self.index.speaks_of(m.entry.id)
            if m.entry.kind != "hs_code" and all(code in spoken for code in codes) and not self._guess(query, m.entry):
                return [m] + [k for k in matches if k is not m]
        return matches

    def analyse(self, text: str) -> tuple[Query, list[Match]]:
        """The question as understood and the entries that fit it, best first (HS subheadings folded)."""
        query = self.index.parse(text)
        return query, self._matches(query)

    def _matches(self, query: Query) -> list[Match]:
        """The ranking, with a little credit for entries whose answer itself speaks of the question's words (the
        aliases name a topic; a figure asked about may only be in the answer)."""
        ranked = self.index.rank_query(query, limit=12)
        if not ranked or not query.tokens:
            return _fold_subheadings(ranked)
        idf = self.index.idf
        # What is asked, when it names its own subject, not what the user told around it ("main Moradabad me brass
        # ka kaam karta hoon. IEC kaise milega?": an answer that names Moradabad is no better an answer about IEC).
        asked = has_subject(tuple(tok for i, tok in enumerate(query.tokens) if query.weight(i) == 1.0),
                            self.district_tokens, self.country_tokens)
        weights = [idf[tok] * query.weight(i) if query.weight(i) == 1.0 or not asked else 0.0
                   for i, tok in enumerate(query.tokens)]
        total = sum(weights)
        if not total:
            return _fold_subheadings(ranked)
        credit = {}
        for m in ranked:
            spoken = self.index.speaks_of(m.entry.id)
            credit[m.entry.id] = ANSWER_TEXT_WEIGHT * sum(w for tok, w in zip(query.tokens, weights) if tok in spoken) / total
        # Only the order changes: the scores the decision reads stay the matcher's (stable for equal keys).
        return _fold_subheadings(sorted(ranked, key=lambda m: -(m.score + credit[m.entry.id])))


def _fold_subheadings(matches: list[Match]) -> list[Match]:
    """Of an HS heading and its own subheading, keep the one ranked higher: the other adds no choice."""
    kept: list[Match] = []
    for m in matches:
        if m.entry.kind == "hs_code":
            code = m.entry.codes[0]
            if any(k.entry.kind == "hs_code" and (code.startswith(k.entry.codes[0]) or k.entry.codes[0].startswith(code))
                   for k in kept):
                continue
        kept.append(m)
    return kept
