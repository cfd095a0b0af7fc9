"""The PostgreSQL store among several workers: claims, a worker that dies, migrations, the schema, the copy from
SQLite (`exportbot db migrate-to`). Skipped, and said so, where PostgreSQL is not installed."""
from __future__ import annotations

import asyncio
import inspect
import sqlite3
import time

import pytest

from bot.cli import main
from bot.serve import serve_async
from bot.settings import Secret, Settings
from bot.core.campaigns import CampaignStatus, OutboxState
from bot.core.dialogue import Logged, UserState
from bot.store import TABLES, Store, StoreError

from . import pgserver, sql
from .conftest import KNOWLEDGE

pytest.importorskip("asyncpg")
from bot.store_pg import MIGRATIONS, PgStore  # noqa: E402 - after the skip


def url(tmp_path) -> str:
    return pgserver.database_url(str(tmp_path))


async def test_two_workers_never_answer_one_chat_at_once_and_a_dead_workers_rows_are_taken_over(tmp_path):
    a, b = await PgStore(url(tmp_path)).open(), await PgStore(url(tmp_path)).open()
    try:
        assert await b.live_workers() == {a.worker, b.worker}
        for message_id, chat in (("1", "5"), ("2", "5"), ("3", "6")):
            assert await a.inbox_add("telegram", message_id, chat, "{}")
        assert [r.message_id for r in await a.inbox_due("telegram", limit=1)] == ["1"]
        assert [r.message_id for r in await b.inbox_due("telegram")] == ["3"]     # chat 5 is a's now
        assert [r.message_id for r in await a.inbox_due("telegram")] == ["1", "2"]  # a's own claim, and the rest
        await b.inbox_done("telegram", "3")
        await a.inbox_done("telegram", "1")
        assert await b.inbox_due("telegram") == []                                  # 2 is still a's
        a._own.terminate()                                  # a's process dies: its session ends with the socket
        deadline = time.monotonic() + 10
        while a.worker in await b.live_workers() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert [r.message_id for r in await b.inbox_due("telegram")] == ["2"]       # taken over
    finally:
        await a.close()
        await b.close()


async def test_a_worker_whose_session_the_server_dropped_comes_back_and_is_no_longer_the_sender(tmp_path):
    a, b = await PgStore(url(tmp_path)).open(), await PgStore(url(tmp_path)).open()
    try:
        assert await a.try_sender_lock()
        assert not await b.try_sender_lock()
        backend = await a._own.fetchval("SELECT pg_backend_pid()")
        await sql.execute(b, "SELECT pg_terminate_backend(?)", backend)          # say, the database restarted
        deadline = time.monotonic() + 10
        while a.worker in await b.live_workers() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert await b.try_sender_lock()                     # the lock went with a's session
        assert not await a.try_sender_lock()                 # a connects again, and knows it does not send now
        assert a.worker in await b.live_workers()            # its claims stand again
        assert await a.inbox_add("telegram", "1", "5", "{}")
        assert [r.message_id for r in await a.inbox_due("telegram")] == ["1"]
        assert await b.inbox_due("telegram") == []
    finally:
        await a.close()
        await b.close()


async def test_workers_claiming_at_the_same_moment_take_each_row_once_and_each_chat_in_order(tmp_path):
    workers = [await PgStore(url(tmp_path)).open() for _ in range(3)]
    try:
        for n in range(120):
            await workers[0].inbox_add("whatsapp", f"m{n:03d}", f"chat{n % 12}", "{}")
        taken: dict[str, list[str]] = {}
        order: dict[str, list[str]] = {}

        async def work(store: PgStore) -> None:
            while rows := await store.inbox_due("whatsapp", limit=5):
                for row in rows:
                    taken.setdefault(row.message_id, []).append(str(store.worker))
                    order.setdefault(row.chat_id, []).append(row.message_id)
                    await asyncio.sleep(0)
                    await store.inbox_done("whatsapp", row.message_id)

        await asyncio.gather(*(work(w) for w in workers))
        assert sorted(taken) == [f"m{n:03d}" for n in range(120)]
        assert all(len(by) == 1 for by in taken.values()), "a row was answered twice"
        assert all(ids == sorted(ids) for ids in order.values()), "a chat's messages were answered out of order"
        assert len({by[0] for by in taken.values()}) > 1, "one worker did everything"
    finally:
        for w in workers:
            await w.close()


async def test_an_outbox_row_is_claimed_by_one_of_two_senders(tmp_path):
    a, b = await PgStore(url(tmp_path)).open(), await PgStore(url(tmp_path)).open()
    try:
        cid = await a.upsert_campaign("b", "broadcast", 1.0, CampaignStatus.ACTIVE, segment="all", text_en="Hi")
        await a.queue(cid, [("telegram", str(n), "en", OutboxState.QUEUED) for n in range(50)])
        rows = await a.queued("telegram")
        won = await asyncio.gather(*(s.claim(r.id) for r in rows for s in (a, b)))
        assert sum(won) == 50
        assert await b.outbox_counts(cid) == {"sending": 50}
    finally:
        await a.close()
        await b.close()


