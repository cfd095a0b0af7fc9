"""The knowledge base's validator: marked YAML in, plain records and every problem (file:line) out.

No file is read here (see :mod:`bot.core.knowledge`); each problem names the
file, the line, the entry and the field, in words a district office clerk
understands.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable

from .entities import (LANGS, REVIEW_FIELDS, SHORT_MAX, District, Entry, OdopProduct, Problem, Review, Sector, StaffMember,
                       Text, clip)
from .normalise import normalise
from .facts import PLACEHOLDER, FactMark, read_facts
from .yamlmarks import MarkedDict, MarkedList

ALIAS_LANGS = ("en", "hi", "hinglish")
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
HS_RE = re.compile(r"^(?:\d{4}|\d{6}|\d{8})$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.I)
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
URL_RE = re.compile(r"^(https?://)?[a-z0-9.-]+\.[a-z]{2,}(/\S*)?$", re.I)

KIND_OF_KEY = {
    "schemes": "scheme", "hs_codes": "hs_code", "markets": "market", "districts": "district",
    "sectors": "sector", "institutions": "institution", "topics": "topic", "glossary": "glossary",
    "synonyms": "synonyms", "sources": "sources", "events": "event", "facts": "facts", "staff": "staff",
}
NOUN = {"scheme": "scheme", "hs_code": "HS code", "market": "market", "district": "district",
        "sector": "sector", "institution": "institution", "topic": "topic", "glossary": "glossary term",
        "event": "event"}


class Checker:
    """Collects problems for one file while turning marked YAML into plain values."""

    def __init__(self, file: str, problems: list[Problem]):
        self.file = file
        self.problems = problems

    def add(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.file, line, message))

    def fields(self, item: MarkedDict, label: str, allowed: Iterable[str], required: Iterable[str]) -> None:
        allowed = list(allowed)
        for key in item:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                hint = f" (did you mean '{close[0]}'?)" if close else f" (known fields: {', '.join(allowed)})"
                self.add(item.key_lines.get(key, item.line), f"{label}: field '{key}' is not known{hint}")
        for key in required:
            if key not in item or item[key] in (None, "", [], {}):
                self.add(item.line, f"{label}: field '{key}' is missing")

    def line_of(self, item: MarkedDict, key: str) -> int:
        return item.key_lines.get(key, item.line)

    def text(self, item: MarkedDict, key: str, label: str, required: bool = True, max_len: int | None = None) -> Text | None:
        value = item.get(key)
        line = self.line_of(item, key)
        if value is None:
            if required and key in item:
                self.add(line, f"{label}: field '{key}' is empty")
            return None
        if isinstance(value, str):
            self.add(line, f"{label}: field '{key}' needs English and Hindi: write it as '{key}: {{en: ..., hi: ...}}'")
            return None
        if not isinstance(value, MarkedDict):
            self.add(line, f"{label}: field '{key}' must have 'en' and 'hi' texts")
            return None
        for sub in value:
            if sub not in LANGS:
                close = difflib.get_close_matches(sub, LANGS, n=1, cutoff=0.5)
                hint = f" (did you mean '{close[0]}'?)" if close else " (use en and hi)"
                self.add(value.key_lines.get(sub, line), f"{label}: field '{key}.{sub}' is not known{hint}")
        texts = {}
        for lang, name in (("en", "English"), ("hi", "Hindi")):
            raw = value.get(lang)
            if not isinstance(raw, str) or not raw.strip():
                self.add(value.key_lines.get(lang, line), f"{label}: field '{key}' has no {name} text ({lang})")
                texts[lang] = ""
                continue
            raw = raw.strip()
            if max_len is not None and len(raw) > max_len and not PLACEHOLDER.search(raw):   # filled: facts.py
                self.add(value.key_lines.get(lang, line),
                         f"{label}: field '{key}.{lang}' is {len(raw)} characters; a button label may have at most {max_len}")
            texts[lang] = raw
        if (lang_fix := texts.get("hi")) and max_len is None and len(lang_fix) > 12:
            if not any("\u0900" <= ch <= "\u097F" for ch in lang_fix):
                self.add(value.key_lines.get("hi", line), f"{label}: field '{key}.hi' has no Hindi (Devanagari) letters")
        return Text(texts["en"], texts["hi"])

    def string(self, item: MarkedDict, key: str, label: str) -> str | None:
        value = item.get(key)
        if value is None:
            return None
        if isinstance(value, (MarkedDict, MarkedList)):
            self.add(self.line_of(item, key), f"{label}: field '{key}' must be a single text")
            return None
        return str(value).strip()

    def review_dates(self, item: MarkedDict, label: str, shown_as: str) -> list[Review]:
        """The item's valid_until / review_by dates; a date that cannot be read is a problem."""
        out = []
        for key in REVIEW_FIELDS:
            value = item.get(key)
            if value is None:
                continue
            line = self.line_of(item, key)
            try:
                when = date.fromisoformat(str(value).strip()) if DATE_RE.match(str(value).strip()) else None
            except ValueError:
                when = None
            if when is None:
                self.add(line, f"{label}: field '{key}' must be a date written like 2026-03-31 (not '{value}')")
                continue
            out.append(Review(self.file, line, shown_as, key, when))
        return out

    def strings(self, item: MarkedDict, key: str, label: str) -> tuple[str, ...]:
        value = item.get(key)
        if value is None:
            return ()
        if isinstance(value, (str, int)):
            return (str(value),)
        if not isinstance(value, MarkedList):
            self.add(self.line_of(item, key), f"{label}: field '{key}' must be a list, e.g. [one, two]")
            return ()
        out = []
        for i, v in enumerate(value):
            if isinstance(v, (MarkedDict, MarkedList)) or v is None:
                self.add(value.item_lines[i], f"{label}: field '{key}' item {i + 1} must be a plain text")
            else:
                out.append(str(v).strip())
        return tuple(out)

    def aliases(self, item: MarkedDict, key: str, label: str) -> tuple[str, ...]:
        value = item.get(key)
        if value is None:
            return ()
        if isinstance(value, MarkedList):
            return self.strings(item, key, label)
        if not isinstance(value, MarkedDict):
            self.add(self.line_of(item, key), f"{label}: field '{key}' must list questions under en, hi and hinglish")
            return ()
        out: list[str] = []
        for sub in value:
            if sub not in ALIAS_LANGS:
                named = {"english": "en", "hindi": "hi", "roman": "hinglish"}.get(str(sub).lower())
                close = [named] if named else difflib.get_close_matches(sub, ALIAS_LANGS, n=1, cutoff=0.5)
                hint = f" (did you mean '{close[0]}'?)" if close else " (use en, hi or hinglish)"
                self.add(value.key_lines.get(sub, item.line), f"{label}: field '{key}.{sub}' is not known{hint}")
                continue
            out.extend(self.strings(value, sub, label))
        return tuple(out)

    def ident(self, item: MarkedDict, key: str, kind_noun: str) -> str | None:
        value = item.get(key)
        if value is None:
            return None
        value = str(value).strip()
        if len(value) > 48:
            self.add(self.line_of(item, key), f"{kind_noun} '{value}': field '{key}' is longer than 48 characters; use a shorter id")
        elif not ID_RE.match(value):
            self.add(self.line_of(item, key),
                     f"{kind_noun} '{value}': field '{key}' may hold only small letters, digits and hyphens (like 'gateway-port')")
        return value


