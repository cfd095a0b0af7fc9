"""Messages the way real users write them: small talk, language switches in words, follow-ups, long
messages and near-misses -- through the channel-free dialogue, and follow-ups through the store too."""
from __future__ import annotations

from dataclasses import replace

import pytest

from bot.core.dialogue import Dialogue, Incoming, Turn, UserState
from bot.core.smalltalk import classify
from bot.core.matching import said
from bot.services.conversation import Conversation
from bot.store import Store


class Clock:
    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def talk(engine, clock):
    """Say messages in turn as one user who already chose English; returns each turn."""
    dialogue = Dialogue(engine, clock=clock)

    def say(*messages: str, state: UserState | None = None) -> list[Turn]:
        state = state or UserState(lang="en", subscription="none")
        turns = []
        for message in messages:
            turn = dialogue.handle(state, Incoming("text", message))
            turns.append(turn)
            state = turn.state
        return turns
    return say


@pytest.mark.parametrize("message, act", [
    ("thanks", "thanks"), ("thnx bhai 👍", "thanks"), ("shukriya, bahut madad mili", "thanks"), ("धन्यवाद", "thanks"),
    ("ok", "ack"), ("👍", "ack"), ("theek hai ji", "ack"), ("ठीक है", "ack"), ("🙏", "thanks"),
    ("hello", "greeting"), ("namaste ji", "greeting"), ("नमस्ते", "greeting"), ("good morning sir", "greeting"),
    ("help", "help"), ("madad chahiye", "help"), ("मदद", "help"), ("menu", "menu"), ("start again", "restart"),
    ("hindi me batao", "lang_hi"), ("हिंदी में", "lang_hi"), ("English please", "lang_en"), ("change language", "lang_ask"),
    ("bye", "bye"), ("मेनू दिखाओ", "menu"), ("how are you", "greeting"), ("आप कैसे हैं", "greeting"), ("hmm", "ack"),
    ("no thanks", "ack"), ("hindi mein baat karo", "lang_hi"), ("speak in english", "lang_en"), ("back", "menu"),
    ("are you a bot", "help"), ("wah, superb", "thanks"), ("tysm", "thanks"), ("gud morning", "greeting"),
    ("take care", "bye"), ("koi baat nahi", "ack"), ("mujhe madad chahiye", "help"), ("हिन्दी में बोलो", "lang_hi"),
    ("इंग्लिश में बताओ", "lang_en"), ("shuru se", "restart"), ("bahut badiya jankari, dhanyavad", "thanks"), ("suprabhat ji", "greeting"),
    # the same little words spelt another way; a confused user; asking for a person
    ("Hindi mein jawab do please", "lang_hi"), ("hindi main batao", "lang_hi"), ("mujhe kuch nahi samajh aa raha", "help"),
    ("समझ नहीं आया", "help"), ("baat karni hai kisi se", "office"), ("किसी अधिकारी से बात करनी है", "office"),
    ("I want to talk to someone", "office"), ("नया शुरू करें", "restart"),
])
def test_small_talk_is_recognised_in_three_scripts(message, act):
    assert classify(message) == act


@pytest.mark.parametrize("message", [
    "hello, what is the HS code for saddlery?", "thanks, and the gateway port scheme?", "help with export loan",
    "madad chahiye loan ke liye", "hindi me gateway port scheme batao", "ok what about air freight", "",
    "no iec yet, how do I start?", "back to the gateway port scheme",
])
def test_a_question_is_not_small_talk(message):
    assert classify(message) is None


def test_small_talk_replies_never_refuse_or_answer_a_scheme(talk):
    thanks, ok, bye = talk("thanks", "ok", "bye")
    assert thanks.kind == ok.kind == bye.kind == "smalltalk"
    assert thanks.replies[0].text == "You're welcome! Ask me anything else about exports, or open the menu."
    assert ok.replies[0].text == "👍 Type your next question whenever you like, or open the menu."
    assert bye.replies[0].text == "Goodbye! Write any time you have an export question."
    assert [[b.data for b in row] for row in thanks.replies[0].buttons] == [["menu"]]
    (help_,) = talk("madad chahiye")
    assert help_.kind == "smalltalk" and help_.replies[0].text.startswith("Type any export question in English")
    (hindi_thanks,) = talk("धन्यवाद", state=UserState())
    assert hindi_thanks.replies[0].text == "आपका स्वागत है! निर्यात के बारे में कुछ और पूछना हो तो लिखें, या मेन्यू खोलें।"
    (menu,) = talk("menu")
    assert menu.replies[0].text == "Main menu: choose a topic or just type your question."
    (hello,) = talk("kaise ho")      # a user who knows the bot is greeted back, with the menu
    assert hello.replies[0].text == "Namaste! 🙏 Good to hear from you. Choose a topic or just type your question."
    assert hello.replies[0].buttons == talk("menu")[0].replies[0].buttons


def test_asking_for_a_person_gives_the_district_office_and_the_hand_off(engine, clock):
    dialogue = Dialogue(engine, clock=clock, offer_handoff=True)
    turn = dialogue.handle(UserState(lang="hi", district="agra", subscription="none"),
                           Incoming("text", "kisi adhikari se baat karni hai"))
    assert turn.kind == "smalltalk"
    text = turn.replies[0].text
    assert text.startswith("किसी अधिकारी से बात करने के लिए अपने ज़िला उद्योग केंद्र (DIC) से संपर्क करें:\n\n")
    assert "आगरा" in text
    assert turn.replies[0].buttons[0][0].data == "ho"
    handed = dialogue.handle(turn.state, Incoming("button", "ho"))
    assert handed.handoff


