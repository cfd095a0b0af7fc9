"""Campaigns (a reminder or an admin's broadcast) and their outbox rows, as frozen records."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CampaignStatus(StrEnum):
    DRAFT = "draft"              # a broadcast waiting for the admin's confirmation
    SCHEDULED = "scheduled"      # a reminder not yet due
    ACTIVE = "active"            # its outbox rows are being sent
    PAUSED = "paused"
    CANCELLED = "cancelled"
    DONE = "done"                # every outbox row has its final state: nothing is left to send


PENDING = (CampaignStatus.SCHEDULED, CampaignStatus.ACTIVE, CampaignStatus.PAUSED, CampaignStatus.DRAFT)


class OutboxState(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED_BLOCKED = "skipped_blocked"
    SKIPPED_WINDOW_CLOSED = "skipped_window_closed"
    SKIPPED_STOPPED = "skipped_stopped"
    SKIPPED_NO_CHANNEL = "skipped_no_channel"    # the user's channel (e.g. WhatsApp) is not configured here
    UNCERTAIN = "uncertain"      # the bot stopped mid-send: maybe delivered, never resent
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Campaign:
    id: int
    key: str                     # stable: event@date:kind for reminders
    kind: str                    # reminder | broadcast
    event_id: str | None
    occurrence: str | None       # ISO date of the event occurrence (reminders)
    offset_kind: str | None      # start-7d | start-1d | deadline-2d ...
    segment: str | None          # all | district:ID | sector:ID (broadcasts)
    due_at: float
    status: CampaignStatus
    text_en: str | None
    text_hi: str | None
    created_by: str | None
    created_at: float
    queued_at: float | None


@dataclass(frozen=True)
class OutboxRow:
    id: int
    campaign_id: int
    channel: str
    chat_id: str
    lang: str
    state: OutboxState
    attempts: int
    error: str | None
    message_id: str | None
    created_at: float
    updated_at: float


SKIPPED = {OutboxState.SKIPPED_BLOCKED: "blocked", OutboxState.SKIPPED_WINDOW_CLOSED: "window closed",
           OutboxState.SKIPPED_STOPPED: "stopped", OutboxState.SKIPPED_NO_CHANNEL: "no channel"}


@dataclass(frozen=True)
class Tally:
    """A campaign's delivery counts, as every report shows them (broadcast report, reminders run and status)."""

    sent: int = 0
    failed: int = 0
    skipped: tuple[tuple[str, int], ...] = ()     # (reason, count), reasons in SKIPPED's order, zeros left out
    uncertain: int = 0
    cancelled: int = 0
    left: int = 0                                 # queued or being sent

    @classmethod
    def of(cls, counts: dict[str, int]) -> "Tally":
        """The tally of outbox rows counted by state (``Store.outbox_counts``)."""
        return cls(sent=counts.get(OutboxState.SENT, 0), failed=counts.get(OutboxState.FAILED, 0),
                   skipped=tuple((why, counts[state]) for state, why in SKIPPED.items() if counts.get(state)),
                   uncertain=counts.get(OutboxState.UNCERTAIN, 0), cancelled=counts.get(OutboxState.CANCELLED, 0),
                   left=counts.get(OutboxState.QUEUED, 0) + counts.get(OutboxState.SENDING, 0))

    @property
    def skipped_total(self) -> int:
        return sum(n for _, n in self.skipped)

    @property
    def total(self) -> int:
        return self.sent + self.failed + self.skipped_total + self.uncertain + self.cancelled + self.left

    def line(self) -> str:
        why = f" ({', '.join(f'{reason} {n}' for reason, n in self.skipped)})" if self.skipped else ""
        cancelled = f" · cancelled {self.cancelled}" if self.cancelled else ""
        return (f"sent {self.sent} · failed {self.failed} · skipped {self.skipped_total}{why} · "
                f"uncertain {self.uncertain}{cancelled} · left {self.left}")
