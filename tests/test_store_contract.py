"""The store's contract: every method, through the store's own interface only (no SQL here).

Every store runs this same suite: SQLite, and PostgreSQL (on the run's throwaway server; skipped, and said so,
where PostgreSQL is not installed).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from bot.core.campaigns import Campaign, CampaignStatus, OutboxRow, OutboxState
from bot.core.dialogue import Logged, UserState
from bot.core.reminders import Subscriber
from bot.store import Store

from . import pgserver


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def postgres(directory: Path, clock: Clock) -> Any:
    from bot.store_pg import PgStore

    return PgStore(pgserver.database_url(str(directory)), clock=clock)


STORES: dict[str, Callable[[Path, Clock], Any]] = {
    "sqlite": lambda directory, clock: Store(directory / "contract.sqlite3", clock=clock),
    "postgresql": postgres,
}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=sorted(STORES))
async def store(request, tmp_path, clock):
    opened = await STORES[request.param](tmp_path, clock).open()
    yield opened
    await opened.close()


# ---------------------------------------------------------------- life cycle

@pytest.mark.parametrize("kind", sorted(STORES))
async def test_what_is_saved_is_there_after_reopening(kind, tmp_path, clock):
    async with STORES[kind](tmp_path, clock) as first:
        await first.save_user("telegram", "1", UserState(lang="hi"))
    async with STORES[kind](tmp_path, clock) as second:
        record = await second.get_user("telegram", "1")
        assert record is not None and record.state == UserState(lang="hi")


# ---------------------------------------------------------------- users

async def test_a_user_is_created_updated_and_read_back(store, clock):
    assert await store.get_user("telegram", "1") is None
    await store.save_user("telegram", "1", UserState(lang="en", district="agra", step="product"))
    clock.now += 60
    await store.save_user("telegram", "1", UserState(lang="hi", district="agra", sector="leather",
                                                      product="leather-shoes", subscription="district"))
    record = await store.get_user("telegram", "1")
    assert record is not None
    assert (record.channel, record.chat_id, record.blocked) == ("telegram", "1", False)
    assert record.state == UserState(lang="hi", district="agra", sector="leather", product="leather-shoes",
                                     subscription="district")
    assert (record.first_seen, record.last_seen) == (1_000_000.0, 1_000_060.0)
    assert await store.get_user("whatsapp", "1") is None           # channels are apart


async def test_blocked_until_the_user_writes_again(store):
    await store.set_blocked("telegram", "2", True)                  # known only from a failed send
    record = await store.get_user("telegram", "2")
    assert record is not None and record.blocked
    await store.save_user("telegram", "2", UserState(lang="en"), inbound=False)
    assert (await store.get_user("telegram", "2")).blocked          # saving without a message keeps the block
    await store.save_user("telegram", "2", UserState(lang="en"))
    assert not (await store.get_user("telegram", "2")).blocked
    await store.set_blocked("telegram", "2", True)
    await store.set_blocked("telegram", "2", False)
    assert not (await store.get_user("telegram", "2")).blocked


# ---------------------------------------------------------------- updates and the webhook inbox

async def test_an_update_is_claimed_once_unless_released(store):
    assert await store.claim_update("telegram", 10)
    assert not await store.claim_update("telegram", 10)
    assert not await store.claim_update("telegram", "10")           # ids are compared as text
    assert await store.claim_update("whatsapp", 10)
    await store.release_update("telegram", 10)
    assert await store.claim_update("telegram", 10)


async def test_the_inbox_keeps_each_message_once_in_order_until_done(store, clock):
    assert await store.inbox_add("whatsapp", "wamid.1", "91", '{"n": 1}')
    clock.now += 1
    assert await store.inbox_add("whatsapp", "wamid.2", "92", '{"n": 2}')
    assert not await store.inbox_add("whatsapp", "wamid.1", "91", '{"n": 1}')
    assert await store.inbox_pending("whatsapp") == [("wamid.1", "91", '{"n": 1}'), ("wamid.2", "92", '{"n": 2}')]
    assert await store.inbox_pending("whatsapp", limit=1) == [("wamid.1", "91", '{"n": 1}')]
    assert await store.inbox_pending("telegram") == []
    await store.inbox_done("whatsapp", "wamid.1")
    assert await store.inbox_pending("whatsapp") == [("wamid.2", "92", '{"n": 2}')]


async def test_a_turn_saves_the_state_the_question_feedback_follows_and_the_replies_together(store, clock):
    assert await store.inbox_add("telegram", "u1", "5", '{"n": 1}')
    replies = '{"chat_id": "5", "replies": [{"text": "HS code 6403", "buttons": [], "attachment": null}]}'
    await store.save_turn("telegram", "5", UserState(lang="en", district="agra"),
                          logged=Logged("HS code for shoes", "en", "hs-6403", 0.9, "answer"), follow="camp-hathras",
                          replies=("u1", replies))
    record = await store.get_user("telegram", "5")
    assert record is not None and record.state == UserState(lang="en", district="agra")
    asked = await store.last_question("telegram", "5")
    assert asked is not None and (asked["text"], asked["entry_id"], asked["feedback"]) == ("HS code for shoes",
                                                                                            "hs-6403", None)
    assert {(s.chat_id, s.follows) for s in await store.subscribers()} == {("5", frozenset({"camp-hathras"}))}
    (row,) = await store.inbox_due("telegram")
    assert (row.message_id, row.replies, row.sent) == ("u1", replies, 0)
    clock.now += 1
    await store.save_turn("telegram", "5", UserState(lang="en", district="agra", step="fb_note"),
                          feedback=("hs-6403", False))
    clock.now += 1
    await store.save_turn("telegram", "5", UserState(lang="en", district="agra"), note="export subsidy", stop=True)
    asked = await store.last_question("telegram", "5")
    assert asked is not None and (asked["feedback"], asked["note"]) == (0, "export subsidy")
    assert await store.subscribers() == []
    record = await store.get_user("telegram", "5")
    assert record is not None and record.state.step is None


async def test_a_plain_turn_saves_the_state_with_or_without_a_question_and_replies(store, clock):
    """The turns nearly every message makes (state; question; replies; no feedback, follow, note or stop)."""
    for n in (1, 2, 3):
        assert await store.inbox_add("telegram", f"p{n}", "7", "{}")
    replies = '{"chat_id": "7", "replies": []}'
    await store.save_turn("telegram", "7", UserState(lang="hi", district="agra", step="ask_district"))
    await store.save_turn("telegram", "7", UserState(lang="hi", district="agra"), replies=("p1", replies))
    clock.now += 1
    await store.save_turn("telegram", "7", UserState(lang="hi", district="agra", product="leather-shoes"),
                          logged=Logged("joote ka hs code", "hi", "hs-6403", 0.8, "answer"))
    clock.now += 1
    await store.save_turn("telegram", "7", UserState(lang="en", district="agra", product="leather-shoes"),
                          logged=Logged("brass export", "en", None, 0.1, "refuse"), replies=("p3", replies))
    record = await store.get_user("telegram", "7")
    assert record is not None
    assert record.state == UserState(lang="en", district="agra", product="leather-shoes")
    assert (record.first_seen, record.last_seen) == (1_000_000.0, 1_000_002.0)
    assert [(q["text"], q["lang"], q["entry_id"], q["score"], q["outcome"], q["asked_at"])
            for q in await store.asked(0)] == [("joote ka hs code", "hi", "hs-6403", 0.8, "answer", 1_000_001.0),
                                               ("brass export", "en", None, 0.1, "refuse", 1_000_002.0)]
    rows = {r.message_id: r for r in await store.inbox_due("telegram")}
    assert [(rows[m].replies, rows[m].sent) for m in ("p1", "p2", "p3")] == [(replies, 0), (None, 0), (replies, 0)]


# ---------------------------------------------------------------- the 24-hour window

async def test_the_window_opens_with_a_message_and_closes_after_a_day_or_when_told(store, clock):
    assert not await store.window_open("whatsapp", "91")           # unknown user
    await store.save_user("whatsapp", "91", UserState())
    assert await store.window_open("whatsapp", "91")
    clock.now += 23 * 3600
    assert await store.window_open("whatsapp", "91")
    clock.now += 2 * 3600
    assert not await store.window_open("whatsapp", "91")
    await store.save_user("whatsapp", "91", UserState())            # writes again
    assert await store.window_open("whatsapp", "91")
    clock.now += 1
    await store.mark_window_closed("whatsapp", "91")               # a send said 131047
    assert not await store.window_open("whatsapp", "91")
    clock.now += 1
    await store.save_user("whatsapp", "91", UserState())
    assert await store.window_open("whatsapp", "91")
    await store.record_status("whatsapp", "wamid.9", "91", "failed", 131047)   # recorded, never an error


# ---------------------------------------------------------------- subscribers and follows

async def test_subscribers_are_those_who_chose_reminders_or_follow_an_event(store):
    await store.save_user("telegram", "1", UserState(lang="hi", district="agra", subscription="all"))
    await store.save_user("telegram", "2", UserState(lang="en", subscription="none"))
    await store.save_user("whatsapp", "3", UserState(sector="leather", subscription="sector"))
    await store.save_user("terminal", "local", UserState(subscription="all"))        # never a recipient
    await store.save_user("telegram", "4", UserState(lang="en"))
    await store.follow_event("telegram", "4", "camp-hathras")
    await store.follow_event("telegram", "4", "camp-hathras")                        # once
    await store.set_blocked("telegram", "1", True)
    found = {(s.channel, s.chat_id): s for s in await store.subscribers()}
    assert found == {
        ("telegram", "1"): Subscriber("telegram", "1", "hi", "agra", None, "all", True),
        ("whatsapp", "3"): Subscriber("whatsapp", "3", "en", None, "leather", "sector", False),
        ("telegram", "4"): Subscriber("telegram", "4", "en", None, None, None, False, frozenset({"camp-hathras"})),
    }
    await store.unfollow_all("telegram", "4")
    assert ("telegram", "4") not in {(s.channel, s.chat_id) for s in await store.subscribers()}


async def test_reachable_says_why_a_queued_message_must_not_go(store):
    assert await store.reachable("telegram", "9", "broadcast", None) is None          # unknown: let it go
    await store.save_user("telegram", "1", UserState(subscription="all"))
    assert await store.reachable("telegram", "1", "broadcast", None) is None
    await store.set_blocked("telegram", "1", True)
    assert await store.reachable("telegram", "1", "broadcast", None) == OutboxState.SKIPPED_BLOCKED
    await store.save_user("telegram", "2", UserState(subscription="none"))
    assert await store.reachable("telegram", "2", "reminder", "camp") == OutboxState.SKIPPED_STOPPED
    await store.follow_event("telegram", "2", "camp")
    assert await store.reachable("telegram", "2", "reminder", "camp") is None
    assert await store.reachable("telegram", "2", "reminder", "fair") == OutboxState.SKIPPED_STOPPED


# ---------------------------------------------------------------- campaigns

async def test_a_campaign_is_created_once_and_read_back_as_a_record(store, clock):
    first = await store.upsert_campaign("camp@2027-01-15:start-7d", "reminder", 2_000_000.0, CampaignStatus.SCHEDULED,
                                        event_id="camp", occurrence="2027-01-15", offset_kind="start-7d")
    again = await store.upsert_campaign("camp@2027-01-15:start-7d", "reminder", 2_000_000.0, CampaignStatus.SCHEDULED)
    assert first == again
    campaign = await store.campaign(first)
    assert campaign == Campaign(first, "camp@2027-01-15:start-7d", "reminder", "camp", "2027-01-15", "start-7d", None,
                                2_000_000.0, CampaignStatus.SCHEDULED, None, None, None, 1_000_000.0, None)
    assert isinstance(campaign.status, CampaignStatus)
    assert await store.campaign(first + 1000) is None
    later = await store.upsert_campaign("broadcast:1", "broadcast", 3_000_000.0, CampaignStatus.DRAFT, segment="all",
                                        text_en="Hello", text_hi="नमस्ते", created_by="cli")
    assert [c.id for c in await store.campaigns()] == [first, later]                   # by due time
    assert [c.id for c in await store.campaigns((CampaignStatus.DRAFT,))] == [later]
    assert [c.id for c in await store.campaigns(since=2_500_000.0)] == [later]


async def test_campaign_status_and_text_change_only_from_the_allowed_states(store):
    cid = await store.upsert_campaign("k", "reminder", 1.0, CampaignStatus.SCHEDULED, text_en="a", text_hi="अ")
    assert not await store.set_campaign_status(cid, CampaignStatus.SCHEDULED, only_from=(CampaignStatus.PAUSED,))
    assert await store.set_campaign_status(cid, CampaignStatus.PAUSED, only_from=(CampaignStatus.SCHEDULED,))
    assert (await store.campaign(cid)).status == CampaignStatus.PAUSED
    assert await store.set_campaign_text(cid, "b", None)                              # None keeps the Hindi
    assert ((await store.campaign(cid)).text_en, (await store.campaign(cid)).text_hi) == ("b", "अ")
    assert await store.set_campaign_status(cid, CampaignStatus.CANCELLED)
    assert not await store.set_campaign_text(cid, "c", "स")                           # no longer pending
    assert (await store.campaign(cid)).text_en == "b"


# ---------------------------------------------------------------- the outbox

async def queued_campaign(store: Any) -> int:
    cid = await store.upsert_campaign("b", "broadcast", 1.0, CampaignStatus.DRAFT, segment="all", text_en="Hi")
    added = await store.queue(cid, [("telegram", "1", "en", OutboxState.QUEUED), ("telegram", "2", "hi", OutboxState.QUEUED),
                                    ("whatsapp", "91", "en", OutboxState.QUEUED),
                                    ("telegram", "3", "en", OutboxState.SKIPPED_BLOCKED)])
    assert added == 4
    return cid


async def test_queue_adds_each_recipient_once_and_marks_the_campaign_queued(store, clock):
    cid = await queued_campaign(store)
    assert await store.queue(cid, [("telegram", "1", "en", OutboxState.QUEUED)]) == 0
    assert (await store.campaign(cid)).queued_at == 1_000_000.0
    rows = await store.outbox_rows(cid)
    assert all(isinstance(r, OutboxRow) and isinstance(r.state, OutboxState) for r in rows)
    assert [(r.channel, r.chat_id, r.lang, r.state, r.attempts) for r in rows] == [
        ("telegram", "1", "en", "queued", 0), ("telegram", "2", "hi", "queued", 0),
        ("whatsapp", "91", "en", "queued", 0), ("telegram", "3", "en", "skipped_blocked", 0)]
    assert await store.outbox_counts(cid) == {"queued": 3, "skipped_blocked": 1}
    assert await store.outbox_counts() == {"queued": 3, "skipped_blocked": 1}
    assert await store.outbox_rows(cid + 1) == []


async def test_only_rows_of_active_campaigns_are_queued_for_sending_and_claimed_once(store):
    cid = await queued_campaign(store)
    assert await store.queued("telegram") == []                                        # still a draft
    await store.set_campaign_status(cid, CampaignStatus.ACTIVE)
    rows = await store.queued("telegram")
    assert [r.chat_id for r in rows] == ["1", "2"]
    assert [r.chat_id for r in await store.queued("telegram", limit=1)] == ["1"]
    assert [r.chat_id for r in await store.queued("whatsapp", campaign_id=cid)] == ["91"]
    assert await store.queued("telegram", campaign_id=cid + 1) == []
    assert [r.chat_id for r in await store.queued("telegram", skip_reminders=True)] == ["1", "2"]   # a broadcast
    assert await store.claim(rows[0].id)
    assert not await store.claim(rows[0].id)                                            # taken already
    row = (await store.outbox_rows(cid))[0]
    assert (row.state, row.attempts) == (OutboxState.SENDING, 1)
    await store.set_campaign_status(cid, CampaignStatus.PAUSED)
    assert not await store.claim(rows[1].id)                                            # paused: nothing goes
    assert await store.queued("telegram") == []


async def test_reminder_rows_wait_in_quiet_hours(store):
    cid = await store.upsert_campaign("r", "reminder", 1.0, CampaignStatus.ACTIVE, event_id="camp")
    await store.queue(cid, [("telegram", "1", "en", OutboxState.QUEUED)])
    assert [r.chat_id for r in await store.queued("telegram")] == ["1"]
    assert await store.queued("telegram", skip_reminders=True) == []


async def test_marks_keep_what_they_are_not_given(store, clock):
    cid = await queued_campaign(store)
    row = (await store.outbox_rows(cid))[0]
    clock.now += 5
    await store.outbox_mark(row.id, OutboxState.QUEUED, error="network blip", attempt=True)
    await store.outbox_mark(row.id, OutboxState.SENT, message_id="m1")
    marked = (await store.outbox_rows(cid))[0]
    assert (marked.state, marked.error, marked.message_id, marked.attempts, marked.updated_at) == \
        (OutboxState.SENT, "network blip", "m1", 1, 1_000_005.0)


async def test_cancelling_drops_the_queued_rows_and_keeps_the_rest(store):
    cid = await queued_campaign(store)
    await store.set_campaign_status(cid, CampaignStatus.ACTIVE)
    first = (await store.outbox_rows(cid))[0]
    await store.outbox_mark(first.id, OutboxState.SENT)
    assert await store.set_campaign_status(cid, CampaignStatus.CANCELLED)
    assert await store.outbox_counts(cid) == {"sent": 1, "cancelled": 2, "skipped_blocked": 1}


async def test_rows_caught_sending_by_a_crash_become_uncertain(store):
    cid = await queued_campaign(store)
    await store.set_campaign_status(cid, CampaignStatus.ACTIVE)
    rows = await store.outbox_rows(cid)
    assert await store.claim(rows[1].id)
    uncertain = await store.recover_sending()
    assert [(r.id, r.chat_id) for r in uncertain] == [(rows[1].id, "2")]
    after = (await store.outbox_rows(cid))[1]
    assert after.state == OutboxState.UNCERTAIN and after.error == "the bot stopped while sending; not resent"
    assert await store.recover_sending() == []


# ---------------------------------------------------------------- the question log and admin reports

async def test_questions_feedback_stats_and_unanswered(store, clock):
    await store.save_user("telegram", "1", UserState(lang="hi", district="agra"))
    await store.save_user("whatsapp", "2", UserState(lang="en"))
    await store.log_question("telegram", "1", Logged("HS code for shoes", "en", "hs-6403", 0.9, "answer"))
    await store.log_question("telegram", "1", Logged("Tell me a joke", "en", None, 0.0, "off_topic"))
    clock.now -= 3 * 86400                                  # asked three days ago
    await store.log_question("whatsapp", "2", Logged("tell me a joke ", "en", None, 0.0, "refuse"))
    await store.log_question("whatsapp", "2", Logged("weather", "en", None, 0.1, "suggest"))
    clock.now -= 30 * 86400                                 # asked a month ago: not in the week
    await store.log_question("whatsapp", "2", Logged("old one", "en", None, 0.0, "refuse"))
    clock.now += 33 * 86400
    assert await store.record_feedback("telegram", "1", "hs-6403", True)
    assert not await store.record_feedback("telegram", "1", "hs-0000", False)
    assert await store.unanswered(since=clock.now - 7 * 86400) == [("tell me a joke", 2), ("weather", 1)]
    assert await store.unanswered(since=clock.now - 7 * 86400, limit=1) == [("tell me a joke", 2)]
    stats = await store.stats()
    assert stats == {"users": 2, "by_district": [(None, 1), ("agra", 1)], "by_lang": [("en", 1), ("hi", 1)],
                     "questions_today": 2, "questions_week": 4, "refused_week": 3, "helpful": 1, "not_helpful": 0}


async def test_stats_and_reports_scoped_to_districts(store, clock):
    await store.save_user("telegram", "1", UserState(lang="hi", district="agra"))
    await store.save_user("telegram", "2", UserState(lang="en", district="hathras"))
    await store.save_user("whatsapp", "3", UserState(lang="en", district="agra"))
    await store.log_question("telegram", "1", Logged("q1", "hi", None, 0.0, "refuse"))
    await store.log_question("telegram", "2", Logged("q2", "en", "hs-4201", 0.9, "answer"))
    await store.log_question("whatsapp", "3", Logged("q3", "en", "hs-4201", 0.9, "answer"))
    assert await store.record_feedback("whatsapp", "3", "hs-4201", False)
    stats = await store.stats(districts=frozenset({"agra"}))
    assert stats == {"users": 2, "by_district": [("agra", 2)], "by_lang": [("en", 1), ("hi", 1)],
                     "questions_today": 2, "questions_week": 2, "refused_week": 1, "helpful": 0, "not_helpful": 1}
    everyone = await store.stats()
    assert (everyone["users"], everyone["by_district"]) == (3, [("agra", 2), ("hathras", 1)])


# ---------------------------------------------------------------- the inbox, from stored to done

async def test_an_inbox_row_from_stored_to_done_with_a_retry_that_holds_back_the_same_chat(store, clock):
    assert await store.inbox_add("telegram", "1", "5", "{}")
    assert not await store.inbox_add("telegram", "1", "5", "{}")          # a redelivery
    assert await store.inbox_payload("telegram", "1") == "{}"
    assert await store.inbox_payload("telegram", "9") is None
    assert await store.inbox_add("telegram", "2", "5", "{}")
    assert await store.inbox_add("telegram", "3", "6", "{}")
    assert [r.message_id for r in await store.inbox_due("telegram")] == ["1", "2", "3"]
    assert [r.message_id for r in await store.inbox_due("telegram", limit=2)] == ["1", "2"]
    await store.inbox_set_replies("telegram", "1", '{"chat_id": "5", "replies": []}')
    await store.inbox_sent("telegram", "1", 1)
    await store.inbox_retry("telegram", "1", 4.0, "Telegram: NetworkError")
    due = await store.inbox_due("telegram")
    assert [r.message_id for r in due] == ["3"]                           # chat 5 waits behind its retry
    assert await store.inbox_next_due("telegram") == 1_000_004.0           # when the retry falls due
    clock.now += 5
    first = (await store.inbox_due("telegram"))[0]
    assert (first.channel, first.message_id, first.chat_id, first.received_at) == ("telegram", "1", "5", 1_000_000.0)
    assert (first.attempts, first.sent, first.replies) == (1, 1, '{"chat_id": "5", "replies": []}')
    await store.inbox_done("telegram", "1")
    await store.inbox_done("telegram", "2", "throttled")
    await store.inbox_done("telegram", "3", "failed", "a bug")
    assert await store.inbox_due("telegram") == []
    assert await store.inbox_counts("telegram") == {"done": 1, "throttled": 1, "failed": 1}
    assert await store.inbox_next_due("telegram") is None
    assert await store.inbox_add_bad("telegram", "9", "{}", "from.id is not an id")
    assert not await store.inbox_add_bad("telegram", "9", "{}", "from.id is not an id")
    assert await store.inbox_counts() == {"done": 1, "throttled": 1, "failed": 1, "bad": 1}
    assert await store.inbox_add("whatsapp", "w1", "91", "{}")
    clock.now += 8 * 86400
    assert await store.claim_update("telegram", 1)
    assert await store.prune() == 4                                        # finished rows a week old; not pending
    assert await store.inbox_counts() == {"pending": 1}
    assert not await store.claim_update("telegram", 1)                     # handled recently: kept


# ---------------------------------------------------------------- the question log, to-do list and hand-offs

async def test_the_question_log_feeds_the_unanswered_report(store, clock):
    await store.save_user("telegram", "1", UserState(lang="en", district="agra", product="leather-shoes"))
    refused = await store.log_question("telegram", "1", Logged("weather in agra", "en", None, 0.0, "refuse"))
    clock.now += 10
    suggested = await store.log_question("telegram", "1", Logged("shoe", "en", None, 0.4, "suggest"))
    clock.now += 10
    await store.log_question("telegram", "1", Logged("Leather shoes", "en", "hs-6402", 1.0, "browse"))  # picked
    clock.now += 10
    answered = await store.log_question("telegram", "1", Logged("hs code shoes", "en", "hs-6403", 0.9, "answer"))
    await store.log_question("whatsapp", "2", Logged("hello there", "en", None, 0.0, "refuse"))   # no user row
    assert refused < suggested < answered
    assert await store.record_feedback("telegram", "1", "hs-6403", False)
    assert await store.record_feedback_note("telegram", "1", "I wanted the duty")
    assert not await store.record_feedback_note("whatsapp", "2", "nothing to attach to")
    last = await store.last_question("telegram", "1")
    assert (last["id"], last["text"], last["feedback"], last["note"]) == (answered, "hs code shoes", 0,
                                                                         "I wanted the duty")
    assert await store.last_question("telegram", "9") is None
    everything = await store.asked(since=0)
    assert [(q["text"], q["district"], q["product"]) for q in everything] == [
        ("weather in agra", "agra", "leather-shoes"), ("shoe", "agra", "leather-shoes"),
        ("hs code shoes", "agra", "leather-shoes"), ("hello there", None, None)]
    problems = await store.asked(since=0, problems_only=True)
    # the did-you-mean was followed by a browse within 30 minutes: it was picked, not a problem
    assert [q["text"] for q in problems] == ["weather in agra", "hs code shoes", "hello there"]
    assert [q["text"] for q in await store.asked(since=0, districts=frozenset({"agra"}), problems_only=True)] == [
        "weather in agra", "hs code shoes"]
    assert await store.asked(since=clock.now + 1) == []
    await store.resolve_questions([refused, answered], "todo:1")
    assert [q["text"] for q in await store.asked(since=0, problems_only=True)] == ["hello there"]


async def test_a_did_you_mean_nobody_picked_is_a_problem(store, clock):
    await store.log_question("telegram", "1", Logged("shoe", "en", None, 0.4, "suggest"))
    clock.now += 3600
    await store.log_question("telegram", "1", Logged("Leather shoes", "en", "hs-6403", 1.0, "browse"))  # too late
    found = await store.asked(since=0, problems_only=True)
    assert [(q["text"], bool(q["unpicked"])) for q in found] == [("shoe", True)]


async def test_the_to_do_list(store, clock):
    first = await store.todo_add("duty on shoes to UAE", "asked 3 times", "agra", "en", 3, "staff:1")
    second = await store.todo_add("GI tag for rugs", None, "bhadohi", "hi", 1, "cli")
    assert second > first
    listed = await store.todo_list()
    assert [(t["id"], t["question"], t["note"], t["district"], t["lang"], t["count"], t["created_by"],
             t["created_at"], t["done_at"]) for t in listed] == [
        (first, "duty on shoes to UAE", "asked 3 times", "agra", "en", 3, "staff:1", 1_000_000.0, None),
        (second, "GI tag for rugs", None, "bhadohi", "hi", 1, "cli", 1_000_000.0, None)]
    assert [t["id"] for t in await store.todo_list(frozenset({"bhadohi"}))] == [second]
    clock.now += 5
    assert await store.todo_done(first, "staff:2")
    assert not await store.todo_done(first, "staff:2")
    assert [t["id"] for t in await store.todo_list()] == [second]
    done = [t for t in await store.todo_list(open_only=False) if t["id"] == first][0]
    assert (done["done_at"], done["done_by"]) == (1_000_005.0, "staff:2")


async def test_a_hand_off_is_opened_linked_answered_once_and_found(store, clock):
    one = await store.handoff_open("whatsapp", "91", "subsidy for my unit?", "hi", "agra", "leather-shoes", None)
    two = await store.handoff_open("telegram", "5", "fair dates?", "en", "hathras", None, "event-x")
    record = await store.handoff(one)
    assert {k: record[k] for k in ("id", "channel", "chat_id", "question", "lang", "district", "product", "entry_id",
                                   "status", "created_at", "answered_at")} == {
        "id": one, "channel": "whatsapp", "chat_id": "91", "question": "subsidy for my unit?", "lang": "hi",
        "district": "agra", "product": "leather-shoes", "entry_id": None, "status": "open",
        "created_at": 1_000_000.0, "answered_at": None}
    assert await store.handoff(two + 100) is None
    await store.handoff_link("777", 10, one)
    await store.handoff_link("777", 11, two)
    await store.handoff_link("777", 11, one)                     # the same message again: the latest wins
    assert (await store.handoff_for_message("777", 10), await store.handoff_for_message("777", 11)) == (one, one)
    assert await store.handoff_for_message("778", 10) is None
    clock.now += 60
    assert await store.handoff_answer(one, "staff:777", "Yes: apply at the DIC.", "sent")
    assert not await store.handoff_answer(one, "staff:778", "Again", "sent")
    await store.handoff_set(two, reminded_at=1_000_050.0, resolved="todo:3")
    assert [h["id"] for h in await store.handoffs(status="open")] == [two]
    assert [h["id"] for h in await store.handoffs(districts=frozenset({"agra"}))] == [one]
    assert [h["id"] for h in await store.handoffs(channel="telegram", chat_id="5")] == [two]
    assert [h["id"] for h in await store.handoffs(since=1_000_001.0)] == []
    answered = await store.handoff(one)
    assert (answered["status"], answered["answered_by"], answered["answer"], answered["delivery"],
            answered["answered_at"]) == ("answered", "staff:777", "Yes: apply at the DIC.", "sent", 1_000_060.0)
    assert ((await store.handoff(two))["reminded_at"], (await store.handoff(two))["resolved"]) == (1_000_050.0,
                                                                                                   "todo:3")


# ---------------------------------------------------------------- settling a campaign

async def test_rows_for_a_missing_channel_are_skipped_and_a_settled_campaign_is_done(store):
    cid = await queued_campaign(store)
    assert await store.skip_no_channel(["telegram"]) == {}                       # a draft: left alone
    await store.set_campaign_status(cid, CampaignStatus.ACTIVE)
    assert await store.finish_campaigns() == []                                   # rows are queued
    assert await store.skip_no_channel(["telegram"], campaign_id=cid + 1) == {}
    assert await store.skip_no_channel(["telegram"]) == {cid: 1}
    row = [r for r in await store.outbox_rows(cid) if r.channel == "whatsapp"][0]
    assert (row.state, row.error) == (OutboxState.SKIPPED_NO_CHANNEL, "channel not configured")
    for r in await store.queued("telegram"):
        assert await store.claim(r.id)
        await store.outbox_mark(r.id, OutboxState.SENT, message_id="m")
    tally = await store.tally(cid)
    assert (tally.sent, tally.left, tally.skipped) == (2, 0, (("blocked", 1), ("no channel", 1)))
    assert await store.finish_campaigns(cid) == [cid]
    assert (await store.campaign(cid)).status == CampaignStatus.DONE
    assert await store.finish_campaigns() == []


# ---------------------------------------------------------------- one sender at a time

@pytest.mark.parametrize("kind", sorted(STORES))
async def test_one_store_at_a_time_holds_the_sender_lock(kind, tmp_path, clock):
    async with STORES[kind](tmp_path, clock) as first, STORES[kind](tmp_path, clock) as second:
        assert await first.try_sender_lock()
        assert await first.try_sender_lock()                  # asking again while holding it: still held
        assert not await second.try_sender_lock()
        await first.release_sender_lock()
        assert await second.try_sender_lock()
        assert not await first.try_sender_lock()
    async with STORES[kind](tmp_path, clock) as third:
        assert await third.try_sender_lock()                  # closing the holder freed it
