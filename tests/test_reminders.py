"""Event reminders and broadcasts: on time, never at night, within the rate limits, never twice, never lost."""
from __future__ import annotations

import asyncio
import shutil
from datetime import date, datetime

import pytest
from telegram import Bot

from bot.services.outbox import Broadcaster
from bot.core.dialogue import Dialogue, Incoming, UserState
from bot.core.events import IST, ics
from bot.core.knowledge import load_knowledge
from bot.services.pacer import Pacer
from bot.core.reminders import ReminderSettings, Subscriber, due_now, reminders_between, wants
from bot.channels.telegram.sender import TelegramSender
from bot.channels.whatsapp.sender import WhatsAppSender
from bot.store import Store
from bot.channels.whatsapp.client import WhatsAppClient

from .conftest import KNOWLEDGE
from .fakes.graph_api import FakeGraphAPI
from .fakes.telegram_api import FakeBotAPI

TOKEN = "321:REMIND"
EVENTS = """events:
  - id: camp-hathras
    title: {en: "IEC camp, Hathras", hi: "IEC कैंप, हाथरस"}
    description: {en: "Get your Import Export Code.", hi: "अपना आयात निर्यात कोड बनवाएँ।"}
    start: 2027-01-15
    place: {en: "DIC office, Hathras", hi: "ज़िला उद्योग केंद्र, हाथरस"}
    audience: {districts: [hathras]}
    recurrence: {every: "3 months", until: 2027-12-31}
    example: true
    source: "000_c1e05fc8fe4c4404.txt §8"
  - id: leather-fair
    title: {en: "Leather fair", hi: "चमड़ा मेला"}
    start: 2027-02-10
    end: 2027-02-12
    registration_deadline: 2027-01-20
    audience: {sectors: [leather]}
    source: "001_d5a0bd73c2c85799.txt §8"
  - id: trade-show
    title: {en: "UP International Trade Show", hi: "यूपी इंटरनेशनल ट्रेड शो"}
    start: 2027-01-25
    time: "10:30"
    source: "003_1bf44794b0f16cac.txt (e)"
"""


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=IST)


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    directory = tmp_path_factory.mktemp("kb") / "knowledge"
    shutil.copytree(KNOWLEDGE, directory)
    (directory / "events.yaml").write_text(EVENTS, encoding="utf-8")
    return load_knowledge(directory)


SETTINGS = ReminderSettings()


# ---------------------------------------------------------------- the calendar, pure

def test_reminders_are_due_at_ten_ist_seven_and_one_day_before(kb):
    found = reminders_between(kb.events, at("2027-01-01T00:00"), at("2027-01-31T23:59"), SETTINGS)
    keys = [(d.key, d.due_at.isoformat()) for d in found]
    assert ("camp-hathras@2027-01-15:start-7d", "2027-01-08T10:00:00+05:30") in keys
    assert ("camp-hathras@2027-01-15:start-1d", "2027-01-14T10:00:00+05:30") in keys
    assert ("leather-fair@2027-02-10:deadline-2d", "2027-01-18T10:00:00+05:30") in keys
    assert ("trade-show@2027-01-25:start-7d", "2027-01-18T10:00:00+05:30") in keys


def test_recurrence_expands_quarterly(kb):
    camp = next(e for e in kb.events if e.id == "camp-hathras")
    starts = [o.start for o in camp.occurrences(date(2027, 1, 1), date(2027, 12, 31))]
    assert starts == [date(2027, 1, 15), date(2027, 4, 15), date(2027, 7, 15), date(2027, 10, 15)]


def test_never_at_night_and_late_rather_than_never(kb):
    assert due_now(kb.events, at("2027-01-08T22:00"), SETTINGS) == []          # quiet hours
    assert due_now(kb.events, at("2027-01-09T07:59"), SETTINGS) == []
    morning = [d.key for d in due_now(kb.events, at("2027-01-09T08:00"), SETTINGS)]
    assert "camp-hathras@2027-01-15:start-7d" in morning                    # missed at night, sent next morning
    after_start = [d.key for d in due_now(kb.events, at("2027-01-16T10:00"), SETTINGS)]
    assert not any(k.startswith("camp-hathras@2027-01-15") for k in after_start)