async def test_workers_starting_together_migrate_once_and_reopening_changes_nothing(tmp_path):
    first, second = await asyncio.gather(PgStore(url(tmp_path)).open(), PgStore(url(tmp_path)).open())
    try:
        assert await sql.schema_version(first) == len(MIGRATIONS)
        assert await sql.value(first, "SELECT COUNT(*) FROM schema_version") == len(MIGRATIONS)
        assert await first.integrity() == "ok"
    finally:
        await first.close()
        await second.close()
    async with PgStore(url(tmp_path)) as again:
        assert await sql.value(again, "SELECT COUNT(*) FROM schema_version") == len(MIGRATIONS)


async def test_an_inbox_of_version_2_is_claimed_after_the_upgrade_oldest_first_a_dead_workers_rows_too(tmp_path):
    import asyncpg

    con = await asyncpg.connect(url(tmp_path))
    try:
        schema = (await con.fetchval("SELECT current_setting('search_path')")).split(",")[0].strip()
        await con.execute(f'CREATE SCHEMA "{schema}"')
        await con.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        for number, script in enumerate(MIGRATIONS[:2], start=1):
            await con.execute(script)
            await con.execute("INSERT INTO schema_version (version) VALUES ($1)", number)
        await con.executemany(
            "INSERT INTO inbox (channel, message_id, chat_id, payload, received_at, state, claimed_by) "
            "VALUES ('telegram', $1, $2, '{}', $3, $4, $5)",
            [("old", "5", 1.0, "done", None), ("a", "5", 2.0, "pending", 424242), ("b", "6", 3.0, "pending", None),
             ("c", "5", 4.0, "pending", None)])
    finally:
        await con.close()
    async with PgStore(url(tmp_path)) as store:                 # 424242 was a worker that is gone
        assert await sql.schema_version(store) == len(MIGRATIONS)
        assert [r.message_id for r in await store.inbox_due("telegram", limit=2)] == ["a", "b"]
        assert [r.message_id for r in await store.inbox_due("telegram")] == ["a", "b", "c"]


