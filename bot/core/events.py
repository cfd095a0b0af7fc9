"""The event calendar (knowledge/events.yaml): validated events, recurrence, audiences, .ics files.

Dates are civil dates in Asia/Kolkata. No channel or database code here.
"""
from __future__ import annotations

import calendar
import difflib
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterable

from .entities import Problem, Text
from .validate import Checker  # the validator's helpers: same messages as every other file

IST = timezone(timedelta(hours=5, minutes=30), "IST")
EVENT_FIELDS = ("id", "title", "description", "start", "end", "time", "registration_deadline", "place", "organiser",
                "link", "audience", "recurrence", "example", "source")
EVENT_REQUIRED = ("id", "title", "start", "source")
EVERY_RE = re.compile(r"^\s*(\d+)\s*(day|week|month|year)s?\s*$")


@dataclass(frozen=True)
class Event:
    id: str
    title: Text
    description: Text | None
    start: date
    end: date
    time: time | None
    registration_deadline: date | None
    place: Text | None
    organiser: Text | None
    link: str | None
    districts: tuple[str, ...]
    sectors: tuple[str, ...]
    every: tuple[int, str] | None
    until: date | None
    example: bool
    source: str
    location: str = ""

    def occurrences(self, first: date, last: date) -> list["Occurrence"]:
        """Occurrences whose start falls in [first, last], recurrence expanded."""
        out: list[Occurrence] = []
        length = self.end - self.start
        lead = (self.start - self.registration_deadline) if self.registration_deadline else None
        n = 0
        while True:
            start = self._nth(n)
            if start is None or start > last or (self.until and start > self.until):
                break
            if start >= first:
                out.append(Occurrence(self, start, start + length, start - lead if lead is not None else None))
            n += 1
            if self.every is None or n > 10_000:
                break
        return out

    def _nth(self, n: int) -> date | None:
        if n == 0:
            return self.start
        if self.every is None:
            return None
        count, unit = self.every
        if unit == "day":
            return self.start + timedelta(days=count * n)
        if unit == "week":
            return self.start + timedelta(weeks=count * n)
        months = count * n * (12 if unit == "year" else 1)
        year, month = divmod(self.start.month - 1 + months, 12)
        year += self.start.year
        day = min(self.start.day, calendar.monthrange(year, month + 1)[1])
        return date(year, month + 1, day)

    def open_to_all(self) -> bool:
        return not self.districts and not self.sectors

    def matches(self, district: str | None, sector: str | None) -> bool:
        """Relevant to a user of this district and sector (events open to all always are)."""
        if self.open_to_all():
            return True
        district_ok = not self.districts or (district in self.districts)
        sector_ok = not self.sectors or (sector in self.sectors)
        return district_ok and sector_ok


@dataclass(frozen=True)
class Occurrence:
    event: Event
    start: date
    end: date
    deadline: date | None

    @property
    def key(self) -> str:
        return f"{self.event.id}@{self.start.isoformat()}"


def find_occurrence(events: Iterable[Event], event_id: str, start: date) -> Occurrence | None:
    """The occurrence of an event starting on that day (recurrence expanded), or None if there is none."""
    event = next((e for e in events if e.id == event_id), None)
    if event is None:
        return None
    return next((o for o in event.occurrences(start, start) if o.start == start), None)


def upcoming(events: Iterable[Event], today: date, days: int = 120, district: str | None = None,
             sector: str | None = None) -> list[Occurrence]:
    found = [o for e in events if e.matches(district, sector) for o in e.occurrences(today, today + timedelta(days=days))]
    return sorted(found, key=lambda o: (o.start, o.event.id))


def ics(occurrence: Occurrence, lang: str, now: datetime | None = None) -> bytes:
    """An iCalendar file for one occurrence, for the user's phone calendar."""
    e = occurrence.event
    stamp = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//exportbot//UP export helpdesk//EN", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", "BEGIN:VEVENT", f"UID:{occurrence.key}@exportbot", f"DTSTAMP:{stamp}"]
    if e.time is not None:
        start = datetime.combine(occurrence.start, e.time, IST).astimezone(timezone.utc)
        end = datetime.combine(occurrence.end, e.time, IST).astimezone(timezone.utc) + timedelta(hours=2)
        lines += [f"DTSTART:{start:%Y%m%dT%H%M%SZ}", f"DTEND:{end:%Y%m%dT%H%M%SZ}"]
    else:
        lines += [f"DTSTART;VALUE=DATE:{occurrence.start:%Y%m%d}",
                  f"DTEND;VALUE=DATE:{occurrence.end + timedelta(days=1):%Y%m%d}"]
    lines.append("SUMMARY:" + _ics_escape(e.title.get(lang)))
    if e.description is not None:
        lines.append("DESCRIPTION:" + _ics_escape(e.description.get(lang)))
    if e.place is not None:
        lines.append("LOCATION:" + _ics_escape(e.place.get(lang)))
    if e.link:
        lines.append("URL:" + e.link)
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode("utf-8")


