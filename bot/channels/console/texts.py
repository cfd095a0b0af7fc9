"""Every word of the staff console, in English and Hindi (the page's language is the clerk's choice)."""
from __future__ import annotations

import re
from typing import Callable

TEXTS: dict[str, tuple[str, str]] = {
    "console": ("Export helpdesk · staff console", "निर्यात हेल्पडेस्क · स्टाफ़ के लिए"),
    "sign_in": ("Sign in", "साइन इन करें"),
    "sign_out": ("Sign out", "साइन आउट"),
    "login": ("Login name", "लॉगिन नाम"),
    "password": ("Password", "पासवर्ड"),
    "bad_login": ("Wrong login name or password.", "लॉगिन नाम या पासवर्ड गलत है।"),
    "throttled": ("Too many failed sign-ins. Try again in {minutes} minutes.",
                  "बहुत बार गलत साइन-इन हुआ। {minutes} मिनट बाद फिर कोशिश करें।"),
    "expired": ("Your session has ended; please sign in again.", "आपका लॉगिन समय ख़त्म हो गया; कृपया फिर से साइन इन करें।"),
    "ended_htmx": ("Your session has ended, so this was not done. Sign in again in a new tab, then come back and press "
                   "the button here once more: what you typed is still here.",
                   "आपका लॉगिन समय ख़त्म हो गया, इसलिए यह नहीं हुआ। नए टैब में फिर से साइन इन करें, फिर यहाँ लौटकर बटन "
                   "दोबारा दबाएँ: आपका लिखा यहीं है।"),
    "sign_in_new_tab": ("Sign in again (opens a new tab)", "फिर से साइन इन करें (नया टैब खुलेगा)"),
    "ended_post": ("Your session ended before this was sent, so nothing was changed. Sign in again: what you typed "
                   "is kept.",
                   "भेजने से पहले आपका लॉगिन समय ख़त्म हो गया, इसलिए कुछ नहीं बदला। फिर से साइन इन करें: आपका लिखा "
                   "रखा हुआ है।"),
    "ended_nothing": ("Your session ended before this was sent, so nothing was done. Sign in again and do it once more.",
                      "भेजने से पहले आपका लॉगिन समय ख़त्म हो गया, इसलिए कुछ नहीं हुआ। फिर से साइन इन करके दोबारा करें।"),
    "resumed": ("You are signed in again. What you typed was kept: look at it once more before it is saved or sent.",
                "आप फिर से साइन इन हो गए। आपका लिखा रखा हुआ है: सेव करने या भेजने से पहले एक बार फिर देख लें।"),
    "resume_entry": ("Show my changes (not saved yet)", "मेरे बदलाव दिखाएँ (अभी सेव नहीं हुए)"),
    "resume_broadcast": ("Show my message and who gets it (nothing is sent yet)",
                         "मेरा संदेश और किसे जाएगा, दिखाएँ (अभी कुछ नहीं भेजा)"),
    "form_expired": ("This form has expired. Reload the page and try again.",
                     "यह फ़ॉर्म पुराना हो गया है। पेज फिर से खोलें और दोबारा कोशिश करें।"),
    "not_yours": ("Not found among your district's data.", "आपके ज़िले के डेटा में यह नहीं मिला।"),
    "language": ("हिन्दी", "English"),
    "today": ("Today", "आज"),
    "unanswered": ("Unanswered", "बिना जवाब"),
    "handoffs": ("Questions for the office", "कार्यालय को सवाल"),
    "knowledge": ("Knowledge", "जानकारी"),
    "broadcasts": ("Broadcasts & reminders", "संदेश और रिमाइंडर"),
    "scope_all": ("All districts (state admin)", "सभी ज़िले (राज्य एडमिन)"),
    "questions_today": ("Questions today", "आज के सवाल"),
    "questions_week": ("Questions this week", "इस हफ़्ते के सवाल"),
    "decline_rate": ("Not answered this week", "इस हफ़्ते जिनका जवाब नहीं मिला"),
    "feedback": ("Feedback this week", "इस हफ़्ते की राय"),
    "open_handoffs": ("Questions waiting for the office", "कार्यालय के जवाब का इंतज़ार करते सवाल"),
    "users": ("Users", "उपयोगकर्ता"),
    "chart_alt": ("Questions and declines per day, last 30 days", "पिछले 30 दिन: हर दिन के सवाल और बिना जवाब वाले सवाल"),
    "top_answers": ("Most used answers", "सबसे ज़्यादा दिए गए जवाब"),
    "usage_csv": ("Download the last 30 days as a spreadsheet (CSV)", "पिछले 30 दिन स्प्रेडशीट (CSV) में डाउनलोड करें"),
    "unanswered_csv": ("Download this list as a spreadsheet (CSV)", "यह सूची स्प्रेडशीट (CSV) में डाउनलोड करें"),
    "last_days": ("Last {days} days", "पिछले {days} दिन"),
    "nothing_unanswered": ("Nothing to do: every question got an answer nobody marked 👎.",
                           "कोई काम बाकी नहीं: हर सवाल का जवाब मिला और किसी ने 👎 नहीं किया।"),
    "asked_times": ("asked {count}×", "{count} बार पूछा"),
    "also_asked": ("Also asked as", "ऐसे भी पूछा"),
    "looking_for": ("Looking for", "ढूँढ रहे थे"),
    "add_alias_to": ("Add as a question to “{title}”", "“{title}” में सवाल के रूप में जोड़ें"),
    "search_entry": ("Or find another entry", "या कोई और जानकारी खोजें"),
    "search_placeholder": ("Type words of the entry…", "जानकारी के शब्द लिखें…"),
    "needs_answer": ("Needs a new answer (to-do)", "नया जवाब चाहिए (काम की सूची)"),
    "dismiss": ("Dismiss (nothing to do)", "हटाएँ (कुछ करना नहीं)"),
    "todo_list": ("To-do: questions that need a new answer", "काम की सूची: जिन सवालों का नया जवाब चाहिए"),
    "no_entries": ("No entry has these words.", "इन शब्दों वाली कोई जानकारी नहीं मिली।"),
    "add": ("Add", "जोड़ें"),
    "waiting_handoffs": ("Questions waiting for your answer", "आपके जवाब का इंतज़ार कर रहे सवाल"),
    "no_handoffs": ("No question is waiting for the district office.", "ज़िला कार्यालय के लिए कोई सवाल बाकी नहीं है।"),
    "from_user": ("From a user in {district} · on {channel} · writes in {lang}",
                  "{district} के उपयोगकर्ता से · {channel} पर · भाषा: {lang}"),
    "product": ("product: {product}", "उत्पाद: {product}"),
    "your_answer": ("Your answer, in {lang} (the user gets it on {channel})",
                    "आपका जवाब, {lang} में (उपयोगकर्ता को {channel} पर मिलेगा)"),
    "answered_by": ("answered by {name}", "जवाब दिया: {name}"),
    "cannot_send": ("This console runs on its own, without the bot's {channels} connection: answers typed here "
                    "cannot reach users. Open the console of the running bot to answer (whoever runs the server knows "
                    "its address).",
                    "यह पेज बॉट के बिना अकेला चल रहा है ({channels} से जुड़ा नहीं): यहाँ लिखे जवाब उपयोगकर्ता तक "
                    "नहीं पहुँचेंगे। जवाब देने के लिए चल रहे बॉट वाला पेज खोलें (सर्वर चलाने वाले को उसका पता मालूम है)।"),
    "send_answer": ("Send answer", "जवाब भेजें"),
    "answered_recent": ("Answered recently", "हाल में दिए गए जवाब"),
    "teach_next_time": ("So that the bot answers it itself next time:", "ताकि अगली बार बॉट ख़ुद जवाब दे:"),
    "search": ("Search", "खोजें"),
    "kind": ("Kind", "प्रकार"),
    "entry": ("Entry", "जानकारी"),
    "district": ("District", "ज़िला"),
    "any": ("Any", "कोई भी"),
    "statewide": ("State-wide", "पूरे राज्य के लिए"),
    "entries_found": ("{count} entries", "{count} जानकारियाँ"),
    "more_entries": ("Showing the first {shown}: type more words or choose a kind or district to find the others.",
                     "पहली {shown} दिखाई गई हैं: बाकी ढूँढने के लिए खोज में और शब्द लिखें, या प्रकार या ज़िला चुनें।"),
    "edit": ("Edit", "बदलें"),
    "view": ("View", "देखें"),
    "english": ("English", "अंग्रेज़ी"),
    "hindi": ("Hindi", "हिन्दी"),
    "hinglish": ("Hinglish (Hindi in English letters)", "हिंग्लिश (अंग्रेज़ी अक्षरों में हिन्दी)"),
    "aliases_help": ("Questions people ask, one per line", "लोग जो सवाल पूछते हैं, हर लाइन में एक"),
    "check": ("Check and preview", "जाँचें और देखें"),
    "save": ("Save", "सेव करें"),
    "saved": ("Saved to {file}. The bot answers with it now.", "{file} में सेव हो गया। बॉट अब इसी से जवाब देता है।"),
    "checked": ("No problems found. Press Save to make it live.", "कोई गलती नहीं मिली। लागू करने के लिए ‘सेव करें’ दबाएँ।"),
    "unchanged": ("Nothing was changed.", "कुछ नहीं बदला।"),
    "edit_conflict": ("Not saved: someone changed {file} while you were editing. Open the entry again (your changes "
                      "are lost; copy them first) and make them once more.",
                      "सेव नहीं हुआ: आपके बदलते समय किसी और ने {file} बदल दी। जानकारी फिर से खोलें (आपके बदलाव नहीं "
                      "रहेंगे; पहले उन्हें कॉपी कर लें) और दोबारा बदलें।"),
    "edit_unwritable": ("Not saved: the text has characters that cannot be written into {file}. Type it again instead "
                        "of pasting it.",
                        "सेव नहीं हुआ: इस लिखे में ऐसे अक्षर हैं जो {file} में नहीं लिखे जा सकते। चिपकाने की जगह "
                        "दोबारा टाइप करें।"),
    "saved_not_live": ("Saved to {file}, but the bot could not load the knowledge after it and keeps answering from "
                       "the last good version. Please tell the state office:",
                       "{file} में सेव हो गया, पर उसके बाद बॉट जानकारी लोड नहीं कर पाया और पिछली सही जानकारी से ही "
                       "जवाब दे रहा है। राज्य कार्यालय को बताएँ:"),
    "problems": ("Not saved: please fix the problems shown under the boxes in red.",
                 "सेव नहीं हुआ: लाल रंग वाले खानों के नीचे लिखी गलतियाँ ठीक करें।"),
    "read_only": ("Only a state admin can change this entry's texts; you can add questions to it from the "
                  "Unanswered page.", "इस जानकारी के शब्द केवल राज्य एडमिन बदल सकते हैं; आप 'बिना जवाब' पेज से "
                                      "इसमें सवाल जोड़ सकते हैं।"),
    "preview": ("As a phone shows it", "फ़ोन पर ऐसा दिखेगा"),
    "fact": ("Figure (written once, in facts.yaml)", "आँकड़ा (एक ही जगह, facts.yaml में लिखा)"),
    "fact_title": ("Figure {fact}", "आँकड़ा {fact}"),
    "used_in": ("Answers that show this figure (they change with it)", "जिन जवाबों में यह आँकड़ा आता है (ये भी साथ बदलेंगे)"),
    "facts_used": ("Facts in this answer (written once, in facts.yaml)", "इस जवाब के आँकड़े (facts.yaml में एक ही जगह लिखे)"),
    "try": ("Try a question", "सवाल पूछकर देखें"),
    "try_placeholder": ("Type a question as a user would", "उपयोगकर्ता की तरह सवाल लिखें"),
    "ask": ("Ask", "पूछें"),
    "bot_would": ("The bot would reply with {kind}:", "बॉट का जवाब: {kind}"),
    "top_matches": ("Top matches and scores", "सबसे मिलती-जुलती जानकारियाँ और उनके अंक"),
    "understood": ("Words understood", "बॉट ने ये शब्द समझे"),
    "unknown_words": ("Words it does not know", "जो शब्द बॉट नहीं जानता"),
    "compose": ("New broadcast", "नया संदेश"),
    "text_en": ("Text in English", "अंग्रेज़ी में संदेश"),
    "text_hi": ("Text in Hindi", "हिन्दी में संदेश"),
    "segment": ("Who gets it", "किसे भेजें"),
    "everyone": ("Everyone subscribed", "सभी सदस्य"),
    "sector": ("Sector", "उद्योग"),
    "preview_recipients": ("Preview and count recipients", "पहले देखें: किस-किस को जाएगा"),
    "recipients": ("Recipients", "किस-किस को जाएगा"),
    "no_english": ("No English text: subscribers who chose English get the Hindi one.",
                   "अंग्रेज़ी में संदेश नहीं लिखा: अंग्रेज़ी वाले सदस्यों को भी हिन्दी संदेश जाएगा।"),
    "no_hindi": ("No Hindi text: subscribers who chose Hindi get the English one.",
                 "हिन्दी में संदेश नहीं लिखा: हिन्दी वाले सदस्यों को अंग्रेज़ी संदेश जाएगा।"),
    "total": ("total", "कुल"),
    "nobody": ("Nobody has subscribed in this group yet, so there is no one to send it to.",
               "इस समूह में अभी किसी ने सदस्यता नहीं ली, इसलिए भेजने के लिए कोई नहीं है।"),
    "confirm_send": ("Send to {total} subscriber(s)", "{total} सदस्यों को भेजें"),
    "discard": ("Throw away (do not send)", "हटा दें (न भेजें)"),
    "queued_elsewhere": ("Ready to go: the running bot sends it within a minute.",
                         "भेजने के लिए तैयार: चल रहा बॉट इसे एक मिनट के अंदर भेज देगा।"),
    "progress": ("Delivery", "भेजने की स्थिति"),
    "report": ("Delivery report", "भेजने की रिपोर्ट"),
    "recent_broadcasts": ("Recent broadcasts", "हाल के संदेश"),
    "reminders": ("Reminders (next 30 days)", "रिमाइंडर (अगले 30 दिन)"),
    "no_reminders": ("No reminder in the next 30 days.", "अगले 30 दिन में कोई रिमाइंडर नहीं।"),
    "pause": ("Pause", "रोकें"),
    "resume": ("Resume", "फिर शुरू करें"),
    "cancel": ("Cancel", "रद्द करें"),
    "edit_text": ("Change text", "संदेश बदलें"),
    "calendar_text": ("(the calendar's own text)", "(कैलेंडर का अपना संदेश)"),
    "status": ("Status", "स्थिति"),
    "done_paused": ("✓ Reminder #{number} is paused: it does not go out until you resume it.",
                    "✓ रिमाइंडर #{number} रोक दिया: जब तक आप फिर शुरू नहीं करते, यह नहीं जाएगा।"),
    "done_resumed": ("✓ Reminder #{number} goes out as planned again.", "✓ रिमाइंडर #{number} फिर से तय समय पर जाएगा।"),
    "done_cancelled": ("✓ #{number} is cancelled: nobody gets it.", "✓ #{number} रद्द कर दिया: यह किसी को नहीं जाएगा।"),
    "done_text": ("✓ Reminder #{number}: the new text is saved; it goes out with it.",
                  "✓ रिमाइंडर #{number}: नया संदेश सेव हो गया; अब यही जाएगा।"),
    "done_unchanged": ("Reminder #{number}: nothing changed (the text is the same, or empty).",
                       "रिमाइंडर #{number}: कुछ नहीं बदला (संदेश वही है, या खाली है)।"),
    "done_discarded": ("✓ The draft #{number} is thrown away: nothing was sent.",
                       "✓ ड्राफ़्ट #{number} हटा दिया: कुछ नहीं भेजा गया।"),
    "done_not_pending": ("#{number} could not be changed: it has gone out already, or was cancelled meanwhile.",
                         "#{number} नहीं बदला जा सका: यह जा चुका है, या इस बीच रद्द हो गया।"),
    "cancel_sure": ("Cancel this reminder? Nobody will get it, and it cannot be undone.",
                    "यह रिमाइंडर रद्द करें? यह किसी को नहीं जाएगा, और फिर वापस नहीं होगा।"),
    "cancel_yes": ("Yes, cancel it", "हाँ, रद्द करें"),
    "own_text": ("Text:", "संदेश:"),
    "due": ("Goes out", "भेजा जाएगा:"),
    "empty_text": ("Write the message, in English or Hindi (both, if you can).",
                   "संदेश लिखें, अंग्रेज़ी या हिन्दी में (हो सके तो दोनों में)।"),
    "empty_answer": ("Write an answer first.", "पहले जवाब लिखें।"),
    "choose_segment": ("Choose who gets it from the list (you can send only to your district's subscribers).",
                       "किसे भेजना है, सूची से चुनें (आप सिर्फ़ अपने ज़िले के सदस्यों को भेज सकते हैं)।"),
    "not_found": ("Page not found.", "पेज नहीं मिला।"),
    "server_error": ("Something went wrong on the server. Please reload the page and try again; if it happens again, "
                     "tell the state office what you were doing.",
                     "सर्वर पर कुछ गड़बड़ हो गई। पेज फिर से खोलकर दोबारा कोशिश करें; फिर भी हो, तो राज्य कार्यालय "
                     "को बताएँ कि आप क्या कर रहे थे।"),
}

