"""Facts written once: an amount, a share, a cap or a date lives in knowledge/facts.yaml, and every
answer that shows it writes ``{{fact-id}}`` where the value goes (``{{fact-id:crore}}`` for the same
rupee figure rounded, "₹49.3 crore").

A clerk who changes a cap changes it in one place and every answer, in both languages, follows. What
would let two figures for one thing reach users is a problem naming both places (file:line of the
text, file:line of the fact), see :func:`check_texts` and knowledge/README.md section 12.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from typing import Any, Iterable, Mapping

from .amounts import Amount, amounts, crore, groups, only_glue
from .entities import REVIEW_FIELDS, SHORT_MAX, Entry, Problem, Review, Text, clip
from .yamlmarks import MarkedDict, MarkedList

PLACEHOLDER = re.compile(r"\{\{\s*([a-z0-9]+(?:-[a-z0-9]+)*)\s*(?::\s*([a-z]+)\s*)?\}\}")
FORMS = ("crore",)                          # {{fact-id:crore}}: the fact's ₹ figure in crore (lakh), 3 digits
TEXT_FIELDS = ("title", "name", "short", "answer", "exports", "description", "expansion", "explanation", "authority")


@dataclass(frozen=True)
class FactMark:
    """Where a fact is written: its file and the line of its English and Hindi values."""

    file: str
    en: int
    hi: int

    def at(self, lang: str) -> str:
        return f"{self.file}:{self.en if lang == 'en' else self.hi}"


def subject(ident: str) -> tuple[str, ...]:
    """A fact id without its last word names what it is about: upepb-samples-cap -> (upepb, samples)."""
    words = tuple(ident.split("-"))
    return words[:-1] if len(words) > 1 else words


def read_facts(value: Any, line: int, facts: dict[str, Text], ids: dict[str, str], shown: str, check: Any,
               reviews: list[Review], marks: dict[str, FactMark] | None = None) -> None:
    """Read the `facts:` section: a list of `{id, value: {en, hi}, source}`."""
    if not isinstance(value, MarkedList):
        check.add(line, "section 'facts' must be a list of facts, each starting with '- id: ...'")
        return
    for i, item in enumerate(value):
        item_line = value.item_lines[i]
        if not isinstance(item, MarkedDict):
            check.add(item_line, f"fact {i + 1} must be a block of fields (id: ..., value: ..., source: ...)")
            continue
        check.fields(item, f"fact {i + 1}", ("id", "value", "source", "note", *REVIEW_FIELDS), ("id", "value", "source"))
        ident = check.ident(item, "id", "fact")
        text = check.text(item, "value", f"fact '{ident or i + 1}'")
        check.string(item, "source", f"fact '{ident or i + 1}'")
        if ident is None or text is None:
            continue
        if ident in facts:
            check.add(item_line, f"fact '{ident}' is written twice (also at {ids.get('fact:' + ident)}); "
                                 "each fact lives in one place")
            continue
        held = item["value"]
        mark = FactMark(shown, held.key_lines.get("en", item.key_lines["value"]),
                        held.key_lines.get("hi", item.key_lines["value"]))
        for lang, val in (("en", text.en), ("hi", text.hi)):
            if PLACEHOLDER.search(val):
                check.add(getattr(mark, lang), f"fact '{ident}' ({lang}) holds a placeholder; write the value itself")
        _check_languages_agree(ident, text, mark, check)
        for small in _lakh_below_one(text.hi):
            check.add(mark.hi, f"fact '{ident}' (hi) writes '{small.text}': in Hindi write it as people say it, "
                               f"{_rupees(small)}")
        facts[ident] = text
        if marks is not None:
            marks[ident] = mark
        reviews.extend(check.review_dates(item, f"fact '{ident}'", f"fact '{ident}'"))
        ids["fact:" + ident] = f"{shown}:{item_line}"


def _check_languages_agree(ident: str, text: Text, mark: FactMark, check: Any) -> None:
    """The English and the Hindi value give the same figures (a rounded one beside it may be added)."""
    en, hi = amounts(text.en, plain=True), amounts(text.hi, plain=True)
    for mine, other, lang in ((en, hi, "en"), (hi, en, "hi")):
        for a in mine:
            if not any(a.rounds(b) or b.rounds(a) for b in other):
                other_lang = "Hindi" if lang == "en" else "English"
                check.add(mark.hi if lang == "hi" else mark.en if mark.en != mark.hi else mark.en,
                          f"fact '{ident}': the {'English' if lang == 'en' else 'Hindi'} value '{text.get(lang)}' "
                          f"gives {a.text}, which the {other_lang} value '{text.get('hi' if lang == 'en' else 'en')}' "
                          "does not; change both so they say the same")
                return


def _lakh_below_one(text: str) -> list[Amount]:
    """'₹0.50 लाख': a figure below one lakh written in lakh, which nobody says in Hindi."""
    return [a for a in amounts(text) if a.kind == "₹" and a.factor == 10 ** 5 and a.shown < 1]


def _rupees(a: Amount) -> str:
    return f"₹{int(a.value):,}"


# ---------------------------------------------------------------------------------------------- the check

@dataclass
class _Place:
    """One text a clerk wrote: an entry's field in one language, with where it starts in its file."""

    entry: str
    field: str
    lang: str
    text: str
    file: str
    line: int
    unfilled: bool = False          # an event's text: shown as written, so a placeholder there is a mistake


