"""The WhatsApp channel end to end: signed webhook posts in, a local Graph API double out."""
from __future__ import annotations

import asyncio
import logging
from datetime import date

import httpx
import pytest

from bot.core.dialogue import Button, Dialogue, Reply
from bot.channels.whatsapp.channel import WhatsAppChannel, render
from bot.services.runtime import Runtime
from bot.serve import make_asgi, serve_async
from bot.settings import Secret, Settings
from bot.channels.whatsapp.client import WhatsAppClient

from bot.app import make_store

from . import sql
from .conftest import KNOWLEDGE, on_store
from .fakes import graph_api
from .fakes.graph_api import FakeGraphAPI

TOKEN, PHONE_ID, SECRET, VERIFY = "EAAtest", "1234567890", "app-secret", "verify-me"
USER = "919876500001"


async def no_sleep(_: float) -> None:
    return None


class WA:
    """One running WhatsApp channel on a store (SQLite, or PostgreSQL), with an HTTP client for its webhook."""

    def __init__(self, fake: FakeGraphAPI, db, dialogue: Dialogue, store_kind: str = "sqlite"):
        self.fake, self.db, self.dialogue = fake, db, dialogue
        self.settings = on_store(Settings(knowledge_dir=KNOWLEDGE, db_path=db, whatsapp_token=Secret(TOKEN),
                                          whatsapp_phone_number_id=PHONE_ID, whatsapp_app_secret=Secret(SECRET),
                                          whatsapp_verify_token=Secret(VERIFY), whatsapp_api_base_url=fake.base_url),
                                 store_kind)

    async def start(self) -> "WA":
        self.store = await make_store(self.settings).open()
        self.runtime = Runtime(KNOWLEDGE, self.store, self.dialogue)
        self.client = WhatsAppClient(self.fake.base_url, PHONE_ID, TOKEN, sleep=no_sleep)
        self.channel = WhatsAppChannel(self.runtime, self.client)
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=make_asgi(self.settings, None, self.channel)),
                                      base_url="http://bot")
        return self

    async def stop(self) -> None:
        await self.http.aclose()
        await self.client.aclose()
        await self.store.close()

    async def post(self, payload: dict, secret: str | None = SECRET) -> httpx.Response:
        body = graph_api.dumps(payload)
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Hub-Signature-256"] = graph_api.sign(body, secret)
        return await self.http.post("/whatsapp/webhook", content=body, headers=headers)

    async def deliver(self, payload: dict) -> list[dict]:
        """Post a signed delivery, let the worker answer, return what the user was sent."""
        before = len(self.fake.sent)
        assert (await self.post(payload)).status_code == 200
        await self.channel.process_pending()
        return self.fake.sent[before:]

    async def say(self, text: str, **kw) -> list[dict]:
        return await self.deliver(graph_api.text_message(USER, text, **kw))

    async def tap(self, reply_id: str, title: str = "x") -> list[dict]:
        return await self.deliver(graph_api.button_reply(USER, reply_id, title))

    async def pick(self, reply_id: str, title: str = "x") -> list[dict]:
        return await self.deliver(graph_api.list_reply(USER, reply_id, title))


@pytest.fixture
async def wa(tmp_path, dialogue, store_kind):
    async with FakeGraphAPI(token=TOKEN, phone_number_id=PHONE_ID) as fake:
        channel = await WA(fake, tmp_path / "wa.sqlite3", dialogue, store_kind).start()
        yield channel
        await channel.stop()


async def test_verification_handshake(wa):
    ok = await wa.http.get("/whatsapp/webhook", params={"hub.mode": "subscribe", "hub.verify_token": VERIFY,
                                                         "hub.challenge": "1158201444"})
    assert (ok.status_code, ok.text) == (200, "1158201444")
    bad = await wa.http.get("/whatsapp/webhook", params={"hub.mode": "subscribe", "hub.verify_token": "nope",
                                                          "hub.challenge": "1"})
    assert bad.status_code == 403


@pytest.mark.both_stores
async def test_question_answered_with_exact_text_and_buttons(wa):
    (answer,) = await wa.say("gatway prot skeem")
    expected = wa.runtime.engine.render(wa.runtime.kb.entries["upepb-gateway-port"], "en")
    assert answer["type"] == "interactive" and answer["body"] == expected
    assert answer["buttons"] == [("fb:y:upepb-gateway-port", "👍 Helpful"), ("fb:n:upepb-gateway-port", "👎 Not helpful"),
                                 ("menu", "Menu")]
    (thanks,) = await wa.tap("fb:y:upepb-gateway-port", "👍 Helpful")
    assert thanks["body"] == "Thank you! Glad it helped."
    rows = await sql.questions(wa.store, "whatsapp")
    assert [(r["entry_id"], r["feedback"]) for r in rows] == [("upepb-gateway-port", 1)]