FIELD_NAMES: dict[str, tuple[str, str]] = {
    "title": ("Title", "शीर्षक"), "name": ("Name", "नाम"), "short": ("Button label (20 letters at most)",
                                                                  "बटन पर नाम (ज़्यादा से ज़्यादा 20 अक्षर)"),
    "answer": ("Answer", "जवाब"), "description": ("Description", "विवरण"), "exports": ("Exports", "निर्यात"),
    "expansion": ("Full form", "पूरा नाम"), "explanation": ("Explanation", "व्याख्या"),
    "authority": ("Run by", "कौन देता है"), "value": ("Value", "आँकड़ा"),
    "aliases": ("Questions people ask (aliases)", "लोग ऐसे भी पूछते हैं"),
    "source": ("Source (document and section)", "स्रोत (दस्तावेज़ और भाग)"),
}
KIND_NAMES: dict[str, tuple[str, str]] = {
    "scheme": ("Scheme", "योजना"), "topic": ("Topic", "विषय"), "hs_code": ("HS code", "HS कोड"),
    "market": ("Market", "बाज़ार"), "district": ("District", "ज़िला"), "institution": ("Contact", "संपर्क"),
    "glossary": ("Glossary", "शब्दावली"),
}


def text(key: str, lang: str, /, **values: object) -> str:
    en, hi = TEXTS[key]
    chosen = hi if lang == "hi" else en
    return chosen.format(**values) if values else chosen


