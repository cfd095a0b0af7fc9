"""The Telegram bot end to end: a real Application talking HTTP to a local Bot API double."""
from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

import pytest
from telegram import Update

from bot.channels.limits import split_text
from bot.core.dialogue import Dialogue
from bot.services.runtime import Runtime
from bot.settings import Secret, Settings
from bot.store import Store
from bot.app import build_channels, make_store, open_runtime

from . import sql
from .conftest import KNOWLEDGE, on_store
from .fakes.telegram_api import FakeBotAPI

TOKEN = "123456:TEST-token"
ADMIN = 999
USER = 4242


class Harness:
    def __init__(self, fake: FakeBotAPI, db: Path, knowledge: Path, dialogue: Dialogue | None = None,
                 store_kind: str = "sqlite"):
        self.fake, self.db, self.knowledge = fake, db, knowledge
        self.dialogue = dialogue          # the session's (already loaded) knowledge base, unless a test edits its own
        self.settings = on_store(Settings(knowledge_dir=knowledge, db_path=db, telegram_token=Secret(TOKEN),
                                          telegram_api_base_url=fake.base_url, admin_telegram_ids=frozenset({ADMIN})),
                                 store_kind)
        self.app = None
        self.store: Store | None = None

    async def start(self) -> "Harness":
        self.store = await make_store(self.settings).open()
        self.runtime = (Runtime(self.knowledge, self.store, self.dialogue) if self.dialogue is not None
                        else open_runtime(self.settings, self.store))
        self.app = build_channels(self.settings, self.runtime, telegram_updater=False, window=0.05).telegram
        await self.app.initialize()
        await self.app.start()            # running, as in production: background tasks (broadcasts) are awaited
        return self

    async def stop(self) -> None:
        await self.app.stop()
        await self.app.shutdown()
        await self.store.close()

    async def feed(self, update: dict) -> list[dict]:
        """Process one update and return what the user was sent because of it."""
        before = len(self.fake.sent)
        await self.app.process_update(Update.de_json(update, self.app.bot))
        return self.fake.sent[before:]

    async def say(self, text: str, chat: int = USER, **kw) -> list[dict]:
        return await self.feed(self.fake.make_message_update(chat, text, **kw))

    async def press(self, data: str, chat: int = USER) -> list[dict]:
        return await self.feed(self.fake.make_callback_update(chat, data))

    async def user_row(self, chat: int = USER) -> dict:
        rows = await sql.select(self.store, "SELECT * FROM users WHERE channel='telegram' AND chat_id=?", str(chat))
        return rows[0] if rows else {}


def buttons(message: dict) -> list[list[tuple[str, str]]]:
    markup = message.get("reply_markup") or {}
    return [[(b["text"], b["callback_data"]) for b in row] for row in markup.get("inline_keyboard", [])]


@pytest.fixture
async def bot(tmp_path, dialogue, store_kind):
    async with FakeBotAPI(token=TOKEN) as fake:
        harness = await Harness(fake, tmp_path / "bot.sqlite3", KNOWLEDGE, dialogue, store_kind).start()
        yield harness
        await harness.stop()


@pytest.mark.both_stores
async def test_onboarding_in_english_saves_everything(bot):
    (welcome,) = await bot.say("/start")
    assert welcome["text"].startswith("Namaste! I am the export helpdesk of Uttar Pradesh.")
    assert "नमस्ते!" in welcome["text"]
    assert buttons(welcome) == [[("English", "lang:en"), ("हिन्दी", "lang:hi")], [("Skip / छोड़ें", "lang:skip")]]

    done, district = await bot.press("lang:en")
    assert done["text"] == "Language: English."
    assert district["text"] == "Which district are you from? Type its name or choose below."
    assert buttons(district)[0] == [("Agra", "dist:agra"), ("Aligarh", "dist:aligarh")]
    assert buttons(district)[-2] == [("Next ▶", "dist:p:1")]
    assert buttons(district)[-1] == [("Skip", "dist:skip")]

    page2, = await bot.press("dist:p:1")
    assert buttons(page2)[0] == [("Azamgarh", "dist:azamgarh"), ("Baghpat", "dist:baghpat")]

    saved, product = await bot.say("hatras")            # typed, misspelt
    assert saved["text"] == "District saved: Hathras."
    assert product["text"] == "What do you make or sell? Your district's ODOP products come first."
    assert buttons(product)[:2] == [[("Hing (Asafoetida) Proce…", "prod:hathras:0")],
                                    [("Ready Made Garments", "prod:hathras:1")]]

    saved, subscribe = await bot.press("prod:hathras:1")
    assert saved["text"].startswith("Product saved: ")
    assert subscribe["text"] == "Which event reminders (trade fairs, IEC camps, seminars) would you like?"
    confirm, menu = await bot.press("sub:district")
    assert confirm["text"].startswith("Reminders: My district.")
    assert menu["text"] == "All set! Ask me anything about exports, or choose a topic:"
    assert buttons(menu) == [[("Schemes", "m:schemes"), ("HS codes", "m:hs")],
                             [("Target markets", "m:markets"), ("Contacts", "m:contacts")],
                             [("Events", "m:events"), ("Ask a question", "m:ask")],
                             [("Settings", "m:settings")]]
    row = await bot.user_row()
    assert (row["lang"], row["district"], row["sector"], row["subscription"], row["step"]) == \
        ("en", "hathras", "textiles", "district", None)


