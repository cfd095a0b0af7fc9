"""Typo correction mends typos and leaves real words alone: what the matcher makes of a word, and what the user sees."""
from __future__ import annotations

import pytest

from bot.core.spelling import KNOWN_WORDS, drops_only_vowels, plausible_edit, romanisation_fits


@pytest.mark.parametrize("word, meant", [
    ("sceme", "scheme"), ("expot", "export"), ("exprot", "export"), ("moradbad", "moradabad"), ("lether", "leather"),
    ("subsidi", "subsidy"), ("prdcts", "products"), ("xprt", "export"), ("chamda", "चमड़ा"), ("kaleen", "कालीन"),
    ("mazdur", "मजदूर"), ("karobar", "कारोबार"),
    ("bunkr", "weaving"), ("bunkro", "weaving"),      # a synonym's own spelling, its vowels left out (bunkar, bunkaron)
])
def test_typos_are_mended(engine, word, meant):
    index = engine.index
    expected = index.canon.content(meant)
    assert len(expected) == 1 and expected[0] in index.idf
    assert index.parse(f"{word} ke baare me batao").tokens[0] == expected[0]


@pytest.mark.parametrize("sentence, word, not_this", [
    ("mera belt ka business hai", "belt", "bolt"),          # a vowel changed is no SMS-speak
    ("2 mahine me kya hoga", "mahine", "machine"),           # months, a real word
    ("malik ko batana hai", "malik", "मिल्क"),                 # milk has no vowel between l and k
    ("suniye ji", "suniye", "शून्य"),                          # nor शून्य between n and y
    ("ghanta kitna lagega", "ghanta", "गांठ"),                 # gh is aspirated, ग is not
    ("sugar ka business", "sugar", "sunar"),                  # g and n are not neighbouring keys
    ("baat karni hai", "karni", "kari"),                      # a verb's everyday form
])
def test_real_words_are_not_corrected(engine, sentence, word, not_this):
    query = engine.index.parse(sentence)
    assert not_this not in query.tokens
    assert engine.index.canon.content(word)[0] in query.unknown      # the word as itself (or its synonym), unknown


def test_the_rules():
    assert drops_only_vowels("xprt", "export") and not drops_only_vowels("belt", "bolt")
    assert plausible_edit("niyam", "nigam")                      # y and g are neighbouring keys ...
    assert "niyam" in KNOWN_WORDS                                # ... so the word itself is known
    assert not plausible_edit("badiya", "baliya") and plausible_edit("cotten", "cotton")
    assert romanisation_fits("chamda", "चमड") and romanisation_fits("kadai", "कढ़ाई")
    assert not romanisation_fits("malik", "मिल्क") and not romanisation_fits("boliye", "बलिय")


def test_sms_speak_for_a_product_and_its_code_is_answered(engine):
    outcome = engine.ask("carpt ka hs cod kya h")
    assert outcome.kind == "answer" and outcome.entry.id == engine.ask("carpet ka hs code kya hai").entry.id


@pytest.mark.parametrize("question", [
    "mera belt ka business hai, hs code kya hai",     # was the HS code of bolts and door fittings
    "malik se baat karni hai",                         # was Lucknow (chikan-"kari")
])
def test_an_ordinary_word_no_longer_brings_a_confident_wrong_answer(engine, question):
    outcome = engine.ask(question)
    assert outcome.kind != "answer", (outcome.entry.id if outcome.entry else None, outcome.text)


@pytest.mark.parametrize("hindi, english", [("लेदर", "leather"), ("फुटवियर", "footwear"), ("गारमेंट", "garment"),
                                            ("हैंडीक्राफ्ट", "handicraft"), ("कार्पेट", "carpet"), ("बायर", "buyer"),
                                            ("मार्बल", "marble"), ("ग्लास", "glass"), ("ढूंढें", "find"), ("टर्नओवर", "turnover"),
                                            ("प्लेटफॉर्म", "platform"), ("शिपमेंट", "shipment"), ("ship", "shipment")])
def test_english_words_written_in_devanagari_are_the_same_words(engine, hindi, english):
    assert engine.index.canon.content(hindi) == engine.index.canon.content(english)


@pytest.mark.parametrize("question, entry_id", [
    ("कानपुर के लेदर प्रोडक्ट किस देश में जाते हैं", "market-kanpur-leather-footwear"),   # was the leather institute
    ("बायर कैसे ढूंढें", "odop-global-promotion"),                                          # was declined
    ("ग्लास का सामान कहाँ बनता है", "firozabad"),
])
def test_hindi_with_english_loanwords_is_answered(engine, question, entry_id):
    outcome = engine.ask(question)
    assert outcome.kind == "answer" and outcome.entry.id == entry_id