CHANNEL_NAMES = {"telegram": "Telegram", "whatsapp": "WhatsApp", "terminal": "the terminal chat"}

ACTION_TEXTS: dict[str, tuple[str, str]] = {
    "alias_answers": ("✓ Added. The bot now answers “{question}” with “{title}”.",
                      "✓ जोड़ दिया। अब बॉट “{question}” का जवाब “{title}” से देता है।"),
    "alias_was_there": ("✓ “{question}” was already a question of “{title}”, and the bot answers it.",
                        "✓ “{question}” पहले से “{title}” में था, और बॉट इसका जवाब देता है।"),
    "alias_other": ("Added to “{title}”, but the bot still answers “{question}” with “{other}”. A synonym or "
                    "keyword may be needed: please tell the state office.",
                    "“{title}” में जोड़ दिया, पर बॉट “{question}” का जवाब अब भी “{other}” से देता है। शायद कोई "
                    "और शब्द (synonym) भी जोड़ना होगा: राज्य कार्यालय को बताएँ।"),
    "alias_none": ("Added to “{title}”, but the bot still does not answer “{question}”. A synonym or keyword may be "
                   "needed: please tell the state office.",
                   "“{title}” में जोड़ दिया, पर बॉट अब भी “{question}” का जवाब नहीं देता। शायद कोई और शब्द "
                   "(synonym) भी जोड़ना होगा: राज्य कार्यालय को बताएँ।"),
    "alias_reload": ("Written into {file}, but the bot could not load the knowledge after it, so it keeps answering "
                     "from the last good version. Please tell the state office:",
                     "{file} में लिख दिया, पर उसके बाद बॉट जानकारी लोड नहीं कर पाया, इसलिए पिछली सही जानकारी से ही "
                     "जवाब दे रहा है। राज्य कार्यालय को बताएँ:"),
    "no_entry": ("Not added: that entry is not among yours.", "नहीं जुड़ा: यह जानकारी आपकी सूची में नहीं है।"),
    "refused": ("Not added: the question would break the file of “{title}”, so nothing was changed. Please tell "
                "the state office:",
                "नहीं जुड़ा: इससे “{title}” की फ़ाइल में गड़बड़ी होती, इसलिए कुछ नहीं बदला। राज्य कार्यालय को "
                "बताएँ:"),
    "todo": ("✓ “{question}” is on the to-do list (number {number}): it needs a new answer.",
             "✓ “{question}” काम की सूची में जुड़ गया (नंबर {number}): इसका नया जवाब लिखना है।"),
    "dismissed": ("✓ “{question}” ({count}×) taken off the list: nothing to do.",
                  "✓ “{question}” ({count} बार) सूची से हटा दिया: इस पर कुछ नहीं करना।"),
    "gone_group": ("Already dealt with (by you or a colleague). Reload the page to see the list as it is now.",
                   "इस पर पहले ही काम हो चुका है (आपने या किसी साथी ने)। ताज़ा सूची के लिए पेज फिर से खोलें।"),
    "gone_handoff": ("Question #{number} was dealt with already.", "सवाल #{number} पर पहले ही काम हो चुका है।"),
    "sent": ("✓ Sent to the user on {channel}.", "✓ उपयोगकर्ता को {channel} पर भेज दिया।"),
    "answered_already": ("Already answered by {by}.", "इसका जवाब {by} पहले ही दे चुके हैं।"),
    "no_channel": ("Not sent: this console runs on its own, without the bot's {channel} connection, so it cannot "
                   "reach the user. Open the console of the running bot instead (whoever runs the server knows its "
                   "address). Your text is kept below.",
                   "नहीं भेजा: यह पेज बॉट के बिना अकेला चल रहा है, इसलिए {channel} पर उपयोगकर्ता तक नहीं पहुँच "
                   "सकता। चल रहे बॉट वाला पेज खोलकर जवाब दें (सर्वर चलाने वाले को उसका पता मालूम है)। आपका लिखा "
                   "नीचे रखा है।"),
    "window_closed": ("Not delivered: the user last wrote over 24 hours ago, and after that WhatsApp lets a reply "
                      "through only as an approved template, which is not set up here. The question stays open.",
                      "नहीं पहुँचा: उपयोगकर्ता ने 24 घंटे से ज़्यादा पहले लिखा था, और उसके बाद WhatsApp सिर्फ़ "
                      "मंज़ूर किए गए टेम्पलेट से जवाब जाने देता है, जो यहाँ सेट नहीं है। सवाल खुला रहेगा।"),
    "blocked": ("Not delivered: the user has blocked the bot. The question stays open.",
                "नहीं पहुँचा: उपयोगकर्ता ने बॉट को ब्लॉक कर दिया है। सवाल खुला रहेगा।"),
    "not_delivered": ("Not delivered ({why}). The question stays open: try again in a while.",
                      "नहीं पहुँचा ({why})। सवाल खुला रहेगा: थोड़ी देर बाद फिर भेजें।"),
}


