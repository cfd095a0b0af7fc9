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

# What is asked, rather than what it is asked about (canonical tokens of the matcher).
INTENT = frozenset("""
hs market apply contact document eligible subsidy fta office scheme register certification export import loan
training benefit assistance who process procedure
""".split())
# Sizes, amounts and units: "aur 20 feet pe?" changes the size, not the scheme.
MODIFIER = frozenset("ft feet foot kg ton tonne lakh crore percent year month day per".split())

# Everyday verbs and nouns that name no subject of their own ("which countries buy it?").
GENERIC = frozenset("""
buy sell selling sold make made send sent get go need want know use work product item good thing things goods
people person unit business company firm start started
""".split())

# Words that say "the same as before": a message opening with one of these, or holding a pronoun, leans on
# the previous question.
OPENERS = ("and", "n", "&", "aur", "or", "also", "what about", "how about", "and for", "and what about", "same for",
           "what of", "then", "to", "toh", "और", "तो", "फिर", "or for", "but for")
POINTERS = frozenset("""
it its this that these those them same iska iske iski isme ismein iska isko uska uske uski usme usko inka inke inki
unka unke unki yeh ye wahi vahi इसका इसके इसकी इसमें इसको उसका उसके उसकी उसमें उसको इनका इनके इनकी उनका उनके उनकी यह वह वही
""".split())


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
    return bool(POINTERS.intersection(words))


def roles(tokens: tuple[str, ...], districts: frozenset[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"intent": [], "district": [], "modifier": [], "subject": [], "generic": []}
    for t in tokens:
        if t in GENERIC:
            out["generic"].append(t)
        elif t in districts:
            out["district"].append(t)
        elif t in INTENT:
            out["intent"].append(t)
        elif t.isdigit() or t in MODIFIER:
            out["modifier"].append(t)
        else:
            out["subject"].append(t)
    return out


def has_subject(tokens: tuple[str, ...], districts: frozenset[str]) -> bool:
    return bool(roles(tokens, districts)["subject"])


def combine(previous: tuple[str, ...], new: tuple[str, ...], districts: frozenset[str]) -> tuple[str, ...]:
    """The previous question with the new one's words put in place of the words of the same role."""
    before, now = roles(previous, districts), roles(new, districts)
    out: list[str] = []
    for role in ("intent", "subject", "district", "modifier"):
        out += now[role] if now[role] else before[role]
    out += now["generic"]
    return tuple(dict.fromkeys(out))