async def test_did_you_mean_buttons_then_the_choice_is_answered(wa):
    (choices,) = await wa.say("footwear")
    assert choices["body"].startswith("I'm not sure I understood. Did you mean:\n1. HS ")
    assert 1 < len(choices["buttons"]) <= 3 and all(len(title) <= 20 for _, title in choices["buttons"])
    reply_id, title = choices["buttons"][0]
    (answer,) = await wa.tap(reply_id, title)
    assert answer["body"] == wa.runtime.engine.render(wa.runtime.kb.entries[reply_id[2:]], "en")


@pytest.mark.both_stores
async def test_menu_is_a_list_and_a_list_selection_works(wa):
    await wa.say("/start")
    await wa.tap("lang:en", "English")
    await wa.pick("dist:skip", "Skip")
    await wa.pick("prod:skip", "Skip")
    _, menu = await wa.pick("sub:none", "None")
    assert menu["type"] == "interactive" and menu["interactive_type"] == "list"
    assert [r[0] for r in menu["rows"]] == ["m:schemes", "m:hs", "m:markets", "m:contacts", "m:events", "m:ask",
                                            "m:settings"]
    (schemes,) = await wa.pick("m:schemes", "Schemes")
    assert schemes["body"].startswith("Export schemes (page 1 of ")
    assert len(schemes["rows"]) <= 10 and all(len(r[1]) <= 24 for r in schemes["rows"])


async def test_non_text_messages_get_one_polite_line(wa):
    for payload in (graph_api.image(USER), graph_api.audio(USER), graph_api.video(USER), graph_api.document(USER),
                    graph_api.sticker(USER), graph_api.location(USER), graph_api.contacts_message(USER)):
        (reply,) = await wa.deliver(payload)
        assert (reply["type"], reply["body"]) == ("text", "I can only read typed text. Please type your question.")


async def test_a_reaction_gets_no_answer(wa):
    assert await wa.deliver(graph_api.reaction(USER, "👍", "wamid.x")) == []


@pytest.mark.both_stores
async def test_unsigned_or_wrongly_signed_posts_are_refused_and_nothing_is_stored(wa):
    payload = graph_api.text_message(USER, "ODOP product of Agra")
    assert (await wa.post(payload, secret=None)).status_code == 401
    assert (await wa.post(payload, secret="wrong")).status_code == 403
    await wa.channel.process_pending()
    assert wa.fake.sent == []
    assert await sql.value(wa.store, "SELECT (SELECT COUNT(*) FROM inbox) + (SELECT COUNT(*) FROM users)") == 0


@pytest.mark.both_stores
async def test_redelivered_message_is_answered_once_across_a_restart(tmp_path, dialogue, store_kind):
    async with FakeGraphAPI(token=TOKEN, phone_number_id=PHONE_ID) as fake:
        payload = graph_api.text_message(USER, "ODOP product of Agra", wamid="wamid.SAME")
        first = await WA(fake, tmp_path / "wa.sqlite3", dialogue, store_kind).start()
        assert len(await first.deliver(payload)) == 1
        assert await first.deliver(payload) == []
        await first.stop()
        second = await WA(fake, tmp_path / "wa.sqlite3", dialogue, store_kind).start()
        assert await second.deliver(payload) == []
        await second.stop()
        assert len(fake.sent) == 1


@pytest.mark.both_stores
async def test_message_stored_before_a_crash_is_answered_after_restart(tmp_path, dialogue, store_kind):
    async with FakeGraphAPI(token=TOKEN, phone_number_id=PHONE_ID) as fake:
        first = await WA(fake, tmp_path / "wa.sqlite3", dialogue, store_kind).start()
        assert (await first.post(graph_api.text_message(USER, "ODOP product of Agra"))).status_code == 200
        await first.stop()                       # stopped before the worker ran
        second = await WA(fake, tmp_path / "wa.sqlite3", dialogue, store_kind).start()
        assert await second.channel.process_pending() == 1
        assert fake.sent[0]["body"].startswith("Agra: ODOP products")
        await second.stop()


