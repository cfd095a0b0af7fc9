"""Text normalisation shared by the matcher and the validator (no I/O, no state)."""
from __future__ import annotations

import re
import unicodedata

DEVANAGARI = re.compile("[\u0900-\u097F]")
_DEVANAGARI_DIGITS = str.maketrans("०१२३४५६७८९", "0123456789")
# Precomposed nukta letters (क़ ख़ ग़ ज़ ड़ ढ़ फ़ य़) and the nukta sign itself: people type
# them either way, so matching ignores the nukta.
_NUKTA_LETTERS = {
    "\u0958": "\u0915", "\u0959": "\u0916", "\u095A": "\u0917", "\u095B": "\u091C",
    "\u095C": "\u0921", "\u095D": "\u0922", "\u095E": "\u092B", "\u095F": "\u092F",
}
_FOLD = str.maketrans({**_NUKTA_LETTERS, "\u093C": None, "\u0901": "\u0902",  # chandrabindu -> anusvara
                       "\u200c": None, "\u200d": None, "\u0964": " ", "\u0965": " "})
_NON_WORD = re.compile(r"[^0-9a-z\u0900-\u097F]+")
_DIGIT_LETTER = re.compile(r"(?<=\d)(?=[a-z])|(?<=[a-z])(?=\d)")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d)")


# Initials joined by "&" are one word ("R&D" -> "rnd"), so "wht r d ..." (what are the) is not read as R&D.
INITIALS = re.compile(r"(?<![A-Za-z])([A-Za-z])\s*&\s*([A-Za-z])(?![A-Za-z])")


def join_initials(text: str) -> str:
    return INITIALS.sub(r"\1n\2", text) if "&" in text else text


def has_devanagari(text: str) -> bool:
    return bool(DEVANAGARI.search(text))


def normalise(text: str) -> str:
    """Lower-case, NFC, international digits, no punctuation, single spaces.

    Unlike ``rapidfuzz.utils.default_process`` this keeps Devanagari vowel signs.
    """
    text = unicodedata.normalize("NFC", join_initials(text)).lower().translate(_DEVANAGARI_DIGITS)
    text = unicodedata.normalize("NFC", unicodedata.normalize("NFD", text).translate(_FOLD))
    text = _THOUSANDS.sub("", text)
    text = _NON_WORD.sub(" ", text)
    text = _DIGIT_LETTER.sub(" ", text)
    return " ".join(text.split())