def _words(text: str) -> tuple[str, ...]:
    """The words of an English title, small and without a plural s: 'Sending samples' -> (sending, sample)."""
    return tuple(w[:-1] if len(w) > 3 and w.endswith("s") else w for w in re.findall(r"[a-z0-9]+", text.lower()))


def _places(raw: Any) -> Iterable[tuple[str, tuple[str, ...], list[_Place]]]:
    """Per entry: its id, the words of its id, and its texts (both languages of every text field)."""
    items = [(e.id, shown, item, False) for e, shown, item in raw.entries]
    items += [(info["id"], shown, item, False) for item, shown, info in raw.glossary]
    items += [(str(item.get("id") or "?"), shown, item, True) for item, shown in raw.events]
    for ident, shown, item, unfilled in items:
        out = []
        for key in TEXT_FIELDS:
            value = item.get(key)
            if not isinstance(value, MarkedDict):
                continue
            for lang in ("en", "hi"):
                text = value.get(lang)
                if isinstance(text, str) and text.strip():
                    out.append(_Place(ident, key, lang, text, shown, value.key_lines.get(lang, item.line), unfilled))
        title = item.get("title") or item.get("name") or item.get("term")
        title_en = str(title.get("en", "")) if isinstance(title, MarkedDict) else str(title or "")
        yield ident, tuple(ident.split("-")) + _words(title_en), out


def _line_of(lines: Mapping[str, list[str]], place: _Place, snippet: str) -> int:
    """The file line holding ``snippet`` inside ``place`` (a block text's own line), else the field's line."""
    rows = lines.get(place.file) or []
    span = place.text.count("\n") + 3
    probe = snippet.strip()[:40]
    for n in range(place.line, min(len(rows), place.line + span) + 1):
        if probe and probe in rows[n - 1]:
            return n
    return place.line


_STATEMENT = re.compile(r"\n|;|।|(?<=\.)\s+(?=[A-Z•])")


def _statements(text: str) -> list[tuple[int, str]]:
    out, at = [], 0
    for m in _STATEMENT.finditer(text):
        out.append((at, text[at:m.start()]))
        at = m.end()
    out.append((at, text[at:]))
    return out