# Fields per kind: (allowed, required).
COMMON = ("id", "title", "short", "answer", "aliases", "keywords", "source")
SPECS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "scheme": (COMMON + ("category", "authority", "sectors", "district"), ("id", "title", "answer", "category", "source")),
    "hs_code": (("code", "description", "products", "sector", "districts", "exports", "short", "aliases", "keywords", "source"),
                ("code", "description", "source")),
    "market": (COMMON + ("hs_codes", "countries", "districts", "sector"), ("id", "title", "answer", "countries", "source")),
    "district": (("id", "name", "other_names", "odop", "traditionally_challenged", "aliases", "keywords", "source"),
                 ("id", "name", "source")),
    "sector": (("id", "name", "words", "source"), ("id", "name", "source")),
    "institution": (("id", "name", "abbreviation", "short", "answer", "district", "phone", "email", "website", "address",
                     "aliases", "keywords", "source"), ("id", "name", "answer", "source")),
    "topic": (COMMON + ("district", "sector", "see_also"), ("id", "title", "answer", "source")),
    "glossary": (("id", "term", "expansion", "explanation", "see", "aliases", "source"), ("term", "expansion", "source")),
}
# Optional on every entry and fact: a date after which the clerk should look at it again (a scheme that ends,
# a cap set for one year). Past dates are warnings of `kb check`, never problems.
SPECS = {kind: (allowed + REVIEW_FIELDS, required) for kind, (allowed, required) in SPECS.items()}
SCHEME_CATEGORIES = ("upepb", "odop", "central", "state")
ODOP_CATEGORIES = ("primary", "secondary", "tertiary", "others")
ODOP_FIELDS = ("product", "category", "sector", "annexure_sector", "words")


