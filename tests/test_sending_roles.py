"""Who sends reminders and broadcasts: one process at a time; a separate sender; a worker that takes over.

On one SQLite file (the lock file beside it); tests/test_workers_pg.py does the same across processes on
PostgreSQL (an advisory lock), with a kill -9.
"""
from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest

from bot.core.campaigns import CampaignStatus, OutboxState
from bot.core.dialogue import UserState
from bot.serve import serve_async
from bot.settings import Secret, Settings, url_password
from bot.store import Store

from .conftest import KNOWLEDGE
from .fakes.telegram_api import FakeBotAPI
from .pgserver import free_port

TOKEN, SECRET = "321:ROLES", "roles-secret"
TEXT = "Buyer-seller meet on Friday at the DIC office."
USERS = [str(n) for n in range(701, 706)]


def settings_for(tmp_path, fake: FakeBotAPI, port: int) -> Settings:
    return Settings(knowledge_dir=KNOWLEDGE, db_path=tmp_path / "bot.sqlite3", telegram_token=Secret(TOKEN),
                    telegram_api_base_url=fake.base_url, port=port, scheduler_interval=0.2,
                    telegram_webhook_url=f"http://127.0.0.1:{port}/telegram/webhook",
                    telegram_webhook_secret=Secret(SECRET))


async def queue_broadcast(tmp_path) -> int:
    """What a confirmed `exportbot broadcast` leaves in the database: an active campaign with its rows."""
    async with Store(tmp_path / "bot.sqlite3") as store:
        for user in USERS:
            await store.save_user("telegram", user, UserState(lang="en", subscription="all"))
        cid = await store.upsert_campaign(f"broadcast:{time.time()}", "broadcast", time.time(), CampaignStatus.ACTIVE,
                                          segment="all", text_en=TEXT, text_hi=TEXT, created_by="test")
        await store.queue(cid, [("telegram", u, "en", OutboxState.QUEUED) for u in USERS])
        return cid


async def healthy(port: int) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        for _ in range(400):
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.025)
    raise AssertionError(f"nothing answers on port {port}")


def broadcast_to(fake: FakeBotAPI) -> list[str]:
    return sorted(str(m["chat_id"]) for m in fake.sent if m["text"] == TEXT)


async def test_a_web_worker_with_no_send_answers_and_the_separate_sender_sends(tmp_path):
    async with FakeBotAPI(token=TOKEN) as fake:
        web_port = free_port()
        web = settings_for(tmp_path, fake, web_port)
        stop = asyncio.Event()
        web_task = asyncio.create_task(serve_async(web, stop, send="never"))
        await healthy(web_port)
        async with Store(tmp_path / "bot.sqlite3") as other:
            assert await other.try_sender_lock()          # the web worker does not hold the sender lock
            await other.release_sender_lock()
        sender_port = free_port()
        sender_task = asyncio.create_task(serve_async(settings_for(tmp_path, fake, sender_port), stop, send="only"))
        await queue_broadcast(tmp_path)
        update = fake.make_message_update(int(USERS[0]), "ODOP product of Agra")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{web_port}") as client:
            response = await client.post("/telegram/webhook", content=json.dumps(update),
                                         headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
            assert response.status_code == 200
        for _ in range(200):
            if len(broadcast_to(fake)) == len(USERS) and any(m["text"].startswith("Agra: ODOP") for m in fake.sent):
                break
            await asyncio.sleep(0.05)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{sender_port}") as client:
            try:
                await client.get("/healthz")
                served = True
            except httpx.HTTPError:
                served = False
        stop.set()
        assert await asyncio.wait_for(web_task, 15) == 0
        assert await asyncio.wait_for(sender_task, 15) == 0
    assert broadcast_to(fake) == USERS                     # sent once each, by the sender
    assert [m["text"].split(":")[0] for m in fake.sent if m["chat_id"] == int(USERS[0]) and m["text"] != TEXT] == \
        ["Agra"]                                           # the question, answered once, by the web worker
    assert not served                                      # the sender serves no webhooks
    methods = [c["method"] for c in fake.call_log]
    assert methods.count("setWebhook") == 1 and "deleteWebhook" not in methods   # only the web worker sets it


async def test_when_the_sending_worker_stops_the_other_takes_over(tmp_path):
    async with FakeBotAPI(token=TOKEN) as fake:
        ports = [free_port(), free_port()]
        stops = [asyncio.Event(), asyncio.Event()]
        first = asyncio.create_task(serve_async(settings_for(tmp_path, fake, ports[0]), stops[0]))
        await healthy(ports[0])
        second = asyncio.create_task(serve_async(settings_for(tmp_path, fake, ports[1]), stops[1]))
        await healthy(ports[1])
        stops[0].set()                                     # the sender is restarted (a deploy): it stops first
        assert await asyncio.wait_for(first, 15) == 0
        await queue_broadcast(tmp_path)
        for _ in range(200):
            if len(broadcast_to(fake)) == len(USERS):
                break
            await asyncio.sleep(0.05)
        stops[1].set()
        assert await asyncio.wait_for(second, 15) == 0
    assert broadcast_to(fake) == USERS
    async with Store(tmp_path / "bot.sqlite3") as store:
        assert await store.outbox_counts() == {"sent": len(USERS)}


def test_serve_takes_no_send_or_send_only_not_both(capsys):
    from bot.cli import build_parser

    assert build_parser().parse_args(["serve", "--no-send"]).no_send
    assert build_parser().parse_args(["serve", "--send-only"]).send_only
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--no-send", "--send-only"])
    assert "not allowed with argument" in capsys.readouterr().err


def test_database_url_names_the_store():
    env = {"EXPORTBOT_DB": "data/old.sqlite3"}
    assert Settings.from_env(env, dotenv=None).db_path == Path("data/old.sqlite3")        # unset: EXPORTBOT_DB
    lite = Settings.from_env({**env, "DATABASE_URL": "sqlite:///var/bot.sqlite3"}, dotenv=None)
    assert (lite.db_path, lite.database_url, lite.database_name) == (Path("var/bot.sqlite3"), "",
                                                                     "SQLite var/bot.sqlite3")
    assert Settings.from_env({"DATABASE_URL": "sqlite:////srv/bot.sqlite3"}, dotenv=None).db_path == \
        Path("/srv/bot.sqlite3")
    pg = Settings.from_env({**env, "DATABASE_URL": "postgresql://bot:pw@db.internal:6432/exportbot"}, dotenv=None)
    assert pg.database_url == "postgresql://bot:pw@db.internal:6432/exportbot"
    assert pg.database_name == "PostgreSQL db.internal:6432/exportbot" and "pw" not in repr(pg)
    assert url_password(pg.database_url) == "pw"
    assert pg.with_database("other.sqlite3").database_url == ""
    with pytest.raises(SystemExit, match="DATABASE_URL must be sqlite:///path or postgresql://"):
        Settings.from_env({"DATABASE_URL": "mysql://root@localhost/bot"}, dotenv=None)
    assert Settings.from_env({"SCHEDULER_SECONDS": "0.5"}, dotenv=None).scheduler_interval == 0.5
    with pytest.raises(SystemExit, match="SCHEDULER_SECONDS must be a number of seconds above 0"):
        Settings.from_env({"SCHEDULER_SECONDS": "soon"}, dotenv=None)
