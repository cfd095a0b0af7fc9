"""Reminders: what is due when, for whom, and with which text.

Rules only: events and a moment in, plain values out, no clock read and no I/O.
The pace of sending (bot/services/pacer.py), the outbox (bot/services/outbox.py)
and the senders (bot/channels/) live elsewhere.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Callable, Iterable

from .events import IST, Event, Occurrence
from .texts import t


@dataclass(frozen=True)
class ReminderSettings:
    start_offsets: tuple[int, ...] = (7, 1)      # days before an event starts
    deadline_offsets: tuple[int, ...] = (2,)     # days before a registration deadline
    send_at: time = time(10, 0)                  # civil hour (IST) at which reminders go out
    quiet_from: time = time(21, 0)               # nothing is sent from here ...
    quiet_until: time = time(8, 0)               # ... until here


def parse_offsets(raw: str) -> tuple[int, ...]:
    values = tuple(sorted({int(x) for x in raw.replace(" ", "").split(",") if x}, reverse=True))
    if not values or any(v < 0 for v in values):
        raise ValueError(f"offsets must be whole days, e.g. '7,1' (not {raw!r})")
    return values


@dataclass(frozen=True)
class Due:
    """One reminder of one event occurrence (sent to every matching subscriber)."""

    key: str                  # stable: event@date:kind
    occurrence: Occurrence
    kind: str                 # start-7d | start-1d | deadline-2d ...
    due_at: datetime          # aware, IST

    @property
    def event(self) -> Event:
        return self.occurrence.event


def in_quiet_hours(moment: datetime, settings: ReminderSettings) -> bool:
    local = moment.astimezone(IST).time()
    return local >= settings.quiet_from or local < settings.quiet_until


def reminders_between(events: Iterable[Event], first: datetime, last: datetime,
                      settings: ReminderSettings) -> list[Due]:
    """Reminders whose due time falls in [first, last] (recurrence expanded)."""
    out: list[Due] = []
    # Occurrences up to a year later: a fair's registration deadline can be months before it starts.
    d0 = first.astimezone(IST).date()
    d1 = last.astimezone(IST).date() + timedelta(days=366)
    for event in events:
        for occ in event.occurrences(d0, d1):
            for days in settings.start_offsets:
                out.append(_due(occ, f"start-{days}d", occ.start - timedelta(days=days), settings))
            if occ.deadline is not None:
                for days in settings.deadline_offsets:
                    out.append(_due(occ, f"deadline-{days}d", occ.deadline - timedelta(days=days), settings))
    return sorted((d for d in out if first <= d.due_at <= last), key=lambda d: (d.due_at, d.key))


def due_now(events: Iterable[Event], now: datetime, settings: ReminderSettings,
            lookback: timedelta = timedelta(days=3)) -> list[Due]:
    """Reminders to send at ``now``: due already, still useful (the event has not started), and not at night.

    A reminder missed while the bot was down goes out late rather than never — but never after the
    event has begun, and never in quiet hours.
    """
    if in_quiet_hours(now, settings):
        return []
    today = now.astimezone(IST).date()
    found = reminders_between(events, now - lookback, now, settings)
    return [d for d in found if d.occurrence.start > today or (d.kind.startswith("deadline") and
                                                               d.occurrence.deadline and d.occurrence.deadline >= today)]


def _due(occ: Occurrence, kind: str, day: date, settings: ReminderSettings) -> Due:
    return Due(f"{occ.key}:{kind}", occ, kind, datetime.combine(day, settings.send_at, IST))


# ---------------------------------------------------------------- audience

@dataclass(frozen=True)
class Subscriber:
    channel: str
    chat_id: str
    lang: str
    district: str | None
    sector: str | None
    subscription: str | None
    blocked: bool = False
    follows: frozenset[str] = frozenset()     # events the user asked to be reminded of


def wants(subscriber: Subscriber, event: Event) -> bool:
    """Does this subscriber get reminders of this event?"""
    if event.id in subscriber.follows:
        return True
    choice = subscriber.subscription
    if choice == "all":
        return True
    if choice == "district":
        return event.open_to_all() or (subscriber.district is not None and subscriber.district in event.districts)
    if choice == "sector":
        return event.open_to_all() or (subscriber.sector is not None and subscriber.sector in event.sectors)
    return False


def in_segment(subscriber: Subscriber, segment: str) -> bool:
    """Admin broadcasts: 'all' subscribers, or 'district:<id>' / 'sector:<id>'. /stop opts out of all of them."""
    if subscriber.subscription in (None, "none") and not subscriber.follows:
        return False
    kind, _, value = segment.partition(":")
    if kind == "all":
        return True
    if kind == "district":
        return subscriber.district == value
    if kind == "sector":
        return subscriber.sector == value
    raise ValueError(f"unknown segment {segment!r}: use all, district:<id> or sector:<id>")


# ---------------------------------------------------------------- texts

def reminder_text(due: Due, lang: str, format_date: Callable[[date, str], str]) -> str:
    occ = due.occurrence
    e = occ.event
    when = format_date(occ.start, lang)
    if due.kind.startswith("deadline") and occ.deadline is not None:
        head = t("reminder_deadline", lang, title=e.title.get(lang), deadline=format_date(occ.deadline, lang))
    else:
        days = (occ.start - (due.due_at.astimezone(IST).date())).days
        soon = t("today", lang) if days <= 0 else t("tomorrow", lang) if days == 1 else t("in_days", lang, days=days)
        head = t("reminder_start", lang, title=e.title.get(lang), when=when, soon=soon)
    lines = [head]
    if e.place is not None:
        lines.append(t("event_where", lang, place=e.place.get(lang)))
    if e.example:
        lines.append(t("example_date", lang))
    lines.append(t("reminder_footer", lang))
    return "\n".join(lines)


def per_channel(subscribers: Iterable[Subscriber], wanted: Callable[[Subscriber], bool]) -> dict[str, int]:
    """How many reachable (not blocked) subscribers want it, per channel."""
    counts: dict[str, int] = {}
    for s in subscribers:
        if wanted(s) and not s.blocked:
            counts[s.channel] = counts.get(s.channel, 0) + 1
    return counts
