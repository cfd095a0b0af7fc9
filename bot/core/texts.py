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

    # conversation
    "welcome": {"en": "Namaste! I am the export helpdesk of Uttar Pradesh. I answer questions on export schemes, "
                      "HS codes, target markets, ODOP and whom to contact.\n"
                      "नमस्ते! मैं उत्तर प्रदेश का निर्यात हेल्पडेस्क हूँ। निर्यात योजनाओं, HS कोड, बाज़ार, ODOP और संपर्क के "
                      "सवालों के जवाब देता हूँ।\n\nChoose your language / अपनी भाषा चुनें:",
                "hi": ""},
    "ask_district": {"en": "Which district are you from? Type its name or choose below.",
                     "hi": "आप किस ज़िले से हैं? ज़िले का नाम लिखें या नीचे से चुनें।"},
    "district_pick": {"en": "Which one do you mean?", "hi": "आपका मतलब कौन सा ज़िला है?"},
    "district_set": {"en": "District saved: {district}.", "hi": "ज़िला सेव हो गया: {district}।"},
    "ask_product": {"en": "What do you make or sell? Your district's ODOP products come first.",
                    "hi": "आप क्या बनाते या बेचते हैं? आपके ज़िले के ODOP उत्पाद पहले दिए हैं।"},
    "product_set": {"en": "Product saved: {product}.", "hi": "उत्पाद सेव हो गया: {product}।"},
    "language_set": {"en": "Language: English.", "hi": "भाषा: हिन्दी।"},
    "ask_language": {"en": "Choose your language / अपनी भाषा चुनें:", "hi": "अपनी भाषा चुनें / Choose your language:"},
    "onboarding_done": {"en": "All set! Ask me anything about exports, or choose a topic:",
                        "hi": "सब तैयार है! निर्यात के बारे में कुछ भी पूछें, या कोई विषय चुनें:"},
    "menu": {"en": "Main menu: choose a topic or just type your question.",
             "hi": "मुख्य मेन्यू: कोई विषय चुनें या सीधे अपना सवाल लिखें।"},
    "help": {"en": "Type any export question in English, Hindi or Hinglish, for example:\n"
                   "• gateway port scheme me kitna paisa milta hai\n• HS code for leather shoes\n"
                   "• ODOP product of Agra\nCommands: /menu /language /district /product /events /subscribe "
                   "/unsubscribe /stop /help",
             "hi": "निर्यात से जुड़ा कोई भी सवाल हिन्दी, अंग्रेज़ी या हिंग्लिश में लिखें, जैसे:\n"
                   "• गेटवे पोर्ट योजना में कितना पैसा मिलता है\n• चमड़े के जूते का HS कोड\n• आगरा का ODOP उत्पाद\n"
                   "कमांड: /menu /language /district /product /events /subscribe /unsubscribe /stop /help"},
    "ask_prompt": {"en": "Type your question, in English, Hindi or Hinglish. Example: \"subsidy for sending samples abroad\".",
                   "hi": "अपना सवाल लिखें, हिन्दी, अंग्रेज़ी या हिंग्लिश में। जैसे: \"विदेश नमूना भेजने पर सब्सिडी\"।"},
    "list_schemes": {"en": "Export schemes (page {page} of {pages}):", "hi": "निर्यात योजनाएँ (पेज {page} / {pages}):"},
    "list_hs": {"en": "HS codes{for_sector} (page {page} of {pages}):", "hi": "HS कोड{for_sector} (पेज {page} / {pages}):"},
    "list_markets": {"en": "Target markets{for_sector} (page {page} of {pages}):",
                     "hi": "लक्ष्य बाज़ार{for_sector} (पेज {page} / {pages}):"},
    "list_contacts": {"en": "Whom to contact (page {page} of {pages}):", "hi": "किससे संपर्क करें (पेज {page} / {pages}):"},
    "for_sector": {"en": " for {sector} first", "hi": ": पहले {sector}"},
    "your_office": {"en": "Your district office", "hi": "आपका ज़िला कार्यालय"},
    "office_card": {"en": "Your export help desk: the District Industries Centre (DIC / DIEPC), {district}. "
                          "It is the Export Facilitation Centre of the district, headed by the Deputy Commissioner (Industries).",
                    "hi": "आपका निर्यात हेल्प डेस्क: ज़िला उद्योग केंद्र (DIC / DIEPC), {district}। यही ज़िले का निर्यात "
                          "सुविधा केंद्र है, जिसके प्रमुख उपायुक्त (उद्योग) हैं।"},
    "no_events": {"en": "No upcoming events are listed yet. Ask {office} about trade fairs and camps.",
                  "hi": "अभी कोई आने वाला कार्यक्रम दर्ज नहीं है। मेलों और कैंप के बारे में {office} से पूछें।"},
    "settings": {"en": "Settings\nLanguage: {language}\nDistrict: {district}\nProduct: {product}\nReminders: {subscription}",
                 "hi": "सेटिंग\nभाषा: {language}\nज़िला: {district}\nउत्पाद: {product}\nसूचनाएँ: {subscription}"},
    "not_set": {"en": "not set", "hi": "नहीं चुना"},
    "ask_subscribe": {"en": "Which event reminders (trade fairs, IEC camps, seminars) would you like?",
                      "hi": "आपको किन कार्यक्रमों (व्यापार मेले, IEC कैंप, सेमिनार) की सूचना चाहिए?"},
    "sub_all": {"en": "All events", "hi": "सभी कार्यक्रम"},
    "sub_district": {"en": "My district", "hi": "मेरा ज़िला"},
    "sub_sector": {"en": "My sector", "hi": "मेरा क्षेत्र"},
    "sub_none": {"en": "None", "hi": "कोई नहीं"},
    "subscribed": {"en": "Reminders: {choice}. You can change this any time with /subscribe, or stop with /stop.",
                   "hi": "सूचनाएँ: {choice}। इसे कभी भी /subscribe से बदलें, या /stop से बंद करें।"},
    "stopped": {"en": "Done: you will get no more reminders or broadcasts. You can still ask questions any time. "
                      "To get reminders again, send /subscribe.",
                "hi": "ठीक है: अब आपको कोई सूचना या प्रसारण नहीं भेजा जाएगा। सवाल आप कभी भी पूछ सकते हैं। "
                      "सूचनाएँ फिर से पाने के लिए /subscribe भेजें।"},
    "need_district": {"en": "Please choose your district first.", "hi": "पहले अपना ज़िला चुनें।"},
    "feedback_thanks_yes": {"en": "Thank you! Glad it helped.", "hi": "धन्यवाद! ख़ुशी है कि मदद मिली।"},
    "feedback_thanks_no": {"en": "Thank you for telling me. {office} can help further.",
                           "hi": "बताने के लिए धन्यवाद। आगे की मदद {office} से मिल सकती है।"},
    "non_text": {"en": "I can only read typed text. Please type your question.",
                 "hi": "मैं सिर्फ़ लिखा हुआ टेक्स्ट पढ़ सकता हूँ। कृपया अपना सवाल लिखकर भेजें।"},
    "edited": {"en": "I answer new messages only. Please send your question again as a new message.",
               "hi": "मैं सिर्फ़ नए संदेशों का जवाब देता हूँ। कृपया अपना सवाल नए संदेश में भेजें।"},
    "group": {"en": "I work in private chats only. Please message me directly.",
              "hi": "मैं सिर्फ़ निजी चैट में काम करता हूँ। कृपया मुझे सीधे संदेश भेजें।"},
    "unknown_command": {"en": "I don't know that command. Try /menu or /help.",
                        "hi": "यह कमांड मुझे नहीं पता। /menu या /help आज़माएँ।"},
    "expired": {"en": "That button is no longer valid. Here is the menu.", "hi": "यह बटन अब काम नहीं करता। यह रहा मेन्यू।"},
    "error": {"en": "Sorry, something went wrong on my side. Please try again in a minute.",
              "hi": "माफ़ कीजिए, मेरी तरफ़ कुछ गड़बड़ हो गई। कृपया एक मिनट बाद फिर कोशिश करें।"},
    "slow_down": {"en": "You are sending messages faster than I can read them. I'll answer again in a few seconds; "
                        "please send one question at a time.",
                  "hi": "आप बहुत तेज़ी से संदेश भेज रहे हैं। कुछ सेकंड बाद मैं फिर जवाब दूँगा; कृपया एक बार में एक सवाल भेजें।"},
    "events_header": {"en": "Upcoming events for you (press one for details and a calendar file):",
                      "hi": "आपके लिए आने वाले कार्यक्रम (पूरी जानकारी और कैलेंडर फ़ाइल के लिए दबाएँ):"},
    "example_date": {"en": "(example date: confirm with your DIC)", "hi": "(संभावित तारीख़: DIC से पक्की करें)"},
    "event_when": {"en": "When: {when}", "hi": "कब: {when}"},
    "event_where": {"en": "Where: {place}", "hi": "कहाँ: {place}"},
    "event_by": {"en": "Organised by: {organiser}", "hi": "आयोजक: {organiser}"},
    "event_deadline": {"en": "Register by: {deadline}", "hi": "पंजीकरण की आख़िरी तारीख़: {deadline}"},
    "reminder_start": {"en": "⏰ Reminder: {title} starts on {when} (in {days} day(s)).",
                       "hi": "⏰ याद दिलाना: {title} {when} को शुरू होगा ({days} दिन बाद)।"},
    "reminder_deadline": {"en": "⏰ Last date to register for {title}: {deadline}.",
                          "hi": "⏰ {title} में पंजीकरण की आख़िरी तारीख़: {deadline}।"},
    "reminder_footer": {"en": "Details: /events · Stop reminders: /stop", "hi": "पूरी जानकारी: /events · सूचनाएँ बंद: /stop"},
    "remind_set": {"en": "Done: I will remind you of \"{title}\" before it starts.",
                   "hi": "ठीक है: \"{title}\" शुरू होने से पहले मैं आपको याद दिलाऊँगा।"},
    "districts_making": {"en": "This is an ODOP (One District One Product) product of these districts:",
                         "hi": "यह इन ज़िलों का ODOP (एक ज़िला एक उत्पाद) उत्पाद है:"},
    "districts_making_help": {"en": "Ask the District Industries Centre (DIC / DIEPC) of the district for help.",
                              "hi": "मदद के लिए उस ज़िले के ज़िला उद्योग केंद्र (DIC / DIEPC) से संपर्क करें।"},
    "see_also": {"en": "Not what you asked? See also: {titles}", "hi": "यह नहीं पूछा था? यह भी देखें: {titles}"},
    "choose_below": {"en": "Choose below:", "hi": "नीचे से चुनें:"},
    # buttons
    "b_choose": {"en": "Choose", "hi": "चुनें"},
    "b_remind": {"en": "⏰ Remind me", "hi": "⏰ मुझे याद दिलाएँ"},
    "b_schemes": {"en": "Schemes", "hi": "योजनाएँ"},
    "b_hs": {"en": "HS codes", "hi": "HS कोड"},
    "b_markets": {"en": "Target markets", "hi": "लक्ष्य बाज़ार"},
    "b_contacts": {"en": "Contacts", "hi": "संपर्क"},
    "b_events": {"en": "Events", "hi": "कार्यक्रम"},
    "b_ask": {"en": "Ask a question", "hi": "सवाल पूछें"},
    "b_settings": {"en": "Settings", "hi": "सेटिंग"},
    "b_menu": {"en": "Menu", "hi": "मेन्यू"},
    "b_skip": {"en": "Skip", "hi": "छोड़ें"},
    "b_next": {"en": "Next ▶", "hi": "आगे ▶"},
    "b_prev": {"en": "◀ Back", "hi": "◀ पीछे"},
    "b_yes": {"en": "👍 Helpful", "hi": "👍 काम का"},
    "b_no": {"en": "👎 Not helpful", "hi": "👎 काम का नहीं"},
    "b_language": {"en": "Language", "hi": "भाषा"},
    "b_district": {"en": "District", "hi": "ज़िला"},
    "b_product": {"en": "Product", "hi": "उत्पाद"},
    "b_reminders": {"en": "Reminders", "hi": "सूचनाएँ"},
}


def t(key: str, lang: str, **values: object) -> str:
    """The text ``key`` in ``lang`` (English when Hindi is missing), filled with ``values``."""
    texts = MESSAGES[key]
    template = texts.get(lang) or texts["en"]
    return template.format(**values) if values else template