# Words that carry no topic on their own, in English, Hindi and Hinglish.
STOPWORDS: frozenset[str] = frozenset("""
a an the is are was were be been am do does did doing done have has had having i me my mine we our us you your n
he she it its they them their this that these those there here what which who whom whose when where why how
of in on at to for from by with about into onto over under than then so such as and or but if not no nor
can could may might shall should will would must please pls plz tell give know want need get got let
any some all each every much many more most very also just only own same too s t r d u y c ok okay hi hello dear sir madam
ji kya kya hai hain hai ho hota hoti hote hoga hogi honge tha thi the kaun kon koi kuch kis kisko kise kisse kisase kis se kisne kab kaha kahan
kaise kese kaisa kitna kitni kitne ka ki ke ko se me mein mai main par pe aur ya bhi hi to toh na nahi nhi mujhe
mera meri mere hum hamara hamare hamari aap aapka aapki apna apni apne tum tumhara yeh ye yah woh wo vo vah us usme
iske uske iska uska liye lie lia batao bataye bataiye bataen btao bolo samjhao chahiye chahie milta milti milte
milega milegi mil sakta sakti sakte sake kar karna karne karo karen karein karta karte karti jata jati jate jaata
wala wali wale vala vali vale raha rahi rahe about regarding explain means mean meaning
है हैं था थी थे हो होता होती होते होगा होगी क्या कौन कौनसा कौन सा कोई कुछ किस किसे किसको कब कहाँ कहां कैसे
कैसा कितना कितनी कितने का की के को से में मे पर और या भी ही तो न नहीं मुझे मेरा मेरी मेरे हम हमारा हमारे
हमारी आप आपका आपकी अपना अपनी अपने यह ये वह वो इस उस इसके उसके इसका उसका लिए लिये बताओ बताइए बताएं बताये
बताइये समझाओ चाहिए मिलता मिलती मिलते मिलेगा मिलेगी मिल सकता सकती सकते कर करना करने करो करें करता करते
करती जाता जाती जाते वाला वाली वाले रहा रही रहे जी कृपया
since held big recently recent currently current now today exactly actually really kind sort type types like
there's what's whats where's hai? h hy hain? kaunse kaunsa konsa konse kaunsi konsi kon si gayi gaya gaye hua hui hue
jaye jaen jaayen jana jane jaana jaate kare kre kru karu karun karoon kaha kahaan kidhar abhi ab kab se
sath saath kiya kiye kie साथ किया किये किए बताइए किन जाते
hu hoon hun hoo raha rahi rahe rha rhi rhe tha thi the sakte sakta sakti skte skta sakenge sakega padta padti padte
padega padegi pdta lagti lagta lagte chalega chalegi chahta chahti chahte chahiye wala wale wali vaale waale walon
walo unko unke unki inko inke inki isko iske iski usko uske uski liye lie mere meri mera mujhe hame hamein humko
apko aapko tumko kuch koi bas sirf hoga hogi honge hote hoti ho jaye jayega jayegi jaega gaya gayi gaye de dena dete
deti dijiye dijie do le lena lete leti lijiye lo milegi milega milenge milta milti milte mil ke ki ka ko se me mai
mein pe par ne ye yeh wo woh vo is us kis kisi kaise kese kaisa kyu kyon kyun kya kyaa h hh ha haan han ji hello
please pls plz sir madam bhai bhaiya didi aata aate aati aaye aaya yaha yahan yahaan wahan waha idhar udhar
bheje bheja bhejna bhejne bhejte degi dega denge deti dete diya diye di chuke chuka chuki mila mili mile har
इसमें उसमें इससे उससे इसी उसी इन्हें उन्हें इनमें उनमें ismein usmein isse usse सी सा मैं मै ek एक
hone होने bata bta batayein bataiyen bataein sabke sabka sabki saare sare chal chalte chalti rahi rahe milke mil kar karwana karvana
already someone somebody something anything everything nothing anyone everyone anybody told say says said ask asked
asking read heard hear hearing before almost according because though although while during near try trying tried
cannot don doesn didn won isn aren wasn weren haven hasn his her hers him himself herself myself ourselves yourself
lot lots bit yet even ever again maybe perhaps whether either neither both other others another thanks thank
namaste namaskar namaskaar pranam morning evening afternoon father mother brother sister son daughter wife husband
uncle aunt cousin nephew niece family families friend friends hindi english angrezi party parties run runs
directly mostly usually generally basically simply baare bare baray बारे
suna suni sune sunna baat jo jab tab agle agla agli pichle pichla pichli sirf bahut bohot bahot thoda thodi zara
maloom malum lekin magar kyunki kyonki isliye phir fir waise vaise bilkul shukriya dhanyawad dhanyavad
सुना सुनी बात जो जब तब अगले अगला अगली पिछले पिछला सिर्फ़ सिर्फ बहुत थोड़ा ज़रा मालूम लेकिन मगर क्योंकि इसलिए फिर
वैसे बिल्कुल धन्यवाद शुक्रिया नमस्ते नमस्कार प्रणाम हिंदी हिन्दी अंग्रेज़ी अंग्रेजी परिवार भाई पिता पापा बेटा बेटे पत्नी
वालों वाले वाली वाला मेरा मेरी मेरे हमें हमको आपको उनको उनके उनकी इनको इसके उसके लिए रहा रही रहे हूँ हूं था थी थे
सकते सकता सकती पड़ता पड़ती पड़ेगा लगती लगता चलेगा चाहिए दें देना दीजिए लें लेना लीजिए मिलेगी मिलेगा भाई साहब जाता जाती जाएं जाएँ जाये जाना करूं करूँ करे कहां अभी अब गया गई गए हुआ हुई हुए आता आते आती आया यहाँ यहां वहाँ वहां भेजे भेजा भेजना देगी देगा देंगे
""".split())

# Function words that mark a question as Hinglish (romanised Hindi), not English.
HINGLISH_MARKERS: frozenset[str] = frozenset("""
ka ki ke ko se me mein hai hain h kya kaise kese kitna kitni kitne kahan kaha kab kaun kon kis aur bhi
nahi nhi hota hoti hote milta milti liye wala wale wali chahiye karna karne batao
""".split())

