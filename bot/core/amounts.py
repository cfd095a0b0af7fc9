"""Amounts written in a text, read by value: ₹ figures in any spelling (₹50,000, Rs 50000, Rs. 0.5 lakh,
50,000 rupees, ₹ 50000, ₹0.50 लाख), dollar figures and shares (75%), so that `kb check` can compare an
answer's typed figure with a fact in facts.yaml whatever way either is written.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

_NUM = r"\d{1,3}(?:,\d{2,3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_UNIT = r"lakhs?|lacs?|crores?|cr\b\.?|thousand|लाख|करोड़|करोड|हज़ार|हजार"
UNITS = {"lakh": Decimal(10) ** 5, "lakhs": Decimal(10) ** 5, "lac": Decimal(10) ** 5, "lacs": Decimal(10) ** 5,
         "लाख": Decimal(10) ** 5, "crore": Decimal(10) ** 7, "crores": Decimal(10) ** 7, "cr": Decimal(10) ** 7,
         "cr.": Decimal(10) ** 7, "करोड़": Decimal(10) ** 7, "करोड": Decimal(10) ** 7,
         "thousand": Decimal(1000), "हज़ार": Decimal(1000), "हजार": Decimal(1000)}
_BEFORE = r"(?<![\w.,/])"           # a figure starts a word: not 'fy2019', not '1.2.3'
_PRE_CUR = r"(?P<pre>₹|(?<![^\W\d_])(?:Rs\.?|INR|USD|US\$))"
_POST_CUR = r"(?P<post>rupees?|रुपये|रुपए|रुपया|dollars?|डॉलर|USD)(?![\w])"
_UNITS = rf"(?P<unit>(?:{_UNIT})(?:\s+(?:crores?|करोड़|करोड))?)"
MONEY = re.compile(
    rf"{_PRE_CUR}\s?(?P<num>{_NUM})(?:\s*{_UNITS})?"
    rf"|{_BEFORE}(?P<num2>{_NUM})\s*(?P<unit2>(?:{_UNIT})(?:\s+(?:crores?|करोड़|करोड))?)?\s*{_POST_CUR}", re.I)
SHARE = re.compile(rf"{_BEFORE}(?:(?P<low>{_NUM})\s*%?\s*[-–]\s*)?(?P<num>{_NUM})\s*(?:%|per ?cent\b|प्रतिशत|फ़ीसदी|फीसदी)",
                   re.I)
PLAIN = re.compile(rf"{_BEFORE}(?P<num>{_NUM})(?:\s*(?P<unit>{_UNIT}))?(?![\d])", re.I)
_DIGIT = re.compile(r"\d")
_DOLLAR = ("usd", "us$", "dollar", "dollars", "डॉलर")


@dataclass(frozen=True)
class Amount:
    kind: str            # "₹" | "USD" | "%" | "" (a plain number)
    value: Decimal       # in rupees / dollars / percent / units
    shown: Decimal       # the figure as written, in its own unit (0.50 of '₹0.50 lakh')
    factor: Decimal      # the unit (10^5 for lakh)
    places: int          # decimals written (2 for '0.50')
    start: int
    end: int
    text: str

    def rounds(self, other: "Amount") -> bool:
        """This figure is ``other`` written with fewer decimals (₹49.3 crore for ₹49,26,06,560), or the same."""
        if self.kind != other.kind:
            return False
        if self.value == other.value:
            return True
        step = Decimal(1).scaleb(-self.places)
        return (other.value / self.factor).quantize(step, rounding=ROUND_HALF_UP) == self.shown


def _number(raw: str) -> tuple[Decimal, int]:
    digits = raw.replace(",", "")
    return Decimal(digits), len(digits.partition(".")[2])


def _unit(raw: str | None) -> Decimal:
    factor = Decimal(1)
    for word in (raw or "").lower().split():
        factor *= UNITS.get(word, Decimal(1))
    return factor


def amounts(text: str, plain: bool = False) -> list[Amount]:
    """Every money figure and share in ``text`` in order; with ``plain``, bare numbers too (3, 20,260, 10-day)."""
    found: list[Amount] = []
    taken: list[tuple[int, int]] = []
    if not _DIGIT.search(text):
        return found

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    for m in MONEY.finditer(text):
        num = m.group("num") or m.group("num2")
        cur = (m.group("pre") or m.group("post") or "").lower()
        shown, places = _number(num)
        factor = _unit(m.group("unit") or m.group("unit2"))
        kind = "USD" if cur in _DOLLAR else "₹"
        found.append(Amount(kind, shown * factor, shown, factor, places, m.start(), m.end(), m.group(0).strip()))
        taken.append((m.start(), m.end()))
    for m in SHARE.finditer(text):
        if not free(m.start(), m.end()):
            continue
        for key in ("low", "num"):
            if m.group(key):
                shown, places = _number(m.group(key))
                found.append(Amount("%", shown, shown, Decimal(1), places, m.start(key),
                                    m.end() if key == "num" else m.end(key), m.group(0)))
        taken.append((m.start(), m.end()))
    if plain:
        for m in PLAIN.finditer(text):
            if not free(m.start(), m.end()):
                continue
            shown, places = _number(m.group("num"))
            factor = _unit(m.group("unit"))
            found.append(Amount("", shown * factor, shown, factor, places, m.start(), m.end(), m.group(0)))
    # USD written as 'USD 6,082 thousand' / '6,082 हज़ार डॉलर' already carries its unit; order by place.
    return sorted(found, key=lambda a: a.start)


def groups(text: str, found: list[Amount]) -> list[list[Amount]]:
    """Figures written side by side ('₹0.50 lakh (₹50,000)', '₹49,26,06,560 (about ₹49.3 crore)') as one group."""
    out: list[list[Amount]] = []
    for a in found:
        if out and only_glue(text[out[-1][-1].end:a.start]):
            out[-1].append(a)
        else:
            out.append([a])
    return out


_GLUE = re.compile(r"^[\s()\[\]=/~,:]*(?:(?:about|approx\.?|approximately|around|i\.e\.|or|लगभग|करीब|क़रीब|यानी)"
                   r"[\s()\[\]=/~,:]*)?$", re.I)


def only_glue(between: str) -> bool:
    return bool(_GLUE.match(between))


def crore(value: Decimal, lang: str) -> str:
    """A rupee figure in crore (or lakh below a crore), three significant figures: ₹49.3 crore, ₹1.27 करोड़."""
    unit, word = (Decimal(10) ** 7, "करोड़" if lang == "hi" else "crore")
    if value < unit:
        unit, word = (Decimal(10) ** 5, "लाख" if lang == "hi" else "lakh")
    n = value / unit
    digits = len(str(int(n))) if n >= 1 else 1
    places = max(0, 3 - digits)
    figure = n.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    shown = f"{figure:,.{places}f}".rstrip("0").rstrip(".") if places else f"{figure:,.0f}"
    return f"₹{shown} {word}"