def _say(key: str, lang: str, **values: object) -> str:
    en, hi = ACTION_TEXTS[key]
    return (hi if lang == "hi" else en).format(**values)


def action_text(action, lang: str, title: Callable[[str], str]) -> str:
    """What a staff action (bot.services.staff.Action) did, in the clerk's language; ``title`` names an entry."""
    values = {"question": action.question, "title": title(action.entry_id) if action.entry_id else "",
              "count": action.count, "number": action.number if action.number is not None else action.handoff_id}
    if action.kind == "alias" and action.taught is not None:
        taught = action.taught
        if taught.problems:
            return _say("alias_reload", lang, file=taught.file) + "\n" + "\n".join(taught.problems[:10])
        if taught.answered_by == action.entry_id:
            return _say("alias_answers" if taught.added else "alias_was_there", lang, **values)
        if taught.answered_by:
            return _say("alias_other", lang, other=title(taught.answered_by), **values)
        return _say("alias_none", lang, **values)
    if action.kind in ("todo", "dismissed"):
        return _say(action.kind, lang, **values)
    if action.kind == "gone":
        return _say("gone_group" if action.reason == "group" else "gone_handoff", lang, **values)
    if action.reason == "refused":
        return _say("refused", lang, **values) + "\n" + action.detail
    return _say("no_entry", lang)