def test_audiences(kb):
    camp, fair, show = (next(e for e in kb.events if e.id == i) for i in ("camp-hathras", "leather-fair", "trade-show"))
    hathras = Subscriber("telegram", "1", "en", "hathras", "textiles", "district")
    kanpur_leather = Subscriber("telegram", "2", "en", "kanpur-nagar", "leather", "sector")
    everything = Subscriber("telegram", "3", "en", None, None, "all")
    nothing = Subscriber("telegram", "4", "en", "hathras", "leather", "none")
    follower = Subscriber("telegram", "5", "en", None, None, "none", follows=frozenset({"leather-fair"}))
    assert [wants(s, camp) for s in (hathras, kanpur_leather, everything, nothing, follower)] == \
        [True, False, True, False, False]
    assert [wants(s, fair) for s in (hathras, kanpur_leather, everything, nothing, follower)] == \
        [False, True, True, False, True]
    assert [wants(s, show) for s in (hathras, kanpur_leather, everything, nothing, follower)] == \
        [True, True, True, False, False]


def test_ics_file(kb):
    show = next(e for e in kb.events if e.id == "trade-show")
    (occurrence,) = show.occurrences(date(2027, 1, 1), date(2027, 12, 31))
    text = ics(occurrence, "hi", now=datetime(2026, 11, 22, tzinfo=IST)).decode()
    assert "BEGIN:VEVENT" in text and "DTSTART:20270125T050000Z" in text
    assert "SUMMARY:यूपी इंटरनेशनल ट्रेड शो" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))


def test_events_menu_lists_with_remind_me_and_ics(kb):
    from bot.core.answers import AnswerEngine

    dialogue = Dialogue(AnswerEngine(kb), today=lambda: date(2027, 1, 1))
    turn = dialogue.handle(UserState(lang="en", district="hathras"), Incoming("command", "events"))
    (listing,) = turn.replies
    assert listing.text.splitlines()[:3] == [
        "Upcoming events for you (press one for details and a calendar file):",
        "1. 15 Jan 2027: IEC camp, Hathras (example date: confirm with your DIC)",
        "2. 25 Jan 2027: UP International Trade Show"]
    detail = dialogue.handle(UserState(lang="en"), Incoming("button", listing.buttons[0][0].data)).replies[0]
    assert detail.text.startswith("IEC camp, Hathras\nWhen: 15 Jan 2027 (example date: confirm with your DIC)\n")
    assert detail.attachment is not None and detail.attachment[0] == "camp-hathras-20270115.ics"
    assert detail.buttons[0][0].data == "rm:camp-hathras"
    remind = dialogue.handle(UserState(lang="hi"), Incoming("button", "rm:camp-hathras"))
    assert remind.follow == "camp-hathras"
    assert remind.replies[0].text == "ठीक है: \"IEC कैंप, हाथरस\" शुरू होने से पहले मैं आपको याद दिलाऊँगा।"


# ---------------------------------------------------------------- delivery through the Bot API double

async def no_sleep(_: float) -> None:
    return None


class Setup:
    def __init__(self, kb, store: Store, fake: FakeBotAPI, limit: int = 30, window: float = 1.0):
        self.store, self.fake = store, fake
        self.bot = Bot(TOKEN, base_url=fake.base_url)
        self.broadcaster = Broadcaster(store, lambda: kb, {"telegram": TelegramSender(self.bot)},
                                       {"telegram": Pacer(limit, window=window, per_chat=window)}, SETTINGS)

    async def user(self, chat: int, **state) -> None:
        await self.store.save_user("telegram", str(chat), UserState(**state))


@pytest.fixture
async def env(kb, tmp_path):
    async with FakeBotAPI(token=TOKEN) as fake:
        store = await Store(tmp_path / "r.sqlite3").open()
        setup = Setup(kb, store, fake)
        await setup.bot.initialize()
        yield setup
        await setup.bot.shutdown()
        await store.close()


async def test_reminder_sent_once_to_the_right_people(env):
    await env.user(1, lang="en", district="hathras", subscription="district")
    await env.user(2, lang="hi", district="hathras", subscription="all")
    await env.user(3, lang="en", district="agra", subscription="district")
    await env.user(4, lang="en", district="hathras", subscription="none")
    report = await env.broadcaster.run_due(at("2027-01-08T10:00"))
    assert report.sent == 2
    assert {m["chat_id"] for m in env.fake.sent} == {1, 2}
    english = next(m["text"] for m in env.fake.sent if m["chat_id"] == 1)
    assert english == ("⏰ Reminder: IEC camp, Hathras starts on 15 Jan 2027 (in 7 days).\n"
                       "Where: DIC office, Hathras\n(example date: confirm with your DIC)\n"
                       "Details: /events · Stop reminders: /stop")
    hindi = next(m["text"] for m in env.fake.sent if m["chat_id"] == 2)
    assert hindi.startswith("⏰ याद दिलाना: IEC कैंप, हाथरस 15 जनवरी 2027 को शुरू होगा (7 दिन बाद)।")
    again = await env.broadcaster.run_due(at("2027-01-08T10:05"))
    assert again.sent == 0 and len(env.fake.sent) == 2
    rows = await env.store.outbox_rows()
    assert sorted((r.chat_id, r.state) for r in rows) == [("1", "sent"), ("2", "sent")]


