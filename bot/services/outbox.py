"""Reminders and admin broadcasts through the durable outbox.

Flow: campaigns are derived from the calendar (``plan``) and become due;
a due campaign gets one outbox row per recipient (unique, so never twice);
``deliver`` sends queued rows through each channel's sender, paced within the
platform's limits, marking each row ``sending`` before and ``sent`` /
``failed`` / ``skipped_blocked`` / ``skipped_window_closed`` / ``skipped_stopped`` after
(``skipped_no_channel`` for a channel this process cannot send on); a campaign with
nothing left to send becomes ``done``. Rows left in ``sending`` by a crash are marked
``uncertain`` at start-up and reported to admins instead of being resent.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Awaitable, Callable, Protocol

from ..core.campaigns import Campaign, CampaignStatus, OutboxRow, OutboxState, Tally
from ..core.dialogue import format_date
from ..core.entities import KnowledgeBase
from ..core.events import IST, Occurrence, find_occurrence
from ..core.reminders import (Due, ReminderSettings, due_now, in_quiet_hours, in_segment, per_channel, reminder_text,
                              reminders_between, wants)
from .pacer import Pacer

if TYPE_CHECKING:
    from ..store import Store

log = logging.getLogger("exportbot.broadcast")
PLAN_AHEAD = timedelta(days=30)       # reminders become visible (and pausable) this long before they are due
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class SendResult:
    status: str                        # sent | blocked | retry | window_closed | failed | uncertain
    message_id: str | None = None
    retry_after: float = 0.0
    error: str | None = None


class Sender(Protocol):
    channel: str

    async def send(self, chat_id: str, text: str, lang: str, kind: str, params: list[str]) -> SendResult: ...


@dataclass
class Report:
    """What one delivery run did (for tests and logs). Reports shown to people use the store's tally
    (``Store.tally``) instead, so a broadcast's report, ``reminders run`` and ``reminders status`` agree."""

    sent: int = 0
    failed: int = 0
    blocked: int = 0
    window_closed: int = 0
    uncertain: int = 0
    stopped: int = 0
    no_channel: int = 0
    left: int = 0
    campaigns: set[int] = field(default_factory=set)      # the campaigns this run sent, skipped or finished


