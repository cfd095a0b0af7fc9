"""Reading the store's tables directly, for assertions (the bot itself never needs these queries).

Written with SQLite's ``?`` placeholders; on the PostgreSQL store they become ``$1, $2, …``.
"""
from __future__ import annotations

import re
from typing import Any


def _numbered(sql: str) -> str:
    counter = iter(range(1, 1000))
    return re.sub(r"\?", lambda _: f"${next(counter)}", sql)


def is_postgres(store: Any) -> bool:
    return hasattr(store, "pool")


async def select(store: Any, sql: str, *args: Any) -> list[dict[str, Any]]:
    if is_postgres(store):
        return [dict(row) for row in await store.pool.fetch(_numbered(sql), *args)]
    async with store.db.execute(sql, args) as cur:
        return [dict(row) for row in await cur.fetchall()]


async def value(store: Any, sql: str, *args: Any) -> Any:
    """The first column of the first row."""
    rows = await select(store, sql, *args)
    return next(iter(rows[0].values())) if rows else None


async def execute(store: Any, sql: str, *args: Any) -> None:
    if is_postgres(store):
        await store.pool.execute(_numbered(sql), *args)
        return
    await store.db.execute(sql, args)
    await store.db.commit()


async def questions(store: Any, channel: str | None = None) -> list[dict[str, Any]]:
    if channel is None:
        return await select(store, "SELECT * FROM questions ORDER BY id")
    return await select(store, "SELECT * FROM questions WHERE channel = ? ORDER BY id", channel)


async def schema_version(store: Any) -> int:
    if is_postgres(store):
        return await store.schema_version()
    return (await select(store, "PRAGMA user_version"))[0]["user_version"]
