"""Small talk and commands typed in words: greetings, thanks, "ok", emoji, help, menu, language switches.

:func:`classify` reads a whole message and says which of these it is, or
``None`` when it carries a question (a greeting in front of a question is a
question). No I/O, no state: the dialogue decides what to reply.
"""
from __future__ import annotations

import re
import unicodedata

from .normalise import normalise

# Each act: words and phrases that make it, in English, Hinglish and Hindi (normalised: lower case, no punctuation).
ACTS: dict[str, tuple[str, ...]] = {
    "lang_hi": ("hindi", "hindi me", "hindi mein", "hindi me batao", "hindi mein batao", "hindi me bataye",
                "hindi mein bataiye", "hindi me bolo", "hindi please", "in hindi", "hindi main", "switch to hindi",
                "hindi language", "change language to hindi", "हिंदी", "हिन्दी", "हिंदी में", "हिन्दी में",
                "हिंदी में बताओ", "हिंदी में बताइए", "हिंदी में बताइये", "हिन्दी में बताइए", "हिंदी में बताएं",
                "हिंदी में बोलो", "हिंदी में लिखो", "हिंदी भाषा",
                "hindi me baat karo", "hindi mein baat karo", "reply in hindi", "speak hindi", "speak in hindi", "can you speak hindi", "hindi me likho", "hindi mein likho", "hindi me jawab do", "hindi me jawab chahiye", "hindi mein jawab chahiye", "hindi me jawab", "jawab hindi me", "hindi me chahiye", "हिंदी में जवाब चाहिए", "हिंदी में चाहिए", "हिंदी में बात करें", "हिंदी में बात करो", "हिंदी में जवाब दो", "हिन्दी में बताइए"),
    "lang_en": ("english", "english please", "in english", "english me", "english mein", "english me batao",
                "english mein batao", "angrezi", "angrezi me", "angrezi mein", "switch to english",
                "english language", "change language to english", "reply in english", "अंग्रेज़ी", "अंग्रेजी",
                "अंग्रेज़ी में", "अंग्रेजी में", "इंग्लिश", "इंग्लिश में", "अंग्रेजी में बताइए", "अंग्रेज़ी में बताइए",
                "speak in english", "speak english", "english me bolo", "english mein bolo", "english me baat karo", "english me likho", "english me jawab do", "english me jawab chahiye", "english mein jawab chahiye", "english me jawab", "english me chahiye", "angrezi me jawab do", "in english please", "can you speak english", "angrezi me bolo", "angrezi mein bolo", "english me likho", "english plz", "इंग्लिश में बताओ", "अंग्रेजी में बोलो"),
    "lang_ask": ("change language", "language", "language change", "bhasha", "bhasha badlo", "bhasha badle",
                 "भाषा", "भाषा बदलें", "भाषा बदलो",
                "language badlo", "bhasha badlein", "change the language", "भाषा बदलिए"),
    "source": ("source", "sources", "full source", "reference", "show source", "source please", "source kya hai",
               "source batao", "kahan se liya", "स्रोत", "पूरा स्रोत", "स्रोत बताओ", "स्रोत बताइए"),
    "restart": ("start", "start again", "restart", "start over", "begin again", "reset", "shuru", "shuru karo",
                "phir se shuru", "dobara shuru", "फिर से शुरू", "शुरू", "शुरू करें", "दोबारा शुरू", "shuru se", "shuru se karo", "phir se", "dobara",
                "naya shuru karo", "naye sire se", "fir se shuru", "start from beginning", "नया शुरू करें", "नए सिरे से",
                "नए सिरे से शुरू करें", "शुरू से"),
    "menu": ("menu", "main menu", "show menu", "options", "menu dikhao", "menu batao", "मेन्यू", "मेनू", "मेन्यू दिखाओ",
                "मेनू दिखाओ", "मेन्यू दिखाइए", "back", "go back", "wapas", "peeche", "पीछे", "home"),
    "help": ("help", "help me", "need help", "i need help", "help please", "please help", "madad", "madad chahiye",
             "madad karo", "madad kijiye", "help chahiye", "sahayata", "मदद", "मदद चाहिए", "मदद करें", "मदद कीजिए",
             "सहायता", "सहायता चाहिए", "what can you do", "how does this work", "how to use", "aap kya kar sakte ho",
             "tum kya kar sakte ho", "आप क्या कर सकते हैं", "who are you", "what are you", "aap kaun ho", "aap kon ho",
             "tum kaun ho", "aap kaun hai", "आप कौन हैं", "आप कौन हो", "तुम कौन हो",
                "are you a bot", "are you human", "are you a robot", "who made you", "who built you", "kya tum bot ho", "kya aap bot ho", "tum kaun ho", "mujhe madad chahiye", "kya aap madad karenge", "can you help me", "i need some help", "what do you do", "who made this bot", "madad karo na", "help karo", "help kijiye", "kya madad mil sakti hai",
             "i don't understand", "i dont understand", "i am confused", "confused", "not clear", "samajh nahi aa raha",
             "kuch samajh nahi aa raha", "kuch nahi samajh aa raha", "samajh nahi aaya", "kuch samajh nahi aaya",
             "nahi samajh aaya", "samjh nahi aaya", "smjh nahi aaya", "kaise use kare", "kaise use karu", "ye kaise chalta hai",
             "समझ नहीं आ रहा", "कुछ समझ नहीं आ रहा", "समझ नहीं आया", "कुछ समझ नहीं आया", "कैसे इस्तेमाल करें"),
    "office": ("talk to a person", "talk to someone", "talk to a human", "talk to an officer", "speak to someone",
               "speak to a person", "speak to an officer", "i want to talk to someone", "real person", "human please",
               "kisi se baat karni hai", "baat karni hai kisi se", "kisi se baat karni h", "kisi se baat karao",
               "kisi se baat karwao", "officer se baat karni hai", "adhikari se baat karni hai", "insaan se baat karni hai",
               "kisi insaan se baat", "kisi adhikari se baat", "kisi adhikari se baat karni hai", "kisi officer se baat karni hai",
               "kisi insaan se baat karni hai", "officer se baat karao", "dic se baat karni hai",
               "किसी से बात करनी है", "किसी से बात कराओ", "अधिकारी से बात करनी है", "किसी अधिकारी से बात", "किसी अधिकारी से बात करनी है", "किसी इंसान से बात करनी है", "इंसान से बात करनी है",
               "ऑफिसर से बात करनी है", "डीआईसी से बात करनी है"),
    "thanks": ("thanks", "thank you", "thankyou", "thank u", "thanku", "thx", "thnx", "thnks", "tnx", "ty", "tq",
               "thanks a lot", "thanks a ton", "thanks a million", "many thanks", "dhanyawad", "dhanyavad", "dhanyabad", "shukriya", "sukriya",
               "shukria", "dhanyawaad", "धन्यवाद", "शुक्रिया", "थैंक्स", "थैंक यू", "बहुत धन्यवाद", "आभार",
               "great", "very helpful", "helpful", "useful", "very useful", "thank you so much", "thanks so much",
               "it helped", "this helped", "that helped", "nice", "good", "very good", "super", "awesome", "badhiya",
               "bahut badhiya", "accha laga", "बढ़िया", "बहुत बढ़िया", "अच्छा लगा", "madad mili", "मदद मिली", "badiya", "bahut badiya", "badiya jankari", "badhiya jankari", "achhi jankari", "acchi jankari", "achi jankari", "useful jankari", "अच्छी जानकारी", "बढ़िया जानकारी", "help hui", "help mili", "madad hui", "bahut help hui", "bahut madad hui", "kaam aaya", "kaam aayi", "मदद हुई", "काम आया",
                "dhanyavaad", "nice info", "good info", "great info", "good job", "wah", "waah", "superb", "excellent", "perfect", "bahut accha", "bahut achha", "बहुत अच्छा", "शानदार", "tysm", "thx a lot", "thanx", "thanxx", "thnq", "tq so much", "you are helpful", "you are very helpful", "thank you so much sir", "बहुत बहुत धन्यवाद", "shukriya ji"),
    "ack": ("ok", "okay", "okk", "okkk", "k", "kk", "fine", "alright", "all right", "got it", "understood", "noted",
            "sure", "yes", "ya", "yeah", "haan", "han", "ha", "ji", "ji haan", "theek", "thik", "theek hai",
            "thik hai", "thik h", "accha", "acha", "achha", "samajh gaya", "samajh gayi", "samjh gaya", "samjh gya", "samajh gya", "smjh gya", "samjh gayi", "samjh gyi", "samajh gyi", "samjha", "samjh aa gaya", "ओके", "ठीक", "ठीक है",
            "अच्छा", "हाँ", "हां", "जी", "जी हाँ", "समझ गया", "समझ गई",
                "hmm", "hmmm", "hm", "samjha", "samjhi", "samajh aa gaya", "समझ आ गया", "no", "nahi", "no thanks", "nahi chahiye", "bas", "that's all", "thats all", "naya sawal", "new question", "another question", "ek aur sawal", "नया सवाल", "sorry", "koi baat nahi", "sahi hai", "theek h", "aur kuch nahi", "bas itna hi", "no more questions", "kuch nahi", "ek aur sawal hai", "ek sawal hai", "ठीक है सर", "कोई बात नहीं", "बस इतना ही", "और कुछ नहीं"),
    "bye": ("bye", "goodbye", "good bye", "bye bye", "see you", "tata", "alvida", "chalo bye", "good night",
            "अलविदा", "बाय", "शुभ रात्रि",
                "see you later", "later", "chalta hoon", "phir milte hai", "phir milenge", "फिर मिलते हैं", "good nite", "gud night", "gud nite", "take care", "tc", "baad me baat karte hain", "baad me baat karenge", "phir baat karenge", "ok bye", "bye sir"),
    "greeting": ("hi", "hii", "hiii", "hello", "helo", "hallo", "hey", "hlo", "namaste", "namaskar", "namaskaar",
                 "namastey", "pranam", "ram ram", "jai hind", "good morning", "good afternoon", "good evening",
                 "gm", "salaam", "salam", "adaab", "sat sri akal", "radhe radhe", "jai shri ram", "नमस्ते",
                 "नमस्कार", "प्रणाम", "राम राम", "हेलो", "हाय", "सुप्रभात", "शुभ प्रभात", "जय हिंद",
                "how are you", "kaise ho", "kaise hain", "aap kaise ho", "aap kaise hain", "कैसे हो", "आप कैसे हैं", "kya haal hai", "sat shri akal", "jai shree ram", "assalamualaikum", "good day", "gud morning", "gud evening", "gud afternoon", "shubh prabhat", "jai shree krishna", "jai shri krishna", "suprabhat", "suprabhaat", "shubh sandhya", "subh prabhat", "shubh dopahar", "subh dopahar", "shubh dopeher", "walaikum assalam", "walekum salam", "salam alaikum", "salaam alaikum", "hi there", "hey there", "yo", "adab", "aadab", "शुभ संध्या", "शुभ दोपहर", "जय श्री कृष्ण"),
}

