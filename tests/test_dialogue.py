"""The conversation itself, channel-free: a state and an incoming message in, a new state and replies out."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from bot.core.dialogue import (PAGE, Button, Dialogue, Incoming, Reply, UserState, check_callback_sizes, find_district,
                               find_districts, format_date)
from bot.core.texts import t


def text(value: str) -> Incoming:
    return Incoming("text", value)


def press(data: str) -> Incoming:
    return Incoming("button", data)


def command(name: str, args: str = "") -> Incoming:
    return Incoming("command", name, args)


def datas(reply: Reply) -> list[str]:
    return [b.data for row in reply.buttons for b in row]


MENU = ["m:schemes", "m:hs", "m:markets", "m:contacts", "m:events", "m:ask", "m:settings"]


# ---------------------------------------------------------------- onboarding

def test_start_greets_in_both_languages_and_asks_the_language(dialogue):
    turn = dialogue.handle(UserState(), command("start"))
    assert turn.state == UserState(step="lang")
    (welcome,) = turn.replies
    assert welcome.text.startswith("Namaste! I am the export helpdesk of Uttar Pradesh.") and "नमस्ते!" in welcome.text
    assert welcome.buttons == ((Button("English", "lang:en"), Button("हिन्दी", "lang:hi")),
                               (Button("Skip / छोड़ें", "lang:skip"),))


def test_onboarding_from_language_to_the_menu(dialogue):
    state = dialogue.handle(UserState(), command("start")).state
    turn = dialogue.handle(state, press("lang:hi"))
    assert turn.state == UserState(lang="hi", step="district")
    assert [r.text for r in turn.replies] == [t("language_set", "hi"), t("ask_district", "hi")]
    assert turn.replies[1].buttons[0] == (Button("आगरा", "dist:agra"), Button("अलीगढ़", "dist:aligarh"))

    turn = dialogue.handle(turn.state, text("hathras"))
    assert turn.state == UserState(lang="hi", district="hathras", step="product")
    assert [r.text for r in turn.replies] == ["ज़िला सेव हो गया: हाथरस।", t("ask_product", "hi")]
    assert datas(turn.replies[1])[:2] == ["prod:hathras:0", "prod:hathras:1"]

    garments = dialogue.kb.districts["hathras"].odop[1].product
    turn = dialogue.handle(turn.state, press("prod:hathras:1"))
    assert turn.state.sector == "textiles" and turn.state.step == "subscribe"
    assert turn.replies[0].text == t("product_set", "hi", product=garments.hi)
    assert turn.replies[1].text == t("ask_subscribe", "hi")
    assert datas(turn.replies[1]) == ["sub:district", "sub:sector", "sub:all", "sub:none"]

    turn = dialogue.handle(turn.state, press("sub:district"))
    assert turn.state == UserState(lang="hi", district="hathras", sector="textiles", product=garments.en,
                                   subscription="district")
    assert [r.text for r in turn.replies] == [t("subscribed", "hi", choice=t("sub_district", "hi")),
                                              t("onboarding_done", "hi")]
    assert datas(turn.replies[1]) == MENU
    assert not turn.stop


def test_every_onboarding_step_can_be_skipped(dialogue):
    state = dialogue.handle(UserState(), command("start")).state
    turn = dialogue.handle(state, press("lang:skip"))
    assert turn.state == UserState(step="district") and [r.text for r in turn.replies] == [t("ask_district", "en")]
    turn = dialogue.handle(turn.state, press("dist:skip"))
    assert turn.state.step == "product"
    turn = dialogue.handle(turn.state, press("prod:skip"))
    assert turn.state.step == "subscribe"
    turn = dialogue.handle(turn.state, press("sub:none"))
    assert turn.state == UserState(subscription="none") and turn.stop


def test_a_language_typed_in_words_is_understood_during_onboarding(dialogue):
    turn = dialogue.handle(UserState(step="lang"), text("Hindi"))
    assert turn.state.lang == "hi" and turn.state.step == "district"


def test_a_misspelt_district_is_found_and_an_ambiguous_one_offers_choices(dialogue, kb):
    assert find_district(kb, "hatras").id == "hathras"
    assert find_district(kb, "हाथरस").id == "hathras"
    assert find_district(kb, "") is None
    assert [d.id for d in find_districts(kb, "kanpur")] == ["kanpur-nagar"]
    assert [d.id for d in find_districts(kb, "sant")] == ["sant-ravidas-nagar", "sant-kabir-nagar"]
    turn = dialogue.handle(UserState(lang="en", step="district"), text("sant"))
    (pick,) = turn.replies
    assert pick.text == t("district_pick", "en") and turn.state.step == "district"
    assert datas(pick) == ["dist:sant-ravidas-nagar", "dist:sant-kabir-nagar", "dist:skip"]


def test_district_pages_and_a_district_command_with_a_name(dialogue):
    page = dialogue.handle(UserState(), press("dist:p:1")).replies[0]
    assert page.buttons[0] == (Button("Azamgarh", "dist:azamgarh"), Button("Baghpat", "dist:baghpat"))
    assert [b.data for b in page.buttons[-2]] == ["dist:p:0", "dist:p:2"]
    turn = dialogue.handle(UserState(lang="en"), command("district", "Agra"))
    assert turn.state.district == "agra" and turn.state.step == "product"        # no product yet: asked next
    assert [r.text for r in turn.replies] == ["District saved: Agra.", t("ask_product", "en")]
    turn = dialogue.handle(UserState(lang="en", sector="leather", subscription="all"), command("district", "Agra"))
    assert [r.text for r in turn.replies] == ["District saved: Agra.", t("onboarding_done", "en")]


def test_a_question_while_asked_for_the_district_is_answered_and_the_step_ends(dialogue):
    turn = dialogue.handle(UserState(lang="en", step="district"), text("HS code for saddlery"))
    assert turn.state.step is None and turn.state.district is None
    assert turn.replies[0].text.startswith("HS code 4201: ")


# ---------------------------------------------------------------- questions and answers

def test_an_answer_comes_with_feedback_buttons_and_is_logged(dialogue):
    turn = dialogue.handle(UserState(lang="en"), text("gatway prot skeem"))
    (answer,) = turn.replies
    assert answer.text == dialogue.engine.render(dialogue.kb.entries["upepb-gateway-port"], "en")
    assert answer.buttons[-2:] == ((Button("👍 Helpful", "fb:y:upepb-gateway-port"),
                                    Button("👎 Not helpful", "fb:n:upepb-gateway-port")),
                                   (Button(t("b_menu", "en"), "menu"),))
    assert turn.logged is not None and (turn.logged.entry_id, turn.logged.outcome) == ("upepb-gateway-port", "answer")


def test_feedback_is_thanked_and_recorded(dialogue):
    yes = dialogue.handle(UserState(lang="en"), press("fb:y:upepb-gateway-port"))
    assert yes.feedback == ("upepb-gateway-port", True) and yes.replies[0].text == t("feedback_thanks_yes", "en")
    no = dialogue.handle(UserState(lang="en", district="agra"), press("fb:n:upepb-gateway-port"))
    assert no.feedback == ("upepb-gateway-port", False)
    # After 👎 the bot asks, in one optional line, what the user was looking for (for the district staff).
    assert no.replies[0].text == t("feedback_ask_what", "en", office=dialogue.engine.district_office("agra", "en"))
    assert no.state.step == "fb_note"


def test_off_topic_is_refused_and_names_the_users_office(dialogue):
    turn = dialogue.handle(UserState(lang="en", district="hathras"), text("tell me a joke"))
    (refusal,) = turn.replies
    assert "District Industries Centre (DIC / DIEPC), Hathras" in refusal.text
    assert refusal.buttons == ((Button(t("b_menu", "en"), "menu"),),)
    assert turn.logged is not None and turn.logged.outcome in ("refuse", "off_topic")


def test_a_browsed_entry_is_logged_as_browsing(dialogue):
    turn = dialogue.handle(UserState(lang="hi"), press("e:upepb-gateway-port"))
    assert turn.replies[0].text == dialogue.engine.render(dialogue.kb.entries["upepb-gateway-port"], "hi")
    assert turn.logged is not None and turn.logged.outcome == "browse"


def test_greetings_start_a_newcomer_and_show_the_menu_to_a_known_user(dialogue):
    assert dialogue.handle(UserState(), text("namaste")).state.step == "lang"
    turn = dialogue.handle(UserState(lang="en", district="agra"), text("hello"))
    assert [r.text for r in turn.replies] == [t("greet_again", "en")] and datas(turn.replies[0]) == MENU


# ---------------------------------------------------------------- menus, settings, contacts

def test_lists_are_paged_and_start_from_the_users_sector(dialogue):
    first = dialogue.handle(UserState(lang="en", sector="leather"), press("m:hs")).replies[0]
    pages = -(-len(dialogue.kb.by_kind("hs_code")) // PAGE)           # 7 buttons a page
    assert first.text == f"HS codes for Leather & footwear first (page 1 of {pages}):"
    shown = [dialogue.kb.entries[d[2:]] for d in datas(first) if d.startswith("e:")]
    assert shown and shown[0].sector == "leather"
    assert datas(first)[-1] == "menu"
    assert any(d.startswith("m:hs:") for d in datas(first))


def test_contacts_start_from_the_users_office(dialogue):
    reply = dialogue.handle(UserState(lang="en", district="hathras"), press("m:contacts")).replies[0]
    assert reply.buttons[0] == (Button(t("your_office", "en"), "office:"),)
    office = dialogue.handle(UserState(lang="en", district="hathras"), press("office:")).replies[0]
    assert office.text.startswith(t("office_card", "en", district="Hathras"))
    unknown = dialogue.handle(UserState(lang="en"), press("office:")).replies[0]
    assert unknown.text == t("need_district", "en") and datas(unknown) == ["set:district"]


def test_settings_show_the_users_choices_and_lead_to_each_step(dialogue):
    state = UserState(lang="en", district="agra", sector="leather", product="Leather Products", subscription="all")
    reply = dialogue.handle(state, press("m:settings")).replies[0]
    assert "Agra" in reply.text and t("sub_all", "en") in reply.text
    assert datas(reply) == ["set:lang", "set:district", "set:product", "set:sub", "menu"]
    assert dialogue.handle(state, press("set:lang")).state.step == "lang"
    assert dialogue.handle(state, press("set:sub")).state.step == "subscribe"


def test_outside_onboarding_a_new_choice_returns_to_the_menu(dialogue):
    turn = dialogue.handle(UserState(lang="en", district="agra", subscription="all"), press("lang:hi"))
    assert turn.state.lang == "hi" and turn.state.step is None
    assert [r.text for r in turn.replies] == [t("language_set", "hi"), t("menu", "hi")]
    turn = dialogue.handle(UserState(lang="en", district="agra"), press("prod:leather"))
    assert turn.state.sector == "leather" and turn.replies[-1].text == t("menu", "en")


# ---------------------------------------------------------------- events

@pytest.fixture
def on_new_year(engine) -> Dialogue:
    return Dialogue(engine, today=lambda: date(2027, 1, 1))


def test_events_are_listed_with_details_a_calendar_file_and_remind_me(on_new_year):
    (listing,) = on_new_year.handle(UserState(lang="en", district="hathras"), command("events")).replies
    assert listing.text.startswith(t("events_header", "en"))
    first = listing.buttons[0][0]
    assert first.data.startswith("ev:")
    (detail,) = on_new_year.handle(UserState(lang="en"), press(first.data)).replies
    assert detail.attachment is not None and detail.attachment[0].endswith(".ics")
    assert detail.attachment[1].startswith(b"BEGIN:VCALENDAR")
    remind = next(d for d in datas(detail) if d.startswith("rm:"))
    turn = on_new_year.handle(UserState(lang="en"), press(remind))
    assert turn.follow == remind[3:]


def test_no_events_names_the_office(engine):
    far = Dialogue(engine, today=lambda: date(2100, 1, 1))
    (reply,) = far.handle(UserState(lang="en", district="agra"), command("events")).replies
    assert reply.text == t("no_events", "en", office=engine.district_office("agra", "en"))


# ---------------------------------------------------------------- stop, odd messages, stale buttons

def test_stop_in_words_or_command_ends_every_reminder(dialogue):
    for incoming in (text("STOP"), text("रोकें"), command("stop"), command("unsubscribe")):
        turn = dialogue.handle(UserState(lang="en", subscription="all", step="product"), incoming)
        assert turn.stop and turn.state.subscription == "none" and turn.state.step is None
        assert [r.text for r in turn.replies] == [t("stopped", "en")]


@pytest.mark.parametrize("kind, key", [("media", "non_text"), ("edited", "edited"), ("group", "group")])
def test_what_the_bot_cannot_read_gets_one_polite_line(dialogue, kind, key):
    for lang in ("en", "hi"):
        turn = dialogue.handle(UserState(lang=lang), Incoming(kind))
        assert [r.text for r in turn.replies] == [t(key, lang)] and turn.logged is None


def test_unknown_commands_and_stale_buttons(dialogue):
    assert [r.text for r in dialogue.handle(UserState(), command("frobnicate")).replies] == [t("unknown_command", "en")]
    for stale in ("prod:agra:99", "e:no-such-entry", "xyz", "fb:y:no-such-entry", "m:nothing"):
        turn = dialogue.handle(UserState(lang="en"), press(stale))
        assert [r.text for r in turn.replies] == [t("expired", "en"), t("menu", "en")], stale


def test_help_and_menu(dialogue):
    assert dialogue.handle(UserState(lang="hi"), command("help")).replies == (
        Reply(t("help", "hi"), ((Button(t("b_menu", "hi"), "menu"),),)),)
    turn = dialogue.handle(UserState(lang="en", step="product"), press("menu"))
    assert turn.state.step is None and datas(turn.replies[0]) == MENU


# ---------------------------------------------------------------- small helpers

def test_dates_read_naturally_in_both_languages():
    assert format_date(date(2027, 1, 15), "en") == "15 Jan 2027"
    assert format_date(date(2027, 1, 15), "hi") == "15 जनवरी 2027"


def test_every_button_fits_telegrams_callback_limit(kb):
    assert check_callback_sizes(kb) == []


def test_a_state_is_never_changed_in_place(dialogue):
    state = UserState(lang="en")
    before = replace(state)
    dialogue.handle(state, press("lang:hi"))
    assert state == before