@dataclass
class Raw:
    """What was read from the files, before cross-references are checked."""

    entries: list[tuple[Entry, str, MarkedDict]] = field(default_factory=list)
    districts: dict[str, District] = field(default_factory=dict)
    sectors: dict[str, Sector] = field(default_factory=dict)
    synonyms: dict[str, str] = field(default_factory=dict)
    sources: dict[str, Text] = field(default_factory=dict)
    glossary: list[tuple[MarkedDict, str, dict]] = field(default_factory=list)
    refs: list[tuple[str, int, str, str, str]] = field(default_factory=list)  # file, line, label, kind, value
    ids: dict[str, str] = field(default_factory=dict)  # id -> location
    reviews: list[Review] = field(default_factory=list)  # valid_until / review_by dates of entries and facts
    events: list[tuple[MarkedDict, str]] = field(default_factory=list)
    facts: dict[str, Text] = field(default_factory=dict)          # fact id -> value, see facts.py
    fact_marks: dict[str, FactMark] = field(default_factory=dict)  # fact id -> file and lines of its values
    lines: dict[str, list[str]] = field(default_factory=dict)     # file -> its lines (to name a text's own line)
    staff: dict[int, StaffMember] = field(default_factory=dict)


def read_file(shown: str, data: Any, raw: Raw, check: Checker) -> None:
    if not isinstance(data, MarkedDict):
        check.add(1, "the file must start with a section name such as 'schemes:' followed by a list of entries")
        return
    for key, value in data.items():
        line = data.key_lines[key]
        kind = KIND_OF_KEY.get(key)
        if kind is None:
            close = difflib.get_close_matches(key, list(KIND_OF_KEY), n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known sections: {', '.join(KIND_OF_KEY)})"
            check.add(line, f"section '{key}' is not known{hint}")
            continue
        if kind == "synonyms":
            _read_synonyms(value, line, raw, check)
            continue
        if kind == "sources":
            _read_sources(value, line, raw, check)
            continue
        if kind == "facts":
            read_facts(value, line, raw.facts, raw.ids, shown, check, raw.reviews, raw.fact_marks)
            continue
        if not isinstance(value, MarkedList):
            check.add(line, f"section '{key}' must be a list of entries, each starting with '- '")
            continue
        for i, item in enumerate(value):
            if not isinstance(item, MarkedDict):
                check.add(value.item_lines[i], f"{key} item {i + 1} must be a block of fields (id: ..., title: ...)")
                continue
            if kind == "event":
                raw.events.append((item, shown))
                continue
            if kind == "staff":
                _read_staff(item, shown, raw, check)
                continue
            _read_entry(kind, item, shown, raw, check)


STAFF_ROLES = ("state", "district")