def _ics_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Fold at 75 octets as RFC 5545 asks, never inside a UTF-8 character."""
    out, current = [], b""
    for ch in line:
        b = ch.encode("utf-8")
        if len(current) + len(b) > (75 if not out else 74):
            out.append(current.decode("utf-8"))
            current = b""
        current += b
    out.append(current.decode("utf-8"))
    return "\r\n ".join(out)


# ---------------------------------------------------------------- validation

def _date(value: Any, label: str, key: str, line: int, add) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        add(line, f"{label}: field '{key}' must be a date written as YYYY-MM-DD (not '{value}')")
        return None


def parse_events(items: list[tuple[Any, str]], known: dict[str, set[str]], problems: list) -> list[Event]:
    events: list[Event] = []
    seen: dict[str, str] = {}
    for item, shown in items:
        check = Checker(shown, problems)
        ident = check.ident(item, "id", "event") or "?"
        label = f"event '{ident}'"
        check.fields(item, label, EVENT_FIELDS, EVENT_REQUIRED)
        if ident in seen or ident in known.get("entry", set()):
            problems.append(Problem(shown, item.line,
                                    f"{label}: id '{ident}' is used twice (also at {seen.get(ident, 'another file')})"))
            continue
        seen[ident] = f"{shown}:{item.line}"
        line = check.line_of
        title = check.text(item, "title", label)
        description = check.text(item, "description", label, required=False)
        place = check.text(item, "place", label, required=False)
        organiser = check.text(item, "organiser", label, required=False)
        add = check.add
        start = _date(item.get("start"), label, "start", line(item, "start"), add)
        end = _date(item.get("end"), label, "end", line(item, "end"), add) or start
        deadline = _date(item.get("registration_deadline"), label, "registration_deadline",
                         line(item, "registration_deadline"), add)
        when: time | None = None
        if item.get("time") is not None:
            try:
                when = time.fromisoformat(str(item["time"]).strip())
            except ValueError:
                add(line(item, "time"), f"{label}: field 'time' must be like \"10:30\" (24-hour clock)")
        if start and end and end < start:
            add(line(item, "end"), f"{label}: field 'end' ({end}) is before 'start' ({start})")
        if start and deadline and deadline > start:
            add(line(item, "registration_deadline"),
                f"{label}: field 'registration_deadline' ({deadline}) is after 'start' ({start})")
        link = check.string(item, "link", label)
        if link and not re.match(r"^https?://\S+\.\S+$", link):
            add(line(item, "link"), f"{label}: field 'link' must be a web address starting with https://")
        districts: tuple[str, ...] = ()
        sectors: tuple[str, ...] = ()
        audience = item.get("audience")
        if audience is not None:
            if not hasattr(audience, "key_lines"):
                add(line(item, "audience"), f"{label}: field 'audience' must hold 'districts:' and/or 'sectors:' lists")
            else:
                check.fields(audience, f"{label} audience", ("districts", "sectors"), ())
                districts = check.strings(audience, "districts", label)
                sectors = check.strings(audience, "sectors", label)
                for kind, values, key in (("district", districts, "districts"), ("sector", sectors, "sectors")):
                    for v in values:
                        if v not in known.get(kind, set()):
                            close = difflib.get_close_matches(v, sorted(known.get(kind, set())), n=1, cutoff=0.6)
                            hint = f" (did you mean '{close[0]}'?)" if close else ""
                            add(audience.key_lines.get(key, audience.line),
                                f"{label}: {kind} id '{v}' is not in {kind}s.yaml{hint}")
        every: tuple[int, str] | None = None
        until: date | None = None
        recurrence = item.get("recurrence")
        if recurrence is not None:
            if not hasattr(recurrence, "key_lines"):
                add(line(item, "recurrence"), f"{label}: field 'recurrence' must be like {{every: \"3 months\"}}")
            else:
                check.fields(recurrence, f"{label} recurrence", ("every", "until"), ("every",))
                m = EVERY_RE.match(str(recurrence.get("every", "")))
                if m and int(m.group(1)) > 0:
                    every = (int(m.group(1)), m.group(2))
                elif "every" in recurrence:
                    add(recurrence.key_lines.get("every", recurrence.line),
                        f"{label}: recurrence 'every' must be like \"3 months\", \"1 year\", \"2 weeks\" or \"7 days\"")
                until = _date(recurrence.get("until"), label, "until", recurrence.key_lines.get("until", recurrence.line), add)
        example = item.get("example", False)
        if not isinstance(example, bool):
            add(line(item, "example"), f"{label}: field 'example' must be true or false")
            example = False
        source = check.string(item, "source", label) or ""
        if title and start and end:
            events.append(Event(ident, title, description, start, end, when, deadline, place, organiser, link,
                                districts, sectors, every, until, example, source, f"{shown}:{item.line}"))
    return events