async def test_onboarding_in_hindi_and_language_holds(bot):
    await bot.say("/start")
    done, district = await bot.press("lang:hi")
    assert done["text"] == "भाषा: हिन्दी।"
    assert district["text"] == "आप किस ज़िले से हैं? ज़िले का नाम लिखें या नीचे से चुनें।"
    assert buttons(district)[0] == [("आगरा", "dist:agra"), ("अलीगढ़", "dist:aligarh")]
    saved, _ = await bot.say("कानपुर नगर")
    assert saved["text"] == "ज़िला सेव हो गया: कानपुर नगर।"
    await bot.press("prod:skip")
    (answer,) = await bot.say("gateway port scheme")     # roman script, but the user chose Hindi
    assert "गेटवे" in answer["text"] and answer["text"].splitlines()[-1].startswith("स्रोत: ")
    assert buttons(answer) == [[("👍 काम का", "fb:y:upepb-gateway-port"), ("👎 काम का नहीं", "fb:n:upepb-gateway-port")],
                               [("मेन्यू", "menu")]]


@pytest.mark.both_stores
async def test_question_answer_feedback_and_log(bot):
    (answer,) = await bot.say("gatway prot skeem")
    expected = bot.runtime.engine.render(bot.runtime.kb.entries["upepb-gateway-port"], "en")
    assert answer["text"] == expected
    assert "6,000" in answer["text"]
    (thanks,) = await bot.press("fb:y:upepb-gateway-port")
    assert thanks["text"] == "Thank you! Glad it helped."
    rows = await sql.questions(bot.store, "telegram")
    assert [(r["text"], r["entry_id"], r["outcome"], r["feedback"]) for r in rows] == \
        [("gatway prot skeem", "upepb-gateway-port", "answer", 1)]


async def test_did_you_mean_buttons_then_answer(bot):
    (reply,) = await bot.say("footwear")
    assert reply["text"].startswith("I'm not sure I understood. Did you mean:\n1. HS ")
    choices = buttons(reply)
    assert 1 < len(choices) <= 3 and all(row[0][1].startswith("e:hs-") for row in choices)
    (answer,) = await bot.press(choices[0][0][1])
    entry_id = choices[0][0][1][2:]
    assert answer["text"] == bot.runtime.engine.render(bot.runtime.kb.entries[entry_id], "en")


async def test_refusal_names_the_users_district_office(bot):
    await bot.press("dist:kanpur-nagar")
    (reply,) = await bot.say("tell me a joke")
    assert reply["text"].endswith("please ask the District Industries Centre (DIC / DIEPC), Kanpur Nagar.")
    assert buttons(reply) == [[("Menu", "menu")]]


async def test_menu_browsing_is_personalised(bot):
    await bot.press("dist:kanpur-nagar")
    await bot.press("prod:leather")
    (hs,) = await bot.press("m:hs")
    assert hs["text"].startswith("HS codes for Leather")
    first = buttons(hs)[0][0][1]
    assert bot.runtime.kb.entries[first[2:]].sector == "leather"
    (contacts,) = await bot.press("m:contacts")
    assert buttons(contacts)[0] == [("Your district office", "office:")]
    (office,) = await bot.press("office:")
    assert office["text"].startswith("Your export help desk: the District Industries Centre (DIC / DIEPC), Kanpur Nagar.")
    (schemes,) = await bot.press("m:schemes")
    assert schemes["text"].startswith("Export schemes (page 1 of ")
    (page2,) = await bot.press("m:schemes:1")
    assert page2["text"].startswith("Export schemes (page 2 of ")


