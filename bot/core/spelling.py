"""Is a word a typo of an index word, or a real word of its own?

Typo correction maps an unknown word to the closest word of the index ("sceme" -> scheme, "xprt" -> export,
"chamda" -> चमड़ा). A real word close to an index word must stay itself: "belt" is no "bolt", "mahine" (months) no
"machine", "malik" (owner) no मिल्क. Three checks, each about how people mistype or spell, none about one message:

- ``KNOWN_WORDS``: everyday English and romanised Hindi words that are words, not typos.
- ``plausible_edit``: a letter swapped for another is a neighbouring key or a letter of the same sound;
  SMS-speak only drops vowels ("prdcts"), it does not change them.
- ``romanisation_fits``: a romanised Hindi word and the Devanagari word of the same consonants agree on where the
  vowels are (मिल्क has none between l and k, "malik" has one) and on aspiration ("ghanta" is not गांठ).
"""
from __future__ import annotations

from rapidfuzz.distance import Levenshtein

# Everyday words that are not index words and must never be "corrected" into one. Romanised Hindi first.
KNOWN_WORDS = frozenset("""
mahina mahine mahino mahinon saal saalon din dino dinon hafta hafte ghanta ghante waqt subah shaam raat parso
malik maalik malkin bhai bhaiya behen bahan beta beti pitaji chacha mama dost logon aadmi aurat bachche bacche parivar
kaamkaaj dhandha dhanda naukri hunar baat baatein batao bataiye bataye bataen bolo boliye kaho kahiye suno suniye
samjhao samjhaiye samajh samjha samjhe chahta chahti chahte milna milne milenge dena dene diya diye lena lene liya
karna karne karo kariye karein karen kiya kiye raha rahi rahe hoga hogi honge hona hone hua hui hue kaisa kaisi
kisko kise kinko jahan jahaan bahut bohot bahot thoda thodi sabhi kuch kuchh lekin magar sirf keval acha
theek thik galat bura badiya badhiya hamara hamari hamare humara tumhara aapka aapki aapke apna apni apne
unka unki unke iska iski iske uska uski uske yahan wahan idhar udhar neeche andar saath paas door kharcha kharch daam
keemat kimat bhav bhaav munafa nuksan ghata banaya banate banati banta bante baanta baante bantna bechte bechta
niyam kanoon kagaz kagzat chalana chalate chalta chalti chalu khula khuli khulega shuru khatam pura
poora adha aadha pehla pehli teesra karkhana godam saman samaan naya nayi naye bada badi
bade nahi nahin shukriya namaskar pranam paana paate lagana lagane bhejna bhejne bheja bheje aana aane aaya aayi jana
jane gaya gayi gaye padhai padhna likha likhna likhe likho puchna poochna pucha poocha zaroorat zarurat jarurat
dikkat pareshani takleef
belt belts house houses last sent sugar plate plates horse list month months week weeks hour hours minute minutes
father mother brother sister daughter family friend friends people person owner owners worker workers
""".split())

# Romanised Hindi verbs in their everyday forms: karna, karni, karte, karenge, karo, kariye...
_VERB_STEMS = ("kar", "ho", "de", "le", "mil", "bech", "bhej", "bana", "chal", "rakh", "dekh", "ja", "aa", "bol", "sun",
               "samajh", "samjh", "puch", "pooch", "likh", "padh", "chah", "sak", "lag", "rah", "bata", "kharid", "mang",
               "bhar", "bhool", "soch", "jod", "jud", "khol", "band", "bol", "pahunch", "pahuch", "nikal", "kama", "seekh",
               "sikh", "sikha", "dikha", "badh", "ghat", "chuk", "pa", "uth", "baith", "lauta", "bula", "ruk", "bhaga")
_VERB_ENDINGS = ("na", "ne", "ni", "ta", "te", "ti", "o", "iye", "ie", "enge", "egi", "ega", "ein", "en", "a", "i",
                 "e", "kar", "ke", "oge", "ogi", "unga", "ungi", "ya", "yi", "ye", "wa", "wana", "wani", "wane", "wao")
KNOWN_WORDS = KNOWN_WORDS | {stem + ending for stem in _VERB_STEMS for ending in _VERB_ENDINGS if len(stem + ending) >= 4}

VOWELS = frozenset("aeiou")
# Keys next to each other on a phone's QWERTY keyboard: a slip of the thumb.
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
# A key's place on the screen: each row sits half a key further right than the one above.
_KEY_AT = {ch: (r, i + r / 2) for r, row in enumerate(_ROWS) for i, ch in enumerate(row)}
_NEAR = {a: {b for b, (rb, xb) in _KEY_AT.items()
             if (ra == rb and abs(xa - xb) == 1) or (abs(ra - rb) == 1 and abs(xa - xb) <= 0.5)}
         for a, (ra, xa) in _KEY_AT.items()}
# Letters people write for the same sound.
_SAME_SOUND = ({"c", "k", "q", "s"}, {"z", "j", "s", "g"}, {"v", "w", "b"}, {"f", "p"}, {"d", "t"}, {"i", "y", "e"},
               {"u", "o"})


