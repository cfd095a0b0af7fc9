"""Nothing lost, nothing twice, nothing stalls: the inbox, hostile webhook bodies, failing platforms and disks."""
from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time

import httpx
import pytest

from bot.app import build_channels
from bot.channels.telegram.inbox import TelegramInbox
from bot.channels.whatsapp.channel import WhatsAppChannel
from bot.channels.whatsapp.client import WhatsAppClient
from bot.core.dialogue import UserState
from bot.serve import make_asgi
from bot.services.inbox import Throttle
from bot.services.runtime import Runtime
from bot.settings import Secret, Settings
from bot.store import WAL_LIMIT_BYTES, Store

from . import sql
from .conftest import KNOWLEDGE
from .fakes import graph_api
from .fakes.graph_api import FakeGraphAPI
from .fakes.telegram_api import FakeBotAPI

TG_TOKEN, HOOK_SECRET = "4321:RELIABLE", "hook-secret"
WA_TOKEN, PHONE_ID, APP_SECRET = "EAArel", "1234567890", "app-secret"
APOLOGY = "Sorry, something went wrong on my side"
SLOW_DOWN = "You are sending messages faster"
BSUID = "US.13491208655302741918"


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class Bot:
    """A Telegram bot on the inbox (webhook or polled updates both go through ``inbox.receive``)."""

    def __init__(self, fake: FakeBotAPI, store: Store, dialogue) -> None:
        self.fake, self.store = fake, store
        self.settings = Settings(knowledge_dir=KNOWLEDGE, telegram_token=Secret(TG_TOKEN),
                                 telegram_api_base_url=fake.base_url, telegram_webhook_url="https://x/telegram/hook",
                                 telegram_webhook_secret=Secret(HOOK_SECRET), admin_telegram_ids=frozenset({999}))
        channels = build_channels(self.settings, Runtime(KNOWLEDGE, store, dialogue), telegram_updater=False,
                                  window=0.05)
        assert channels.telegram is not None
        self.app = channels.telegram
        self.inbox = TelegramInbox(self.app, store, db_backoff=(0.02, 0.1))
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=make_asgi(self.settings, self.inbox)),
                                      base_url="http://bot")

    async def hook(self, body: bytes | dict, secret: str = HOOK_SECRET) -> httpx.Response:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return await self.http.post("/telegram/hook", content=content,
                                    headers={"X-Telegram-Bot-Api-Secret-Token": secret})

    async def say(self, chat: int, text: str, **kw) -> list[dict]:
        before = len(self.fake.sent)
        assert (await self.hook(self.fake.make_message_update(chat, text, **kw))).status_code == 200
        await self.inbox.worker.run_once()
        return self.fake.sent[before:]


@pytest.fixture
async def tg(tmp_path, dialogue):
    clock = Clock()
    async with FakeBotAPI(token=TG_TOKEN) as fake:
        store = await Store(tmp_path / "tg.sqlite3", clock=clock).open()
        bot = Bot(fake, store, dialogue)
        bot.clock = clock
        await bot.app.initialize()
        yield bot
        await bot.http.aclose()
        await bot.app.shutdown()
        await store.close()


async def no_sleep(_: float) -> None:
    return None


class WA:
    def __init__(self, fake: FakeGraphAPI, store: Store, dialogue) -> None:
        self.fake, self.store = fake, store
        self.settings = Settings(knowledge_dir=KNOWLEDGE, whatsapp_token=Secret(WA_TOKEN),
                                 whatsapp_phone_number_id=PHONE_ID, whatsapp_app_secret=Secret(APP_SECRET),
                                 whatsapp_verify_token=Secret("v"), whatsapp_api_base_url=fake.base_url)
        self.client = WhatsAppClient(fake.base_url, PHONE_ID, WA_TOKEN, sleep=no_sleep, max_attempts=1)
        self.channel = WhatsAppChannel(Runtime(KNOWLEDGE, store, dialogue), self.client, db_backoff=(0.02, 0.1))
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=make_asgi(self.settings, None, self.channel)),
                                      base_url="http://bot")

    async def post(self, body: bytes | dict, secret: str | None = APP_SECRET, **headers: str) -> httpx.Response:
        content = body if isinstance(body, bytes) else graph_api.dumps(body)
        if secret is not None:
            headers["X-Hub-Signature-256"] = graph_api.sign(content, secret)
        return await self.http.post("/whatsapp/webhook", content=content, headers=headers)

    async def deliver(self, payload: dict) -> list[dict]:
        before = len(self.fake.sent)
        assert (await self.post(payload)).status_code == 200
        await self.channel.process_pending()
        return self.fake.sent[before:]