async def test_the_schema_has_every_table_and_column_of_the_sqlite_store(tmp_path):
    """A migration added to one store and not the other fails here."""
    async with Store(tmp_path / "s.sqlite3") as lite, PgStore(url(tmp_path)) as pg:
        lite_tables = {r["name"] for r in await sql.select(
            lite, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
        pg_tables = {r["table_name"] for r in await sql.select(
            pg, "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")}
        assert lite_tables == set(TABLES)
        assert pg_tables == set(TABLES) | {"schema_version"}
        for table in TABLES:
            lite_columns = {r["name"] for r in await sql.select(lite, f"PRAGMA table_info({table})")}
            pg_columns = {r["column_name"] for r in await sql.select(
                pg, "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                    "AND table_name = ?", table)}
            extra = {"seq", "claimed_by"} if table == "inbox" else set()
            assert pg_columns == lite_columns | extra, table


def test_every_method_of_the_sqlite_store_is_in_the_postgresql_store_with_the_same_parameters():
    """A method added to one store (say, one transaction for a whole update) and not the other fails here."""
    source_only = {"table_rows"}                 # what `db migrate-to` reads from SQLite
    for name, method in inspect.getmembers(Store, inspect.isfunction):
        if name.startswith("_") or name in source_only:
            continue
        assert hasattr(PgStore, name), f"PgStore has no {name}()"
        ours, theirs = inspect.signature(method).parameters, inspect.signature(getattr(PgStore, name)).parameters
        assert [(p.name, p.kind, p.default) for p in ours.values()] == \
            [(p.name, p.kind, p.default) for p in theirs.values()], name
        assert inspect.iscoroutinefunction(method) == inspect.iscoroutinefunction(getattr(PgStore, name)), name


async def test_a_server_that_cannot_be_reached_is_a_store_error_and_serve_says_so(tmp_path, caplog):
    nowhere = f"postgresql://bot:s3cret@127.0.0.1:{pgserver.free_port()}/nothing"
    with pytest.raises(StoreError, match="PostgreSQL"):
        await PgStore(nowhere).open()
    settings = Settings(knowledge_dir=KNOWLEDGE, telegram_token=Secret("1:x")).with_database(nowhere)
    assert await serve_async(settings) == 1
    assert "cannot open the database (PostgreSQL 127.0.0.1:" in caplog.text and "s3cret" not in caplog.text


def test_the_command_line_says_when_the_database_cannot_be_used(capsys):
    nowhere = f"postgresql://bot@127.0.0.1:{pgserver.free_port()}/nothing"
    assert main(["reminders", "status", "--db", nowhere]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"The database (PostgreSQL 127.0.0.1:") and "Traceback" not in err


# ---------------------------------------------------------------- exportbot db migrate-to

def test_migrate_to_copies_every_row_and_the_bot_carries_on_there(tmp_path, capsys):
    lite_path = tmp_path / "old.sqlite3"
    target = url(tmp_path).replace("postgresql://postgres@", "postgresql://postgres:s3cret@")     # never printed

    async def fill() -> dict[str, int]:
        async with Store(lite_path, clock=lambda: 1_000_000.0) as lite:
            await lite.save_user("telegram", "1", UserState(lang="hi", district="agra", subscription="all"))
            await lite.save_user("whatsapp", "919800000001", UserState(lang="en", step="district"))
            await lite.set_blocked("telegram", "2", True)
            for n in range(3):
                await lite.log_question("telegram", "1", Logged(f"question {n}", "hi", "hs-4201", 0.9, "answer"))
            await lite.record_feedback("telegram", "1", "hs-4201", True)
            await lite.claim_update("telegram", 77)
            await lite.inbox_add("whatsapp", "wamid.1", "919800000001", '{"text": "pending"}')
            await lite.inbox_add("whatsapp", "wamid.2", "919800000001", '{"text": "answered"}')
            await lite.inbox_done("whatsapp", "wamid.2")
            await lite.record_status("whatsapp", "wamid.x", "919800000001", "read", None)
            await lite.follow_event("telegram", "1", "camp-hathras")
            cid = await lite.upsert_campaign("b1", "broadcast", 1.0, CampaignStatus.ACTIVE, segment="all",
                                             text_en="Fair", text_hi="मेला")
            await lite.queue(cid, [("telegram", "1", "hi", OutboxState.QUEUED),
                                   ("telegram", "2", "en", OutboxState.SKIPPED_BLOCKED)])
            todo = await lite.todo_add("duty to UAE", None, "agra", "en", 2, "cli")
            handoff = await lite.handoff_open("telegram", "1", "subsidy?", "hi", "agra", None, None)
            await lite.handoff_link("777", 5, handoff)
            assert (todo, handoff) == (1, 1)
        with sqlite3.connect(lite_path) as con:
            return {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}

    counts = asyncio.run(fill())
    assert main(["db", "migrate-to", target, "--db", str(lite_path)]) == 0
    out = capsys.readouterr().out
    assert f"Copying SQLite {lite_path} to PostgreSQL 127.0.0.1:" in out
    assert "  questions: 3 row(s)" in out and "  outbox: 2 row(s)" in out
    assert f"Done: {sum(counts.values())} row(s) in {len(TABLES)} tables." in out
    assert "s3cret" not in out

    async def check() -> None:
        async with PgStore(target, clock=lambda: 2_000_000.0) as pg:
            for table in TABLES:
                assert await sql.value(pg, f"SELECT COUNT(*) FROM {table}") == counts[table], table
            user = await pg.get_user("telegram", "1")
            assert user is not None and user.state == UserState(lang="hi", district="agra", subscription="all")
            assert (await pg.get_user("telegram", "2")).blocked
            assert not await pg.claim_update("telegram", 77)                          # already handled there
            assert [r.message_id for r in await pg.inbox_due("whatsapp")] == ["wamid.1"]   # still to answer
            assert await pg.stats(now=1_000_000.0) | {"by_district": None, "by_lang": None} == {
                "users": 3, "by_district": None, "by_lang": None, "questions_today": 3, "questions_week": 3,
                "refused_week": 0, "helpful": 1, "not_helpful": 0}
            campaign = (await pg.campaigns())[0]
            assert (campaign.key, campaign.text_hi, campaign.queued_at) == ("b1", "मेला", 1_000_000.0)
            assert [r.chat_id for r in await pg.queued("telegram")] == ["1"]
            assert await pg.handoff_for_message("777", 5) == 1
            # New rows carry on after the copied ones.
            assert await pg.log_question("telegram", "1", Logged("new", "en", None, 0.0, "refuse")) == 4
            assert await pg.todo_add("more", None, None, None, 1, "cli") == 2
            assert await pg.handoff_open("telegram", "1", "q", "en", None, None, None) == 2
            assert await pg.inbox_add("whatsapp", "wamid.3", "919800000001", "{}")
            assert [r.message_id for r in await pg.inbox_due("whatsapp")] == ["wamid.1", "wamid.3"]

    asyncio.run(check())
    assert main(["db", "migrate-to", target, "--db", str(lite_path)]) == 1     # not into a database with data
    assert "already holds data; copy into an empty database" in capsys.readouterr().out