def delivery_text(delivery, lang: str) -> str:
    """What became of an answer to a hand-off (bot.services.staff.Delivery), in the clerk's language."""
    channel = CHANNEL_NAMES.get(delivery.channel, delivery.channel)
    if delivery.status == "sent":
        return _say("sent", lang, channel=channel)
    if delivery.status == "answered_already":
        return _say("answered_already", lang, by=staff_name(delivery.answered_by))
    if delivery.status == "no_channel":
        return _say("no_channel", lang, channel=channel)
    if delivery.why in ("window_closed", "blocked"):
        return _say(delivery.why, lang)
    return _say("not_delivered", lang, why=delivery.why)


def staff_name(label: str) -> str:
    """A staff member as people know them: 'DIC Hathras desk (501)' (how the store records who did it) without
    the Telegram number."""
    name, _, rest = (label or "").rpartition(" (")
    return name if name and rest.rstrip(")").isdigit() else label


LANG_NAMES = {"en": ("English", "अंग्रेज़ी"), "hi": ("Hindi", "हिन्दी"), "hinglish": ("Hinglish", "हिंग्लिश")}
ASKED_KINDS = {"declined": ("not answered", "जवाब नहीं मिला"), "unpicked": ("no suggestion picked", "कोई सुझाव नहीं चुना"),
               "thumbs_down": ("marked 👎", "👎 मिला")}