@pytest.fixture
async def wa(tmp_path, dialogue):
    clock = Clock()
    async with FakeGraphAPI(token=WA_TOKEN, phone_number_id=PHONE_ID) as fake:
        store = await Store(tmp_path / "wa.sqlite3", clock=clock).open()
        channel = WA(fake, store, dialogue)
        channel.clock = clock
        yield channel
        await channel.http.aclose()
        await channel.client.aclose()
        await store.close()


async def traces(store: Store) -> int:
    async with store.db.execute("SELECT (SELECT COUNT(*) FROM inbox) + (SELECT COUNT(*) FROM users) + "
                                "(SELECT COUNT(*) FROM delivery_status) + (SELECT COUNT(*) FROM questions)") as cur:
        return (await cur.fetchone())[0]


# ---------------------------------------------------------------- durable Telegram updates

async def test_a_webhook_update_is_stored_before_the_200_and_answered_from_the_inbox(tg):
    update = tg.fake.make_message_update(31, "HS code for saddlery")
    response = await tg.hook(update)
    assert response.status_code == 200
    assert tg.fake.sent == [] and await tg.store.inbox_counts("telegram") == {"pending": 1}
    await tg.inbox.worker.run_once()
    assert [m["text"][:13] for m in tg.fake.sent] == ["HS code 4201:"]
    assert await tg.store.inbox_counts("telegram") == {"done": 1}
    again = await tg.hook(update)
    assert again.status_code == 200
    await tg.inbox.worker.run_once()
    assert len(tg.fake.sent) == 1                       # a redelivery is answered once


async def test_bot_api_500s_are_retried_with_back_off_and_the_user_gets_one_answer_not_an_apology(tg):
    tg.fake.fail_next("sendMessage", code=500, times=3)
    await tg.hook(tg.fake.make_message_update(31, "HS code for saddlery"))
    delays = []
    for _ in range(6):
        await tg.inbox.worker.run_once()
        async with tg.store.db.execute("SELECT next_try_at, state FROM inbox") as cur:
            next_try, state = await cur.fetchone()
        if state == "done":
            break
        delays.append(round(next_try - tg.clock.now))
        tg.clock.now = next_try
    assert delays == [1, 2, 4]
    texts = [m["text"] for m in tg.fake.sent]
    assert len(texts) == 1 and texts[0].startswith("HS code 4201:")
    assert not any(APOLOGY in t for t in texts)
    async with tg.store.db.execute("SELECT COUNT(*) FROM questions") as cur:
        assert (await cur.fetchone())[0] == 1              # the question was worked out once, only the send repeated


async def test_after_a_failed_send_only_the_missing_messages_go(tg):
    await tg.hook(tg.fake.make_message_update(31, "/start"))
    tg.fake.fail_next("sendMessage", code=502, times=1)
    await tg.inbox.worker.run_once()                  # /start -> greeting: the first message fails
    tg.clock.now += 5
    await tg.inbox.worker.run_once()
    texts = [m["text"] for m in tg.fake.sent]
    assert len(texts) == len(set(texts)) >= 1 and texts[0].startswith("Namaste!")


async def test_an_update_python_telegram_bot_cannot_parse_is_marked_bad_and_the_rest_flow(tg, caplog):
    caplog.set_level(logging.WARNING)
    old_poll = {"update_id": 7, "poll": {"id": "5", "question": "q", "options": [], "total_voter_count": 0,
                                         "is_closed": False, "is_anonymous": True, "type": "regular",
                                         "allows_multiple_answers": False}}   # as an older Bot API server sends
    assert (await tg.hook(old_poll)).status_code == 200
    for chat in range(1, 6):
        await tg.hook(tg.fake.make_message_update(chat, "HS code for saddlery"))
    await tg.inbox.worker.run_once()
    assert sorted(m["chat_id"] for m in tg.fake.sent) == [1, 2, 3, 4, 5]
    assert await tg.store.inbox_counts("telegram") == {"done": 5, "bad": 1}
    assert caplog.text.count("cannot be read") == 1 and "Traceback" not in caplog.text


