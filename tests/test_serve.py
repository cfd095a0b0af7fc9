"""`exportbot serve`: long polling against the Bot API double, webhooks with a secret, safe logs."""
from __future__ import annotations

import asyncio
import logging
import re

import httpx

from bot.logs import RedactSecrets
from bot.services.conversation import anonymise
from bot.services.runtime import Runtime
from bot.serve import make_asgi, serve_async
from bot.settings import Secret, Settings
from bot.store import Store
from bot.channels.telegram.app import build_application
from bot.channels.telegram.inbox import TelegramInbox

from .conftest import KNOWLEDGE
from .fakes.telegram_api import FakeBotAPI

TOKEN = "555:SECRET-token-value"


async def test_polling_answers_and_registers_commands(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    async with FakeBotAPI(token=TOKEN) as fake:
        settings = Settings(knowledge_dir=KNOWLEDGE, db_path=tmp_path / "db.sqlite3", telegram_token=Secret(TOKEN),
                            telegram_api_base_url=fake.base_url)
        stop = asyncio.Event()
        task = asyncio.create_task(serve_async(settings, stop))
        fake.add_message(31, "/start")
        fake.add_message(31, "HS code for saddlery")
        sent = await fake.wait_for_sent(2, timeout=10)
        stop.set()
        assert await asyncio.wait_for(task, 10) == 0
    assert sent[0]["text"].startswith("Namaste!")
    assert sent[1]["text"].startswith("HS code 4201: ")
    assert set(fake.commands) == {"", "hi"}            # the command list, in English and in Hindi
    english, hindi = ([c["command"] for c in fake.commands[lang]["commands"]] for lang in ("", "hi"))
    assert english == hindi and "start" in english
    assert TOKEN not in caplog.text
    users = re.findall(r"update channel=telegram user=(\S+)", caplog.text)
    assert users == [anonymise("telegram", "31")] * 2      # one line per update, never the raw chat id


async def test_webhook_checks_the_secret_header(tmp_path, dialogue):
    store = await Store(tmp_path / "db.sqlite3").open()
    settings = Settings(knowledge_dir=KNOWLEDGE, telegram_token=Secret(TOKEN),
                        telegram_webhook_url="https://bot.example/telegram/hook",
                        telegram_webhook_secret=Secret("s3cret"))
    app = build_application(settings, Runtime(KNOWLEDGE, store, dialogue), updater=False)
    asgi = make_asgi(settings, TelegramInbox(app, store))
    update = {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"},
                                          "from": {"id": 5, "is_bot": False, "first_name": "Ram"}, "text": "hi"}}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi), base_url="http://test") as client:
        wrong = await client.post("/telegram/hook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"})
        missing = await client.post("/telegram/hook", json=update)
        assert (wrong.status_code, missing.status_code) == (403, 403)
        assert await store.inbox_counts("telegram") == {}
        right = await client.post("/telegram/hook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"})
        assert right.status_code == 200
        assert await store.inbox_counts("telegram") == {"pending": 1}      # stored before the 200
        assert (await client.get("/healthz")).text == "ok"
    await store.close()


def test_log_filter_redacts_secrets():
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "POST https://api/bot%s/getMe", (TOKEN,), None)
    RedactSecrets([TOKEN]).filter(record)
    assert record.getMessage() == "POST https://api/bot[redacted]/getMe"


def test_secret_hidden_in_repr():
    settings = Settings(telegram_token=Secret(TOKEN))
    assert TOKEN not in repr(settings)


def test_log_filter_redacts_tracebacks():
    try:
        raise RuntimeError(f"GET https://api/bot{TOKEN}/getMe failed")
    except RuntimeError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", (), sys.exc_info())
    RedactSecrets([TOKEN]).filter(record)
    assert TOKEN not in record.exc_text and "[redacted]" in record.exc_text


def test_a_broken_knowledge_base_at_start_up_falls_back_to_the_last_good_copy(tmp_path, caplog):
    import shutil

    from bot.services.runtime import Runtime

    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    snapshot = tmp_path / "data" / "knowledge.last-good"
    first = Runtime.create(knowledge, store=None, snapshot=snapshot)
    assert (snapshot / "schemes.yaml").read_text(encoding="utf-8") == (knowledge / "schemes.yaml").read_text(encoding="utf-8")
    schemes = knowledge / "schemes.yaml"
    schemes.write_text(schemes.read_text(encoding="utf-8").replace("  category: upepb", "  categry: upepb", 1),
                       encoding="utf-8")
    caplog.set_level(logging.ERROR)
    second = Runtime.create(knowledge, store=None, snapshot=snapshot)      # the bot still starts
    assert "field 'categry' is not known (did you mean 'category'?)" in caplog.text
    assert "serving the last good knowledge base" in caplog.text
    assert second.engine.ask("gateway port scheme").matched
    assert len(second.kb.entries) == len(first.kb.entries)