OUTCOME_NAMES = {"answer": ("an answer", "जवाब"), "partial": ("part of an answer", "अधूरा जवाब"),
                 "suggest": ("“did you mean…?” choices", "“क्या आप यह पूछ रहे हैं…?” वाले सुझाव"),
                 "refuse": ("“I don't know that yet”", "“यह जानकारी अभी मेरे पास नहीं है”"),
                 "off_topic": ("“not in my documents” (off topic)", "“मेरे दस्तावेज़ों में नहीं” (विषय से बाहर)"),
                 "smalltalk": ("a greeting or help message", "नमस्ते या मदद वाला संदेश"),
                 "empty": ("nothing (an empty message)", "कुछ नहीं (खाली संदेश)"),
                 "too_long": ("“your message is too long”", "“आपका संदेश बहुत लंबा है”")}
STATUS_NAMES = {"draft": ("draft, not sent yet", "ड्राफ़्ट, अभी नहीं भेजा"), "scheduled": ("scheduled", "तय है"),
                "active": ("sending", "भेजा जा रहा है"), "paused": ("paused", "रुका हुआ"),
                "cancelled": ("cancelled", "रद्द"), "done": ("done", "पूरा हुआ")}
SKIP_REASONS_HI = {"blocked": "बॉट को ब्लॉक किया", "window closed": "WhatsApp की 24 घंटे की सीमा",
                   "stopped": "सदस्यता बंद की", "no channel": "यहाँ वह चैनल नहीं"}


