"""District staff: who sees what (roles from staff.yaml), and hand-offs of questions to the district office.

The logic lives here, not in a channel: Telegram renders the staff messages
and buttons, the command line prints, a later browser console can call the
same functions. Nothing here imports a transport; sending goes through the
callables and senders given at wiring time.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Mapping, Sequence

from ..core.answers import AnswerEngine
from ..core.campaigns import Campaign
from ..core.dialogue import Button, Reply, UserState
from ..core.entities import Entry, KnowledgeBase, clip
from ..core.texts import t
from . import reports
from .kbedit import AliasError, add_alias
from .reports import Group, closest_entries

log = logging.getLogger("exportbot.staff")
REMIND_AFTER = 86400.0            # an unanswered hand-off is brought up again after a day


@dataclass(frozen=True)
class Scope:
    """What one staff member may see and do: ``districts`` None means the whole state."""

    telegram_id: int
    name: str
    districts: frozenset[str] | None

    @property
    def state_admin(self) -> bool:
        return self.districts is None

    def sees(self, district: str | None) -> bool:
        return self.districts is None or district in self.districts

    @property
    def label(self) -> str:
        """Who did it, as the store records it ("DIC Hathras desk (501)")."""
        return f"{self.name} ({self.telegram_id})"


def entry_districts(entry: Entry) -> frozenset[str]:
    """The districts an entry is about (none: it is about the whole state)."""
    return frozenset(([entry.district] if entry.district else []) + list(entry.districts))


def sees_entry(scope: Scope, entry: Entry) -> bool:
    """State-wide entries and the staff member's own districts' entries (not another district's)."""
    about = entry_districts(entry)
    return scope.districts is None or not about or bool(about & scope.districts)


def sees_campaign(kb: KnowledgeBase, scope: Scope, campaign: Campaign) -> bool:
    """A district's broadcasts and the reminders of events held only in the staff member's districts."""
    if scope.districts is None:
        return True
    if campaign.kind == "broadcast":
        kind, _, district = (campaign.segment or "").partition(":")
        return kind == "district" and district in scope.districts
    event = next((e for e in kb.events if e.id == campaign.event_id), None)
    return event is not None and bool(event.districts) and set(event.districts) <= scope.districts


def may_edit_entry(scope: Scope, entry: Entry) -> bool:
    """Texts of state-wide entries and facts are the state admins'; district staff edit their districts' entries.

    Any staff member may teach an entry they see a new question (an alias), as on Telegram."""
    about = entry_districts(entry)
    return scope.districts is None or (bool(about) and about <= scope.districts)


def scope_of(kb: KnowledgeBase, admin_ids: frozenset[int], telegram_id: int | None) -> Scope | None:
    """The staff member's scope, or None for everyone else. ADMIN_TELEGRAM_IDS are state admins."""
    if telegram_id is None:
        return None
    if telegram_id in admin_ids:
        return Scope(telegram_id, "admin", None)
    member = kb.staff.get(telegram_id)
    return Scope(telegram_id, member.name, member.districts) if member is not None else None


def staff_ids(kb: KnowledgeBase, admin_ids: frozenset[int], district: str | None = None) -> list[int]:
    """Who hears about a district's question: its district staff, or the state admins when it has none.

    Without a district: everyone (state admins and all district staff), e.g. for a knowledge reload.
    """
    admins = sorted(admin_ids | {m.telegram_id for m in kb.staff.values() if m.state_admin})
    if district is None:
        return sorted(set(admins) | set(kb.staff))
    local = sorted(m.telegram_id for m in kb.staff.values() if m.districts and district in m.districts)
    return local or admins


def district_name(kb: KnowledgeBase, district: str | None, lang: str = "en",
                  missing: str = "(district not set)") -> str:
    return kb.districts[district].name.get(lang) if district in kb.districts else missing


# ---------------------------------------------------------------- hand-offs

Notify = Callable[[int, Reply], Awaitable[int | None]]     # staff Telegram id, message -> message id (None: failed)


@dataclass(frozen=True)
class Delivery:
    """What became of a staff answer to a hand-off: ``status`` sent | not_yours | answered_already | no_channel
    (that channel is not running in this process) | not_delivered (``why``: window_closed, blocked or the error)."""

    status: str
    handoff_id: int
    channel: str = ""
    why: str = ""
    answered_by: str = ""
    entry_id: str | None = None        # sent: the entry nearest to the question, to teach it in one step


class HandoffDesk:
    """A user's question goes to their district's staff; a staff reply goes back to the user on their channel."""

    def __init__(self, store: Any, engine: Callable[[], AnswerEngine], admin_ids: frozenset[int], notify: Notify,
                 senders: Mapping[str, Any]):
        self.store = store
        self.engine = engine          # the live answer engine (it changes on every reload)
        self.admin_ids = admin_ids
        self.notify = notify
        self.senders = senders        # channel -> sender with send(chat_id, text, lang, kind, params) -> SendResult

    async def open(self, channel: str, chat_id: str, state: UserState) -> tuple[Reply, ...]:
        """Send the user's latest question to the district office; tell the user it is waiting."""
        lang = state.lang or "en"
        kb = self.kb()
        question = await self.store.last_question(channel, chat_id)
        if question is None:
            return (Reply(t("handoff_nothing", lang)),)
        text = question["text"] + (f"\n(looking for: {question['note']})" if question.get("note") else "")
        handoff_id = await self.store.handoff_open(channel, chat_id, text, question["lang"] or lang, state.district,
                                                   state.product, question["entry_id"])
        told = await self._tell_staff(handoff_id)
        log.info("handoff=%d district=%s staff_told=%d", handoff_id, state.district or "-", told)
        office = kb.districts[state.district].name.get(lang) if state.district in kb.districts else t(
            "dic_generic", lang)
        return (Reply(t("handoff_sent", lang, number=handoff_id, office=office)),)

    async def _tell_staff(self, handoff_id: int, reminder: bool = False) -> int:
        h = await self.store.handoff(handoff_id)
        assert h is not None, "a hand-off just opened or listed exists"
        kb = self.kb()
        product = h["product"] or "-"
        head = "⏰ Still waiting (over a day)" if reminder else "🙋 Question for the district office"
        text = (f"{head} #{h['id']}\nFrom: {district_name(kb, h['district'])} · language {h['lang']} · product "
                f"{product} · {h['channel']}\n\n{h['question']}\n\nReply to this message to answer; your reply goes "
                "to the user.")
        told = 0
        for staff in staff_ids(kb, self.admin_ids, h["district"]):
            message_id = await self.notify(staff, Reply(text))
            if message_id is not None:
                await self.store.handoff_link(str(staff), message_id, h["id"])
                told += 1
        return told

    async def deliver(self, staff: Scope, handoff_id: int, text: str) -> Delivery:
        """Deliver a staff member's answer to the user on their channel; what happened, for any channel to word."""
        h = await self.store.handoff(handoff_id)
        if h is None or not staff.sees(h["district"]):
            return Delivery("not_yours", handoff_id)
        if h["status"] != "open":
            return Delivery("answered_already", handoff_id, h["channel"], answered_by=h["answered_by"] or "")
        kb = self.kb()
        lang = h["lang"] if h["lang"] in ("en", "hi") else "en"
        office = district_name(kb, h["district"], lang) if h["district"] in kb.districts else t("dic_generic", lang)
        body = t("handoff_answer", lang, office=office, question=clip(h["question"], 300), answer=text.strip())
        sender = self.senders.get(h["channel"])
        if sender is None:
            return Delivery("no_channel", handoff_id, h["channel"])
        result = await sender.send(h["chat_id"], body, lang, "handoff", [clip(h["question"], 60), clip(text, 900)])
        if result.status != "sent":
            log.warning("handoff=%d not delivered: %s", handoff_id, result.status)
            await self.store.handoff_set(handoff_id, delivery=result.status)
            why = result.status if result.status in ("window_closed", "blocked") else (result.error or result.status)
            return Delivery("not_delivered", handoff_id, h["channel"], why=why)
        await self.store.handoff_answer(handoff_id, staff.label, text.strip(), "sent")
        log.info("handoff=%d answered by staff=%d", handoff_id, staff.telegram_id)
        return Delivery("sent", handoff_id, h["channel"], entry_id=handoff_nearest_entry(self.engine(), h))

    async def answer(self, staff: Scope, handoff_id: int, text: str) -> Reply:
        """Deliver a staff member's answer to the user on their channel; the reply (for Telegram) says what
        happened."""
        done = await self.deliver(staff, handoff_id, text)
        if done.status == "not_yours":
            return Reply(f"Hand-off #{handoff_id} is not one of your district's questions.")
        if done.status == "answered_already":
            return Reply(f"Hand-off #{handoff_id} was already answered by {done.answered_by}.")
        if done.status == "no_channel":
            return Reply(f"Hand-off #{handoff_id}: the {done.channel} channel is not running here; nothing was sent.")
        if done.status == "not_delivered":
            why = {"window_closed": "the user last wrote over 24 hours ago (WhatsApp's window) and no 'handoff' "
                                    "template is configured in WHATSAPP_TEMPLATES",
                   "blocked": "the user has blocked the bot"}.get(done.why, done.why)
            return Reply(f"Hand-off #{handoff_id} could NOT be delivered: {why}. It stays open.")
        rows: tuple[tuple[Button, ...], ...] = ()
        if done.entry_id is not None:      # the entry nearest to the question, for one tap
            rows += ((Button(clip(f"➕ alias of {done.entry_id}", 40), f"hoa:{handoff_id}:{done.entry_id}"),),)
        rows += ((Button("📝 needs a new answer (to-do)", f"hot:{handoff_id}"),),)
        return Reply(f"✓ Sent to the user (hand-off #{handoff_id}). Make the bot answer it next time:", rows)

    def kb(self) -> KnowledgeBase:
        return self.engine().kb

    async def remind(self, now: float) -> int:
        """Bring up again, once, the hand-offs nobody answered within a day."""
        count = 0
        for h in await self.store.handoffs(status="open"):
            if h["reminded_at"] is None and now - h["created_at"] >= REMIND_AFTER:
                await self._tell_staff(h["id"], reminder=True)
                await self.store.handoff_set(h["id"], reminded_at=now)
                count += 1
        return count

    async def waiting(self, channel: str, chat_id: str, lang: str) -> Reply | None:
        """A line for the user when their question is still with the district office."""
        open_ = await self.store.handoffs(status="open", channel=channel, chat_id=chat_id)
        if not open_:
            return None
        numbers = ", ".join(f"#{h['id']}" for h in open_)
        return Reply(t("handoff_waiting", lang, numbers=numbers))


# ---------------------------------------------------------------- one step from a question to a better bot

@dataclass(frozen=True)
class Taught:
    """What teaching the bot an alias did: where it was written and whether the bot now answers the question."""

    file: str
    line: int
    lang: str
    added: bool
    answered_by: str | None        # the entry that answers the question now (None: still not answered)
    problems: tuple[str, ...] = ()


async def teach_alias(runtime: Any, entry_id: str, question: str, question_ids: Sequence[int] = (),
                      handoff_id: int | None = None) -> Taught:
    """Write the question as an alias of the entry, reload, and mark the questions it stood for as dealt with.

    Raises :class:`AliasError` when the entry cannot take it (nothing is changed then).
    """
    edit = await asyncio.to_thread(add_alias, runtime.knowledge_dir, entry_id, question)
    problems = await runtime.reload()
    how = f"alias:{entry_id}"
    if question_ids:
        await runtime.store.resolve_questions(list(question_ids), how)
    if handoff_id is not None:
        await runtime.store.handoff_set(handoff_id, resolved=how)
    outcome = runtime.engine.ask(question)
    answered = outcome.entry.id if outcome.kind == "answer" and outcome.entry is not None else None
    return Taught(edit.file.name, edit.line, edit.lang, edit.added, answered, tuple(map(str, problems)))


def taught_text(entry_id: str, question: str, taught: Taught) -> str:
    where = f"{taught.file}:{taught.line} ({taught.lang})" if taught.added else f"{taught.file} (already there)"
    if taught.problems:
        return f"Alias written to {where}, but the reload was refused:\n" + "\n".join(taught.problems[:10])
    if taught.answered_by == entry_id:
        return f"✓ \"{question}\" is now an alias of {entry_id} ({where}) and the bot answers it."
    now = f"answers it with {taught.answered_by}" if taught.answered_by else "still does not answer it"
    return (f"Alias written to {where}, but the bot {now}: a synonym (synonyms.yaml) or a keyword may be "
            "needed too.")


async def add_todo(store: Any, question: str, *, note: str | None, district: str | None, lang: str | None,
                   count: int, by: str, question_ids: Sequence[int] = (), handoff_id: int | None = None) -> int:
    """Put a question on the to-do list (needs a new answer); its questions leave the unanswered list."""
    todo_id = await store.todo_add(question, note, district, lang, count, by)
    if question_ids:
        await store.resolve_questions(list(question_ids), f"todo:{todo_id}")
    if handoff_id is not None:
        await store.handoff_set(handoff_id, resolved=f"todo:{todo_id}")
    return todo_id


async def todo_from_group(store: Any, group: Group, by: str) -> int:
    top_district = group.tally("district")[0][0]
    return await add_todo(store, group.text, note=" | ".join(group.notes) or None,
                          district=None if top_district == "-" else top_district, lang=group.tally("lang")[0][0],
                          count=group.count, by=by, question_ids=[a.id for a in group.items])


def handoff_question(handoff: dict[str, Any]) -> str:
    """The user's own words of a hand-off (without the '(looking for: ...)' line added for staff)."""
    return str(handoff["question"]).split("\n(looking for:")[0]


# ---------------------------------------------------------------- what staff do with a question (Telegram and console)

GROUP_WINDOW = 30 * 86400          # a group shown in an older report (or page) is still found


@dataclass(frozen=True)
class Action:
    """What a staff action did: ``kind`` alias | todo | dismissed | gone | error; ``text`` says it in English (for
    Telegram); the other fields let a channel say it in the reader's language."""

    kind: str
    text: str
    taught: Taught | None = None
    number: int | None = None          # the to-do's number
    question: str = ""                 # the user's question it was about
    entry_id: str = ""                 # alias: the entry taught (error: the entry asked for)
    count: int = 0                     # how many questions it dealt with
    handoff_id: int | None = None
    reason: str = ""                   # gone: group | handoff_scope | handoff_done; error: no_entry | refused
    detail: str = ""                   # error: the validator's own words (file:line problems)


_GROUP_GONE = Action("gone", "That question was dealt with already (or is not in your district).", reason="group")


async def scoped_group(runtime: Any, scope: Scope, key: int) -> Group | None:
    """The unanswered group with this key among the staff member's districts' questions (None: not theirs, or
    dealt with already)."""
    report = await reports.unanswered(runtime.store, runtime.engine, runtime.store.clock() - GROUP_WINDOW,
                                      scope.districts)
    return reports.find_group(report, key)


async def _teach(runtime: Any, scope: Scope, entry_id: str, question: str, question_ids: Sequence[int] = (),
                 handoff_id: int | None = None) -> Action:
    about = {"question": question, "entry_id": entry_id, "count": len(question_ids) or 1, "handoff_id": handoff_id}
    entry = runtime.kb.entries.get(entry_id)
    if entry is None or not sees_entry(scope, entry):
        return Action("error", f"Could not add the alias: there is no entry '{entry_id}' among yours.",
                      reason="no_entry", **about)
    try:
        taught = await teach_alias(runtime, entry_id, question, question_ids, handoff_id=handoff_id)
    except AliasError as exc:
        detail = exc.message + "".join(f"\n{p}" for p in exc.problems[:10])
        return Action("error", "Could not add the alias: " + detail, reason="refused", detail=detail, **about)
    return Action("alias", taught_text(entry_id, question, taught), taught=taught, **about)


async def group_alias(runtime: Any, scope: Scope, key: int, entry_id: str) -> Action:
    group = await scoped_group(runtime, scope, key)
    if group is None:
        return _GROUP_GONE
    return await _teach(runtime, scope, entry_id, group.text, [a.id for a in group.items])


async def group_todo(runtime: Any, scope: Scope, key: int) -> Action:
    group = await scoped_group(runtime, scope, key)
    if group is None:
        return _GROUP_GONE
    todo_id = await todo_from_group(runtime.store, group, scope.label)
    return Action("todo", f"📝 \"{group.text}\" is on the to-do list as #{todo_id}; it shows in the unanswered "
                          "report.", number=todo_id, question=group.text, count=group.count)


async def group_dismiss(runtime: Any, scope: Scope, key: int) -> Action:
    """Nothing to do about these questions (a joke, a test, spam): they leave the unanswered list."""
    group = await scoped_group(runtime, scope, key)
    if group is None:
        return _GROUP_GONE
    await runtime.store.resolve_questions([a.id for a in group.items], f"dismissed:{scope.label}")
    return Action("dismissed", f"\"{group.text}\" ({group.count}) dismissed: it leaves the unanswered list.",
                  question=group.text, count=group.count)


async def _scoped_handoff(runtime: Any, scope: Scope, handoff_id: int) -> tuple[dict[str, Any] | None, Action | None]:
    handoff = await runtime.store.handoff(handoff_id)
    if handoff is None or not scope.sees(handoff["district"]):
        return None, Action("gone", "That hand-off is not one of your district's questions.", reason="handoff_scope",
                            handoff_id=handoff_id)
    if handoff["resolved"]:
        return None, Action("gone", f"Hand-off #{handoff['id']} was dealt with already ({handoff['resolved']}).",
                            reason="handoff_done", handoff_id=handoff_id, question=handoff_question(handoff))
    return handoff, None


async def handoff_alias(runtime: Any, scope: Scope, handoff_id: int, entry_id: str) -> Action:
    handoff, refused = await _scoped_handoff(runtime, scope, handoff_id)
    if handoff is None:
        assert refused is not None
        return refused
    return await _teach(runtime, scope, entry_id, handoff_question(handoff), handoff_id=handoff["id"])


async def handoff_todo(runtime: Any, scope: Scope, handoff_id: int) -> Action:
    handoff, refused = await _scoped_handoff(runtime, scope, handoff_id)
    if handoff is None:
        assert refused is not None
        return refused
    todo_id = await add_todo(runtime.store, handoff_question(handoff), note=f"answered: {handoff['answer']}",
                             district=handoff["district"], lang=handoff["lang"], count=1, by=scope.label,
                             handoff_id=handoff["id"])
    return Action("todo", f"📝 Hand-off #{handoff['id']} is on the to-do list as #{todo_id}.", number=todo_id,
                  question=handoff_question(handoff), count=1, handoff_id=handoff["id"])


def handoff_nearest_entry(engine: AnswerEngine, handoff: dict[str, Any]) -> str | None:
    """The entry a hand-off's question is closest to (its declined answer's, or the best match now)."""
    entry = handoff["entry_id"]
    if entry is None:
        near = closest_entries(engine, handoff_question(handoff), limit=1)
        entry = near[0][0] if near else None
    return entry if entry in engine.kb.entries else None


# ---------------------------------------------------------------- broadcasts within a scope

def resolve_segment(kb: KnowledgeBase, scope: Scope | None, raw: str) -> tuple[str | None, str]:
    """('district:hathras', '') for what the admin wrote, or (None, why not).

    Names and ids in any case ('district:Hathras', 'District:हाथरस'); an unknown district or sector is an
    error, never a broadcast to everybody. District staff reach only their districts' subscribers:
    'all' means their district, and another district or a sector is refused. ``scope`` None: the command line
    (a state admin).
    """
    import difflib

    from ..core.dialogue import find_district

    kind, _, value = raw.strip().partition(":")
    kind, value = kind.strip().lower(), value.strip()
    own = None if scope is None or scope.state_admin else sorted(scope.districts or ())
    if kind == "all" and not value:
        if own is None:
            return "all", ""
        if len(own) == 1:
            return f"district:{own[0]}", ""
        return None, "you serve several districts: write district:<id>, one of " + ", ".join(own)
    if kind == "district":
        found = kb.districts.get(value.lower()) or find_district(kb, value)
        if found is None:
            return None, f"no district called '{value}' (use its name or id, e.g. district:hathras)"
        if own is not None and found.id not in own:
            return None, f"you can broadcast only to your district(s): {', '.join(own)}"
        return f"district:{found.id}", ""
    if kind == "sector":
        if own is not None:
            return None, "district staff broadcast to their district only (district:<id> or all)"
        sector = value.lower()
        if sector not in kb.sectors:
            close = difflib.get_close_matches(sector, list(kb.sectors), n=1)
            hint = f" (did you mean 'sector:{close[0]}'?)" if close else f" (known: {', '.join(sorted(kb.sectors))})"
            return None, f"no sector '{value}'{hint}"
        return f"sector:{sector}", ""
    return None, f"'{raw}' is not a segment: use all, district:<id> or sector:<id>"