def _read_staff(item: MarkedDict, shown: str, raw: Raw, check: Checker) -> None:
    """One person in staff.yaml: telegram_id, name, role (state | district) and, for district staff, districts."""
    tid = item.get("telegram_id")
    label = f"staff member {item.get('name') or tid!r}"
    check.fields(item, label, ("telegram_id", "name", "role", "districts"), ("telegram_id", "name", "role"))
    if tid is not None and (not isinstance(tid, int) or isinstance(tid, bool) or tid <= 0):
        check.add(check.line_of(item, "telegram_id"), f"{label}: field 'telegram_id' must be the person's Telegram "
                                                      "user id, a number like 123456789")
        return
    role = item.get("role")
    if role is not None and role not in STAFF_ROLES:
        check.add(check.line_of(item, "role"), f"{label}: field 'role' must be one of state, district (not '{role}')")
        return
    districts = item.get("districts")
    if role == "district":
        if not isinstance(districts, list) or not districts:
            check.add(check.line_of(item, "districts"), f"{label}: a district staff member needs "
                                                        "'districts: [district-id]'")
            return
        for d in districts:
            raw.refs.append((shown, check.line_of(item, "districts"), label, "district", str(d)))
    elif districts is not None:
        check.add(check.line_of(item, "districts"), f"{label}: a state admin sees every district; "
                                                    "remove 'districts' or use 'role: district'")
    if tid is None or role is None or not isinstance(item.get("name"), str):
        return
    if tid in raw.staff:
        check.add(check.line_of(item, "telegram_id"), f"{label}: telegram_id {tid} is listed twice")
        return
    raw.staff[tid] = StaffMember(tid, item["name"], frozenset(map(str, districts)) if role == "district" else None)


def _read_synonyms(value: Any, line: int, raw: Raw, check: Checker) -> None:
    if not isinstance(value, MarkedDict):
        check.add(line, "section 'synonyms' must map a word to the list of words that mean the same")
        return
    for canonical, variants in value.items():
        vline = value.key_lines[canonical]
        canon = "-" if canonical == "-" else normalise(canonical)
        if not canon:
            check.add(vline, f"synonym '{canonical}' has no letters")
            continue
        if not isinstance(variants, MarkedList):
            check.add(vline, f"synonym '{canonical}' must be followed by a list, e.g. [yojana, योजना]")
            continue
        for i, variant in enumerate(variants):
            norm = normalise(str(variant))
            if not norm:
                continue
            if norm in raw.synonyms and raw.synonyms[norm] != canon:
                check.add(variants.item_lines[i],
                          f"synonym '{variant}' is listed under both '{raw.synonyms[norm]}' and '{canonical}'")
                continue
            raw.synonyms[norm] = canon


def _read_sources(value: Any, line: int, raw: Raw, check: Checker) -> None:
    if not isinstance(value, MarkedDict):
        check.add(line, "section 'sources' must map a document file name to its title {en: ..., hi: ...}")
        return
    for name in value:
        text = check.text(value, name, f"source '{name}'")
        if text:
            raw.sources[name] = text


def _claim_id(ident: str, location: str, label: str, raw: Raw, check: Checker, line: int) -> bool:
    if ident in raw.ids:
        check.add(line, f"{label}: id '{ident}' is used twice (also at {raw.ids[ident]}); every id must be unique")
        return False
    raw.ids[ident] = location
    return True


