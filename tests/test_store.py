"""The SQLite store: migrations, users, the question log, update ids."""
from __future__ import annotations

import sqlite3

from bot.core.dialogue import Logged, UserState
from bot.store import MIGRATIONS, Store

from . import sql


async def test_an_old_database_opens_with_this_release(tmp_path):
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as con:           # a database made by the first release (schema version 1)
        con.executescript(MIGRATIONS[0] + "; PRAGMA user_version = 1;")
        con.execute("INSERT INTO users (channel, chat_id, lang, district, first_seen, last_seen) "
                    "VALUES ('telegram', '7', 'hi', 'agra', 1, 1)")
    async with Store(path) as store:
        assert await sql.schema_version(store) == len(MIGRATIONS)
        record = await store.get_user("telegram", "7")
        assert record is not None and record.state == UserState(lang="hi", district="agra")
        assert await store.inbox_add("whatsapp", "wamid.1", "91", "{}")      # tables of later versions exist
    async with Store(path) as store:                                          # opening again changes nothing
        assert await sql.schema_version(store) == len(MIGRATIONS)
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_users_updates_and_questions(tmp_path):
    async with Store(tmp_path / "s.sqlite3", clock=lambda: 1000.0) as store:
        await store.save_user("telegram", "1", UserState(lang="en", step="district"))
        assert (await store.get_user("telegram", "1")).state.step == "district"
        assert await store.claim_update("telegram", 5) is True
        assert await store.claim_update("telegram", 5) is False
        assert await store.claim_update("whatsapp", 5) is True
        await store.log_question("telegram", "1", Logged("hs code for saddle", "en", "hs-4201", 1.0, "answer"))
        await store.log_question("telegram", "1", Logged("tell me a joke", "en", None, 0.0, "off_topic"))
        assert await store.record_feedback("telegram", "1", "hs-4201", False)
        stats = await store.stats(now=1000.0)
        assert (stats["questions_today"], stats["refused_week"], stats["not_helpful"]) == (2, 1, 1)
        assert await store.unanswered(since=0) == [("tell me a joke", 1)]


async def test_the_users_of_claimed_rows_come_with_them_once_and_fresh(tmp_path, monkeypatch):
    """inbox_due reads the users of its rows in the same trip; the worker's get_user takes each from there once,
    and reads again after a write, a second time, or when the read is older than PREFETCH_SECONDS."""
    import bot.store as store_module

    async with Store(tmp_path / "s.sqlite3", clock=lambda: 1000.0) as store:
        await store.save_user("telegram", "1", UserState(lang="hi", district="agra", step="done"))
        for message_id, chat in (("m1", "1"), ("m2", "2"), ("m3", "1")):
            assert await store.inbox_add("telegram", message_id, chat, "{}")
        trips = 0
        real_run = store._run

        async def counted(work):
            nonlocal trips
            trips += 1
            return await real_run(work)

        monkeypatch.setattr(store, "_run", counted)
        assert [r.message_id for r in await store.inbox_due("telegram")] == ["m1", "m2", "m3"]
        assert trips == 1
        assert await store.get_user("telegram", "2") is None          # a new user: known to have no row
        assert trips == 1
        # A turn for user 1 (a button, say, that did not read the user first): the next read sees the change.
        await store.save_turn("telegram", "1", UserState(lang="en", district="agra", step="done"))
        again = await store.get_user("telegram", "1")
        assert again is not None and again.state == UserState(lang="en", district="agra", step="done")
        assert trips == 3                                              # the turn, and the read
        # The next claim brings user 1 along: read once from there, then from the database.
        await store.inbox_due("telegram")
        assert (await store.get_user("telegram", "1")).state.lang == "en"
        assert trips == 4
        assert (await store.get_user("telegram", "1")).state.lang == "en"
        assert trips == 5
        # A prefetched row that waited too long is read again.
        await store.inbox_due("telegram")
        monkeypatch.setattr(store_module, "PREFETCH_SECONDS", -1.0)
        assert (await store.get_user("telegram", "1")).state.lang == "en"
        assert trips == 7


async def test_a_checkpoint_leaves_no_statement_open_that_would_stop_the_next_commit(tmp_path):
    """PRAGMA wal_checkpoint returns a row; left unread, its statement stayed in progress and every later commit
    on the shared connection failed ("cannot commit transaction - SQL statements in progress")."""
    async with Store(tmp_path / "s.sqlite3") as store:
        await store.save_user("telegram", "1", UserState(lang="en"))
        assert await store.checkpoint() is True
        await store.save_user("telegram", "2", UserState(lang="hi"))
        assert await store.upsert_campaign("k", "reminder", 1.0, "scheduled") == 1
    async with Store(tmp_path / "s.sqlite3") as store:
        assert (await store.get_user("telegram", "2")).state.lang == "hi"
