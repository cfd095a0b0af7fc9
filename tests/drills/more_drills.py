"""The longer drills, with the figures docs/reliability.md quotes. Each has a reduced form in the suite.

    .venv/bin/python -m tests.drills.more_drills [outage|flood|hostile|diskfull|lock|all]

* outage:   the Bot API answers 500 to every send for 30 s while 800 questions arrive (reduced:
            tests/test_reliability.py::test_bot_api_500s_are_retried...).
* flood:    one user sends 50 messages a second for 2 s while 5 others ask one question each (reduced:
            ...::test_a_flooding_user_is_throttled...).
* hostile:  10,000 fuzzed, correctly signed bodies to both webhooks over one keep-alive connection each
            (reduced: tests/test_payloads.py, 150 examples each).
* diskfull: a real SQLITE_FULL (the database may not grow) while questions arrive, then space returns
            (reduced: ...::test_disk_full_one_apology...).
* lock:     another process holds the database for 20 s (reduced: ...::test_a_short_lock...).
"""
from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bot.app import build_channels
from bot.channels.telegram.inbox import TelegramInbox
from bot.channels.whatsapp.channel import WhatsAppChannel
from bot.channels.whatsapp.client import WhatsAppClient
from bot.core.answers import AnswerEngine
from bot.core.dialogue import Dialogue, UserState
from bot.core.knowledge import load_knowledge
from bot.serve import _run_uvicorn, make_asgi
from bot.services.runtime import Runtime
from bot.settings import Secret, Settings
from bot.store import Store

from ..fakes import graph_api
from ..fakes.graph_api import FakeGraphAPI
from ..fakes.telegram_api import FakeBotAPI
from .kill_drill import free_port

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE = ROOT / "knowledge"
TOKEN, SECRET = "555:DRILLS", "hook"
WA_TOKEN, PHONE_ID, APP_SECRET = "EAAd", "1234567890", "app"
QUESTION, ANSWER = "HS code for saddlery", "HS code 4201"
APOLOGY = "Sorry, something went wrong"
DIALOGUE: Dialogue | None = None


def dialogue() -> Dialogue:
    global DIALOGUE
    if DIALOGUE is None:
        DIALOGUE = Dialogue(AnswerEngine(load_knowledge(KNOWLEDGE)))
    return DIALOGUE


class TelegramBot:
    def __init__(self, fake: FakeBotAPI, store: Store):
        settings = Settings(knowledge_dir=KNOWLEDGE, telegram_token=Secret(TOKEN), telegram_api_base_url=fake.base_url,
                            telegram_webhook_url="https://x/telegram/webhook", telegram_webhook_secret=Secret(SECRET))
        self.settings = settings
        self.app = build_channels(settings, Runtime(KNOWLEDGE, store, dialogue()), telegram_updater=False).telegram
        self.inbox = TelegramInbox(self.app, store)

    async def __aenter__(self):
        await self.app.initialize()
        return self

    async def __aexit__(self, *exc):
        await self.app.shutdown()


async def seed(store: Store, channel: str, chats: list[str]) -> None:
    for chat in chats:
        await store.save_user(channel, chat, UserState(lang="en"))


def answers(fake: FakeBotAPI) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for m in fake.sent:
        out.setdefault(m["chat_id"], []).append(m["text"])
    return out


async def outage(seconds: float = 30.0, questions: int = 800) -> str:
    async with FakeBotAPI(token=TOKEN) as fake:
        with tempfile.TemporaryDirectory() as tmp:
            async with Store(Path(tmp) / "db.sqlite3") as store, TelegramBot(fake, store) as bot:
                chats = list(range(1, 201))
                await seed(store, "telegram", [str(c) for c in chats])
                fake.fail_next("sendMessage", code=500, times=None)
                stop = asyncio.Event()
                worker = asyncio.create_task(bot.inbox.worker.run(stop))
                started = time.monotonic()
                for i in range(questions):
                    await bot.inbox.receive(fake.make_message_update(chats[i % len(chats)], QUESTION))
                    await asyncio.sleep(seconds / questions / 2)
                await asyncio.sleep(max(0.0, seconds - (time.monotonic() - started)))
                fake.clear_failures()
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline and sum(1 for m in fake.sent if m["text"].startswith(ANSWER)) < questions:
                    await asyncio.sleep(0.2)
                stop.set()
                await worker
                got = answers(fake)
                answered = sum(sum(t.startswith(ANSWER) for t in texts) for texts in got.values())
                apologies = sum(sum(APOLOGY in t for t in texts) for texts in got.values())
                counts = await store.inbox_counts("telegram")
                took = time.monotonic() - started
    return (f"outage: Bot API 500 for {seconds:.0f}s, {questions} questions -> answered {answered}, "
            f"lost {questions - answered}, apologies {apologies}, inbox {counts}, all answered after {took:.0f}s")