def test_language_switch_in_words_says_so_and_repeats_the_last_answer(talk):
    question, switch, back = talk("HS code for saddlery", "hindi me batao", "English please")
    assert question.kind == "answer" and question.outcome.entry.id == "hs-4201"
    assert switch.state.lang == "hi"
    assert switch.replies[0].text == "भाषा: हिन्दी।"
    assert switch.replies[1].text.startswith("HS कोड 4201")
    assert back.state.lang == "en" and back.replies[0].text == "Language: English."
    # The answer shown again in the new language is an answer (matched), and the turn is small talk.
    assert switch.kind == "smalltalk" and switch.outcome.matched and switch.outcome.entry.id == "hs-4201"
    # Without an answer before it, the switch shows the menu in the new language.
    (alone,) = talk("हिंदी में")
    assert [r.text for r in alone.replies] == ["भाषा: हिन्दी।", "मुख्य मेन्यू: कोई विषय चुनें या सीधे अपना सवाल लिखें।"]


def test_follow_ups_borrow_what_they_do_not_say(talk):
    markets, saddlery, code = talk("target markets for leather footwear", "and for saddlery?", "HS code?")
    assert markets.outcome.entry.id == "market-kanpur-leather-footwear"
    assert saddlery.outcome.entry.id == "market-kanpur-saddlery" and saddlery.kind == "answer"
    assert code.outcome.entry.id == "hs-4201"
    agra, moradabad = talk("ODOP product of Agra", "what about Moradabad")
    assert (agra.outcome.entry.id, moradabad.outcome.entry.id) == ("agra", "moradabad")
    freight, airports = talk("air freight subsidy kitni hai", "which airports?")
    assert airports.outcome.entry.id == "upepb-air-freight" and "Varanasi and Lucknow" in airports.replies[0].text
    port, small = talk("gateway port scheme 40 ft container kitna milta hai", "aur 20 feet pe?")
    assert small.outcome.entry.id == "upepb-gateway-port" and "₹6,000" in small.replies[0].text


def test_who_is_eligible_after_a_scheme_is_that_schemes(talk):
    # It was a did-you-mean of other schemes (the CFC card does not use the word "eligible").
    scheme, eligible = talk("cfc scheme", "who is eligible")
    assert scheme.outcome.entry.id == "odop-cfc"
    assert eligible.kind == "answer" and eligible.outcome.entry.id == "odop-cfc"
    (alone,) = talk("who is eligible")
    assert alone.kind == "suggest"


def test_help_for_a_product_many_districts_make_is_the_odop_schemes(talk):
    # Zari-zardozi is the ODOP product of several districts; "koi scheme hai?" was "not in my documents for this
    # district" (Chandauli's, or Bareilly's after the user said where they work).
    card, schemes, training = talk("mera kaam zari zardozi ka hai bareilly me", "iske liye koi scheme hai?",
                                   "training kaha milegi")
    assert card.outcome.entry.id == "bareilly"
    assert schemes.kind == "answer" and schemes.outcome.entry.id == "odop-schemes"
    assert training.kind == "answer" and training.outcome.entry.id == "odop-skill-toolkit"
    (alone,) = talk("zari zardozi ke liye koi scheme hai?")
    assert alone.kind == "answer" and alone.outcome.entry.id == "odop-schemes"


def test_another_place_after_a_places_product_asks_of_that_places_own_product(talk):
    # "what about aligarh" after Hathras's hing markets was Hathras's hing again.
    *_, markets, aligarh = talk("hathras ka odop kya hai", "iska hs code", "aur market?", "what about aligarh")
    assert markets.kind == "partial" and markets.outcome.entry.id == "hathras"
    assert aligarh.kind == "partial" and aligarh.outcome.entry.id == "aligarh"
    assert aligarh.replies[0].text.startswith("Lock & Hardware is the ODOP (One District One Product) product of Aligarh.")


def test_one_shared_cost_after_another_is_that_costs_share(talk):
    # "aur certification pe?" kept the website and asked for a certification: a did-you-mean.
    samples, website, certification = talk("sample bhejne par subsidy", "aur website banane par?", "aur certification pe?")
    assert [t.outcome.entry.id for t in (samples, website)] == ["upepb-mda-samples", "upepb-mda-publicity"]
    assert certification.kind == "answer" and certification.outcome.entry.id == "upepb-mda-certification"


def test_follow_ups_keep_what_the_new_words_do_not_replace(talk):
    share, china = talk("What share of world saddlery exports does India have?", "and China?")
    assert china.outcome.entry.id == "kanpur-saddlery" and "39%" in china.replies[0].text     # a country alone
    rail, air, airports = talk("How much does the state pay on rail freight to the port for a 40 ft container?",
                               "what about air freight?", "which airports?")
    assert air.outcome.entry.id == "upepb-air-freight"               # the 40 ft of the rail question is dropped
    assert airports.outcome.entry.id == "upepb-air-freight"          # what the previous answer lists
    assert "Varanasi and Lucknow" in airports.replies[0].text
    areas, units = talk("What are the industrial areas in Hathras district?",
                        "how many MSME units and how many jobs in the district?")
    assert units.outcome.entry.id == "hathras-msme-landscape"        # "the district" is Hathras
    cfc, building = talk("Tell me about the Common Facility Centre scheme of ODOP", "how many are under implementation?")
    assert building.kind == "answer" and building.outcome.entry.id == "odop-cfc"


def test_a_did_you_mean_keeps_the_question_for_the_next_message(talk):
    menu, markets = talk("footwear", "which countries buy it?")
    assert menu.kind == "suggest" and menu.state.topic is not None and menu.state.topic.entry_id == ""
    assert markets.kind == "answer" and markets.outcome.entry.id == "market-kanpur-leather-footwear"
    (fresh,) = talk("which countries buy it?")
    assert fresh.kind != "answer"                    # without the question before it, "it" is nothing


def test_a_standalone_question_after_a_follow_up_is_not_bent(talk):
    turns = talk("target markets for leather footwear", "and for saddlery?", "ODOP product of Firozabad",
                 "tell me a joke")
    assert [t.outcome.entry.id if t.outcome.entry else None for t in turns] == [
        "market-kanpur-leather-footwear", "market-kanpur-saddlery", "firozabad", None]
    assert turns[3].kind in ("refuse", "off_topic")


