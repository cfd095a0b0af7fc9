"""The store's inbox: one table for both channels, from stored to done, with retries in order."""
from __future__ import annotations

import sqlite3

from bot.store import MIGRATIONS, Store


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_an_inbox_row_from_stored_to_done_with_a_retry_that_holds_back_the_same_chat(tmp_path):
    clock = Clock()
    async with Store(tmp_path / "i.sqlite3", clock=clock) as store:
        assert await store.inbox_add("telegram", "1", "5", "{}")
        assert not await store.inbox_add("telegram", "1", "5", "{}")          # a redelivery
        assert await store.inbox_add("telegram", "2", "5", "{}")
        assert await store.inbox_add("telegram", "3", "6", "{}")
        assert [r.message_id for r in await store.inbox_due("telegram")] == ["1", "2", "3"]
        await store.inbox_set_replies("telegram", "1", '{"chat_id": "5", "replies": []}')
        await store.inbox_sent("telegram", "1", 1)
        await store.inbox_retry("telegram", "1", 4.0, "Telegram: NetworkError")
        due = await store.inbox_due("telegram")
        assert [r.message_id for r in due] == ["3"]                           # chat 5 waits behind its retry
        assert await store.inbox_next_due("telegram") == 1004.0                   # when the retry falls due
        clock.now += 5
        first = (await store.inbox_due("telegram"))[0]
        assert (first.message_id, first.attempts, first.sent, first.replies is not None) == ("1", 1, 1, True)
        for message_id in ("1", "2", "3"):
            await store.inbox_done("telegram", message_id)
        assert await store.inbox_counts("telegram") == {"done": 3}
        assert await store.inbox_next_due("telegram") is None
        assert await store.inbox_add_bad("telegram", "9", "{}", "from.id is not an id")
        clock.now += 8 * 86400
        assert await store.prune() == 4
        assert await store.inbox_counts() == {}


async def test_a_version_3_inbox_is_migrated_with_its_answered_rows_done(tmp_path):
    path = tmp_path / "v3.sqlite3"
    with sqlite3.connect(path) as con:
        con.executescript("; ".join(MIGRATIONS[:3]) + "; PRAGMA user_version = 3;")
        con.execute("INSERT INTO inbox VALUES ('whatsapp', 'w1', '91', '{}', 1, 2)")
        con.execute("INSERT INTO inbox VALUES ('whatsapp', 'w2', '91', '{}', 1, NULL)")
    async with Store(path) as store:
        assert await store.inbox_counts("whatsapp") == {"done": 1, "pending": 1}
        assert [r.message_id for r in await store.inbox_due("whatsapp")] == ["w2"]