async def test_a_handler_that_breaks_is_logged_once_the_user_told_once_and_the_rest_flow(tg, monkeypatch, caplog):
    from bot.services import conversation

    real = conversation.Conversation.handle

    async def broken(self, chat_id, event, lang_hint=None, **kw):
        if event.text == "boom":
            raise RuntimeError("a bug")
        return await real(self, chat_id, event, lang_hint, **kw)

    monkeypatch.setattr(conversation.Conversation, "handle", broken)
    await tg.hook(tg.fake.make_message_update(8, "boom"))
    await tg.hook(tg.fake.make_message_update(9, "HS code for saddlery"))
    await tg.inbox.worker.run_once()
    assert [m["text"][:21] for m in tg.fake.sent_to(8)] == ["Sorry, something went"]
    assert tg.fake.sent_to(9)[0]["text"].startswith("HS code 4201")
    assert await tg.store.inbox_counts("telegram") == {"done": 1, "failed": 1}


# ---------------------------------------------------------------- hostile but authenticated input

def deep(n: int) -> bytes:
    return b'{"update_id": 1, "message": ' + b"[" * n + b"]" * n + b"}"


TELEGRAM_JUNK: list[bytes] = [
    b"[]", b"1", b'"x"', b"null", b"{}", b"not json", b'{"update_id": "1"}', b'{"update_id": NaN}',
    b'{"update_id": 1e400}', b'{"update_id": ' + b"9" * 10_000 + b"}", deep(50), deep(100_000),
    b'{"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, '
    b'"from": {"id": [1], "is_bot": false, "first_name": "A"}, "text": "hi"}}',
    b'{"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": {"x": 1}, "type": "private"}, "text": "hi"}}',
    b'{"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": ' + b"1" * 30 + b', "type": "private"}}}',
    b'{"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "\\ud800"}}',
    b'{"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": ["hi"]}}',
    b'{"update_id": 1, "callback_query": {"id": "1", "from": {"id": 5, "is_bot": false, "first_name": "A"}, '
    b'"data": "' + b"x" * 65 + b'"}}',
    b'{"update_id": -5, "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}}}',
    b'{"update_id": true, "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}}}',
]


async def test_malformed_telegram_webhook_bodies_get_4xx_and_leave_no_trace(tg):
    for body in TELEGRAM_JUNK:
        response = await tg.hook(body)
        assert 400 <= response.status_code < 500, (body[:80], response.status_code)
    await tg.inbox.worker.run_once()
    assert tg.fake.sent == [] and await traces(tg.store) == 0
    assert (await tg.hook(tg.fake.make_message_update(5, "hi"))).status_code == 200    # still serving


def wa_text(sender: str = "919876500001", **message) -> dict:
    payload = graph_api.text_message(sender, "HS code for saddlery")
    payload["entry"][0]["changes"][0]["value"]["messages"][0].update(message)
    return payload


WHATSAPP_JUNK: list[bytes] = [
    b"[]", b"1", b"null", b'"x"', b"not json", b'{"entry": 1}', b'{"entry": [1]}', b'{"entry": [{"changes": {}}]}',
    b'{"entry": [{"changes": [{"value": []}]}]}', b'{"entry": NaN}', b'{"entry": ' + b"[" * 60 + b"]" * 60 + b"}",
    b'{"x": ' + b"1" * 10_000 + b"}",
    graph_api.dumps(wa_text(**{"from": {"x": 1}})), graph_api.dumps(wa_text(**{"from": "' OR 1=1 --"})),
    graph_api.dumps(wa_text(**{"from": True})), graph_api.dumps(wa_text(**{"from": "-1"})),
    graph_api.dumps(wa_text(**{"from": "9" * 10_0})), graph_api.dumps(wa_text(id=5)),
    graph_api.dumps(wa_text(text={"body": ["hi"]})), graph_api.dumps(wa_text(text="hi")),
    graph_api.dumps(wa_text(timestamp={"t": 1})),
    b'{"entry": [{"changes": [{"value": {"messages": [{"from": "919876500001", "id": "w", "type": "text", '
    b'"text": {"body": "\\udc00"}}]}}]}]}',
    b'{"entry": [{"changes": [{"value": {"statuses": [{"id": "w", "status": "failed", "recipient_id": "919876500001", '
    b'"errors": [{"code": "131047"}]}]}}]}]}',
    b'{"entry": [{"changes": [{"value": {"statuses": [{"id": "w", "status": "read", "recipient_id": ["1"]}]}}]}]}',
]


