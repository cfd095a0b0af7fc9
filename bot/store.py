"""The SQLite store: the only module that holds SQL.

Users and where they are in the conversation, the question log with
feedback, and the update ids already handled (so a redelivered update is
answered once). WAL mode; the schema is versioned with ``PRAGMA user_version``
and migrated forward on open, so an old database opens with a new release.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from .dialogue import Logged, UserState

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
)


@dataclass(frozen=True)
class UserRecord:
    channel: str
    chat_id: str
    state: UserState
    blocked: bool
    first_seen: float
    last_seen: float


class Store:
    def __init__(self, path: str | Path, clock: Any = time.time):
        self.path = Path(path)
        self.clock = clock
        self._db: aiosqlite.Connection | None = None

    # ------------------------------------------------------------ life cycle

    async def open(self) -> "Store":
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(str(self.path))
        self._db.row_factory = aiosqlite.Row
        await self._db.execute("PRAGMA journal_mode=WAL")
        await self._db.execute("PRAGMA synchronous=NORMAL")
        await self._db.execute("PRAGMA foreign_keys=ON")
        await self._migrate()
        return self

    async def close(self) -> None:
        if self._db is not None:
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

    async def schema_version(self) -> int:
        async with self.db.execute("PRAGMA user_version") as cur:
            return (await cur.fetchone())[0]

    # ------------------------------------------------------------ users

    async def get_user(self, channel: str, chat_id: str) -> UserRecord | None:
        async with self.db.execute("SELECT * FROM users WHERE channel = ? AND chat_id = ?", (channel, chat_id)) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        state = UserState(lang=row["lang"], district=row["district"], sector=row["sector"], product=row["product"],
                          step=row["step"], subscription=row["subscription"])
        return UserRecord(channel, chat_id, state, bool(row["blocked"]), row["first_seen"], row["last_seen"])

    async def save_user(self, channel: str, chat_id: str, state: UserState, inbound: bool = True) -> None:
        """Create or update the user; an inbound message also means they are reachable again."""
        now = self.clock()
        await self.db.execute(
            """INSERT INTO users (channel, chat_id, lang, district, sector, product, step, subscription,
                                  blocked, first_seen, last_seen, last_inbound_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)
               ON CONFLICT (channel, chat_id) DO UPDATE SET
                   lang = excluded.lang, district = excluded.district, sector = excluded.sector,
                   product = excluded.product, step = excluded.step, subscription = excluded.subscription,
                   last_seen = excluded.last_seen,
                   blocked = CASE WHEN ? THEN 0 ELSE users.blocked END,
                   last_inbound_at = CASE WHEN ? THEN excluded.last_inbound_at ELSE users.last_inbound_at END""",
            (channel, chat_id, state.lang, state.district, state.sector, state.product, state.step,
             state.subscription, now, now, now if inbound else None, inbound, inbound))
        await self.db.commit()

    async def set_blocked(self, channel: str, chat_id: str, blocked: bool) -> None:
        now = self.clock()
        await self.db.execute(
            """INSERT INTO users (channel, chat_id, blocked, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (channel, chat_id) DO UPDATE SET blocked = excluded.blocked""",
            (channel, chat_id, int(blocked), now, now))
        await self.db.commit()

    async def is_blocked(self, channel: str, chat_id: str) -> bool:
        async with self.db.execute("SELECT blocked FROM users WHERE channel = ? AND chat_id = ?",
                                   (channel, chat_id)) as cur:
            row = await cur.fetchone()
        return bool(row and row[0])

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
        cur = await self.db.execute(
            "INSERT OR IGNORE INTO inbox (channel, message_id, chat_id, payload, received_at) VALUES (?, ?, ?, ?, ?)",
            (channel, message_id, chat_id, payload, self.clock()))
        await self.db.commit()
        return cur.rowcount == 1

    async def inbox_pending(self, channel: str, limit: int = 100) -> list[tuple[str, str, str]]:
        async with self.db.execute(
                """SELECT message_id, chat_id, payload FROM inbox WHERE channel = ? AND processed_at IS NULL
                   ORDER BY received_at, rowid LIMIT ?""", (channel, limit)) as cur:
            return [(r[0], r[1], r[2]) for r in await cur.fetchall()]

    async def inbox_done(self, channel: str, message_id: str) -> None:
        await self.db.execute("UPDATE inbox SET processed_at = ? WHERE channel = ? AND message_id = ?",
                              (self.clock(), channel, message_id))
        await self.db.commit()

    async def record_status(self, channel: str, message_id: str, chat_id: str, status: str,
                            error_code: int | None) -> None:
        await self.db.execute(
            "INSERT INTO delivery_status (channel, message_id, chat_id, status, error_code, at) VALUES (?, ?, ?, ?, ?, ?)",
            (channel, message_id, chat_id, status, error_code, self.clock()))
        await self.db.commit()

    async def statuses(self, channel: str) -> list[dict[str, Any]]:
        async with self.db.execute("SELECT * FROM delivery_status WHERE channel = ? ORDER BY id", (channel,)) as cur:
            return [dict(r) for r in await cur.fetchall()]

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

    # ------------------------------------------------------------ questions

    async def log_question(self, channel: str, chat_id: str, q: Logged) -> int:
        cur = await self.db.execute(
            """INSERT INTO questions (channel, chat_id, asked_at, text, lang, entry_id, score, outcome)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            (channel, chat_id, self.clock(), q.question, q.lang, q.entry_id, q.score, q.outcome))
        await self.db.commit()
        return int(cur.lastrowid or 0)

    async def record_feedback(self, channel: str, chat_id: str, entry_id: str, helpful: bool) -> bool:
        """Attach 👍/👎 to the user's latest question answered with this entry."""
        cur = await self.db.execute(
            """UPDATE questions SET feedback = ? WHERE id = (
                   SELECT id FROM questions WHERE channel = ? AND chat_id = ? AND entry_id = ?
                   ORDER BY asked_at DESC, id DESC LIMIT 1)""",
            (int(helpful), channel, chat_id, entry_id))
        await self.db.commit()
        return cur.rowcount == 1

    async def questions(self, channel: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM questions" + (" WHERE channel = ?" if channel else "") + " ORDER BY id"
        async with self.db.execute(sql, (channel,) if channel else ()) as cur:
            return [dict(row) for row in await cur.fetchall()]

    # ------------------------------------------------------------ admin reports

    async def stats(self, now: float | None = None) -> dict[str, Any]:
        now = self.clock() if now is None else now
        day, week = now - 86400, now - 7 * 86400
        out: dict[str, Any] = {}
        async with self.db.execute("SELECT COUNT(*) FROM users") as cur:
            out["users"] = (await cur.fetchone())[0]
        async with self.db.execute(
                "SELECT COALESCE(district, '') AS d, COUNT(*) FROM users GROUP BY d ORDER BY COUNT(*) DESC, d") as cur:
            out["by_district"] = [(r[0] or None, r[1]) for r in await cur.fetchall()]
        async with self.db.execute(
                "SELECT COALESCE(lang, '') AS l, COUNT(*) FROM users GROUP BY l ORDER BY COUNT(*) DESC, l") as cur:
            out["by_lang"] = [(r[0] or None, r[1]) for r in await cur.fetchall()]
        async with self.db.execute(
                """SELECT SUM(asked_at >= ?), SUM(asked_at >= ?),
                          SUM(asked_at >= ? AND outcome IN ('refuse', 'off_topic', 'suggest')),
                          SUM(feedback = 1), SUM(feedback = 0)
                   FROM questions WHERE outcome != 'browse'""", (day, week, week)) as cur:
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
