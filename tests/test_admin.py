"""Pause, resume and cancel: one function behind the command line and the Telegram buttons."""
from __future__ import annotations

import asyncio

from bot.cli import main
from bot.core.campaigns import CampaignStatus, OutboxState
from bot.services.admin import change_campaign
from bot.store import Store

from .conftest import KNOWLEDGE


async def test_pause_resume_cancel_follow_the_campaigns_state(tmp_path):
    async with Store(tmp_path / "a.sqlite3") as store:
        waiting = await store.upsert_campaign("r1", "reminder", 1.0, CampaignStatus.SCHEDULED)
        assert await change_campaign(store, 999, "pause") == (False, None)
        ok, now = await change_campaign(store, waiting, "pause")
        assert ok and now.status == CampaignStatus.PAUSED
        ok, now = await change_campaign(store, waiting, "pause")
        assert not ok and now.status == CampaignStatus.PAUSED
        ok, now = await change_campaign(store, waiting, "resume")
        assert ok and now.status == CampaignStatus.SCHEDULED            # not queued yet: back to scheduled
        sending = await store.upsert_campaign("b1", "broadcast", 1.0, CampaignStatus.ACTIVE)
        await store.queue(sending, [("telegram", "1", "en", OutboxState.QUEUED)])
        await change_campaign(store, sending, "pause")
        ok, now = await change_campaign(store, sending, "resume")
        assert ok and now.status == CampaignStatus.ACTIVE               # queued already: sending again
        ok, now = await change_campaign(store, sending, "cancel")
        assert ok and now.status == CampaignStatus.CANCELLED
        assert await store.outbox_counts(sending) == {"cancelled": 1}
        ok, now = await change_campaign(store, sending, "resume")
        assert not ok and now.status == CampaignStatus.CANCELLED


def test_the_command_line_pauses_resumes_and_cancels(tmp_path, capsys, monkeypatch):
    for name in ("TELEGRAM_BOT_TOKEN", "WHATSAPP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    db = tmp_path / "cli.sqlite3"

    async def create() -> int:
        async with Store(db) as store:
            return await store.upsert_campaign("r1", "reminder", 1.0, CampaignStatus.SCHEDULED)

    campaign = asyncio.run(create())
    base = ["--knowledge", str(KNOWLEDGE), "--db", str(db), "reminders"]
    assert main([*base, "pause", str(campaign)]) == 0
    assert main([*base, "pause", str(campaign)]) == 1
    assert main([*base, "resume", str(campaign)]) == 0
    assert main([*base, "cancel", str(campaign)]) == 0
    assert main([*base, "cancel", "999"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"#{campaign}: paused", f"#{campaign} is paused; nothing changed", f"#{campaign}: scheduled",
        f"#{campaign}: cancelled", "no reminder or broadcast #999"]
