"""The conversation, once, for every channel (Telegram, WhatsApp, terminal).

:meth:`Dialogue.handle` takes the user's state and one incoming event and
returns the new state, the replies (text plus buttons) and what to log. It
does no I/O: channels render the replies and the store persists the rest.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Callable, Iterable, Sequence

from rapidfuzz import fuzz, process

from .answers import AnswerEngine, Outcome
from .events import IST, Occurrence, find_occurrence, ics, upcoming
from .entities import District, Entry, KnowledgeBase
from .entities import clip as _clip
from .followup import Topic, has_subject
from .normalise import has_devanagari, normalise
from .smalltalk import classify
from .texts import t

PAGE = 7                      # list items per page: with 2 paging buttons and 1 more, a WhatsApp list (10 rows)
CALLBACK_MAX_BYTES = 64       # Telegram's limit for callback_data
SUBSCRIPTIONS = ("all", "district", "sector", "none")


def _number(text: str) -> bool:
    """Digits 0-9 only, and not absurdly many (button data may be forged: '²'.isdigit() is true)."""
    return text.isascii() and text.isdigit() and len(text) <= 9


@dataclass(frozen=True)
class Button:
    label: str
    data: str


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    attachment: tuple[str, bytes] | None = None   # (file name, content), e.g. an .ics file


@dataclass(frozen=True)
class UserState:
    lang: str | None = None
    district: str | None = None
    sector: str | None = None
    product: str | None = None
    step: str | None = None            # onboarding step waiting for an answer
    subscription: str | None = None    # all | district | sector | none; None = never asked
    topic: Topic | None = None         # what the last answered question was about (for follow-ups)


@dataclass(frozen=True)
class Incoming:
    kind: str                          # text | button | command | media | edited | group
    text: str = ""                     # the text, the button data or the command name (no slash)
    args: str = ""


@dataclass(frozen=True)
class Logged:
    """A question to record in the question log."""

    question: str
    lang: str
    entry_id: str | None
    score: float
    outcome: str                       # answer | suggest | partial | refuse | off_topic | empty | too_long


@dataclass(frozen=True)
class Turn:
    state: UserState
    replies: tuple[Reply, ...]
    logged: Logged | None = None
    feedback: tuple[str, bool] | None = None      # (entry id, helpful)
    stop: bool = False                            # the user asked to stop all messages
    follow: str | None = None                     # an event the user asked to be reminded of
    kind: str = ""                                # what the turn was: answer | suggest | refuse | smalltalk | ...
    outcome: Outcome | None = None                # the answer engine's decision, when a question was asked
    note: str | None = None                       # after 👎: what the user says they were looking for
    handoff: bool = False                         # the user asked to send their question to the district office


COMMANDS = ("start", "menu", "help", "language", "district", "product", "events", "subscribe", "unsubscribe", "stop",
            "source")


def find_districts(kb: KnowledgeBase, text: str, limit: int = 3) -> list[District]:
    """Districts whose name (English, Hindi or another name) matches the text, best first."""
    query = normalise(text)
    if not query:
        return []
    names: dict[str, str] = {}
    for d in kb.districts.values():
        for name in (d.name.en, d.name.hi, d.id.replace("-", " "), *d.other_names):
            names.setdefault(normalise(name), d.id)
    if query in names:
        return [kb.districts[names[query]]]
    starts = [d for n, d in names.items() if n.startswith(query + " ")]
    if starts:
        return [kb.districts[d] for d in dict.fromkeys(starts)][:limit]
    found: list[District] = []
    for name, score, _ in process.extract(query, list(names), scorer=fuzz.ratio, limit=10, score_cutoff=80):
        d = kb.districts[names[name]]
        if d not in found:
            found.append(d)
    return found[:limit]


def find_district(kb: KnowledgeBase, text: str) -> District | None:
    found = find_districts(kb, text)
    return found[0] if len(found) == 1 else None


class Dialogue:
    def __init__(self, engine: AnswerEngine, today: Callable[[], date] | None = None,
                 clock: Callable[[], float] | None = None, offer_handoff: bool = False):
        self.engine = engine
        self.offer_handoff = offer_handoff      # "Ask the district office" under declines and after 👎
        self.today = today or (lambda: datetime.now(IST).date())
        self.clock = clock or time.time

    @property
    def kb(self) -> KnowledgeBase:
        return self.engine.kb

    # ------------------------------------------------------------ entry point

    def handle(self, state: UserState, event: Incoming) -> Turn:
        lang = state.lang or "en"
        if event.kind == "media":
            return Turn(state, (Reply(t("non_text", lang)),))
        if event.kind == "edited":
            return Turn(state, (Reply(t("edited", lang)),))
        if event.kind == "group":
            return Turn(state, (Reply(t("group", lang)),))
        if event.kind == "command":
            return self._command(state, event.text.lower(), event.args)
        if event.kind == "button":
            return self._button(state, event.text)
        return self._text(state, event.text)

    # ------------------------------------------------------------ commands

    def _command(self, state: UserState, name: str, args: str) -> Turn:
        lang = state.lang or "en"
        if name == "start":
            return Turn(replace(state, step="lang"), (self._welcome(),))
        if name == "menu":
            return Turn(replace(state, step=None), (self.menu(lang),))
        if name == "help":
            return Turn(state, (Reply(t("help", lang), self._menu_row(lang)),))
        if name == "language":
            return Turn(replace(state, step="lang"), (self._language_prompt(lang),))
        if name == "district":
            if args:
                return self._text(replace(state, step="district"), args)
            return Turn(replace(state, step="district"), (self._district_prompt(lang, 0),))
        if name == "product":
            return Turn(replace(state, step="product"), (self._product_prompt(state, lang),))
        if name == "events":
            return Turn(state, self._events(state, lang))
        if name == "subscribe":
            return Turn(replace(state, step="subscribe"), (self._subscribe_prompt(lang),))
        if name == "source":
            return Turn(state, (self._source(state, lang),))
        if name in ("unsubscribe", "stop"):
            return Turn(replace(state, subscription="none", step=None), (Reply(t("stopped", lang)),), stop=True)
        return Turn(state, (Reply(t("unknown_command", lang)),))

    # ------------------------------------------------------------ free text

    def _text(self, state: UserState, text: str) -> Turn:
        lang = state.lang or "en"
        stripped = text.strip()
        if state.step == "district" and stripped:
            found = find_districts(self.kb, stripped)
            if len(found) == 1:
                return self._set_district(state, found[0].id)
            if len(found) > 1:
                rows = tuple((Button(d.name.get(lang), f"dist:{d.id}"),) for d in found)
                return Turn(state, (Reply(t("district_pick", lang), rows + ((Button(t("b_skip", lang), "dist:skip"),),)),))
        if state.step == "fb_note" and stripped and not stripped.startswith("/"):
            # The line after 👎 is kept as what they were looking for, and answered as a question too.
            turn = self._text(replace(state, step=None), text)
            return replace(turn, note=stripped[:300], replies=(Reply(t("feedback_noted", lang)),) + turn.replies)
        if state.step == "lang" and normalise(stripped) in ("hindi", "हिन्दी", "हिंदी", "english", "angrezi", "अंग्रेज़ी", "अंग्रेजी"):
            chosen = "en" if normalise(stripped) in ("english", "angrezi", "अंग्रेज़ी", "अंग्रेजी") else "hi"
            return self._set_language(state, chosen)
        if state.step == "district":
            state = replace(state, step=None)   # answered as a question below: a later text won't move the district
        if stripped.upper() in ("STOP", "रोकें", "बंद") and len(stripped) <= 5:
            return self._command(state, "stop", "")
        act = classify(stripped)
        if act is not None:
            return replace(self._small_talk(state, act, stripped), kind="smalltalk")
        return self.question(state, text)

    def _small_talk(self, state: UserState, act: str, text: str) -> Turn:
        """A short fitting reply to a greeting, thanks, "ok", help, menu or a language switch in words."""
        lang = state.lang or ("hi" if has_devanagari(text) else "en")
        if act == "greeting":
            first_time = state.lang is None and state.district is None and state.step is None
            if first_time:
                return self._command(state, "start", "")
            return Turn(replace(state, step=None), (Reply(t("greet_again", lang), self._menu_buttons(lang)),))
        if act == "restart":
            return self._command(state, "start", "")
        if act == "menu":
            return self._command(state, "menu", "")
        if act == "help":
            return Turn(state, (Reply(t("help", lang), self._menu_buttons(lang)),))
        if act == "source":
            return Turn(state, (self._source(state, lang),))
        if act == "office":
            # "kisi se baat karni hai": the district office's card, and the hand-off when it is offered.
            card = self._office_card(state, lang)
            rows = ((Button(t("b_ask_office", lang), "ho"),),) if self.offer_handoff else ()
            return Turn(state, (Reply(t("office_talk", lang) + "\n\n" + card.text, rows + card.buttons),))
        if act == "lang_ask":
            return self._command(state, "language", "")
        if act in ("lang_hi", "lang_en"):
            chosen = act[-2:]
            state = replace(state, lang=chosen, step=None)
            replies = [Reply(t("language_set", chosen))]
            topic = self._topic_now(state)
            entry = self.kb.entries.get(topic.entry_id) if topic else None
            if entry is None:
                return Turn(state, (*replies, self.menu(chosen)))
            # "hindi me batao" after an answer: that answer, in Hindi (the turn answers, as the question did).
            shown = self.entry_reply(entry, chosen)
            outcome = Outcome("answer", text, chosen, shown.text, entry=entry, score=1.0)
            return Turn(state, (*replies, shown), outcome=outcome)
        key = {"thanks": "smalltalk_thanks", "bye": "smalltalk_bye"}.get(act, "smalltalk_ok")
        return Turn(state, (Reply(t(key, lang), self._menu_row(lang)),))

    def _source(self, state: UserState, lang: str) -> Reply:
        """The full reference of the last answer (its short form stands under the answer)."""
        entry = self.kb.entries.get(state.topic.entry_id) if state.topic else None
        if entry is None:
            return Reply(t("source_none", lang), self._menu_row(lang))
        return Reply(t("source_full", lang, title=entry.title.get(lang), source=self.kb.source_text(entry.source, lang)),
                     self._menu_row(lang))

    def _topic_now(self, state: UserState) -> Topic | None:
        """The previous question's topic while it is fresh (forgotten after a while of silence)."""
        topic = state.topic
        return topic if topic is not None and topic.fresh(self.clock()) else None

    def question(self, state: UserState, text: str) -> Turn:
        outcomes = self.engine.ask_all(text, lang=state.lang, district=state.district, previous=self._topic_now(state))
        outcome = outcomes[0]
        if (state.district is None and self._about_some_district(outcome)
                and self.engine.asks_own_district(text, self._topic_now(state))):
            # "What is the ODOP of my district?" before the user chose one: ask which, rather than guess.
            return Turn(replace(state, step="district"), (self._district_prompt(outcome.lang, 0),), kind="need_district",
                        logged=Logged(outcome.question, outcome.lang, None, 0.0, "need_district"))
        logged = Logged(outcome.question, outcome.lang, outcome.entry.id if outcome.entry else None,
                        outcome.score, outcome.kind)
        last = outcomes[-1]
        if last.kind == "answer" and last.entry is not None:
            tokens = self.engine.topic_of(last)
            before = self._topic_now(state)
            if before is not None and before.entry_id == last.entry.id:
                # The same subject goes on ("who is its member secretary?" after the DEPC): keep what it was about.
                tokens = tuple(dict.fromkeys(before.tokens + tokens))
            state = replace(state, topic=Topic(last.entry.id, tokens, self.clock()))
        elif last.kind in ("suggest", "partial") and last.query is not None and has_subject(
                last.query.tokens, self.engine.district_tokens, self.engine.country_tokens):
            # "Did you mean" answered nothing, but the next message may still lean on what was asked
            # ("main hathras me bacchon ke kapde banata hu. hs code?" ... "ye kis desh me jaata hai?").
            state = replace(state, topic=Topic("", last.query.tokens, self.clock()))
        replies = tuple(self._outcome_reply(o, state) for o in outcomes)
        return Turn(state, replies, logged=logged, kind=outcome.kind, outcome=outcome)

    @staticmethod
    def _about_some_district(outcome: Outcome) -> bool:
        """Is the best entry about one particular district (its card, or a figure of that district)?"""
        best = outcome.entry or (outcome.matches[0].entry if outcome.matches else None)
        return best is not None and (best.kind == "district" or best.district is not None)

    def _outcome_reply(self, outcome: Outcome, state: UserState) -> Reply:
        lang = outcome.lang
        if outcome.kind == "answer" and outcome.entry is not None:
            return self.entry_reply(outcome.entry, lang, text=outcome.text, also=outcome.suggestions)
        if outcome.kind == "suggest":
            rows = tuple((Button(e.short.get(lang), f"e:{e.id}"),) for e in outcome.suggestions)
            return Reply(outcome.text, rows)
        if outcome.kind == "partial":      # what is known: the district cards, one tap away
            rows = tuple((Button(e.short.get(lang), f"e:{e.id}"),) for e in outcome.suggestions)
            return Reply(outcome.text, rows + self._menu_row(lang))
        if outcome.kind in ("refuse", "off_topic") and self.offer_handoff:
            return Reply(outcome.text, ((Button(t("b_ask_office", lang), "ho"),),) + self._menu_row(lang))
        return Reply(outcome.text, self._menu_row(lang))

    def entry_reply(self, entry: Entry, lang: str, text: str | None = None, also: Sequence[Entry] = ()) -> Reply:
        body = text or self.engine.render(entry, lang)
        rows = tuple((Button("↪ " + e.short.get(lang)[:18], f"e:{e.id}"),) for e in also)
        rows += ((Button(t("b_yes", lang), f"fb:y:{entry.id}"), Button(t("b_no", lang), f"fb:n:{entry.id}")),
                 (Button(t("b_menu", lang), "menu"),))
        return Reply(body, rows)

    # ------------------------------------------------------------ buttons

    def _button(self, state: UserState, data: str) -> Turn:
        lang = state.lang or "en"
        head, _, rest = data.partition(":")
        if head == "lang" and rest in ("en", "hi", "skip"):
            return self._set_language(state, None if rest == "skip" else rest)
        if head == "dist":
            if rest == "skip":
                return self._after_district(replace(state, step=None))
            if rest.startswith("p:") and _number(rest[2:]):
                return Turn(state, (self._district_prompt(lang, int(rest[2:])),))
            if rest in self.kb.districts:
                return self._set_district(state, rest)
        if head == "prod":
            return self._set_product(state, rest)
        if head == "pp" and _number(rest):
            return Turn(state, (self._product_prompt(state, lang, int(rest)),))
        if head == "sub" and rest in SUBSCRIPTIONS:
            return self._set_subscription(state, rest)
        if head == "menu":
            return Turn(replace(state, step=None), (self.menu(lang),))
        if head == "m":
            topic, _, page = rest.partition(":")
            reply = self._topic(state, lang, topic, int(page) if _number(page) else 0)
            if reply is not None:
                return Turn(state, (reply,))
        if head == "e" and rest in self.kb.entries:
            entry = self.kb.entries[rest]
            tokens = tuple(self.engine.index.canon.content(entry.title.en))
            state = replace(state, topic=Topic(entry.id, tokens, self.clock()))
            return Turn(state, (self.entry_reply(entry, lang),),
                        logged=Logged(f"[{entry.id}]", lang, entry.id, 1.0, "browse"))
        if head == "ev":
            reply = self._event(state, lang, rest)
            if reply is not None:
                return Turn(state, (reply,))
        if head == "rm":
            event = next((e for e in self.kb.events if e.id == rest), None)
            if event is not None:
                return Turn(state, (Reply(t("remind_set", lang, title=event.title.get(lang)), self._menu_row(lang)),),
                            follow=event.id)
        if head == "office":
            return Turn(state, (self._office_card(state, lang),))
        if head == "fb":
            verdict, _, entry_id = rest.partition(":")
            if verdict in ("y", "n") and entry_id in self.kb.entries:
                if verdict == "y":
                    return Turn(state, (Reply(t("feedback_thanks_yes", lang)),), feedback=(entry_id, True))
                rows = ((Button(t("b_ask_office", lang), "ho"),),) if self.offer_handoff else ()
                text = t("feedback_ask_what", lang, office=self.engine.district_office(state.district, lang))
                return Turn(replace(state, step="fb_note"), (Reply(text, rows + self._menu_row(lang)),),
                            feedback=(entry_id, False))
        if head == "ho":
            return Turn(replace(state, step=None), (), handoff=True)
        if head == "set":
            return self._command(state, {"lang": "language", "district": "district", "product": "product",
                                         "sub": "subscribe"}.get(rest, "menu"), "")
        return Turn(state, (Reply(t("expired", lang)), self.menu(lang)))

    # ------------------------------------------------------------ onboarding

    def _welcome(self) -> Reply:
        return Reply(t("welcome", "en"), ((Button("English", "lang:en"), Button("हिन्दी", "lang:hi")),
                                          (Button("Skip / छोड़ें", "lang:skip"),)))

    def _language_prompt(self, lang: str) -> Reply:
        return Reply(t("ask_language", lang), ((Button("English", "lang:en"), Button("हिन्दी", "lang:hi")),))

    def _set_language(self, state: UserState, lang: str | None) -> Turn:
        onboarding = state.step == "lang" and state.district is None
        state = replace(state, lang=lang or state.lang)
        shown = state.lang or "en"
        replies: list[Reply] = []
        if lang:
            replies.append(Reply(t("language_set", shown)))
        if onboarding:
            replies.append(self._district_prompt(shown, 0))
            return Turn(replace(state, step="district"), tuple(replies))
        replies.append(self.menu(shown))
        return Turn(replace(state, step=None), tuple(replies))

    def _district_prompt(self, lang: str, page: int) -> Reply:
        districts = sorted(self.kb.districts.values(), key=lambda d: d.name.en)
        items = [Button(d.name.get(lang), f"dist:{d.id}") for d in districts]
        rows = self._paged(items, page, "dist:p:{}", lang, columns=2)
        return Reply(t("ask_district", lang), rows + ((Button(t("b_skip", lang), "dist:skip"),),))

    def _set_district(self, state: UserState, district_id: str) -> Turn:
        lang = state.lang or "en"
        onboarding = state.step == "district"
        state = replace(state, district=district_id, step=None)
        name = self.kb.districts[district_id].name.get(lang)
        note = Reply(t("district_set", lang, district=name))
        if onboarding:
            turn = self._after_district(state)
            return Turn(turn.state, (note, *turn.replies))
        return Turn(state, (note, self.menu(lang)))

    def _after_district(self, state: UserState) -> Turn:
        lang = state.lang or "en"
        if state.sector is None:
            return Turn(replace(state, step="product"), (self._product_prompt(state, lang),))
        return self._finish_onboarding(state)

    def _product_prompt(self, state: UserState, lang: str, page: int = 0) -> Reply:
        buttons: list[Button] = []
        district = self.kb.districts.get(state.district or "")
        if district:
            for i, p in enumerate(district.odop):
                if p.sector:
                    buttons.append(Button(_clip(p.product.get(lang), 24), f"prod:{district.id}:{i}"))
        for sector in self.kb.sectors.values():
            buttons.append(Button(sector.name.get(lang), f"prod:{sector.id}"))
        rows = self._paged(buttons, page, "pp:{}", lang)
        return Reply(t("ask_product", lang), rows + ((Button(t("b_skip", lang), "prod:skip"),),))

    def _set_product(self, state: UserState, rest: str) -> Turn:
        lang = state.lang or "en"
        onboarding = state.step == "product"
        if rest == "skip":
            return self._finish_onboarding(replace(state, step=None)) if onboarding else Turn(
                replace(state, step=None), (self.menu(lang),))
        parts = rest.split(":")
        if len(parts) == 2 and parts[0] in self.kb.districts and _number(parts[1]):
            odop = self.kb.districts[parts[0]].odop
            index = int(parts[1])
            if index >= len(odop):
                return Turn(state, (Reply(t("expired", lang)), self.menu(lang)))
            product = odop[index]
            state = replace(state, sector=product.sector, product=product.product.en, step=None)
            label = product.product.get(lang)
        elif len(parts) == 1 and parts[0] in self.kb.sectors:
            sector = self.kb.sectors[parts[0]]
            state = replace(state, sector=sector.id, product=None, step=None)
            label = sector.name.get(lang)
        else:
            return Turn(state, (Reply(t("expired", lang)), self.menu(lang)))
        note = Reply(t("product_set", lang, product=label))
        if onboarding:
            turn = self._finish_onboarding(state)
            return Turn(turn.state, (note, *turn.replies))
        return Turn(state, (note, self.menu(lang)))

    def _finish_onboarding(self, state: UserState) -> Turn:
        lang = state.lang or "en"
        if state.subscription is None:
            return Turn(replace(state, step="subscribe"), (self._subscribe_prompt(lang),))
        return Turn(replace(state, step=None), (Reply(t("onboarding_done", lang), self._menu_buttons(lang)),))

    def _subscribe_prompt(self, lang: str) -> Reply:
        return Reply(t("ask_subscribe", lang), (
            (Button(t("sub_district", lang), "sub:district"), Button(t("sub_sector", lang), "sub:sector")),
            (Button(t("sub_all", lang), "sub:all"), Button(t("sub_none", lang), "sub:none"))))

    def _set_subscription(self, state: UserState, choice: str) -> Turn:
        lang = state.lang or "en"
        state = replace(state, subscription=choice, step=None)
        done = Reply(t("subscribed", lang, choice=t(f"sub_{choice}", lang)))
        return Turn(state, (done, Reply(t("onboarding_done", lang), self._menu_buttons(lang))), stop=choice == "none")

    # ------------------------------------------------------------ menus

    def _menu_buttons(self, lang: str) -> tuple[tuple[Button, ...], ...]:
        b = lambda key, data: Button(t(key, lang), data)  # noqa: E731
        return ((b("b_schemes", "m:schemes"), b("b_hs", "m:hs")),
                (b("b_markets", "m:markets"), b("b_contacts", "m:contacts")),
                (b("b_events", "m:events"), b("b_ask", "m:ask")),
                (b("b_settings", "m:settings"),))

    def _menu_row(self, lang: str) -> tuple[tuple[Button, ...], ...]:
        return ((Button(t("b_menu", lang), "menu"),),)

    def menu(self, lang: str) -> Reply:
        return Reply(t("menu", lang), self._menu_buttons(lang))

    def _paged(self, items: Sequence[Button], page: int, pattern: str, lang: str,
               columns: int = 1) -> tuple[tuple[Button, ...], ...]:
        pages = max(1, -(-len(items) // PAGE))
        page = min(max(page, 0), pages - 1)
        chunk = items[page * PAGE:(page + 1) * PAGE]
        rows = [tuple(chunk[i:i + columns]) for i in range(0, len(chunk), columns)]
        nav = []
        if page > 0:
            nav.append(Button(t("b_prev", lang), pattern.format(page - 1)))
        if page < pages - 1:
            nav.append(Button(t("b_next", lang), pattern.format(page + 1)))
        if nav:
            rows.append(tuple(nav))
        return tuple(rows)

    def _sector_first(self, entries: Iterable[Entry], state: UserState) -> list[Entry]:
        entries = list(entries)
        if not state.sector:
            return entries
        return [e for e in entries if e.sector == state.sector] + [e for e in entries if e.sector != state.sector]

    def _topic(self, state: UserState, lang: str, topic: str, page: int) -> Reply | None:
        kb = self.kb
        sector = kb.sectors.get(state.sector or "")
        for_sector = t("for_sector", lang, sector=sector.name.get(lang)) if sector else ""
        if topic == "schemes":
            order = {"upepb": 0, "odop": 1, "state": 2, "central": 3}
            entries = sorted(kb.by_kind("scheme"), key=lambda e: order.get(e.category or "", 9))
            header, entries = "list_schemes", self._sector_first(entries, state)
        elif topic == "hs":
            header, entries = "list_hs", self._sector_first(sorted(kb.by_kind("hs_code"), key=lambda e: e.codes), state)
        elif topic == "markets":
            header, entries = "list_markets", self._sector_first(kb.by_kind("market"), state)
        elif topic == "contacts":
            header = "list_contacts"
            entries = kb.by_kind("institution")
            local = [e for e in entries if e.district and e.district == state.district]
            entries = local + [e for e in entries if e not in local]
        elif topic == "events":
            return self._events(state, lang)[0]
        elif topic == "ask":
            return Reply(t("ask_prompt", lang), self._menu_row(lang))
        elif topic == "settings":
            return self._settings(state, lang)
        else:
            return None
        items = [Button(e.short.get(lang), f"e:{e.id}") for e in entries]
        if topic == "contacts" and state.district in kb.districts:
            items.insert(0, Button(t("your_office", lang), "office:"))
        pages = max(1, -(-len(items) // PAGE))
        page = min(max(page, 0), pages - 1)
        text = t(header, lang, page=page + 1, pages=pages, for_sector=for_sector)
        rows = self._paged(items, page, f"m:{topic}:{{}}", lang)
        return Reply(text, rows + self._menu_row(lang))

    def _office_card(self, state: UserState, lang: str) -> Reply:
        district = self.kb.districts.get(state.district or "")
        if district is None:
            return Reply(t("need_district", lang), ((Button(t("b_district", lang), "set:district"),),))
        text = t("office_card", lang, district=district.name.get(lang))
        dic = self.kb.entries.get("dic-diepc")
        if dic is not None:
            text += "\n\n" + self.engine.render(dic, lang)
        return Reply(text, self._menu_row(lang))

    def _settings(self, state: UserState, lang: str) -> Reply:
        district = self.kb.districts.get(state.district or "")
        sector = self.kb.sectors.get(state.sector or "")
        odop = next((p for p in (district.odop if district else ()) if p.product.en == state.product), None)
        product = odop.product.get(lang) if odop else state.product or (sector.name.get(lang) if sector else None)
        sub = t(f"sub_{state.subscription}", lang) if state.subscription in SUBSCRIPTIONS else t("not_set", lang)
        text = t("settings", lang, language="हिन्दी" if lang == "hi" else "English",
                 district=district.name.get(lang) if district else t("not_set", lang),
                 product=product or t("not_set", lang), subscription=sub)
        b = lambda key, data: Button(t(key, lang), data)  # noqa: E731
        return Reply(text, ((b("b_language", "set:lang"), b("b_district", "set:district")),
                            (b("b_product", "set:product"), b("b_reminders", "set:sub")),
                            (b("b_menu", "menu"),)))

    def _events(self, state: UserState, lang: str) -> tuple[Reply, ...]:
        found = upcoming(self.kb.events, self.today(), days=EVENT_DAYS, district=state.district, sector=state.sector)
        if not found:
            office = self.engine.district_office(state.district, lang)
            return (Reply(t("no_events", lang, office=office), self._menu_row(lang)),)
        shown = found[:PAGE]
        lines = [t("events_header", lang)]
        for i, o in enumerate(shown, 1):
            note = " " + t("example_date", lang) if o.event.example else ""
            lines.append(f"{i}. {format_date(o.start, lang)}: {o.event.title.get(lang)}{note}")
        rows = tuple((Button(_clip(f"{i}. {o.event.title.get(lang)}", 24), f"ev:{o.event.id}:{o.start:%Y%m%d}"),)
                     for i, o in enumerate(shown, 1))
        return (Reply("\n".join(lines), rows + self._menu_row(lang)),)

    def _event(self, state: UserState, lang: str, rest: str) -> Reply | None:
        event_id, _, day = rest.rpartition(":")
        if not _number(day):
            return None
        try:
            start = datetime.strptime(day, "%Y%m%d").date()
        except ValueError:
            return None
        o = find_occurrence(self.kb.events, event_id, start)
        if o is None:
            return None
        event = o.event
        return Reply(self.event_text(o, lang), ((Button(t("b_remind", lang), f"rm:{event.id}"),),) + self._menu_row(lang),
                     attachment=(f"{event.id}-{o.start:%Y%m%d}.ics", ics(o, lang)))

    def event_text(self, o: Occurrence, lang: str) -> str:
        e = o.event
        when = format_date(o.start, lang) + (f" – {format_date(o.end, lang)}" if o.end != o.start else "")
        if e.time is not None:
            when += f", {e.time:%H:%M}"
        lines = [e.title.get(lang), t("event_when", lang, when=when)]
        if e.example:
            lines[-1] += " " + t("example_date", lang)
        if e.place is not None:
            lines.append(t("event_where", lang, place=e.place.get(lang)))
        if e.organiser is not None:
            lines.append(t("event_by", lang, organiser=e.organiser.get(lang)))
        if o.deadline is not None:
            lines.append(t("event_deadline", lang, deadline=format_date(o.deadline, lang)))
        if e.description is not None:
            lines.append(e.description.get(lang))
        if e.link:
            lines.append(e.link)
        return "\n".join(lines) + "\n\n" + t("source_plain", lang, source=self.kb.source_text(e.source, lang))


MONTHS_HI = ("जनवरी", "फ़रवरी", "मार्च", "अप्रैल", "मई", "जून", "जुलाई", "अगस्त", "सितंबर", "अक्टूबर", "नवंबर", "दिसंबर")
EVENT_DAYS = 400                # a year ahead and a little: trade fairs are announced early


def format_date(d: date, lang: str) -> str:
    if lang == "hi":
        return f"{d.day} {MONTHS_HI[d.month - 1]} {d.year}"
    return f"{d.day} {d:%b %Y}"


def check_callback_sizes(kb: KnowledgeBase) -> list[str]:
    """Button data (entries, events, districts, products) longer than Telegram allows."""
    data = [f"fb:y:{e.id}" for e in kb.entries.values()] + [f"e:{e.id}" for e in kb.entries.values()]
    data += [f"ev:{e.id}:20270101" for e in kb.events] + [f"rm:{e.id}" for e in kb.events]
    data += [f"prod:{d.id}:{i}" for d in kb.districts.values() for i in range(len(d.odop))]
    data += [f"dist:{d.id}" for d in kb.districts.values()] + [f"prod:{s}" for s in kb.sectors]
    return [d for d in data if len(d.encode()) > CALLBACK_MAX_BYTES]


__all__ = ["Button", "Reply", "UserState", "Incoming", "Turn", "Logged", "Dialogue", "find_district", "find_districts",
           "COMMANDS"]