async def test_nothing_goes_at_night(env):
    await env.user(1, lang="en", district="hathras", subscription="district")
    report = await env.broadcaster.run_due(at("2027-01-08T21:30"))
    assert report.sent == 0 and env.fake.sent == []
    report = await env.broadcaster.run_due(at("2027-01-09T08:00"))
    assert report.sent == 1


async def test_pause_edit_resume_cancel(env):
    await env.user(1, lang="en", district="hathras", subscription="district")
    await env.broadcaster.plan(at("2027-01-01T10:00"))
    campaigns = {c.key: c.id for c in await env.store.campaigns()}
    week, day = campaigns["camp-hathras@2027-01-15:start-7d"], campaigns["camp-hathras@2027-01-15:start-1d"]
    assert await env.store.set_campaign_status(week, "paused", only_from=("scheduled", "active"))
    await env.broadcaster.run_due(at("2027-01-08T10:00"))
    assert env.fake.sent == []
    await env.store.set_campaign_text(week, "Camp next week: bring your PAN card.", "अगले हफ़्ते कैंप: PAN कार्ड लाएँ।")
    await env.store.set_campaign_status(week, "scheduled", only_from=("paused",))
    await env.broadcaster.run_due(at("2027-01-08T11:00"))
    assert [m["text"] for m in env.fake.sent] == ["Camp next week: bring your PAN card."]
    await env.store.set_campaign_status(day, "cancelled")
    await env.broadcaster.run_due(at("2027-01-14T10:00"))
    assert len(env.fake.sent) == 1
    await env.store.set_campaign_text(week, "changed again", "फिर बदला")
    await env.broadcaster.run_due(at("2027-01-08T12:00"))      # nothing already sent is resent
    assert len(env.fake.sent) == 1


async def test_stop_removes_a_subscriber(env):
    await env.user(1, lang="en", district="hathras", subscription="none")
    await env.store.follow_event("telegram", "1", "camp-hathras")
    await env.store.unfollow_all("telegram", "1")                       # what /stop does
    await env.broadcaster.run_due(at("2027-01-08T10:00"))
    assert env.fake.sent == []


async def test_blocked_user_is_skipped_and_marked(env):
    await env.user(1, lang="en", district="hathras", subscription="district")
    await env.user(2, lang="en", district="hathras", subscription="district")
    env.fake.fail_next("sendMessage", chat_id=1, code=403, description="Forbidden: bot was blocked by the user")
    report = await env.broadcaster.run_due(at("2027-01-08T10:00"))
    assert (report.sent, report.blocked) == (1, 1)
    assert (await env.store.get_user("telegram", "1")).blocked
    report = await env.broadcaster.run_due(at("2027-01-14T10:00"))      # the next reminder skips them
    assert report.sent == 1
    states = {(r.campaign_id, r.chat_id): r.state for r in await env.store.outbox_rows()}
    assert sorted(states.values()) == ["sent", "sent", "skipped_blocked", "skipped_blocked"]


async def test_retry_after_is_honoured(env):
    await env.user(1, lang="en", district="hathras", subscription="district")
    env.fake.fail_next("sendMessage", code=429, retry_after=1, times=2)
    report = await env.broadcaster.run_due(at("2027-01-08T10:00"))
    assert report.sent == 1 and len(env.fake.sent) == 1
    assert len([c for c in env.fake.call_log if c["method"].lower() == "sendmessage"]) == 3


async def test_crash_mid_broadcast_then_restart(env, kb):
    for chat in range(1, 21):
        await env.user(chat, lang="en", subscription="all")
    campaign_id, counts = await env.broadcaster.create_broadcast("Fair registration opens today.", "all", "test",
                                                                 at("2027-01-05T10:00"))
    assert counts == {"telegram": 20}
    assert await env.broadcaster.confirm_broadcast(campaign_id) == 20
    rows = await env.store.outbox_rows(campaign_id)
    # As if killed: 5 sent, the 6th caught between 'sending' and the answer, the rest still queued.
    for row in rows[:5]:
        await env.bot.send_message(int(row.chat_id), "Fair registration opens today.")
        await env.store.outbox_mark(row.id, "sent")
    await env.store.outbox_mark(rows[5].id, "sending", attempt=True)
    again = Setup(kb, env.store, env.fake)
    await again.bot.initialize()
    restarted = again.broadcaster
    uncertain = await restarted.recover()
    assert [r.chat_id for r in uncertain] == [rows[5].chat_id]
    report = await restarted.deliver(campaign_id=campaign_id)
    assert (report.sent, report.left) == (14, 0)
    received = [m["chat_id"] for m in env.fake.sent]
    assert len(received) == len(set(received)) == 19           # nobody twice
    assert set(range(1, 21)) - set(received) == {int(rows[5].chat_id)}   # the one missing is reported
    assert (await env.store.outbox_counts(campaign_id)) == {"sent": 19, "uncertain": 1}
    await again.bot.shutdown()