async def test_non_text_messages_get_one_polite_line(bot):
    await bot.press("lang:hi")
    for update in (bot.fake.make_sticker_update(USER), bot.fake.make_photo_update(USER),
                   bot.fake.make_voice_update(USER), bot.fake.make_document_update(USER),
                   bot.fake.make_location_update(USER)):
        (reply,) = await bot.feed(update)
        assert reply["text"] == "मैं सिर्फ़ लिखा हुआ टेक्स्ट पढ़ सकता हूँ। कृपया अपना सवाल लिखकर भेजें।"
    (edited,) = await bot.feed(bot.fake.make_edited_message_update(USER, "changed text"))
    assert edited["text"] == "मैं सिर्फ़ नए संदेशों का जवाब देता हूँ। कृपया अपना सवाल नए संदेश में भेजें।"
    (unknown,) = await bot.say("/foo")
    assert unknown["text"] == "यह कमांड मुझे नहीं पता। /menu या /help आज़माएँ।"
    (long,) = await bot.say("x" * 1500)
    assert long["text"] == "यह संदेश बहुत लंबा है। कृपया एक छोटा सवाल पूछें (1000 अक्षरों से कम)।"


async def test_group_chat_gets_pointed_to_private_chat(bot):
    (reply,) = await bot.say("/start", chat=-100123, chat_type="group")
    assert reply["text"] == ("I work in private chats only. Please message me directly.\n"
                             "मैं सिर्फ़ निजी चैट में काम करता हूँ। कृपया मुझे सीधे संदेश भेजें।")


@pytest.mark.both_stores
async def test_redelivered_update_is_answered_once(bot):
    update = bot.fake.make_message_update(USER, "ODOP product of Agra", update_id=777)
    assert len(await bot.feed(update)) == 1
    assert await bot.feed(update) == []
    assert len(await sql.questions(bot.store)) == 1


@pytest.mark.both_stores
async def test_restart_mid_onboarding_continues(tmp_path, dialogue, store_kind):
    async with FakeBotAPI(token=TOKEN) as fake:
        first = await Harness(fake, tmp_path / "bot.sqlite3", KNOWLEDGE, dialogue, store_kind).start()
        await first.say("/start")
        await first.press("lang:en")
        await first.stop()
        second = await Harness(fake, tmp_path / "bot.sqlite3", KNOWLEDGE, dialogue, store_kind).start()
        saved, product = await second.say("Kanpur Nagar")
        assert saved["text"] == "District saved: Kanpur Nagar."
        assert product["text"] == "What do you make or sell? Your district's ODOP products come first."
        await second.stop()


@pytest.mark.both_stores
async def test_blocked_user_is_marked_and_comes_back(bot):
    await bot.say("/start")
    bot.fake.fail_next("sendMessage", chat_id=USER, code=403, description="Forbidden: bot was blocked by the user")
    await bot.say("ODOP product of Agra")
    assert (await bot.user_row())["blocked"] == 1
    await bot.say("hello again")          # writing again means they unblocked us
    assert (await bot.user_row())["blocked"] == 0
    await bot.feed(bot.fake.make_my_chat_member_update(USER, status="kicked"))
    assert (await bot.user_row())["blocked"] == 1
    await bot.feed(bot.fake.make_my_chat_member_update(USER, status="member"))
    assert (await bot.user_row())["blocked"] == 0


async def test_admin_commands_and_non_admin(bot, tmp_path):
    await bot.say("tell me a joke")
    await bot.say("gateway port scheme")
    stats, chart = await bot.say("/stats", chat=ADMIN)
    assert chart["method"] == "sendDocument" and chart["file_name"] == "usage-30-days.png"
    assert chart["file_bytes"].startswith(b"\x89PNG")
    assert "Questions today: 2; last 7 days: 2" in stats["text"]
    assert "Not answered (last 7 days): 1 (50%)" in stats["text"]
    (unanswered,) = await bot.say("/unanswered", chat=ADMIN)
    assert unanswered["text"].splitlines()[:2] == [
        "Not answered, last 7 days (all districts): 1 question(s) in 1 group(s)",
        '1. "tell me a joke" ×1 (declined 1) · (not set) 1 · en 1']
    (not_admin,) = await bot.say("/stats")
    assert not_admin["text"] == bot.runtime.engine.ask("stats").text


async def test_reload_keeps_old_knowledge_on_broken_edit(tmp_path):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    async with FakeBotAPI(token=TOKEN) as fake:
        bot = await Harness(fake, tmp_path / "bot.sqlite3", knowledge).start()
        schemes = knowledge / "schemes.yaml"
        good = schemes.read_text(encoding="utf-8")
        schemes.write_text(good.replace("  category: upepb", "  categry: upepb", 1), encoding="utf-8")
        (reply,) = await bot.say("/reload", chat=ADMIN)
        assert reply["text"].startswith("Reload refused: 2 problem(s). The previous knowledge base stays live.")
        assert "schemes.yaml:" in reply["text"] and "field 'categry' is not known (did you mean 'category'?)" in reply["text"]
        (answer,) = await bot.say("gateway port scheme")
        assert "6,000" in answer["text"]
        schemes.write_text(good, encoding="utf-8")
        (ok,) = await bot.say("/reload", chat=ADMIN)
        assert ok["text"].startswith("Knowledge base reloaded: ")
        await bot.stop()


