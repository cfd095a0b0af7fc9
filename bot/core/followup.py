"""Follow-up questions: "and for saddlery?", "aur Moradabad ka?", "iska HS code?", "target markets?".

A follow-up borrows from the previous question what it does not say itself.
The words of a question fall into a few roles -- what is asked (HS code,
markets, how to apply), the district, amounts and sizes, and the subject (a
product, a scheme) -- and a follow-up's words replace the previous words of
the same role: "and for saddlery?" after "target markets for leather
footwear" asks for the markets of saddlery. Pure functions over canonical
tokens; the dialogue keeps the previous question's tokens (a :class:`Topic`).
"""
from __future__ import annotations

from dataclasses import dataclass

from .normalise import normalise

TOPIC_TTL = 30 * 60       # seconds of silence after which the previous question is forgotten

# What is asked, rather than what it is asked about (canonical tokens of the matcher): the kind of answer
# (HS code, markets, how to apply) and the aspect of a subject (its exports, growth, units, share...).
INTENT = frozenset("""
hs market apply contact document eligible subsidy fta office scheme register certification export import loan
training benefit assistance who process procedure institute list
growth turnover share employment unit population future expected target value total number history
area crop soil climate rainfall geography elevation othername fee cost
""".split())
# The export costs a scheme pays a share of: after "website banane par?", "aur certification pe?" names another
# cost (a subject), not another kind of answer.
COST_ITEMS = frozenset("sample website publicity airfreight container certification stall".split())
# Sizes, amounts and units: "aur 20 feet pe?" changes the size, not the scheme.
MODIFIER = frozenset("ft feet foot kg ton tonne lakh crore percent year month day per".split())

# Everyday verbs and nouns that name no subject of their own ("which countries buy it?").
GENERIC = frozenset("""
buy sell selling sold make made send sent get go need want know use work product item good thing things goods
people person unit business company firm start started cluster identified foreign
""".split())

# Words that say "the same as before": a message opening with one of these, or holding a pronoun, leans on
# the previous question.
OPENERS = ("and", "n", "&", "aur", "or", "also", "what about", "how about", "and for", "and what about", "same for",
           "what of", "then", "to", "toh", "और", "तो", "फिर", "or for", "but for")
POINTERS = frozenset("""
it its this that these those them same such iska iske iski isme ismein iska isko uska uske uski usme usko inka inke inki
unka unke unki unko inko unhe inhe unme inme unmein inmein yeh ye wahi vahi aise aisi aisa इसका इसके इसकी इसमें इसको उसका उसके उसकी उसमें उसको इनका इनके इनकी उनका उनके
उनकी उनको इनको उन्हें इन्हें यह वह वही ऐसे ऐसी ऐसा इनमें उनमें
""".split())
# Words that point back to the place of the previous question ("how many units in the district?", "वहाँ से").
PLACE_POINTERS = ("the district", "this district", "that district", "the city", "wahan", "waha",
                  "vahan", "vaha", "yahan", "yaha", "yahaan", "wahaan", "वहाँ", "वहां", "यहाँ", "यहां", "is jile",
                  "is zile", "iss jile", "iss zile", "इस जिले", "इस ज़िले", "उस जिले", "उस ज़िले")
_PLACE_POINTERS = tuple(" " + normalise(p) + " " for p in PLACE_POINTERS)   # normalised once


@dataclass(frozen=True)
class Topic:
    """What the last answered question was about, and when."""

    entry_id: str
    tokens: tuple[str, ...]      # canonical tokens of the question that the answer covered
    at: float                    # seconds since the epoch

    def fresh(self, now: float) -> bool:
        return 0 <= now - self.at <= TOPIC_TTL


def leans_on_previous(text: str) -> bool:
    """Does the message itself say it continues the previous one ("and for ...", "iska ...")?"""
    norm = normalise(text)
    words = norm.split()
    if not words:
        return False
    if any(norm == o or norm.startswith(o + " ") for o in OPENERS):
        return True
    return bool(POINTERS.intersection(words)) or points_to_place(text)


def points_to_place(text: str) -> bool:
    """Does the message speak of "the district" / "there" without naming it?"""
    norm = " " + normalise(text) + " "
    return any(p in norm for p in _PLACE_POINTERS)


def roles(tokens: tuple[str, ...], districts: frozenset[str],
          countries: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"intent": [], "district": [], "country": [], "modifier": [], "subject": [],
                                 "generic": []}
    for t in tokens:
        if t in GENERIC:
            out["generic"].append(t)
        elif t in districts:
            out["district"].append(t)
        elif t in countries:
            out["country"].append(t)
        elif t in INTENT:
            out["intent"].append(t)
        elif t.isdigit() or t in MODIFIER:
            out["modifier"].append(t)
        else:
            out["subject"].append(t)
    return out


def has_subject(tokens: tuple[str, ...], districts: frozenset[str], countries: frozenset[str] = frozenset()) -> bool:
    found = roles(tokens, districts, countries)
    return bool(found["subject"] or found["country"])


def names_previous(text: str) -> bool:
    """Does the message hold a pronoun for the previous subject ("iske liye", "its", "इसका")?"""
    return bool(POINTERS.intersection(normalise(text).split()))


def combine(previous: tuple[str, ...], new: tuple[str, ...], districts: frozenset[str],
            countries: frozenset[str] = frozenset(), keep_subject: bool = False) -> tuple[str, ...]:
    """The previous question with the new one's words put in place of the words of the same role.

    A new subject also drops the previous sizes and amounts ("what about air freight?" after a question about
    a 40 ft container); a country named alone ("and China?") keeps the previous subject. With ``keep_subject`` (the
    message names the previous subject by a pronoun: "iske liye CFC me kya milega?") a new subject is added to it.
    """
    before, now = roles(previous, districts, countries), roles(new, districts, countries)
    # One cost a scheme shares in place of another ("aur certification pe?" after the website's share): the cost is
    # what both are about.
    if not COST_ITEMS.isdisjoint(previous) and not COST_ITEMS.isdisjoint(new):
        for found in (before, now):
            items = [t for t in found["intent"] if t in COST_ITEMS]
            found["intent"] = [t for t in found["intent"] if t not in COST_ITEMS]
            found["subject"] = found["subject"] + items
    out: list[str] = []
    for role in ("intent", "subject", "country", "district", "modifier"):
        if now[role] and role == "subject" and keep_subject:
            out += before[role] + now[role]
        elif now[role]:
            out += now[role]
        elif not (role == "modifier" and now["subject"]):
            out += before[role]
    out += now["generic"]
    return tuple(dict.fromkeys(out))