# Words that may surround any act without changing it ("thnx bhai", "namaste ji", "ok sir").
COURTESY = frozenset("""
ji sir madam maam mam bhai bhaiya bhaisahab didi dost friend bot please pls plz so very much lot bahut
you u aapka aapko apka tumhara yaar dear all everyone team again once more now abhi toh to hi bhi
this that it was is really truly indeed karo kare karein kijiye kariye do and aur now dikhao dikhaiye kholo jankari info
bhejo mujhe i some batao bataiye bolo likho a can could meri mera hamari humari hamara humko hume humein
जी सर मैडम भाई भैया दीदी दोस्त मेरी मेरा हमारी हमें आपका आपको बहुत सारा अब फिर से भी करो करें कीजिए करिए यह था दिखाओ दिखाइए खोलो भेजो मुझे बताओ बताइए बोलो लिखो
""".split())

# Emoji and pictographs that mean "thanks" or "ok" when they stand alone.
_THANKS_EMOJI = "🙏💐❤♥💖😊☺🥰😍🤗"
_OK_EMOJI = "👍👌✅✔🆗💯🙂😀😃😄😁👏🤝"
_EMOJI_RE = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200d\U000E0000-\U000E007F]")

# Ways of writing the same little word: "hindi me" / "hindi mein" / "hindi main", "nahi" / "nahin".
_SPELLINGS = ({"me", "mein", "main", "mai", "mei"}, {"nahi", "nahin", "nhi"}, {"karni", "krni"}, {"hai", "h", "he"},
              {"baat", "bat"}, {"jawab", "javab"})