def test_the_topic_is_forgotten_after_half_an_hour_of_silence(talk, clock, engine):
    first = talk("target markets for leather footwear")[0]
    clock.now += 31 * 60
    later = Dialogue(engine, clock=clock).handle(first.state, Incoming("text", "and for saddlery?"))
    assert later.kind != "answer" or later.outcome.entry.id != "market-kanpur-saddlery"
    clock.now -= 2 * 60                    # within 30 minutes it is still there
    recent = Dialogue(engine, clock=clock).handle(first.state, Incoming("text", "and for saddlery?"))
    assert recent.outcome.entry.id == "market-kanpur-saddlery"


async def test_follow_ups_survive_a_restart_through_the_store(tmp_path, dialogue):
    store = await Store(tmp_path / "bot.sqlite3").open()
    try:
        await Conversation(dialogue, store, "telegram").handle("7", Incoming("text", "HS code for saddlery"))
    finally:
        await store.close()
    store = await Store(tmp_path / "bot.sqlite3").open()          # a new process: state comes from SQLite
    try:
        (reply,) = await Conversation(dialogue, store, "telegram").handle("7", Incoming("text", "which countries buy it?"))
        record = await store.get_user("telegram", "7")
    finally:
        await store.close()
    assert reply.text.startswith("Target markets: leather saddlery")
    assert record.state.topic is not None and record.state.topic.entry_id == "market-kanpur-saddlery"


def test_long_messages_find_the_question(talk):
    (turn,) = talk("Namaskar sir. Hum log Kanpur me chhota sa leather ka kaam karte hai, wallet aur belt banate hai. "
                   "Pehli baar bahar maal bhejna hai. Videsh ke buyer ko sample bhejne ka kharcha sarkar kitna deti hai?")
    assert turn.kind == "answer" and turn.outcome.entry.id == "upepb-mda-samples"
    assert "75%" in turn.replies[0].text


@pytest.mark.parametrize("message", [
    "What is the phone number of the Kanpur DGFT office?", "DIC ka mobile number do", "best shoe shop in Kanpur for wedding shoes",
    "pan card kaise banaye", "GST registration kaise kare online", "lucknow se dubai flight ka kiraya",
    "kanpur me chamde ka godam kiraye pe chahiye", "how much does a container cost to buy",
    "german market me ek leather bag kitne euro me bikta hai",
    "passport banwane ke liye kya documents chahiye", "What is the price of a leather belt in Kanpur?",
    "aaj dollar ka rate kya hai", "Agra ka mausam kal kaisa rahega", "कानपुर में चमड़े का बैग कितने रुपये का मिलेगा?",
    "driving licence kaise banega lucknow me", "What is the population of Ballia district?",
    "GST number ke liye documents kya lagte hain", "What import duty does Germany charge on leather shoes?",
    "Who is the DM of Agra?", "kanpur se agra ki doori kitni hai", "stand up india loan kaise milega",
    "Moradabad me agle hafte barish hogi kya", "Which is the best courier for samples to USA?",
    "What is the interest rate for a business loan at SBI?",
    "kanpur se delhi train kab hai", "paper bag banane ki machine kaha milegi", "where can I get a stitching machine",
])
def test_near_misses_are_declined(talk, engine, message):
    (turn,) = talk(message)
    assert turn.kind in ("refuse", "off_topic"), (message, turn.kind, turn.outcome and turn.outcome.entry)
    assert turn.replies[0].text == engine.refusal(turn.outcome.lang, None)


def test_a_fresh_user_saying_hello_is_welcomed(talk):
    (turn,) = talk("hello", state=UserState())
    assert turn.kind == "smalltalk" and turn.state.step == "lang"
    assert turn.replies[0].text.startswith("Namaste! I am the export helpdesk of Uttar Pradesh.")
    (again,) = talk("hello", state=replace(UserState(), lang="en", district="agra"))
    assert again.replies[0].text == "Namaste! 🙏 Good to hear from you. Choose a topic or just type your question."


def test_the_source_line_is_short_and_the_full_reference_one_tap_away(talk, kb):
    answer, full, typed = talk("HS code for saddlery", "/source", "स्रोत")
    assert answer.replies[0].text.splitlines()[-1] == "Source: District Export Action Plan, Kanpur Nagar, §4.3.1 (/source)"
    entry = kb.entries["hs-4201"]
    assert full.replies[0].text == f'Source of "{entry.title.en}":\n{kb.source_text(entry.source, "en")}'
    assert typed.replies[0].text == full.replies[0].text
    (nothing,) = talk("/source")
    assert nothing.replies[0].text == "Ask a question first; then /source shows where its answer comes from."
    (hindi,) = talk("सैडलरी का एचएस कोड", state=UserState(lang="hi"))
    assert hindi.replies[0].text.splitlines()[-1] == "स्रोत: ज़िला निर्यात कार्य योजना, कानपुर नगर, §4.3.1 (/source)"


def test_a_long_message_asking_two_things_gets_both_answers(talk):
    (turn,) = talk("Namaste. We are a small carpet unit in Bhadohi and this year we go to our first fair abroad. "
                   "How much of the stall rent at a foreign fair does the state give back? "
                   "And how much for sending a 40 ft container by rail to the port?")
    assert [r.text.splitlines()[0] for r in turn.replies] == [
        "MDA: stall charges at foreign fairs/exhibitions – UP Export Promotion Bureau",
        "Gateway Port Scheme – UP Export Promotion Bureau"]
    assert "60%" in turn.replies[0].text and "₹12,000" in turn.replies[1].text


def test_hindi_hs_answers_name_countries_in_hindi(kb, talk):
    from bot.core.compose import COUNTRIES_HI
    listed = {c for e in kb.entries.values() for c in e.countries}
    assert listed <= set(COUNTRIES_HI), sorted(listed - set(COUNTRIES_HI))
    (turn,) = talk("सैडलरी का एचएस कोड", state=UserState(lang="hi"))
    line = next(x for x in turn.replies[0].text.splitlines() if x.startswith("लक्ष्य बाज़ार: "))
    assert line.startswith("लक्ष्य बाज़ार: जर्मनी, अमेरिका (USA), ब्रिटेन (UK)")


