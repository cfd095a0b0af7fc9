"""The answer engine: one question in, one decision and the exact text out.

A confident match is answered with its source; a grey-zone match offers at
most three "did you mean" choices; anything else is refused honestly and
points to the user's District Industries Centre. No channel code here.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .entities import Entry, KnowledgeBase
from .matching import Index, Match, Query
from .normalise import has_devanagari
from .texts import t

MAX_QUESTION = 1000
MAX_SUGGESTIONS = 3


@dataclass(frozen=True)
class Thresholds:
    """Calibrated on the development questions; see README 'How matching works'."""

    answer: float = 0.6       # at or above: one answer ...
    margin: float = 0.05      # ... unless the runner-up (another entry) is this close
    sure: float = 0.85        # a top score this high ...
    margin_when_sure: float = 0.015   # ... needs only this much lead
    suggest: float = 0.3      # at or above: "did you mean"
    decisive: float = 0.65     # most of the question explained: answer the best, offer close ones beside it
    clear: float = 0.45       # a lower top score is still answered ...
    clear_margin: float = 0.15   # ... when nothing else comes near it, the question has two known words
    clear_unknown: float = 0.4   # ... and at most this share of it is words the bot has never seen
    off_topic_override: float = 1.05   # an off-topic word is refused unless the match is exceptionally strong


@dataclass(frozen=True)
class Outcome:
    kind: str                  # answer | suggest | refuse | off_topic | empty | too_long
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
    def __init__(self, kb: KnowledgeBase, thresholds: Thresholds | None = None):
        self.kb = kb
        self.index = Index(kb)
        self.thresholds = thresholds or Thresholds()

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
        parts.append(t("source", lang, source=self.kb.source_text(entry.source, lang)))
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
        close = [m for m in matches if m.entry.kind == "district" and m.score >= max(self.thresholds.answer, top - 0.08)]
        if len(close) < 2:
            return None
        wanted = set(query.tokens) - {"district", "odop", "make", "product"}
        lines = [t("districts_making", lang)]
        for m in close:
            district = self.kb.districts[m.entry.id]
            best = max(district.odop, key=lambda p: len(wanted & set(self.index.canon.content(
                " ".join((p.product.en, p.product.hi, *p.words))))), default=None)
            product = f": {best.product.get(lang)}" if best is not None else ""
            lines.append(f"• {district.name.get(lang)}{product}")
        lines.append(t("districts_making_help", lang))
        plainest = min((m.entry.source for m in close), key=len)
        source = t("source", lang, source=self.kb.source_text(plainest, lang))
        return Outcome("answer", query.text, lang, "\n".join(lines) + "\n\n" + source, entry=close[0].entry,
                       score=top, query=query, matches=tuple(matches))

    # ------------------------------------------------------------ deciding

    def ask(self, question: str, lang: str | None = None, district: str | None = None) -> Outcome:
        text = (question or "").strip()
        out_lang = answer_language(text, lang)
        if not text:
            return Outcome("empty", text, out_lang, t("empty", out_lang))
        if len(text) > MAX_QUESTION:
            return Outcome("too_long", text[:MAX_QUESTION], out_lang, t("too_long", out_lang, limit=MAX_QUESTION))
        query, matches = self.index.rank(text, limit=12)
        matches = _fold_subheadings(matches)
        combined = self._districts_making(query, matches, out_lang)
        if combined is not None:
            return combined
        th = self.thresholds
        top = matches[0] if matches else None
        if top is None:
            return Outcome("refuse", text, out_lang, self.refusal(out_lang, district), query=query)
        # Off-topic words refuse, unless the best entry itself covers them and the question says more
        # ("hathras me kitni barish hoti hai" is about the district's climate; "kal barish hogi" is not).
        on_topic_after_all = (len(query.tokens) >= 2 and top.score >= th.answer
                              and self.index.covers(top.entry.id, query.off_topic_words))
        if query.off_topic and top.score < th.off_topic_override and not on_topic_after_all:
            return Outcome("off_topic", text, out_lang, self.refusal(out_lang, district), score=top.score,
                           query=query, matches=tuple(matches))
        runner_up = matches[1].score if len(matches) > 1 else 0.0
        margin = th.margin if top.score < th.sure else th.margin_when_sure
        confident = ((top.score >= th.answer and top.score - runner_up >= margin)
                     or (top.score >= th.decisive and len(query.tokens) >= 2))
        clear_winner = (top.score >= th.clear and top.score - runner_up >= th.clear_margin
                        and len(query.tokens) >= 2 and self.index.unknown_share(query) <= th.clear_unknown)
        if confident or clear_winner:
            # Close runners-up are offered beside the answer ("not this? see also ...").
            also = tuple(m.entry for m in matches[1:] if top.score - m.score < th.margin * 2)[:MAX_SUGGESTIONS - 1]
            see_also = t("see_also", out_lang, titles=" · ".join(e.title.get(out_lang) for e in also)) if also else ""
            answer = self.render(top.entry, out_lang, see_also)
            return Outcome("answer", text, out_lang, answer, entry=top.entry, score=top.score, suggestions=also,
                           query=query, matches=tuple(matches))
        choices = tuple(m.entry for m in matches if m.score >= th.suggest)[:MAX_SUGGESTIONS]
        if choices:
            return Outcome("suggest", text, out_lang, self.suggestion_text(out_lang, choices, district),
                           score=top.score, suggestions=choices, query=query, matches=tuple(matches))
        return Outcome("refuse", text, out_lang, self.refusal(out_lang, district), score=top.score,
                       query=query, matches=tuple(matches))


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
