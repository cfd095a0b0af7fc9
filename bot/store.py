"""The SQLite store: the only module that holds SQL.

Users and where they are in the conversation, the question log with
feedback, and the update ids already handled (so a redelivered update is
answered once). WAL mode; the schema is versioned with ``PRAGMA user_version``
and migrated forward on open, so an old database opens with a new release.
"""
from __future__ import annotations

import fcntl
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, AsyncIterator, Callable, Iterable, TypeVar

import aiosqlite

from .core.campaigns import PENDING, Campaign, CampaignStatus, OutboxRow, OutboxState, Tally
from .core.dialogue import Logged, UserState
from .core.followup import Topic
from .core.reminders import Subscriber

MIGRATIONS: tuple[str, ...] = (
    # 1: users, question log, processed updates
    """
    CREATE TABLE users (
        channel TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        lang TEXT,
        district TEXT,
        sector TEXT,
        product TEXT,
        step TEXT,
        subscription TEXT,
        blocked INTEGER NOT NULL DEFAULT 0,
        first_seen REAL NOT NULL,
        last_seen REAL NOT NULL,
        last_inbound_at REAL,
        PRIMARY KEY (channel, chat_id)
    );
    CREATE TABLE questions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        asked_at REAL NOT NULL,
        text TEXT NOT NULL,
        lang TEXT NOT NULL,
        entry_id TEXT,
        score REAL NOT NULL,
        outcome TEXT NOT NULL,
        feedback INTEGER
    );
    CREATE INDEX questions_by_time ON questions (asked_at);
    CREATE INDEX questions_by_user ON questions (channel, chat_id, asked_at);
    CREATE TABLE processed_updates (
        channel TEXT NOT NULL,
        update_id TEXT NOT NULL,
        processed_at REAL NOT NULL,
        PRIMARY KEY (channel, update_id)
    );
    """,
    # 2: durable inbox for webhook deliveries (dedupe on the platform's message id), delivery statuses,
    #    the WhatsApp 24-hour window
    """
    CREATE TABLE inbox (
        channel TEXT NOT NULL,
        message_id TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        payload TEXT NOT NULL,
        received_at REAL NOT NULL,
        processed_at REAL,
        PRIMARY KEY (channel, message_id)
    );
    CREATE INDEX inbox_pending ON inbox (channel, processed_at, received_at);
    CREATE TABLE delivery_status (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel TEXT NOT NULL,
        message_id TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        status TEXT NOT NULL,
        error_code INTEGER,
        at REAL NOT NULL
    );
    ALTER TABLE users ADD COLUMN window_closed_at REAL;
    """,
    # 3: event follows ("remind me"), campaigns (reminders and admin broadcasts) and the durable outbox
    """
    CREATE TABLE event_follows (
        channel TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (channel, chat_id, event_id)
    );
    CREATE TABLE campaigns (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        event_id TEXT,
        occurrence TEXT,
        offset_kind TEXT,
        segment TEXT,
        due_at REAL NOT NULL,
        status TEXT NOT NULL,
        text_en TEXT,
        text_hi TEXT,
        created_by TEXT,
        created_at REAL NOT NULL,
        queued_at REAL
    );
    CREATE INDEX campaigns_due ON campaigns (status, due_at);
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
        channel TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        lang TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'queued',
        attempts INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        message_id TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        UNIQUE (campaign_id, channel, chat_id)
    );
    CREATE INDEX outbox_state ON outbox (state, campaign_id, channel);
    """,
    # 4: what the user's last answered question was about, for follow-ups (JSON; forgotten after a while)
    """
    ALTER TABLE users ADD COLUMN topic TEXT;
    """,
    # 5: one inbox for both channels: every Telegram update and WhatsApp message is stored before the platform is
    #    told it arrived, then answered from here. state pending -> done | bad | failed | throttled; a failed send
    #    is retried at next_try_at; `replies` holds the replies worked out for it and `sent` how many of their
    #    messages went out, so a retry sends only the missing ones.
    """
    ALTER TABLE inbox ADD COLUMN state TEXT NOT NULL DEFAULT 'pending';
    ALTER TABLE inbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE inbox ADD COLUMN next_try_at REAL NOT NULL DEFAULT 0;
    ALTER TABLE inbox ADD COLUMN replies TEXT;
    ALTER TABLE inbox ADD COLUMN sent INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE inbox ADD COLUMN error TEXT;
    UPDATE inbox SET state = 'done' WHERE processed_at IS NOT NULL;
    CREATE INDEX inbox_due ON inbox (channel, state, next_try_at);
    CREATE INDEX inbox_processed ON inbox (processed_at);
    CREATE INDEX processed_updates_by_time ON processed_updates (processed_at);
    """,
    # 6: district staff close the loop: what a user said after 👎, questions dealt with (alias / to-do),
    #    the to-do list of questions needing a new answer, hand-offs to the district office
    """
    ALTER TABLE questions ADD COLUMN note TEXT;
    ALTER TABLE questions ADD COLUMN resolved TEXT;
    CREATE TABLE todo (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        question TEXT NOT NULL,
        note TEXT,
        district TEXT,
        lang TEXT,
        count INTEGER NOT NULL DEFAULT 1,
        created_by TEXT,
        created_at REAL NOT NULL,
        done_at REAL,
        done_by TEXT
    );
    CREATE TABLE handoffs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        question TEXT NOT NULL,
        lang TEXT NOT NULL,
        district TEXT,
        product TEXT,
        entry_id TEXT,
        status TEXT NOT NULL DEFAULT 'open',
        created_at REAL NOT NULL,
        reminded_at REAL,
        answered_at REAL,
        answered_by TEXT,
        answer TEXT,
        delivery TEXT,
        resolved TEXT
    );
    CREATE INDEX handoffs_open ON handoffs (status, created_at);
    CREATE TABLE handoff_messages (
        staff_chat TEXT NOT NULL,
        message_id INTEGER NOT NULL,
        handoff_id INTEGER NOT NULL REFERENCES handoffs (id),
        PRIMARY KEY (staff_chat, message_id)
    );
    """,
    # 7: sign-in accounts of the staff console: a login name, the staff member it is (their Telegram id in
    #    knowledge/staff.yaml or ADMIN_TELEGRAM_IDS, which decide the role) and an argon2 password hash
    """
    CREATE TABLE console_accounts (
        login TEXT PRIMARY KEY,
        telegram_id INTEGER NOT NULL,
        password_hash TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    """,
)