# Words that mark a question as plainly outside an export helpdesk. A question
# holding one is refused outright (no "did you mean"), unless it also names
# something the knowledge base is specifically about.
OFF_TOPIC: frozenset[str] = frozenset("""
weather rain rains raining forecast temperature cricket ipl match score football movie movies film films song songs
music sing dance joke jokes funny bitcoin crypto cryptocurrency ethereum stock stocks sensex nifty horoscope
astrology recipe recipes cook cooking girlfriend boyfriend love marry marriage diet weight lose exercise gym
election vote politics game games play news
mausam barish baarish barsaat garmi sardi thand gana gaana gane gaane film picture chutkula chutkule mazak majak
shadi shaadi pyar khana recipe wedding weddings vivah विवाह
tatkal irctc pnr railway-ticket doctor hospital fever bukhar headache stomach pain dard bimari
बुखार दर्द बीमारी डॉक्टर अस्पताल तत्काल
प्रधानमंत्री मुख्यमंत्री राष्ट्रपति pradhanmantri mukhyamantri rashtrapati president minister pm cm
मौसम बारिश बरसात गर्मी सर्दी ठंड क्रिकेट मैच गाना गाने फिल्म फ़िल्म चुटकुला चुटकुले मजाक मज़ाक बिटकॉइन शादी प्यार
passport passports visa visas पासपोर्ट वीजा वीज़ा driving ड्राइविंग aadhaar aadhar आधार ration राशन pension पेंशन
scholarship exam exams admission परीक्षा दाखिला itr आयकर incometax
price prices pricing daam dam bhav bhaav keemat kimat kimmat कीमत क़ीमत दाम भाव rate rates
today todays tomorrow aaj आज कल kal hotel hotels होटल sasta sasti सस्ता सस्ती
cheap cheapest population jansankhya abadi aabadi जनसंख्या आबादी
trademark trademarks patent patents copyright timing timings literacy saksharta साक्षरता
distance doori duri दूरी km kilometre kilometer salary salaries tankhwah tankhah वेतन तनख्वाह
pmegp mudra vishwakarma svanidhi cgtmse standup kcc ayushman मुद्रा विश्वकर्मा municipal car cars bike bikes scooter
sbi pnb hdfc icici axis canara fee fees फीस शुल्क
bandh hartal strike curfew हड़ताल कर्फ्यू profit profits munafa मुनाफा मुनाफ़ा
award awards prize prizes winner winners puraskar पुरस्कार
noc renew renewal renewed
swad swaad taste tasty स्वाद hour hours ghante ghanta घंटे घंटा
vacancy vacancies recruitment
""".split())

# Off-topic words that are only a hint: "the price of a jacket" is a shop's business, "the rate of the subsidy" is
# ours. They refuse unless the question also asks about support (a scheme, subsidy, loan, fair...).
WEAK_OFF_TOPIC: frozenset[str] = frozenset("""
price prices pricing rate rates today todays tomorrow aaj आज कल kal hotel hotels होटल cheap cheapest sasta sasti सस्ता सस्ती
""".split()) | {"kis rate", "किस रेट", "किराये पर", "किराए पर", "किराये पे", "kiraye pe", "kiraye par", "kiraye per", "flight ka kiraya", "flight ki kiraya", "flight ka kitna kiraya", "ticket ka kiraya",
                 "flight fare", "फ्लाइट का किराया", "हवाई जहाज का किराया"}
SUPPORT_WORDS: frozenset[str] = frozenset(
    "scheme subsidy assistance loan mda claim stall fair grant benefit margin cfc toolkit incentive".split())