async def test_whatsapp_window_closed_uses_the_template_or_is_skipped(kb, tmp_path):
    async with FakeGraphAPI(token="EAAtest", phone_number_id="1234567890") as fake:
        store = await Store(tmp_path / "wa.sqlite3").open()
        client = WhatsAppClient(fake.base_url, "1234567890", "EAAtest", sleep=no_sleep)
        recent, old = "919800000001", "919800000002"
        await store.save_user("whatsapp", recent, UserState(lang="en", district="hathras", subscription="district"))
        await store.save_user("whatsapp", old, UserState(lang="en", district="hathras", subscription="district"))
        await store.db.execute("UPDATE users SET last_inbound_at = last_inbound_at - 90000 WHERE chat_id = ?", (old,))
        await store.db.commit()
        for templates, expected in (({}, "skipped_window_closed"), ({"*": ("event_reminder", "en")}, "sent")):
            sender = WhatsAppSender(client, store, templates)
            broadcaster = Broadcaster(store, lambda: kb, {"whatsapp": sender}, {"whatsapp": Pacer(80)}, SETTINGS)
            day = "2027-01-08T10:00" if not templates else "2027-01-14T10:00"
            await broadcaster.run_due(at(day))
            rows = {r.chat_id: r.state for r in await store.outbox_rows() if r.campaign_id ==
                    max(x.campaign_id for x in await store.outbox_rows())}
            assert rows == {recent: "sent", old: expected}
        kinds = [(m["to"], m["type"]) for m in fake.sent]
        assert kinds == [(recent, "text"), (recent, "text"), (old, "template")]
        assert fake.sent[-1]["template"] == ("event_reminder", "en")
        await client.aclose()
        await store.close()


async def test_pacer_counts_a_send_until_it_finished():
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = Pacer(3, window=1.0, per_chat=1.0, clock=lambda: now[0], sleep=sleep)
    starts = []
    for i in range(7):
        slot = await pacer.wait(f"chat{i}")
        starts.append(now[0])
        now[0] += 0.1                      # the request takes 100 ms
        pacer.done(slot)
    # three per window, each window counted from the finish of the send it replaces
    assert starts[:3] == [0.0, 0.1, 0.2]
    assert starts[3] >= 0.1 + 1.0 and starts[6] >= starts[3] + 1.1
    slot = await pacer.wait("chat6")       # the same chat again: a second apart
    assert now[0] - starts[6] >= 1.0


async def test_pacer_never_lets_more_than_the_limit_through_in_any_window():
    """10,000 sends to 3,000 chats on a fake clock: no window of `window` seconds holds more than `limit`."""
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    limit, window = 30, 1.0
    pacer = Pacer(limit, window=window, per_chat=window, clock=lambda: now[0], sleep=sleep)
    starts: list[float] = []
    last_to: dict[str, float] = {}
    for i in range(10_000):
        chat = f"chat{i % 3000}"
        slot = await pacer.wait(chat)
        starts.append(now[0])
        assert now[0] - last_to.get(chat, -window) >= window       # one a window per chat
        last_to[chat] = now[0]
        now[0] += 0.004                     # the request takes 4 ms
        pacer.done(slot)
    first = 0
    for last, moment in enumerate(starts):
        while moment - starts[first] >= window:
            first += 1
        assert last - first + 1 <= limit
    # and it is not needlessly slow: close to the limit (each slot frees one window after its send finished)
    assert starts[-1] <= 10_000 / limit * (window + 0.004) * 1.01


async def test_stop_after_queueing_still_stops(env):
    for chat in (1, 2):
        await env.user(chat, lang="en", subscription="all")
    campaign_id, _ = await env.broadcaster.create_broadcast("News", "all", "t", at("2027-01-05T10:00"))
    await env.broadcaster.confirm_broadcast(campaign_id)
    await env.store.save_user("telegram", "2", UserState(lang="en", subscription="none"))     # /stop meanwhile
    report = await env.broadcaster.deliver(campaign_id=campaign_id)
    assert (report.sent, report.stopped) == (1, 1)
    assert [m["chat_id"] for m in env.fake.sent] == [1]
    assert sorted(r.state for r in await env.store.outbox_rows(campaign_id)) == ["sent", "skipped_stopped"]