def check_texts(raw: Any, problems: list[Problem]) -> None:
    """Every text an entry shows, checked against the facts.

    Refused, with the line of the text and the line of the fact:
    - a placeholder naming no fact;
    - a ₹ figure typed out that is a fact's value, in any spelling (₹50,000, Rs 50000, 50,000 rupees);
    - a figure written beside a placeholder ({{x}} (₹50,000), {{x}} (about ₹49.3 crore));
    - a figure standing where a fact of the same subject belongs: a text that shows one fact of a subject
      (upepb-samples-share) or an entry whose id names the subject (upepb-mda-samples) typing a ₹ figure or
      a share of its own, where that subject's fact (upepb-samples-cap, upepb-samples-share) is not shown.
    """
    facts: Mapping[str, Text] = raw.facts
    marks: Mapping[str, FactMark] = raw.fact_marks
    lines: Mapping[str, list[str]] = raw.lines
    by_subject: dict[tuple[str, ...], list[str]] = {}
    for ident in facts:
        by_subject.setdefault(subject(ident), []).append(ident)
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for s in by_subject:
        by_first.setdefault(s[0], []).append(s)
    values = {ident: {lang: amounts(facts[ident].get(lang)) for lang in ("en", "hi")} for ident in facts}
    by_value: dict[tuple[str, Any], list[str]] = {}          # (kind, value) -> the facts that give it
    for ident, both in values.items():
        for a in both["en"] + both["hi"]:
            if ident not in by_value.setdefault((a.kind, a.value), []):
                by_value[(a.kind, a.value)].append(ident)

    def report(place: _Place, snippet: str, message: str) -> None:
        problems.append(Problem(place.file, _line_of(lines, place, snippet),
                                f"{place.entry}: {place.field} ({place.lang}) {message}"))

    def at(ident: str, lang: str) -> str:
        mark = marks.get(ident)
        return mark.at(lang) if mark else "facts.yaml"

    for entry_id, id_words, places in _places(raw):
        used = {m.group(1) for p in places for m in PLACEHOLDER.finditer(p.text)}
        ident_words = tuple(entry_id.split("-"))
        entry_subjects = {s for w in set(ident_words) for s in by_first.get(w, ()) if all(x in ident_words for x in s)}
        title_words = set(id_words)
        entry_subjects |= {subject(i) for i in used}
        for place in places:
            seen_here = _check_placeholders(place, facts, report)
            if seen_here and place.unfilled:
                report(place, "{{", "holds a placeholder, which is not filled in here; write the words without the "
                                    "amount (e.g. 'ask the bot about the MDA scheme')")
            for small in _lakh_below_one(place.text) if place.lang == "hi" else ():
                report(place, small.text, f"writes '{small.text}': in Hindi write it as people say it, {_rupees(small)}")
            if place.field == "short" and seen_here:
                filled = fill(place.text, place.lang, facts)
                if len(filled) > SHORT_MAX:
                    report(place, place.text, f"is {len(filled)} characters once filled in ('{filled}'); "
                                              f"a button label may have at most {SHORT_MAX}")
            for start, statement in _statements(place.text):
                _check_statement(place, statement, facts, values, by_value, by_subject, entry_subjects, used,
                                 title_words, report, at)


def _check_placeholders(place: _Place, facts: Mapping[str, Text], report: Any) -> bool:
    found = False
    for m in PLACEHOLDER.finditer(place.text):
        found = True
        ident, form = m.group(1), m.group(2)
        if ident not in facts:
            close = difflib.get_close_matches(ident, list(facts), n=1, cutoff=0.6)
            hint = f" (did you mean '{{{{{close[0]}}}}}'?)" if close else " (facts live in facts.yaml)"
            report(place, m.group(0), f"names the fact '{ident}', which is not written anywhere{hint}")
        elif form is not None and (form not in FORMS or not amounts(facts[ident].en) or
                                   amounts(facts[ident].en)[0].kind != "₹"):
            report(place, m.group(0), f"writes {m.group(0)}: ':{form}' is not known here (only "
                                      f"{{{{{ident}:crore}}}}, for a ₹ fact)")
    if "{{" in PLACEHOLDER.sub("", place.text):
        report(place, "{{", "has '{{' without a fact id and '}}'")
    return found