# Phrases that ask for something the documents cannot hold: today's prices, what a thing costs to buy.
OFF_TOPIC_PHRASES = re.compile(r"(?<!\S)(?:income tax|train ticket|train ki ticket|train ka ticket|ticket book|"
                               r"ट्रेन टिकट|ट्रेन का टिकट|ट्रेन की टिकट|dukaan par|dukan par|dukaan pe|dukan pe|"
                               r"दुकान पर|sell for|kitne me bikta|kitne me bikti|kitne mein bikta|kitne mein bikti|kitne ka bikta|kitne ki bikti|"
                               r"कितने में बिकता|कितने में बिकती|kitne rupaye|kitne rupay|kitne ka milta|kitne ki milti|kitne ka milega|kitne ki milegi|kitne ka hai|kitne ki hai|कितने का मिलता|कितने की मिलती|कितने का मिलेगा|कितने की मिलेगी|कितने का है|कितने की है|"
                               r"कितने रुपये|कितने रुपए|किस रेट|kis rate|how much does .* cost|how much is a|"
                               r"pan card kaise|pan card banwana|pan card banana|pan card apply|new pan card|पैन कार्ड कैसे|"
                               r"kitne \S+ me bikta|kitne \S+ me bikti|kitne \S+ mein bikta|kitne \S+ mein bikti|"
                               r"कितने \S+ में बिकता|कितने \S+ में बिकती|kitne euro|kitne dollar|कितने यूरो|कितने डॉलर|gst return|gst registration kaise|gst registration process|"
                               r"register for gst|how to get gst|gst number kaise|gst no kaise|gst kaise|जीएसटी रिटर्न|"
                               r"(?:barish|baarish|barsaat|barsat|mausam|weather|rain|बारिश|मौसम|बरसात) (?:hogi|hoga|rahega|rahegi|kaisa|kaisi|होगी|होगा|रहेगा|रहेगी|कैसा|कैसी)|"
                               r"will it rain|is it going to rain|agle hafte|अगले हफ्ते|अगले हफ़्ते|"
                               r"best courier|which courier|cheapest courier|kaun sa courier|kaunsa courier|where can i buy|where to buy|"
                               r"kahan se kharid\S*|kaha se kharid\S*|कहाँ से खरीद\S*|कहां से खरीद\S*|"
                               # a train to catch (not a training)
                               r"(?:ki|agli|koi) train|train (?:kab|kitne baje|ka time|ki timing|timing|ticket|ka ticket)|"
                               r"train (?:to|from) \w+|next train|(?:की|अगली) ट्रेन|ट्रेन (?:कब|कितने बजे|का समय|का टिकट)|"
                               # where to buy a machine or goods for one's own unit
                               r"(?:machine|machines|machinery|mashin|मशीन|मशीनें) (?:kaha|kahan|kahaan|kidhar|कहाँ|कहां) (?:se )?(?:milegi|milega|milti|milta|milengi|मिलेगी|मिलेगा|मिलती|मिलता)|"
                               r"where (?:can i|to|do i) (?:get|find) (?:a |the )?(?:\w+ )?(?:machine|machines|machinery)|"
                               r"who is (?:the )?(?:current )?(?:dm|collector|district magistrate)|(?:dm|collector|जिलाधिकारी|डीएम|कलेक्टर) (?:kaun|kon|कौन)|"
                               r"(?:dm|officer|adhikari|अधिकारी|डीएम) (?:ka|का) (?:naam|नाम)|name of the (?:dm|officer|collector)|"
                               r"stand up india|standup india|kisan credit card|kisan credit|pm kisan|nagar nigam|नगर निगम|नगर पालिका|nagar palika|"
                               r"gst(?: number| no| registration| certificate)? (?:ke liye|ke documents|documents|ka process)|documents for gst|"
                               r"gst (?:kitna|kitni|rate|lagta|lagti|lagega|kya hai)|gst rate|rate of gst|जीएसटी (?:कितना|कितनी|दर)|"
                               r"(?:warehouse|godown|shop|trade|factory|fire|fssai|food|drug|pollution|gun) (?:licence|license)|"
                               r"documents for gst registration|जीएसटी रजिस्ट्रेशन के लिए|जीएसटी के लिए|"
                               r"(?:customs|import) duty (?:does|do|in|of|at|charged by)|duty does|duty do they|tariff rates?|"
                               r"(?:customs|import) duty (?:kitni|kitna) (?:lagti|lagta|hai)|"
                               r"जीएसटी रजिस्ट्रेशन कैसे|udyam registration|udyam certificate|udyog aadhaar|company registration|pvt ltd|private limited|llp registration|"
                               r"kiraye pe|kiraye par|kiraye per|on rent|for rent|किराये पर|किराए पर|किराये पे|"
                               r"band hota|band hoti|band rehta|khulta hai|khulti hai|opening time|closing time|बंद होता|खुलता है|"
                               r"flight ka kiraya|flight ki kiraya|flight ka kitna kiraya|ticket ka kiraya|flight fare|"
                               r"फ्लाइट का किराया|हवाई जहाज का किराया|should i buy|to buy for home|for home use|home use|personal use|"
                               r"kaun sa kharidu|kaun sa kharide|kaunsa kharidu|kaunsa kharide|kon sa kharidu|"
                               r"कौन सा खरीदूं|कौन सा खरीदें|कौनसा खरीदूं|courier company|courier service|courier charges|courier rate|"
                               r"कूरियर कंपनी|(?:website|site|portal|server|app) (?:is )?(?:down|not working|not opening|band hai)|"
                               r"(?:website|site|portal|app) nahi khul|(?:वेबसाइट|पोर्टल|साइट) नहीं खुल|"
                               r"(?:वेबसाइट|पोर्टल|साइट) (?:बंद|डाउन)|"
                               r"(?:dukaan|dukan|दुकान|shop) (?:kaun|kon|kahan|kaha|कौन|कहाँ|कहां)|best shops?|"
                               r"sabse (?:badi|achhi|acchi|sasti|achi) (?:dukaan|dukan)|सबसे (?:बड़ी|अच्छी|सस्ती) दुकान|"
                               r"saaf kaise|saf kaise|kaise saaf|saaf karne|clean kaise|how (?:to|do i|do you) (?:clean|wash)|"
                               r"wash kaise|kaise dhoye|kaise dhoyen|कैसे साफ|साफ कैसे|कैसे धोएं|"
                               r"naukri kaise|naukri chahiye|naukri milegi|job kaise milegi|job chahiye|need a job|get a job|"
                               # a directory of firms (names and numbers the documents do not give)
                               r"(?:exporters?|manufacturers?|suppliers?|companies|firms|units) (?:ki|ka|की|का) (?:list|soochi|suchi|सूची|लिस्ट)|"
                               r"(?:exporters?|manufacturers?|suppliers?) (?:list|directory)|list of (?:the )?(?:\w+ )?(?:exporters|manufacturers|suppliers|companies|firms)|"
                               r"(?:निर्यातकों|एक्सपोर्टर्स|कंपनियों|फर्मों) (?:की) (?:सूची|लिस्ट)|"
                               r"नौकरी कैसे|नौकरी चाहिए|नौकरी मिलेगी)(?!\S)")


