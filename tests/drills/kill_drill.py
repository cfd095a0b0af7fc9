"""Drill: `kill -9` of `exportbot serve` during bursts of questions, then restart; count lost and repeated answers.

One ``serve`` process runs Telegram (long polling, or its webhook with ``--telegram-webhook``) and the
WhatsApp webhook against local doubles of both APIs. Each round sends a burst of questions to both
channels, kills the process with SIGKILL once part of them is answered, and starts it again. Like Meta,
the drill posts again every WhatsApp delivery that did not get a 200, and like Telegram, every webhook
update that did not get one. At the end every question must be answered, at most once more per kill and
channel (the reply in flight at the moment of the kill), the database must pass ``PRAGMA
integrity_check`` and the bot's output must hold no traceback.

The suite runs a reduced form (tests/test_drills_inbox.py); the full drill (5 kills, bursts of 200):

    .venv/bin/python -m tests.drills.kill_drill --kills 5 --burst 200 [--telegram-webhook]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ..fakes import graph_api
from ..fakes.graph_api import FakeGraphAPI
from ..fakes.telegram_api import FakeBotAPI

ROOT = Path(__file__).resolve().parents[2]
TG_TOKEN, HOOK_SECRET = "777:DRILL", "drill-secret"
WA_TOKEN, PHONE_ID, APP_SECRET = "EAAdrill", "1234567890", "drill-app-secret"
QUESTION = "HS code for saddlery"
ANSWER = "HS code 4201"


@dataclass
class Result:
    kills: int = 0
    asked: dict[str, int] = field(default_factory=lambda: {"telegram": 0, "whatsapp": 0})
    lost: dict[str, int] = field(default_factory=lambda: {"telegram": 0, "whatsapp": 0})
    twice: dict[str, int] = field(default_factory=lambda: {"telegram": 0, "whatsapp": 0})
    integrity: str = ""
    tracebacks: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        return (f"kills={self.kills} asked={self.asked} lost={self.lost} twice={self.twice} "
                f"integrity={self.integrity} tracebacks={self.tracebacks} took={self.seconds:.1f}s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(db: Path, tg_chats: list[int], wa_users: list[str]) -> None:
    """Users who finished onboarding (English), so each question gets exactly one message back."""
    with sqlite3.connect(db) as con:
        now = time.time()
        con.executemany("INSERT INTO users (channel, chat_id, lang, step, blocked, first_seen, last_seen, "
                        "last_inbound_at) VALUES (?, ?, 'en', NULL, 0, ?, ?, ?)",
                        [("telegram", str(c), now, now, now) for c in tg_chats]
                        + [("whatsapp", u, now, now, now) for u in wa_users])


async def run(kills: int = 1, burst: int = 40, chats: int = 20, telegram_webhook: bool = False,
              workdir: Path | None = None) -> Result:
    started = time.monotonic()
    result = Result(kills=kills)
    tmp = Path(workdir or tempfile.mkdtemp(prefix="kill-drill-"))
    db = tmp / "drill.sqlite3"
    log_path = tmp / "serve.log"
    port = free_port()
    tg_chats = list(range(1001, 1001 + chats))
    wa_users = [f"9190000{n:05d}" for n in range(chats)]
    async with FakeBotAPI(token=TG_TOKEN, max_poll_timeout=0.5) as tg, \
            FakeGraphAPI(token=WA_TOKEN, phone_number_id=PHONE_ID) as wa:
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": TG_TOKEN, "TELEGRAM_API_BASE_URL": tg.base_url,
               "WHATSAPP_TOKEN": WA_TOKEN, "WHATSAPP_PHONE_NUMBER_ID": PHONE_ID,
               "WHATSAPP_APP_SECRET": APP_SECRET, "WHATSAPP_VERIFY_TOKEN": "v",
               "WHATSAPP_API_BASE_URL": wa.base_url, "EXPORTBOT_DB": str(db), "PORT": str(port),
               "PYTHONUNBUFFERED": "1"}
        if telegram_webhook:
            env.update(TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/webhook",
                       TELEGRAM_WEBHOOK_SECRET=HOOK_SECRET)
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "reminders", "status", cwd=ROOT,
                                                    env=env, stdout=asyncio.subprocess.DEVNULL,
                                                    stderr=asyncio.subprocess.DEVNULL)
        await proc.wait()                                     # creates and migrates the database
        seed(db, tg_chats, wa_users)
        http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5)
        unconfirmed: list[tuple[str, bytes]] = []            # webhook posts without a 200: delivered again

        async def start() -> asyncio.subprocess.Process:
            handle = open(log_path, "ab")
            process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "serve", cwd=ROOT, env=env,
                                                           stdout=handle, stderr=handle)
            handle.close()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        return process
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.05)
            raise RuntimeError("serve did not start")

        async def post(kind: str, body: bytes) -> None:
            if kind == "whatsapp":
                path, headers = "/whatsapp/webhook", {"X-Hub-Signature-256": graph_api.sign(body, APP_SECRET)}
            else:
                path, headers = "/telegram/webhook", {"X-Telegram-Bot-Api-Secret-Token": HOOK_SECRET}
            try:
                response = await http.post(path, content=body, headers=headers)
                if response.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            unconfirmed.append((kind, body))

        def answered() -> int:
            return (sum(1 for m in tg.sent if m.get("text", "").startswith(ANSWER))
                    + sum(1 for m in wa.sent if (m.get("body") or "").startswith(ANSWER)))

        proc = await start()
        asked_per_chat: dict[tuple[str, str], int] = {}
        for round_ in range(kills + 1):
            half = burst // 2
            for i in range(half):
                for key in (("telegram", str(tg_chats[i % chats])), ("whatsapp", wa_users[i % chats])):
                    asked_per_chat[key] = asked_per_chat.get(key, 0) + 1
                update = tg.make_message_update(tg_chats[i % chats], QUESTION)
                if telegram_webhook:
                    await post("telegram", json.dumps(update).encode())
                else:
                    tg.add_update(update)
                await post("whatsapp", graph_api.dumps(graph_api.text_message(wa_users[i % chats], QUESTION)))
            result.asked["telegram"] += half
            result.asked["whatsapp"] += half
            if round_ == kills:
                break
            target = answered() + burst // 3
            deadline = time.monotonic() + 30
            while answered() < target and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            os.kill(proc.pid, signal.SIGKILL)
            await proc.wait()
            proc = await start()
            again, unconfirmed[:] = list(unconfirmed), []
            for kind, body in again:
                await post(kind, body)
        total = sum(result.asked.values())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for kind, body in [u for u in unconfirmed]:
                unconfirmed.remove((kind, body))
                await post(kind, body)
            if answered() >= total and not unconfirmed:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)                              # anything more (a duplicate) would show by now
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 30)
        await http.aclose()
        per_chat: dict[tuple[str, str], int] = {}
        for m in tg.sent:
            if m.get("text", "").startswith(ANSWER):
                key = ("telegram", str(m["chat_id"]))
                per_chat[key] = per_chat.get(key, 0) + 1
        for m in wa.sent:
            if (m.get("body") or "").startswith(ANSWER):
                key = ("whatsapp", m["to"])
                per_chat[key] = per_chat.get(key, 0) + 1
        for key, n in asked_per_chat.items():
            got = per_chat.get(key, 0)
            result.lost[key[0]] += max(0, n - got)
            result.twice[key[0]] += max(0, got - n)
    with sqlite3.connect(db) as con:
        result.integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
    result.tracebacks = log_path.read_text(errors="replace").count("Traceback")
    result.seconds = time.monotonic() - started
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--telegram-webhook", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args.kills, args.burst, args.chats, args.telegram_webhook))
    print(result.line())
    ok = (not any(result.lost.values()) and all(v <= args.kills for v in result.twice.values())
          and result.integrity == "ok" and result.tracebacks == 0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