async def test_malformed_signed_whatsapp_bodies_get_4xx_leave_no_trace_and_send_nothing(wa):
    for body in WHATSAPP_JUNK:
        response = await wa.post(body)
        assert 400 <= response.status_code < 500, (body[:80], response.status_code)
    await wa.channel.process_pending()
    assert wa.fake.sent == [] and await traces(wa.store) == 0


async def test_bodies_over_256_kb_are_refused_before_being_read_on_both_webhooks(tg, wa):
    big = b'{"update_id": 1, "x": "' + b"a" * 300_000 + b'"}'
    assert (await tg.hook(big)).status_code == 413
    assert (await wa.post(big)).status_code == 413
    assert (await wa.post(big, secret=None)).status_code == 401         # no signature: refused before reading

    async def endless():
        while True:
            yield b"x" * 65536

    lying = await wa.http.post("/whatsapp/webhook", content=endless(),
                               headers={"X-Hub-Signature-256": "sha256=00"})
    assert lying.status_code == 413                                       # no length given: stopped at the limit
    assert await traces(wa.store) == 0


# ---------------------------------------------------------------- WhatsApp kinds of message

async def test_a_username_user_without_a_phone_number_is_answered(wa):
    payload = graph_api.text_message("919876500001", "HS code for saddlery", user_id=BSUID)
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    del message["from"]
    message["from_user_id"] = BSUID
    payload["entry"][0]["changes"][0]["value"]["contacts"] = [{"profile": {"name": "R"}, "user_id": BSUID}]
    (reply,) = await wa.deliver(payload)
    assert reply["to"] == BSUID and reply["body"].startswith("HS code 4201")
    assert reply["raw"]["recipient"] == BSUID and "to" not in reply["raw"]


async def test_reactions_deletions_edits_and_system_notices_get_nothing_and_request_welcome_a_greeting(wa):
    user = "919876500002"
    quiet = [graph_api.reaction(user, "👍", "wamid.x"),
             graph_api._inbound(user, "revoke", {"original_message_id": "wamid.x"}),
             graph_api._inbound(user, "edit", {"original_message_id": "wamid.x",
                                               "message": {"type": "text", "text": {"body": "new"}}}),
             graph_api._inbound(user, "system", {"body": "User changed number", "type": "user_changed_number"})]
    for payload in quiet:
        assert await wa.deliver(payload) == []
    welcome = graph_api._inbound(user, "request_welcome", {})
    del welcome["entry"][0]["changes"][0]["value"]["messages"][0]["request_welcome"]
    sent = await wa.deliver(welcome)
    assert sent and sent[0]["body"].startswith("Namaste!")


async def test_only_message_statuses_are_recorded_as_delivery_statuses(wa):
    call = graph_api.status("wamid.x", "919876500003", "delivered")
    entry = call["entry"][0]["changes"][0]["value"]["statuses"][0]
    entry.update({"type": "call", "status": "RINGING"})
    assert (await wa.post(call)).status_code == 200
    assert (await wa.post(graph_api.status("wamid.y", "919876500003", "read"))).status_code == 200
    assert [s["status"] for s in await sql.select(wa.store, "SELECT status FROM delivery_status ORDER BY id")] == ["read"]


async def test_a_whatsapp_retry_after_a_5xx_sends_only_what_is_missing(wa):
    wa.fake.fail_next(131000, to="919876500004", times=1)         # "Something went wrong" (HTTP 500)
    sent = await wa.deliver(graph_api.text_message("919876500004", "/start"))
    assert sent == []
    wa.clock.now += 5
    await wa.channel.process_pending()
    bodies = [m["body"] for m in wa.fake.sent]
    assert bodies and bodies[0].startswith("Namaste!") and len(bodies) == len(set(bodies))


