"""The knowledge base: YAML files under knowledge/, validated once into frozen objects.

A clerk's mistake never reaches users: :func:`load_knowledge` either returns a
complete :class:`KnowledgeBase` or the full list of problems, each naming the
file, the line, the entry and the field.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from . import yamlmarks
from .normalise import normalise
from .yamlmarks import MarkedDict, MarkedList

LANGS = ("en", "hi")
ALIAS_LANGS = ("en", "hi", "hinglish")
SHORT_MAX = 20
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
HS_RE = re.compile(r"^(?:\d{4}|\d{6}|\d{8})$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.I)
URL_RE = re.compile(r"^(https?://)?[a-z0-9.-]+\.[a-z]{2,}(/\S*)?$", re.I)


@dataclass(frozen=True)
class Text:
    """A text a user can see, in English and Hindi."""

    en: str
    hi: str

    def get(self, lang: str) -> str:
        return self.hi if lang == "hi" and self.hi else self.en


@dataclass(frozen=True)
class Entry:
    """One answerable thing: a scheme, an HS code, a district, a contact, a topic..."""

    id: str
    kind: str
    title: Text
    short: Text
    answer: Text
    source: str
    aliases: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    district: str | None = None
    districts: tuple[str, ...] = ()
    sector: str | None = None
    category: str | None = None
    codes: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    contacts: tuple[tuple[str, str], ...] = ()
    location: str = ""


@dataclass(frozen=True)
class OdopProduct:
    product: Text
    category: str
    sector: str | None
    annexure_sector: str
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class District:
    id: str
    name: Text
    other_names: tuple[str, ...]
    odop: tuple[OdopProduct, ...]
    challenged: tuple[Text, ...]
    source: str


@dataclass(frozen=True)
class Sector:
    id: str
    name: Text
    words: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass(frozen=True)
class KnowledgeBase:
    entries: Mapping[str, Entry]
    districts: Mapping[str, District]
    sectors: Mapping[str, Sector]
    synonyms: Mapping[str, str]
    sources: Mapping[str, Text]
    events: tuple[Any, ...] = ()
    directory: str = ""

    def by_kind(self, kind: str) -> list[Entry]:
        return [e for e in self.entries.values() if e.kind == kind]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for entry in self.entries.values():
            out[entry.kind] = out.get(entry.kind, 0) + 1
        out["odop_product"] = sum(len(d.odop) for d in self.districts.values())
        out["sector"] = len(self.sectors)
        out["event"] = len(self.events)
        return out

    def source_text(self, source: str, lang: str) -> str:
        """The source with document file names replaced by their titles."""
        out = source
        for name, title in self.sources.items():
            out = out.replace(name, title.get(lang))
        return out


class KnowledgeError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


# ---------------------------------------------------------------- validation

KIND_OF_KEY = {
    "schemes": "scheme", "hs_codes": "hs_code", "markets": "market", "districts": "district",
    "sectors": "sector", "institutions": "institution", "topics": "topic", "glossary": "glossary",
    "synonyms": "synonyms", "sources": "sources", "events": "event",
}
NOUN = {"scheme": "scheme", "hs_code": "HS code", "market": "market", "district": "district",
        "sector": "sector", "institution": "institution", "topic": "topic", "glossary": "glossary term",
        "event": "event"}


class _Checker:
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
            if max_len is not None and len(raw) > max_len:
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
SCHEME_CATEGORIES = ("upepb", "odop", "central", "state")
ODOP_CATEGORIES = ("primary", "secondary", "tertiary", "others")
ODOP_FIELDS = ("product", "category", "sector", "annexure_sector", "words")


@dataclass
class _Raw:
    """What was read from the files, before cross-references are checked."""

    entries: list[tuple[Entry, str, MarkedDict]] = field(default_factory=list)
    districts: dict[str, District] = field(default_factory=dict)
    sectors: dict[str, Sector] = field(default_factory=dict)
    synonyms: dict[str, str] = field(default_factory=dict)
    sources: dict[str, Text] = field(default_factory=dict)
    glossary: list[tuple[MarkedDict, str, dict]] = field(default_factory=list)
    refs: list[tuple[str, int, str, str, str]] = field(default_factory=list)  # file, line, label, kind, value
    ids: dict[str, str] = field(default_factory=dict)  # id -> location
    events: list[tuple[MarkedDict, str]] = field(default_factory=list)


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_knowledge(directory: str | Path) -> KnowledgeBase:
    """Read and validate every ``*.yaml`` file; raise :class:`KnowledgeError` with all problems."""
    directory = Path(directory)
    problems: list[Problem] = []
    raw = _Raw()
    files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
    if not files:
        raise KnowledgeError([Problem(_display_path(directory), 0, "no knowledge files (*.yaml) found here")])
    for path in files:
        shown = _display_path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            problems.append(Problem(shown, 1, f"the file is not UTF-8 text ({exc.reason}); save it as UTF-8"))
            continue
        data, yaml_problems = yamlmarks.load(text)
        problems.extend(Problem(shown, p.line, p.message) for p in yaml_problems)
        if data is None:
            if not yaml_problems:
                problems.append(Problem(shown, 1, "the file is empty"))
            continue
        _read_file(shown, data, raw, _Checker(shown, problems))
    kb = _assemble(raw, problems, directory)
    if problems:
        raise KnowledgeError(problems)
    return kb


def _read_file(shown: str, data: Any, raw: _Raw, check: _Checker) -> None:
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
            _read_entry(kind, item, shown, raw, check)


def _read_synonyms(value: Any, line: int, raw: _Raw, check: _Checker) -> None:
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


def _read_sources(value: Any, line: int, raw: _Raw, check: _Checker) -> None:
    if not isinstance(value, MarkedDict):
        check.add(line, "section 'sources' must map a document file name to its title {en: ..., hi: ...}")
        return
    for name in value:
        text = check.text(value, name, f"source '{name}'")
        if text:
            raw.sources[name] = text


def _claim_id(ident: str, location: str, label: str, raw: _Raw, check: _Checker, line: int) -> bool:
    if ident in raw.ids:
        check.add(line, f"{label}: id '{ident}' is used twice (also at {raw.ids[ident]}); every id must be unique")
        return False
    raw.ids[ident] = location
    return True


def _read_entry(kind: str, item: MarkedDict, shown: str, raw: _Raw, check: _Checker) -> None:
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
            short=short or Text(_clip(f"HS {code} {description.en}"), _clip(f"HS {code} {description.hi}")),
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
        id=ident, kind=kind, title=title, short=short or Text(_clip(title.en), _clip(title.hi)), answer=answer,
        source=source, aliases=aliases, keywords=keywords, district=_opt(item, "district"),
        districts=check.strings(item, "districts", label), sector=_opt(item, "sector"), category=category,
        codes=codes, countries=check.strings(item, "countries", label), contacts=tuple(contacts), location=location)
    raw.entries.append((entry, shown, item))


def _read_district(ident: str, item: MarkedDict, label: str, source: str, shown: str, raw: _Raw, check: _Checker) -> None:
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
        # The district's own entry (its answer is written in _assemble, once sectors are known).
        entry = Entry(id=ident, kind="district", title=name, short=Text(_clip(name.en), _clip(name.hi)),
                      answer=Text("", ""), source=source,
                      aliases=aliases + other_names + ((f"{name.en} other name",) if other_names else ()),
                      keywords=keywords + tuple(w for p in products for w in (p.product.en, p.product.hi, *p.words)),
                      district=ident, location=f"{shown}:{item.line}")
        raw.entries.append((entry, shown, item))


def _opt(item: MarkedDict, key: str) -> str | None:
    value = item.get(key)
    return str(value).strip() if value else None


def _clip(text: str, limit: int = SHORT_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# ---------------------------------------------------------------- assembly

def _assemble(raw: _Raw, problems: list[Problem], directory: Path) -> KnowledgeBase:
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

    entries: dict[str, Entry] = {}
    markets_by_code: dict[str, list[Entry]] = {}
    for entry, _, _ in raw.entries:
        if entry.kind == "market":
            for code in entry.codes:
                markets_by_code.setdefault(code, []).append(entry)
    for entry, _, _ in raw.entries:
        if entry.kind == "hs_code":
            entry = _hs_answer(entry, raw, markets_by_code)
        elif entry.kind == "district":
            entry = _district_answer(entry, raw)
        entries[entry.id] = entry

    # Glossary: folded into the entry it points to, or an answer of its own.
    folded: dict[str, list[str]] = {}
    for item, shown, info in raw.glossary:
        term = str(item.get("term", "")).strip()
        exp = item.get("expansion")
        if not term or not isinstance(exp, MarkedDict):
            continue
        expansion = Text(str(exp.get("en", "")).strip(), str(exp.get("hi", "")).strip())
        extra = [term, f"{term} full form", f"{term} stands for", expansion.en, expansion.hi]
        target = item.get("see")
        if target and str(target) in entries:
            folded.setdefault(str(target), []).extend(extra)
            continue
        expl = item.get("explanation")
        en = f"{term} = {expansion.en}"
        hi = f"{term} का पूरा नाम: {expansion.en} ({expansion.hi})" if expansion.hi else f"{term}: {expansion.en}"
        if isinstance(expl, MarkedDict):
            en += "\n" + str(expl.get("en", "")).strip()
            hi += "\n" + str(expl.get("hi", "")).strip()
        entries[info["id"]] = Entry(
            id=info["id"], kind="glossary", title=Text(f"{term}: {expansion.en}", f"{term}: {expansion.hi or expansion.en}"),
            short=Text(_clip(term), _clip(term)), answer=Text(en, hi), source=info["source"],
            aliases=tuple(extra) + tuple(_Checker(shown, problems).aliases(item, "aliases", info["label"])),
            location=f"{shown}:{item.line}")
    for target, extra in folded.items():
        e = entries[target]
        entries[target] = replace(e, aliases=e.aliases + tuple(extra))

    from .events import parse_events  # late import: events build on districts and sectors

    events = parse_events(raw.events, known, problems)
    return KnowledgeBase(
        entries=MappingProxyType(entries), districts=MappingProxyType(raw.districts),
        sectors=MappingProxyType(raw.sectors), synonyms=MappingProxyType(raw.synonyms),
        sources=MappingProxyType(raw.sources), events=tuple(events), directory=str(directory))


def _district_names(ids: Iterable[str], raw: _Raw, lang: str) -> str:
    return ", ".join(raw.districts[d].name.get(lang) for d in ids if d in raw.districts)


def _hs_answer(entry: Entry, raw: _Raw, markets_by_code: Mapping[str, list[Entry]]) -> Entry:
    code = entry.codes[0]
    raw_codes = [e.codes[0] for e, _, _ in raw.entries if e.kind == "hs_code"]
    desc = Text(entry.title.en.split(": ", 1)[1], entry.title.hi.split(": ", 1)[1])
    en = [f"HS code {code}: {desc.en}"]
    hi = [f"HS कोड {code}: {desc.hi}"]
    if entry.sector and entry.sector in raw.sectors:
        en.append(f"Sector: {raw.sectors[entry.sector].name.en}")
        hi.append(f"क्षेत्र: {raw.sectors[entry.sector].name.hi}")
    if entry.districts:
        en.append(f"Exported from: {_district_names(entry.districts, raw, 'en')}")
        hi.append(f"निर्यात करने वाले ज़िले: {_district_names(entry.districts, raw, 'hi')}")
    longer = sorted(c for c in raw_codes if c != code and c.startswith(code))
    if longer:
        en.append("Detailed codes: " + ", ".join(longer))
        hi.append("विस्तृत कोड: " + ", ".join(longer))
    if entry.answer.en:  # the 'exports' field
        en.append(entry.answer.en)
        hi.append(entry.answer.hi)
    # Markets for this code, or for its heading / subheadings.
    related = [m for c, ms in markets_by_code.items() if c.startswith(code) or code.startswith(c) for m in ms]
    countries: list[str] = []
    for m in related:
        countries.extend(c for c in m.countries if c not in countries)
    if countries:
        en.append("Target markets: " + ", ".join(countries[:8]))
        hi.append("लक्ष्य बाज़ार: " + ", ".join(countries[:8]))
    # The title is the answer's first line, so the answer does not repeat it.
    return replace(entry, answer=Text("\n".join(en), "\n".join(hi)), title=Text(en[0], hi[0]))


CATEGORY_HI = {"primary": "मुख्य", "secondary": "दूसरा", "tertiary": "तीसरा", "others": "अन्य"}


def _district_answer(entry: Entry, raw: _Raw) -> Entry:
    d = raw.districts[entry.id]
    en = [f"{d.name.en}: ODOP (One District One Product)"]
    hi = [f"{d.name.hi}: ODOP (एक ज़िला एक उत्पाद)"]
    for p in d.odop:
        en.append(f"• {p.product.en} ({p.category}{', ' + p.annexure_sector if p.annexure_sector else ''})")
        hi.append(f"• {p.product.hi} ({CATEGORY_HI.get(p.category, p.category)} उत्पाद)")
    if d.challenged:
        en.append("Traditionally challenged (low exports, extra support): " + ", ".join(t.en for t in d.challenged))
        hi.append("कम निर्यात वाले (पारंपरिक रूप से चुनौती वाले) उत्पाद: " + ", ".join(t.hi for t in d.challenged))
    en.append(f"Help: District Industries Centre (DIC / DIEPC), {d.name.en}")
    hi.append(f"मदद: ज़िला उद्योग केंद्र (DIC / DIEPC), {d.name.hi}")
    title = Text(f"{d.name.en}: ODOP products", f"{d.name.hi}: ODOP उत्पाद")
    return replace(entry, answer=Text("\n".join(en), "\n".join(hi)), title=title)

