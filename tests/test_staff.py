"""District staff close the loop: unanswered questions grouped, turned into aliases or to-dos, hand-offs answered
by replying on Telegram (users on Telegram and WhatsApp), everything scoped to the staff member's districts."""
from __future__ import annotations

import csv
import io
import shutil

import pytest

from bot.app import make_desk
from bot.core.knowledge import load_knowledge
from bot.services.kbedit import add_alias
from bot.services.reports import Asked, group_questions

from .conftest import KNOWLEDGE
from .fakes.telegram_api import FakeBotAPI
from .test_telegram import ADMIN, TOKEN, Harness, buttons

HATHRAS_CLERK, AGRA_CLERK, USER, AGRA_USER = 501, 502, 4242, 4343
DECLINED = "kya mujhe export ke liye godown chahiye"
STAFF_YAML = f"""# staff for the tests
staff:
  - telegram_id: {HATHRAS_CLERK}
    name: DIC Hathras desk
    role: district
    districts: [hathras]
  - telegram_id: {AGRA_CLERK}
    name: DIC Agra desk
    role: district
    districts: [agra]
"""


def asked(i: int, text: str, district: str = "hathras", kind: str = "declined") -> Asked:
    return Asked(i, text, "en", "telegram", district, kind, None, None, float(i))


def test_near_duplicate_questions_are_grouped():
    items = [asked(1, "godown chahiye kya export ke liye"), asked(2, "kya mujhe export ke liye godown chahiye"),
             asked(3, "Kya mujhe export ke liye godown chahiye?"), asked(4, "tell me a joke"),
             asked(5, "iec"), asked(6, "iec camp date in agra next month", "agra"),
             asked(7, "kya mujhe export ke liye godwn chahiye", "agra")]
    groups = group_questions(items)
    assert [sorted(a.id for a in g) for g in groups] == [[1, 2, 3, 7], [4], [5], [6]]


def test_add_alias_changes_one_line_and_the_question_is_answered(tmp_path, dialogue):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    assert dialogue.engine.ask(DECLINED).kind != "answer"
    before = (knowledge / "faq.yaml").read_bytes().split(b"\n")
    edit = add_alias(knowledge, "how-to-start-exporting", DECLINED)
    after = (knowledge / "faq.yaml").read_bytes().split(b"\n")
    assert (edit.lang, edit.added) == ("hinglish", True)
    assert len(after) == len(before) + 1
    assert after[:edit.line - 1] + after[edit.line:] == before            # every other line byte-identical
    assert after[edit.line - 1] == b"        - " + DECLINED.encode()
    for other in KNOWLEDGE.glob("*.yaml"):
        if other.name != "faq.yaml":
            assert (knowledge / other.name).read_bytes() == other.read_bytes()
    from bot.core.answers import AnswerEngine

    outcome = AnswerEngine(load_knowledge(knowledge)).ask(DECLINED)
    assert outcome.kind == "answer" and outcome.entry.id == "how-to-start-exporting"
    quoted = add_alias(knowledge, "upepb-gateway-port", 'rail bhade par chhoot: kitni "milegi"')
    line = (knowledge / "schemes.yaml").read_text(encoding="utf-8").split("\n")[quoted.line - 1]
    assert line.endswith('- "rail bhade par chhoot: kitni \\"milegi\\""')
    assert add_alias(knowledge, "how-to-start-exporting", DECLINED.upper()).added is False


def test_add_alias_to_a_list_written_on_one_line(tmp_path):
    """The district profiles write aliases as one-line lists: the question joins its line, quoted like the others."""
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    before = (knowledge / "profiles.yaml").read_text(encoding="utf-8").split("\n")
    edit = add_alias(knowledge, "hathras-hing", 'hathras ki hing ka "bhav", kitna hai')
    after = (knowledge / "profiles.yaml").read_text(encoding="utf-8").split("\n")
    assert (edit.lang, edit.added, len(after)) == ("hinglish", True, len(before))
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert changed == [('      hinglish: ["hathras ki heeng", "hathras hing ka business", "hing export hathras se"]',
                        '      hinglish: ["hathras ki heeng", "hathras hing ka business", "hing export hathras se", '
                        '"hathras ki hing ka \\"bhav\\", kitna hai"]')]
    assert after[edit.line - 1] == changed[0][1]
    hindi = add_alias(knowledge, "hathras-hing", "हाथरस की हींग कहाँ मिलेगी")
    assert after[hindi.line - 1].endswith('"हाथरस हींग उद्योग"]')
    assert (knowledge / "profiles.yaml").read_text(encoding="utf-8").split("\n")[hindi.line - 1].endswith(
        '"हाथरस हींग उद्योग", "हाथरस की हींग कहाँ मिलेगी"]')
    kb = load_knowledge(knowledge)
    assert {'hathras ki hing ka "bhav", kitna hai', "हाथरस की हींग कहाँ मिलेगी"} <= set(
        kb.entries["hathras-hing"].aliases)


