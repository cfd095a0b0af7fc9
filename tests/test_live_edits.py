"""Live edits: the running bot takes a valid edit within seconds on every channel; a broken one never goes live."""
from __future__ import annotations

import asyncio
import shutil
import socket
from pathlib import Path

import httpx

from bot.cli import main as cli_main
from bot.serve import serve_async, status_path
from bot.services.runtime import Runtime
from bot.services.watcher import KnowledgeWatcher
from bot.settings import Secret, Settings
from bot.store import Store

from .conftest import KNOWLEDGE
from .fakes import graph_api
from .fakes.graph_api import FakeGraphAPI
from .fakes.telegram_api import FakeBotAPI

TOKEN, ADMIN, USER = "777:live-token", 900, 31
WA_TOKEN, PHONE_ID, SECRET, VERIFY = "EAAlive", "555000111", "app-secret", "verify"
WA_USER = "919800000001"
QUESTION = "kya mujhe export ke liye godown chahiye"
ALIAS_AFTER = "        - export kaise shuru kare\n"


def add_alias(knowledge: Path) -> None:
    faq = knowledge / "faq.yaml"
    text = faq.read_text(encoding="utf-8")
    assert text.count(ALIAS_AFTER) == 1
    faq.write_text(text.replace(ALIAS_AFTER, ALIAS_AFTER + f"        - {QUESTION}\n"), encoding="utf-8")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def until(predicate, timeout: float = 8.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_edits_go_live_on_both_channels_and_broken_ones_do_not(tmp_path):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    port = free_port()
    async with FakeBotAPI(token=TOKEN) as tg, FakeGraphAPI(token=WA_TOKEN, phone_number_id=PHONE_ID) as wa:
        settings = Settings(knowledge_dir=knowledge, db_path=tmp_path / "db.sqlite3", telegram_token=Secret(TOKEN),
                            telegram_api_base_url=tg.base_url, admin_telegram_ids=frozenset({ADMIN}),
                            whatsapp_token=Secret(WA_TOKEN), whatsapp_phone_number_id=PHONE_ID,
                            whatsapp_app_secret=Secret(SECRET), whatsapp_verify_token=Secret(VERIFY),
                            whatsapp_api_base_url=wa.base_url, port=port, watch_interval=0.05)
        stop = asyncio.Event()
        task = asyncio.create_task(serve_async(settings, stop))
        http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}")

        async def ask_both() -> tuple[str, str]:
            tg_before, wa_before = len(tg.sent_to(USER)), len(wa.sent)
            tg.add_message(USER, QUESTION)
            await tg.wait_for_sent(tg_before + 1, chat_id=USER)
            body = graph_api.dumps(graph_api.text_message(WA_USER, QUESTION))
            for _ in range(100):                       # the web server may still be starting
                try:
                    await http.post("/whatsapp/webhook", content=body, headers={
                        "Content-Type": "application/json", "X-Hub-Signature-256": graph_api.sign(body, SECRET)})
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)

            async def answered() -> bool:
                return len(wa.sent) > wa_before
            await until(answered)
            wa_reply = wa.sent[wa_before]
            return tg.sent_to(USER)[-1]["text"], str(wa_reply.get("body") or wa_reply)

        try:
            before_tg, before_wa = await ask_both()
            assert "Start exporting" not in before_tg and "step by step" not in before_tg
            add_alias(knowledge)                       # a clerk's edit; nobody sends /reload

            async def live() -> bool:
                return "reloaded" in (tg.sent_to(ADMIN)[-1]["text"] if tg.sent_to(ADMIN) else "")
            await until(live)
            after_tg, after_wa = await ask_both()
            assert after_tg.startswith("How to start exporting: step by step")
            assert "How to start exporting" in after_wa

            faq = knowledge / "faq.yaml"
            faq.write_text(faq.read_text(encoding="utf-8").replace("  - id: how-to-start-exporting",
                                                                   "  - id: How To Start", 1), encoding="utf-8")

            async def refused() -> bool:
                return tg.sent_to(ADMIN)[-1]["text"].startswith("Reload refused (files changed)")
            await until(refused)
            problem = tg.sent_to(ADMIN)[-1]["text"]
            assert "faq.yaml:" in problem and "may hold only small letters, digits and hyphens" in problem
            still_tg, _ = await ask_both()
            assert still_tg.startswith("How to start exporting: step by step")      # the old one keeps serving

            # `exportbot kb status` and `kb reload` speak to the running bot
            assert "faq.yaml:" in status_path(settings).read_text(encoding="utf-8")
            code = await asyncio.to_thread(cli_main, ["--knowledge", str(knowledge), "--db", str(settings.db_path),
                                                      "kb", "reload", "--wait", "8"])
            assert code == 1                             # still broken: refused again, told again

            async def told_again() -> bool:              # the message may follow the status file by a moment
                return tg.sent_to(ADMIN)[-1]["text"].startswith("Reload refused (reload requested)")
            await until(told_again)
        finally:
            stop.set()
            await http.aclose()
            assert await asyncio.wait_for(task, 10) == 0