def test_split_text_on_paragraphs():
    text = "\n\n".join(["a" * 3000, "b" * 3000, "c" * 100])
    parts = split_text(text)
    assert parts == ["a" * 3000, "b" * 3000 + "\n\n" + "c" * 100]
    assert all(len(p) <= 4096 for p in split_text("x" * 10000))


def test_callback_data_fits_telegram(kb, dialogue):
    from bot.core.dialogue import check_callback_sizes

    assert check_callback_sizes(kb) == []


@pytest.mark.both_stores
async def test_admin_broadcast_preview_confirm_and_report(bot):
    await bot.press("dist:hathras", chat=11)
    await bot.press("sub:district", chat=11)
    await bot.press("dist:agra", chat=12)
    await bot.press("sub:all", chat=12)
    await bot.press("sub:none", chat=13)
    (preview,) = await bot.say("/broadcast district:hathras IEC camp on Monday at the DIC office", chat=ADMIN)
    assert preview["text"] == ("Preview (district:hathras):\n\nIEC camp on Monday at the DIC office\n\n"
                               "Recipients: telegram 1 (total 1)")
    (send, cancel) = buttons(preview)[0]
    assert send[0] == "✅ Send to 1" and cancel[0] == "✖ Cancel"
    before = len(bot.fake.sent)
    await bot.feed(bot.fake.make_callback_update(ADMIN, send[1], message_id=preview["message_id"]))
    for _ in range(100):
        if any(m["text"].startswith("Broadcast #") for m in bot.fake.sent[before:]):
            break
        await asyncio.sleep(0.05)
    to_user = [m for m in bot.fake.sent[before:] if m["chat_id"] == 11]
    assert [m["text"] for m in to_user] == ["IEC camp on Monday at the DIC office"]
    assert not any(m["chat_id"] in (12, 13) for m in bot.fake.sent[before:])
    final = [m for m in bot.fake.sent[before:] if m["chat_id"] == ADMIN][-1]
    assert final["text"].startswith("Broadcast #") and "delivery report: sent 1 · failed 0" in final["text"]
    # pressing "send" again sends nothing more
    await bot.feed(bot.fake.make_callback_update(ADMIN, send[1], message_id=preview["message_id"]))
    assert len([m for m in bot.fake.sent if m["chat_id"] == 11 and m["text"].startswith("IEC camp")]) == 1


@pytest.mark.both_stores
async def test_admin_reminders_pause_button_and_non_admin(bot):
    campaign_id = await bot.store.upsert_campaign("camp@test:start-1d", "reminder", time.time() + 86400, "scheduled",
                                                  text_en="Camp tomorrow", text_hi="कल कैंप")
    (listing,) = await bot.say("/reminders", chat=ADMIN)
    assert listing["text"].startswith("Reminders (next 30 days):")
    assert f"#{campaign_id} " in listing["text"] and "scheduled: camp@test:start-1d" in listing["text"]
    row = next(r for r in buttons(listing) if r[0][1] == f"rmd:p:{campaign_id}")
    assert row == [(f"⏸ pause #{campaign_id}", f"rmd:p:{campaign_id}"), (f"✖ cancel #{campaign_id}", f"rmd:c:{campaign_id}")]
    await bot.feed(bot.fake.make_callback_update(ADMIN, row[0][1], message_id=listing["message_id"]))
    assert bot.fake.sent[-1]["text"] == f"#{campaign_id} is now paused."
    assert (await bot.store.campaign(campaign_id)).status == "paused"
    (changed,) = await bot.say(f"/reminder_text {campaign_id} Camp tomorrow at 11", chat=ADMIN)
    assert changed["text"] == f"#{campaign_id}: English text changed. Messages already sent are not resent."
    assert (await bot.store.campaign(campaign_id)).text_en == "Camp tomorrow at 11"
    (answer,) = await bot.say("/broadcast hello everyone")          # not an admin: just words
    assert answer["text"] == bot.runtime.engine.ask("broadcast").text


async def test_a_429_answer_is_waited_out_and_the_reply_still_arrives(bot):
    bot.fake.fail_next("sendMessage", chat_id=USER, code=429, retry_after=1)
    (reply,) = await bot.say("ODOP product of Agra")
    assert reply["text"].startswith("Agra: ODOP products")
    failed = [c for c in bot.fake.call_log if c["method"].lower() == "sendmessage" and not c["ok"]]
    assert len(failed) == 1 and failed[0]["code"] == 429