@pytest.fixture
async def desk_bot(tmp_path):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    (knowledge / "staff.yaml").write_text(STAFF_YAML, encoding="utf-8")
    async with FakeBotAPI(token=TOKEN) as fake:
        harness = await Harness(fake, tmp_path / "bot.sqlite3", knowledge).start()
        harness.desk = make_desk(harness.settings, harness.runtime, harness.app.bot)
        harness.app.bot_data.desk = harness.desk
        for chat, district in ((USER, "hathras"), (AGRA_USER, "agra")):
            await harness.say("/start", chat=chat)
            await harness.press("lang:en", chat=chat)
            await harness.press(f"dist:{district}", chat=chat)
        yield harness
        await harness.stop()


def reply_to(fake: FakeBotAPI, staff: int, message: dict, text: str) -> dict:
    update = fake.make_message_update(staff, text)
    update["message"]["reply_to_message"] = {"message_id": message["message_id"], "date": 0, "text": message["text"],
                                             "chat": update["message"]["chat"]}
    return update


async def test_a_clerk_closes_the_loop_on_telegram(desk_bot):
    bot = desk_bot
    fake = bot.fake
    # users: one declined question (twice, near-duplicates), a 👎 with what they were looking for
    (declined,) = await bot.say(DECLINED)
    assert ("Ask district office", "ho") in [b for row in buttons(declined) for b in row]
    await bot.say("Kya mujhe export ke liye godown chahiye?")
    await bot.say("tell me a joke", chat=AGRA_USER)
    await bot.say("gateway port scheme")
    (ask_what,) = await bot.press("fb:n:upepb-gateway-port")
    assert ask_what["text"].startswith("Sorry it did not help. What were you looking for?")
    noted, answer = await bot.say("footwear")
    assert noted["text"] == "Thank you, noted for the district office."

    # district staff see only their district; the state admin sees everything
    (hathras, *_) = await bot.say("/unanswered", chat=HATHRAS_CLERK)
    lines = hathras["text"].splitlines()
    assert lines[0] == "Not answered, last 7 days (Hathras): 4 question(s) in 3 group(s)"
    assert lines[1].startswith(f'1. "{DECLINED}" ×2 (declined 2) · Hathras 2 · en 2')
    assert any(line.startswith('2. "gateway port scheme" ×1 (👎 1)') for line in lines)
    assert '   looking for: "footwear"' in lines
    assert any(line.startswith('3. "footwear" ×1 (did-you-mean not picked 1)') for line in lines)
    assert "tell me a joke" not in hathras["text"]
    (agra, *_) = await bot.say("/unanswered", chat=AGRA_CLERK)
    assert agra["text"].startswith("Not answered, last 7 days (Agra): 1 question(s) in 1 group(s)")
    (state, *_) = await bot.say("/unanswered", chat=ADMIN)
    assert state["text"].startswith("Not answered, last 7 days (all districts): 5 question(s) in 4 group(s)")
    (stranger,) = await bot.say("/unanswered", chat=777)              # not staff: answered as a question
    assert not stranger["text"].startswith("Not answered")

    # one tap: the question becomes an alias of the entry the clerk picks, and the bot answers it at once
    key = next(data for row in buttons(hathras) for _, data in row if data.startswith("ua:t:")).split(":")[2]
    (taught,) = await bot.press(f"ua:a:{key}:how-to-start-exporting", chat=HATHRAS_CLERK)
    assert taught["text"].startswith(f'✓ "{DECLINED}" is now an alias of how-to-start-exporting (faq.yaml:')
    (now_answered,) = await bot.say(DECLINED)
    assert now_answered["text"].startswith("How to start exporting: step by step")
    (again, *_) = await bot.say("/unanswered", chat=HATHRAS_CLERK)
    assert DECLINED not in again["text"] and "2 question(s) in 2 group(s)" in again["text"]
    (forbidden,) = await bot.press(f"ua:t:{key}", chat=AGRA_CLERK)       # not Agra's question
    assert forbidden["text"].startswith("That question was dealt with already (or is not in your district)")


