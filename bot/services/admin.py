"""Texts of the admin reports (/stats, /unanswered, /reload): plain functions over plain data."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from ..core.campaigns import PENDING, Campaign, CampaignStatus
from ..core.entities import KnowledgeBase, Problem

if TYPE_CHECKING:
    from ..store import Store

MAX_PROBLEMS_SHOWN = 30


def format_stats(stats: dict[str, Any], kb: KnowledgeBase) -> str:
    def district(d: str | None) -> str:
        return kb.districts[d].name.en if d in kb.districts else "(not set)"

    asked = stats["questions_week"]
    refused = stats["refused_week"]
    rate = f"{100 * refused / asked:.0f}%" if asked else "-"
    lines = [
        f"Users: {stats['users']}",
        "By language: " + (", ".join(f"{lang or '(not set)'} {n}" for lang, n in stats["by_lang"]) or "-"),
        "By district: " + (", ".join(f"{district(d)} {n}" for d, n in stats["by_district"][:15]) or "-"),
        f"Questions today: {stats['questions_today']}; last 7 days: {asked}",
        f"Not answered (last 7 days): {refused} ({rate})",
        f"Feedback: 👍 {stats['helpful']} · 👎 {stats['not_helpful']}",
    ]
    return "\n".join(lines)


def format_unanswered(rows: Sequence[tuple[str, int]]) -> str:
    if not rows:
        return "No unanswered questions in the last 7 days."
    lines = ["Most frequent unanswered questions (last 7 days):"]
    lines += [f"{i}. {q} ({n}×)" for i, (q, n) in enumerate(rows, 1)]
    return "\n".join(lines)


def format_reload(problems: Sequence[Problem], kb: KnowledgeBase) -> str:
    if not problems:
        counts = kb.counts()
        return "Knowledge base reloaded: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    shown = [str(p) for p in problems[:MAX_PROBLEMS_SHOWN]]
    more = len(problems) - len(shown)
    tail = [f"... and {more} more"] if more > 0 else []
    return "\n".join([f"Reload refused: {len(problems)} problem(s). The previous knowledge base stays live.", *shown, *tail])


async def change_campaign(store: Store, campaign_id: int, action: str) -> tuple[bool, Campaign | None]:
    """Pause, resume or cancel a pending reminder or broadcast (the command line and Telegram alike).

    Returns whether it changed, and the campaign as it is now (None if there is no such campaign).
    Nothing already sent is affected; cancelling drops the rows still queued.
    """
    campaign = await store.campaign(campaign_id)
    if campaign is None:
        return False, None
    if action == "pause":
        ok = await store.set_campaign_status(campaign_id, CampaignStatus.PAUSED,
                                             only_from=(CampaignStatus.SCHEDULED, CampaignStatus.ACTIVE))
    elif action == "resume":
        resumed = CampaignStatus.ACTIVE if campaign.queued_at else CampaignStatus.SCHEDULED
        ok = await store.set_campaign_status(campaign_id, resumed, only_from=(CampaignStatus.PAUSED,))
    elif action == "cancel":
        ok = await store.set_campaign_status(campaign_id, CampaignStatus.CANCELLED, only_from=PENDING)
    else:
        raise ValueError(f"unknown action {action!r}: pause, resume or cancel")
    return ok, await store.campaign(campaign_id)


def campaign_label(campaign: Campaign, kb: KnowledgeBase) -> str:
    """What a campaign is, in words: the event's title and which reminder, or whom a broadcast goes to."""
    if campaign.kind == "broadcast":
        return f"broadcast to {campaign.segment or 'all'}"
    event = next((e for e in kb.events if e.id == campaign.event_id), None)
    title = event.title.en if event is not None else campaign.event_id or campaign.key
    which = {"start": "before it starts", "deadline": "before registration closes"}
    kind, _, days = (campaign.offset_kind or "").partition("-")
    days = days.removesuffix("d")
    when = "1 day" if days == "1" else f"{days} days"
    return f"{title}, {campaign.occurrence}: reminder {when} {which.get(kind, kind)}"