@pytest.mark.parametrize("message, entry_id", [
    ("flight ka kiraya kitna wapas milega videsh mela ke liye", "upepb-mda-airfare"),
    ("steel forging kaun se desh me bikti h", "market-engineering-steel-forging"),
    ("IEC ke liye PAN card chahiye kya", "iec"),
    ("What is the rate of subsidy under gateway port scheme?", "upepb-gateway-port"),
    ("air freight scheme me kis rate se paisa milta hai", "upepb-air-freight"),
    ("ODOP margin money loan ka interest rate kya hai", "odop-margin-money"),
])
def test_hint_words_do_not_refuse_a_question_about_a_scheme(talk, message, entry_id):
    (turn,) = talk(message)
    assert turn.kind == "answer" and turn.outcome.entry.id == entry_id


def test_sms_speak_without_vowels_is_read(engine):
    query = engine.index.parse("lethr prdcts xport subsdy")
    assert query.tokens == ("leather", "product", "export", "subsidy")


def test_an_hs_code_for_a_product_known_only_as_odop_gets_an_honest_partial_answer(talk):
    (terracotta,) = talk("HS code for terracotta")
    assert terracotta.kind == "partial" and not terracotta.outcome.matched
    assert terracotta.replies[0].text == (
        "Terracotta is the ODOP (One District One Product) product of Gorakhpur.\n"
        "Its exact HS code is not in my documents, so I will not guess it.\n"
        "Please ask the District Industries Centre (DIC / DIEPC), Gorakhpur: they can tell you.\n\n"
        "Source: Lok Sabha starred question 155, Annexure-I (/source)")
    assert [[b.data for b in row] for row in terracotta.replies[0].buttons] == [["e:gorakhpur"], ["menu"]]
    (moonj,) = talk("which countries buy moonj products")
    assert moonj.kind == "partial"
    assert moonj.replies[0].text.startswith("Moonj Products is the ODOP (One District One Product) product of these "
                                            "districts: Amethi, Prayagraj, Sultanpur.\nIts target countries are not in "
                                            "my documents, so I will not guess them.")
    (hindi,) = talk("मूंज के सामान का एचएस कोड", state=UserState(lang="hi"))
    assert hindi.kind == "partial" and hindi.replies[0].text.startswith("मूंज के उत्पाद इन ज़िलों का ODOP")
    (brass,) = talk("pital ke bartan ka hs code")      # "Pital Nagri" (Moradabad) does not make brass a district
    assert brass.kind == "partial" and brass.replies[0].text.startswith("Brass Utensils is the ODOP")
    code, markets = talk("terracotta ka hs code", "aur market?")       # a follow-up of a partial answer
    assert markets.kind == "partial" and "Its target countries are not in my documents" in markets.replies[0].text
    # A product whose code the documents give is answered as always.
    (saddlery,) = talk("hs code for saddlery")
    assert saddlery.kind == "answer" and saddlery.outcome.entry.id == "hs-4201"


@pytest.mark.parametrize("message", ["मेरी कानपुर में टेनरी है। चमड़े के जूते का HS कोड क्या है?",
                                     "I have a tannery in Kanpur. What is the HS code of leather shoes?"])
def test_what_the_user_tells_about_themselves_does_not_turn_a_known_code_into_a_partial_answer(talk, message):
    # It was "Leather Products is Kanpur Nagar's ODOP product; its exact HS code is not in my documents".
    (turn,) = talk(message)
    assert turn.kind == "answer" and turn.outcome.entry.id == "hs-6403"


def test_one_districts_markets_are_not_anothers(talk):
    # "Which countries buy Agra shoes" was Kanpur's leather footwear markets, answered as Agra's.
    (turn,) = talk("which countries buy Agra shoes")
    assert turn.kind == "partial" and turn.outcome.entry.id == "agra"
    assert "Its target countries are not in my documents" in turn.replies[0].text
    (kanpur,) = talk("Kanpur shoes target markets")
    assert kanpur.kind == "answer" and kanpur.outcome.entry.id == "market-kanpur-leather-footwear"
    # Bhadohi's carpets were the Hathras carpets' SWOT; Hathras's own markets stay answered.
    (bhadohi,) = talk("bhadohi carpet kis desh me bikta hai")
    assert bhadohi.kind == "partial" and bhadohi.outcome.entry.id == "sant-ravidas-nagar"
    (hathras,) = talk("hathras carpet kis desh me bikta hai")
    assert hathras.kind == "answer" and hathras.outcome.entry.id == "market-hathras-cotton-carpets"


def test_a_products_code_is_not_an_institute_that_shares_its_words(talk):
    # "bhadohi carpet hs code" was the carpet technology institute of Bhadohi.
    (turn,) = talk("bhadohi carpet hs code")
    assert turn.kind == "answer" and turn.outcome.entry.kind == "hs_code"


def test_two_districts_in_one_odop_question_are_answered_together(talk):
    (turn,) = talk("baghpat aur hapur dono ka odop same hai kya")
    assert turn.kind == "answer"
    assert turn.replies[0].text.splitlines()[:3] == [
        "ODOP (One District One Product) products of these districts:",
        "• Baghpat: Home Decorative Goods", "• Hapur: Home Decorative Goods"]
    (one,) = talk("kanpur dehat ka odop")                     # "Kanpur Dehat" does not also name Kanpur Nagar
    assert one.outcome.entry.id == "kanpur-dehat" and "Kanpur Nagar" not in one.replies[0].text