def _swap_ok(a: str, b: str) -> bool:
    if a in VOWELS and b in VOWELS:
        return True
    if b in _NEAR.get(a, ()):
        return True
    return any(a in group and b in group for group in _SAME_SOUND)


def plausible_edit(token: str, target: str) -> bool:
    """Could a person typing ``target`` have written ``token`` (Latin letters)?"""
    if not (token.isascii() and target.isascii()):
        return True
    return all(_swap_ok(token[src], target[dst]) for op, src, dst in Levenshtein.editops(token, target)
               if op == "replace")


def drops_only_vowels(token: str, target: str) -> bool:
    """SMS-speak: ``token`` is ``target`` with (some) vowels left out, nothing changed ("prdcts", "xport")."""
    it = iter(target)
    if not all(ch in it for ch in token):      # a subsequence, in order
        return False
    return len(token) < len(target)


# ------------------------------------------------------------ romanised Hindi against Devanagari

_DEVA_VOWEL_SIGNS = {"ा": "a", "ि": "iey", "ी": "iey", "ु": "uo", "ू": "uo", "े": "eai", "ै": "aei", "ो": "ou",
                     "ौ": "oau", "ॉ": "oa", "ृ": "ri", "ॅ": "ae"}
_DEVA_INDEPENDENT_VOWELS = set("अआइईउऊएऐओऔऋऑ")
_VIRAMA = "्"
_NUKTA = "़"
_DEVA_ASPIRATED = set("खघछझठढथधफभ")
_DEVA_CONS = set("कखगघङचछजझञटठडढणतथदधनपफबभमयरलवशषसळ")
_LATIN_ASPIRABLE = set("kgjtdbp")


def _deva_gaps(word: str) -> list[tuple[bool, str]] | None:
    """Per consonant of a Devanagari word (ह, ं left out): (aspirated, what follows it: a vowel sign's letters,
    "" for none (virama), "*" for the inherent vowel)."""
    out: list[list] = []
    for ch in word:
        if ch in _DEVA_CONS:
            out.append([ch in _DEVA_ASPIRATED, "*"])
        elif ch in "ंँ":                               # a nasal: an n with no vowel after it
            out.append([False, ""])
        elif ch == _VIRAMA:
            if out:
                out[-1][1] = ""
        elif ch in _DEVA_VOWEL_SIGNS:
            if out:
                out[-1][1] = _DEVA_VOWEL_SIGNS[ch]
        elif ch in _DEVA_INDEPENDENT_VOWELS or ch in "हः" or ch == _NUKTA:
            continue
        else:
            return None
    # doubled consonants are one sound (चड्डा)
    merged: list[tuple[bool, str]] = []
    prev = None
    for (asp, follows), ch in zip(out, (c for c in word if c in _DEVA_CONS or c in "ंँ")):
        if merged and prev == ch and merged[-1][1] == "":
            merged[-1] = (merged[-1][0], follows)
        else:
            merged.append((asp, follows))
        prev = ch
    return merged


def _latin_gaps(word: str) -> list[tuple[bool, str]] | None:
    """Per consonant of a romanised word ('h' after a consonant = aspiration; "sh", "ch" one letter; doubled
    letters one sound): (aspirated, the vowels that follow it)."""
    out: list[list] = []
    i = 0
    w = word.lower()
    while i < len(w):
        ch = w[i]
        if ch in VOWELS:
            if out:
                out[-1][1] += ch
            i += 1
            continue
        if not ch.isalpha():
            return None
        if ch == "h":
            if out and out[-1][1] == "" and out[-1][2] in _LATIN_ASPIRABLE:
                out[-1][0] = True
            i += 1
            continue
        if ch in "sc" and w[i + 1:i + 2] == "h":
            i += 2
            if ch == "c" and w[i:i + 1] == "h":        # "chh"
                out.append([True, "", "c"])
                i += 1
            else:
                out.append([False, "", ch])
            continue
        if out and out[-1][2] == ch and out[-1][1] == "":
            i += 1
            continue
        out.append([False, "", ch])
        i += 1
    return [(asp, follows) for asp, follows, _ in out]


def romanisation_fits(latin: str, deva: str) -> bool:
    """Do a romanised word and a Devanagari word of the same consonant skeleton agree on vowels and aspiration?

    Between two consonants: no vowel in Devanagari (virama) means none in the Latin word, a vowel sign means one
    of its usual spellings; the inherent vowel may be written or not. The last consonant is not compared (the
    index keeps Devanagari words stemmed). An aspirated Latin consonant ("gh") needs an aspirated one in
    Devanagari (the reverse is common: "kadai" for कढ़ाई). When the two do not line up letter for letter, this
    does not judge (True).
    """
    lat, dev = _latin_gaps(latin), _deva_gaps(deva)
    if lat is None or dev is None or len(lat) != len(dev):
        return True
    for i, ((l_asp, l_vow), (d_asp, d_vow)) in enumerate(zip(lat, dev)):
        if l_asp and not d_asp:
            return False
        if i == len(lat) - 1:
            break
        if d_vow == "" and l_vow:
            return False
        if d_vow not in ("", "*") and l_vow and not set(l_vow) & set(d_vow):
            return False
        if d_vow == "*" and l_vow and not set(l_vow) & set("aeu"):
            return False
    return True
