"""A synthetic knowledge base of any size, grown from the real one (for the matcher benchmark).

Every synthetic entry is a clone of a real entry in which some product and place words, all
numbers and the HS codes are swapped for made-up ones, so the vocabulary grows the way it will
when the other districts' action plans arrive: a few new words become common, most stay rare.
Words are drawn log-uniformly from a pool of made-up Latin and Devanagari words. The kind
words ("hs", "market", "odop", "scheme", ...) stay, so they end up in thousands of entries.
"""
from __future__ import annotations

import random
import re
from dataclasses import replace
from types import MappingProxyType

from bot.core.entities import Entry, KnowledgeBase, Text
from bot.core.normalise import STOPWORDS

_LATIN_SYLLABLES = ("ka ra pur gan ba li ta dho mo ni sha ve ru kha ja bad ga po ti la ma na se zar dal "
                    "kot ri bha su de chi ya wa ro hi tan lok mi par vi").split()
_DEVA_CONSONANTS = "कखगघचछजझटठडढतथदधनपफबभमयरलवशसह"
_DEVA_VOWELS = ("", "ा", "ि", "ी", "ु", "ू", "े", "ो", "ं")
_WORD = re.compile(r"[a-zA-Z]{4,}|[\u0900-\u0963\u0970-\u097F]{3,}")   # a Latin or a Devanagari word
_NUMBER = re.compile(r"\d+")


def _pool(rng: random.Random, size: int, deva: bool) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < size:
        n = rng.randint(2, 4)
        if deva:
            word = "".join(rng.choice(_DEVA_CONSONANTS) + rng.choice(_DEVA_VOWELS) for _ in range(n))
        else:
            word = "".join(rng.choice(_LATIN_SYLLABLES) for _ in range(n))
        if word not in seen and word not in STOPWORDS:
            seen.add(word)
            out.append(word)
    return out


def synthetic_kb(kb: KnowledgeBase, size: int = 50_000, seed: int = 7, swap: float = 0.35) -> KnowledgeBase:
    """``kb`` with clones added until it holds ``size`` entries (same synonyms, districts, sources)."""
    rng = random.Random(seed)
    latin = _pool(rng, max(2000, size), deva=False)
    deva = _pool(rng, max(1000, size // 3), deva=True)

    def pick(pool: list[str]) -> str:
        # Log-uniform rank: the first words of the pool are drawn often, the tail rarely.
        return pool[int(len(pool) ** rng.random()) - 1]

    entries: dict[str, Entry] = dict(kb.entries)
    real = list(kb.entries.values())
    used_codes = {c for e in real for c in e.codes}
    n = 0
    while len(entries) < size:
        n += 1
        src = rng.choice(real)
        words: dict[str, str] = {}   # one clone swaps a word the same way in all its texts

        def swap_word(m: re.Match) -> str:
            w = m.group(0)
            key = w.lower()
            if key in STOPWORDS or key in ("odop", "scheme", "market", "district", "code", "export"):
                return w
            if key not in words:
                words[key] = (pick(deva if not w.isascii() else latin) if rng.random() < swap else w)
            return words[key]

        def perturb(text: str) -> str:
            text = _WORD.sub(swap_word, text)
            return _NUMBER.sub(lambda m: str(rng.randrange(10 ** (len(m.group(0)) - 1), 10 ** len(m.group(0))))
                               if len(m.group(0)) > 1 else m.group(0), text)

        codes = src.codes
        if src.kind == "hs_code" or codes:
            fresh = []
            for c in codes:
                new = c
                while new in used_codes:
                    new = str(rng.randrange(10 ** (len(c) - 1), 10 ** len(c)))
                used_codes.add(new)
                fresh.append(new)
            codes = tuple(fresh)
        clone = replace(
            src, id=f"{src.id}-syn{n}", codes=codes,
            title=Text(perturb(src.title.en), perturb(src.title.hi)),
            aliases=tuple(perturb(a) for a in src.aliases),
            keywords=tuple(perturb(k) for k in src.keywords),
            countries=tuple(perturb(c) for c in src.countries),
            district=(perturb(src.district) if src.district else src.district))
        if clone.kind == "hs_code":   # the title carries the code; the index reads the codes themselves
            clone = replace(clone, title=Text(_NUMBER.sub(clone.codes[0], clone.title.en, count=1),
                                               _NUMBER.sub(clone.codes[0], clone.title.hi, count=1)))
        entries[clone.id] = clone
    return replace(kb, entries=MappingProxyType(entries))
