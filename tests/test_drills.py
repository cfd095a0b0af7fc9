"""Failure drills: kill -9 in the middle of a broadcast, then restart."""
from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys

from .conftest import ROOT
from .fakes.telegram_api import FakeBotAPI

TOKEN = "999:DRILL"


async def run_cli(env: dict, *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", *args, cwd=ROOT, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, out.decode()


async def test_kill_9_mid_broadcast_then_restart_finishes_without_duplicates(tmp_path):
    db = tmp_path / "drill.sqlite3"
    text = tmp_path / "message.txt"
    text.write_text("UP International Trade Show: registration is open.", encoding="utf-8")
    async with FakeBotAPI(token=TOKEN) as fake:
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": fake.base_url,
               "EXPORTBOT_DB": str(db), "TELEGRAM_RATE": "20", "PYTHONUNBUFFERED": "1"}
        code, out = await run_cli(env, "reminders", "status")       # opens (and migrates) the database
        assert code == 0, out
        with sqlite3.connect(db) as con:
            con.executemany("INSERT INTO users (channel, chat_id, lang, subscription, blocked, first_seen, last_seen) "
                            "VALUES ('telegram', ?, 'en', 'all', 0, 0, 0)", [(str(i),) for i in range(1, 61)])
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "broadcast", "--segment", "all", "--text-file", str(text), "--yes",
            cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        await fake.wait_for_sent(15, timeout=30)
        os.kill(proc.pid, signal.SIGKILL)
        await proc.wait()
        before = len(fake.sent)
        assert 15 <= before < 60
        code, out = await run_cli(env, "reminders", "run", "--at", "2027-01-05T10:00+05:30")
        assert code == 0, out
        received = [m["chat_id"] for m in fake.sent]
        assert len(received) == len(set(received)), "somebody got the broadcast twice"
        with sqlite3.connect(db) as con:
            states = dict(con.execute("SELECT chat_id, state FROM outbox").fetchall())
        missing = {str(i) for i in range(1, 61)} - {str(c) for c in received}
        assert all(states[c] == "uncertain" for c in missing), "a recipient was silently dropped"
        assert set(states.values()) <= {"sent", "uncertain"}
        if missing:
            assert "marked 'uncertain' and not resent" in out
        code, status = await run_cli(env, "reminders", "status")
        assert "broadcast to all" in status and "sent" in status