# ---------------------------------------------------------------- odd input

async def test_forged_buttons_and_out_of_range_admin_arguments_get_a_polite_line(tg, caplog):
    caplog.set_level(logging.ERROR)
    await tg.say(5, "/start")
    for data in ("dist:p:²", "pp:٣", "m:schemes:99999999999999999999", "ev:x:²", "bc:y", "bc", "rmd:p:x"):
        await tg.hook(tg.fake.make_callback_update(5, data))
    no_data = tg.fake.make_callback_update(5, "x")
    del no_data["callback_query"]["data"]
    await tg.hook(no_data)
    await tg.hook(tg.fake.make_message_update(999, "/reminder_text 99999999999999999999999 x"))
    await tg.hook(tg.fake.make_message_update(999, "/reminder_text ² x"))
    await tg.inbox.worker.run_once()
    assert "Traceback" not in caplog.text and "ERROR" not in caplog.text
    assert await tg.store.inbox_counts("telegram") == {"done": 11}
    assert [m["text"][:20] for m in tg.fake.sent_to(999)] == ["Usage: /reminder_tex"] * 2


# ---------------------------------------------------------------- disk full, locked database, the log file

def fill_disk(store: Store, only: str = "") -> dict:
    """Make every write (or those whose SQL holds ``only``) fail as on a full disk (SQLITE_FULL), until
    ``state['full']`` is cleared.

    The store's sqlite3 connection (inside aiosqlite, which runs it on its own thread) is wrapped, so every
    write fails however the store reaches the connection: one statement at a time or several in one trip."""
    state = {"full": True}
    store.db._connection = _FullDisk(store.db._connection, state, only)
    return state


class _FullDisk:
    """A sqlite3 connection whose INSERT, UPDATE and DELETE statements fail while ``state['full']``."""

    def __init__(self, connection: sqlite3.Connection, state: dict, only: str = ""):
        self._real, self._state, self._only = connection, state, only

    def execute(self, sql, *args):
        write = sql.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE", "REPLACE")
        if self._state["full"] and write and self._only in " ".join(sql.split()):
            raise sqlite3.OperationalError("database or disk is full")
        return self._real.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._real, name)


async def test_disk_full_one_apology_in_the_users_language_back_off_then_recovery(tg):
    await tg.store.save_user("telegram", "41", UserState(lang="en"))
    await tg.store.save_user("telegram", "42", UserState(lang="hi"))
    for chat in (41, 42):
        await tg.hook(tg.fake.make_message_update(chat, "HS code for saddlery"))
    state = fill_disk(tg.store)
    stop = asyncio.Event()
    runs = 0
    real_run_once = tg.inbox.worker.run_once

    async def counted():
        nonlocal runs
        runs += 1
        return await real_run_once()

    tg.inbox.worker.run_once = counted
    task = asyncio.create_task(tg.inbox.worker.run(stop))
    await asyncio.sleep(0.6)
    assert runs <= 8                                              # backs off (0.02, 0.04, ... 0.1 s), no spinning
    apologies = {m["chat_id"]: m["text"] for m in tg.fake.sent}
    assert apologies[41].startswith(APOLOGY) and apologies[42].startswith("माफ़ कीजिए") and len(tg.fake.sent) == 2
    state["full"] = False                                         # space returns
    await tg.fake.wait_for_sent(4, timeout=5)
    stop.set()
    await task
    assert [m["text"][:12] for m in tg.fake.sent_to(41)][1:] == ["HS code 4201"]     # one apology, one answer
    assert len(tg.fake.sent_to(42)) == 2
    assert await tg.store.integrity() == "ok"


async def test_a_turn_is_saved_with_its_replies_or_not_at_all(tg):
    """The user's state, the question and the replies worked out for it are one transaction: when the replies
    cannot be recorded nothing of the turn is kept, and the question answered afterwards is logged once."""
    await tg.hook(tg.fake.make_message_update(61, "HS code for saddlery"))
    state = fill_disk(tg.store, only="UPDATE inbox SET replies")
    with pytest.raises(sqlite3.OperationalError):
        await tg.inbox.worker.run_once()
    await tg.store.rollback()
    assert await tg.store.get_user("telegram", "61") is None and await tg.store.asked(0) == []
    assert tg.fake.sent_to(61) == []
    state["full"] = False
    await tg.inbox.worker.run_once()
    assert [m["text"][:12] for m in tg.fake.sent_to(61)] == ["HS code 4201"]
    assert [q["text"] for q in await tg.store.asked(0)] == ["HS code for saddlery"]
    assert await tg.store.inbox_counts("telegram") == {"done": 1}