def named(table: dict[str, tuple[str, str]], key: str | None, lang: str) -> str:
    """A code (a language, a kind, a status) in words of the reader's language; an unknown code as it is."""
    if key in table:
        return table[key][lang == "hi"]
    return key or "—"


def tally_text(tally, lang: str) -> str:
    """A campaign's delivery counts (bot.core.campaigns.Tally): in English the words `reminders status` prints."""
    if lang != "hi":
        return tally.line()
    why = (" (" + ", ".join(f"{SKIP_REASONS_HI.get(r, r)} {n}" for r, n in tally.skipped) + ")"
           if tally.skipped else "")
    cancelled = f" · रद्द {tally.cancelled}" if tally.cancelled else ""
    return (f"भेजे गए {tally.sent} · नहीं गए {tally.failed} · छोड़े गए {tally.skipped_total}{why} · पक्का पता नहीं "
            f"{tally.uncertain}{cancelled} · बाकी {tally.left}")


def ago(seconds: float, lang: str) -> str:
    hours = seconds / 3600
    if hours < 1:
        n = max(1, round(hours * 60))
        return f"{n} min ago" if lang != "hi" else f"{n} मिनट पहले"
    if hours < 48:
        return f"{hours:.0f} h ago" if lang != "hi" else f"{hours:.0f} घंटे पहले"
    return f"{hours / 24:.0f} days ago" if lang != "hi" else f"{hours / 24:.0f} दिन पहले"