async def test_shutdown_mid_broadcast_leaves_the_rest_queued(kb, tmp_path):
    async with FakeBotAPI(token=TOKEN) as fake:
        store = await Store(tmp_path / "stop.sqlite3").open()
        setup = Setup(kb, store, fake, limit=10, window=0.2)
        await setup.bot.initialize()
        for chat in range(1, 41):
            await setup.user(chat, lang="en", subscription="all")
        campaign_id, _ = await setup.broadcaster.create_broadcast("News", "all", "t", at("2027-01-05T10:00"))
        await setup.broadcaster.confirm_broadcast(campaign_id)
        task = asyncio.create_task(setup.broadcaster.deliver(campaign_id=campaign_id))
        await fake.wait_for_sent(5, timeout=10)
        setup.broadcaster.stopping.set()
        await asyncio.wait_for(task, 10)
        counts = await store.outbox_counts(campaign_id)
        assert set(counts) <= {"sent", "queued"} and counts["sent"] == len(fake.sent) and counts["queued"] > 0
        await setup.bot.shutdown()
        await store.close()


async def test_a_rate_limited_whatsapp_broadcast_is_retried_by_the_outbox_alone(kb, tmp_path):
    """Only the outbox retries a rate limit (pausing the channel); the client sends each request once."""
    async with FakeGraphAPI(token="EAAtest", phone_number_id="1234567890") as fake:
        store = await Store(tmp_path / "wa-rate.sqlite3").open()
        client = WhatsAppClient(fake.base_url, "1234567890", "EAAtest", sleep=no_sleep)
        await store.save_user("whatsapp", "919800000001", UserState(lang="en", subscription="all"))
        sender = WhatsAppSender(client, store, {})
        now = [0.0]

        async def wait(seconds: float) -> None:      # the pacer's clock: a hold passes at once
            now[0] += seconds

        pacer = Pacer(80, window=0.01, per_chat=0.01, clock=lambda: now[0], sleep=wait)
        broadcaster = Broadcaster(store, lambda: kb, {"whatsapp": sender}, {"whatsapp": pacer}, SETTINGS)
        campaign_id, _ = await broadcaster.create_broadcast("News", "all", "t", at("2027-01-05T10:00"))
        await broadcaster.confirm_broadcast(campaign_id)
        fake.fail_next(130429, times=2)
        report = await broadcaster.deliver(campaign_id=campaign_id)
        assert report.sent == 1 and len(fake.sent) == 1
        assert len(fake.call_log) == 3                     # two rate-limited tries and the one that went
        assert (await store.outbox_rows(campaign_id))[0].attempts == 3      # each try was the outbox's
        assert now[0] >= 4.0                               # and each paused the channel for the platform's wait
        await client.aclose()
        await store.close()


async def test_with_telegram_only_whatsapp_rows_are_skipped_and_campaigns_finish(env, kb):
    await env.user(1, lang="en", district="hathras", subscription="all")
    await env.store.save_user("whatsapp", "919800000001", UserState(lang="en", district="hathras", subscription="all"))
    campaign_id, counts = await env.broadcaster.create_broadcast("News", "all", "t", at("2027-01-05T10:00"))
    assert counts == {"telegram": 1, "whatsapp": 1}
    await env.broadcaster.confirm_broadcast(campaign_id)
    queue_only = Broadcaster(env.store, lambda: kb, {}, {}, SETTINGS)      # no channel here: nothing is skipped
    assert (await queue_only.deliver(campaign_id=campaign_id)).left == 2
    assert (await env.store.campaign(campaign_id)).status == "active"
    report = await env.broadcaster.deliver(campaign_id=campaign_id)
    assert (report.sent, report.no_channel, report.left) == (1, 1, 0)
    assert sorted(r.state for r in await env.store.outbox_rows(campaign_id)) == ["sent", "skipped_no_channel"]
    assert (await env.store.campaign(campaign_id)).status == "done"
    assert (await env.store.tally(campaign_id)).line() == \
        "sent 1 · failed 0 · skipped 1 (no channel 1) · uncertain 0 · left 0"
    report = await env.broadcaster.run_due(at("2027-01-08T10:00"))      # a reminder, the same way
    reminders = [c for c in await env.store.campaigns() if c.kind == "reminder" and c.queued_at is not None]
    assert reminders and all(c.status == "done" for c in reminders)
    assert report.no_channel == len(reminders) and report.left == 0