async def test_an_error_after_the_answer_went_out_does_not_send_it_again(tg, monkeypatch):
    from telegram.error import NetworkError

    from bot.channels.telegram import handlers

    real = handlers.send_replies
    failed: list[bool] = []

    async def then_fail(context, chat_id, replies, recorded=False):
        await real(context, chat_id, replies, recorded)
        if not failed:
            failed.append(True)
            raise NetworkError("connection reset after the answer went out")

    monkeypatch.setattr(handlers, "send_replies", then_fail)
    await tg.hook(tg.fake.make_message_update(62, "HS code for saddlery"))
    await tg.inbox.worker.run_once()                   # answered, then the error: the update waits for a retry
    assert failed and await tg.store.inbox_counts("telegram") == {"pending": 1}
    tg.clock.now += 5
    await tg.inbox.worker.run_once()
    assert [m["text"][:12] for m in tg.fake.sent_to(62)] == ["HS code 4201"]
    assert await tg.store.inbox_counts("telegram") == {"done": 1}


async def test_a_short_lock_by_another_process_is_waited_out(tg, tmp_path):
    other = sqlite3.connect(tmp_path / "tg.sqlite3", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    loop = asyncio.get_running_loop()
    loop.call_later(0.8, other.execute, "COMMIT")
    sent = await tg.say(51, "HS code for saddlery")
    other.close()
    assert [m["text"][:12] for m in sent] == ["HS code 4201"]


async def test_the_write_ahead_log_is_checkpointed_and_bounded(tmp_path):
    async with Store(tmp_path / "w.sqlite3") as store:
        for i in range(300):
            await store.inbox_add("telegram", str(i), "1", "x" * 2000)
        await store.checkpoint()
        wal = tmp_path / "w.sqlite3-wal"
        assert not wal.exists() or wal.stat().st_size <= WAL_LIMIT_BYTES
        assert await store.integrity() == "ok"


async def test_handled_updates_are_forgotten_after_a_week_so_a_reused_id_is_answered(tg):
    await tg.say(61, "HS code for saddlery", update_id=1)
    tg.clock.now += 8 * 86400
    assert await tg.store.prune() == 1
    sent = await tg.say(61, "/start", update_id=1)
    assert sent and sent[0]["text"].startswith("Namaste!")


async def test_a_reused_update_id_with_other_content_is_answered_even_within_the_week(tg):
    await tg.say(62, "HS code for saddlery", update_id=3)
    sent = await tg.say(62, "/start", update_id=3)
    assert sent and sent[0]["text"].startswith("Namaste!")


async def test_no_staging_folder_is_left_behind_when_the_copy_fails(tmp_path, monkeypatch):
    import shutil

    from bot.services import runtime

    def full(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(shutil, "copy2", full)
    with pytest.raises(OSError):
        runtime.save_snapshot(KNOWLEDGE, tmp_path / "knowledge.last-good")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- flood

async def test_a_flooding_user_is_throttled_politely_and_others_are_not_held_up(tg):
    for i in range(50):
        await tg.hook(tg.fake.make_message_update(71, "HS code for saddlery"))
    await tg.hook(tg.fake.make_message_update(72, "HS code for saddlery"))
    started = time.perf_counter()
    await tg.inbox.worker.run_once()
    took = time.perf_counter() - started
    flood = [m["text"] for m in tg.fake.sent_to(71)]
    assert len(flood) == Throttle().limit + 1 and sum(SLOW_DOWN in t for t in flood) == 1
    assert tg.fake.sent_to(72)[0]["text"].startswith("HS code 4201")
    assert took < 3.0                               # the other user waited behind at most 20 answers
    assert (await tg.store.inbox_counts("telegram"))["throttled"] == 50 - Throttle().limit