async def flood(rate: int = 50, seconds: float = 2.0, others: int = 5) -> str:
    async with FakeBotAPI(token=TOKEN) as fake:
        with tempfile.TemporaryDirectory() as tmp:
            async with Store(Path(tmp) / "db.sqlite3") as store, TelegramBot(fake, store) as bot:
                await seed(store, "telegram", [str(c) for c in range(1, others + 2)])
                stop = asyncio.Event()
                worker = asyncio.create_task(bot.inbox.worker.run(stop))
                asked: dict[int, float] = {}
                waits: list[float] = []
                end = time.monotonic() + seconds
                n = 0
                while time.monotonic() < end:
                    await bot.inbox.receive(fake.make_message_update(1, QUESTION))
                    n += 1
                    if n % (rate * seconds // (others + 1)) == 0 and len(asked) < others:
                        chat = 2 + len(asked)
                        asked[chat] = time.monotonic()
                        await bot.inbox.receive(fake.make_message_update(chat, QUESTION))
                    await asyncio.sleep(1 / rate)
                for chat, at in asked.items():
                    await fake.wait_for_sent(1, timeout=10, chat_id=chat)
                    waits.append(fake.sent_to(chat)[0]["timestamp"] - at if "timestamp" in fake.sent_to(chat)[0]
                                 else 0.0)
                await asyncio.sleep(0.5)
                stop.set()
                await worker
                flooder = [m["text"] for m in fake.sent_to(1)]
                counts = await store.inbox_counts("telegram")
    slow = sum("faster than I can read" in t for t in flooder)
    return (f"flood: one user {n} messages in {seconds:.0f}s -> {len(flooder) - slow} answers, {slow} slow-down "
            f"line(s), {counts.get('throttled', 0)} throttled; {others} other users answered, "
            f"longest wait {max(waits) if waits else 0:.2f}s")


def junk(rng: random.Random, depth: int = 0):
    kind = rng.randrange(9 if depth < 6 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 2 ** 53, 10 ** rng.randrange(1, 40), rng.randrange(-10 ** 6, 10 ** 6)])
    if kind == 3:
        return rng.choice([0.5, 1e308, -0.0])
    if kind in (4, 5):
        return rng.choice(["", "x", "' OR 1=1 --", "919876543210", "US.1234567890", "\u202e", "🙂" * 50,
                           "a" * rng.randrange(1, 5000), "/start", "dist:p:²"])
    if kind == 6:
        return [junk(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["update_id", "message", "chat", "id", "from", "text", "callback_query", "data", "entry", "changes",
            "value", "messages", "statuses", "type", "recipient_id", "errors", "code", "x"]
    return {rng.choice(keys): junk(rng, depth + 1) for _ in range(rng.randrange(5))}


def mutate(rng: random.Random, payload):
    payload = json.loads(json.dumps(payload))
    node = payload
    for _ in range(rng.randrange(7)):
        children = list(node.values()) if isinstance(node, dict) else node
        children = [c for c in children if isinstance(c, (dict, list)) and c]
        if not children:
            break
        node = rng.choice(children)
    if isinstance(node, dict) and node:
        node[rng.choice(sorted(node))] = junk(rng)
    elif isinstance(node, list):
        node.append(junk(rng))
    return payload


RAW_JUNK = [b"[]", b"1", b"NaN", b'{"a": NaN}', b'{"a": "\\ud800"}', b"[" * 5000 + b"]" * 5000,
            b'{"a": ' + b"9" * 10_000 + b"}", b"\xff\xfe", b""]


async def hostile(cases: int = 10_000) -> str:
    rng = random.Random(10)
    port = free_port()
    async with FakeBotAPI(token=TOKEN) as tg_fake, FakeGraphAPI(token=WA_TOKEN, phone_number_id=PHONE_ID) as wa_fake:
        with tempfile.TemporaryDirectory() as tmp:
            async with Store(Path(tmp) / "db.sqlite3") as store, TelegramBot(tg_fake, store) as bot:
                client = WhatsAppClient(wa_fake.base_url, PHONE_ID, WA_TOKEN)
                whatsapp = WhatsAppChannel(Runtime(KNOWLEDGE, store, dialogue()), client)
                settings = Settings(**{**bot.settings.__dict__, "whatsapp_token": Secret(WA_TOKEN),
                                       "whatsapp_phone_number_id": PHONE_ID, "whatsapp_app_secret": Secret(APP_SECRET),
                                       "whatsapp_verify_token": Secret("v"), "whatsapp_api_base_url": wa_fake.base_url})
                stop = asyncio.Event()
                server = asyncio.create_task(_run_uvicorn(make_asgi(settings, bot.inbox, whatsapp), port, stop))
                workers = [asyncio.create_task(bot.inbox.worker.run(stop)), asyncio.create_task(whatsapp.run(stop))]
                await asyncio.sleep(0.5)
                statuses: dict[int, int] = {}
                dropped = 0
                tg_base = tg_fake.make_message_update(5, QUESTION)
                wa_base = graph_api.text_message("919876500009", QUESTION)
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
                    for i in range(cases):
                        to_whatsapp = i % 2 == 1
                        choice = rng.randrange(10)
                        if choice == 0:
                            body = rng.choice(RAW_JUNK)
                        elif choice < 4:
                            body = json.dumps(junk(rng)).encode()
                        else:
                            body = json.dumps(mutate(rng, wa_base if to_whatsapp else tg_base)).encode()
                        headers = ({"X-Hub-Signature-256": graph_api.sign(body, APP_SECRET)} if to_whatsapp
                                   else {"X-Telegram-Bot-Api-Secret-Token": SECRET})
                        path = "/whatsapp/webhook" if to_whatsapp else "/telegram/webhook"
                        try:
                            response = await http.post(path, content=body, headers=headers)
                            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                        except httpx.HTTPError:
                            dropped += 1
                await asyncio.sleep(2)
                stop.set()
                await asyncio.gather(server, *workers)
                await client.aclose()
                recipients_ok = all(isinstance(m["chat_id"], int) for m in tg_fake.sent) and all(
                    m["to"].isdigit() or m["to"].startswith("US.") for m in wa_fake.sent)
                counts = {ch: await store.inbox_counts(ch) for ch in ("telegram", "whatsapp")}
                integrity = await store.integrity()
    return (f"hostile: {cases} signed bodies -> HTTP {dict(sorted(statuses.items()))}, connections dropped {dropped}, "
            f"recipients all valid {recipients_ok}, inbox {counts}, integrity {integrity}")


async def diskfull(questions: int = 40) -> str:
    async with FakeBotAPI(token=TOKEN) as fake:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "db.sqlite3"
            async with Store(path) as store, TelegramBot(fake, store) as bot:
                bot.inbox.worker.db_backoff = (0.5, 4.0)
                chats = [str(c) for c in range(1, questions + 1)]
                await seed(store, "telegram", chats)
                for chat in chats:
                    await bot.inbox.receive(fake.make_message_update(int(chat), QUESTION))
                async with store.db.execute("PRAGMA page_count") as cur:
                    pages = (await cur.fetchone())[0]
                await store.db.execute(f"PRAGMA max_page_count = {pages}")        # the disk is full
                runs = 0
                real = bot.inbox.worker.run_once

                async def counted():
                    nonlocal runs
                    runs += 1
                    return await real()

                bot.inbox.worker.run_once = counted
                stop = asyncio.Event()
                worker = asyncio.create_task(bot.inbox.worker.run(stop))
                await asyncio.sleep(10)
                full_runs = runs
                during = answers(fake)
                await store.db.execute("PRAGMA max_page_count = 1073741823")      # space returns
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and sum(
                        t.startswith(ANSWER) for texts in answers(fake).values() for t in texts) < questions:
                    await asyncio.sleep(0.2)
                stop.set()
                await worker
                got = answers(fake)
                apologies = max((sum(APOLOGY in t for t in texts) for texts in got.values()), default=0)
                answered = sum(t.startswith(ANSWER) for texts in got.values() for t in texts)
                integrity = await store.integrity()
            wal = path.with_name(path.name + "-wal")
            wal_size = wal.stat().st_size if wal.exists() else 0
            leftovers = [p.name for p in Path(tmp).iterdir() if p.name.startswith(".knowledge-")]
    return (f"diskfull: {questions} questions, writes refused for 10 s -> {full_runs} attempts in 10 s (back-off), "
            f"{sum(len(v) for v in during.values())} messages meanwhile, at most {apologies} apology per user; "
            f"after space returned {answered} answered, integrity {integrity}, log file {wal_size} bytes after "
            f"close, staging folders left {len(leftovers)}")


async def lock(seconds: float = 20.0) -> str:
    async with FakeBotAPI(token=TOKEN) as fake:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "db.sqlite3"
            async with Store(path) as store, TelegramBot(fake, store) as bot:
                await seed(store, "telegram", ["1", "2"])
                stop = asyncio.Event()
                worker = asyncio.create_task(bot.inbox.worker.run(stop))
                other = sqlite3.connect(path, isolation_level=None)
                other.execute("BEGIN EXCLUSIVE")
                asyncio.get_running_loop().call_later(seconds, other.execute, "COMMIT")
                results, again = [], []
                for chat in (1, 2):
                    update = fake.make_message_update(chat, QUESTION)
                    started = time.monotonic()
                    try:
                        await bot.inbox.receive(update)
                        results.append(("stored", round(time.monotonic() - started, 1)))
                    except sqlite3.Error:
                        results.append(("503", round(time.monotonic() - started, 1)))
                        again.append(update)
                await asyncio.sleep(seconds + 1)
                other.close()
                for update in again:                      # the platform delivers again after a non-200
                    await bot.inbox.receive(update)
                await asyncio.sleep(2)
                stop.set()
                await worker
                got = answers(fake)
    return (f"lock: database held by another process for {seconds:.0f}s -> webhook results {results} "
            f"(503 = the platform delivers again), then per user {[len(v) for v in got.values()]} message(s), "
            f"apologies {sum(APOLOGY in t for v in got.values() for t in v)}")


DRILLS = {"outage": outage, "flood": flood, "hostile": hostile, "diskfull": diskfull, "lock": lock}


def main() -> int:
    names = sys.argv[1:] or ["all"]
    for name in (DRILLS if names == ["all"] else names):
        print(asyncio.run(DRILLS[name]()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
