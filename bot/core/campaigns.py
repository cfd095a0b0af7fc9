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


PENDING = (CampaignStatus.SCHEDULED, CampaignStatus.ACTIVE, CampaignStatus.PAUSED, CampaignStatus.DRAFT)


class OutboxState(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED_BLOCKED = "skipped_blocked"
    SKIPPED_WINDOW_CLOSED = "skipped_window_closed"
    SKIPPED_STOPPED = "skipped_stopped"
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