def test_a_long_message_is_read_for_its_question_with_the_context_as_a_hint(talk):
    (shoes,) = talk("I am a shoe maker in Kanpur. Which countries should I target?")
    assert shoes.kind == "answer" and shoes.outcome.entry.id == "market-kanpur-leather-footwear"
    (brass,) = talk("Main Moradabad me pital ka kaam karta hoon. Mere jile ka odop kya hai?")
    assert brass.kind == "answer" and brass.outcome.entry.id == "moradabad"
    # A one-word question leans on the context and is not answered from the word alone.
    (training,) = talk("मैं फिरोजाबाद में चूड़ी बनाता हूँ। क्या मुझे ट्रेनिंग मिल सकती है?")
    assert training.kind != "answer" or training.outcome.entry.id != "iistem"


@pytest.mark.parametrize("message", [
    "I have a hosiery unit in Kanpur, how do I start exporting",
    "mera hosiery ka kaam hai, export kaise shuru karu",
    "हमारा होजरी का काम है, एक्सपोर्ट कैसे शुरू करें",
])
def test_a_sentence_that_tells_then_asks_is_read_for_its_question(talk, message):
    # The clause before the comma says who they are; the one after it is the question (it was the Kanpur hosiery
    # cluster's card, or the SOP glossary entry).
    (turn,) = talk(message)
    assert turn.kind == "answer" and turn.outcome.entry.id == "how-to-start-exporting"


@pytest.mark.parametrize("message", ["मेरा पासपोर्ट खो गया है, नया कैसे बनेगा?", "My passport is lost, how do I get a new one?"])
def test_what_is_off_topic_in_a_telling_clause_still_declines(talk, engine, message):
    (turn,) = talk(message)
    assert turn.kind in ("refuse", "off_topic"), (turn.kind, turn.outcome and turn.outcome.entry)


@pytest.mark.parametrize("message", ["इसे किन देशों में भेज सकते हैं", "mera maal videsh me kaise bikega", "target markets?"])
def test_markets_asked_with_no_product_are_not_one_products_markets(talk, message):
    # They were the men's briefs, Kanpur hosiery and engineering markets cards, answered.
    (turn,) = talk(message)
    assert turn.kind == "suggest", (turn.kind, turn.outcome.entry)


def test_markets_asked_with_a_pronoun_after_an_answer_are_that_products(talk):
    code, markets = talk("HS code for saddlery", "इसे किन देशों में भेज सकते हैं")
    assert code.outcome.entry.id == "hs-4201"
    assert markets.kind == "answer" and markets.outcome.entry.id == "market-kanpur-saddlery"


def test_markets_of_something_that_has_none_are_not_another_products(talk):
    # IEC is a code, not a product: its "target markets" were the engineering goods' markets, answered.
    iec, markets = talk("what is IEC", "target markets?")
    assert iec.outcome.entry.id == "iec"
    assert markets.kind != "answer" or markets.outcome.entry.id == "iec", markets.outcome.entry.id
    (alone,) = talk("iec target markets")
    assert alone.kind == "suggest"


@pytest.mark.parametrize("message", ["Moradabad ke brass exporters ki list bhejo", "list of brass exporters in Moradabad",
                                     "मुरादाबाद के निर्यातकों की सूची"])
def test_a_directory_of_firms_is_declined(talk, engine, message):
    (turn,) = talk(message)
    assert turn.kind == "off_topic" and turn.replies[0].text == engine.refusal("hi" if "मु" in message else "en", None)


def test_how_long_asked_alone_is_no_answer_and_after_a_scheme_stays_with_it(talk):
    # "kitne din me milta hai" was the skill-toolkit scheme (its "10-day" training), alone and after Margin Money.
    (alone,) = talk("kitne din me milta hai")
    assert alone.kind in ("suggest", "refuse")
    scheme, days = talk("margin money scheme", "kitne din me milta hai")
    assert scheme.outcome.entry.id == "odop-margin-money"
    assert days.outcome.entry is None or days.outcome.entry.id == "odop-margin-money"


@pytest.mark.parametrize("message", [
    "mujhe export karna hai", "export karna chahta hoon kya karna padega", "मुझे निर्यात करना है",
    "main moradabad se hoon, pital ke bartan banata hoon. export karna chahta hoon, kya karna padega?",
])
def test_i_want_to_export_is_how_to_start(talk, message):
    # These were a did-you-mean, or (the long one) Mirzapur's ODOP card.
    (turn,) = talk(message)
    assert turn.kind == "answer" and turn.outcome.entry.id == "how-to-start-exporting"


def test_where_the_user_lives_does_not_pull_an_answer_away_from_what_they_ask(talk):
    # The DGFT card (whose text names Moradabad) won over the IEC entry.
    (turn,) = talk("Namaste ji, main Moradabad mein brass ka kaam karta hoon. IEC kaise milega?")
    assert turn.kind == "answer" and turn.outcome.entry.id == "iec"


def test_a_question_many_districts_fit_is_about_the_users_own_district(talk):
    # "ODOP product" from a Moradabad user was a did-you-mean of Mathura, Hathras and Aligarh.
    (turn,) = talk("ODOP product", state=UserState(lang="en", district="moradabad", subscription="none"))
    assert turn.kind == "answer" and turn.outcome.entry.id == "moradabad"
    (anyone,) = talk("ODOP product")
    assert anyone.kind == "suggest"


def test_my_district_means_the_users_own_district(talk):
    (agra,) = talk("What is the ODOP of my district?", state=UserState(lang="en", district="agra", subscription="none"))
    assert agra.kind == "answer" and agra.outcome.entry.id == "agra"
    (hindi,) = talk("मेरे ज़िले का ओडीओपी क्या है?", state=UserState(lang="hi", district="agra", subscription="none"))
    assert hindi.outcome.entry.id == "agra" and hindi.replies[0].text.startswith("आगरा: ODOP उत्पाद")
    (named,) = talk("mere jile hathras ka odop", state=UserState(lang="en", district="agra", subscription="none"))
    assert named.outcome.entry.id == "hathras"                 # a district named in the message wins
    # Before the user has chosen a district, the bot asks which one instead of guessing.
    (unknown,) = talk("What is the ODOP of my district?")
    assert unknown.kind == "need_district" and unknown.state.step == "district"
    assert unknown.replies[0].text.startswith("Which district are you from?")