def _read_entry(kind: str, item: MarkedDict, shown: str, raw: Raw, check: Checker) -> None:
    allowed, required = SPECS[kind]
    noun = NOUN[kind]
    if kind == "hs_code":
        code_raw = item.get("code")
        code = str(code_raw).strip() if code_raw is not None else ""
        if isinstance(code_raw, int) and not HS_RE.match(code):
            check.add(check.line_of(item, "code"), f"HS code '{code_raw}': write the code in quotes, e.g. code: \"0402\"")
        elif code and not HS_RE.match(code):
            check.add(check.line_of(item, "code"), f"HS code '{code}': field 'code' must be 4, 6 or 8 digits, in quotes")
        ident = f"hs-{code}" if code else "?"
        label = f"HS code '{code or '?'}'"
    elif kind == "glossary":
        term = str(item.get("term", "")).strip()
        ident = str(item.get("id") or "abbr-" + normalise(term).replace(" ", "-"))
        label = f"glossary term '{term or '?'}'"
    else:
        ident = check.ident(item, "id", noun) or "?"
        label = f"{noun} '{ident}'"
    check.fields(item, label, allowed, required)
    location = f"{shown}:{item.line}"
    if ident != "?" and not _claim_id(ident, location, label, raw, check, item.line):
        return
    raw.reviews.extend(check.review_dates(item, label, f"entry '{ident}'"))
    source = check.string(item, "source", label) or ""

    if kind == "glossary":
        raw.glossary.append((item, shown, {"id": ident, "label": label, "source": source}))
        if item.get("see"):
            raw.refs.append((shown, check.line_of(item, "see"), label, "entry", str(item["see"])))
        check.text(item, "expansion", label)
        check.text(item, "explanation", label, required=False)
        return
    if kind == "sector":
        name = check.text(item, "name", label, max_len=SHORT_MAX)
        if name:
            raw.sectors[ident] = Sector(ident, name, check.aliases(item, "words", label), source)
        return
    if kind == "district":
        _read_district(ident, item, label, source, shown, raw, check)
        return

    short = check.text(item, "short", label, required=False, max_len=SHORT_MAX)
    aliases = check.aliases(item, "aliases", label)
    keywords = check.strings(item, "keywords", label)
    for key in ("district",):
        if item.get(key):
            raw.refs.append((shown, check.line_of(item, key), label, "district", str(item[key])))
    for key in ("districts",):
        for d in check.strings(item, key, label):
            raw.refs.append((shown, check.line_of(item, key), label, "district", d))
    for key in ("sector",):
        if item.get(key):
            raw.refs.append((shown, check.line_of(item, key), label, "sector", str(item[key])))
    for s in check.strings(item, "sectors", label):
        raw.refs.append((shown, check.line_of(item, "sectors"), label, "sector", s))

    if kind == "hs_code":
        description = check.text(item, "description", label)
        exports = check.text(item, "exports", label, required=False)
        products = check.aliases(item, "products", label)
        code = ident.removeprefix("hs-")
        if not description:
            return
        entry = Entry(
            id=ident, kind=kind, title=Text(f"HS {code}: {description.en}", f"HS {code}: {description.hi}"),
            short=short or Text(clip(f"HS {code} {description.en}"), clip(f"HS {code} {description.hi}")),
            answer=exports or Text("", ""), source=source, aliases=aliases + products, keywords=keywords + products,
            sector=_opt(item, "sector"), districts=check.strings(item, "districts", label), codes=(code,),
            location=location)
        raw.entries.append((entry, shown, item))
        return

    title_key = "name" if kind == "institution" else "title"
    title = check.text(item, title_key, label)
    answer = check.text(item, "answer", label)
    if kind == "scheme":
        category = check.string(item, "category", label)
        if category and category not in SCHEME_CATEGORIES:
            check.add(check.line_of(item, "category"),
                      f"{label}: field 'category' must be one of {', '.join(SCHEME_CATEGORIES)} (not '{category}')")
        authority = check.text(item, "authority", label, required=False)
        if answer and authority:
            answer = Text(f"{answer.en}\nRun by: {authority.en}", f"{answer.hi}\nकौन देता है: {authority.hi}")
    else:
        category = None
    codes: tuple[str, ...] = ()
    if kind == "market":
        codes = tuple(str(c) for c in check.strings(item, "hs_codes", label))
        for c in codes:
            raw.refs.append((shown, check.line_of(item, "hs_codes"), label, "hs_code", c))
    contacts: list[tuple[str, str]] = []
    if kind == "institution":
        for key in ("phone", "email", "website", "address"):
            value = check.string(item, key, label)
            if not value:
                continue
            if key == "email" and not EMAIL_RE.match(value):
                check.add(check.line_of(item, key), f"{label}: field 'email' does not look like an e-mail address")
            if key == "website" and not URL_RE.match(value):
                check.add(check.line_of(item, key), f"{label}: field 'website' does not look like a web address")
            if key == "phone" and not re.fullmatch(r"[+0-9 ()-]{6,20}", value):
                check.add(check.line_of(item, key), f"{label}: field 'phone' may hold only digits, spaces, + - ( )")
            contacts.append((key, value))
        abbreviation = check.string(item, "abbreviation", label)
        if abbreviation:
            aliases = aliases + (abbreviation,)
    if kind == "topic":
        for ref in check.strings(item, "see_also", label):
            raw.refs.append((shown, check.line_of(item, "see_also"), label, "entry", ref))
    if not (title and answer):
        return
    entry = Entry(
        id=ident, kind=kind, title=title, short=short or Text(clip(title.en), clip(title.hi)), answer=answer,
        source=source, aliases=aliases, keywords=keywords, district=_opt(item, "district"),
        districts=check.strings(item, "districts", label), sector=_opt(item, "sector"), category=category,
        codes=codes, countries=check.strings(item, "countries", label), contacts=tuple(contacts), location=location)
    raw.entries.append((entry, shown, item))