class Broadcaster:
    def __init__(self, store: Store, kb: Callable[[], KnowledgeBase], senders: dict[str, Sender],
                 pacers: dict[str, Pacer], settings: ReminderSettings | None = None,
                 concurrency: int = 8):
        self.store = store
        self.concurrency = concurrency
        self.stopping = asyncio.Event()      # set at shutdown: rows not yet started stay queued
        self.kb = kb
        self.senders = senders
        self.pacers = pacers
        self.settings = settings or ReminderSettings()
        self._lock = asyncio.Lock()

    # ------------------------------------------------------------ campaigns

    async def plan(self, now: datetime) -> int:
        """Create campaign rows for reminders due from a few days ago to PLAN_AHEAD from now."""
        created = 0
        for due in reminders_between(self.kb().events, now - timedelta(days=3), now + PLAN_AHEAD, self.settings):
            await self._campaign_for(due)
            created += 1
        return created

    async def _campaign_for(self, due: Due) -> int:
        return await self.store.upsert_campaign(
            due.key, "reminder", due.due_at.timestamp(), CampaignStatus.SCHEDULED, event_id=due.event.id,
            occurrence=due.occurrence.start.isoformat(), offset_kind=due.kind)

    async def queue_due(self, now: datetime) -> dict[int, int]:
        """Give every due reminder its outbox rows (once); returns campaign id -> rows added."""
        added: dict[int, int] = {}
        due_list = due_now(self.kb().events, now, self.settings)
        if not due_list:
            return added
        subscribers = await self.store.subscribers()
        for due in due_list:
            campaign_id = await self._campaign_for(due)
            campaign = await self.store.campaign(campaign_id)
            assert campaign is not None
            if campaign.status in (CampaignStatus.PAUSED, CampaignStatus.CANCELLED) or campaign.queued_at is not None:
                continue
            await self.store.set_campaign_status(campaign_id, CampaignStatus.ACTIVE,
                                                 only_from=(CampaignStatus.SCHEDULED,))
            rows = [(s.channel, s.chat_id, s.lang, OutboxState.SKIPPED_BLOCKED if s.blocked else OutboxState.QUEUED)
                    for s in subscribers if wants(s, due.event)]
            added[campaign_id] = await self.store.queue(campaign_id, rows)
            log.info("reminder %s: %d recipients queued", due.key, len(rows))
        return added

    async def create_broadcast(self, text: str, segment: str, created_by: str, now: datetime,
                               text_hi: str | None = None) -> tuple[int, dict[str, int]]:
        """A draft broadcast and how many subscribers per channel it would reach (Hindi users get ``text_hi``
        when given, else the same text)."""
        counts = await self.recipients(segment)
        key = f"broadcast:{now.timestamp():.6f}:{created_by}"
        campaign_id = await self.store.upsert_campaign(key, "broadcast", now.timestamp(), CampaignStatus.DRAFT,
                                                       segment=segment, text_en=text, text_hi=text_hi or text,
                                                       created_by=created_by)
        return campaign_id, counts

    async def recipients(self, segment: str) -> dict[str, int]:
        """How many subscribers per channel a segment reaches now."""
        return per_channel(await self.store.subscribers(), lambda s: in_segment(s, segment))

    async def confirm_broadcast(self, campaign_id: int) -> int:
        campaign = await self.store.campaign(campaign_id)
        if campaign is None or campaign.kind != "broadcast" or campaign.status != CampaignStatus.DRAFT:
            return 0
        rows = [(s.channel, s.chat_id, s.lang, OutboxState.SKIPPED_BLOCKED if s.blocked else OutboxState.QUEUED)
                for s in await self.store.subscribers() if in_segment(s, campaign.segment)]
        await self.store.set_campaign_status(campaign_id, CampaignStatus.ACTIVE, only_from=(CampaignStatus.DRAFT,))
        return await self.store.queue(campaign_id, rows)

    # ------------------------------------------------------------ sending

    def _text(self, campaign: Campaign, lang: str) -> tuple[str, list[str]]:
        custom = campaign.text_hi if lang == "hi" else campaign.text_en
        occurrence = self._occurrence(campaign)
        params = [occurrence.event.title.get(lang), format_date(occurrence.start, lang)] if occurrence else []
        if custom:
            # A broadcast's template takes its text as one parameter, which may not hold line breaks.
            return custom, params or [" ".join(custom.split())[:1000]]
        if occurrence is None:
            raise LookupError(f"event {campaign['event_id']} on {campaign['occurrence']} is no longer in the calendar")
        due = Due(campaign.key, occurrence, campaign.offset_kind,
                  datetime.fromtimestamp(campaign.due_at, IST))
        return reminder_text(due, lang, format_date), params

    def _occurrence(self, campaign: Campaign) -> Occurrence | None:
        if not campaign.event_id or not campaign.occurrence:
            return None
        return find_occurrence(self.kb().events, campaign.event_id, date.fromisoformat(campaign.occurrence))

    async def deliver(self, progress: Callable[[Tally], Awaitable[None]] | None = None,
                      campaign_id: int | None = None, now: datetime | None = None) -> Report:
        """Send every queued row of active campaigns, all channels at once, each at its own pace.

        Rows for a channel this process has no sender for are skipped (``skipped_no_channel``) when it
        has at least one: with Telegram only, WhatsApp rows would otherwise wait forever. A campaign
        with nothing left to send is marked done. Reminders are held back in quiet hours (a run resumed
        at night finishes in the morning); an admin's broadcast goes when the admin confirms it.
        ``progress`` gets the store's tally of the campaign (or of all) once a second and at the end."""
        async with self._lock:
            report = Report()
            if self.senders:
                skipped = await self.store.skip_no_channel(self.senders, campaign_id)
                report.campaigns |= set(skipped)
                report.no_channel = sum(skipped.values())
                if skipped:
                    log.info("%d message(s) for channels not configured here skipped", report.no_channel)
            tasks = [asyncio.create_task(self._deliver_channel(ch, sender, report, campaign_id, now))
                     for ch, sender in self.senders.items()]
            ticker = asyncio.create_task(self._tick(progress, campaign_id)) if progress else None
            try:
                await asyncio.gather(*tasks)
            finally:
                if ticker is not None:
                    ticker.cancel()
            report.campaigns |= set(await self.store.finish_campaigns(campaign_id))
            tally = await self.store.tally(campaign_id)
            report.left = tally.left
            if progress:
                await progress(tally)
            return report

    async def _tick(self, progress: Callable[[Tally], Awaitable[None]], campaign_id: int | None) -> None:
        """Progress once a second while sending."""
        while True:
            await asyncio.sleep(1.0)
            await progress(await self.store.tally(campaign_id))

    async def _deliver_channel(self, channel: str, sender: Sender, report: Report, campaign_id: int | None,
                               now: datetime | None) -> None:
        """Several sends in flight (a real network has latency), all through the channel's one pacer."""
        pacer = self.pacers[channel]
        work: asyncio.Queue[OutboxRow | None] = asyncio.Queue()

        async def worker() -> None:
            while (row := await work.get()) is not None:
                try:
                    if self.stopping.is_set():
                        continue                       # shutting down: leave it queued for the next start
                    # Read the campaign for every row: a pause or cancel by an admin takes effect at once.
                    campaign = await self.store.campaign(row.campaign_id)
                    report.campaigns.add(row.campaign_id)
                    if campaign is not None and campaign.status == CampaignStatus.ACTIVE:
                        text, params = self._text(campaign, row.lang)
                        await self._send_row(sender, pacer, row, text, params, campaign, report)
                except Exception as exc:  # noqa: BLE001 - one bad row must not stall the others
                    log.exception("outbox row %s could not be sent", row.id)
                    try:
                        await self.store.outbox_mark(row.id, OutboxState.FAILED, error=f"{type(exc).__name__}: {exc}")
                        report.failed += 1
                    except Exception:  # noqa: BLE001 - the worker itself must live on
                        log.exception("could not record the failure of outbox row %s", row.id)
                finally:
                    work.task_done()

        workers = [asyncio.create_task(worker()) for _ in range(self.concurrency)]
        started = time.monotonic()
        try:
            while not self.stopping.is_set():
                # Quiet hours are checked for every batch, on the clock as it moves: a long run does not
                # carry reminders into the night.
                moment = (now or datetime.now(IST)) + timedelta(seconds=time.monotonic() - started if now else 0)
                night = in_quiet_hours(moment, self.settings)
                rows = await self.store.queued(channel, campaign_id=campaign_id, skip_reminders=night)
                if not rows:
                    return
                for row in rows:
                    work.put_nowait(row)
                await work.join()          # the next batch is read only when this one is finished
        finally:
            while not work.empty():              # cancelled or stopping: rows not started stay queued
                work.get_nowait()
                work.task_done()
            for _ in workers:
                work.put_nowait(None)
            await asyncio.gather(*workers, return_exceptions=True)

    async def _send_row(self, sender: Sender, pacer: Pacer, row: OutboxRow, text: str, params: list[str],
                        campaign: Campaign, report: Report) -> None:
        kind = campaign.offset_kind or campaign.kind
        # /stop or a block since the row was queued: it must not go.
        skip = await self.store.reachable(sender.channel, row.chat_id, campaign.kind, campaign.event_id)
        if skip is not None:
            await self.store.outbox_mark(row.id, skip)
            report.blocked += skip == OutboxState.SKIPPED_BLOCKED
            report.stopped += skip == OutboxState.SKIPPED_STOPPED
            return
        for _ in range(10):   # a rate-limit answer is retried after its wait; other outcomes end the loop
            slot = await pacer.wait(row.chat_id)
            if not await self.store.claim(row.id):
                pacer.done(slot)
                return                      # another process is sending it, or it was cancelled
            try:
                result = await sender.send(row.chat_id, text, row.lang, kind, params)
            except Exception as exc:  # noqa: BLE001 - a sender bug must not lose the row
                log.exception("sender %s failed", sender.channel)
                result = SendResult("failed", error=f"{type(exc).__name__}: {exc}")
            finally:
                pacer.done(slot)
            if result.status == "retry":
                # Everyone on this channel waits, not just this row: the platform throttles the whole bot.
                await self.store.outbox_mark(row.id, OutboxState.QUEUED)
                pacer.hold(max(result.retry_after, 0.05))
                continue
            break
        else:
            result = SendResult("failed", error="still rate limited after 10 tries")
        if result.status == "sent":
            await self.store.outbox_mark(row.id, OutboxState.SENT, message_id=result.message_id)
            report.sent += 1
        elif result.status == "blocked":
            await self.store.outbox_mark(row.id, OutboxState.SKIPPED_BLOCKED, error=result.error)
            await self.store.set_blocked(sender.channel, row.chat_id, True)
            report.blocked += 1
        elif result.status == "window_closed":
            await self.store.outbox_mark(row.id, OutboxState.SKIPPED_WINDOW_CLOSED, error=result.error)
            report.window_closed += 1
        elif result.status == "uncertain":
            await self.store.outbox_mark(row.id, OutboxState.UNCERTAIN, error=result.error)
            report.uncertain += 1
        else:
            retry = row.attempts + 1 < MAX_ATTEMPTS and result.status == "transient"
            state = OutboxState.QUEUED if retry else OutboxState.FAILED
            await self.store.outbox_mark(row.id, state, error=result.error)
            report.failed += state == OutboxState.FAILED
            if state == OutboxState.QUEUED:       # a network blip: the channel pauses a little before the retry
                pacer.hold(min(2.0 ** (row.attempts + 1), 30.0))

    # ------------------------------------------------------------ the whole run

    async def recover(self) -> list[OutboxRow]:
        rows = await self.store.recover_sending()
        if rows:
            log.warning("%d message(s) were being sent when the bot stopped: marked uncertain, not resent", len(rows))
        return rows

    async def run_due(self, now: datetime) -> Report:
        await self.plan(now)
        await self.queue_due(now)
        return await self.deliver(now=now)