def test_which_districts_make_a_product_lists_every_one(talk):
    (carpets,) = talk("kis jile ka odop carpet hai")
    lines = carpets.replies[0].text.splitlines()
    assert lines[0] == "This is an ODOP (One District One Product) product of these districts:"
    assert {"• Jaunpur: Woollen Carpets (Dari)", "• Mirzapur: Carpets", "• Sitapur: Carpets (Dari)",
            "• Sonbhadra: Carpets"} <= set(lines)
    # No product and no district named: which district is not said, so no district's card is guessed.
    (vague,) = talk("district ka odop kya hai")
    assert vague.kind == "need_district"
    (agra,) = talk("district ka odop kya hai", state=UserState(lang="en", district="agra", subscription="none"))
    assert agra.outcome.entry.id == "agra"


def test_a_question_that_leans_on_the_one_before_it_in_the_same_message_is_not_answered_alone(talk):
    (turn,) = talk("Hello sir, I am from Lucknow and do chikankari with 40 women. We want to take part in a fair in "
                   "Paris. Will the government pay for our stall and flights? How many people can go?")
    assert all("Skill Development" not in r.text for r in turn.replies)
    (first_step,) = talk("Bhai hum Meerut me sports ka saman banate hai. Export shuru karna hai. Pehla kadam kya hoga?")
    assert first_step.kind == "answer" and first_step.outcome.entry.id == "how-to-start-exporting"


def test_one_sentence_asking_two_things_gets_both_answers(talk):
    (turn,) = talk("What is the HS code of saddlery and which countries import it?")
    assert [r.text.splitlines()[0] for r in turn.replies] == [
        "HS code 4201: Saddlery and harness for any animal (8-digit line in the Kanpur table: 42010000)",
        "Target markets: leather saddlery & harness (HS 4201 / 420100), Kanpur"]
    (hinglish,) = talk("sample bhejne pe kitna milta hai aur ISO certificate pe kitna")
    assert [r.text.splitlines()[0] for r in hinglish.replies] == [
        "MDA: sending samples to foreign buyers – UP Export Promotion Bureau",
        "MDA: ISO / BSO certification – UP Export Promotion Bureau"]
    # ... with the context around it: the first part leans on "I make saddles", the second on the first
    (long,) = talk("I make saddles in Kanpur. What is the HS code and which countries buy it?")
    assert [r.text.splitlines()[0][:20] for r in long.replies] == ["HS code 4201: Saddle", "Target markets: leat"]
    # One thing with "and" in it stays one answer.
    (one,) = talk("HS code for door and window fittings")
    assert len(one.replies) == 1 and one.outcome.entry.id == "hs-830241"


def test_a_fact_of_one_districts_cluster_is_not_the_answer_to_a_question_naming_neither(talk, engine):
    (turn,) = talk("do i need a warehouse for export")
    assert turn.kind == "suggest" and not turn.outcome.matched
    assert "kanpur-leather-raw-material" in [e.id for e in turn.outcome.suggestions]
    # Naming the place, its trade or a place the entry speaks of (Sadabad, in Hathras) answers it.
    assert talk("raw hide warehouse for kanpur tanneries")[0].outcome.entry.id == "kanpur-leather-raw-material"
    assert talk("sadabad mini industrial area me kitne plot h")[0].outcome.entry.id == "hathras-industrial-areas"


def test_sms_r_and_d_are_are_and_the_but_r_and_d_joined_is_research(engine):
    assert engine.ask("wht r d rules for sample subsidy").entry.id == "upepb-mda-samples"
    assert engine.ask("what is R&D").entry.id == "abbr-rnd"
    assert engine.index.parse("R & D centre").tokens[0] == "rnd"


def test_romanised_hindi_plurals_of_a_synonym_are_understood(engine):
    assert "institute" in engine.index.parse("kaun kaun si sansthayein madad karti hain").tokens
    assert "artisan" in engine.index.parse("karigaron ko toolkit").tokens


def test_a_follow_up_pointing_back_with_unko_and_a_sibling_code(talk):
    cfc, done, users = talk("odop cfc scheme kya hai", "kitne complete ho chuke hain", "unko kitne log use karte hain?")
    assert users.outcome.entry.id == "odop-cfc" and "3,620" in users.replies[0].text
    men, women = talk("I make men's knitted cotton innerwear in Kanpur. Which HSN code should I use?", "and for women's?")
    assert men.outcome.entry.id == "hs-6107"
    assert "6108" in women.replies[0].text
    fare, airports = talk("air cargo se maal bhejne pe kitni subsidy milti hai", "kaun kaun se airport se milta hai?")
    assert airports.outcome.entry.id == "upepb-air-freight"


def test_an_entry_of_another_district_than_the_one_named_is_not_the_answer(talk):
    (turn,) = talk("हाथरस में कितने स्कूल हैं?")           # Lalitpur's ODOP is school dress; Hathras is named
    assert not turn.outcome.matched
    (dehat,) = talk("How many people live in Kanpur Dehat?")   # the documents give Kanpur Nagar's population only
    assert not dehat.outcome.matched
    assert talk("lalitpur ka school dress odop")[0].outcome.entry.id == "lalitpur"


def test_follow_ups_asking_for_another_aspect_of_the_same_place(talk):
    population, area, crops = talk("What is the population of Kanpur Nagar?", "and its area?", "and the main crops?")
    assert "3,155" in area.replies[0].text and "wheat" in crops.replies[0].text.lower()
    cluster, markets, codes = talk("Tell me about the Kanpur plastic products cluster",
                                   "what are its main export destinations?", "and the HS codes?")
    assert "Germany" in markets.replies[0].text and "630533" in codes.replies[0].text
    chosen, primary = talk("उत्तर प्रदेश में कितने उत्पाद चुने गए हैं?", "इनमें मुख्य उत्पाद कितने हैं?")
    assert primary.outcome.entry.id == "odop-programme" and "75" in primary.replies[0].text