def _read_district(ident: str, item: MarkedDict, label: str, source: str, shown: str, raw: Raw, check: Checker) -> None:
    name = check.text(item, "name", label)
    products: list[OdopProduct] = []
    odop = item.get("odop") or MarkedList()
    if not isinstance(odop, MarkedList):
        check.add(check.line_of(item, "odop"), f"{label}: field 'odop' must be a list of products")
        odop = MarkedList()
    for i, row in enumerate(odop):
        if not isinstance(row, MarkedDict):
            check.add(odop.item_lines[i], f"{label}: odop item {i + 1} must be a block with product, category, sector")
            continue
        row_label = f"{label} odop item {i + 1}"
        check.fields(row, row_label, ODOP_FIELDS, ("product", "category"))
        product = check.text(row, "product", row_label)
        category = (check.string(row, "category", row_label) or "").lower()
        if category and category not in ODOP_CATEGORIES:
            check.add(check.line_of(row, "category"),
                      f"{row_label}: field 'category' must be one of {', '.join(ODOP_CATEGORIES)} (not '{category}')")
        if row.get("sector"):
            raw.refs.append((shown, check.line_of(row, "sector"), row_label, "sector", str(row["sector"])))
        if product:
            products.append(OdopProduct(product, category, _opt(row, "sector"),
                                        check.string(row, "annexure_sector", row_label) or "",
                                        check.strings(row, "words", row_label)))
    challenged: list[Text] = []
    tc = item.get("traditionally_challenged") or MarkedList()
    if isinstance(tc, MarkedList):
        holder = MarkedDict()
        holder.line, holder.key_lines = tc.line, {}
        for i, t in enumerate(tc):
            holder["x"] = t
            holder.key_lines["x"] = tc.item_lines[i]
            text = check.text(holder, "x", f"{label} traditionally_challenged item {i + 1}")
            if text:
                challenged.append(text)
    else:
        check.add(check.line_of(item, "traditionally_challenged"), f"{label}: field 'traditionally_challenged' must be a list")
    other_names = check.strings(item, "other_names", label)
    aliases = check.aliases(item, "aliases", label)
    keywords = check.strings(item, "keywords", label)
    if name:
        raw.districts[ident] = District(ident, name, other_names, tuple(products), tuple(challenged), source)
        # The district's own entry (its answer is written in compose.py, once sectors are known).
        entry = Entry(id=ident, kind="district", title=name, short=Text(clip(name.en), clip(name.hi)),
                      answer=Text("", ""), source=source,
                      aliases=aliases + other_names,
                      keywords=keywords + tuple(w for p in products for w in (p.product.en, p.product.hi, *p.words)),
                      district=ident, location=f"{shown}:{item.line}")
        raw.entries.append((entry, shown, item))


def _opt(item: MarkedDict, key: str) -> str | None:
    value = item.get(key)
    return str(value).strip() if value else None


def check_references(raw: Raw, problems: list[Problem]) -> dict[str, set[str]]:
    """Every id an entry points to must exist; returns the known ids per kind (events check theirs too)."""
    known = {
        "district": set(raw.districts),
        "sector": set(raw.sectors),
        "hs_code": {e.codes[0] for e, _, _ in raw.entries if e.kind == "hs_code"},
        "entry": set(raw.ids),
    }
    what = {"district": "district id", "sector": "sector id", "hs_code": "HS code", "entry": "entry id"}
    where = {"district": "districts.yaml", "sector": "sectors.yaml", "hs_code": "hs_codes.yaml", "entry": "any file"}
    for file, line, label, kind, value in raw.refs:
        if value not in known[kind]:
            close = difflib.get_close_matches(value, sorted(known[kind]), n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            problems.append(Problem(file, line, f"{label}: {what[kind]} '{value}' is not in {where[kind]}{hint}"))
    return known
