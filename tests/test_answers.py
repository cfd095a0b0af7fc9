"""The answer engine in English, Hindi and Hinglish; refusals; the `ask --json` contract."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import ROOT
from bot.core.texts import t


@pytest.mark.parametrize("question, entry_id, lang", [
    # English, with typos and without
    ("gatway prot skeem", "upepb-gateway-port", "en"),
    ("HS code for door handles", "hs-830241", "en"),
    ("what is 6406", "hs-6406", "en"),
    ("who chairs the district export promotion committee", "depc", "en"),
    # Hinglish
    ("gateway port scheme me kitna paisa milta hai", "upepb-gateway-port", "en"),
    ("darwaze ka handle hs code", "hs-830241", "en"),
    ("DIC kya karta hai", "dic-diepc", "en"),
    ("kanpur me kitni tannery hai", "kanpur-tanneries", "en"),
    # Devanagari
    ("आईईसी कैसे बनवाएं", "iec", "hi"),
    ("आगरा का ओडीओपी क्या है", "agra", "hi"),
    ("मार्जिन मनी योजना", "odop-margin-money", "hi"),
])
def test_answers_in_three_scripts(engine, question, entry_id, lang):
    outcome = engine.ask(question)
    assert outcome.kind == "answer", outcome.text
    assert outcome.entry is not None and outcome.entry.id == entry_id
    assert outcome.lang == lang
    # One short source line on a phone; the full reference is one tap away (/source).
    source_line = outcome.text.splitlines()[-1]
    assert source_line == t("source", lang, source=engine.kb.source_line(outcome.entry.source, lang))
    assert len(source_line) <= 90 and source_line.endswith("(/source)")


def test_hindi_answer_uses_international_digits(engine):
    outcome = engine.ask("गेटवे पोर्ट योजना में कितना पैसा मिलता है")
    assert outcome.matched and outcome.lang == "hi"
    assert "6,000" in outcome.text
    assert not any(ch in outcome.text for ch in "०१२३४५६७८९")
    assert outcome.text.splitlines()[-1].startswith("स्रोत: ")


def test_user_choice_of_hindi_holds_for_roman_questions(engine):
    outcome = engine.ask("gateway port scheme", lang="hi")
    assert outcome.lang == "hi" and "गेटवे" in outcome.text


@pytest.mark.parametrize("question", [
    "will it rain tomorrow", "who won the cricket match", "tell me a joke", "bitcoin price today",
    "kal barish hogi kya", "मौसम कैसा रहेगा", "zxcvbnm", "1", "hello",
])
def test_out_of_scope_is_refused_without_guessing(engine, question):
    outcome = engine.ask(question, district="hathras")
    assert not outcome.matched
    assert outcome.suggestions == ()
    assert "Hathras" in outcome.text or "हाथरस" in outcome.text


def test_refusal_text_names_the_district_office(engine):
    outcome = engine.ask("how do I repair my scooter", district="kanpur-nagar")
    assert outcome.text == (
        "Sorry, I don't know that yet: it is not in my documents. I can help with UP's export schemes, HS codes, "
        "markets, ODOP and contacts.\nFor this, please ask the District Industries Centre (DIC / DIEPC), Kanpur Nagar.")


def test_vague_question_gets_at_most_three_choices(engine):
    outcome = engine.ask("footwear")
    assert outcome.kind == "suggest"
    assert 1 < len(outcome.suggestions) <= 3
    assert all(e.kind == "hs_code" for e in outcome.suggestions)
    assert outcome.text.startswith("I'm not sure I understood. Did you mean:\n1. ")


def test_empty_and_huge_messages(engine):
    assert engine.ask("   ").kind == "empty"
    huge = engine.ask("export " * 500)
    assert huge.kind == "too_long" and not huge.matched
    assert "1000" in huge.text


def test_ask_json_contract():
    questions = "What is the HS code for harness?\nTell me a joke\nfootwear\n"
    proc = subprocess.run([sys.executable, "-m", "bot", "ask", "--json", "-"], input=questions, text=True,
                          capture_output=True, cwd=ROOT, check=True)
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["question"] for r in rows] == ["What is the HS code for harness?", "Tell me a joke", "footwear"]
    for row in rows:
        assert set(row) == {"question", "matched", "answer", "entry_id", "score", "lang", "suggestions", "kind"}
    assert rows[0]["matched"] is True and rows[0]["entry_id"] == "hs-4201" and "4201" in rows[0]["answer"]
    assert rows[1]["matched"] is False and rows[1]["entry_id"] is None and rows[1]["suggestions"] == []
    assert rows[2]["matched"] is False and 1 < len(rows[2]["suggestions"]) <= 3
    assert set(rows[2]["suggestions"][0]) == {"entry_id", "title"}


def test_ask_options_lang_and_district():
    proc = subprocess.run([sys.executable, "-m", "bot", "ask", "--json", "--lang", "hi", "--district", "हाथरस",
                           "what is the weather"], text=True, capture_output=True, cwd=ROOT, check=True)
    row = json.loads(proc.stdout)
    assert row["lang"] == "hi" and "हाथरस" in row["answer"] and row["matched"] is False


def test_close_runners_up_are_offered_beside_a_confident_answer(engine, dialogue):
    outcome = engine.ask("shoes hs code")
    assert outcome.kind == "answer" and outcome.entry.kind == "hs_code"
    assert 1 <= len(outcome.suggestions) <= 2
    lines = outcome.text.splitlines()
    assert lines[-3].startswith("Not what you asked? See also: HS ") and lines[-1].startswith("Source: ")
    reply = dialogue.entry_reply(outcome.entry, "en", text=outcome.text, also=outcome.suggestions)
    assert [row[0].data for row in reply.buttons[:len(outcome.suggestions)]] == [f"e:{e.id}" for e in outcome.suggestions]
    assert all(row[0].label.startswith("↪ ") and len(row[0].label) <= 20 for row in reply.buttons[:-2])


def test_knowledge_option_before_or_after_the_subcommand(tmp_path):
    for args in (["--knowledge", str(tmp_path), "kb", "check"], ["kb", "check", "--knowledge", str(tmp_path)]):
        proc = subprocess.run([sys.executable, "-m", "bot", *args], text=True, capture_output=True, cwd=ROOT)
        assert proc.returncode == 1 and "no knowledge files (*.yaml) found here" in proc.stdout