def reminder_text(offset_kind: str | None, lang: str) -> str:
    """'start-7d' -> 'reminder 7 days before it starts' (or in Hindi)."""
    kind, _, days = (offset_kind or "").partition("-")
    days = days.removesuffix("d")
    if lang == "hi":
        before = {"start": "शुरू होने से", "deadline": "रजिस्ट्रेशन बंद होने से"}.get(kind, kind)
        return f"{before} {days} दिन पहले का रिमाइंडर"
    when = "1 day" if days == "1" else f"{days} days"
    return f"reminder {when} " + {"start": "before it starts", "deadline": "before registration closes"}.get(kind, kind)


def resolved_text(resolved: str | None, lang: str, title: Callable[[str], str]) -> str:
    """What was done with a hand-off after its answer ('alias:iec', 'todo:3'), in words."""
    how, _, what = (resolved or "").partition(":")
    if how == "alias":
        return f"added as a question to “{title(what)}”" if lang != "hi" else f"“{title(what)}” में सवाल जोड़ा"
    if how == "todo":
        return f"on the to-do list (number {what})" if lang != "hi" else f"काम की सूची में (नंबर {what})"
    return ""


# The validator's messages (those `kb check` prints) that a form can cause, each with a plain sentence for the
# clerk in their language; the validator's own words are shown under it.
PLAIN_PROBLEMS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"field '[\w.]+' has no English text"), "Write the English text here: it may not be empty.",
     "यहाँ अंग्रेज़ी में लिखें: यह खाली नहीं रह सकता।"),
    (re.compile(r"field '[\w.]+' has no Hindi text"), "Write the Hindi text here: it may not be empty.",
     "यहाँ हिन्दी में लिखें: यह खाली नहीं रह सकता।"),
    (re.compile(r"field '[\w.]+' has no Hindi \(Devanagari\) letters"), "Write this in Hindi, in Devanagari letters.",
     "इसे हिन्दी में, देवनागरी अक्षरों में लिखें।"),
    (re.compile(r"field '[\w.]+' is empty"), "This may not be empty.", "यह खाली नहीं रह सकता।"),
    (re.compile(r"is (?P<n>\d+) characters; a button label may have at most (?P<m>\d+)"),
     "Too long for a button: {n} letters, at most {m}.", "बटन के लिए बहुत लंबा: {n} अक्षर हैं, ज़्यादा से ज़्यादा {m} हो सकते हैं।"),
    (re.compile(r"names the fact '(?P<fact>[^']+)', which is not written anywhere \(did you mean '(?P<close>[^']+)'\?\)"),
     "There is no figure called {{{{{fact}}}}}. Did you mean {close}?",
     "{{{{{fact}}}}} नाम का कोई आँकड़ा नहीं है। क्या आपका मतलब {close} था?"),
    (re.compile(r"names the fact '(?P<fact>[^']+)', which is not written anywhere"),
     "There is no figure called {{{{{fact}}}}} in facts.yaml.", "facts.yaml में {{{{{fact}}}}} नाम का कोई आँकड़ा नहीं है।"),
    (re.compile(r"types out '(?P<value>[^']+)', the value of fact '(?P<fact>[^']+)'"),
     "{value} is written once, in facts.yaml: write {{{{{fact}}}}} here instead, so it changes with it.",
     "{value} एक ही जगह, facts.yaml में लिखा है: यहाँ उसकी जगह {{{{{fact}}}}} लिखें, ताकि वहाँ बदलने पर यहाँ भी बदले।"),
    (re.compile(r"has '\{\{' without a fact id and '\}\}'"), "A {{{{ is not closed: write a figure as {{{{fact-id}}}}.",
     "{{{{ खोला पर बंद नहीं किया: आँकड़ा {{{{fact-id}}}} की तरह लिखें।"),
    (re.compile(r"holds a placeholder; write the value itself"), "Write the value itself here, not another {{{{…}}}}.",
     "यहाँ सीधे मान लिखें, कोई दूसरा {{{{…}}}} नहीं।"),
)


def plain_problem(message: str, lang: str) -> str:
    """A plain sentence for a validator's message ('' when there is none: the message is then shown alone)."""
    for pattern, en, hi in PLAIN_PROBLEMS:
        found = pattern.search(message)
        if found:
            return (hi if lang == "hi" else en).format(**found.groupdict())
    return ""