BUSY_TIMEOUT_MS = 5000          # a short lock by another process is waited out, not turned into an error
WAL_LIMIT_BYTES = 512 * 1024    # the write-ahead log is cut back to this after each checkpoint
WAL_AUTOCHECKPOINT_PAGES = 100  # ~400 KB: checkpoint often, so the log never grows far
KEEP_SECONDS = 7 * 86400        # handled updates and inbox rows are forgotten after a week
# Every table, parents before children (the order `exportbot db migrate-to` copies them in).
TABLES = ("users", "questions", "processed_updates", "inbox", "delivery_status", "event_follows", "campaigns",
          "outbox", "todo", "handoffs", "handoff_messages", "console_accounts")


class StoreError(Exception):
    """The database server failed (down, restarted, refused the write): the PostgreSQL store's errors.

    The SQLite store raises sqlite3.Error; callers that wait out a database failure catch DATABASE_ERRORS."""


DATABASE_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, StoreError)

T = TypeVar("T")

# What one turn of the conversation writes: one statement at a time (save_user, log_question, ...) or all of
# them in one transaction (save_turn).
SAVE_USER = """
    INSERT INTO users (channel, chat_id, lang, district, sector, product, step, subscription, topic, blocked,
                       first_seen, last_seen, last_inbound_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)
    ON CONFLICT (channel, chat_id) DO UPDATE SET
        lang = excluded.lang, district = excluded.district, sector = excluded.sector, product = excluded.product,
        step = excluded.step, subscription = excluded.subscription, topic = excluded.topic,
        last_seen = excluded.last_seen,
        blocked = CASE WHEN ? THEN 0 ELSE users.blocked END,
        last_inbound_at = CASE WHEN ? THEN excluded.last_inbound_at ELSE users.last_inbound_at END"""
LOG_QUESTION = """
    INSERT INTO questions (channel, chat_id, asked_at, text, lang, entry_id, score, outcome)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)"""
RECORD_FEEDBACK = """
    UPDATE questions SET feedback = ? WHERE id = (
        SELECT id FROM questions WHERE channel = ? AND chat_id = ? AND entry_id = ?
        ORDER BY asked_at DESC, id DESC LIMIT 1)"""
RECORD_NOTE = """
    UPDATE questions SET note = ? WHERE id = (
        SELECT id FROM questions WHERE channel = ? AND chat_id = ? AND feedback = 0
        ORDER BY asked_at DESC, id DESC LIMIT 1)"""
FOLLOW_EVENT = "INSERT OR IGNORE INTO event_follows (channel, chat_id, event_id, created_at) VALUES (?, ?, ?, ?)"
UNFOLLOW_ALL = "DELETE FROM event_follows WHERE channel = ? AND chat_id = ?"
SET_REPLIES = "UPDATE inbox SET replies = ?, sent = 0 WHERE channel = ? AND message_id = ?"


@dataclass(frozen=True)
class InboxRow:
    channel: str
    message_id: str
    chat_id: str
    payload: str
    received_at: float
    attempts: int
    replies: str | None
    sent: int



@dataclass(frozen=True)
class UserRecord:
    channel: str
    chat_id: str
    state: UserState
    blocked: bool
    first_seen: float
    last_seen: float


PREFETCH_SECONDS = 2.0   # how long a user read with the inbox rows may stand for reading it again