def test_a_follow_up_word_that_is_off_topic_alone_is_read_with_the_previous_question(talk):
    exports, units, population = talk("I am from Kanpur Nagar. What is the total export from my district?",
                                      "and how many MSME units are there?", "population?")
    assert population.outcome.entry.id == "kanpur-population-workforce"
    training, fee = talk("ODOP skill training ke baare me batao", "isme fees lagti hai kya?")
    assert fee.outcome.entry.id == "odop-skill-toolkit" and "no fee" in fee.replies[0].text
    iso, passport = talk("ISO certificate ke kharche me kitni madad milti hai", "aur passport banwane me?")
    assert not passport.outcome.matched
    odop, weather = talk("hathras ka odop kya hai", "aur wahan kal barish hogi?")
    assert not weather.outcome.matched


def test_a_figure_asked_of_another_place_that_the_documents_do_not_give_is_declined(talk):
    kanpur, lucknow, odop = talk("kanpur nagar ki aabadi kitni hai", "aur lucknow ki?", "lucknow ka odop kya hai")
    assert "4,581,268" in kanpur.replies[0].text
    assert lucknow.kind == "refuse"                       # not Lucknow's ODOP card for Lucknow's population
    assert odop.outcome.entry.id == "lucknow"


def test_the_same_subject_goes_on_over_several_follow_ups(talk):
    depc, secretary, plan = talk("What is the DEPC?", "who is its member secretary?", "what does it prepare?")
    assert [t.outcome.entry.id for t in (depc, secretary, plan)] == ["depc", "depc", "depc"]
    grant, built, sambhal = talk("odop cfc me kitna grant milta hai", "abhi tak kitne bane?", "sambhal me kya hua?")
    assert built.outcome.entry.id == "odop-cfc" and "15" in built.replies[0].text


@pytest.mark.parametrize("message", ["target markets for locks", "locks export markets", "tala export kahan hota hai"])
def test_markets_of_a_product_an_entry_only_excludes_or_mentions_are_not_answered(talk, message):
    # Door-fittings markets (HS 830241 "excluding locks with keys"; "add digital locks") and CE marking ("... to tap
    # international markets") were given as the markets for locks; the documents know locks as Aligarh's ODOP only.
    (turn,) = talk(message)
    assert turn.kind == "partial" and turn.outcome.entry.id == "aligarh"
    assert turn.replies[0].text.startswith("Lock & Hardware is the ODOP (One District One Product) product of Aligarh.\n"
                                           "Its target countries are not in my documents, so I will not guess them.")


def test_what_a_text_says_is_excluded_is_not_what_it_speaks_of():
    assert said("Base metal fittings for buildings (excluding locks with keys and hinges) - Hathras") == \
        "Base metal fittings for buildings ( ) - Hathras"
    assert said("Carpets etc. of cotton (not durries)").split() == ["Carpets", "etc.", "of", "cotton"]
    assert said("धातु की फिटिंग (दरवाज़े-खिड़की की फिटिंग; चाबी वाले ताले और कब्ज़े इसमें नहीं)") == \
        "धातु की फिटिंग (दरवाज़े-खिड़की की फिटिंग; )"
    assert said("CE marking is not named in it.") == "CE marking is not named in it."


def test_a_state_figure_is_not_answered_with_a_district_fact_that_ties_with_it(engine):
    outcome = engine.ask("UP ka export 2020-21 me kitna tha")
    assert outcome.entry.id == "up-export-growth" and "1.21" in outcome.text
    assert engine.ask("What are the four ODOP schemes?").entry.id == "odop-schemes"



def test_a_figure_or_code_an_odop_card_does_not_give_gets_the_honest_partial_answer(talk):
    (turnover,) = talk("kushinagar banana fibre ka turnover")
    assert turnover.kind == "partial" and not turnover.outcome.matched
    assert turnover.replies[0].text == (
        "Banana Fiber Products and Banana Products is the ODOP (One District One Product) product of Kushinagar.\n"
        "What you ask about it is not in my documents for this district, so I will not guess.\n"
        "Please ask the District Industries Centre (DIC / DIEPC), Kushinagar: they can tell you.\n\n"
        "Source: Lok Sabha starred question 155, Annexure-I (/source)")
    (markets,) = talk("moradabad brass kis desh me jata hai")
    assert markets.kind == "partial" and "Its target countries are not in my documents" in markets.replies[0].text
    # "its HS code?" after an ODOP card asks about the district's first ODOP product.
    odop, code = talk("meerut ka odop kya hai", "iska hs code?")
    assert odop.outcome.entry.id == "meerut" and code.kind == "partial"
    assert code.replies[0].text.startswith("Sports Goods is the ODOP (One District One Product) product of Meerut.\n"
                                           "Its exact HS code is not in my documents")
    odop, code = talk("kanpur ka odop", "iska hs code")          # the documents give leather's codes: answered
    assert code.kind == "answer" and "42010000" in code.replies[0].text
    # The ODOP asked together with its HS code: the card, then what is not known.
    (both,) = talk("firozabad ka odop kya hai aur uska hs code kya hai")
    assert both.kind == "answer" and both.outcome.entry.id == "firozabad"
    assert both.replies[1].text.startswith("Glassware is the ODOP")


def test_a_close_entry_speaking_of_the_subject_asked_goes_first(engine):
    hosiery = engine.ask("how many people do hosiery units in kanpur nagar employ")
    assert hosiery.entry.id == "kanpur-hosiery-cluster" and "65,000" in hosiery.text
    footwear = engine.ask("Number of footwear units in Kanpur")
    assert footwear.entry.id == "kanpur-footwear"
    # ... but not one that leaves out the kind of answer asked (countries).
    assert engine.ask("hathras door handle kabza market").entry.id == "market-hathras-door-window-fittings"


def test_several_hs_codes_that_fit_are_answered_by_the_entry_listing_them(talk):
    engineering, plastics = talk("HS codes for Kanpur engineering goods", "and for plastic products?")
    assert plastics.outcome.entry.id == "kanpur-plastics-cluster"
    assert all(code in plastics.replies[0].text for code in ("391721", "391723", "630533", "392310"))