async def test_handoff_round_trip_telegram_user_to_telegram_staff(desk_bot):
    bot = desk_bot
    fake = bot.fake
    await bot.say("who signs the certificate of origin")
    sent = await bot.press("ho")
    (confirm,) = [m for m in sent if m["chat_id"] == USER]
    assert confirm["text"] == ("Your question has gone to the district office (Hathras), number #1. "
                               "Their answer will come here.")
    (to_staff,) = [m for m in sent if m["chat_id"] == HATHRAS_CLERK]
    assert to_staff["text"].startswith("🙋 Question for the district office #1\nFrom: Hathras · language en")
    assert "who signs the certificate of origin" in to_staff["text"]
    assert not [m for m in sent if m["chat_id"] in (AGRA_CLERK, ADMIN)]     # only that district's staff
    waiting = await bot.say("/menu")
    assert waiting[-1]["text"] == "Your question #1 is with the district office; the answer will come here."

    out = await bot.feed(reply_to(fake, AGRA_CLERK, to_staff, "not mine"))   # another district's clerk
    assert not [m for m in out if m["chat_id"] == USER]
    out = await bot.feed(reply_to(fake, HATHRAS_CLERK, to_staff, "The chamber of commerce signs it."))
    (to_user,) = [m for m in out if m["chat_id"] == USER]
    assert to_user["text"] == ('Answer from the district office (Hathras) to your question "who signs the '
                               'certificate of origin":\n\nThe chamber of commerce signs it.')
    (done,) = [m for m in out if m["chat_id"] == HATHRAS_CLERK]
    assert done["text"].startswith("✓ Sent to the user (hand-off #1)")
    todo = next(data for row in buttons(done) for _, data in row if data.startswith("hot:"))
    (listed,) = await bot.press(todo, chat=HATHRAS_CLERK)
    assert listed["text"] == "📝 Hand-off #1 is on the to-do list as #1."
    (report, *_) = await bot.say("/unanswered", chat=HATHRAS_CLERK)
    assert '   #1 "who signs the certificate of origin" ×1' in report["text"]
    row = await bot.store.handoff(1)
    assert (row["status"], row["delivery"], row["resolved"]) == ("answered", "sent", "todo:1")