class Store:
    poll_seconds: float | None = None     # one process answers its own inbox: it need not look for others' rows
    claim_batch: int | None = None        # nor leave rows for them: inbox_due hands out as many as asked

    def __init__(self, path: str | Path, clock: Any = time.time):
        self.path = Path(path)
        self.clock = clock
        self._db: aiosqlite.Connection | None = None
        self._sender_lock: IO[str] | None = None
        # The users of the rows inbox_due just handed out, read in the same trip: the worker's get_user for each
        # takes its row from here once (saving a trip to the database thread per update) while it is fresh.
        self._prefetched: dict[tuple[str, str], tuple[Any, float]] = {}

    # ------------------------------------------------------------ life cycle

    async def open(self) -> "Store":
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000)
        self._db.row_factory = aiosqlite.Row
        await self._db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        await self._db.execute("PRAGMA journal_mode=WAL")
        await self._db.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")
        await self._db.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        await self._db.execute("PRAGMA synchronous=NORMAL")
        await self._db.execute("PRAGMA foreign_keys=ON")
        await self._migrate()
        return self

    async def close(self) -> None:
        await self.release_sender_lock()
        if self._db is not None:
            try:
                await self.checkpoint()
            except aiosqlite.Error:     # e.g. the disk is full: the log is replayed at the next open
                pass
            await self._db.close()
            self._db = None

    async def __aenter__(self) -> "Store":
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def db(self) -> aiosqlite.Connection:
        assert self._db is not None, "Store.open() must be awaited first"
        return self._db

    async def _migrate(self) -> None:
        async with self.db.execute("PRAGMA user_version") as cur:
            version = (await cur.fetchone())[0]
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            await self.db.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")

    async def rollback(self) -> None:
        """After a failed write (disk full, locked): end the open transaction so the next write starts clean."""
        try:
            await self.db.rollback()
        except sqlite3.Error:
            pass

    async def checkpoint(self) -> bool:
        """Copy the write-ahead log into the database and cut the log file back to nothing.

        Opportunistic: while another statement of this connection is still reading, SQLite refuses ("table is
        locked"); the checkpoint is then skipped and the next one does the work.
        """
        try:
            # Its row read to the end: a statement left in progress would make every later commit fail.
            await self._run(lambda conn: conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall())
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):
                raise
            return False
        return True

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work(connection)`` on aiosqlite's thread in one trip there and back, however many statements it runs.

        aiosqlite makes every execute, fetch, cursor close and commit a trip of its own (each one wakes its thread
        and then the event loop, ~0.1 ms on an idle machine and far more on a busy one); the methods every
        message goes through use this instead. It queues the function the way aiosqlite queues its own calls,
        with ``Connection._execute`` (not public API: an aiosqlite upgrade that changes it fails every store test).
        """
        db = self.db
        return await db._execute(lambda: work(db._conn))

    async def _write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work`` and the commit, in one trip (see :meth:`_run`); on an error the transaction is left to
        :meth:`rollback`, as after any other failed write."""
        def run(conn: sqlite3.Connection) -> T:
            result = work(conn)
            conn.commit()
            return result

        return await self._run(run)

    async def integrity(self) -> str:
        async with self.db.execute("PRAGMA integrity_check") as cur:
            return str((await cur.fetchone())[0])

    async def try_sender_lock(self) -> bool:
        """Become the one process that sends reminders and broadcasts (a lock file beside the database);
        False while another process is. Held until released or the store is closed (or the process ends)."""
        if self._sender_lock is None:
            lock_path = Path(f"{self.path}.sending.lock")
            lock_path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(lock_path, "a+")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                return False
            self._sender_lock = handle
        return True

    async def release_sender_lock(self) -> None:
        if self._sender_lock is not None:
            fcntl.flock(self._sender_lock, fcntl.LOCK_UN)
            self._sender_lock.close()
            self._sender_lock = None

    async def table_rows(self, table: str, batch: int = 5000) -> AsyncIterator[tuple[list[str], list[tuple]]]:
        """Every row of one table (one of TABLES), in batches with the column names: what a copy to another
        database reads."""
        assert table in TABLES, f"not a table of this store: {table}"
        async with self.db.execute(f"SELECT * FROM {table} ORDER BY rowid") as cur:
            columns = [d[0] for d in cur.description]
            while rows := await cur.fetchmany(batch):
                yield columns, [tuple(r) for r in rows]

    async def prune(self, keep_seconds: float = KEEP_SECONDS) -> int:
        """Forget handled updates and finished inbox rows older than ``keep_seconds`` (a new Bot API server may
        reuse old update ids)."""
        cutoff = self.clock() - keep_seconds
        cur = await self.db.execute("DELETE FROM processed_updates WHERE processed_at < ?", (cutoff,))
        removed = cur.rowcount
        cur = await self.db.execute("DELETE FROM inbox WHERE state != 'pending' AND processed_at < ?", (cutoff,))
        await self.db.commit()
        return removed + cur.rowcount

    # ------------------------------------------------------------ users

    async def get_user(self, channel: str, chat_id: str) -> UserRecord | None:
        found = self._prefetched.pop((channel, chat_id), None)
        if found is not None and time.monotonic() - found[1] <= PREFETCH_SECONDS:
            row = found[0]
        else:
            row = await self._run(lambda conn: conn.execute("SELECT * FROM users WHERE channel = ? AND chat_id = ?",
                                                            (channel, chat_id)).fetchone())
        if row is None:
            return None
        state = UserState(lang=row["lang"], district=row["district"], sector=row["sector"], product=row["product"],
                          step=row["step"], subscription=row["subscription"], topic=_topic(row["topic"]))
        return UserRecord(channel, chat_id, state, bool(row["blocked"]), row["first_seen"], row["last_seen"])

    async def save_user(self, channel: str, chat_id: str, state: UserState, inbound: bool = True) -> None:
        """Create or update the user; an inbound message also means they are reachable again."""
        args = _user_args(channel, chat_id, state, self.clock(), inbound)
        self._prefetched.pop((channel, chat_id), None)
        await self._write(lambda conn: conn.execute(SAVE_USER, args))

    async def save_turn(self, channel: str, chat_id: str, state: UserState, *, logged: Logged | None = None,
                        feedback: tuple[str, bool] | None = None, follow: str | None = None, stop: bool = False,
                        note: str | None = None, replies: tuple[str, str] | None = None) -> None:
        """Everything one turn of the conversation changes, in one transaction, in this order: the user's state
        (as ``save_user``), the question asked (``log_question``), 👍/👎 (``record_feedback``), an event followed
        (``follow_event``), every follow dropped (``stop``: ``unfollow_all``), what the user was looking for
        after a 👎 (``record_feedback_note``) and, for a stored update, the replies worked out for it
        (``replies`` = (message id, record): ``inbox_set_replies`` for the same channel)."""
        now = self.clock()
        self._prefetched.pop((channel, chat_id), None)

        def work(conn: sqlite3.Connection) -> None:
            conn.execute(SAVE_USER, _user_args(channel, chat_id, state, now, True))
            if logged is not None:
                conn.execute(LOG_QUESTION, _question_args(channel, chat_id, logged, now))
            if feedback is not None:
                conn.execute(RECORD_FEEDBACK, (int(feedback[1]), channel, chat_id, feedback[0]))
            if follow is not None:
                conn.execute(FOLLOW_EVENT, (channel, chat_id, follow, now))
            if stop:
                conn.execute(UNFOLLOW_ALL, (channel, chat_id))
            if note is not None:
                conn.execute(RECORD_NOTE, (note, channel, chat_id))
            if replies is not None:
                conn.execute(SET_REPLIES, (replies[1], channel, replies[0]))

        await self._write(work)

    async def set_blocked(self, channel: str, chat_id: str, blocked: bool) -> None:
        now = self.clock()
        self._prefetched.pop((channel, chat_id), None)
        await self.db.execute(
            """INSERT INTO users (channel, chat_id, blocked, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (channel, chat_id) DO UPDATE SET blocked = excluded.blocked""",
            (channel, chat_id, int(blocked), now, now))
        await self.db.commit()

    # ------------------------------------------------------------ updates

    async def claim_update(self, channel: str, update_id: str | int) -> bool:
        """True the first time an update id is seen; False for a redelivery."""
        cur = await self.db.execute(
            "INSERT OR IGNORE INTO processed_updates (channel, update_id, processed_at) VALUES (?, ?, ?)",
            (channel, str(update_id), self.clock()))
        await self.db.commit()
        return cur.rowcount == 1

    async def release_update(self, channel: str, update_id: str | int) -> None:
        """Forget an update whose handling failed, so a redelivery is processed."""
        await self.db.execute("DELETE FROM processed_updates WHERE channel = ? AND update_id = ?",
                              (channel, str(update_id)))
        await self.db.commit()

    # ------------------------------------------------------------ webhook inbox

    async def inbox_add(self, channel: str, message_id: str, chat_id: str, payload: str) -> bool:
        """Store a delivered message once; False when the platform redelivers it."""
        args = (channel, message_id, chat_id, payload, self.clock())
        return await self._write(lambda conn: conn.execute(
            "INSERT OR IGNORE INTO inbox (channel, message_id, chat_id, payload, received_at) VALUES (?, ?, ?, ?, ?)",
            args).rowcount == 1)

    async def inbox_payload(self, channel: str, message_id: str) -> str | None:
        async with self.db.execute("SELECT payload FROM inbox WHERE channel = ? AND message_id = ?",
                                   (channel, message_id)) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    async def inbox_add_bad(self, channel: str, message_id: str, payload: str, error: str) -> bool:
        """Keep an update that cannot be understood, once, for the record; it is never answered."""
        now = self.clock()
        cur = await self.db.execute(
            """INSERT OR IGNORE INTO inbox (channel, message_id, chat_id, payload, received_at, processed_at, state,
                                            error) VALUES (?, ?, '', ?, ?, ?, 'bad', ?)""",
            (channel, message_id, payload, now, now, error))
        await self.db.commit()
        return cur.rowcount == 1

    async def inbox_pending(self, channel: str, limit: int = 100) -> list[tuple[str, str, str]]:
        async with self.db.execute(
                """SELECT message_id, chat_id, payload FROM inbox WHERE channel = ? AND state = 'pending'
                   ORDER BY received_at, rowid LIMIT ?""", (channel, limit)) as cur:
            return [(r[0], r[1], r[2]) for r in await cur.fetchall()]

    async def inbox_due(self, channel: str, limit: int = 100) -> list[InboxRow]:
        """Pending rows whose time has come, oldest first; a chat waiting for a retry keeps its later rows back."""
        now = self.clock()

        def work(conn: sqlite3.Connection) -> tuple[list[Any], set[str], dict[str, Any]]:
            rows = conn.execute(
                """SELECT message_id, chat_id, payload, received_at, attempts, replies, sent FROM inbox i
                   WHERE channel = ? AND state = 'pending' AND next_try_at <= ?
                     AND NOT EXISTS (SELECT 1 FROM inbox o WHERE o.channel = i.channel AND o.chat_id = i.chat_id
                                     AND o.state = 'pending' AND o.next_try_at > ? AND o.rowid < i.rowid)
                   ORDER BY received_at, rowid LIMIT ?""", (channel, now, now, limit)).fetchall()
            chats = {r[1] for r in rows if r[1]}
            users = {}
            if chats:   # ... and their users, for the worker's get_user (see __init__)
                marks = ",".join("?" * len(chats))
                users = {u["chat_id"]: u for u in conn.execute(
                    f"SELECT * FROM users WHERE channel = ? AND chat_id IN ({marks})", (channel, *chats))}
            return rows, chats, users

        rows, chats, users = await self._run(work)
        for key in [key for key in self._prefetched if key[0] == channel]:   # this channel's older reads go
            del self._prefetched[key]
        read_at = time.monotonic()
        for chat in chats:
            self._prefetched[channel, chat] = (users.get(chat), read_at)
        return [InboxRow(channel, *r) for r in rows]

    async def inbox_next_due(self, channel: str) -> float | None:
        """When the next retry falls due (None when no row waits for one): what is due now was just answered."""
        now = self.clock()
        row = await self._run(lambda conn: conn.execute(
            "SELECT MIN(next_try_at) FROM inbox WHERE channel = ? AND state = 'pending' AND next_try_at > ?",
            (channel, now)).fetchone())
        return row[0] if row else None

    async def inbox_done(self, channel: str, message_id: str, state: str = "done", error: str | None = None) -> None:
        """Finish a row: done (answered), bad (not understood), failed (gave up) or throttled."""
        args = (self.clock(), state, error, channel, message_id)
        await self._write(lambda conn: conn.execute(
            "UPDATE inbox SET processed_at = ?, state = ?, error = COALESCE(?, error) WHERE channel = ? AND message_id = ?",
            args))

    async def inbox_retry(self, channel: str, message_id: str, delay: float, error: str) -> None:
        await self.db.execute("UPDATE inbox SET attempts = attempts + 1, next_try_at = ?, error = ? "
                              "WHERE channel = ? AND message_id = ?",
                              (self.clock() + delay, error, channel, message_id))
        await self.db.commit()

    async def inbox_set_replies(self, channel: str, message_id: str, replies: str) -> None:
        await self._write(lambda conn: conn.execute(SET_REPLIES, (replies, channel, message_id)))

    async def inbox_sent(self, channel: str, message_id: str, sent: int) -> None:
        await self._write(lambda conn: conn.execute("UPDATE inbox SET sent = ? WHERE channel = ? AND message_id = ?",
                                                    (sent, channel, message_id)))

    async def inbox_counts(self, channel: str | None = None) -> dict[str, int]:
        sql = "SELECT state, COUNT(*) FROM inbox" + (" WHERE channel = ?" if channel else "") + " GROUP BY state"
        async with self.db.execute(sql, (channel,) if channel else ()) as cur:
            return {r[0]: r[1] for r in await cur.fetchall()}

    async def record_status(self, channel: str, message_id: str, chat_id: str, status: str,
                            error_code: int | None) -> None:
        await self.db.execute(
            "INSERT INTO delivery_status (channel, message_id, chat_id, status, error_code, at) VALUES (?, ?, ?, ?, ?, ?)",
            (channel, message_id, chat_id, status, error_code, self.clock()))
        await self.db.commit()

    async def mark_window_closed(self, channel: str, chat_id: str) -> None:
        await self.db.execute("UPDATE users SET window_closed_at = ? WHERE channel = ? AND chat_id = ?",
                              (self.clock(), channel, chat_id))
        await self.db.commit()

    async def window_open(self, channel: str, chat_id: str, hours: float = 24) -> bool:
        """Inside the 24-hour customer-service window: the user wrote recently and no send said otherwise."""
        async with self.db.execute("SELECT last_inbound_at, window_closed_at FROM users WHERE channel = ? AND chat_id = ?",
                                   (channel, chat_id)) as cur:
            row = await cur.fetchone()
        if row is None or row[0] is None:
            return False
        if row[1] is not None and row[1] >= row[0]:
            return False
        return self.clock() - row[0] < hours * 3600

    # ------------------------------------------------------------ subscribers, follows

    async def follow_event(self, channel: str, chat_id: str, event_id: str) -> None:
        await self.db.execute(FOLLOW_EVENT, (channel, chat_id, event_id, self.clock()))
        await self.db.commit()

    async def unfollow_all(self, channel: str, chat_id: str) -> None:
        await self.db.execute(UNFOLLOW_ALL, (channel, chat_id))
        await self.db.commit()

    async def reachable(self, channel: str, chat_id: str, campaign_kind: str,
                        event_id: str | None) -> OutboxState | None:
        """Why a queued message must not go now (the user blocked the bot, or stopped messages since), or None."""
        async with self.db.execute(
                """SELECT blocked, subscription,
                          EXISTS (SELECT 1 FROM event_follows f WHERE f.channel = u.channel AND f.chat_id = u.chat_id
                                  AND (? IS NULL OR f.event_id = ?))
                   FROM users u WHERE channel = ? AND chat_id = ?""", (event_id, event_id, channel, chat_id)) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        if row[0]:
            return OutboxState.SKIPPED_BLOCKED
        if row[1] in (None, "none") and not row[2]:
            return OutboxState.SKIPPED_STOPPED
        return None

    async def subscribers(self) -> list[Subscriber]:
        """Everyone who may receive reminders or broadcasts (blocked users included, flagged)."""
        follows: dict[tuple[str, str], set[str]] = {}
        async with self.db.execute("SELECT channel, chat_id, event_id FROM event_follows") as cur:
            async for r in cur:
                follows.setdefault((r[0], r[1]), set()).add(r[2])
        out = []
        async with self.db.execute(
                """SELECT channel, chat_id, lang, district, sector, subscription, blocked FROM users
                   WHERE channel != 'terminal' AND (subscription IN ('all', 'district', 'sector')
                          OR EXISTS (SELECT 1 FROM event_follows f WHERE f.channel = users.channel
                                     AND f.chat_id = users.chat_id))""") as cur:
            async for r in cur:
                out.append(Subscriber(r[0], r[1], r[2] or "en", r[3], r[4], r[5], bool(r[6]),
                                      frozenset(follows.get((r[0], r[1]), ()))))
        return out

    # ------------------------------------------------------------ campaigns and the outbox

    async def upsert_campaign(self, key: str, kind: str, due_at: float, status: str, *, event_id: str | None = None,
                              occurrence: str | None = None, offset_kind: str | None = None,
                              segment: str | None = None, text_en: str | None = None, text_hi: str | None = None,
                              created_by: str | None = None) -> int:
        """Create the campaign once (an existing one, maybe paused or edited by an admin, is kept)."""
        await self.db.execute(
            """INSERT OR IGNORE INTO campaigns (key, kind, event_id, occurrence, offset_kind, segment, due_at, status,
                                                text_en, text_hi, created_by, created_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (key, kind, event_id, occurrence, offset_kind, segment, due_at, status, text_en, text_hi, created_by,
             self.clock()))
        await self.db.commit()
        async with self.db.execute("SELECT id FROM campaigns WHERE key = ?", (key,)) as cur:
            return (await cur.fetchone())[0]

    async def campaign(self, campaign_id: int) -> Campaign | None:
        async with self.db.execute("SELECT * FROM campaigns WHERE id = ?", (campaign_id,)) as cur:
            row = await cur.fetchone()
        return _campaign(row) if row else None

    async def campaigns(self, statuses: tuple[str, ...] = (), since: float | None = None) -> list[Campaign]:
        sql, args = "SELECT * FROM campaigns WHERE 1=1", []
        if statuses:
            sql += f" AND status IN ({','.join('?' * len(statuses))})"
            args += list(statuses)
        if since is not None:
            sql += " AND due_at >= ?"
            args.append(since)
        async with self.db.execute(sql + " ORDER BY due_at, id", args) as cur:
            return [_campaign(r) for r in await cur.fetchall()]

    async def set_campaign_status(self, campaign_id: int, status: str, only_from: tuple[str, ...] = ()) -> bool:
        sql = "UPDATE campaigns SET status = ? WHERE id = ?"
        args: list[Any] = [status, campaign_id]
        if only_from:
            sql += f" AND status IN ({','.join('?' * len(only_from))})"
            args += list(only_from)
        cur = await self.db.execute(sql, args)
        if status == "cancelled" and cur.rowcount:
            await self.db.execute("UPDATE outbox SET state = 'cancelled', updated_at = ? "
                                  "WHERE campaign_id = ? AND state = 'queued'", (self.clock(), campaign_id))
        await self.db.commit()
        return cur.rowcount == 1

    async def set_campaign_text(self, campaign_id: int, text_en: str | None, text_hi: str | None) -> bool:
        """New text for a pending campaign (None keeps that language's text); False if it is no longer pending."""
        cur = await self.db.execute(
            """UPDATE campaigns SET text_en = COALESCE(?, text_en), text_hi = COALESCE(?, text_hi)
               WHERE id = ? AND status IN (?, ?, ?, ?)""",
            (text_en, text_hi, campaign_id, *PENDING))
        await self.db.commit()
        return cur.rowcount == 1

    async def queue(self, campaign_id: int, recipients: list[tuple[str, str, str, str]]) -> int:
        """Add outbox rows (channel, chat_id, lang, state) once each; mark the campaign queued."""
        now = self.clock()
        before = self.db.total_changes
        await self.db.executemany(
            """INSERT OR IGNORE INTO outbox (campaign_id, channel, chat_id, lang, state, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            [(campaign_id, ch, chat, lang, state, now, now) for ch, chat, lang, state in recipients])
        await self.db.execute("UPDATE campaigns SET queued_at = COALESCE(queued_at, ?) WHERE id = ?", (now, campaign_id))
        await self.db.commit()
        return self.db.total_changes - before - 1

    async def queued(self, channel: str, limit: int = 500, campaign_id: int | None = None,
                     skip_reminders: bool = False) -> list[OutboxRow]:
        """Rows waiting to be sent, of campaigns that are active (optionally one campaign, or no reminders)."""
        async with self.db.execute(
                """SELECT o.* FROM outbox o
                   JOIN campaigns c ON c.id = o.campaign_id
                   WHERE o.channel = ? AND o.state = 'queued' AND c.status = 'active'
                     AND (? IS NULL OR o.campaign_id = ?) AND NOT (? AND c.kind = 'reminder')
                   ORDER BY o.id LIMIT ?""", (channel, campaign_id, campaign_id, int(skip_reminders), limit)) as cur:
            return [_outbox_row(r) for r in await cur.fetchall()]

    async def outbox_mark(self, row_id: int, state: str, *, error: str | None = None, message_id: str | None = None,
                          attempt: bool = False) -> None:
        await self.db.execute(
            """UPDATE outbox SET state = ?, error = COALESCE(?, error), message_id = COALESCE(?, message_id),
                                 attempts = attempts + ?, updated_at = ? WHERE id = ?""",
            (state, error, message_id, int(attempt), self.clock(), row_id))
        await self.db.commit()

    async def claim(self, row_id: int) -> bool:
        """Take a queued row for sending; False if another sender took it first (or it was cancelled)."""
        cur = await self.db.execute(
            """UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ?
               WHERE id = ? AND state = 'queued'
                 AND campaign_id IN (SELECT id FROM campaigns WHERE status = 'active')""",
            (self.clock(), row_id))
        await self.db.commit()
        return cur.rowcount == 1

    async def recover_sending(self) -> list[OutboxRow]:
        """After a crash, rows caught in 'sending' may or may not have reached the user: mark them 'uncertain'."""
        async with self.db.execute("SELECT * FROM outbox WHERE state = 'sending' ORDER BY id") as cur:
            rows = [_outbox_row(r) for r in await cur.fetchall()]
        if rows:
            await self.db.execute("UPDATE outbox SET state = 'uncertain', updated_at = ?, "
                                  "error = 'the bot stopped while sending; not resent' WHERE state = 'sending'",
                                  (self.clock(),))
            await self.db.commit()
        return rows

    async def outbox_counts(self, campaign_id: int | None = None) -> dict[str, int]:
        sql = "SELECT state, COUNT(*) FROM outbox" + (" WHERE campaign_id = ?" if campaign_id is not None else "")
        async with self.db.execute(sql + " GROUP BY state", (campaign_id,) if campaign_id is not None else ()) as cur:
            return {r[0]: r[1] for r in await cur.fetchall()}

    async def tally(self, campaign_id: int | None = None) -> Tally:
        """A campaign's delivery counts (or all campaigns'): the one count every report shows."""
        return Tally.of(await self.outbox_counts(campaign_id))

    async def skip_no_channel(self, channels: Iterable[str], campaign_id: int | None = None) -> dict[int, int]:
        """Queued rows of active campaigns for a channel not among ``channels`` become 'skipped_no_channel'.

        Returns campaign id -> rows skipped. Without it a Telegram-only bot keeps WhatsApp rows queued forever."""
        have = sorted(set(channels))
        where = (f"state = 'queued' AND channel NOT IN ({','.join('?' * len(have))}) AND (? IS NULL OR campaign_id = ?) "
                 "AND campaign_id IN (SELECT id FROM campaigns WHERE status = 'active')")
        args = [*have, campaign_id, campaign_id]
        async with self.db.execute(f"SELECT campaign_id, COUNT(*) FROM outbox WHERE {where} GROUP BY campaign_id",
                                   args) as cur:
            skipped = {r[0]: r[1] for r in await cur.fetchall()}
        if skipped:
            await self.db.execute(f"UPDATE outbox SET state = 'skipped_no_channel', updated_at = ?, "
                                  f"error = 'channel not configured' WHERE {where}", [self.clock(), *args])
            await self.db.commit()
        return skipped

    async def finish_campaigns(self, campaign_id: int | None = None) -> list[int]:
        """Active campaigns with nothing queued or being sent become 'done'; returns their ids."""
        where = ("status = 'active' AND queued_at IS NOT NULL AND (? IS NULL OR id = ?) AND NOT EXISTS "
                 "(SELECT 1 FROM outbox o WHERE o.campaign_id = campaigns.id AND o.state IN ('queued', 'sending'))")
        async with self.db.execute(f"SELECT id FROM campaigns WHERE {where} ORDER BY id",
                                   (campaign_id, campaign_id)) as cur:
            done = [r[0] for r in await cur.fetchall()]
        if done:
            await self.db.execute(f"UPDATE campaigns SET status = 'done' WHERE {where} "
                                  f"AND id IN ({','.join('?' * len(done))})", (campaign_id, campaign_id, *done))
            await self.db.commit()
        return done

    async def outbox_rows(self, campaign_id: int | None = None) -> list[OutboxRow]:
        sql = "SELECT * FROM outbox" + (" WHERE campaign_id = ?" if campaign_id is not None else "") + " ORDER BY id"
        async with self.db.execute(sql, (campaign_id,) if campaign_id is not None else ()) as cur:
            return [_outbox_row(r) for r in await cur.fetchall()]

    # ------------------------------------------------------------ questions

    async def log_question(self, channel: str, chat_id: str, q: Logged) -> int:
        args = _question_args(channel, chat_id, q, self.clock())
        return await self._write(lambda conn: int(conn.execute(LOG_QUESTION, args).lastrowid or 0))

    async def record_feedback(self, channel: str, chat_id: str, entry_id: str, helpful: bool) -> bool:
        """Attach 👍/👎 to the user's latest question answered with this entry."""
        cur = await self.db.execute(RECORD_FEEDBACK, (int(helpful), channel, chat_id, entry_id))
        await self.db.commit()
        return cur.rowcount == 1

    async def record_feedback_note(self, channel: str, chat_id: str, note: str) -> bool:
        """Attach what the user was looking for to their latest 👎."""
        cur = await self.db.execute(RECORD_NOTE, (note, channel, chat_id))
        await self.db.commit()
        return cur.rowcount == 1

    async def last_question(self, channel: str, chat_id: str) -> dict[str, Any] | None:
        """The user's latest typed question (not a browsed entry), with its 👎 note if any."""
        async with self.db.execute(
                """SELECT * FROM questions WHERE channel = ? AND chat_id = ? AND outcome != 'browse'
                   ORDER BY asked_at DESC, id DESC LIMIT 1""", (channel, chat_id)) as cur:
            row = await cur.fetchone()
        return dict(row) if row else None

    async def asked(self, since: float, districts: frozenset[str] | None = None,
                    problems_only: bool = False) -> list[dict[str, Any]]:
        """Questions since a moment with the asker's district and product (``districts`` None = all).

        With ``problems_only``: those the bot did not serve well and nobody has dealt with yet: declined,
        did-you-mean with no choice pressed within 30 minutes, and 👎 answers.
        """
        sql = """SELECT q.*, u.district AS district, u.product AS product,
                        (q.outcome = 'suggest' AND NOT EXISTS (
                            SELECT 1 FROM questions b WHERE b.channel = q.channel AND b.chat_id = q.chat_id
                              AND b.outcome = 'browse' AND b.id > q.id AND b.asked_at <= q.asked_at + 1800)) AS unpicked
                 FROM questions q LEFT JOIN users u ON u.channel = q.channel AND u.chat_id = q.chat_id
                 WHERE q.asked_at >= ? AND q.outcome != 'browse'"""
        args: list[Any] = [since]
        if districts is not None:
            sql += f" AND u.district IN ({','.join('?' * len(districts))})"
            args += sorted(districts)
        if problems_only:
            sql = f"SELECT * FROM ({sql}) WHERE resolved IS NULL AND (outcome IN ('refuse', 'off_topic') " \
                  "OR feedback = 0 OR unpicked)"
        async with self.db.execute(sql + " ORDER BY asked_at, id", args) as cur:
            return [dict(r) for r in await cur.fetchall()]

    async def resolve_questions(self, ids: list[int], how: str) -> None:
        """Mark questions as dealt with (``alias:<entry>`` or ``todo:<id>``): they leave the unanswered report."""
        await self.db.executemany("UPDATE questions SET resolved = ? WHERE id = ?", [(how, i) for i in ids])
        await self.db.commit()

    # ------------------------------------------------------------ to-do list (questions needing a new answer)

    async def todo_add(self, question: str, note: str | None, district: str | None, lang: str | None,
                       count: int, created_by: str) -> int:
        cur = await self.db.execute(
            "INSERT INTO todo (question, note, district, lang, count, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (question, note, district, lang, count, created_by, self.clock()))
        await self.db.commit()
        return int(cur.lastrowid or 0)

    async def todo_list(self, districts: frozenset[str] | None = None, open_only: bool = True) -> list[dict[str, Any]]:
        sql, args = "SELECT * FROM todo WHERE 1=1", []
        if open_only:
            sql += " AND done_at IS NULL"
        if districts is not None:
            sql += f" AND (district IN ({','.join('?' * len(districts))}))"
            args += sorted(districts)
        async with self.db.execute(sql + " ORDER BY id", args) as cur:
            return [dict(r) for r in await cur.fetchall()]

    async def todo_done(self, todo_id: int, by: str) -> bool:
        cur = await self.db.execute("UPDATE todo SET done_at = ?, done_by = ? WHERE id = ? AND done_at IS NULL",
                                    (self.clock(), by, todo_id))
        await self.db.commit()
        return cur.rowcount == 1

    # ------------------------------------------------------------ hand-offs to the district office

    async def handoff_open(self, channel: str, chat_id: str, question: str, lang: str, district: str | None,
                           product: str | None, entry_id: str | None) -> int:
        cur = await self.db.execute(
            """INSERT INTO handoffs (channel, chat_id, question, lang, district, product, entry_id, created_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            (channel, chat_id, question, lang, district, product, entry_id, self.clock()))
        await self.db.commit()
        return int(cur.lastrowid or 0)

    async def handoff(self, handoff_id: int) -> dict[str, Any] | None:
        async with self.db.execute("SELECT * FROM handoffs WHERE id = ?", (handoff_id,)) as cur:
            row = await cur.fetchone()
        return dict(row) if row else None

    async def handoffs(self, *, status: str | None = None, since: float | None = None,
                       districts: frozenset[str] | None = None, channel: str | None = None,
                       chat_id: str | None = None) -> list[dict[str, Any]]:
        sql, args = "SELECT * FROM handoffs WHERE 1=1", []
        for column, value in (("status", status), ("channel", channel), ("chat_id", chat_id)):
            if value is not None:
                sql += f" AND {column} = ?"
                args.append(value)
        if since is not None:
            sql += " AND created_at >= ?"
            args.append(since)
        if districts is not None:
            sql += f" AND district IN ({','.join('?' * len(districts))})"
            args += sorted(districts)
        async with self.db.execute(sql + " ORDER BY id", args) as cur:
            return [dict(r) for r in await cur.fetchall()]

    async def handoff_link(self, staff_chat: str, message_id: int, handoff_id: int) -> None:
        """Remember which staff message carries which hand-off, so a reply to it answers that hand-off."""
        await self.db.execute("INSERT OR REPLACE INTO handoff_messages (staff_chat, message_id, handoff_id) "
                              "VALUES (?, ?, ?)", (staff_chat, message_id, handoff_id))
        await self.db.commit()

    async def handoff_for_message(self, staff_chat: str, message_id: int) -> int | None:
        async with self.db.execute("SELECT handoff_id FROM handoff_messages WHERE staff_chat = ? AND message_id = ?",
                                   (staff_chat, message_id)) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else None

    async def handoff_answer(self, handoff_id: int, by: str, answer: str, delivery: str) -> bool:
        """Record the staff answer once; False when the hand-off was answered already."""
        cur = await self.db.execute(
            """UPDATE handoffs SET status = 'answered', answered_at = ?, answered_by = ?, answer = ?, delivery = ?
               WHERE id = ? AND status = 'open'""", (self.clock(), by, answer, delivery, handoff_id))
        await self.db.commit()
        return cur.rowcount == 1

    async def handoff_set(self, handoff_id: int, **values: Any) -> None:
        allowed = {"reminded_at", "resolved", "delivery"}
        assert set(values) <= allowed, f"only {sorted(allowed)} may be set"
        sets = ", ".join(f"{k} = ?" for k in values)
        await self.db.execute(f"UPDATE handoffs SET {sets} WHERE id = ?", (*values.values(), handoff_id))
        await self.db.commit()

    # ------------------------------------------------------------ staff console accounts

    async def console_account_set(self, login: str, telegram_id: int, password_hash: str) -> None:
        """Create the account, or give it a new password hash (and staff member)."""
        now = self.clock()
        await self.db.execute(
            """INSERT INTO console_accounts (login, telegram_id, password_hash, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (login) DO UPDATE SET telegram_id = excluded.telegram_id,
                   password_hash = excluded.password_hash, updated_at = excluded.updated_at""",
            (login, telegram_id, password_hash, now, now))
        await self.db.commit()

    async def console_account(self, login: str) -> dict[str, Any] | None:
        async with self.db.execute("SELECT * FROM console_accounts WHERE login = ?", (login,)) as cur:
            row = await cur.fetchone()
        return dict(row) if row else None

    async def console_accounts(self) -> list[dict[str, Any]]:
        async with self.db.execute("SELECT * FROM console_accounts ORDER BY login") as cur:
            return [dict(r) for r in await cur.fetchall()]

    async def console_account_remove(self, login: str) -> bool:
        cur = await self.db.execute("DELETE FROM console_accounts WHERE login = ?", (login,))
        await self.db.commit()
        return cur.rowcount == 1

    # ------------------------------------------------------------ admin reports

    async def stats(self, now: float | None = None, districts: frozenset[str] | None = None) -> dict[str, Any]:
        """Users, languages, districts, questions and feedback; ``districts`` limits it to those users."""
        now = self.clock() if now is None else now
        day, week = now - 86400, now - 7 * 86400
        where, args = "", []
        if districts is not None:
            where = f" WHERE district IN ({','.join('?' * len(districts))})"
            args = sorted(districts)
        users = f"(SELECT * FROM users{where})"
        out: dict[str, Any] = {}
        async with self.db.execute(f"SELECT COUNT(*) FROM {users}", args) as cur:
            out["users"] = (await cur.fetchone())[0]
        async with self.db.execute(
                f"SELECT COALESCE(district, '') AS d, COUNT(*) FROM {users} GROUP BY d ORDER BY COUNT(*) DESC, d",
                args) as cur:
            out["by_district"] = [(r[0] or None, r[1]) for r in await cur.fetchall()]
        async with self.db.execute(
                f"SELECT COALESCE(lang, '') AS l, COUNT(*) FROM {users} GROUP BY l ORDER BY COUNT(*) DESC, l",
                args) as cur:
            out["by_lang"] = [(r[0] or None, r[1]) for r in await cur.fetchall()]
        scoped = "" if districts is None else (
            " AND EXISTS (SELECT 1 FROM users u WHERE u.channel = q.channel AND u.chat_id = q.chat_id "
            f"AND u.district IN ({','.join('?' * len(districts))}))")
        async with self.db.execute(
                f"""SELECT SUM(asked_at >= ?), SUM(asked_at >= ?),
                          SUM(asked_at >= ? AND outcome IN ('refuse', 'off_topic', 'suggest')),
                          SUM(feedback = 1), SUM(feedback = 0)
                   FROM questions q WHERE outcome != 'browse'{scoped}""", (day, week, week, *args)) as cur:
            row = await cur.fetchone()
        out["questions_today"], out["questions_week"] = row[0] or 0, row[1] or 0
        out["refused_week"], out["helpful"], out["not_helpful"] = row[2] or 0, row[3] or 0, row[4] or 0
        return out

    async def unanswered(self, since: float, limit: int = 10) -> list[tuple[str, int]]:
        """The most frequent questions refused (or only given suggestions) since ``since``."""
        async with self.db.execute(
                """SELECT LOWER(TRIM(text)) AS q, COUNT(*) AS n FROM questions
                   WHERE asked_at >= ? AND outcome IN ('refuse', 'off_topic', 'suggest')
                   GROUP BY q ORDER BY n DESC, MAX(asked_at) DESC LIMIT ?""", (since, limit)) as cur:
            return [(r[0], r[1]) for r in await cur.fetchall()]


def _user_args(channel: str, chat_id: str, state: UserState, now: float, inbound: bool) -> tuple[Any, ...]:
    return (channel, chat_id, state.lang, state.district, state.sector, state.product, state.step, state.subscription,
            _topic_json(state.topic), now, now, now if inbound else None, inbound, inbound)


def _question_args(channel: str, chat_id: str, q: Logged, now: float) -> tuple[Any, ...]:
    return channel, chat_id, now, q.question, q.lang, q.entry_id, q.score, q.outcome


def _topic_json(topic: Topic | None) -> str | None:
    if topic is None:
        return None
    return json.dumps({"entry": topic.entry_id, "tokens": list(topic.tokens), "at": topic.at}, ensure_ascii=False)


def _topic(text: str | None) -> Topic | None:
    """The stored topic, or None when there is none or it cannot be read (it is only a convenience)."""
    if not text:
        return None
    try:
        data = json.loads(text)
        return Topic(str(data["entry"]), tuple(str(t) for t in data["tokens"]), float(data["at"]))
    except (ValueError, KeyError, TypeError):
        return None
def _campaign(row: aiosqlite.Row) -> Campaign:
    values = dict(row)
    return Campaign(**{**values, "status": CampaignStatus(values["status"])})


def _outbox_row(row: aiosqlite.Row) -> OutboxRow:
    values = dict(row)
    return OutboxRow(**{**values, "state": OutboxState(values["state"])})