async def test_hindi_flow(wa):
    await wa.say("नमस्ते")
    done, district = await wa.tap("lang:hi", "हिन्दी")
    assert done["body"] == "भाषा: हिन्दी।"
    assert district["body"] == "आप किस ज़िले से हैं? ज़िले का नाम लिखें या नीचे से चुनें।"
    assert all(len(r[1]) <= 24 for r in district["rows"])
    saved, product = await wa.say("आगरा")
    assert saved["body"] == "ज़िला सेव हो गया: आगरा।"
    (answer,) = await wa.say("गेटवे पोर्ट योजना में कितना पैसा मिलता है")
    assert "6,000" in answer["body"] and answer["buttons"][0] == ("fb:y:upepb-gateway-port", "👍 काम का")


def test_long_answer_split_on_paragraphs_and_buttons_kept():
    text = "\n\n".join(["a" * 3000, "b" * 3000])
    messages = render(Reply(text, ((Button("Menu", "menu"),),)))
    assert [m[0] for m in messages] == ["text", "text", "buttons"]
    assert [len(m[1]) for m in messages[:2]] == [3000, 3000]
    assert messages[2] == ("buttons", "Choose below:", [("menu", "Menu")])


def test_many_buttons_become_a_list_with_clipped_titles():
    buttons = tuple((Button(f"A very long district name {i}", f"dist:{i}"),) for i in range(10))
    (message,) = render(Reply("Which district?", buttons))
    assert message[0] == "list" and len(message[3]) == 10
    assert all(len(title) <= 24 and len(desc) <= 72 for _, title, desc in message[3])


@pytest.mark.both_stores
async def test_rate_limit_is_retried_and_closed_window_is_recorded(wa):
    await wa.say("hello")
    wa.fake.fail_next(130429)
    (answer,) = await wa.say("ODOP product of Agra")           # retried after the rate limit
    assert answer["body"].startswith("Agra: ODOP products")
    assert await wa.store.window_open("whatsapp", USER)
    wa.fake.fail_next(131047)
    assert await wa.say("ODOP product of Agra") == []
    assert not await wa.store.window_open("whatsapp", USER)


@pytest.mark.both_stores
async def test_status_webhooks_are_recorded_not_answered(wa):
    await wa.say("hello")
    assert await wa.deliver(graph_api.status("wamid.1", USER, "delivered")) == []
    assert await wa.deliver(graph_api.status("wamid.2", USER, "failed", errors=131047)) == []
    rows = await sql.select(wa.store, "SELECT * FROM delivery_status WHERE channel = ? ORDER BY id", "whatsapp")
    assert [(r["status"], r["error_code"]) for r in rows] == [("delivered", None), ("failed", 131047)]
    assert not await wa.store.window_open("whatsapp", USER)


@pytest.mark.both_stores
async def test_stop_ends_broadcasts(wa):
    await wa.say("hello")
    (reply,) = await wa.say("STOP")
    assert reply["body"].startswith("Done: you will get no more reminders or broadcasts.")
    assert await sql.value(wa.store, "SELECT subscription FROM users WHERE chat_id = ?", USER) == "none"


async def test_invalid_token_is_a_clear_error_at_start_up(tmp_path, caplog):
    caplog.set_level(logging.ERROR)
    async with FakeGraphAPI(token=TOKEN, phone_number_id=PHONE_ID) as fake:
        settings = Settings(knowledge_dir=KNOWLEDGE, db_path=tmp_path / "db.sqlite3", whatsapp_token=Secret("wrong"),
                            whatsapp_phone_number_id=PHONE_ID, whatsapp_app_secret=Secret(SECRET),
                            whatsapp_verify_token=Secret(VERIFY), whatsapp_api_base_url=fake.base_url)
        assert await asyncio.wait_for(serve_async(settings), 10) == 1
    assert "refused WHATSAPP_TOKEN or WHATSAPP_PHONE_NUMBER_ID" in caplog.text


async def test_event_details_come_with_an_ics_document(wa):
    # the bundled calendar's example dates; a dialogue of its own, the session's shared one stays untouched
    wa.runtime.dialogue = Dialogue(wa.runtime.engine, today=lambda: date(2027, 1, 1))
    await wa.say("hello")
    await wa.pick("dist:hathras", "Hathras")
    (listing,) = await wa.tap("m:events", "Events")
    first = (listing.get("rows") or listing.get("buttons"))[0][0]
    assert first.startswith("ev:")
    sent = await wa.pick(first, "event")
    details, document = sent
    assert details["body"].splitlines()[1].startswith("When: ")
    assert details["buttons"][0][0].startswith("rm:")
    assert document["type"] == "document" and document["document"]["filename"].endswith(".ics")
    upload = wa.fake.uploads[document["document"]["id"]]
    assert b"BEGIN:VCALENDAR" in upload and b"text/calendar" in upload
