"""The failure drills in reduced form: kill -9 during bursts, an unreadable update while polling, logs at DEBUG."""
from __future__ import annotations

import asyncio
import io
import logging

import httpx

from bot.channels.whatsapp.channel import WhatsAppChannel
from bot.channels.whatsapp.client import WhatsAppClient
from bot.logs import RedactSecrets, ScrubPersonalData, quiet_http_logs
from bot.serve import make_asgi, serve_async
from bot.services.runtime import Runtime
from bot.settings import Secret, Settings
from bot.store import Store

from .conftest import KNOWLEDGE
from .drills.kill_drill import run as kill_drill
from .fakes import graph_api
from .fakes.graph_api import FakeGraphAPI
from .fakes.telegram_api import FakeBotAPI

TOKEN = "888:LOGSCAN"
NAME, WORD = "Zorawarsentinel", "quokkasentinel"
TG_USER, PHONE = 734512986, "919812345678"


async def test_kill_9_during_bursts_loses_nothing_and_repeats_at_most_the_reply_in_flight(tmp_path):
    result = await kill_drill(kills=1, burst=40, chats=20, workdir=tmp_path)
    assert result.lost == {"telegram": 0, "whatsapp": 0}, result.line()
    assert all(n <= 1 for n in result.twice.values()), result.line()
    assert result.integrity == "ok" and result.tracebacks == 0, result.line()


class Capture:
    """Every log line of every logger at DEBUG, through the filters `exportbot serve` installs."""

    def __enter__(self) -> io.StringIO:
        self.out = io.StringIO()
        self.handler = logging.StreamHandler(self.out)
        self.handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.handler.addFilter(RedactSecrets([TOKEN]))
        self.handler.addFilter(ScrubPersonalData())
        root = logging.getLogger()
        self.level = root.level
        root.addHandler(self.handler)
        root.setLevel(logging.DEBUG)
        quiet_http_logs()
        return self.out

    def __exit__(self, *exc: object) -> None:
        root = logging.getLogger()
        root.removeHandler(self.handler)
        root.setLevel(self.level)


def assert_nothing_personal(text: str) -> None:
    for secret in (NAME, WORD, str(TG_USER), PHONE, TOKEN):
        assert secret not in text, f"{secret} appears in the log"


async def test_polling_skips_unreadable_updates_without_stalling_and_logs_nothing_personal(tmp_path):
    with Capture() as out:
        async with FakeBotAPI(token=TOKEN, max_poll_timeout=0.3) as fake:
            settings = Settings(knowledge_dir=KNOWLEDGE, db_path=tmp_path / "db.sqlite3",
                                telegram_token=Secret(TOKEN), telegram_api_base_url=fake.base_url)
            stop = asyncio.Event()
            task = asyncio.create_task(serve_async(settings, stop))
            fake.add_update({"poll": {"id": "5", "question": "q", "options": [], "total_voter_count": 0,
                                      "is_closed": False, "is_anonymous": True, "type": "regular",
                                      "allows_multiple_answers": False}})     # an older Bot API server's poll
            broken = fake.make_message_update(TG_USER, f"{WORD} saddlery", first_name=NAME)
            broken["message"]["from"]["id"] = [1]
            fake.add_update(broken)
            for n in range(5):
                fake.add_message(TG_USER + n, f"HS code for saddlery {WORD}", first_name=NAME)
            sent = await fake.wait_for_sent(5, timeout=10)
            await asyncio.sleep(0.5)
            stop.set()
            assert await asyncio.wait_for(task, 10) == 0
        assert sorted(m["chat_id"] for m in sent) == [TG_USER + n for n in range(5)]
        assert len(fake.calls("getUpdates")) < 30
        async with Store(tmp_path / "db.sqlite3") as store:
            assert await store.inbox_counts("telegram") == {"bad": 2, "done": 5}
    text = out.getvalue()
    assert "Traceback" not in text
    assert text.count("cannot be read") == 1 and text.count("malformed") == 1
    assert "update channel=telegram" in text
    assert_nothing_personal(text)


async def test_whatsapp_at_debug_logs_nothing_personal(tmp_path, dialogue):
    with Capture() as out:
        async with FakeGraphAPI(token="EAAx", phone_number_id="1234567890") as fake:
            settings = Settings(knowledge_dir=KNOWLEDGE, whatsapp_token=Secret("EAAx"),
                                whatsapp_phone_number_id="1234567890", whatsapp_app_secret=Secret("s"),
                                whatsapp_verify_token=Secret("v"), whatsapp_api_base_url=fake.base_url)
            async with Store(tmp_path / "wa.sqlite3") as store:
                client = WhatsAppClient(fake.base_url, "1234567890", "EAAx")
                channel = WhatsAppChannel(Runtime(KNOWLEDGE, store, dialogue), client)
                asgi = make_asgi(settings, None, channel)
                async with httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi), base_url="http://b") as http:
                    for text in (f"HS code for saddlery {WORD}", "/start", f"{WORD}"):
                        body = graph_api.dumps(graph_api.text_message(PHONE, text, name=NAME))
                        response = await http.post("/whatsapp/webhook", content=body,
                                                   headers={"X-Hub-Signature-256": graph_api.sign(body, "s")})
                        assert response.status_code == 200
                    await channel.process_pending()
                await client.aclose()
            assert len(fake.sent) >= 3
    text = out.getvalue()
    assert "update channel=whatsapp" in text and "Traceback" not in text
    assert_nothing_personal(text)
