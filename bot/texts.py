"""Every fixed text a user can see, in English and Hindi."""
from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # answers
    "source": {"en": "Source: {source}", "hi": "स्रोत: {source}"},
    "contact_phone": {"en": "Phone", "hi": "फ़ोन"},
    "contact_email": {"en": "E-mail", "hi": "ई-मेल"},
    "contact_website": {"en": "Website", "hi": "वेबसाइट"},
    "contact_address": {"en": "Address", "hi": "पता"},
    "dic_generic": {"en": "your District Industries Centre (DIC / DIEPC)",
                    "hi": "अपने ज़िला उद्योग केंद्र (DIC / DIEPC)"},
    "dic_named": {"en": "the District Industries Centre (DIC / DIEPC), {district}",
                  "hi": "ज़िला उद्योग केंद्र (DIC / DIEPC), {district}"},
    "refuse": {"en": "Sorry, I don't know that yet. I only answer questions about exports: schemes, HS codes, "
                     "markets, ODOP and contacts.\nFor anything else, please ask {office}.",
               "hi": "माफ़ कीजिए, यह जानकारी अभी मेरे पास नहीं है। मैं सिर्फ़ निर्यात से जुड़े सवालों के जवाब देता हूँ: "
                     "योजनाएँ, HS कोड, बाज़ार, ODOP और संपर्क।\nबाक़ी बातों के लिए {office} से पूछें।"},
    "did_you_mean": {"en": "I'm not sure I understood. Did you mean:", "hi": "मैं ठीक से समझ नहीं पाया। क्या आप यह पूछ रहे हैं:"},
    "or_ask_office": {"en": "Or ask {office}.", "hi": "या {office} से पूछें।"},
    "empty": {"en": "Please type your question, for example: \"HS code for leather shoes\".",
              "hi": "कृपया अपना सवाल लिखें, जैसे: \"चमड़े के जूते का HS कोड\"।"},
    "too_long": {"en": "That message is too long. Please ask one short question (under {limit} characters).",
                 "hi": "यह संदेश बहुत लंबा है। कृपया एक छोटा सवाल पूछें ({limit} अक्षरों से कम)।"},
}


def t(key: str, lang: str, **values: object) -> str:
    """The text ``key`` in ``lang`` (English when Hindi is missing), filled with ``values``."""
    texts = MESSAGES[key]
    template = texts.get(lang) or texts["en"]
    return template.format(**values) if values else template