def _check_statement(place: _Place, statement: str, facts: Mapping[str, Text], values: Mapping[str, Any],
                     by_value: Mapping[tuple[str, Any], list[str]],
                     by_subject: Mapping[tuple[str, ...], list[str]], entry_subjects: set[tuple[str, ...]],
                     used: set[str], title_words: set[str], report: Any, at: Any) -> None:
    holes = list(PLACEHOLDER.finditer(statement))
    shown_here = {m.group(1) for m in holes if m.group(1) in facts}
    bare = PLACEHOLDER.sub(lambda m: " " * len(m.group(0)), statement)
    typed = [a for a in amounts(bare) if a.kind in ("₹", "USD", "%")]
    if not typed:
        return
    subjects_here = {subject(i) for i in shown_here} | entry_subjects
    for group in groups(bare, typed):
        snippet = statement[group[0].start:group[-1].end]
        if group[-1].end < len(statement) and statement[group[-1].end:group[-1].end + 1] == ")" and "(" in snippet:
            snippet += ")"
        lang = place.lang
        # 1. Beside a placeholder: the fact is shown already; a second figure will not follow it.
        beside = _beside(statement, group, holes, facts)
        if beside is not None:
            fact_id = beside
            copy = any(a.rounds(b) or b.rounds(a) for a in group for b in values[fact_id][lang] + values[fact_id]["en"])
            if copy:
                fix = (f"write {{{{{fact_id}:crore}}}} for the rounded figure, so it follows the fact"
                       if any(a.kind == "₹" for a in group) else "delete it")
                report(place, snippet, f"writes '{snippet}' beside {{{{{fact_id}}}}}: a copy of fact '{fact_id}' "
                                       f"({at(fact_id, lang)}) typed out; {fix}")
            else:
                report(place, snippet, f"writes '{snippet}' beside {{{{{fact_id}}}}}, but fact '{fact_id}' "
                                       f"({at(fact_id, lang)}) says {facts[fact_id].get(lang)}; delete the typed "
                                       "figure: the fact's value is shown")
            continue
        # 2. A fact's value typed out (money: anywhere; a share: only where its subject is spoken of).
        equal = [i for i in dict.fromkeys(i for a in group for i in by_value.get((a.kind, a.value), ()))
                 if group[0].kind != "%" or subject(i) in subjects_here]
        belongs = _belongs(statement, group, subjects_here, shown_here, by_subject, values)
        if belongs is not None and not any(subject(i) in subjects_here for i in equal):
            equal = []          # the figure stands where this answer's own fact belongs: say that (3.)
        if equal:
            named = _prefer(equal, shown_here, used, subjects_here, title_words)
            if len(named) == 1:
                report(place, snippet, f"types out '{snippet}', the value of fact '{named[0]}' "
                                       f"({at(named[0], lang)}); write {{{{{named[0]}}}}} instead, so the two "
                                       "cannot disagree")
            else:
                listed = ", ".join(f"'{i}' ({at(i, lang)})" for i in named)
                report(place, snippet, f"types out '{snippet}', the value of the facts {listed}; write the "
                                       "placeholder of the one it means, e.g. " + f"{{{{{named[0]}}}}}")
            continue
        # 3. Where a fact of a subject spoken of here belongs, a figure of its own.
        if belongs is None:
            continue
        fact_id = belongs
        report(place, snippet, f"writes '{snippet}' where fact '{fact_id}' ({at(fact_id, lang)}) says "
                               f"{facts[fact_id].get(lang)}; write {{{{{fact_id}}}}} so users see one figure")


_CAP_BEFORE = re.compile(r"(?:max(?:imum)?|up ?to|ceiling|limit|capped at|cap of|not more than|at most|"
                         r"ज़्यादा से ज़्यादा|ज्यादा से ज्यादा|अधिकतम|सीमा)\W*$", re.I)
_CAP_AFTER = re.compile(r"^\W*(?:\S+\s+){0,3}?तक")