# ---------------------------------------------------------------- consonant skeletons (Hinglish <-> Devanagari)

_DEVA_CONSONANTS = {
    "क": "k", "ख": "k", "ग": "g", "घ": "g", "ङ": "n", "च": "c", "छ": "c", "ज": "j", "झ": "j", "ञ": "n",
    "ट": "t", "ठ": "t", "ड": "d", "ढ": "d", "ण": "n", "त": "t", "थ": "t", "द": "d", "ध": "d", "न": "n",
    "प": "p", "फ": "f", "ब": "b", "भ": "b", "म": "m", "य": "y", "र": "r", "ल": "l", "व": "v", "श": "s",
    "ष": "s", "स": "s", "ह": "", "ळ": "l", "ं": "n", "ँ": "n",
}
_LATIN_FOLD = str.maketrans({"w": "v", "z": "j", "q": "k", "x": "ks", "h": None, "a": None, "e": None, "i": None,
                             "o": None, "u": None, "y": "y"})


def skeleton(token: str) -> str:
    """The consonants of a word, spelt loosely, so 'chamda' and 'चमडा' (or 'kaleen' and 'कालीन') meet.

    Aspiration, vowels and the usual Hinglish spelling swaps (w/v, z/j, ph/f) are ignored.
    """
    if token.isascii():
        folded = token.lower().replace("ph", "f").replace("ch", "c").replace("sh", "s").replace("ck", "k")
        out = folded.translate(_LATIN_FOLD)
    else:
        out = "".join(_DEVA_CONSONANTS.get(ch, "") for ch in token)
    # doubled letters are one sound: "chadda" / "चड्डा"
    return "".join(ch for i, ch in enumerate(out) if i == 0 or ch != out[i - 1])


# ---------------------------------------------------------------- romanised Hindi plurals

# The endings romanised Hindi gives a noun's plural and oblique forms: sanstha -> sansthayein / sansthaon,
# chudi -> chudiyon / chudiyan, karigar -> karigaron. Only the forms of a synonym a clerk listed are added.
_PLURALS_AFTER_A = ("on", "en", "ein", "yein", "yen", "aen", "o")
_PLURALS_AFTER_I = ("yon", "yan", "yaan", "yo", "on")
_PLURALS_AFTER_CONSONANT = ("on", "o")


def hinglish_plurals(word: str) -> tuple[str, ...]:
    """The plural and oblique forms of a romanised Hindi noun (none for a phrase, a number or a short word)."""
    if not word.isascii() or not word.isalpha() or " " in word or len(word) < 4:
        return ()
    if word.endswith("a"):
        return tuple(word + end for end in _PLURALS_AFTER_A) if len(word) >= 5 else ()
    if word.endswith("i"):
        return tuple(word + end for end in _PLURALS_AFTER_I)
    if word[-1] not in "aeiouy":
        return tuple(word + end for end in _PLURALS_AFTER_CONSONANT)
    return ()


def with_plurals(synonyms: dict[str, str]) -> dict[str, str]:
    """The synonyms, plus the romanised Hindi plural forms of each listed word that is not listed itself."""
    out = dict(synonyms)
    for variant, canonical in synonyms.items():
        for form in hinglish_plurals(variant):
            out.setdefault(form, canonical)
    return out