def test_what_is_a_term_is_answered_by_its_own_entry(engine):
    assert engine.ask("What is RoDTEP?").entry.id == "abbr-rodtep"
    assert engine.ask("iec kya hota hai aur kyu zaroori hai").entry.id == "iec"
    # Of two entries titled by the word, the one whose title says least besides is the term's own.
    assert engine.ask("what is odop").entry.id == "odop-programme"
    assert engine.ask("UPEPB kya hai").entry.id == "upepb"
    assert engine.ask("what is hs code").kind == "suggest"       # one code among many is no definition


def test_an_old_name_is_answered_by_the_district_history_not_its_odop_card(engine):
    outcome = engine.ask("hathras ka purana naam kya tha")
    assert outcome.entry.id == "hathras-history" and "Mahamaya Nagar" in outcome.text


def test_help_asked_for_a_districts_odop_product_is_the_odop_scheme_not_the_card(talk):
    odop, training, loan = talk("bareilly ka odop kya hai", "iske liye koi training milti hai?", "aur loan?")
    assert [t.outcome.entry.id for t in (odop, training, loan)] == ["bareilly", "odop-skill-toolkit", "odop-margin-money"]
    (carving,) = talk("saharanpur wood carving walon ko loan kaise milega")
    assert carving.kind == "answer" and carving.outcome.entry.id == "odop-margin-money"
    (glass,) = talk("firozabad glass ke liye koi scheme hai kya")
    assert glass.outcome.entry.id == "odop-schemes"
    (where,) = talk("kanpur saddlery kahan jati hai")          # "where does it go": its markets
    assert where.outcome.entry.id == "market-kanpur-saddlery"


def test_a_pronoun_keeps_the_previous_subject_and_adds_the_new_one(talk):
    cluster, cfc = talk("hathras me readymade garments ka cluster kaisa hai", "iske liye cfc me kya milega")
    assert cluster.outcome.entry.id == "hathras-garments-cluster"
    assert cfc.outcome.entry.id == "hathras-garments-challenges" and "washing plant" in cfc.replies[0].text
    # Without a pronoun the new subject takes the old one's place, as before.
    saddlery, footwear = talk("saddlery ka hs code", "aur footwear ka?")
    assert "4201" in saddlery.replies[0].text and footwear.outcome.entry.id != saddlery.outcome.entry.id


def test_how_to_export_a_districts_product_is_the_how_to_start_entry(talk):
    product, how = talk("main kannauj me attar banata hu", "iska export kaise karu")
    assert product.outcome.entry.id == "kannauj" and how.outcome.entry.id == "how-to-start-exporting"
    (alone,) = talk("export kaise karu")
    assert alone.kind == "answer" and alone.outcome.entry.id == "how-to-start-exporting"
    (help_me,) = talk("meri madad karo")
    assert help_me.kind == "smalltalk"


def test_a_district_card_is_not_the_answer_to_a_question_about_something_else(talk):
    for message in ("Moradabad brass ka sabse bada buyer kaun hai USA me", "Varanasi ki silk saree ka online order kaise karu"):
        (turn,) = talk(message)
        assert turn.kind == "partial" and not turn.outcome.matched, message
        assert "is not in my documents for this district" in turn.replies[0].text
    (shop,) = talk("Lucknow me chikan ki best shop")             # a shop is declined outright
    assert shop.kind == "off_topic"
    (odop,) = talk("lucknow ka odop")                           # what the card is for
    assert odop.kind == "answer" and odop.outcome.entry.id == "lucknow"


def test_did_you_mean_offers_entries_about_the_question_before_a_districts_facts(engine):
    outcome = engine.ask("निर्यात के लिए लोन कैसे मिलेगा")
    assert outcome.kind == "suggest"
    assert [e.id for e in outcome.suggestions[:2]] == ["sidbi", "odop-margin-money"]
    assert all(e.district is None for e in outcome.suggestions[:2])


def test_a_long_message_whose_question_names_no_subject_is_read_with_what_the_user_makes(talk):
    (sacks,) = talk("I have a unit in Kanpur making PP woven sacks. We want to export to Europe. "
                    "What HS code should we use and which countries import from Kanpur?")
    assert "630533" in sacks.replies[0].text
    (samples,) = talk("Namaskar. Main Sant Kabir Nagar se hoon. Humare yahan ke brass ke bartan videsh bhejne hain. "
                      "Iske liye samples bhejne par kitna paisa milega?")
    assert samples.outcome.entry.id == "upepb-mda-samples" and "75%" in samples.replies[0].text


@pytest.mark.parametrize("message", ["Hathras ke hing ka swad kaisa hota hai", "Bhadohi carpet saaf kaise karein",
                                     "How many hours does the Kanpur tannery workers work per day?",
                                     "Kanpur me tannery ka pollution NOC renew kaise karwayein?"])
def test_everyday_near_misses_about_a_known_product_are_declined(engine, message):
    assert not engine.ask(message).matched


def test_batch_j_kinds(talk, engine):
    schemes, air, airports = talk("upepb ki schemes batao", "air freight wali me kitna milta hai", "kaun se airport se?")
    assert air.outcome.entry.id == "upepb-air-freight"          # the word asked has an entry of its own
    assert "Varanasi" in airports.replies[0].text and "Lucknow" in airports.replies[0].text
    (breeches,) = talk("Main Kanpur me ghode ki sawari wali breeches silta hoon, chhota kaam hai. "
                       "Kya Kanpur is cheez ka bada hub hai?")             # "is cheez": what was said before it
    assert "breeches" in breeches.replies[0].text.lower()
    assert not engine.ask("Kanpur ki leather factory me naukri kaise milegi").matched
    winter = engine.ask("हाथरस में सर्दियों में तापमान कितना नीचे चला जाता है?")
    assert winter.entry.id == "hathras-geography-agriculture" and "2.20" in winter.text
