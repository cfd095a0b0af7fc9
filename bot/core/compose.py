"""Answer texts the knowledge base composes from several files (HS codes, districts, glossary terms)."""
from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Mapping

from .entities import Entry, Problem, Text, clip
from .validate import Checker, Raw
from .yamlmarks import MarkedDict


def compose_entries(raw: Raw, problems: list[Problem]) -> dict[str, Entry]:
    """The final entries: HS code and district answers written out, glossary terms folded in or added."""
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
            short=Text(clip(term), clip(term)), answer=Text(en, hi), source=info["source"],
            aliases=tuple(extra) + tuple(Checker(shown, problems).aliases(item, "aliases", info["label"])),
            location=f"{shown}:{item.line}")
    for target, extra in folded.items():
        e = entries[target]
        entries[target] = replace(e, aliases=e.aliases + tuple(extra))
    return entries


def _district_names(ids: Iterable[str], raw: Raw, lang: str) -> str:
    return ", ".join(raw.districts[d].name.get(lang) for d in ids if d in raw.districts)


def _hs_answer(entry: Entry, raw: Raw, markets_by_code: Mapping[str, list[Entry]]) -> Entry:
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
        hi.append("लक्ष्य बाज़ार: " + ", ".join(COUNTRIES_HI.get(c, c) for c in countries[:8]))
    # The title is the answer's first line, so the answer does not repeat it.
    return replace(entry, answer=Text("\n".join(en), "\n".join(hi)), title=Text(en[0], hi[0]))


CATEGORY_HI = {"primary": "मुख्य", "secondary": "दूसरा", "tertiary": "तीसरा", "others": "अन्य"}


def _district_answer(entry: Entry, raw: Raw) -> Entry:
    d = raw.districts[entry.id]
    en = [f"{d.name.en}: ODOP (One District One Product)"]
    hi = [f"{d.name.hi}: ODOP (एक ज़िला एक उत्पाद)"]
    for p in d.odop:
        en.append(f"• {p.product.en} ({p.category}{', ' + p.annexure_sector if p.annexure_sector else ''})")
        hi.append(f"• {p.product.hi} ({CATEGORY_HI.get(p.category, p.category)} उत्पाद)")
    if d.challenged:
        en.append("Traditionally challenged (low exports): " + ", ".join(t.en for t in d.challenged)
                  + ". Extra support through the DIC: trade fairs and exhibitions, skill development workshops,"
                  " help to get onto e-commerce platforms")
        hi.append("कम निर्यात वाले (पारंपरिक रूप से चुनौती वाले) उत्पाद: " + ", ".join(t.hi for t in d.challenged)
                  + "। DIC के ज़रिए ख़ास मदद: व्यापार मेले और प्रदर्शनियाँ, कौशल विकास वर्कशॉप, ई-कॉमर्स से जुड़ने में मदद")
    en.append(f"Help: District Industries Centre (DIC / DIEPC), {d.name.en}")
    hi.append(f"मदद: ज़िला उद्योग केंद्र (DIC / DIEPC), {d.name.hi}")
    title = Text(f"{d.name.en}: ODOP products", f"{d.name.hi}: ODOP उत्पाद")
    return replace(entry, answer=Text("\n".join(en), "\n".join(hi)), title=title)


# Country names as a Hindi reader knows them (markets.yaml lists countries in English, as the plans do).
COUNTRIES_HI = {
    "ASEAN countries": "आसियान देश", "Angola": "अंगोला", "Australia": "ऑस्ट्रेलिया", "Bangladesh": "बांग्लादेश",
    "Belgium": "बेल्जियम", "Bhutan": "भूटान", "Brazil": "ब्राज़ील", "Canada": "कनाडा", "Chile": "चिली", "China": "चीन",
    "Czech Republic": "चेक गणराज्य", "Denmark": "डेनमार्क", "Egypt": "मिस्र", "Finland": "फ़िनलैंड", "France": "फ़्रांस",
    "GCC countries": "खाड़ी (GCC) देश", "Germany": "जर्मनी", "Greece": "ग्रीस", "Hong Kong": "हांगकांग",
    "Indonesia": "इंडोनेशिया", "Iraq": "इराक़", "Ireland": "आयरलैंड", "Israel": "इज़राइल", "Italy": "इटली", "Japan": "जापान",
    "Jordan": "जॉर्डन", "Malaysia": "मलेशिया", "Mexico": "मेक्सिको", "Middle East": "मध्य-पूर्व (खाड़ी देश)",
    "Mongolia": "मंगोलिया", "Nepal": "नेपाल", "Netherlands": "नीदरलैंड", "Nigeria": "नाइजीरिया",
    "North America": "उत्तरी अमेरिका", "Norway": "नॉर्वे", "Oman": "ओमान", "Philippines": "फ़िलीपींस", "Poland": "पोलैंड",
    "Russia": "रूस", "Saudi Arabia": "सऊदी अरब", "Singapore": "सिंगापुर", "Slovenia": "स्लोवेनिया",
    "South Africa": "दक्षिण अफ़्रीका", "South Korea": "दक्षिण कोरिया", "Spain": "स्पेन", "Sri Lanka": "श्रीलंका",
    "Sudan": "सूडान", "Sweden": "स्वीडन", "Tanzania": "तंज़ानिया", "Thailand": "थाईलैंड", "Turkey": "तुर्की",
    "UAE": "यूएई (UAE)", "UK": "ब्रिटेन (UK)", "USA": "अमेरिका (USA)", "Uganda": "युगांडा", "Vietnam": "वियतनाम",
    "Yemen": "यमन",
}
