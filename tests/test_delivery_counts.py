"""One count of a campaign's delivery: the broadcast report, `reminders run` and `reminders status` agree."""
from __future__ import annotations

import asyncio

from bot.cli import main as cli_main
from bot.core.dialogue import UserState
from bot.store import Store

from .conftest import KNOWLEDGE
from .fakes.telegram_api import FakeBotAPI

TOKEN = "123456:counts"


def tallies(out: str) -> dict[int, str]:
    """Campaign number -> its counts, from lines like '#3 done <label>: sent 2 · failed 0 · ...'."""
    return {int(line[1:].split()[0]): line.rsplit(": ", 1)[1] for line in out.splitlines() if line.startswith("#")}


async def test_broadcast_report_reminders_run_and_status_show_the_same_counts(tmp_path, monkeypatch, capsys):
    db = tmp_path / "counts.sqlite3"
    async with Store(db) as store:
        for chat, lang in (("1", "en"), ("2", "hi"), ("3", "en")):
            await store.save_user("telegram", chat, UserState(lang=lang, district="hathras", subscription="all"))
        await store.save_user("whatsapp", "919800000001", UserState(lang="en", district="hathras", subscription="all"))
    text = tmp_path / "news.txt"
    text.write_text("Registration for the trade show is open.", encoding="utf-8")
    base = ["--knowledge", str(KNOWLEDGE), "--db", str(db)]
    async with FakeBotAPI(token=TOKEN) as fake:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)                 # Telegram only: no WhatsApp here
        monkeypatch.setenv("TELEGRAM_API_BASE_URL", fake.base_url)
        monkeypatch.delenv("WHATSAPP_TOKEN", raising=False)
        fake.fail_next("sendMessage", chat_id=3, code=403, description="Forbidden: bot was blocked by the user")
        code = await asyncio.to_thread(cli_main, base + ["broadcast", "--text-file", str(text), "--yes"])
        assert code == 0
        report = capsys.readouterr().out.split("Broadcast #1 delivery report: ")[1].strip()
        assert report == "sent 2 · failed 0 · skipped 2 (blocked 1, no channel 1) · uncertain 0 · left 0"
        code = await asyncio.to_thread(cli_main, base + ["reminders", "run", "--at", "2027-01-08T10:00+05:30"])
        assert code == 0
        run = tallies(capsys.readouterr().out)
        code = await asyncio.to_thread(cli_main, base + ["reminders", "status"])
        status = tallies(capsys.readouterr().out)
    assert status[1] == report
    assert run and all(status[number] == counts for number, counts in run.items())
    assert all("skipped" in counts and counts.endswith("left 0") for counts in run.values())
    async with Store(db) as store:
        assert {c.status for c in await store.campaigns() if c.queued_at is not None} == {"done"}