async def test_start_on_last_good_copy_is_announced(tmp_path, caplog):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    snapshot = tmp_path / "knowledge.last-good"
    shutil.copytree(KNOWLEDGE, snapshot)
    (knowledge / "schemes.yaml").write_text("schemes:\n  - id: [broken\n", encoding="utf-8")
    async with FakeBotAPI(token=TOKEN) as tg:
        settings = Settings(knowledge_dir=knowledge, db_path=tmp_path / "db.sqlite3", telegram_token=Secret(TOKEN),
                            telegram_api_base_url=tg.base_url, admin_telegram_ids=frozenset({ADMIN}))
        stop = asyncio.Event()
        task = asyncio.create_task(serve_async(settings, stop))
        (warning,) = await tg.wait_for_sent(1, chat_id=ADMIN)
        stop.set()
        assert await asyncio.wait_for(task, 10) == 0
    assert warning["text"].startswith("⚠ The bot STARTED ON THE LAST GOOD COPY")
    assert "schemes.yaml:" in warning["text"]
    assert "STARTED ON THE LAST GOOD COPY" in caplog.text


async def test_a_reload_during_a_burst_of_questions_never_mixes_answers(tmp_path, dialogue):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    store = await Store(":memory:").open()
    runtime = Runtime(knowledge, store, dialogue)
    from bot.core.dialogue import Incoming

    old = dialogue.handle(__import__("bot.core.dialogue", fromlist=["UserState"]).UserState(lang="en"),
                          Incoming("text", QUESTION)).replies[0].text
    add_alias(knowledge)
    seen: list[str] = []
    reloading = asyncio.create_task(KnowledgeWatcher(runtime).reload("test"))

    async def one(i: int) -> None:
        replies = await runtime.conversation("terminal").handle(f"u{i}", Incoming("text", QUESTION), lang_hint="en")
        seen.append(replies[0].text)

    while not reloading.done():
        await asyncio.gather(*(one(i) for i in range(5)))
        await asyncio.sleep(0)
    assert await reloading == []
    await one(99)
    new = seen[-1]
    assert new != old and new.startswith("How to start exporting")
    assert set(seen) <= {old, new}
    await store.close()


def test_a_reload_lets_go_of_the_old_knowledge_base_even_in_a_cycle():
    """settle_heap keeps what is loaded out of the collector's full passes (frozen) but unfreezes and collects
    first, so a knowledge base replaced by a reload is freed even when its objects refer to each other."""
    import gc
    import weakref

    from bot.services.runtime import settle_heap

    class Old:
        pass

    old = Old()
    old.me = old                       # a reference cycle: only the collector can free it
    gone = weakref.ref(old)
    try:
        settle_heap()
        assert gc.get_freeze_count() > 0
        del old
        gc.collect()
        assert gone() is not None      # frozen: a full pass does not walk it
        settle_heap()                  # what a reload does after swapping the knowledge base in
        assert gone() is None
    finally:
        gc.unfreeze()