def _spellings(phrase: str) -> set[str]:
    out = {phrase}
    for group in _SPELLINGS:
        for v in list(out):
            words = v.split()
            for i, w in enumerate(words):
                if w in group:
                    out.update(" ".join(words[:i] + [other] + words[i + 1:]) for other in group)
    return out


_PHRASES: dict[str, str] = {}
for _act, _phrases in ACTS.items():
    for _p in _phrases:
        # Both ways of writing Hindi's name: हिंदी and हिन्दी.
        for _v in {_p, _p.replace("हिंदी", "हिन्दी"), _p.replace("हिन्दी", "हिंदी")}:
            for _w in _spellings(normalise(_v)):
                _PHRASES.setdefault(_w, _act)
_MAX_WORDS = max(len(p.split()) for p in _PHRASES)
# When a message mixes acts, the one a person means most: "thanks, bye" is a goodbye, "hi, help" is help.
_PRIORITY = ("source", "lang_hi", "lang_en", "lang_ask", "restart", "office", "menu", "help", "bye", "thanks", "greeting",
             "ack")


def _emoji_act(text: str) -> str | None:
    marks = [ch for ch in text if not ch.isspace()]
    if not marks or not all(_EMOJI_RE.match(ch) or unicodedata.category(ch).startswith("S") for ch in marks):
        return None
    if any(ch in _THANKS_EMOJI for ch in marks):
        return "thanks"
    return "ack"


def classify(text: str) -> str | None:
    """The act a message is made of, or None when it says anything more (a question, a product, a place)."""
    stripped = (text or "").strip()
    if not stripped or len(stripped) > 80:
        return None
    emoji = _emoji_act(stripped)
    if emoji:
        return emoji
    emoji_found = bool(_EMOJI_RE.search(stripped))
    words = normalise(_EMOJI_RE.sub(" ", stripped)).split()
    acts: list[str] = []
    i = 0
    while i < len(words):
        for n in range(min(_MAX_WORDS, len(words) - i), 0, -1):
            act = _PHRASES.get(" ".join(words[i:i + n]))
            if act:
                acts.append(act)
                i += n
                break
        else:
            if words[i] in COURTESY:
                i += 1
                continue
            return None
    if not acts:
        return "ack" if emoji_found else None
    return min(acts, key=_PRIORITY.index)