def _says_cap(statement: str, group: list[Amount]) -> bool:
    """The figure is a cap: 'max ₹50,000', 'up to ₹1 lakh', 'ज़्यादा से ज़्यादा ₹50,000', '₹50,000 तक'."""
    before = statement[max(0, group[0].start - 30):group[0].start]
    after = statement[group[-1].end:group[-1].end + 30]
    return bool(_CAP_BEFORE.search(before) or _CAP_AFTER.match(after))


def _belongs(statement: str, group: list[Amount], subjects_here: set[tuple[str, ...]], shown_here: set[str],
             by_subject: Mapping[tuple[str, ...], list[str]], values: Mapping[str, Any]) -> str | None:
    """The one cap or share fact (id ending in -cap / -share) of a subject spoken of here that the figure
    stands in for: a share for a '%', a cap for a ₹ figure said as a cap ('max ₹50,000', '₹50,000 तक')."""
    kind = group[0].kind
    role = "share" if kind == "%" else "cap" if _says_cap(statement, group) else None
    wanted = [i for s in subjects_here for i in by_subject.get(s, ())
              if i not in shown_here and i.rsplit("-", 1)[-1] == role
              and values[i]["en"] and values[i]["en"][0].kind == kind]
    return wanted[0] if len(wanted) == 1 else None      # several: what the figure states cannot be told


def _beside(statement: str, group: list[Amount], holes: list[re.Match[str]], facts: Mapping[str, Text]) -> str | None:
    for m in holes:
        if m.group(1) not in facts:
            continue
        kinds = {a.kind for a in amounts(facts[m.group(1)].en)}
        if group[0].kind not in kinds:
            continue
        if m.end() <= group[0].start and only_glue(statement[m.end():group[0].start]):
            return m.group(1)
        if group[-1].end <= m.start() and only_glue(statement[group[-1].end:m.start()]):
            return m.group(1)
    return None


def _prefer(candidates: list[str], shown_here: set[str], used: set[str], subjects_here: set[tuple[str, ...]],
            title_words: set[str]) -> list[str]:
    """Of several facts with the same value, the one(s) the text or the entry is about."""
    for keep in (lambda i: subject(i) in subjects_here and i not in shown_here,
                 lambda i: i in used and i not in shown_here,
                 lambda i: subject(i) in {subject(u) for u in used},
                 lambda i: _words(subject(i)[-1])[0] in title_words):      # 'samples' in the entry's title
        chosen = [i for i in candidates if keep(i)]
        if chosen:
            return chosen
    return candidates


# ---------------------------------------------------------------------------------------------- filling in

def fill(text: str, lang: str, facts: Mapping[str, Text]) -> str:
    """``text`` with every known placeholder replaced by the fact's value in ``lang``."""
    def value(m: re.Match[str]) -> str:
        fact = facts.get(m.group(1))
        if fact is None:
            return m.group(0)
        if m.group(2) == "crore":
            found = amounts(fact.en)
            return crore(found[0].value, lang) if found and found[0].kind == "₹" else fact.get(lang)
        return fact.get(lang)
    return PLACEHOLDER.sub(value, text)


def fill_facts(entries: dict[str, Entry], facts: Mapping[str, Text], problems: list[Problem]) -> dict[str, Entry]:
    """Every ``{{fact-id}}`` in an entry's title, button label and answer replaced by the fact's value in that
    language (problems with the texts are found by :func:`check_texts`)."""
    out: dict[str, Entry] = {}
    for key, entry in entries.items():
        fields = {}
        for name in ("title", "short", "answer"):
            text: Text = getattr(entry, name)
            if "{{" not in text.en and "{{" not in text.hi:
                continue
            fields[name] = Text(fill(text.en, "en", facts), fill(text.hi, "hi", facts))
        if "title" in fields and entry.short == Text(clip(entry.title.en), clip(entry.title.hi)):
            fields["short"] = Text(clip(fields["title"].en), clip(fields["title"].hi))   # a label cut from the title
        out[key] = replace(entry, **fields) if fields else entry
    return out