async def test_handoff_whatsapp_user_to_telegram_staff_within_and_outside_the_24_hour_window(tmp_path):
    import time

    from telegram import Update

    from bot.channels.telegram.application import build_application
    from bot.channels.whatsapp.channel import WhatsAppChannel
    from bot.channels.whatsapp.client import WhatsAppClient
    from bot.core.dialogue import UserState
    from bot.services.runtime import Runtime
    from bot.settings import Secret, Settings
    from bot.store import Store

    from .fakes import graph_api
    from .fakes.graph_api import FakeGraphAPI
    from .test_whatsapp import PHONE_ID, TOKEN as WA_TOKEN, USER as WA_USER, no_sleep

    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    (knowledge / "staff.yaml").write_text(STAFF_YAML, encoding="utf-8")
    clock = [time.time()]
    async with FakeBotAPI(token=TOKEN) as tg, FakeGraphAPI(token=WA_TOKEN, phone_number_id=PHONE_ID) as wa:
        store = await Store(tmp_path / "db.sqlite3", clock=lambda: clock[0]).open()
        runtime = Runtime.create(knowledge, store)
        settings = Settings(knowledge_dir=knowledge, telegram_token=Secret(TOKEN), telegram_api_base_url=tg.base_url,
                            whatsapp_templates="handoff=dic_answer:hi")
        app = build_application(settings, runtime, updater=False)
        await app.initialize()
        client = WhatsAppClient(wa.base_url, PHONE_ID, WA_TOKEN, sleep=no_sleep)
        channel = WhatsAppChannel(runtime, client)
        app.bot_data.desk = desk = make_desk(settings, runtime, app.bot, client)
        await store.save_user("whatsapp", WA_USER, UserState(lang="en", district="hathras", step=None))

        async def user(payload: dict) -> list[dict]:
            before = len(wa.sent)
            await channel.receive(payload)
            await channel.process_pending()
            return wa.sent[before:]

        async def staff_replies(text: str, staff_message: dict) -> list[dict]:
            before = len(tg.sent)
            await app.process_update(Update.de_json(reply_to(tg, HATHRAS_CLERK, staff_message, text), app.bot))
            return tg.sent[before:]

        async def hand_off(question: str) -> None:
            (declined,) = await user(graph_api.text_message(WA_USER, question))
            assert ("ho", "Ask district office") in declined["buttons"]
            (confirm,) = await user(graph_api.button_reply(WA_USER, "ho", "Ask district office"))
            assert confirm["body"].startswith("Your question has gone to the district office (Hathras)")

        await hand_off("who signs the certificate of origin")
        staff_message = tg.sent_to(HATHRAS_CLERK)[-1]
        assert "· whatsapp" in staff_message["text"] and "who signs the certificate of origin" in staff_message["text"]
        before = len(wa.sent)
        (done,) = await staff_replies("The chamber of commerce signs it.", staff_message)
        assert done["text"].startswith("✓ Sent to the user (hand-off #1)")
        (answer,) = wa.sent[before:]
        assert answer["type"] == "text" and answer["body"].endswith("\n\nThe chamber of commerce signs it.")

        # A day later nobody has answered the second one: staff are reminded once; then the window has closed
        await hand_off("kya mujhe export ke liye godown chahiye")
        clock[0] += 25 * 3600
        assert await desk.remind(clock[0]) == 1 and await desk.remind(clock[0]) == 0
        reminder = tg.sent_to(HATHRAS_CLERK)[-1]
        assert reminder["text"].startswith("⏰ Still waiting (over a day) #2")      # replying to it answers too
        desk.senders["whatsapp"].templates = {}                 # no approved template: it cannot go, and it says so
        (refused,) = await staff_replies("No godown is needed.", reminder)
        assert refused["text"].startswith("Hand-off #2 could NOT be delivered: the user last wrote over 24 hours ago")
        assert (await store.handoff(2))["status"] == "open"
        desk.senders["whatsapp"].templates = {"handoff": ("dic_answer", "hi")}
        before = len(wa.sent)
        (done,) = await staff_replies("No godown is needed.", reminder)
        assert done["text"].startswith("✓ Sent to the user (hand-off #2)")
        (template,) = wa.sent[before:]
        assert template["type"] == "template" and template["template"] == ("dic_answer", "hi")
        assert (await store.handoff(2))["delivery"] == "sent"
        await app.shutdown()
        await client.aclose()
        await store.close()


async def test_broadcasts_stay_within_the_staff_members_district(desk_bot):
    bot = desk_bot
    await bot.press("sub:all")
    await bot.press("sub:all", chat=AGRA_USER)
    (preview,) = await bot.say("/broadcast Camp on Friday", chat=HATHRAS_CLERK)
    assert preview["text"].startswith("Preview (district:hathras):") and "(total 1)" in preview["text"]
    (refused,) = await bot.say("/broadcast district:agra Camp", chat=HATHRAS_CLERK)
    assert refused["text"] == "Not sent: you can broadcast only to your district(s): hathras."
    (refused,) = await bot.say("/broadcast sector:leather Camp", chat=HATHRAS_CLERK)
    assert refused["text"].startswith("Not sent: district staff broadcast to their district only")
    confirm = next(data for row in buttons(preview) for _, data in row if data.startswith("bc:y:"))
    (other,) = await bot.press(confirm, chat=AGRA_CLERK)
    assert other["text"] == "Only a state admin (or whoever wrote it) can change this."
    # the state admin: names in any case, unknown districts and sectors refused (never "all")
    (capital,) = await bot.say("/broadcast District:Hathras Camp on Friday", chat=ADMIN)
    assert capital["text"].startswith("Preview (district:hathras):") and "(total 1)" in capital["text"]
    (unknown,) = await bot.say("/broadcast sector:lether Camp", chat=ADMIN)
    assert unknown["text"] == "Not sent: no sector 'lether' (did you mean 'sector:leather'?)."
    (everyone,) = await bot.say("/broadcast Camp on Friday", chat=ADMIN)
    assert "(total 2)" in everyone["text"]
