"""The knowledge base's data model: frozen records a test or a channel can use directly."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Iterable, Mapping

if TYPE_CHECKING:
    from .events import Event

LANGS = ("en", "hi")
SHORT_MAX = 20      # a button label made from a title


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


REVIEW_FIELDS = ("valid_until", "review_by")     # optional dates on entries and facts: when to look again


@dataclass(frozen=True)
class Review:
    """An entry's or a fact's ``valid_until`` / ``review_by`` date, with where it is written."""

    file: str
    line: int
    what: str            # entry 'gateway-port' / fact 'gateway-port-cap'
    field: str           # valid_until | review_by
    when: date

    def warning(self) -> str:
        said = "valid until" if self.field == "valid_until" else "review by"
        return f"{self.file}:{self.line}: {self.what}: {said} {self.when.isoformat()} has passed; please review"


def past_reviews(reviews: Iterable[Review], today: date) -> list[Review]:
    """The dates that have passed by ``today`` (the day itself still counts as valid), in file order."""
    return sorted((r for r in reviews if r.when < today), key=lambda r: (r.file, r.line))


@dataclass(frozen=True)
class StaffMember:
    """Someone who runs the bot for a district (or the whole state), known by their Telegram user id."""

    telegram_id: int
    name: str
    districts: frozenset[str] | None      # None: a state admin, who sees every district

    @property
    def state_admin(self) -> bool:
        return self.districts is None


@dataclass(frozen=True)
class KnowledgeBase:
    entries: Mapping[str, Entry]
    districts: Mapping[str, District]
    sectors: Mapping[str, Sector]
    synonyms: Mapping[str, str]
    sources: Mapping[str, Text]
    events: tuple["Event", ...] = ()
    directory: str = ""
    staff: Mapping[int, StaffMember] = field(default_factory=dict)    # staff.yaml, by Telegram id
    reviews: tuple[Review, ...] = ()                                   # valid_until / review_by dates

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

    def source_line(self, source: str, lang: str) -> str:
        """The source as one short line for a phone: the first document's short name and section, and how
        many more documents it cites ("+ 2 more"): whole words and whole section names only, at most
        :data:`SOURCE_LINE_MAX` characters, in the user's language.

        The full reference (:meth:`source_text`) is one tap away (``/source``).
        """
        cited = sorted((source.find(name), name) for name in self.sources if name in source)
        if not cited:
            return PUBLIC_FACT.get(lang, PUBLIC_FACT["en"]) if source.strip() else ""
        at, name = cited[0]
        short = self.sources[name].get(lang).split(" (")[0].strip()
        section = section_label(source[at + len(name):].split(";")[0], lang)
        more = len(cited) - 1
        tail = (f" + {more} और" if lang == "hi" else f" + {more} more") if more else ""
        for line in (f"{short}, {section}{tail}" if section else "", f"{short}{tail}"):
            if line and len(line) <= SOURCE_LINE_MAX:
                return line
        return cut_words(short, SOURCE_LINE_MAX - len(tail)) + tail

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


SOURCE_LINE_MAX = 60          # characters of the source line under an answer
PUBLIC_FACT = {"en": "well-known public fact", "hi": "जानी-मानी सार्वजनिक जानकारी"}
# The fixed words of a section reference, in Hindi (the documents' own section names stay as they are).
SECTION_WORDS_HI = {"Table": "तालिका", "Annexure": "अनुलग्नक", "Abbreviations": "संक्षिप्त रूप", "Preface": "प्रस्तावना",
                    "Foreword": "प्राक्कथन", "Contents": "विषय-सूची", "answer": "उत्तर", "Figure": "चित्र"}
_SECTION = re.compile(
    r"^\s*(?:(?P<para>§\s?\d+(?:\.\d+)*(?:\.?[a-h](?![\w.]))?)"
    r"|(?P<table>(?:Table|Figure) \d+)"
    r"|(?P<annex>Annexure[- ][IVX]+)"
    r"|(?:answer\s*)?\((?P<part>[a-h])\)"
    r"|(?P<word>answer|Preface|foreword|Foreword|Abbreviations|Contents))(?![\w-])")


def section_label(reference: str, lang: str) -> str:
    """The section a source names first, as a whole label: §4.3.1, Table 4, Annexure-II, answer (a),
    Preface; "" when it starts with something else (a note in brackets, a description)."""
    m = _SECTION.match(reference.strip(" ,:"))
    if m is None:
        return ""
    if m.group("para"):
        return m.group("para").replace(" ", "")
    if m.group("table"):
        word, number = m.group("table").split()
    elif m.group("annex"):
        word, number = "Annexure", "-" + m.group("annex")[len("Annexure") + 1:]
    elif m.group("part"):
        word, number = "answer", f" ({m.group('part')})"
    else:
        word, number = m.group("word").capitalize() if m.group("word") != "answer" else "answer", ""
    if lang == "hi":
        word = SECTION_WORDS_HI.get(word, word)
    sep = " " if m.group("table") else ""
    return f"{word}{sep}{number}"


def cut_words(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut after a whole word (and before any bracket it would leave open)."""
    if len(text) <= limit:
        return text
    words, out = text.split(), ""
    for word in words:
        longer = f"{out} {word}".strip()
        if len(longer) + 1 > limit:
            break
        out = longer
    if out.count("(") > out.count(")"):
        out = out[:out.rfind("(")].rstrip(" ,:")
    return out + "…"


def clip(text: str, limit: int = SHORT_MAX) -> str:
    """At most ``limit`` characters, an ellipsis marking a cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
